// Privacy operations: DSAR delete and export of one subject's events (spec §10).
#include <simdjson.h>

#include <set>
#include <utility>
#include <vector>

#include "api/api_common.h"
#include "api/api_routes.h"
#include "common/json_writer.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

// Whose data a request is about: an anonymous_id (a UUID) or a user_id, as given.
struct Subject {
  std::optional<Uuid> anonymous_id;
  std::optional<std::string> user_id;
};

Result<Subject> ParseSubject(const std::string& anonymous_id, const std::string& user_id) {
  Subject s;
  if (!anonymous_id.empty()) {
    Uuid u;
    if (!Uuid::Parse(anonymous_id, &u))
      return Status::InvalidArgument("anonymous_id must be a UUID");
    s.anonymous_id = u;
  }
  if (!user_id.empty()) s.user_id = user_id;
  if (!s.anonymous_id && !s.user_id) return Status::InvalidArgument("give anonymous_id or user_id");
  return s;
}

Reply DsarDelete(const ApiDeps& d, const RouteCall& call) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(call.req.body).get(doc) || !doc.is_object())
    return ErrorReply(Status::InvalidArgument("body must be a JSON object"));
  std::string project, anon_text, user;
  for (auto f : doc.get_object()) {
    if (!f.value.is_string()) continue;
    std::string v(std::string_view(f.value));
    if (f.key == "project_id") project = v;  // the router authorized it (call.project_id)
    else if (f.key == "anonymous_id") anon_text = v;
    else if (f.key == "user_id") user = v;
  }
  if (!project.empty() && project != call.project_id)
    return ErrorReply(Status::InvalidArgument("project_id in the body differs from ?project_id="));
  project = call.project_id;
  auto subject = ParseSubject(anon_text, user);
  if (!subject.ok()) return ErrorReply(subject.status());
  const std::optional<Uuid>& anon = subject->anonymous_id;
  const std::optional<std::string>& user_id = subject->user_id;
  // The subject's sessions first: once the events are gone nothing says which recordings were
  // theirs. Events, then recordings: a failure in between is retried by sending the request
  // again (the sessions are asked for before the events are deleted, every time).
  auto sessions = d.events->SubjectSessions(project, anon, user_id);
  if (!sessions.ok()) return ErrorReply(sessions.status());
  auto n = d.events->DeleteSubject(project, anon, user_id);
  if (!n.ok()) return ErrorReply(n.status());
  uint64_t recordings = 0;
  if (d.delete_recording) {
    for (const Uuid& s : *sessions) {
      auto gone = d.delete_recording(project, s.ToString());
      if (!gone.ok()) return ErrorReply(gone.status());
      recordings += *gone ? 1 : 0;
    }
  }
  // The rows are gone from the store and the meta store; now their older copies: the WAL
  // records (the store persisted them before rewriting its segments) and the meta store's
  // journal. A failure here is retried by sending the request again.
  if (d.purge_deleted) {
    if (Status s = d.purge_deleted(); !s.ok()) return ErrorReply(s);
  }
  d.metrics->GetCounter("tapistry_dsar_deletes_total", "DSAR delete requests")->Inc();
  // The audit entry says what was done, never to whom: the subject's ids must leave no trace.
  JsonWriter details;
  details.BeginObject()
      .Key("by")
      .String(anon ? "anonymous_id" : "user_id")
      .Key("events")
      .Uint(*n)
      .Key("sessions")
      .Uint(sessions->size())
      .Key("recordings")
      .Uint(recordings)
      .EndObject();
  WriteAudit(d, call, project, "dsar.delete", details.Take());
  JsonWriter w;
  w.BeginObject().Key("deleted").Uint(*n).Key("sessions").Uint(sessions->size());
  w.Key("recordings_deleted").Uint(recordings).EndObject();
  return JsonReply(w.Take());
}

