// libFuzzer target for the WAL record payload decoder (STYLE: a fuzzer per parser of bytes we do
// not fully trust: a WAL can be damaged on disk). Properties: decoding arbitrary bytes never
// crashes, over-reads or aborts; whatever decodes re-encodes to a payload that decodes to the
// same number of events with the same ids.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/event_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tapistry;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  int64_t accept_ms = 0;
  std::vector<Event> events;
  if (!DecodeEventBatch(in, &accept_ms, &events).ok()) return 0;
  std::string again;
  StartEventBatch(accept_ms, &again);
  for (const Event& e : events) EncodeEvent(e, &again);
  int64_t accept_again = 0;
  std::vector<Event> events_again;
  if (!DecodeEventBatch(again, &accept_again, &events_again).ok() || accept_again != accept_ms ||
      events_again.size() != events.size()) {
    __builtin_trap();
  }
  for (size_t i = 0; i < events.size(); ++i) {
    if (!(events[i].event_id == events_again[i].event_id) ||
        events[i].props != events_again[i].props) {
      __builtin_trap();
    }
  }
  return 0;
}
