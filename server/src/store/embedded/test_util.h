// Helpers shared by the embedded store's unit tests: the day their events fall on, an event maker
// (and TempDir, from common/).
// Thread-safety: test-only, single-threaded.
#pragma once

#include <cstdint>
#include <string>

#include "common/temp_dir.h"
#include "tapistry/event.h"

namespace tapistry::store::testing {

using ::tapistry::TempDir;

// The UTC day the tests' events fall on (2024-08-15), and its first millisecond.
inline constexpr int32_t kDay = 19950;
inline constexpr int64_t kT0 = int64_t{kDay} * kDayMs;

inline Uuid U(uint64_t hi, uint64_t lo = 0) { return Uuid{hi, lo}; }

inline Event MakeEvent(const std::string& project, int64_t ts, Uuid session, Uuid anon,
                       EventType type = EventType::kPageView, const std::string& path = "/") {
  static uint64_t next_id = 1;
  Event e;
  e.project_id = project;
  e.ts_ms = ts;
  e.ingest_ms = ts + 120;
  e.event_id = Uuid{0xe000000000000000ULL | next_id, next_id * 0x9E3779B97F4A7C15ULL};
  ++next_id;
  e.session_id = session;
  e.anonymous_id = anon;
  e.type = type;
  e.path = path;
  e.url = "https://example.com" + path;
  e.props = "{}";
  return e;
}

}  // namespace tapistry::store::testing
