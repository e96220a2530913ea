// Helpers shared by the pipeline module's tests (and its bench): deterministic-random events and a
// blocking Submit; TempDir comes from common/temp_dir.h.
// Thread-safety: TestEvents is per-thread (seeded RNG).
#pragma once

#include <future>
#include <random>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "pipeline/pipeline.h"
#include "tapistry/event.h"

namespace tapistry {

class TestEvents {
 public:
  explicit TestEvents(uint64_t seed) : rng_(seed) {}
  Uuid RandomUuid() { return Uuid{rng_(), rng_()}; }
  // A click event with every field set, at `ts_ms`.
  Event Make(int64_t ts_ms) {
    Event e;
    e.ts_ms = ts_ms;
    e.ingest_ms = ts_ms + 120;
    e.event_id = RandomUuid();
    e.session_id = RandomUuid();
    e.anonymous_id = RandomUuid();
    e.project_id = "p_0123456789abcdef";
    e.type = EventType::kClick;
    e.url = "https://example.com/pricing?utm_source=news";
    e.path = "/pricing";
    e.title = "Pricing";
    e.referrer = "https://news.example.org/";
    e.utm_source = "news";
    e.device_class = DeviceClass::kDesktop;
    e.browser = "Firefox";
    e.os = "Linux";
    e.country[0] = 'D';
    e.country[1] = 'E';
    e.viewport_w = 1440;
    e.viewport_h = 900;
    e.x = 0.25f;
    e.y = 0.75f;
    e.ex = 0.5f;
    e.ey = 0.125f;
    e.selector_hash = rng_() | 1;
    e.selector = "main > button.buy";
    e.props = "{\"plan\":\"pro\"}";
    return e;
  }
  std::vector<Event> Batch(size_t n, int64_t ts_ms) {
    std::vector<Event> v;
    for (size_t i = 0; i < n; ++i) v.push_back(Make(ts_ms));
    return v;
  }

 private:
  std::mt19937_64 rng_;
};

// What a Submit's callback reported.
struct Outcome {
  Status status;
  SubmitResult result;
};

// Submits `events` and waits for the callback (the ack, or the reason there is none).
inline Outcome SubmitSync(Pipeline* p, std::vector<Event> events) {
  std::promise<Outcome> done;
  auto future = done.get_future();
  p->Submit(std::move(events), [&done](Status s, SubmitResult r) {
    done.set_value(Outcome{std::move(s), r});
  });
  return future.get();
}

}  // namespace tapistry
