#include "api/session_auth.h"

#include <charconv>
#include <vector>

#include "common/crypto.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

constexpr const char* kSecretKey = "session_secret";
constexpr const char* kOverlayNotBeforePrefix = "overlay_not_before:";

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return out;
}

}  // namespace

std::string CookieValue(std::string_view header, std::string_view name) {
  for (std::string_view part : Split(header, ';')) {
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name)
      return std::string(part.substr(eq + 1));
  }
  return "";
}

std::string SessionCookieValue(std::string_view header, bool https) {
  std::string v = CookieValue(header, kSecureSessionCookie);
  return v.empty() && !https ? CookieValue(header, kSessionCookie) : v;
}

std::string PreSessionCookieValue(std::string_view header, bool https) {
  std::string v = CookieValue(header, kSecurePreSessionCookie);
  return v.empty() && !https ? CookieValue(header, kPreSessionCookie) : v;
}

std::string SetCookie(bool https, const char* plain_name, const char* host_name,
                      const std::string& value, int64_t max_age_s) {
  return std::string(https ? host_name : plain_name) + "=" + value +
         "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age_s) +
         (https ? "; Secure" : "");
}

Result<std::unique_ptr<SessionAuth>> SessionAuth::Open(MetaStore* meta, Clock* clock,
                                                       SessionOptions opts) {
  auto v = meta->GetValue(kSecretKey);
  if (!v.ok()) return v.status();
  std::string secret;
  if (v->has_value()) {
    secret = **v;
  } else {
    secret = RandomHex(32);
    TAP_RETURN_IF_ERROR(meta->PutValue(kSecretKey, secret));
    // Two nodes racing to create it: read back whichever won.
    auto again = meta->GetValue(kSecretKey);
    if (again.ok() && again->has_value()) secret = **again;
  }
  return std::unique_ptr<SessionAuth>(new SessionAuth(meta, clock, secret, opts));
}

Result<std::string> SessionAuth::OwnerUserId() {
  auto v = meta_->GetValue(kOwnerUserKey);
  if (!v.ok()) return v.status();
  if (v->has_value() && meta_->GetUser(**v).ok()) return **v;
  auto u = meta_->CreateUser("");
  if (!u.ok()) return u.status();
  TAP_RETURN_IF_ERROR(meta_->PutValue(kOwnerUserKey, u->id));
  return u->id;
}

Result<std::string> SessionAuth::IssueSignInToken(int64_t ttl_ms) {
  std::string token = RandomHex(20);
  TAP_RETURN_IF_ERROR(
      meta_->PutValue("signin:" + Sha256Hex(token), std::to_string(clock_->NowMs() + ttl_ms)));
  return token;
}

Status SessionAuth::NewSession(const std::string& user_id, const std::string& user_agent,
                               std::string* cookie_value) {
  const int64_t now = clock_->NowMs();
  auto s = meta_->CreateDashboardSession(user_id, user_agent, now, now + opts_.absolute_ms);
  if (!s.ok()) return s.status();
  *cookie_value = s->token;
  return Status::Ok();
}

Status SessionAuth::Redeem(const std::string& token, const std::string& user_agent,
                           std::string* cookie_value) {
  if (token.empty() || token.size() > limits::kMaxSignInTokenBytes)
    return Status::Unauthenticated("invalid sign-in link");
  std::string key = "signin:" + Sha256Hex(token);
  auto v = meta_->GetValue(key);
  if (!v.ok()) return v.status();
  if (!v->has_value() || (*v)->empty())
    return Status::Unauthenticated("this sign-in link was already used or never existed");
  int64_t expires = 0;
  std::from_chars((*v)->data(), (*v)->data() + (*v)->size(), expires);
  TAP_RETURN_IF_ERROR(meta_->PutValue(key, ""));  // one-time
  if (expires < clock_->NowMs()) return Status::Unauthenticated("this sign-in link has expired");
  auto owner = OwnerUserId();
  if (!owner.ok()) return owner.status();
  return NewSession(*owner, user_agent, cookie_value);
}

Result<std::string> SessionAuth::IssueEmailLink(const std::string& user_id,
                                                const std::string& browser_nonce) {
  return meta_->CreateSignInLink(user_id, browser_nonce,
                                 clock_->NowMs() + limits::kSignInLinkTtlMs);
}

