// Privacy operations: DSAR delete of one subject's events (spec §10).
#include <simdjson.h>

#include "api/api_common.h"
#include "api/api_routes.h"
#include "common/json_writer.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

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
  std::optional<Uuid> anon;
  if (!anon_text.empty()) {
    Uuid u;
    if (!Uuid::Parse(anon_text, &u))
      return ErrorReply(Status::InvalidArgument("anonymous_id must be a UUID"));
    anon = u;
  }
  if (!anon && user.empty())
    return ErrorReply(Status::InvalidArgument("give anonymous_id or user_id"));
  const std::optional<std::string> user_id =
      user.empty() ? std::nullopt : std::optional<std::string>(user);
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

}  // namespace

Status AddPrivacyRoutes(RouteTable* t, const ApiDeps& d) {
  return t->Add({"POST", "/api/dsar/delete", AuthPolicy::kOwnerCsrf, limits::kMaxApiBody, 0, false,
                 CorsPolicy::kNone, "api",
                 Sync([d](const RouteCall& c) { return DsarDelete(d, c); })});
}

}  // namespace tapistry