// GET /api/dsar/export: every stored event of one subject and their sessions (which of them
// have a recording), as JSON or CSV. Owner only: it is the subject's whole history.
Reply DsarExport(const ApiDeps& d, const RouteCall& call) {
  const std::string& project = call.project_id;
  const std::string anon_text = call.req.Query("anonymous_id");
  const std::string user = call.req.Query("user_id");
  const std::string format = call.req.Query("format");
  if (!format.empty() && format != "json" && format != "csv")
    return ErrorReply(Status::InvalidArgument("format must be json or csv"));
  auto subject = ParseSubject(anon_text, user);
  if (!subject.ok()) return ErrorReply(subject.status());
  const std::optional<Uuid>& anon = subject->anonymous_id;
  const std::optional<std::string>& user_id = subject->user_id;
  auto events = d.events->SubjectEvents(project, anon, user_id);
  if (!events.ok()) return ErrorReply(events.status());
  auto sessions = d.events->SubjectSessions(project, anon, user_id);
  if (!sessions.ok()) return ErrorReply(sessions.status());
  std::set<Uuid> recorded;
  std::vector<std::pair<Uuid, ReplaySession>> recordings;
  for (const Uuid& s : *sessions) {
    auto rec = d.meta->GetReplaySession(project, s.ToString());
    if (!rec.ok()) return ErrorReply(rec.status());
    if (rec->has_value()) {
      recorded.insert(s);
      recordings.emplace_back(s, **rec);
    }
  }
  JsonWriter details;
  details.BeginObject()
      .Key("by")
      .String(anon ? "anonymous_id" : "user_id")
      .Key("events")
      .Uint(events->size())
      .Key("sessions")
      .Uint(sessions->size())
      .Key("format")
      .String(format == "csv" ? "csv" : "json")
      .EndObject();
  WriteAudit(d, call, project, "dsar.export", details.Take());
  if (format == "csv") {
    std::string csv =
        "id,ts,ingest_ts,type,name,session_id,session_recorded,anonymous_id,user_id,url,path,"
        "title,referrer,props,device_class,browser,os,country\r\n";
    for (const Event& e : *events) {
      const std::string fields[] = {e.event_id.ToString(),
                                    std::to_string(e.ts_ms),
                                    std::to_string(e.ingest_ms),
                                    std::string(EventTypeName(e.type)),
                                    e.name,
                                    e.session_id.ToString(),
                                    recorded.count(e.session_id) ? "1" : "0",
                                    e.anonymous_id.ToString(),
                                    e.user_id,
                                    e.url,
                                    e.path,
                                    e.title,
                                    e.referrer,
                                    e.props.empty() ? "{}" : e.props,
                                    std::string(DeviceClassName(e.device_class)),
                                    e.browser,
                                    e.os,
                                    e.country[0] ? std::string(e.country, 2) : std::string()};
      bool first = true;
      for (const std::string& f : fields) {
        if (!first) csv += ',';
        first = false;
        csv += CsvField(f);
      }
      csv += "\r\n";
    }
    return CsvReply(std::move(csv), "dsar-export.csv");
  }
  JsonWriter w;
  w.BeginObject().Key("events").BeginArray();
  for (const Event& e : *events) WriteEventJson(e, &w);
  w.EndArray().Key("sessions").BeginArray();
  for (const Uuid& s : *sessions) {
    w.BeginObject().Key("session_id").String(s.ToString()).Key("recorded").Bool(recorded.count(s));
    w.EndObject();
  }
  w.EndArray().Key("recordings").BeginArray();
  for (const auto& [id, r] : recordings) {
    w.BeginObject()
        .Key("session_id")
        .String(id.ToString())
        .Key("first_ts")
        .Int(r.first_ts)
        .Key("last_ts")
        .Int(r.last_ts)
        .Key("chunks")
        .Int(r.chunks)
        .EndObject();
  }
  w.EndArray().EndObject();
  return JsonReply(w.Take());
}

}  // namespace

Status AddPrivacyRoutes(RouteTable* t, const ApiDeps& d) {
  TAP_RETURN_IF_ERROR(t->Add({"POST", "/api/dsar/delete", AuthPolicy::kOwnerCsrf,
                              limits::kMaxApiBody, 0, false, CorsPolicy::kNone, "api",
                              Sync([d](const RouteCall& c) { return DsarDelete(d, c); })}));
  return t->Add({"GET", "/api/dsar/export", AuthPolicy::kOwner, limits::kMaxApiBody, 0, false,
                 CorsPolicy::kNone, "api",
                 Sync([d](const RouteCall& c) { return DsarExport(d, c); })});
}

}  // namespace tapistry
