#include "ingest/ingest_service.h"

#include <algorithm>
#include <cstring>

#include "common/json_writer.h"
#include "ingest/event_parser.h"
#include "ingest/sampling.h"
#include "pipeline/pipeline.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

EventParser& ThreadParser() {
  thread_local EventParser parser;
  return parser;
}

// The project's replay settings, for the SDK's recorder (docs/replay.md "Settings"): sent with
// every accepted batch, so a change reaches the next page load without a new snippet.
void WriteReplaySettings(const ProjectSettings& ps, JsonWriter* w) {
  auto list = [w](const char* key, const std::vector<std::string>& v) {
    w->Key(key).BeginArray();
    for (const std::string& s : v) w->String(s);
    w->EndArray();
  };
  w->Key("replay")
      .BeginObject()
      .Key("rate")
      .Double(ps.cookieless
                  ? 0.0
                  : std::clamp(std::min(ps.replay_sample_rate, ps.event_sample_rate), 0.0, 1.0))
      .Key("kb")
      .Int(ps.replay_session_kb > 0 ? ps.replay_session_kb : limits::kDefaultReplaySessionKb);
  list("allow", ps.replay_allow_selectors);
  list("mask", ps.replay_mask_selectors);
  list("ignore", ps.replay_ignore_selectors);
  w->EndObject();
}

// The SDK options the project sets from the server (docs/wire-format.md "config"), applied by
// the SDK as `tapistry('config', …)` would: only those that differ from the SDK's defaults.
void WriteSdkConfig(const ProjectSettings& ps, JsonWriter* w) {
  if (!ps.cookieless && !ps.require_consent && ps.event_sample_rate >= 1) return;
  w->Key("config").BeginObject();
  // cookieless: the SDK stores nothing in the browser from here on (docs/privacy.md)
  if (ps.cookieless) w->Key("persistence").String("none");
  if (ps.require_consent) w->Key("requireConsent").Bool(true);
  // a browser's own ids sample it; in cookieless mode the server's ids do (see HandleEvents)
  if (ps.event_sample_rate < 1 && !ps.cookieless)
    w->Key("sampleRate").Double(std::max(ps.event_sample_rate, 0.0));
  w->EndObject();
}

std::string BuildResponse(size_t stored, size_t duplicates, const std::vector<EventError>& errors,
                          int64_t now_ms, const ProjectSettings* replay = nullptr,
                          size_t unsampled = 0) {
  JsonWriter w;
  w.BeginObject()
      .Key("accepted")
      .Uint(stored + duplicates)
      .Key("duplicates")
      .Uint(duplicates)
      .Key("rejected")
      .Uint(errors.size())
      .Key("errors")
      .BeginArray();
  for (const EventError& e : errors) {
    w.BeginObject().Key("index").Uint(e.index);
    if (!e.id.empty()) w.Key("id").String(e.id);
    w.Key("field").String(e.field).Key("reason").String(e.reason).EndObject();
  }
  w.EndArray().Key("server_time").Int(now_ms);
  if (unsampled > 0) w.Key("unsampled").Uint(unsampled);
  if (replay != nullptr) {
    WriteReplaySettings(*replay, &w);
    WriteSdkConfig(*replay, &w);
  }
  w.EndObject();
  return w.Take();
}

}  // namespace

IngestService::IngestService(Admission* admission, Pipeline* pipeline, RateLimiter* limiter,
                             const GeoIpResolver* geo, MetricsRegistry* metrics, Clock* clock,
                             CookielessIds* cookieless)
    : admission_(admission), cookieless_(cookieless), pipeline_(pipeline), limiter_(limiter),
      geo_(geo), metrics_(metrics), clock_(clock) {
  events_accepted_ = metrics_->GetCounter("tapistry_ingest_events_total", "Events by outcome",
                                          "outcome=\"stored\"");
  events_duplicate_ = metrics_->GetCounter("tapistry_ingest_events_total", "Events by outcome",
                                           "outcome=\"duplicate\"");
  events_rejected_ = metrics_->GetCounter("tapistry_ingest_events_total", "Events by outcome",
                                          "outcome=\"rejected\"");
}

