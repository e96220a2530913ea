// IngestMonitor: what ingestion saw of each project lately, for the dashboard's "verify
// installation" (GET /api/install/status, docs/api.md): the last requests whose events were
// stored (when, from which origin, how many), and the refusals — origin not allowed, DNT / GPC
// honoured, rate limited, bad body, and unknown keys (attributed to a project by its allowed
// origins or the origins its events came from, since an unknown key names no project).
// In memory and bounded: a restart forgets it; nothing here is a secret or a visitor's data.
// Thread-safety: safe for concurrent use (one mutex; called once per request, not per event).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "tapistry/clock.h"
#include "tapistry/meta_store.h"

namespace tapistry {

class IngestMonitor {
 public:
  explicit IngestMonitor(Clock* clock) : clock_(clock) {}

  // A request of the project stored `events` events (0 for a snapshot or a replay chunk).
  void Accepted(const std::string& project_id, std::string_view origin, uint64_t events);
  // A request was refused for `reason` (the JSON "error" code). project_id is "" when the key
  // named no project (unknown_key / missing_key).
  void Refused(const std::string& project_id, std::string_view origin, std::string_view reason);

  // {"last_event_ms","last_origin","recent":[{ts_ms,origin,accepted}],"problems":[{reason,
  // origin,count,last_ms}]}: newest first.
  std::string StatusJson(const Project& p) const;

  static constexpr size_t kRecent = 10;           // accepted requests kept per project
  static constexpr size_t kProblems = 32;         // (reason, origin) pairs kept per project
  static constexpr size_t kUnknownOrigins = 256;  // origins of unknown-key refusals kept

 private:
  struct Seen {
    int64_t ts_ms = 0;
    std::string origin;
    uint64_t accepted = 0;
  };
  struct Problem {
    uint64_t count = 0;
    int64_t last_ms = 0;
  };
  using ProblemKey = std::pair<std::string, std::string>;  // reason, origin
  struct PerProject {
    std::deque<Seen> recent;  // newest first
    std::map<ProblemKey, Problem> problems;
  };
  // Drops the entry seen longest ago when `m` holds more than `cap`.
  template <typename K>
  static void Trim(std::map<K, Problem>* m, size_t cap);

  Clock* clock_;
  mutable std::mutex mu_;
  std::map<std::string, PerProject> projects_;
  std::map<ProblemKey, Problem> unknown_;  // (reason, origin) of refusals naming no project
};

}  // namespace tapistry
