#include "ingest/admission.h"

#include <simdjson.h>

#include "common/json_writer.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

struct ChannelRates {
  const char* name;    // metrics label and rate-limiter key prefix
  double project_rps;  // 0 = no project limit
  double project_burst;
  double ip_rps;
  double ip_burst;
};

// Snapshots are refreshed now and then, so their limits only stop floods; GET /s is one small
// lookup per qualifying page view (at most one per path a day per browser).
ChannelRates RatesFor(IngestChannel ch, const IngestLimits& l, const ProjectSettings& ps) {
  switch (ch) {
    case IngestChannel::kEvents: {
      const double p = ps.rate_project_rps > 0 ? ps.rate_project_rps : l.project_rps;
      const double ip = ps.rate_ip_rps > 0 ? ps.rate_ip_rps : l.ip_rps;
      return {"events", p, p, ip, ip};
    }
    case IngestChannel::kSnapshot:
      return {"snapshot", 20, 20, 1, 5};
    case IngestChannel::kSnapshotQuery:
      return {"snapshot_query", 0, 0, 5, 30};
    // Replay chunks (spec §18): 500/s per project; per IP a few tabs' worth. The per-session
    // rate and caps need the session id from the body: replay/replay_service.cc.
    case IngestChannel::kReplay:
      return {"replay", limits::kReplayProjectChunksPerSecond,
              limits::kReplayProjectChunksPerSecond, limits::kReplayIpChunksPerSecond,
              2.0 * limits::kReplayIpChunksPerSecond};
  }
  return {"events", l.project_rps, l.project_rps, l.ip_rps, l.ip_rps};
}

bool KeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

}  // namespace

std::string KeyAtFrontOfBody(std::string_view b) {
  size_t i = 0;
  auto ws = [&] {
    while (i < b.size() && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) ++i;
  };
  auto lit = [&](std::string_view s) {
    ws();
    if (b.substr(i, s.size()) != s) return false;
    i += s.size();
    return true;
  };
  if (!lit("{") || !lit("\"k\"") || !lit(":") || !lit("\"")) return "";
  const size_t start = i;
  while (i < b.size() && i - start <= 128 && KeyChar(b[i])) ++i;
  if (i >= b.size() || b[i] != '"' || i == start) return "";
  return std::string(b.substr(start, i - start));
}

Admission::Admission(ProjectCache* projects, MetaStore* meta, RateLimiter* limiter,
                     MetricsRegistry* metrics, IngestLimits limits, IngestMonitor* monitor)
    : projects_(projects), meta_(meta), limiter_(limiter), metrics_(metrics), limits_(limits),
      monitor_(monitor) {}

void Admission::CountRefusal(IngestChannel ch, const char* code) {
  const char* channel = RatesFor(ch, limits_, ProjectSettings()).name;
  metrics_
      ->GetCounter("tapistry_ingest_rejections_total",
                   "Refused ingestion requests by channel and reason",
                   std::string("channel=\"") + channel + "\",reason=\"" + code + "\"")
      ->Inc();
}

Reply Admission::Refuse(IngestChannel ch, const std::string& project_id, std::string_view origin,
                        int status, const char* code, const std::string& reason) {
  CountRefusal(ch, code);
  if (monitor_ != nullptr) monitor_->Refused(project_id, origin, code);
  return JsonError(status, code, reason);
}

// The browser asked not to be tracked and the project honours it: a success (the SDK must not
// retry or report an error) that stores nothing. Counted like a refusal, by reason.
Reply Admission::Dropped(IngestChannel ch, const std::string& project_id, std::string_view origin,
                         const char* code, const char* reason) {
  CountRefusal(ch, code);
  if (monitor_ != nullptr) monitor_->Refused(project_id, origin, code);
  Reply r;
  r.status = 200;
  JsonWriter w;
  w.BeginObject().Key("accepted").Int(0).Key("dropped").String(code).Key("reason").String(reason);
  r.body = w.EndObject().Take();
  return r;
}

