#include "ingest/cookieless.h"

#include <cstdlib>

#include "common/crypto.h"

namespace tapistry {
namespace {

std::string SaltKey(int64_t day) { return "cookieless_salt:" + std::to_string(day); }

// A version-4-shaped UUID from 32 hex digits.
Uuid UuidFromHex(const std::string& hex) {
  Uuid u;
  u.hi = std::strtoull(hex.substr(0, 16).c_str(), nullptr, 16);
  u.lo = std::strtoull(hex.substr(16, 16).c_str(), nullptr, 16);
  u.hi = (u.hi & ~uint64_t{0xF000}) | 0x4000;
  u.lo = (u.lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  return u;
}

}  // namespace

Result<std::string> CookielessIds::SaltLocked(int64_t day) {
  if (day == salt_day_) return salt_;
  auto stored = meta_->GetValue(SaltKey(day));
  if (!stored.ok()) return stored.status();
  std::string salt = stored->value_or("");
  if (salt.empty()) {
    salt = RandomHex(32);
    TAP_RETURN_IF_ERROR(meta_->PutValue(SaltKey(day), salt));
    // Another node may have made one at the same moment: the stored one wins.
    auto again = meta_->GetValue(SaltKey(day));
    if (!again.ok()) return again.status();
    if (again->has_value() && !(*again)->empty()) salt = **again;
  }
  // Older salts are destroyed: overwritten, as the store has no delete (its secure_delete zeroes
  // the old bytes). Yesterday's stays a day, for a node whose clock is still before midnight.
  for (int64_t old = day - 2; old >= day - 4; --old) (void)meta_->PutValue(SaltKey(old), "");
  salt_day_ = day;
  salt_ = salt;
  return salt;
}

Result<CookielessIds::Ids> CookielessIds::Assign(const std::string& project_id,
                                                 const std::string& client_ip,
                                                 const std::string& user_agent) {
  const int64_t now = clock_->NowMs();
  const int64_t day = now / 86400000;
  std::lock_guard lock(mu_);
  auto salt = SaltLocked(day);
  if (!salt.ok()) return salt.status();
  std::string who = project_id;
  who.push_back('\0');
  who += client_ip;
  who.push_back('\0');
  who += user_agent;
  Ids ids;
  ids.anonymous_id = UuidFromHex(HmacSha256Hex(*salt, who));
  if (sessions_.size() >= kMaxSessions) {
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      it = now - it->second.last_ms > kSessionGapMs ? sessions_.erase(it) : std::next(it);
    }
    if (sessions_.size() >= kMaxSessions) sessions_.clear();
  }
  Live& live = sessions_[ids.anonymous_id];
  if (live.last_ms == 0 || now - live.last_ms > kSessionGapMs) {
    live.session = UuidFromHex(RandomHex(16));
  }
  live.last_ms = now;
  ids.session_id = live.session;
  return ids;
}

}  // namespace tapistry
