#include "api/session_auth.h"

#include <charconv>
#include <vector>

#include "common/crypto.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

constexpr const char* kSecretKey = "session_secret";
constexpr const char* kNotBeforeKey = "sessions_not_before";
constexpr const char* kSignOutPrefix = "signout:";
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

Result<std::unique_ptr<SessionAuth>> SessionAuth::Open(MetaStore* meta, Clock* clock) {
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
  return std::unique_ptr<SessionAuth>(new SessionAuth(meta, clock, secret));
}

Result<std::string> SessionAuth::IssueSignInToken(int64_t ttl_ms) {
  std::string token = RandomHex(20);
  TAP_RETURN_IF_ERROR(
      meta_->PutValue("signin:" + Sha256Hex(token), std::to_string(clock_->NowMs() + ttl_ms)));
  return token;
}

Status SessionAuth::Redeem(const std::string& token, std::string* cookie_value) {
  if (token.empty() || token.size() > 128) return Status::Unauthenticated("invalid sign-in link");
  std::string key = "signin:" + Sha256Hex(token);
  auto v = meta_->GetValue(key);
  if (!v.ok()) return v.status();
  if (!v->has_value() || (*v)->empty())
    return Status::Unauthenticated("this sign-in link was already used or never existed");
  int64_t expires = 0;
  std::from_chars((*v)->data(), (*v)->data() + (*v)->size(), expires);
  TAP_RETURN_IF_ERROR(meta_->PutValue(key, ""));  // one-time
  if (expires < clock_->NowMs()) return Status::Unauthenticated("this sign-in link has expired");
  std::string payload =
      "v1." + std::to_string(clock_->NowMs() + kSessionTtlMs) + "." + RandomHex(16);
  *cookie_value = payload + "." + HmacSha256Hex(secret_, payload);
  return Status::Ok();
}

bool SessionAuth::Verify(std::string_view cookie, std::string* csrf) const {
  auto parts = Split(cookie, '.');
  if (parts.size() != 4 || parts[0] != "v1") return false;
  std::string payload =
      std::string(parts[0]) + "." + std::string(parts[1]) + "." + std::string(parts[2]);
  if (!ConstantTimeEquals(HmacSha256Hex(secret_, payload), parts[3])) return false;
  int64_t expires = 0;
  auto [p, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), expires);
  if (ec != std::errc() || expires < clock_->NowMs()) return false;
  if (Revoked(parts[2], expires)) return false;
  if (csrf) *csrf = HmacSha256Hex(secret_, "csrf." + std::string(parts[2])).substr(0, 32);
  return true;
}

bool SessionAuth::Revoked(std::string_view id, int64_t expires_ms) const {
  auto out = meta_->GetValue(kSignOutPrefix + std::string(id));
  if (!out.ok() || out->has_value()) return true;
  auto nb = meta_->GetValue(kNotBeforeKey);
  if (!nb.ok()) return true;
  if (!nb->has_value()) return false;
  int64_t not_before = 0;
  std::from_chars((*nb)->data(), (*nb)->data() + (*nb)->size(), not_before);
  return expires_ms - kSessionTtlMs <= not_before;  // issued at or before the wholesale revocation
}

Status SessionAuth::Revoke(std::string_view cookie) {
  if (!Verify(cookie, nullptr)) return Status::Ok();  // nothing live to end
  auto parts = Split(cookie, '.');
  return meta_->PutValue(kSignOutPrefix + std::string(parts[2]), std::string(parts[1]));
}

Status SessionAuth::RevokeAll() {
  return meta_->PutValue(kNotBeforeKey, std::to_string(clock_->NowMs()));
}

Result<std::string> SessionAuth::IssueOverlayToken(std::string_view cookie,
                                                   const std::string& project_id,
                                                   int64_t* expires_ms) const {
  if (!Verify(cookie, nullptr)) return Status::Unauthenticated("sign in first");
  auto parts = Split(cookie, '.');
  const int64_t exp = clock_->NowMs() + limits::kOverlayTokenTtlMs;
  if (expires_ms) *expires_ms = exp;
  const std::string payload = "bt." + project_id + "." + std::to_string(exp) + "." +
                              std::string(parts[1]) + "." + std::string(parts[2]);
  return payload + "." + HmacSha256Hex(secret_, payload);
}

bool SessionAuth::VerifyOverlayToken(std::string_view token, const std::string& project_id) const {
  auto parts = Split(token, '.');
  if (parts.size() != 6 || parts[0] != "bt" || parts[1] != project_id) return false;
  const std::string payload = std::string(token.substr(0, token.rfind('.')));
  if (!ConstantTimeEquals(HmacSha256Hex(secret_, payload), parts[5])) return false;
  int64_t exp = 0, session_exp = 0;
  auto [p, ec] = std::from_chars(parts[2].data(), parts[2].data() + parts[2].size(), exp);
  auto [q, ec2] = std::from_chars(parts[3].data(), parts[3].data() + parts[3].size(), session_exp);
  if (ec != std::errc() || ec2 != std::errc() || exp < clock_->NowMs()) return false;
  if (Revoked(parts[4], session_exp)) return false;
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
