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
    if (f.key == "project_id") project = v;
    else if (f.key == "anonymous_id") anon_text = v;
    else if (f.key == "user_id") user = v;
  }
  auto p = d.meta->GetProject(project);
  if (!p.ok())
    return ErrorReply(p.status().code() == StatusCode::kNotFound
                          ? Status::NotFound("no project " + project)
                          : p.status());
  std::optional<Uuid> anon;
  if (!anon_text.empty()) {
    Uuid u;
    if (!Uuid::Parse(anon_text, &u))
      return ErrorReply(Status::InvalidArgument("anonymous_id must be a UUID"));
    anon = u;
  }
  if (!anon && user.empty())
    return ErrorReply(Status::InvalidArgument("give anonymous_id or user_id"));
  auto n = d.events->DeleteSubject(project, anon,
                                   user.empty() ? std::nullopt : std::optional<std::string>(user));
  if (!n.ok()) return ErrorReply(n.status());
  d.metrics->GetCounter("tapistry_dsar_deletes_total", "DSAR delete requests")->Inc();
  JsonWriter w;
  w.BeginObject().Key("deleted").Uint(*n).EndObject();
  return JsonReply(w.Take());
}

}  // namespace

Status AddPrivacyRoutes(RouteTable* t, const ApiDeps& d) {
  return t->Add({"POST", "/api/dsar/delete", AuthPolicy::kSessionCsrf, limits::kMaxApiBody, 0,
                 false, CorsPolicy::kNone, "api",
                 Sync([d](const RouteCall& c) { return DsarDelete(d, c); })});
}

}  // namespace tapistry
