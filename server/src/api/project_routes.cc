// Projects, members, settings, keys and the audit log from the dashboard (issue 12). The router
// has checked membership (AuthPolicy kMember / kOwner…) before a handler here runs; every change
// is written to the project's audit log.
#include <simdjson.h>

#include <climits>
#include <map>
#include <tuple>

#include "api/api_common.h"
#include "api/api_routes.h"
#include "api/mailer.h"
#include "api/project_settings_json.h"
#include "api/session_auth.h"
#include "common/json_writer.h"
#include "ops/logging.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

Status ParseObject(const std::string& body, simdjson::dom::parser* parser,
                   simdjson::dom::element* doc) {
  if (parser->parse(body).get(*doc) || !doc->is_object())
    return Status::InvalidArgument("body must be a JSON object");
  return Status::Ok();
}

// The string field `key` of a JSON object; "" when absent; InvalidArgument when not a string.
Result<std::string> StringField(const simdjson::dom::element& doc, const char* key) {
  auto v = doc[key];
  if (v.error()) return std::string();
  if (!v.is_string()) return Status::InvalidArgument(std::string(key) + " must be a string");
  return std::string(std::string_view(v.value_unsafe()));
}

void WriteProject(const Project& p, Role role, const std::string& demo_id, JsonWriter* w) {
  w->BeginObject()
      .Key("id")
      .String(p.id)
      .Key("name")
      .String(p.name)
      .Key("public_key")
      .String(p.public_key)
      .Key("created_ms")
      .Int(p.created_ms)
      .Key("role")
      .String(RoleName(role))
      .Key("demo")
      .Bool(!demo_id.empty() && p.id == demo_id)
      .Key("allowed_origins")
      .BeginArray();
  for (const auto& o : p.allowed_origins) w->String(o);
  w->EndArray().EndObject();
}

std::string DemoId(const ApiDeps& d) {
  auto demo = d.meta->GetValue(kDemoProjectKey);
  return demo.ok() ? demo->value_or("") : std::string();
}

// GET /api/projects: the signed-in user's projects, oldest first, with their role.
Reply ListProjects(const ApiDeps& d, const RouteCall& call) {
  auto mine = d.meta->ListMemberships(call.user_id);
  if (!mine.ok()) return ErrorReply(mine.status());
  const std::string demo_id = DemoId(d);
  JsonWriter w;
  w.BeginObject().Key("projects").BeginArray();
  for (const Membership& m : *mine) {
    auto p = d.meta->GetProject(m.project_id);
    if (!p.ok()) continue;  // deleted between the two reads
    WriteProject(*p, m.role, demo_id, &w);
  }
  w.EndArray().EndObject();
  return JsonReply(w.Take());
}

// POST /api/projects {"name", "allowed_origins"?}: a new project owned by the caller.
Reply CreateProject(const ApiDeps& d, const RouteCall& call) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (Status s = ParseObject(call.req.body, &parser, &doc); !s.ok()) return ErrorReply(s);
  auto name = StringField(doc, "name");
  if (!name.ok()) return ErrorReply(name.status());
  std::vector<std::string> origins;
  if (auto v = doc["allowed_origins"]; !v.error()) {
    // Validated by the settings rules, on a scratch project.
    Project scratch;
    std::vector<SettingChange> changed;
    simdjson::dom::parser p2;
    simdjson::dom::element patch;
    std::string text = "{\"allowed_origins\":" + simdjson::minify(v.value_unsafe()) + "}";
    if (p2.parse(text).get(patch)) return ErrorReply(Status::InvalidArgument("allowed_origins"));
    if (Status s = ApplyProjectSettingsPatch(patch, &scratch, &changed); !s.ok())
      return ErrorReply(s);
    origins = scratch.allowed_origins;
  }
  auto c = d.meta->CreateProject(*name, origins);
  if (!c.ok()) return ErrorReply(c.status());
  if (Status s = d.meta->SetMember(c->project.id, call.user_id, Role::kOwner); !s.ok()) {
    (void)d.meta->DeleteProject(c->project.id);
    return ErrorReply(s);
  }
  JsonWriter details;
  details.BeginObject().Key("name").String(c->project.name).EndObject();
  WriteAudit(d, call, c->project.id, "project.create", details.Take());
  JsonWriter w;
  w.BeginObject().Key("project");
  WriteProject(c->project, Role::kOwner, "", &w);
  w.Key("read_token").String(c->read_token).EndObject();
  Reply r = JsonReply(w.Take());
  r.status = 201;
  return r;
}

