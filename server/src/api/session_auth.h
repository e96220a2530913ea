// SessionAuth: dashboard access before accounts exist (issue 4). `tapistry serve` prints a one-time
// sign-in link at start (and `tapistry signin-link` prints another); redeeming it sets a signed,
// HttpOnly session cookie. Cookies are stateless: "v1.<expires_ms>.<id>.<hmac>", signed with a
// secret kept in the MetaStore, so they survive restarts and work on every node sharing the meta
// store. Each session has a CSRF token (HMAC of its id) that state-changing requests must echo in
// X-CSRF-Token. Signing out revokes the session in the MetaStore ("signout:<id>"), and
// `tapistry signout-all` revokes every session issued until then ("sessions_not_before"), so a
// copied cookie stops working too; Verify checks both (two indexed SQLite reads).
// Thread-safety: safe for concurrent use.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tapistry/clock.h"
#include "tapistry/meta_store.h"

namespace tapistry {

inline constexpr const char* kSessionCookie = "tap_session";

class SessionAuth {
 public:
  static Result<std::unique_ptr<SessionAuth>> Open(MetaStore* meta, Clock* clock);

  // A new one-time sign-in token, valid for `ttl_ms` (default 24 h).
  Result<std::string> IssueSignInToken(int64_t ttl_ms = 24LL * 3600 * 1000);
  // Consumes a sign-in token. On success sets the cookie value for a new session.
  Status Redeem(const std::string& token, std::string* cookie_value);
  // True when the cookie value is a valid, unexpired, unrevoked session; sets its CSRF token.
  bool Verify(std::string_view cookie_value, std::string* csrf_token) const;
  // Ends the session of a cookie Verify accepts, on every node sharing the meta store.
  Status Revoke(std::string_view cookie_value);
  // Ends every session issued until now (new sign-ins work as before).
  Status RevokeAll();

  // The bookmarklet overlay's token for one project, made from a live session cookie:
  // "bt.<project>.<expires_ms>.<session_expires_ms>.<session_id>.<hmac>", valid
  // limits::kOverlayTokenTtlMs. It dies with the session that made it (sign-out, signout-all) and
  // with RevokeOverlayTokens (called when a project's read tokens are revoked). The route table
  // accepts it only on the heatmap read routes (AuthPolicy::kHeatmapRead).
  Result<std::string> IssueOverlayToken(std::string_view session_cookie,
                                        const std::string& project_id, int64_t* expires_ms) const;
  bool VerifyOverlayToken(std::string_view token, const std::string& project_id) const;
  // Ends every overlay token of `project_id` issued until now.
  Status RevokeOverlayTokens(const std::string& project_id);

  static constexpr int64_t kSessionTtlMs = 30LL * 24 * 3600 * 1000;

 private:
  SessionAuth(MetaStore* meta, Clock* clock, std::string secret)
      : meta_(meta), clock_(clock), secret_(std::move(secret)) {}
  // True when the session `id` (expiring at `expires_ms`) was signed out or revoked wholesale; also
  // true when the meta store cannot say (fail closed).
  bool Revoked(std::string_view id, int64_t expires_ms) const;

  MetaStore* meta_;
  Clock* clock_;
  std::string secret_;
};

// The value of cookie `name` in a Cookie header ("" when absent).
std::string CookieValue(std::string_view header, std::string_view name);

}  // namespace tapistry
