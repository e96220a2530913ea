#include "replay/replay_service.h"

#include <algorithm>
#include <functional>

#include "common/gzip.h"
#include "common/json_writer.h"
#include "common/params.h"
#include "tapistry/event.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

ReplayChunkParser& ThreadParser() {
  thread_local ReplayChunkParser parser;
  return parser;
}

void WriteSession(const ReplaySession& s, JsonWriter* w) {
  w->BeginObject()
      .Key("session_id")
      .String(s.session_id)
      .Key("first_ts")
      .Int(s.first_ts)
      .Key("last_ts")
      .Int(s.last_ts)
      .Key("duration_ms")
      .Int(std::max<int64_t>(0, s.last_ts - s.first_ts))
      .Key("chunks")
      .Int(s.chunks)
      .Key("bytes")
      .Int(s.bytes)
      .Key("events")
      .Int(s.events)
      .Key("truncated")
      .Bool(s.truncated)
      .EndObject();
}

// "bytes=a-b" / "bytes=a-" against an object of `size` bytes; false when the header is not one
// range this server serves (then the whole object is sent, as RFC 9110 allows).
bool ParseRange(std::string_view h, uint64_t size, uint64_t* from, uint64_t* to) {
  if (!h.starts_with("bytes=") || h.find(',') != std::string_view::npos) return false;
  h.remove_prefix(6);
  const size_t dash = h.find('-');
  if (dash == std::string_view::npos || dash == 0) return false;  // suffix ranges: not served
  auto a = ParseIntStrict(h.substr(0, dash), 0, INT64_MAX);
  if (!a.ok()) return false;
  *from = static_cast<uint64_t>(*a);
  *to = size == 0 ? 0 : size - 1;
  if (dash + 1 < h.size()) {
    auto b = ParseIntStrict(h.substr(dash + 1), 0, INT64_MAX);
    if (!b.ok() || static_cast<uint64_t>(*b) < *from) return false;
    *to = std::min<uint64_t>(*to, static_cast<uint64_t>(*b));
  }
  return true;
}

}  // namespace

ReplayService::ReplayService(BlobStore* blobs, MetaStore* meta, RateLimiter* limiter,
                             MetricsRegistry* metrics, Clock* clock, ReplayOptions opts)
    : blobs_(blobs), meta_(meta), limiter_(limiter), metrics_(metrics), clock_(clock),
      opts_(std::move(opts)) {
  stored_ = metrics_->GetCounter("tapistry_replay_chunks_total", "Replay chunks by outcome",
                                 "outcome=\"stored\"");
  duplicates_ = metrics_->GetCounter("tapistry_replay_chunks_total", "Replay chunks by outcome",
                                     "outcome=\"duplicate\"");
  stored_bytes_ = metrics_->GetCounter("tapistry_replay_stored_bytes_total",
                                       "Compressed bytes of stored replay chunks");
}

Reply ReplayService::Refuse(int status, const char* code, const std::string& reason) {
  metrics_
      ->GetCounter("tapistry_ingest_rejections_total",
                   "Refused ingestion requests by channel and reason",
                   std::string("channel=\"replay\",reason=\"") + code + "\"")
      ->Inc();
  return JsonError(status, code, reason);
}

std::mutex& ReplayService::SessionLock(const std::string& project_id,
                                       const std::string& session_id) {
  const size_t h =
      std::hash<std::string>()(project_id) ^ (std::hash<std::string>()(session_id) * 31);
  return session_locks_[h % session_locks_.size()];
}

// The stored object under `key` compared with `content` by what it holds (inflated), not by its
// gzip bytes: another zlib could compress the same chunk differently.
ReplayService::Stored ReplayService::Compare(const std::string& key, const std::string& content) {
  auto bytes = blobs_->Get(key);
  if (!bytes.ok())
    return bytes.status().code() == StatusCode::kNotFound ? Stored::kAbsent : Stored::kUnreadable;
  std::string inflated;
  // The stored content is the parsed body plus a header line: bounded a little above the body,
  // by size only (our own bytes; a chunk of one repeated event compresses past any ratio).
  constexpr size_t kLimit = limits::kMaxReplayBody + 4096;
  if (!GunzipBounded(*bytes, kLimit, kLimit, &inflated).ok()) {
    return Stored::kUnreadable;
  }
  return inflated == content ? Stored::kSame : Stored::kDifferent;
}

Reply ReplayService::Accepted(const ReplayChunk& chunk, bool duplicate) {
  (duplicate ? duplicates_ : stored_)->Inc();
  JsonWriter w;
  w.BeginObject()
      .Key("accepted")
      .Bool(true)
      .Key("duplicate")
      .Bool(duplicate)
      .Key("next_chunk")
      .Int(chunk.chunk_index + 1)
      .Key("server_time")
      .Int(clock_->NowMs())
      .EndObject();
  Reply r;
  r.body = w.Take();
  return r;
}

