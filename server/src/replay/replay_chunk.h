// ReplayChunkParser: the body of POST /r (docs/wire-format.md "POST /r") — a small envelope and
// a list of rrweb events, as one JSON object or as JSONL (the envelope on the first line, one
// event per line after it) — validated and turned into the form the server stores
// (docs/formats/replay-chunk.md): a header line and one minified event per line.
//
// Untrusted input: never throws, never crashes (replay_chunk_fuzzer.cc); every refusal is a
// Status whose message says what is wrong. What is checked: the envelope's session id (a UUID),
// chunk index (0 .. kMaxReplayChunksPerSession-1) and time span (from_ms <= to_ms, at most
// kMaxReplayChunkSpanMs, after the client's clock skew not more than kMaxPastMs old or
// kMaxFutureMs ahead of the server's clock); 1 .. kMaxReplayEventsPerChunk events, each an
// object with an rrweb `type` 0..6, an integer `timestamp` inside [from_ms, to_ms] and a `data`
// object with the fields its type needs; nesting up to kMaxReplayJsonDepth; valid UTF-8. The
// content of the events (DOM, masked text) is the recorder's business: the server cannot tell
// masked text from text and stores what it gets, re-serialized from the parse tree.
// Thread-safety: one parser per thread (it reuses its buffers).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "tapistry/status.h"

namespace tapistry {

// rrweb's event types (rrweb/packages/types: EventType) and the custom-event tags the recorder
// uses as markers (docs/replay.md "Markers").
inline constexpr int kRrwebFullSnapshot = 2;
inline constexpr int kRrwebIncremental = 3;
inline constexpr int kRrwebMeta = 4;
inline constexpr int kRrwebCustom = 5;
inline constexpr int kRrwebMaxType = 6;
inline constexpr int kRrwebMaxIncrementalSource = 16;
inline constexpr std::string_view kMarkerTruncated = "tapistry.truncated";

struct ReplayChunk {
  std::string session_id;  // canonical lowercase UUID
  int64_t chunk_index = 0;
  int64_t from_ms = 0;  // client clock, as sent
  int64_t to_ms = 0;
  int64_t skew_ms = 0;  // server clock minus client clock (0 without sent_at)
  size_t events = 0;
  bool truncated = false;  // carries a kMarkerTruncated custom event
  // The stored form, uncompressed: the header line, then one event per line.
  std::string content;
};

class ReplayChunkParser {
 public:
  ReplayChunkParser();

  // Parses `body` (already inflated) as received at server time `now_ms`.
  Status Parse(std::string_view body, int64_t now_ms, ReplayChunk* out);

 private:
  Status ParseEnvelope(simdjson::dom::object env, int64_t now_ms, ReplayChunk* out);
  Status AddEvent(simdjson::dom::element ev, size_t index, ReplayChunk* out);

  simdjson::dom::parser parser_;
  simdjson::dom::parser line_parser_;  // JSONL: one event at a time, the envelope kept alive
  bool init_error_ = false;
};

// The blob key of a chunk: replays/<project>/<session>/chunks/<index, 6 digits>.gz
std::string ReplayChunkKey(const std::string& project_id, const std::string& session_id,
                           int64_t chunk_index);
// The prefix of every blob of a session (its chunks and, later, its manifest).
std::string ReplaySessionPrefix(const std::string& project_id, const std::string& session_id);

}  // namespace tapistry
