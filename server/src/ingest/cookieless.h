// CookielessIds: a project's visitors and sessions when the project runs in cookieless mode
// (ProjectSettings::cookieless, docs/privacy.md "Cookieless mode"): the browser stores nothing,
// so the server names the visitor itself, as Plausible does — anonymous_id = a keyed hash of
// (today's salt, project, client IP, user agent), with a random salt per UTC day kept in the
// meta store and destroyed after the next day, so yesterday's visitors cannot be linked to
// today's nor re-identified from their IP. A session is that visitor's activity without a
// 30-minute gap, tracked in memory (a restart starts new sessions).
// Thread-safety: safe for concurrent use.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "tapistry/clock.h"
#include "tapistry/event.h"
#include "tapistry/meta_store.h"
#include "tapistry/status.h"

namespace tapistry {

class CookielessIds {
 public:
  CookielessIds(MetaStore* meta, Clock* clock) : meta_(meta), clock_(clock) {}

  struct Ids {
    Uuid anonymous_id;
    Uuid session_id;
  };
  // The ids of a request from (client_ip, user_agent) to the project, now.
  Result<Ids> Assign(const std::string& project_id, const std::string& client_ip,
                     const std::string& user_agent);

  static constexpr int64_t kSessionGapMs = 30LL * 60 * 1000;
  static constexpr size_t kMaxSessions = 1000000;  // live sessions tracked in memory

 private:
  struct Live {
    Uuid session;
    int64_t last_ms = 0;
  };
  // mu_ held: today's salt, made (and the day-before-yesterday's destroyed) on a new day.
  Result<std::string> SaltLocked(int64_t day);

  MetaStore* meta_;
  Clock* clock_;
  std::mutex mu_;
  int64_t salt_day_ = -1;
  std::string salt_;
  std::unordered_map<Uuid, Live, UuidHash> sessions_;
};

}  // namespace tapistry
