// Funnels (issue 11; docs/api.md "Funnels"): the query, saved funnels, and the custom event names
// the builder offers.
//   POST   /api/funnels/query   read token or session        a FunnelQuery, answered by the store
//   POST   /api/funnels/members read token or session        who is behind one bar
//   (?furthest=&limit=) GET    /api/funnels         read token or session        the project's
//   saved funnels GET    /api/funnels/<id>    read token or session        one of them POST
//   /api/funnels         session + CSRF               save a funnel PUT    /api/funnels/<id>
//   session + CSRF               rename / redefine it DELETE /api/funnels/<id>    session + CSRF
//   delete it GET    /api/event-names     read token or session        custom event names and
//   properties
// The session routes are not scoped by the auth step (kSessionCsrf names no project): each
// handler takes project_id from the query or the body and the meta store answers only for the
// funnels of that project.
#include <simdjson.h>

#include <algorithm>
#include <map>

#include "api/api_common.h"
#include "api/api_routes.h"
#include "api/funnel_json.h"
#include "common/json_writer.h"
#include "common/params.h"
#include "tapistry/funnel.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

constexpr std::string_view kFunnelsPrefix = "/api/funnels/";

Reply Query(const ApiDeps& d, const RouteCall& call) {
  auto f = ParseFunnelQueryBody(call.req.body, call.project_id, d.clock->NowMs());
  if (!f.ok()) {
    d.metrics
        ->GetCounter("tapistry_funnel_queries_refused_total", "Funnel queries refused as invalid")
        ->Inc();
    return ErrorReply(f.status());
  }
  auto r = d.events->Funnel(f->query);
  if (!r.ok()) return ErrorReply(r.status());
  d.metrics->GetCounter("tapistry_funnel_queries_total", "Funnel queries answered")->Inc();
  if (call.req.Query("format") == "csv") return CsvReply(FunnelResultCsv(*f, *r), "funnel.csv");
  return JsonReply(FunnelResultJson(*f, *r));
}

// The units behind one bar: the same body as /api/funnels/query; ?furthest=K (1-based, required)
// picks the bar — below the last step the units that stopped there, at the last step those who
// converted — and ?limit= how many to list (100, at most kMaxFunnelMembers), latest entry first.
Reply Members(const ApiDeps& d, const RouteCall& call) {
  auto f = ParseFunnelQueryBody(call.req.body, call.project_id, d.clock->NowMs());
  if (!f.ok()) return ErrorReply(f.status());
  if (!call.req.HasQuery("furthest")) {
    return ErrorReply(Status::InvalidArgument("furthest: which step's units to list (1.." +
                                              std::to_string(f->query.steps.size()) + ")"));
  }
  auto furthest =
      ParseIntStrict(call.req.Query("furthest"), 1, static_cast<int64_t>(f->query.steps.size()));
  if (!furthest.ok())
    return ErrorReply(Status::InvalidArgument("furthest: " + furthest.status().message()));
  auto limit = LimitParam(call.req, 100, kMaxFunnelMembers);
  if (!limit.ok()) return ErrorReply(limit.status());
  auto r =
      d.events->FunnelMembers(FunnelMembersQuery{f->query, static_cast<size_t>(*furthest), *limit});
  if (!r.ok()) return ErrorReply(r.status());
  const bool by_session = f->query.unit == FunnelUnit::kSession;
  JsonWriter w;
  w.BeginObject().Key("furthest").Uint(*furthest).Key("unit").String(FunnelUnitName(f->query.unit));
  w.Key("total").Uint(r->total).Key("members").BeginArray();
  for (const FunnelMember& m : r->members) {
    w.BeginObject().Key(by_session ? "session_id" : "anonymous_id").String(m.unit_id.ToString());
    if (!by_session) w.Key("session_id").String(m.session_id.ToString());
    w.Key("entered_ms").Int(m.entered_ms).Key("reached_ms").Int(m.reached_ms);
    w.Key("device").String(DeviceClassName(m.device_class)).Key("country").String(m.country);
    // whether the session (the one the unit entered in) was recorded: the list links its replay
    auto rec = d.meta->GetReplaySession(call.project_id, m.session_id.ToString());
    w.Key("recorded").Bool(rec.ok() && rec->has_value() && (*rec)->chunks > 0);
    w.EndObject();
  }
  return JsonReply(w.EndArray().EndObject().Take());
}

