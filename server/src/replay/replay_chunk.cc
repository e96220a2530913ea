#include "replay/replay_chunk.h"

#include <algorithm>
#include <cstdio>

#include "common/json_writer.h"
#include "tapistry/event.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

Status Bad(std::string m) { return Status::InvalidArgument(std::move(m)); }

// An integer field of `o`; false when absent or not an integer.
bool IntField(object o, std::string_view name, int64_t* v) {
  auto f = o.at_key(name);
  if (f.error() || !f.value_unsafe().is_int64()) return false;
  *v = int64_t(f.value_unsafe());
  return true;
}

bool Has(object o, std::string_view name, simdjson::dom::element_type type) {
  auto f = o.at_key(name);
  return !f.error() && f.value_unsafe().type() == type;
}

std::string_view FirstLine(std::string_view body) {
  const size_t nl = body.find('\n');
  return nl == std::string_view::npos ? body : body.substr(0, nl);
}

bool Blank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

}  // namespace

ReplayChunkParser::ReplayChunkParser()
    : parser_(limits::kMaxReplayBody + 1024), line_parser_(limits::kMaxReplayBody + 1024) {
  // Capacity grows with the input; the depth is fixed here and kept by every later growth.
  init_error_ = parser_.allocate(64 * 1024, limits::kMaxReplayJsonDepth) != simdjson::SUCCESS ||
                line_parser_.allocate(64 * 1024, limits::kMaxReplayJsonDepth) != simdjson::SUCCESS;
}

Status ReplayChunkParser::ParseEnvelope(object env, int64_t now_ms, ReplayChunk* out) {
  int64_t v = 1;
  if (auto f = env.at_key("v"); !f.error() && (!IntField(env, "v", &v) || v != 1)) {
    return Bad("v must be 1 (this server reads version 1 of the replay chunk format)");
  }
  auto sid = env.at_key("session_id");
  Uuid session;
  if (sid.error() || !sid.value_unsafe().is_string() ||
      std::string_view(sid.value_unsafe()).size() > limits::kMaxReplaySessionIdBytes ||
      !Uuid::Parse(std::string_view(sid.value_unsafe()), &session) || session.IsNil()) {
    return Bad("session_id must be the session's UUID");
  }
  out->session_id = session.ToString();
  if (!IntField(env, "chunk_index", &out->chunk_index) || out->chunk_index < 0 ||
      out->chunk_index >= limits::kMaxReplayChunksPerSession) {
    return Bad("chunk_index must be an integer 0.." +
               std::to_string(limits::kMaxReplayChunksPerSession - 1));
  }
  if (!IntField(env, "from_ms", &out->from_ms) || !IntField(env, "to_ms", &out->to_ms)) {
    return Bad("from_ms and to_ms must be integers (ms since the epoch, client clock)");
  }
  // Years 2000..2200 first: the arithmetic below cannot overflow.
  if (out->from_ms < limits::kEarliestQueryMs || out->to_ms >= limits::kLatestQueryMs) {
    return Bad("the chunk's times are more than 7 days old or in the future (client clock wrong?)");
  }
  if (out->from_ms > out->to_ms || out->to_ms - out->from_ms > limits::kMaxReplayChunkSpanMs) {
    return Bad("from_ms must not be after to_ms, and a chunk spans at most an hour");
  }
  int64_t sent_at = 0;
  out->skew_ms = 0;
  if (!env.at_key("sent_at").error()) {
    if (!IntField(env, "sent_at", &sent_at) || sent_at < out->to_ms ||
        sent_at - out->to_ms > limits::kMaxPastMs) {
      return Bad("sent_at must be an integer not before to_ms (ms, client clock)");
    }
    out->skew_ms = now_ms - sent_at;
  }
  if (out->from_ms + out->skew_ms < now_ms - limits::kMaxPastMs ||
      out->to_ms + out->skew_ms > now_ms + limits::kMaxFutureMs) {
    return Bad("the chunk's times are more than 7 days old or in the future (client clock wrong?)");
  }
  return Status::Ok();
}

