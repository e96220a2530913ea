// tapistry: the command line. Everything but argument dispatch lives in app/ so tests link it.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "api/session_auth.h"
#include "app/config.h"
#include "app/data_dir.h"
#include "app/importer.h"
#include "app/server_app.h"
#include "app/store_factory.h"
#include "common/json_writer.h"
#include "ingest/url.h"
#include "ops/logging.h"
#include "store/embedded/embedded_event_store.h"
#include "tapistry/event_store.h"
#include "tapistry/limits.h"
#include "tapistry/meta_store.h"

namespace tapistry {
namespace {

constexpr const char* kVersion = "0.1.0";

int Fail(const Status& s) {
  std::fprintf(stderr, "tapistry: %s\n", s.message().c_str());
  return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

std::string FlagOr(const ParsedArgs& a, const std::string& name, const std::string& def) {
  auto it = a.flags.find(name);
  return it == a.flags.end() ? def : it->second.back();
}

int Serve(const ParsedArgs& args) {
  Config cfg;
  Status s = LoadConfig(args, &cfg);
  if (!s.ok()) return Fail(s);
  LogLevel level;
  if (!ParseLogLevel(cfg.log_level, &level))
    return Fail(Status::InvalidArgument("--log-level must be debug, info, warn or error"));
  SetLogLevel(level);
  // Signals are taken by sigwait below; every thread started from here inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto app = ServerApp::Open(cfg);
  if (!app.ok()) return Fail(app.status());
  s = (*app)->Start();
  if (!s.ok()) return Fail(s);
  Log(LogLevel::kInfo, "listening",
      {{"url", "http://" + cfg.Host() + ":" + std::to_string((*app)->port())}, {"data", cfg.data}});
  auto link = (*app)->SignInLink();
  if (link.ok()) {
    std::fprintf(stderr, "\n  Dashboard: open this one-time sign-in link (valid 24 h):\n    %s\n\n",
                 link->c_str());
  } else {
    Log(LogLevel::kWarn, "could not issue a sign-in link", {{"error", link.status().ToString()}});
  }
  int sig = 0;
  sigwait(&set, &sig);
  Log(LogLevel::kInfo, "stopping: draining requests and flushing",
      {{"signal", std::to_string(sig)}});
  (*app)->Stop();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

Status NoProject(const std::string& id, const std::string& data) {
  return Status::InvalidArgument("no project '" + id + "' in " + data + " (tapistry project list)");
}

int ProjectCmd(const ParsedArgs& args) {
  if (args.positional.size() < 2) {
    return Fail(Status::InvalidArgument(
        "usage: tapistry project create|list|settings|token|rotate-key --data DIR ..."));
  }
  std::string data = FlagOr(args, "data", "./data");
  // The meta store is SQLite in WAL mode: safe to use while a server runs on the same directory.
  std::error_code ec;
  std::filesystem::create_directories(data, ec);
  auto meta = OpenMetaStore(FlagOr(args, "meta-store", data + "/meta.db"));
  if (!meta.ok()) return Fail(meta.status());
  const std::string& verb = args.positional[1];
  if (verb == "create") {
    std::string name = FlagOr(args, "name", "");
    if (name.empty()) return Fail(Status::InvalidArgument("--name is required"));
    std::vector<std::string> origins;
    if (auto it = args.flags.find("origin"); it != args.flags.end()) origins = it->second;
    auto c = (*meta)->CreateProject(name, origins);
    if (!c.ok()) return Fail(c.status());
    // The server's owner owns it (on a data dir without one yet, `tapistry serve` adds them).
    auto owner = (*meta)->GetValue(kOwnerUserKey);
    if (!owner.ok()) return Fail(owner.status());
    if (owner->has_value()) {
      if (Status s = (*meta)->SetMember(c->project.id, **owner, Role::kOwner); !s.ok())
        return Fail(s);
    }
    JsonWriter w;
    w.BeginObject()
        .Key("project_id")
        .String(c->project.id)
        .Key("public_key")
        .String(c->project.public_key)
        .Key("read_token")
        .String(c->read_token)
        .EndObject();
    std::cout << w.str() << std::endl;
    return 0;
  }
  if (verb == "list") {
    auto list = (*meta)->ListProjects();
    if (!list.ok()) return Fail(list.status());
    JsonWriter w;
    w.BeginArray();
    for (const Project& p : *list) {
      w.BeginObject()
          .Key("project_id")
          .String(p.id)
          .Key("name")
          .String(p.name)
          .Key("public_key")
          .String(p.public_key)
          .Key("allowed_origins")
          .BeginArray();
      for (const auto& o : p.allowed_origins) w.String(o);
      w.EndArray().EndObject();
    }
    w.EndArray();
    std::cout << w.str() << std::endl;
    return 0;
  }
  if (verb == "token") {
    // A new read token (the one from `create` is shown once); --revoke-others ends every other.
    std::string id = FlagOr(args, "project", "");
    if (!(*meta)->GetProject(id).ok()) return Fail(NoProject(id, data));
    auto token = (*meta)->CreateReadToken(id);
    if (!token.ok()) return Fail(token.status());
    int revoked = 0;
    if (args.flags.count("revoke-others")) {
      auto r = (*meta)->RevokeReadTokens(id, *token);
      if (!r.ok()) return Fail(r.status());
      revoked = *r;
      // The bookmarklet's short-lived tokens of this project end too.
      auto auth = SessionAuth::Open(meta->get(), SystemClock());
      if (!auth.ok()) return Fail(auth.status());
      if (Status s = (*auth)->RevokeOverlayTokens(id); !s.ok()) return Fail(s);
    }
    JsonWriter w;
    w.BeginObject()
        .Key("project_id")
        .String(id)
        .Key("read_token")
        .String(*token)
        .Key("revoked")
        .Int(revoked)
        .EndObject();
    std::cout << w.str() << std::endl;
    return 0;
  }
  if (verb == "rotate-key") {
    // A new public key: the old one is refused by a running server within 5 s (its key cache), so
    // update the snippet on the site first or right after.
    std::string id = FlagOr(args, "project", "");
    auto p = (*meta)->GetProject(id);
    if (!p.ok()) return Fail(NoProject(id, data));
    auto key = (*meta)->RotatePublicKey(id);
    if (!key.ok()) return Fail(key.status());
    JsonWriter w;
    w.BeginObject()
        .Key("project_id")
        .String(id)
        .Key("public_key")
        .String(*key)
        .Key("previous_public_key")
        .String(p->public_key)
        .EndObject();
    std::cout << w.str() << std::endl;
    return 0;
  }
  if (verb == "settings") {
    std::string id = FlagOr(args, "project", "");
    auto p = (*meta)->GetProject(id);
    if (!p.ok()) return Fail(NoProject(id, data));
    ProjectSettings st = p->settings;
    auto int_flag = [&](const char* name, int* field) -> Status {
      auto it = args.flags.find(name);
      if (it == args.flags.end()) return Status::Ok();
      char* end = nullptr;
      long v = std::strtol(it->second.back().c_str(), &end, 10);
      if (end == nullptr || *end != '\0' || v < 0 || v > 1000000) {
        return Status::InvalidArgument(std::string("--") + name + " must be a whole number");
      }
      *field = static_cast<int>(v);
      return Status::Ok();
    };
    for (auto [name, field] : {std::pair<const char*, int*>{"retention-days", &st.retention_days},
                               {"rate-project-rps", &st.rate_project_rps},
                               {"rate-ip-rps", &st.rate_ip_rps},
                               {"rate-session-eps", &st.rate_session_eps}}) {
      if (Status fs = int_flag(name, field); !fs.ok()) return Fail(fs);
    }
    for (auto [name, field] : {std::pair<const char*, bool*>{"store-raw-ua", &st.store_raw_ua},
                               {"respect-dnt", &st.respect_dnt},
                               {"respect-gpc", &st.respect_gpc},
                               {"cookieless", &st.cookieless},
                               {"require-consent", &st.require_consent}}) {
      auto it = args.flags.find(name);
      if (it == args.flags.end()) continue;
      const std::string& v = it->second.back();
      if (v != "true" && v != "false")
        return Fail(Status::InvalidArgument(std::string("--") + name + " must be true or false"));
      *field = v == "true";
    }
    if (Status rs = int_flag("replay-session-kb", &st.replay_session_kb); !rs.ok()) return Fail(rs);
    if (Status rs = int_flag("replay-retention-days", &st.replay_retention_days); !rs.ok())
      return Fail(rs);
    for (auto [name, field] :
         {std::pair<const char*, double*>{"replay-sample-rate", &st.replay_sample_rate},
          {"event-sample-rate", &st.event_sample_rate}}) {
      auto it = args.flags.find(name);
      if (it == args.flags.end()) continue;
      char* end = nullptr;
      const double v = std::strtod(it->second.back().c_str(), &end);
      if (end == nullptr || *end != '\0' || !(v >= 0 && v <= 1)) {
        return Fail(Status::InvalidArgument(std::string("--") + name +
                                            " must be a number 0..1 (0.3 = 30% of sessions)"));
      }
      *field = v;
    }
    if (auto it = args.flags.find("path-rule"); it != args.flags.end()) {
      st.path_rules.clear();
      for (const std::string& rule : it->second) {
        if (rule == "-") continue;
        if (Status rs = ValidatePathRule(rule); !rs.ok()) return Fail(rs);
        if (st.path_rules.size() >= kMaxPathRules)
          return Fail(Status::InvalidArgument("--path-rule: at most 50 rules"));
        st.path_rules.push_back(rule);
      }
    }
    // Repeatable (a selector may hold commas); "-" alone clears the list.
    for (auto [name, list] : {std::pair<const char*, std::vector<std::string>*>{
                                  "replay-allow", &st.replay_allow_selectors},
                              {"replay-mask", &st.replay_mask_selectors},
                              {"replay-ignore", &st.replay_ignore_selectors}}) {
      auto it = args.flags.find(name);
      if (it == args.flags.end()) continue;
      list->clear();
      for (const std::string& sel : it->second) {
        if (sel == "-") continue;
        if (sel.empty() || sel.size() > limits::kMaxReplaySelectorBytes ||
            list->size() >= limits::kMaxReplaySelectors) {
          return Fail(Status::InvalidArgument(std::string("--") + name +
                                              ": at most 50 selectors of 1..256 bytes"));
        }
        list->push_back(sel);
      }
    }
    if (auto it = args.flags.find("query-allowlist"); it != args.flags.end()) {
      st.query_allowlist.clear();
      std::string list = it->second.back();
      for (size_t start = 0; start <= list.size();) {
        size_t comma = list.find(',', start);
        std::string item =
            list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!item.empty()) st.query_allowlist.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    if (Status us = (*meta)->UpdateSettings(id, st); !us.ok()) return Fail(us);
    if (auto it = args.flags.find("origin"); it != args.flags.end()) {
      std::vector<std::string> origins = it->second;
      if (origins.size() == 1 && origins[0] == "*") origins.clear();
      if (Status os = (*meta)->SetAllowedOrigins(id, origins); !os.ok()) return Fail(os);
    }
    auto q = (*meta)->GetProject(id);
    if (!q.ok()) return Fail(q.status());
    JsonWriter w;
    w.BeginObject()
        .Key("project_id")
        .String(q->id)
        .Key("retention_days")
        .Int(q->settings.retention_days)
        .Key("store_raw_ua")
        .Bool(q->settings.store_raw_ua)
        .Key("respect_dnt")
        .Bool(q->settings.respect_dnt)
        .Key("respect_gpc")
        .Bool(q->settings.respect_gpc)
        .Key("cookieless")
        .Bool(q->settings.cookieless)
        .Key("require_consent")
        .Bool(q->settings.require_consent)
        .Key("event_sample_rate")
        .Double(q->settings.event_sample_rate)
        .Key("rate_project_rps")
        .Int(q->settings.rate_project_rps)
        .Key("rate_ip_rps")
        .Int(q->settings.rate_ip_rps)
        .Key("rate_session_eps")
        .Int(q->settings.rate_session_eps)
        .Key("replay_sample_rate")
        .Double(q->settings.replay_sample_rate)
        .Key("replay_session_kb")
        .Int(q->settings.replay_session_kb)
        .Key("replay_retention_days")
        .Int(q->settings.replay_retention_days);
    for (auto [name, list] : {std::pair<const char*, const std::vector<std::string>*>{
                                  "replay_allow", &q->settings.replay_allow_selectors},
                              {"replay_mask", &q->settings.replay_mask_selectors},
                              {"replay_ignore", &q->settings.replay_ignore_selectors},
                              {"query_allowlist", &q->settings.query_allowlist},
                              {"path_rules", &q->settings.path_rules}}) {
      w.Key(name).BeginArray();
      for (const auto& k : *list) w.String(k);
      w.EndArray();
    }
    w.Key("allowed_origins").BeginArray();
    for (const auto& o : q->allowed_origins) w.String(o);
    w.EndArray().EndObject();
    std::cout << w.str() << std::endl;
    return 0;
  }
  return Fail(Status::InvalidArgument("unknown project command '" + verb +
                                      "' (create, list, settings, token, rotate-key)"));
}

int SignInLinkCmd(const ParsedArgs& args) {
  Config cfg;
  Status s = LoadConfig(args, &cfg);
  if (!s.ok()) return Fail(s);
  auto meta = OpenMetaStore(cfg.MetaStoreUrl());
  if (!meta.ok()) return Fail(meta.status());
  auto auth = SessionAuth::Open(meta->get(), SystemClock());
  if (!auth.ok()) return Fail(auth.status());
  auto token = (*auth)->IssueSignInToken();
  if (!token.ok()) return Fail(token.status());
  std::string base = cfg.public_url;
  if (base.empty()) {
    std::string host = cfg.Host() == "0.0.0.0" ? "127.0.0.1" : cfg.Host();
    base = "http://" + host + ":" + std::to_string(cfg.Port());
  }
  std::cout << base << "/auth/signin?token=" << *token << std::endl;
  return 0;
}

// `tapistry user add|list`: the users who may sign in by email, until invitations exist.
int UserCmd(const ParsedArgs& args) {
  const std::string verb = args.positional.size() > 1 ? args.positional[1] : "";
  std::string data = FlagOr(args, "data", "./data");
  auto meta = OpenMetaStore(FlagOr(args, "meta-store", data + "/meta.db"));
  if (!meta.ok()) return Fail(meta.status());
  auto owner = (*meta)->GetValue(kOwnerUserKey);
  if (!owner.ok()) return Fail(owner.status());
  const std::string owner_id = owner->value_or("");
  if (verb == "add") {
    const std::string email = FlagOr(args, "email", "");
    if (email.empty())
      return Fail(Status::InvalidArgument("usage: tapistry user add --data DIR --email EMAIL"));
    auto u = (*meta)->CreateUser(email);
    if (!u.ok()) return Fail(u.status());
    JsonWriter w;
    w.BeginObject().Key("user_id").String(u->id).Key("email").String(u->email).EndObject();
    std::cout << w.str() << std::endl;
    return 0;
  }
  if (verb == "list") {
    auto users = (*meta)->ListUsers();
    if (!users.ok()) return Fail(users.status());
    JsonWriter w;
    w.BeginObject().Key("users").BeginArray();
    for (const User& u : *users) {
      w.BeginObject()
          .Key("id")
          .String(u.id)
          .Key("email")
          .String(u.email)
          .Key("created_ms")
          .Int(u.created_ms)
          .Key("owner")
          .Bool(u.id == owner_id)
          .EndObject();
    }
    w.EndArray().EndObject();
    std::cout << w.str() << std::endl;
    return 0;
  }
  return Fail(Status::InvalidArgument("usage: tapistry user add|list --data DIR [--email EMAIL]"));
}

int SignOutAllCmd(const ParsedArgs& args) {
  std::string data = FlagOr(args, "data", "./data");
  auto meta = OpenMetaStore(FlagOr(args, "meta-store", data + "/meta.db"));
  if (!meta.ok()) return Fail(meta.status());
  auto auth = SessionAuth::Open(meta->get(), SystemClock());
  if (!auth.ok()) return Fail(auth.status());
  if (Status s = (*auth)->RevokeAll(); !s.ok()) return Fail(s);
  std::cout << "every dashboard session issued until now has ended; sign in again with a new link "
               "(tapistry signin-link --data "
            << data << ")" << std::endl;
  return 0;
}

int Import(const ParsedArgs& args) {
  std::vector<std::string> files(args.positional.begin() + 1, args.positional.end());
  if (files.empty())
    return Fail(
        Status::InvalidArgument("usage: tapistry import --data DIR --project ID FILE.ndjson..."));
  std::string data = FlagOr(args, "data", "./data");
  auto dir = DataDir::Open(data);
  if (!dir.ok()) return Fail(dir.status());
  auto meta = OpenMetaStore(FlagOr(args, "meta-store", (*dir)->MetaPath()));
  if (!meta.ok()) return Fail(meta.status());
  ImportOptions io;
  io.project_id = FlagOr(args, "project", "");
  auto project = (*meta)->GetProject(io.project_id);
  if (!project.ok())
    return Fail(Status::InvalidArgument("no project '" + io.project_id + "' in " + data +
                                        " (tapistry project list)"));
  io.query_allowlist = project->settings.query_allowlist;
  io.retention_days = project->settings.retention_days > 0 ? project->settings.retention_days : 180;
  std::string threads = FlagOr(args, "threads", "0");
  io.threads = std::atoi(threads.c_str());
  io.progress = [](const ImportStats& s) {
    std::fprintf(stderr, "\rimported %llu events (%.0f/s), rejected %llu   ",
                 static_cast<unsigned long long>(s.imported),
                 s.seconds > 0 ? s.imported / s.seconds : 0.0,
                 static_cast<unsigned long long>(s.rejected));
  };
  EmbeddedStoreOptions so;
  so.low_priority_compaction = false;  // nothing else to protect
  auto store = OpenEventStore(FlagOr(args, "event-store", (*dir)->EventsDir()), so);
  if (!store.ok()) return Fail(store.status());
  auto r = ImportFiles(files, io, store->get());
  Status cs = (*store)->Close();
  if (!r.ok()) return Fail(r.status());
  if (!cs.ok()) return Fail(cs);
  std::fprintf(stderr, "\r");
  for (const std::string& e : r->first_errors) std::fprintf(stderr, "rejected: %s\n", e.c_str());
  if (r->older_than_retention > 0) {
    std::fprintf(stderr,
                 "warning: %llu imported events are older than the project's retention (%d days); "
                 "the server's "
                 "retention job drops them when it runs (at start, then hourly). Keep them with:\n"
                 "  tapistry project settings --data %s --project %s --retention-days N\n",
                 static_cast<unsigned long long>(r->older_than_retention), io.retention_days,
                 data.c_str(), io.project_id.c_str());
  }
  JsonWriter w;
  w.BeginObject()
      .Key("lines")
      .Uint(r->lines)
      .Key("imported")
      .Uint(r->imported)
      .Key("rejected")
      .Uint(r->rejected)
      .Key("older_than_retention")
      .Uint(r->older_than_retention)
      .Key("seconds")
      .Double(r->seconds)
      .Key("events_per_second")
      .Double(r->seconds > 0 ? r->imported / r->seconds : 0)
      .EndObject();
  std::cout << w.str() << std::endl;
  return r->imported == 0 && r->rejected > 0 ? 1 : 0;
}

}  // namespace
}  // namespace tapistry

int main(int argc, char** argv) {
  using namespace tapistry;
  ParsedArgs args;
  Status s = ParseArgs(argc, argv, {"help", "revoke-others"}, &args);
  if (!s.ok()) return Fail(s);
  if (args.flags.count("help") || args.positional.empty() || args.positional[0] == "help") {
    std::cout << HelpText();
    return args.positional.empty() && !args.flags.count("help") ? 2 : 0;
  }
  const std::string& cmd = args.positional[0];
  if (cmd == "serve") return Serve(args);
  if (cmd == "project") return ProjectCmd(args);
  if (cmd == "import") return Import(args);
  if (cmd == "signin-link") return SignInLinkCmd(args);
  if (cmd == "signout-all") return SignOutAllCmd(args);
  if (cmd == "user") return UserCmd(args);
  if (cmd == "version") {
    std::cout << "tapistry " << kVersion << std::endl;
    return 0;
  }
  return Fail(Status::InvalidArgument("unknown command '" + cmd + "' (see tapistry --help)"));
}