Reply IngestService::Reject(int status, const char* code, std::string reason) {
  metrics_
      ->GetCounter("tapistry_ingest_rejections_total",
                   "Refused ingestion requests by channel and reason",
                   std::string("channel=\"events\",reason=\"") + code + "\"")
      ->Inc();
  return JsonError(status, code, reason);
}

void IngestService::HandleEvents(IngestRequest req, std::function<void(Reply)> done) {
  const int64_t now = clock_->NowMs();
  EventParser& parser = ThreadParser();
  ParseOptions opts;
  opts.now_ms = now;
  opts.client_time_ms = req.client_time_ms;
  const std::shared_ptr<const Project> project = std::move(req.project);
  const ProjectSettings& ps = project->settings;
  const IngestLimits& limits = admission_->limits();
  const double ip_rps = ps.rate_ip_rps > 0 ? ps.rate_ip_rps : limits.ip_rps;
  ParsedBatch batch;
  opts.query_allowlist = &ps.query_allowlist;
  opts.path_rules = &ps.path_rules;
  Status parsed = parser.ParseBatch(req.body, opts, &batch);
  if (!parsed.ok()) {
    return done(
        Reject(HttpStatusFor(parsed.code()), StatusCodeName(parsed.code()), parsed.message()));
  }

  // Consent by default: a batch sent before the visitor consented is not stored; the answer tells
  // the SDK to wait for setConsent (docs/privacy.md "Consent").
  if (ps.require_consent && !batch.consent) {
    admission_->NoteOutcome(project->id, req.origin, "consent_required", 0);
    metrics_
        ->GetCounter("tapistry_ingest_rejections_total",
                     "Refused ingestion requests by channel and reason",
                     "channel=\"events\",reason=\"consent_required\"")
        ->Inc();
    JsonWriter w;
    w.BeginObject()
        .Key("accepted")
        .Uint(0)
        .Key("dropped")
        .String("consent_required")
        .Key("reason")
        .String("the project stores events only after the visitor's consent (setConsent)");
    WriteSdkConfig(ps, &w);
    w.EndObject();
    Reply r;
    r.body = w.Take();
    return done(std::move(r));
  }

  // Cookieless mode: the browser's ids (fresh on every page load) give way to the server's.
  if (ps.cookieless && cookieless_ != nullptr && !batch.events.empty()) {
    auto ids = cookieless_->Assign(project->id, req.client_ip, req.user_agent);
    if (!ids.ok()) {
      Reply r = Reject(503, "unavailable", "cookieless ids: " + ids.status().message());
      r.AddHeader("Retry-After", "1");
      return done(std::move(r));
    }
    for (Event& ev : batch.events) {
      ev.anonymous_id = ids->anonymous_id;
      ev.session_id = ids->session_id;
    }
  }

  // Sampling: the events of sessions outside the project's rate are dropped, not refused; the
  // answer's config tells the SDK to stop sending them.
  size_t unsampled = 0;
  if (ps.event_sample_rate < 1) {
    std::vector<size_t> index;
    std::vector<Event> in;
    for (size_t k = 0; k < batch.events.size(); ++k) {
      if (!SessionSampled(batch.events[k].session_id, ps.event_sample_rate)) continue;
      in.push_back(std::move(batch.events[k]));
      index.push_back(batch.event_index[k]);
    }
    unsampled = batch.events.size() - in.size();
    batch.events = std::move(in);
    batch.event_index = std::move(index);
  }

  // Enrichment shared by the whole request.
  UserAgentInfo ua = ParseUserAgent(req.user_agent);
  BotSignals sig;
  sig.webdriver = batch.webdriver;
  sig.missing_ua = req.user_agent.empty();
  sig.missing_accept_language = !req.has_accept_language;
  if (!req.client_ip.empty())
    sig.ip_rate_ratio = limiter_->Pressure("events:ip:" + req.client_ip, ip_rps, ip_rps);
  uint8_t bot = BotScore(ua, sig);
  std::string country = req.country_hint;
  if (country.size() != 2 && geo_ != nullptr && !req.client_ip.empty())
    country = geo_->Country(req.client_ip);

  // Per-session limits: events/s and events per session. Events over them are rejected one by
  // one (the rest of the batch is kept): each session's buckets are charged once per request
  // for all its events, and the first `granted` of them in batch order are kept.
  double session_eps = ps.rate_session_eps > 0 ? ps.rate_session_eps : limits.session_eps;
  struct SessionQuota {
    Uuid id;
    size_t events = 0;
    size_t granted = 0;
  };
  std::vector<SessionQuota> quotas;  // a batch nearly always carries one session
  std::vector<uint32_t> quota_of(batch.events.size());
  for (size_t k = 0; k < batch.events.size(); ++k) {
    const Uuid& sid = batch.events[k].session_id;
    size_t q = 0;
    while (q < quotas.size() && !(quotas[q].id == sid)) ++q;
    if (q == quotas.size()) quotas.push_back(SessionQuota{sid});
    ++quotas[q].events;
    quota_of[k] = static_cast<uint32_t>(q);
  }
  for (SessionQuota& q : quotas) {
    char key[2 + sizeof(Uuid)];  // "s" or "c", ':' and the raw 16 bytes
    key[1] = ':';
    std::memcpy(key + 2, &q.id, sizeof(Uuid));
    key[0] = 's';
    size_t n =
        limiter_->AllowUpTo(std::string_view(key, sizeof key), session_eps, session_eps, q.events);
    key[0] = 'c';
    q.granted =
        limiter_->AllowUpTo(std::string_view(key, sizeof key), limits.session_max_events / 86400.0,
                            limits.session_max_events, n);
  }
  std::vector<Event> keep;
  keep.reserve(batch.events.size());
  for (size_t k = 0; k < batch.events.size(); ++k) {
    Event& ev = batch.events[k];
    SessionQuota& q = quotas[quota_of[k]];
    if (q.granted == 0) {
      batch.errors.push_back({batch.event_index[k], ev.event_id.ToString(), "session_id",
                              "session event rate or cap exceeded"});
      continue;
    }
    --q.granted;
    ev.project_id = project->id;
    if (ua.device_class != DeviceClass::kUnknown) ev.device_class = ua.device_class;
    ev.browser = ua.browser;
    ev.os = ua.os;
    if (ps.store_raw_ua) ev.ua = req.user_agent.substr(0, 512);
    if (country.size() == 2) {
      ev.country[0] = country[0];
      ev.country[1] = country[1];
    }
    ev.bot_score = bot;
    keep.push_back(std::move(ev));
  }
  std::sort(batch.errors.begin(), batch.errors.end(),
            [](const EventError& a, const EventError& b) { return a.index < b.index; });
  events_rejected_->Inc(batch.errors.size());

  if (keep.empty()) {
    Reply r;
    r.status = batch.errors.empty() ? 200 : 400;
    // settings go with success only (a sampled-out batch is one): a 400 tells the SDK nothing
    r.body =
        BuildResponse(0, 0, batch.errors, now, batch.errors.empty() ? &ps : nullptr, unsampled);
    if (!batch.errors.empty()) {
      admission_->NoteOutcome(project->id, req.origin, "no_valid_events", 0);
      metrics_
          ->GetCounter("tapistry_ingest_rejections_total", "Rejected /i requests by reason",
                       "reason=\"no_valid_events\"")
          ->Inc();
    }
    return done(std::move(r));
  }
  auto errors = std::make_shared<std::vector<EventError>>(std::move(batch.errors));
  pipeline_->Submit(std::move(keep), [this, errors, project, unsampled,
                                      origin = std::move(req.origin),
                                      done = std::move(done)](Status s, SubmitResult res) {
    int64_t t = clock_->NowMs();
    if (!s.ok()) {
      Reply r = Reject(HttpStatusFor(s.code()), StatusCodeName(s.code()), s.message());
      if (s.code() == StatusCode::kUnavailable) r.AddHeader("Retry-After", "1");
      return done(std::move(r));
    }
    admission_->NoteEventOrigin(*project, origin);
    admission_->NoteOutcome(project->id, origin, "", res.stored + res.duplicates);
    events_accepted_->Inc(res.stored);
    events_duplicate_->Inc(res.duplicates);
    Reply r;
    r.status = errors->empty() ? 200 : 206;
    r.body = BuildResponse(res.stored, res.duplicates, *errors, t, &project->settings, unsampled);
    done(std::move(r));
  });
}

}  // namespace tapistry
