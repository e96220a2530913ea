// libFuzzer target: arbitrary bytes as a POST /i body (and as an import line) must never crash,
// hang or leak, and every accepted event must satisfy the invariants storage relies on.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/event_parser.h"

using tapistry::EventParser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static EventParser parser;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  tapistry::ParseOptions opts;
  opts.now_ms = 1723718400000;
  tapistry::ParsedBatch batch;
  if (parser.ParseBatch(body, opts, &batch).ok()) {
    for (const auto& e : batch.events) {
      if (e.path.empty() || e.path[0] != '/') std::abort();
      if (e.url.rfind("http", 0) != 0) std::abort();
      if (e.HasPoint() && (e.x < 0 || e.x > 1 || e.y < 0 || e.y > 1)) std::abort();
      if (e.depth_pct != tapistry::kNoDepth && e.depth_pct > 100) std::abort();
      if (e.props.empty() || e.props[0] != '{') std::abort();
    }
    if (batch.events.size() != batch.event_index.size()) std::abort();
  }
  tapistry::Event ev;
  tapistry::EventError err;
  size_t unknown = 0;
  opts.import_mode = true;
  (void)parser.ParseOne(body, opts, &ev, &err, &unknown);
  return 0;
}