Status SessionAuth::Confirm(const std::string& token, const std::string& browser_nonce,
                            const std::string& user_agent, std::string* cookie_value) {
  auto user = meta_->ConsumeSignInLink(token, browser_nonce, clock_->NowMs());
  if (!user.ok()) return user.status();
  return NewSession(*user, user_agent, cookie_value);
}

bool SessionAuth::Live(const DashboardSession& s, int64_t now) const {
  return now < s.expires_ms && now - s.last_seen_ms < opts_.idle_ms;
}

std::string SessionAuth::CsrfFor(std::string_view session_id) const {
  return HmacSha256Hex(secret_, "csrf." + std::string(session_id)).substr(0, 32);
}

std::string SessionAuth::Mac(std::string_view data) const { return HmacSha256Hex(secret_, data); }

bool SessionAuth::Verify(std::string_view cookie, SessionInfo* info) const {
  if (!cookie.starts_with("v2.") || cookie.size() > limits::kMaxSignInTokenBytes) return false;
  auto s = meta_->FindDashboardSession(std::string(cookie));
  if (!s.ok()) return false;  // unknown, revoked, or the store cannot say: fail closed
  const int64_t now = clock_->NowMs();
  if (!Live(*s, now)) return false;
  if (now - s->last_seen_ms >= kTouchEveryMs) (void)meta_->TouchDashboardSession(s->id, now);
  if (info) {
    info->session_id = s->id;
    info->user_id = s->user_id;
    info->csrf = CsrfFor(s->id);
  }
  return true;
}

Status SessionAuth::Revoke(std::string_view cookie) {
  SessionInfo info;
  if (!Verify(cookie, &info)) return Status::Ok();  // nothing live to end
  Status s = meta_->RevokeDashboardSession(info.user_id, info.session_id);
  return s.code() == StatusCode::kNotFound ? Status::Ok() : s;
}

Status SessionAuth::RevokeAll() {
  auto n = meta_->RevokeDashboardSessions("");
  return n.ok() ? Status::Ok() : n.status();
}

Result<std::string> SessionAuth::IssueOverlayToken(std::string_view cookie,
                                                   const std::string& project_id,
                                                   int64_t* expires_ms) const {
  SessionInfo info;
  if (!Verify(cookie, &info)) return Status::Unauthenticated("sign in first");
  const int64_t exp = clock_->NowMs() + limits::kOverlayTokenTtlMs;
  if (expires_ms) *expires_ms = exp;
  const std::string payload =
      "bt." + project_id + "." + std::to_string(exp) + "." + info.session_id;
  return payload + "." + HmacSha256Hex(secret_, payload);
}

bool SessionAuth::VerifyOverlayToken(std::string_view token, const std::string& project_id) const {
  auto parts = Split(token, '.');
  if (parts.size() != 5 || parts[0] != "bt" || parts[1] != project_id) return false;
  const std::string payload = std::string(token.substr(0, token.rfind('.')));
  if (!ConstantTimeEquals(HmacSha256Hex(secret_, payload), parts[4])) return false;
  int64_t exp = 0;
  auto [p, ec] = std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), exp);
  const int64_t now = clock_->NowMs();
  if (ec != std::errc() || exp < now) return false;
  // It lives no longer than its session (signed out, revoked, timed out).
  auto session = meta_->GetDashboardSession(std::string(parts[3]));
  if (!session.ok() || !Live(*session, now)) return false;
  auto nb = meta_->GetValue(kOverlayNotBeforePrefix + project_id);
  if (!nb.ok()) return false;  // fail closed
  if (!nb->has_value()) return true;
  int64_t not_before = 0;
  std::from_chars((*nb)->data(), (*nb)->data() + (*nb)->size(), not_before);
  return exp - limits::kOverlayTokenTtlMs > not_before;  // issued after the revocation
}

Status SessionAuth::RevokeOverlayTokens(const std::string& project_id) {
  return meta_->PutValue(kOverlayNotBeforePrefix + project_id, std::to_string(clock_->NowMs()));
}

}  // namespace tapistry