Reply ReplayService::Ingest(const RouteCall& call) {
  const Project& project = *call.project;
  const int64_t now = clock_->NowMs();
  ReplayChunk chunk;
  if (Status s = ThreadParser().Parse(call.req.body, now, &chunk); !s.ok()) {
    return Refuse(HttpStatusFor(s.code()), StatusCodeName(s.code()), s.message());
  }
  std::string gz;
  if (Status s = GzipCompress(chunk.content, opts_.zlib_level, &gz); !s.ok()) {
    return Refuse(500, "internal", s.message());
  }
  const std::string key = ReplayChunkKey(project.id, chunk.session_id, chunk.chunk_index);
  ReplayChunkInfo info;
  info.session_id = chunk.session_id;
  info.chunk_index = chunk.chunk_index;
  info.first_ts = chunk.from_ms + chunk.skew_ms;
  info.last_ts = chunk.to_ms + chunk.skew_ms;
  info.bytes = static_cast<int64_t>(gz.size());
  info.events = static_cast<int64_t>(chunk.events);
  info.truncated = chunk.truncated;
  info.received_ms = now;
  auto unavailable = [this](const std::string& why) {
    Reply r = Refuse(503, "unavailable", why);
    r.AddHeader("Retry-After", "1");
    return r;
  };
  // A chunk already under the key: a retry of the same chunk succeeds, another chunk conflicts.
  auto settle = [&](Stored st) -> Reply {
    if (st == Stored::kUnreadable)
      return unavailable("the stored chunk under this key cannot be read now");
    if (st == Stored::kDifferent) {
      return Refuse(409, "chunk_conflict",
                    "another chunk is stored as chunk " + std::to_string(chunk.chunk_index) +
                        " of this session; a chunk is never replaced");
    }
    // Idempotent: a crash after the blob and before the index is repaired here.
    if (Status s = meta_->AddReplayChunk(project.id, info); !s.ok())
      return unavailable("replay index: " + s.message());
    return Accepted(chunk, /*duplicate=*/true);
  };

  std::lock_guard lock(SessionLock(project.id, chunk.session_id));
  if (Stored st = Compare(key, chunk.content); st != Stored::kAbsent) return settle(st);

  auto session = meta_->GetReplaySession(project.id, chunk.session_id);
  if (!session.ok()) return unavailable("replay index: " + session.status().message());
  const int kb = project.settings.replay_session_kb > 0 ? project.settings.replay_session_kb
                                                        : limits::kDefaultReplaySessionKb;
  const int64_t cap = int64_t{kb} * 1024;
  const int64_t used = session->has_value() ? (*session)->bytes : 0;
  if (used + info.bytes > cap) {
    // The recording stops here: the player says so.
    (void)meta_->MarkReplayTruncated(project.id, chunk.session_id);
    Reply r = Refuse(429, "session_cap",
                     "the session stored " + std::to_string(used) + " of its " +
                         std::to_string(cap) + " compressed bytes; this chunk does not fit");
    r.AddHeader("Retry-After", "3600");
    return r;
  }
  int retry = 1;
  if (!limiter_->Allow("replay:s:" + project.id + ":" + chunk.session_id,
                       limits::kReplaySessionChunksPerSecond, limits::kReplaySessionChunkBurst, 1,
                       &retry)) {
    Reply r = Refuse(429, "rate_limited", "session chunk rate over 1/s");
    r.AddHeader("Retry-After", std::to_string(retry));
    return r;
  }
  if (opts_.free_bytes && opts_.free_bytes() < opts_.min_free_bytes + gz.size()) {
    Reply r = Refuse(503, "disk_full",
                     "the server's disk is nearly full; replays resume when space is freed");
    r.AddHeader("Retry-After", "60");
    return r;
  }
  Status put = blobs_->PutIfAbsent(key, gz);
  if (put.code() == StatusCode::kAlreadyExists) return settle(Compare(key, chunk.content));
  if (!put.ok()) return unavailable("could not store the chunk: " + put.message());
  if (Status s = meta_->AddReplayChunk(project.id, info); !s.ok()) {
    // Stored but not indexed: not acknowledged; the client's retry finds the chunk and indexes it.
    return unavailable("replay index: " + s.message());
  }
  stored_bytes_->Inc(gz.size());
  if (opts_.on_stored) opts_.on_stored(project.id, chunk.content);
  return Accepted(chunk, /*duplicate=*/false);
}