void WriteSaved(const SavedFunnel& f, JsonWriter* w) {
  w->BeginObject().Key("id").String(f.id).Key("name").String(f.name);
  // Stored only after ParseFunnelDefinition accepted it, in FunnelDefinitionJson's form; checked
  // again here so a row written by hand cannot break the response's JSON.
  auto parsed = ParseFunnelDefinition(f.definition);
  w->Key("definition");
  if (parsed.ok()) {
    w->Raw(FunnelDefinitionJson(*parsed));
  } else {
    w->Null().Key("definition_error").String(parsed.status().message());
  }
  w->Key("created_ms").Int(f.created_ms).Key("updated_ms").Int(f.updated_ms).EndObject();
}

Reply NotFoundOr(const Status& s, const std::string& project) {
  if (s.code() == StatusCode::kNotFound && s.message().starts_with("no such project")) {
    return ErrorReply(Status::NotFound("no project " + project));
  }
  return ErrorReply(s);
}

// The id in /api/funnels/<id>: "f_" and hex, nothing else (it is echoed in errors).
Result<std::string> FunnelId(const RouteCall& call) {
  std::string_view id = call.req.path;
  id.remove_prefix(std::min(id.size(), kFunnelsPrefix.size()));
  if (id.size() < 3 || id.size() > 40 || !id.starts_with("f_") ||
      !std::all_of(id.begin() + 2, id.end(),
                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    return Status::NotFound("no such funnel");
  }
  return std::string(id);
}

Reply List(const ApiDeps& d, const RouteCall& call) {
  auto list = d.meta->ListFunnels(call.project_id);
  if (!list.ok()) return NotFoundOr(list.status(), call.project_id);
  JsonWriter w;
  w.BeginObject().Key("funnels").BeginArray();
  for (const SavedFunnel& f : *list) WriteSaved(f, &w);
  w.EndArray().EndObject();
  return JsonReply(w.Take());
}

Reply GetOne(const ApiDeps& d, const RouteCall& call) {
  auto id = FunnelId(call);
  if (!id.ok()) return ErrorReply(id.status());
  auto f = d.meta->GetFunnel(call.project_id, *id);
  if (!f.ok()) return ErrorReply(f.status());
  JsonWriter w;
  WriteSaved(*f, &w);
  return JsonReply(w.Take());
}

// The body of a create or update: {"project_id", "name", "definition"}; the project is the one
// the router authorized (the query's, else the body's; the two may not differ).
struct SaveBody {
  std::string project_id;
  std::optional<std::string> name;
  std::optional<std::string> definition;  // canonical JSON
};

// What the audit log keeps of a saved funnel: its id and name (the definition is in the funnel).
std::string FunnelAuditDetails(const SavedFunnel& f) {
  JsonWriter w;
  w.BeginObject().Key("funnel_id").String(f.id).Key("name").String(f.name).EndObject();
  return w.Take();
}

Result<SaveBody> ParseSaveBody(const RouteCall& call) {
  SaveBody b;
  b.project_id = call.project_id;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const std::string& body = call.req.body;
  if (!body.empty()) {
    if (parser.parse(body).get(doc) || !doc.is_object())
      return Status::InvalidArgument("the body must be a JSON object");
    for (auto [key, value] : doc.get_object()) {
      if (key == "project_id") {
        if (!value.is_string()) return Status::InvalidArgument("project_id must be a string");
        const std::string p{std::string_view(value)};
        if (p != b.project_id) {
          return Status::InvalidArgument("project_id in the body differs from ?project_id=");
        }
      } else if (key == "name") {
        if (!value.is_string()) return Status::InvalidArgument("name must be a string");
        std::string n{std::string_view(value)};
        const size_t first = n.find_first_not_of(" \t\r\n");
        n = first == std::string::npos ? ""
                                       : n.substr(first, n.find_last_not_of(" \t\r\n") - first + 1);
        if (n.empty() || n.size() > limits::kMaxFunnelNameBytes) {
          return Status::InvalidArgument("name must be 1.." +
                                         std::to_string(limits::kMaxFunnelNameBytes) + " bytes");
        }
        b.name = std::move(n);
      } else if (key == "definition") {
        if (!value.is_object())
          return Status::InvalidArgument("definition must be an object: {\"steps\":[…]}");
        auto f = ParseFunnelDefinition(simdjson::to_string(value));
        if (!f.ok()) return Status::InvalidArgument("definition: " + f.status().message());
        std::string json = FunnelDefinitionJson(*f);
        if (json.size() > limits::kMaxFunnelDefinitionBytes) {
          return Status::InvalidArgument("the definition is longer than " +
                                         std::to_string(limits::kMaxFunnelDefinitionBytes) +
                                         " bytes once written");
        }
        b.definition = std::move(json);
      } else {
        const std::string k(key);
        return Status::InvalidArgument("unknown field \"" +
                                       (k.size() > 40 ? k.substr(0, 40) + "…" : k) + "\"");
      }
    }
  }
  return b;
}

Reply Create(const ApiDeps& d, const RouteCall& call) {
  auto b = ParseSaveBody(call);
  if (!b.ok()) return ErrorReply(b.status());
  if (!b->name) return ErrorReply(Status::InvalidArgument("name is required"));
  if (!b->definition) return ErrorReply(Status::InvalidArgument("definition is required"));
  auto f = d.meta->CreateFunnel(b->project_id, *b->name, *b->definition);
  if (!f.ok()) return NotFoundOr(f.status(), b->project_id);
  WriteAudit(d, call, b->project_id, "funnel.create", FunnelAuditDetails(*f));
  JsonWriter w;
  WriteSaved(*f, &w);
  Reply r = JsonReply(w.Take());
  r.status = 201;
  return r;
}

Reply Update(const ApiDeps& d, const RouteCall& call) {
  auto id = FunnelId(call);
  if (!id.ok()) return ErrorReply(id.status());
  auto b = ParseSaveBody(call);
  if (!b.ok()) return ErrorReply(b.status());
  if (!b->name && !b->definition)
    return ErrorReply(Status::InvalidArgument("give a name, a definition or both"));
  auto cur = d.meta->GetFunnel(b->project_id, *id);
  if (!cur.ok()) return ErrorReply(cur.status());
  auto f = d.meta->UpdateFunnel(b->project_id, *id, b->name.value_or(cur->name),
                                b->definition.value_or(cur->definition));
  if (!f.ok()) return ErrorReply(f.status());
  WriteAudit(d, call, b->project_id, "funnel.update", FunnelAuditDetails(*f));
  JsonWriter w;
  WriteSaved(*f, &w);
  return JsonReply(w.Take());
}

Reply Delete(const ApiDeps& d, const RouteCall& call) {
  auto id = FunnelId(call);
  if (!id.ok()) return ErrorReply(id.status());
  auto b = ParseSaveBody(call);
  if (!b.ok()) return ErrorReply(b.status());
  auto cur = d.meta->GetFunnel(b->project_id, *id);
  if (!cur.ok()) return ErrorReply(cur.status());
  Status s = d.meta->DeleteFunnel(b->project_id, *id);
  if (!s.ok()) return ErrorReply(s);
  WriteAudit(d, call, b->project_id, "funnel.delete", FunnelAuditDetails(*cur));
  Reply r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

// The custom event names of the range (most events first) with their properties' keys and most
// common values, for the builder's pickers. Read from at most kMaxEventNameScan custom events,
// oldest first; `complete` says whether that was all of them.
Reply EventNames(const ApiDeps& d, const RouteCall& call) {
  EventFilter f;
  Status s = ParseFilter(call, d.clock->NowMs(), &f);
  if (!s.ok()) return ErrorReply(s);
  auto limit = LimitParam(call.req, 50, limits::kMaxListLimit);
  if (!limit.ok()) return ErrorReply(limit.status());
  std::string q = call.req.Query("q");
  for (char& c : q) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto events = d.events->ListEvents(f, EventType::kCustom, limits::kMaxEventNameScan + 1);
  if (!events.ok()) return ErrorReply(events.status());
  const bool complete = events->size() <= limits::kMaxEventNameScan;
  if (!complete) events->pop_back();
  struct Name {
    uint64_t events = 0;
    std::map<std::string, std::map<std::string, uint64_t>> props;  // key -> value text -> events
  };
  std::map<std::string, Name> names;
  simdjson::dom::parser parser;
  constexpr size_t kMaxKeys = 20, kMaxValues = 200;
  for (const Event& e : *events) {
    if (e.name.empty()) continue;
    if (!q.empty()) {
      std::string lower = e.name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower.find(q) == std::string::npos) continue;
    }
    Name& n = names[e.name];
    ++n.events;
    simdjson::dom::element props;
    if (e.props.empty() || e.props == "{}" || parser.parse(e.props).get(props) ||
        !props.is_object())
      continue;
    for (auto [key, value] : props.get_object()) {
      // the values a custom step can compare with (funnel.h): strings, integers, booleans
      std::string text;
      switch (value.type()) {
        case simdjson::dom::element_type::STRING:
          text = std::string(std::string_view(value));
          break;
        case simdjson::dom::element_type::INT64:
          text = std::to_string(int64_t(value));
          break;
        case simdjson::dom::element_type::UINT64:
          text = std::to_string(uint64_t(value));
          break;
        case simdjson::dom::element_type::BOOL:
          text = bool(value) ? "true" : "false";
          break;
        default:
          continue;
      }
      auto it = n.props.find(std::string(key));
      if (it == n.props.end()) {
        if (n.props.size() >= kMaxKeys) continue;
        it = n.props.emplace(std::string(key), std::map<std::string, uint64_t>()).first;
      }
      if (text.size() <= 200 && (it->second.size() < kMaxValues || it->second.count(text)))
        ++it->second[text];
    }
  }
  std::vector<std::pair<std::string, const Name*>> order;
  for (const auto& [name, n] : names) order.emplace_back(name, &n);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.second->events > b.second->events;
  });
  if (order.size() > *limit) order.resize(*limit);
  JsonWriter w;
  w.BeginObject().Key("names").BeginArray();
  for (const auto& [name, n] : order) {
    w.BeginObject()
        .Key("name")
        .String(name)
        .Key("events")
        .Uint(n->events)
        .Key("properties")
        .BeginArray();
    for (const auto& [key, values] : n->props) {
      std::vector<std::pair<std::string, uint64_t>> top(values.begin(), values.end());
      std::stable_sort(top.begin(), top.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
      if (top.size() > 10) top.resize(10);
      w.BeginObject().Key("key").String(key).Key("values").BeginArray();
      for (const auto& [v, c] : top)
        w.BeginObject().Key("value").String(v).Key("events").Uint(c).EndObject();
      w.EndArray().EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray().Key("scanned").Uint(events->size()).Key("complete").Bool(complete).EndObject();
  return JsonReply(w.Take());
}

}  // namespace

Status AddFunnelRoutes(RouteTable* t, const ApiDeps& d) {
  const size_t body = limits::kMaxApiBody;
  struct R {
    const char* method;
    const char* path;
    AuthPolicy auth;
    Reply (*fn)(const ApiDeps&, const RouteCall&);
  };
  // POST /api/funnels/query changes nothing: a read (a body, because a funnel does not fit a URL).
  for (const R& r : {R{"POST", "/api/funnels/query", AuthPolicy::kRead, Query},
                     R{"POST", "/api/funnels/members", AuthPolicy::kRead, Members},
                     R{"GET", "/api/funnels", AuthPolicy::kRead, List},
                     R{"GET", "/api/funnels/*", AuthPolicy::kRead, GetOne},
                     R{"POST", "/api/funnels", AuthPolicy::kMemberCsrf, Create},
                     R{"PUT", "/api/funnels/*", AuthPolicy::kMemberCsrf, Update},
                     R{"DELETE", "/api/funnels/*", AuthPolicy::kMemberCsrf, Delete},
                     R{"GET", "/api/event-names", AuthPolicy::kRead, EventNames}}) {
    auto fn = r.fn;
    TAP_RETURN_IF_ERROR(
        t->Add({r.method, r.path, r.auth, body, 0, false, CorsPolicy::kNone, "funnels",
                Sync([d, fn](const RouteCall& c) { return fn(d, c); })}));
  }
  return Status::Ok();
}

}  // namespace tapistry