std::optional<Reply> Admission::Admit(const HttpRequest& req, const std::string& client_ip,
                                      IngestChannel ch, bool body_encoded,
                                      std::shared_ptr<const Project>* project) {
  const ChannelRates defaults = RatesFor(ch, limits_, ProjectSettings());
  const std::string origin(req.Header("origin"));
  std::string pid;  // the project, once the key names one
  int retry = 1;
  auto limited = [&](const char* what, double rate) {
    Reply r = Refuse(
        ch, pid, origin, 429, "rate_limited",
        std::string(what) + " request rate over " + std::to_string(static_cast<int>(rate)) + "/s");
    r.AddHeader("Retry-After", std::to_string(retry));
    return r;
  };
  const std::string ip_key = std::string(defaults.name) + ":ip:" + client_ip;

  std::string key(req.Header("x-project-key"));
  if (key.empty()) key = req.Query("k");
  bool ip_charged = false;
  if (key.empty() && ch != IngestChannel::kSnapshotQuery) {
    if (body_encoded) {
      return Refuse(ch, pid, origin, 401, "missing_key",
                    "a compressed body needs the key in X-Project-Key or ?k=");
    }
    key = KeyAtFrontOfBody(req.body);
    if (key.empty() && !req.body.empty() && ch == IngestChannel::kEvents) {
      // Not the SDK's layout: the key may be anywhere in the body. The IP pays before the parse.
      if (!client_ip.empty() &&
          !limiter_->Allow(ip_key, defaults.ip_rps, defaults.ip_burst, 1, &retry)) {
        return limited("client IP", defaults.ip_rps);
      }
      ip_charged = true;
      simdjson::dom::parser parser;
      simdjson::dom::element doc;
      if (!parser.parse(req.body).get(doc) && doc.is_object()) {
        auto k = doc["k"];
        if (!k.error() && k.is_string()) key = std::string(std::string_view(k.value_unsafe()));
      }
    }
  }
  if (key.empty())
    return Refuse(ch, pid, origin, 401, "missing_key",
                  "no project key: send X-Project-Key, \"k\" in the body or ?k=");
  auto p = projects_->ByKey(key);
  if (!p.ok()) {
    if (p.status().code() == StatusCode::kUnauthenticated)
      return Refuse(ch, pid, origin, 401, "unknown_key", "unknown project key");
    return Refuse(ch, pid, origin, 503, "unavailable",
                  "project keys cannot be checked now: " + p.status().message());
  }
  pid = (*p)->id;
  if (!origin.empty() && !OriginAllowed(**p, origin)) {
    return Refuse(ch, pid, origin, 403, "origin_not_allowed",
                  "origin " + origin + " is not in the project's allowed origins");
  }
  const ProjectSettings& ps = (*p)->settings;
  if (ps.respect_dnt && req.Header("dnt") == "1") {
    return Dropped(ch, pid, origin, "do_not_track",
                   "the browser sent DNT: 1 and the project honours Do Not Track");
  }
  if (ps.respect_gpc && req.Header("sec-gpc") == "1") {
    return Dropped(ch, pid, origin, "global_privacy_control",
                   "the browser sent Sec-GPC: 1 and the project honours Global Privacy Control");
  }
  const ChannelRates rates = RatesFor(ch, limits_, ps);
  if (!ip_charged && !client_ip.empty() &&
      !limiter_->Allow(ip_key, rates.ip_rps, rates.ip_burst, 1, &retry)) {
    return limited("client IP", rates.ip_rps);
  }
  if (rates.project_rps > 0 &&
      !limiter_->Allow(std::string(rates.name) + ":p:" + (*p)->id, rates.project_rps,
                       rates.project_burst, 1, &retry)) {
    return limited("project", rates.project_rps);
  }
  *project = *p;
  return std::nullopt;
}

void Admission::NoteOutcome(const std::string& project_id, std::string_view origin,
                            std::string_view refused, uint64_t events) {
  if (monitor_ == nullptr) return;
  if (refused.empty()) monitor_->Accepted(project_id, origin, events);
  else monitor_->Refused(project_id, origin, refused);
}

bool Admission::PreflightAllowed(const std::string& origin) {
  return !origin.empty() && projects_->AnyProjectAllowsOrigin(origin);
}

void Admission::AddCors(Reply* r, const std::string& origin) {
  r->AddHeader("Access-Control-Allow-Origin", origin);
  r->AddHeader("Access-Control-Expose-Headers", "Retry-After, Date");
  r->AddHeader("Vary", "Origin");
}

void Admission::NoteEventOrigin(const Project& p, const std::string& origin) {
  if (origin.empty() || origin.size() > 256 || !p.allowed_origins.empty()) return;
  const std::string id = p.id + "\n" + origin;
  {
    std::lock_guard lock(mu_);
    if (seen_.count(id)) return;
    size_t& n = seen_count_[p.id];
    if (n >= limits::kMaxSeenOriginsPerProject) return;
    ++n;
    seen_.insert(id);
  }
  (void)meta_->PutValue("seen_origin:" + p.id + ":" + origin, "1");
}

bool Admission::EventOriginSeen(const Project& p, const std::string& origin) {
  if (origin.empty()) return false;
  {
    std::lock_guard lock(mu_);
    if (seen_.count(p.id + "\n" + origin)) return true;
  }
  auto v = meta_->GetValue("seen_origin:" + p.id + ":" + origin);
  if (!v.ok() || !v->has_value()) return false;
  std::lock_guard lock(mu_);
  seen_.insert(p.id + "\n" + origin);
  return true;
}

}  // namespace tapistry