Result<std::optional<std::unordered_set<std::string>>> ReplayService::MatchingSessions(
    const RouteCall& call, const ReplayListOptions& opts) const {
  const HttpRequest& req = call.req;
  const std::string path = req.Query("path"), selector = req.Query("selector");
  const std::string device = req.Query("device"), country = req.Query("country");
  using Matching = std::optional<std::unordered_set<std::string>>;
  if (path.empty() && selector.empty() && device.empty() && country.empty()) return Matching();
  if (!opts_.funnel_members)
    return Status::Unavailable("this server cannot filter replays by what happened in them");
  FunnelStep step;
  step.type = selector.empty() ? FunnelStepType::kPageView : FunnelStepType::kClick;
  step.selector = selector;
  // no page: any page (every path starts with "/")
  step.path = path.empty() && selector.empty() ? "/" : path;
  step.path_match = path.empty() ? PathMatch::kPrefix : PathMatch::kEquals;
  // No regex here: the funnel API vets a regex's shape against catastrophic backtracking
  // (api/funnel_json.cc); this list takes only the three matches that cannot backtrack.
  if (req.HasQuery("match") && (!ParsePathMatch(req.Query("match"), &step.path_match) ||
                                step.path_match == PathMatch::kRegex)) {
    return Status::InvalidArgument("match must be equals, prefix or contains");
  }
  if (!device.empty()) step.filters.push_back({Dimension::kDevice, device});
  if (!country.empty()) step.filters.push_back({Dimension::kCountry, country});
  FunnelMembersQuery q;
  q.funnel.project_id = call.project_id;
  // the days the list covers (a session's events are followed from its first one's day)
  const int64_t now = clock_->NowMs();
  q.funnel.from_day = DayOf(opts.from_ms == INT64_MIN ? now - 30 * 86400000LL : opts.from_ms);
  q.funnel.to_day = DayOf(opts.to_ms == INT64_MAX ? now : opts.to_ms);
  q.funnel.steps.push_back(std::move(step));
  q.funnel.window_ms = kMaxFunnelWindowMs;
  q.funnel.include_bots = req.Query("bots") == "include";
  q.limit = kMaxFunnelMembers;
  TAP_RETURN_IF_ERROR(ValidateFunnelMembersQuery(q));
  auto r = opts_.funnel_members(q);
  if (!r.ok()) return r.status();
  std::unordered_set<std::string> out;
  for (const FunnelMember& m : r->members) out.insert(m.session_id.ToString());
  return Matching(std::move(out));
}