// PUT /api/project {"project_id", "name"}: renames (owners).
Reply RenameProject(const ApiDeps& d, const RouteCall& call) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (Status s = ParseObject(call.req.body, &parser, &doc); !s.ok()) return ErrorReply(s);
  auto name = StringField(doc, "name");
  if (!name.ok()) return ErrorReply(name.status());
  auto before = d.meta->GetProject(call.project_id);
  if (!before.ok()) return ErrorReply(before.status());
  if (Status s = d.meta->RenameProject(call.project_id, *name); !s.ok()) return ErrorReply(s);
  JsonWriter details;
  details.BeginObject().Key("from").String(before->name).Key("to").String(*name).EndObject();
  WriteAudit(d, call, call.project_id, "project.rename", details.Take());
  auto p = d.meta->GetProject(call.project_id);
  if (!p.ok()) return ErrorReply(p.status());
  JsonWriter w;
  WriteProject(*p, Role::kOwner, DemoId(d), &w);
  return JsonReply(w.Take());
}

// DELETE /api/project?project_id=: the project and everything stored for it (owners). Its
// recordings and events go first, so a failure halfway leaves a project that can be deleted
// again rather than data nobody can reach.
Reply DeleteProject(const ApiDeps& d, const RouteCall& call) {
  uint64_t recordings = 0;
  if (d.delete_recording) {
    for (;;) {
      ReplayListOptions page;
      page.limit = 500;
      auto list = d.meta->ListReplaySessions(call.project_id, page);
      if (!list.ok()) return ErrorReply(list.status());
      if (list->empty()) break;
      for (const ReplaySession& s : *list) {
        auto gone = d.delete_recording(call.project_id, s.session_id);
        if (!gone.ok()) return ErrorReply(gone.status());
        if (!*gone) return ErrorReply(Status::Internal("a recording would not go"));
        ++recordings;
      }
    }
  }
  // Every day before "day INT32_MAX": all of the project's events.
  auto events = d.events->ApplyRetention(call.project_id, INT32_MAX, 0);
  if (!events.ok()) return ErrorReply(events.status());
  if (Status s = d.meta->DeleteProject(call.project_id); !s.ok()) return ErrorReply(s);
  JsonWriter details;
  details.BeginObject().Key("events").Uint(*events).Key("recordings").Uint(recordings).EndObject();
  const std::string report = details.str();
  WriteAudit(d, call, call.project_id, "project.delete", details.Take());
  JsonWriter w;
  w.BeginObject().Key("deleted").String(call.project_id).Key("removed").Raw(report).EndObject();
  return JsonReply(w.Take());
}

// GET /api/members?project_id=: who may use the project.
Reply ListMembers(const ApiDeps& d, const RouteCall& call) {
  auto list = d.meta->ListMembers(call.project_id);
  if (!list.ok()) return ErrorReply(list.status());
  JsonWriter w;
  w.BeginObject().Key("members").BeginArray();
  for (const Membership& m : *list) {
    auto u = d.meta->GetUser(m.user_id);
    w.BeginObject()
        .Key("user_id")
        .String(m.user_id)
        .Key("email")
        .String(u.ok() ? u->email : "")
        .Key("role")
        .String(RoleName(m.role))
        .Key("added_ms")
        .Int(m.created_ms)
        .Key("you")
        .Bool(m.user_id == call.user_id)
        .EndObject();
  }
  w.EndArray().EndObject();
  return JsonReply(w.Take());
}