Status ReplayChunkParser::AddEvent(element ev, size_t index, ReplayChunk* out) {
  auto at = [index](const std::string& what) {
    return Bad("events[" + std::to_string(index) + "]: " + what);
  };
  if (!ev.is_object()) return at("must be an object");
  if (out->events >= limits::kMaxReplayEventsPerChunk) {
    return Status::TooLarge("a chunk holds at most " +
                            std::to_string(limits::kMaxReplayEventsPerChunk) + " events");
  }
  object o = ev.get_object().value_unsafe();
  int64_t type = 0, ts = 0;
  if (!IntField(o, "type", &type) || type < 0 || type > kRrwebMaxType)
    return at("type must be an rrweb event type 0..6");
  if (!IntField(o, "timestamp", &ts) || ts < out->from_ms || ts > out->to_ms) {
    return at("timestamp must be an integer inside [from_ms, to_ms]");
  }
  auto data = o.at_key("data");
  if (data.error() || !data.value_unsafe().is_object()) return at("data must be an object");
  object d = data.value_unsafe().get_object().value_unsafe();
  using T = simdjson::dom::element_type;
  switch (type) {
    case kRrwebFullSnapshot:
      if (!Has(d, "node", T::OBJECT)) return at("a full snapshot needs data.node");
      break;
    case kRrwebIncremental: {
      int64_t source = -1;
      if (!IntField(d, "source", &source) || source < 0 || source > kRrwebMaxIncrementalSource) {
        return at("an incremental snapshot needs data.source 0..16");
      }
      break;
    }
    case kRrwebMeta:
      if (!Has(d, "href", T::STRING)) return at("a meta event needs data.href");
      break;
    case kRrwebCustom: {
      auto tag = d.at_key("tag");
      if (tag.error() || !tag.value_unsafe().is_string() ||
          std::string_view(tag.value_unsafe()).empty() ||
          std::string_view(tag.value_unsafe()).size() > 64) {
        return at("a custom event needs data.tag (1..64 bytes)");
      }
      if (std::string_view(tag.value_unsafe()) == kMarkerTruncated) out->truncated = true;
      break;
    }
    default:
      break;
  }
  out->content += simdjson::minify(ev);
  out->content += '\n';
  ++out->events;
  return Status::Ok();
}

Status ReplayChunkParser::Parse(std::string_view body, int64_t now_ms, ReplayChunk* out) {
  *out = ReplayChunk();
  if (init_error_) return Status::Internal("replay chunk parser: out of memory");
  if (body.size() > limits::kMaxReplayBody) {
    return Status::TooLarge("a chunk is at most " + std::to_string(limits::kMaxReplayBody) +
                            " bytes inflated");
  }
  element doc;
  auto whole = parser_.parse(body.data(), body.size());
  bool jsonl = false;
  if (whole.error()) {
    // Not one JSON document: JSONL when the first line is an envelope without events.
    const std::string_view first = FirstLine(body);
    if (first.size() == body.size() || parser_.parse(first.data(), first.size()).get(doc) ||
        !doc.is_object() || !doc.get_object().value_unsafe().at_key("events").error()) {
      return Bad(
          std::string(
              "body must be a JSON object or JSONL (envelope line, then one event per line): ") +
          simdjson::error_message(whole.error()));
    }
    jsonl = true;
  } else {
    doc = whole.value_unsafe();
  }
  if (!doc.is_object()) return Bad("body must be a JSON object (the chunk envelope)");
  object env = doc.get_object().value_unsafe();
  TAP_RETURN_IF_ERROR(ParseEnvelope(env, now_ms, out));
  out->content.reserve(body.size() + 256);
  if (!jsonl) {
    simdjson::dom::array events;
    if (env.at_key("events").get_array().get(events))
      return Bad("events must be an array of rrweb events");
    size_t i = 0;
    for (element ev : events) TAP_RETURN_IF_ERROR(AddEvent(ev, i++, out));
  } else {
    size_t i = 0;
    size_t pos = FirstLine(body).size() + 1;
    while (pos < body.size()) {
      size_t nl = body.find('\n', pos);
      if (nl == std::string_view::npos) nl = body.size();
      const std::string_view line = body.substr(pos, nl - pos);
      pos = nl + 1;
      if (Blank(line)) continue;
      element ev;
      if (auto err = line_parser_.parse(line.data(), line.size()).get(ev)) {
        return Bad("events[" + std::to_string(i) + "] (line " + std::to_string(i + 2) +
                   "): " + simdjson::error_message(err));
      }
      TAP_RETURN_IF_ERROR(AddEvent(ev, i++, out));
    }
  }
  if (out->events == 0) return Bad("a chunk carries at least one event");
  JsonWriter h;
  h.BeginObject()
      .Key("v")
      .Int(1)
      .Key("session_id")
      .String(out->session_id)
      .Key("chunk_index")
      .Int(out->chunk_index)
      .Key("from_ms")
      .Int(out->from_ms)
      .Key("to_ms")
      .Int(out->to_ms)
      .Key("events")
      .Uint(out->events)
      .EndObject();
  std::string header = h.Take();
  header += '\n';
  out->content.insert(0, header);
  return Status::Ok();
}

std::string ReplaySessionPrefix(const std::string& project_id, const std::string& session_id) {
  return "replays/" + project_id + "/" + session_id + "/";
}

std::string ReplayChunkKey(const std::string& project_id, const std::string& session_id,
                           int64_t chunk_index) {
  char n[24];
  std::snprintf(n, sizeof n, "%06lld", static_cast<long long>(chunk_index));
  return ReplaySessionPrefix(project_id, session_id) + "chunks/" + n + ".gz";
}

}  // namespace tapistry