Reply ReplayService::List(const RouteCall& call) {
  const HttpRequest& req = call.req;
  auto limit = LimitParam(req, 100, limits::kMaxListLimit);
  if (!limit.ok()) return JsonError(400, "invalid_argument", limit.status().message());
  ReplayListOptions opts;
  opts.limit = *limit;
  if (const std::string sort = req.Query("sort"); sort == "longest") {
    opts.order = ReplayOrder::kLongest;
  } else if (sort == "largest") {
    opts.order = ReplayOrder::kLargest;
  } else if (!sort.empty() && sort != "newest") {
    return JsonError(400, "invalid_argument", "sort must be newest, longest or largest");
  }
  for (auto [name, field] :
       {std::pair<const char*, int64_t*>{"from", &opts.from_ms}, {"to", &opts.to_ms}}) {
    if (!req.HasQuery(name)) continue;
    auto v = ParseIntStrict(req.Query(name), limits::kEarliestQueryMs, limits::kLatestQueryMs - 1);
    if (!v.ok())
      return JsonError(400, "invalid_argument",
                       std::string(name) + " must be a time in ms since the epoch");
    *field = *v;
  }
  // Filters: the recorded sessions whose events show a page, a click, a device, a country.
  auto matching = MatchingSessions(call, opts);
  if (!matching.ok()) {
    return JsonError(HttpStatusFor(matching.status().code()),
                     StatusCodeName(matching.status().code()), matching.status().message());
  }
  const size_t want = opts.limit;
  if (matching->has_value()) opts.limit = limits::kMaxListLimit;
  auto sessions = meta_->ListReplaySessions(call.project_id, opts);
  if (!sessions.ok()) return JsonError(503, "unavailable", sessions.status().message());
  JsonWriter w;
  w.BeginObject().Key("sessions").BeginArray();
  size_t listed = 0;
  for (const ReplaySession& s : *sessions) {
    if (listed == want) break;
    if (matching->has_value() && !(*matching)->contains(s.session_id)) continue;
    WriteSession(s, &w);
    ++listed;
  }
  w.EndArray();
  if (matching->has_value()) w.Key("filtered").Bool(true);
  w.EndObject();
  Reply r;
  r.body = w.Take();
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

Reply ReplayService::Read(const RouteCall& call) {
  // /api/replays/<session>[/chunks/<i>]
  std::string_view rest = call.req.path;
  rest.remove_prefix(std::min(rest.size(), std::string_view("/api/replays/").size()));
  const size_t slash = rest.find('/');
  Uuid sid;
  if (!Uuid::Parse(rest.substr(0, slash), &sid)) {
    return JsonError(404, "not_found", "replay URLs are /api/replays/<session id>[/chunks/<n>]");
  }
  const std::string session = sid.ToString();
  if (slash == std::string_view::npos) {
    auto s = meta_->GetReplaySession(call.project_id, session);
    if (!s.ok()) return JsonError(503, "unavailable", s.status().message());
    if (!s->has_value())
      return JsonError(404, "not_found", "no recorded session " + session + " in this project");
    auto chunks = meta_->ListReplayChunks(call.project_id, session);
    if (!chunks.ok()) return JsonError(503, "unavailable", chunks.status().message());
    JsonWriter w;
    w.BeginObject().Key("session");
    WriteSession(**s, &w);
    w.Key("chunks").BeginArray();
    for (const ReplayChunkInfo& c : *chunks) {
      w.BeginObject()
          .Key("chunk_index")
          .Int(c.chunk_index)
          .Key("first_ts")
          .Int(c.first_ts)
          .Key("last_ts")
          .Int(c.last_ts)
          .Key("bytes")
          .Int(c.bytes)
          .Key("events")
          .Int(c.events)
          .EndObject();
    }
    w.EndArray().EndObject();
    Reply r;
    r.body = w.Take();
    r.AddHeader("Cache-Control", "no-store");
    return r;
  }
  const std::string_view tail = rest.substr(slash);
  if (!tail.starts_with("/chunks/"))
    return JsonError(404, "not_found", "replay URLs are /api/replays/<session id>[/chunks/<n>]");
  auto index = ParseIntStrict(tail.substr(8), 0, limits::kMaxReplayChunksPerSession - 1);
  if (!index.ok())
    return JsonError(
        404, "not_found",
        "a chunk number is 0.." + std::to_string(limits::kMaxReplayChunksPerSession - 1));
  const std::string key = ReplayChunkKey(call.project_id, session, *index);
  auto size = blobs_->Size(key);
  if (!size.ok()) {
    if (size.status().code() == StatusCode::kNotFound)
      return JsonError(404, "not_found", "no such chunk");
    return JsonError(503, "unavailable", size.status().message());
  }
  Reply r;
  r.content_type = "application/gzip";
  r.AddHeader("Accept-Ranges", "bytes");
  r.AddHeader("Cache-Control", "private, max-age=86400, immutable");  // a chunk never changes
  r.AddHeader("X-Content-Type-Options", "nosniff");
  uint64_t from = 0, to = 0;
  const std::string_view range = call.req.Header("range");
  if (!range.empty() && ParseRange(range, *size, &from, &to)) {
    if (from >= *size) {
      Reply bad = JsonError(416, "range_not_satisfiable",
                            "the chunk has " + std::to_string(*size) + " bytes");
      bad.AddHeader("Content-Range", "bytes */" + std::to_string(*size));
      return bad;
    }
    auto part = blobs_->GetRange(key, from, to - from + 1);
    if (!part.ok()) return JsonError(503, "unavailable", part.status().message());
    r.status = 206;
    r.AddHeader("Content-Range", "bytes " + std::to_string(from) + "-" +
                                     std::to_string(from + part->size() - 1) + "/" +
                                     std::to_string(*size));
    r.body = std::move(part).value();
    return r;
  }
  auto whole = blobs_->Get(key);
  if (!whole.ok()) return JsonError(503, "unavailable", whole.status().message());
  r.body = std::move(whole).value();
  return r;
}

Result<bool> ReplayService::DeleteSession(const std::string& project_id,
                                          const std::string& session_id) {
  std::lock_guard lock(SessionLock(project_id, session_id));
  auto chunks = meta_->ListReplayChunks(project_id, session_id);
  if (!chunks.ok()) return chunks.status();
  for (const ReplayChunkInfo& c : *chunks) {
    Status s = blobs_->Delete(ReplayChunkKey(project_id, session_id, c.chunk_index));
    if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  }
  return meta_->DeleteReplaySession(project_id, session_id);
}

Result<uint64_t> ReplayService::ApplyRetention(const std::string& project_id, int days) {
  if (days <= 0) return uint64_t{0};
  ReplayListOptions old;
  old.to_ms = clock_->NowMs() - int64_t{days} * 86400000;
  old.limit = 500;
  uint64_t deleted = 0;
  for (;;) {
    auto batch = meta_->ListReplaySessions(project_id, old);
    if (!batch.ok()) return batch.status();
    for (const ReplaySession& r : *batch) {
      auto d = DeleteSession(project_id, r.session_id);
      if (!d.ok()) return d.status();
      deleted += *d ? 1 : 0;
    }
    if (batch->size() < old.limit) return deleted;
  }
}

}  // namespace tapistry