// Tells an added member where to sign in (off the I/O threads: SMTP is slow). No link is in the
// mail: a sign-in link is bound to the browser that asks for it, and the new member asks on the
// sign-in page.
void MailInvite(const ApiDeps& d, const std::string& email, const std::string& project_name,
                const std::string& inviter) {
  const std::string base = !d.public_url.empty() ? d.public_url
                           : d.log_base_url      ? d.log_base_url()
                                                 : std::string();
  const std::string signin = base + "/auth/signin";
  if (d.mailer == nullptr || d.public_url.empty()) {
    Log(LogLevel::kInfo, "member added; no mail sent (no --smtp-host or --public-url)",
        {{"email", email}, {"signin", signin}});
    return;
  }
  MailMessage m;
  m.to = email;
  m.subject = "You were added to " + project_name.substr(0, 80) + " on Tapistry";
  for (char& c : m.subject) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  m.text = (inviter.empty() ? std::string("An owner") : inviter) + " added you to the project \"" +
           project_name + "\" on Tapistry at " + d.public_url +
           ".\n\nSign in with this address here:\n\n" + signin +
           "\n\nYou will get a one-time sign-in link by mail.\n";
  Status s = d.mailer->Send(m);
  if (!s.ok()) Log(LogLevel::kError, "sending an invitation failed", {{"error", s.ToString()}});
}

// POST /api/members {"project_id", "email", "role"?}: adds a user (made when the address is
// new) or changes a member's role (owners).
Reply AddMember(const ApiDeps& d, const RouteCall& call) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (Status s = ParseObject(call.req.body, &parser, &doc); !s.ok()) return ErrorReply(s);
  auto raw_email = StringField(doc, "email");
  auto raw_role = StringField(doc, "role");
  if (!raw_email.ok()) return ErrorReply(raw_email.status());
  if (!raw_role.ok()) return ErrorReply(raw_role.status());
  auto email = NormalizeEmail(*raw_email);
  if (!email.ok()) return ErrorReply(email.status());
  const std::optional<Role> role = raw_role->empty() ? Role::kMember : ParseRole(*raw_role);
  if (!role) return ErrorReply(Status::InvalidArgument("role must be \"member\" or \"owner\""));
  bool created = false;
  auto user = d.meta->FindUserByEmail(*email);
  if (user.status().code() == StatusCode::kNotFound) {
    user = d.meta->CreateUser(*email);
    created = user.ok();
    // Made by a concurrent request in between: that user it is.
    if (user.status().code() == StatusCode::kAlreadyExists) user = d.meta->FindUserByEmail(*email);
  }
  if (!user.ok()) return ErrorReply(user.status());
  auto had = d.meta->GetRole(call.project_id, user->id);
  if (!had.ok()) return ErrorReply(had.status());
  if (Status s = d.meta->SetMember(call.project_id, user->id, *role); !s.ok()) return ErrorReply(s);
  JsonWriter details;
  details.BeginObject()
      .Key("user_id")
      .String(user->id)
      .Key("email")
      .String(user->email)
      .Key("role")
      .String(RoleName(*role));
  if (had->has_value()) details.Key("previous_role").String(RoleName(**had));
  details.EndObject();
  WriteAudit(d, call, call.project_id, had->has_value() ? "member.role" : "member.add",
             details.Take());
  if (!had->has_value()) {
    auto p = d.meta->GetProject(call.project_id);
    auto inviter = d.meta->GetUser(call.user_id);
    auto job = [d, to = user->email, name = p.ok() ? p->name : call.project_id,
                by = inviter.ok() ? inviter->email : std::string()] {
      MailInvite(d, to, name, by);
    };
    if (!d.run_blocking || !d.run_blocking(job)) job();
  }
  JsonWriter w;
  w.BeginObject()
      .Key("user_id")
      .String(user->id)
      .Key("email")
      .String(user->email)
      .Key("role")
      .String(RoleName(*role))
      .Key("new_user")
      .Bool(created)
      .Key("added")
      .Bool(!had->has_value())
      .EndObject();
  return JsonReply(w.Take());
}

// DELETE /api/members?project_id=&user_id=: removes a member (owners; never the last owner).
Reply RemoveMember(const ApiDeps& d, const RouteCall& call) {
  const std::string user_id = call.req.Query("user_id");
  if (user_id.empty()) return ErrorReply(Status::InvalidArgument("user_id is required"));
  auto u = d.meta->GetUser(user_id);
  auto gone = d.meta->RemoveMember(call.project_id, user_id);
  if (!gone.ok()) return ErrorReply(gone.status());
  if (!*gone)
    return ErrorReply(Status::NotFound(user_id + " is not a member of " + call.project_id));
  JsonWriter details;
  details.BeginObject()
      .Key("user_id")
      .String(user_id)
      .Key("email")
      .String(u.ok() ? u->email : "")
      .EndObject();
  WriteAudit(d, call, call.project_id, "member.remove", details.Take());
  return JsonReply("{\"removed\":1}");
}

