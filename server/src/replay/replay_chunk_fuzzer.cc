// libFuzzer target: arbitrary bytes as a POST /r body (after inflation) must never crash, hang or
// leak, and every accepted chunk must satisfy what storage and the index rely on: a canonical
// session id, an index in range, from <= to, 1..kMaxReplayEventsPerChunk events, and stored
// content that is a header line plus one JSON object per line — which the parser reads back as
// the same chunk.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "replay/replay_chunk.h"
#include "tapistry/event.h"
#include "tapistry/limits.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static tapistry::ReplayChunkParser parser;
  static tapistry::ReplayChunkParser reparser;
  constexpr int64_t kNow = 1723718400000;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  tapistry::ReplayChunk c;
  if (!parser.Parse(body, kNow, &c).ok()) return 0;
  tapistry::Uuid u;
  if (!tapistry::Uuid::Parse(c.session_id, &u) || u.ToString() != c.session_id) std::abort();
  if (c.chunk_index < 0 || c.chunk_index >= tapistry::limits::kMaxReplayChunksPerSession)
    std::abort();
  if (c.from_ms > c.to_ms || c.events == 0 || c.events > tapistry::limits::kMaxReplayEventsPerChunk)
    std::abort();
  size_t lines = 0;
  for (size_t at = 0; at < c.content.size(); ++lines) {
    const size_t nl = c.content.find('\n', at);
    if (nl == std::string::npos || c.content[at] != '{' || c.content[nl - 1] != '}') std::abort();
    at = nl + 1;
  }
  if (lines != c.events + 1) std::abort();
  // The stored form minus its header is JSONL under the same envelope: it must parse back to the
  // same content (the server's own bytes are a valid chunk).
  const size_t first = c.content.find('\n');
  std::string again = c.content.substr(0, first);
  again.insert(1, "\"k\":\"x\",");
  const size_t events_key = again.find(",\"events\":");
  again = again.substr(0, events_key) + "}" + c.content.substr(first);
  tapistry::ReplayChunk back;
  if (!reparser.Parse(again, kNow, &back).ok() || back.content != c.content) std::abort();
  return 0;
}
