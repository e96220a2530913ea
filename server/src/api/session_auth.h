// SessionAuth: who is signed in to the dashboard (issue 12; docs/accounts.md).
//
// Two ways in, both ending in a new dashboard session of a user
// (MetaStore::CreateDashboardSession):
//  - the printed one-time link (`tapistry serve` at start, `tapistry signin-link`): signs in the
//    owner, the user created on the first start (GetValue kOwnerUserKey). Its token lives in the
//    MetaStore as "signin:<sha256>" and is not bound to a browser: it was printed on a console.
//  - a mailed link (POST /auth/request): bound to the pre-session nonce of the browser that asked,
//    valid limits::kSignInLinkTtlMs, consumed by POST /auth/confirm (MetaStore sign-in links).
// A session's cookie value is its token ("v2.<64 hex>"), stored only hashed. A session ends after
// `idle_ms` without a request (sliding: a request moves last_seen at most once a minute) or
// `absolute_ms` after sign-in, whichever is first; sign-out, the user's own revocation and
// `tapistry signout-all` delete it, so a copied cookie stops working at once, on every node sharing
// the meta store. Each session has a CSRF token (HMAC of its id with a secret kept in the
// MetaStore) that state-changing requests echo in X-CSRF-Token.
// Thread-safety: safe for concurrent use.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tapistry/clock.h"
#include "tapistry/meta_store.h"

namespace tapistry {

// The session cookie: "__Host-tap_session" over HTTPS (Secure, Path=/, no Domain: a sibling
// subdomain cannot set or shadow it), "tap_session" over plain HTTP (local use).
inline constexpr const char* kSessionCookie = "tap_session";
inline constexpr const char* kSecureSessionCookie = "__Host-tap_session";
// The pre-session cookie: a random nonce naming the browser that asked for a mailed link.
inline constexpr const char* kPreSessionCookie = "tap_presession";
inline constexpr const char* kSecurePreSessionCookie = "__Host-tap_presession";
// GetValue key: the owner's user id.
inline constexpr char kOwnerUserKey[] = "owner_user_id";

struct SessionOptions {
  int64_t idle_ms = 30LL * 60 * 1000;
  int64_t absolute_ms = 12LL * 3600 * 1000;
};

// What Verify learned about a live session.
struct SessionInfo {
  std::string session_id;
  std::string user_id;
  std::string csrf;
};

class SessionAuth {
 public:
  static Result<std::unique_ptr<SessionAuth>> Open(MetaStore* meta, Clock* clock,
                                                   SessionOptions opts = {});

  const SessionOptions& options() const { return opts_; }

  // The owner's user id, creating the owner (without an email) when there is none yet.
  Result<std::string> OwnerUserId();

  // A new printed one-time sign-in token for the owner, valid for `ttl_ms` (default 24 h).
  Result<std::string> IssueSignInToken(int64_t ttl_ms = 24LL * 3600 * 1000);
  // Consumes a printed sign-in token. On success sets the cookie value of a new owner session.
  Status Redeem(const std::string& token, const std::string& user_agent, std::string* cookie_value);

  // A mailed link's token for `user_id`, bound to `browser_nonce`, valid kSignInLinkTtlMs.
  Result<std::string> IssueEmailLink(const std::string& user_id, const std::string& browser_nonce);
  // Consumes a mailed link's token from the browser holding `browser_nonce`; on success sets the
  // cookie value of a new session of its user.
  Status Confirm(const std::string& token, const std::string& browser_nonce,
                 const std::string& user_agent, std::string* cookie_value);

  // True when the cookie value is a live session (and slides its idle timeout); fills *info.
  bool Verify(std::string_view cookie_value, SessionInfo* info) const;
  // The CSRF token of the session `session_id`.
  std::string CsrfFor(std::string_view session_id) const;
  // A keyed hash of `data` with the server's secret (the confirm page's form token).
  std::string Mac(std::string_view data) const;
  // Ends the session of a cookie Verify accepts, on every node sharing the meta store.
  Status Revoke(std::string_view cookie_value);
  // Ends every session of every user (new sign-ins work as before).
  Status RevokeAll();

  // The bookmarklet overlay's token for one project, made from a live session cookie:
  // "bt.<project>.<expires_ms>.<session_id>.<hmac>", valid limits::kOverlayTokenTtlMs. It dies
  // with the session that made it (sign-out, revocation, signout-all) and with
  // RevokeOverlayTokens (called when a project's read tokens are revoked). The route table
  // accepts it only on the heatmap read routes (AuthPolicy::kHeatmapRead).
  Result<std::string> IssueOverlayToken(std::string_view session_cookie,
                                        const std::string& project_id, int64_t* expires_ms) const;
  bool VerifyOverlayToken(std::string_view token, const std::string& project_id) const;
  // Ends every overlay token of `project_id` issued until now.
  Status RevokeOverlayTokens(const std::string& project_id);

  // A request moves a session's last_seen at most this often (one write per minute per session).
  static constexpr int64_t kTouchEveryMs = 60 * 1000;

 private:
  SessionAuth(MetaStore* meta, Clock* clock, std::string secret, SessionOptions opts)
      : meta_(meta), clock_(clock), secret_(std::move(secret)), opts_(opts) {}
  // True when the session is within its idle and absolute timeouts at now_ms.
  bool Live(const DashboardSession& s, int64_t now_ms) const;
  Status NewSession(const std::string& user_id, const std::string& user_agent,
                    std::string* cookie_value);

  MetaStore* meta_;
  Clock* clock_;
  std::string secret_;
  SessionOptions opts_;
};

// The value of cookie `name` in a Cookie header ("" when absent).
std::string CookieValue(std::string_view header, std::string_view name);
// The session cookie of a Cookie header. Over https only the __Host- one counts: a plain-named
// cookie could have been planted over http or by a sibling subdomain. Over http, the __Host- one
// when there is one, else the plain one.
std::string SessionCookieValue(std::string_view cookie_header, bool https);
// The pre-session nonce of a Cookie header, likewise.
std::string PreSessionCookieValue(std::string_view cookie_header, bool https);
// A Set-Cookie value: `name` (its __Host- form when `https`) = value, Path=/, HttpOnly,
// SameSite=Lax, Max-Age (0 deletes it), and Secure when `https`.
std::string SetCookie(bool https, const char* plain_name, const char* host_name,
                      const std::string& value, int64_t max_age_s);

}  // namespace tapistry