// GET /api/settings?project_id=: the project, its settings and the caller's role.
Reply GetSettings(const ApiDeps& d, const RouteCall& call) {
  auto p = d.meta->GetProject(call.project_id);
  if (!p.ok()) return ErrorReply(p.status());
  JsonWriter w;
  w.BeginObject().Key("project");
  WriteProject(*p, call.role.value_or(Role::kMember), DemoId(d), &w);
  w.Key("settings");
  WriteProjectSettingsJson(*p, &w);
  // The retention job's last pass over the project (null before the first).
  auto last = d.meta->GetValue(kRetentionRunKeyPrefix + call.project_id);
  w.Key("retention_last_run");
  if (last.ok() && last->has_value() && !(*last)->empty()) w.Raw(**last);
  else w.Null();
  w.EndObject();
  return JsonReply(w.Take());
}

// PUT /api/settings {"project_id", <settings>…}: changes the given settings (owners). Ingestion
// follows within its key cache's lifetime (5 s).
Reply PutSettings(const ApiDeps& d, const RouteCall& call) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (Status s = ParseObject(call.req.body, &parser, &doc); !s.ok()) return ErrorReply(s);
  auto p = d.meta->GetProject(call.project_id);
  if (!p.ok()) return ErrorReply(p.status());
  Project next = *p;
  std::vector<SettingChange> changed;
  if (Status s = ApplyProjectSettingsPatch(doc, &next, &changed); !s.ok()) return ErrorReply(s);
  if (next.settings != p->settings) {
    if (Status s = d.meta->UpdateSettings(call.project_id, next.settings); !s.ok())
      return ErrorReply(s);
  }
  if (next.allowed_origins != p->allowed_origins) {
    if (Status s = d.meta->SetAllowedOrigins(call.project_id, next.allowed_origins); !s.ok())
      return ErrorReply(s);
  }
  if (!changed.empty()) {
    // The audit entry holds each changed key's old and new value.
    JsonWriter details;
    details.BeginObject();
    for (const SettingChange& c : changed) {
      details.Key(c.key).BeginObject().Key("from").Raw(c.from).Key("to").Raw(c.to).EndObject();
    }
    details.EndObject();
    WriteAudit(d, call, call.project_id, "settings.update", details.Take());
  }
  JsonWriter w;
  w.BeginObject().Key("changed").BeginArray();
  for (const SettingChange& c : changed) w.String(c.key);
  w.EndArray().Key("settings");
  WriteProjectSettingsJson(next, &w);
  w.EndObject();
  return JsonReply(w.Take());
}

// POST /api/keys/rotate {"project_id"}: a new public key (owners). The old key stops working
// within 5 s; the snippet on the site must be updated.
Reply RotateKey(const ApiDeps& d, const RouteCall& call) {
  auto before = d.meta->GetProject(call.project_id);
  if (!before.ok()) return ErrorReply(before.status());
  auto key = d.meta->RotatePublicKey(call.project_id);
  if (!key.ok()) return ErrorReply(key.status());
  JsonWriter details;
  details.BeginObject()
      .Key("previous_public_key")
      .String(before->public_key)
      .Key("public_key")
      .String(*key)
      .EndObject();
  WriteAudit(d, call, call.project_id, "key.rotate", details.Take());
  JsonWriter w;
  w.BeginObject()
      .Key("public_key")
      .String(*key)
      .Key("previous_public_key")
      .String(before->public_key)
      .EndObject();
  return JsonReply(w.Take());
}

