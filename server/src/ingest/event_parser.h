// Parses and validates client JSON into Events (spec §4.1, Appendix A, docs/wire-format.md).
// Every field is checked (types, lengths, UUIDs, ranges); a bad event is rejected with a reason
// and never takes the valid events of its batch down with it. URLs are re-sanitized and paths
// recomputed here, PII is redacted from titles, URLs, selectors and property values.
// Enrichment from the request (UA, country, bot score) and the project id are set by the caller.
// Thread-safety: an EventParser instance is used by one thread at a time (it owns simdjson
// buffers); keep one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tapistry/event.h"
#include "tapistry/status.h"

namespace tapistry {

struct ParseOptions {
  int64_t now_ms = 0;  // server clock
  // Client clock correction, added to each event's ts: server time minus the client's sent_at.
  // Computed by ParseBatch from the body's sent_at when client_time_ms is 0.
  int64_t client_time_ms = 0;  // X-Client-Time header, 0 = none
  bool import_mode = false;    // import files: server-side fields allowed, no time window
  const std::vector<std::string>* query_allowlist = nullptr;  // kept query params of url/referrer
  const std::vector<std::string>* path_rules = nullptr;       // applied to each path (url.h)
};

struct EventError {
  size_t index = 0;  // position in the batch (line number - 1 for imports)
  std::string id;    // the event's id when it had a readable one
  std::string field;
  std::string reason;
};

struct ParsedBatch {
  std::vector<Event> events;
  std::vector<size_t> event_index;  // position in the batch of each entry of `events`
  std::vector<EventError> errors;
  size_t unknown_keys = 0;  // keys we do not know, ignored
  std::string key;          // body "k" (project public key), "" when absent
  bool webdriver = false;   // client.webdriver
  bool consent = false;     // "consent":1 — sent after the visitor's consent (docs/privacy.md)
  int64_t skew_ms = 0;      // the correction that was applied
};

class EventParser {
 public:
  EventParser();
  ~EventParser();
  EventParser(const EventParser&) = delete;
  EventParser& operator=(const EventParser&) = delete;

  // A whole POST /i body. Returns an error Status only when nothing of the body is usable
  // (malformed JSON, not an object, no events array, too many events); per-event problems go to
  // out->errors.
  Status ParseBatch(std::string_view body, const ParseOptions& opts, ParsedBatch* out);

  // One event object (an NDJSON import line). Returns false and fills *err when it is rejected.
  bool ParseOne(std::string_view json, const ParseOptions& opts, Event* out, EventError* err,
                size_t* unknown_keys);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Replaces every invalid UTF-8 sequence with U+FDD0 (a noncharacter no valid event may contain),
// so a batch with one bad string still parses and only that event is rejected. Returns the number
// of replacements.
size_t RepairUtf8(std::string_view in, std::string* out);

}  // namespace tapistry