// GET /api/audit?project_id=&limit=&before=&format=csv: the audit log, newest first (owners).
Reply ListAudit(const ApiDeps& d, const RouteCall& call) {
  int64_t limit = 100, before = INT64_MAX;
  for (auto [name, field, max] :
       {std::tuple<const char*, int64_t*, int64_t>{"limit", &limit, 10000},
        {"before", &before, INT64_MAX}}) {
    const std::string v = call.req.Query(name);
    if (v.empty()) continue;
    char* end = nullptr;
    const long long n = std::strtoll(v.c_str(), &end, 10);
    if (end == nullptr || *end != '\0' || n < 1 || n > max)
      return ErrorReply(Status::InvalidArgument(std::string(name) + " must be a whole number 1.." +
                                                std::to_string(max)));
    *field = n;
  }
  auto list = d.meta->ListAudit(call.project_id, static_cast<size_t>(limit), before);
  if (!list.ok()) return ErrorReply(list.status());
  std::map<std::string, std::string> emails;  // actor id -> email
  for (const AuditEntry& e : *list) {
    if (emails.count(e.actor)) continue;
    auto u = d.meta->GetUser(e.actor);
    emails[e.actor] = u.ok() ? u->email : "";
  }
  if (call.req.Query("format") == "csv") {
    std::string csv = "id,ts_ms,actor,actor_email,action,details\r\n";
    for (const AuditEntry& e : *list) {
      csv += std::to_string(e.id) + "," + std::to_string(e.ts_ms) + "," + CsvField(e.actor) + "," +
             CsvField(emails[e.actor]) + "," + CsvField(e.action) + "," + CsvField(e.details) +
             "\r\n";
    }
    return CsvReply(std::move(csv), "audit-" + call.project_id + ".csv");
  }
  JsonWriter w;
  w.BeginObject().Key("entries").BeginArray();
  for (const AuditEntry& e : *list) {
    w.BeginObject()
        .Key("id")
        .Int(e.id)
        .Key("ts_ms")
        .Int(e.ts_ms)
        .Key("actor")
        .String(e.actor)
        .Key("actor_email")
        .String(emails[e.actor])
        .Key("action")
        .String(e.action)
        .Key("details")
        .Raw(e.details)
        .EndObject();
  }
  w.EndArray();
  if (!list->empty() && list->size() == static_cast<size_t>(limit))
    w.Key("next_before").Int(list->back().id);
  w.EndObject();
  return JsonReply(w.Take());
}

// GET /api/tokens?project_id=: the project's read tokens (names and dates; never a secret).
Reply ListTokens(const ApiDeps& d, const RouteCall& call) {
  auto list = d.meta->ListReadTokens(call.project_id);
  if (!list.ok()) return ErrorReply(list.status());
  const int64_t now = d.clock->NowMs();
  JsonWriter w;
  w.BeginObject().Key("tokens").BeginArray();
  for (const ReadTokenInfo& t : *list) {
    w.BeginObject()
        .Key("id")
        .String(t.id)
        .Key("name")
        .String(t.name)
        .Key("created_ms")
        .Int(t.created_ms)
        .Key("expires_ms")
        .Int(t.expires_ms)
        .Key("expired")
        .Bool(t.expires_ms != 0 && t.expires_ms <= now)
        .EndObject();
  }
  w.EndArray().EndObject();
  return JsonReply(w.Take());
}

// POST /api/tokens {"project_id","name","expires_days"?}: a new read token, shown once (owners).
// expires_days 1..3650; absent or 0: it never expires.
Reply CreateToken(const ApiDeps& d, const RouteCall& call) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (Status s = ParseObject(call.req.body, &parser, &doc); !s.ok()) return ErrorReply(s);
  auto name = StringField(doc, "name");
  if (!name.ok()) return ErrorReply(name.status());
  int64_t days = 0;
  if (auto v = doc["expires_days"]; !v.error()) {
    if (!v.is_int64() || int64_t(v.value_unsafe()) < 0 || int64_t(v.value_unsafe()) > 3650)
      return ErrorReply(Status::InvalidArgument(
          "expires_days must be a whole number 0..3650 (0: the token never expires)"));
    days = int64_t(v.value_unsafe());
  }
  const int64_t expires = days == 0 ? 0 : d.clock->NowMs() + days * 86400000;
  auto c = d.meta->CreateNamedReadToken(call.project_id, *name, expires);
  if (!c.ok()) return ErrorReply(c.status());
  JsonWriter details;
  details.BeginObject()
      .Key("token_id")
      .String(c->info.id)
      .Key("name")
      .String(c->info.name)
      .Key("expires_ms")
      .Int(expires)
      .EndObject();
  WriteAudit(d, call, call.project_id, "token.create", details.Take());
  JsonWriter w;
  w.BeginObject()
      .Key("id")
      .String(c->info.id)
      .Key("name")
      .String(c->info.name)
      .Key("created_ms")
      .Int(c->info.created_ms)
      .Key("expires_ms")
      .Int(expires)
      .Key("token")
      .String(c->token)
      .EndObject();
  Reply r = JsonReply(w.Take());
  r.status = 201;
  return r;
}

// DELETE /api/tokens?project_id=&id=: revokes one read token at once (owners).
Reply RevokeToken(const ApiDeps& d, const RouteCall& call) {
  const std::string id = call.req.Query("id");
  if (id.empty()) return ErrorReply(Status::InvalidArgument("id is required"));
  if (Status s = d.meta->RevokeReadToken(call.project_id, id); !s.ok()) return ErrorReply(s);
  JsonWriter details;
  details.BeginObject().Key("token_id").String(id).EndObject();
  WriteAudit(d, call, call.project_id, "token.revoke", details.Take());
  return JsonReply("{\"revoked\":1}");
}

// GET /api/install/status?project_id=: the dashboard's "verify installation" — what ingestion
// saw of the project lately (IngestMonitor).
Reply InstallStatus(const ApiDeps& d, const RouteCall& call) {
  if (!d.install_status) return ErrorReply(Status::Unavailable("no ingestion on this server"));
  auto p = d.meta->GetProject(call.project_id);
  if (!p.ok()) return ErrorReply(p.status());
  return JsonReply(d.install_status(*p));
}

}  // namespace

void WriteAudit(const ApiDeps& d, const RouteCall& call, const std::string& project_id,
                const std::string& action, std::string details) {
  AuditEntry e;
  e.project_id = project_id;
  e.actor = call.user_id;
  e.action = action;
  e.details = std::move(details);
  auto r = d.meta->AppendAudit(e);
  if (!r.ok())
    Log(LogLevel::kError, "writing the audit log failed",
        {{"action", action}, {"error", r.status().ToString()}});
}

Status AddProjectRoutes(RouteTable* t, const ApiDeps& d) {
  using Handler = Reply (*)(const ApiDeps&, const RouteCall&);
  struct R {
    const char* method;
    const char* path;
    AuthPolicy auth;
    Handler handler;
  };
  for (const R& r : {R{"GET", "/api/projects", AuthPolicy::kSession, ListProjects},
                     R{"POST", "/api/projects", AuthPolicy::kSessionCsrf, CreateProject},
                     R{"PUT", "/api/project", AuthPolicy::kOwnerCsrf, RenameProject},
                     R{"DELETE", "/api/project", AuthPolicy::kOwnerCsrf, DeleteProject},
                     R{"GET", "/api/members", AuthPolicy::kMember, ListMembers},
                     R{"POST", "/api/members", AuthPolicy::kOwnerCsrf, AddMember},
                     R{"DELETE", "/api/members", AuthPolicy::kOwnerCsrf, RemoveMember},
                     R{"GET", "/api/settings", AuthPolicy::kMember, GetSettings},
                     R{"PUT", "/api/settings", AuthPolicy::kOwnerCsrf, PutSettings},
                     R{"POST", "/api/keys/rotate", AuthPolicy::kOwnerCsrf, RotateKey},
                     R{"GET", "/api/audit", AuthPolicy::kOwner, ListAudit},
                     R{"GET", "/api/install/status", AuthPolicy::kMember, InstallStatus},
                     R{"GET", "/api/tokens", AuthPolicy::kOwner, ListTokens},
                     R{"POST", "/api/tokens", AuthPolicy::kOwnerCsrf, CreateToken},
                     R{"DELETE", "/api/tokens", AuthPolicy::kOwnerCsrf, RevokeToken}}) {
    Handler h = r.handler;
    TAP_RETURN_IF_ERROR(
        t->Add({r.method, r.path, r.auth, limits::kMaxApiBody, 0, false, CorsPolicy::kNone, "api",
                Sync([d, h](const RouteCall& c) { return h(d, c); })}));
  }
  return Status::Ok();
}

}  // namespace tapistry
