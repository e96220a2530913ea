// The MetaStore conformance suite: what every backend (SQLite, PostgreSQL) must do, as checks
// that take a way to open the backend. A backend plugs in with a factory type and one line:
//
//   struct MyFactory {
//     MyFactory();                          // fresh, empty storage for one test
//     std::unique_ptr<MetaStore> Open();    // a store over that storage; called again after the
//                                           // previous store was destroyed (reopen)
//     static constexpr const char* kName;   // test name part, e.g. "Postgres"
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, MetaStoreConformanceTest, ::testing::Types<MyFactory>);
//
// The checks are plain functions listed in MetaChecks() so meta_store_honesty_test.cc can prove
// each one fails a do-nothing store and the mistake it was written for.
// Thread-safety: test code; checks start their own threads.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "conformance_util.h"
#include "tapistry/limits.h"
#include "tapistry/meta_store.h"

namespace tapistry::conformance {

using MetaStoreOpener = std::function<std::unique_ptr<MetaStore>()>;

namespace meta_checks {

inline bool HexId(const std::string& s, const std::string& prefix, size_t hex_digits) {
  if (s.size() != prefix.size() + hex_digits || !s.starts_with(prefix)) return false;
  return std::all_of(s.begin() + static_cast<long>(prefix.size()), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

inline int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Creates a project or fails the check (callers ASSERT on the returned id being non-empty).
inline CreatedProject Create(MetaStore& m, const std::string& name,
                             const std::vector<std::string>& origins = {}) {
  auto c = m.CreateProject(name, origins);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : CreatedProject();
}

inline bool Token(MetaStore& m, const std::string& project, const std::string& token) {
  auto r = m.CheckReadToken(project, token);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() && *r;
}

inline void CreatesAndFindsProjects(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  const int64_t before = WallMs();
  CreatedProject a = Create(*m, "Acme", {"https://acme.test", "https://www.acme.test"});
  CreatedProject b = Create(*m, "Shop");
  const int64_t after = WallMs();
  ASSERT_FALSE(a.project.id.empty());
  EXPECT_TRUE(HexId(a.project.id, "p_", 16)) << a.project.id;
  EXPECT_TRUE(HexId(a.project.public_key, "pk_", 24)) << a.project.public_key;
  EXPECT_TRUE(HexId(a.read_token, "rt_", 32)) << a.read_token;
  EXPECT_NE(a.project.id, b.project.id);
  EXPECT_NE(a.project.public_key, b.project.public_key);
  EXPECT_NE(a.read_token, b.read_token);
  EXPECT_GE(a.project.created_ms, before);
  EXPECT_LE(a.project.created_ms, after);
  for (auto* found : {&a.project, &b.project}) {
    auto by_id = m->GetProject(found->id);
    ASSERT_TRUE(by_id.ok()) << by_id.status().ToString();
    EXPECT_EQ(by_id->name, found->name);
    EXPECT_EQ(by_id->public_key, found->public_key);
    EXPECT_EQ(by_id->allowed_origins, found->allowed_origins);
    EXPECT_EQ(by_id->created_ms, found->created_ms);
    EXPECT_EQ(by_id->settings, ProjectSettings());  // a new project has the defaults
    auto by_key = m->FindProjectByKey(found->public_key);
    ASSERT_TRUE(by_key.ok()) << by_key.status().ToString();
    EXPECT_EQ(by_key->id, found->id);
  }
  EXPECT_EQ(a.project.allowed_origins,
            (std::vector<std::string>{"https://acme.test", "https://www.acme.test"}));
  EXPECT_TRUE(Token(*m, a.project.id, a.read_token));
}

inline void MissingProjectsAreNotFound(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  CreatedProject real = Create(*m, "Real");
  ASSERT_FALSE(real.project.id.empty());
  const std::string missing = "p_0000000000000000";
  EXPECT_EQ(m->GetProject(missing).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m->GetProject("").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m->FindProjectByKey("pk_000000000000000000000000").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(m->FindProjectByKey(real.project.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m->SetAllowedOrigins(missing, {"https://x.test"}).code(), StatusCode::kNotFound);
  EXPECT_EQ(m->UpdateSettings(missing, ProjectSettings()).code(), StatusCode::kNotFound);
  EXPECT_EQ(m->CreateReadToken(missing).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m->RevokeReadTokens(missing, "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m->RotatePublicKey(missing).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(Token(*m, missing, real.read_token));
  EXPECT_FALSE(Token(*m, real.project.id, ""));
  auto v = m->GetValue("never-set");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
  // None of that touched the real project.
  auto p = m->GetProject(real.project.id);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->name, "Real");
  EXPECT_TRUE(Token(*m, real.project.id, real.read_token));
}

inline void ProjectNamesAreValidated(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->CreateProject("", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(m->CreateProject(std::string(201, 'n'), {}).status().code(),
            StatusCode::kInvalidArgument);
  CreatedProject longest = Create(*m, std::string(200, 'n'));
  ASSERT_FALSE(longest.project.id.empty());
  EXPECT_EQ(m->GetProject(longest.project.id)->name, std::string(200, 'n'));
  auto all = m->ListProjects();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);  // the refused names left nothing behind
}

inline void ListsProjectsOldestFirst(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  std::vector<std::string> ids;
  for (const char* name : {"first", "second", "third"}) {
    ids.push_back(Create(*m, name).project.id);
    // created_ms must differ for "oldest first" to be one order.
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  auto list = m->ListProjects();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  std::vector<std::string> got;
  for (const Project& p : *list) got.push_back(p.id);
  EXPECT_EQ(got, ids);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[1].name, "second");
}

inline void SettingsAndOriginsOverwrite(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  CreatedProject a = Create(*m, "A", {"https://a.test"});
  CreatedProject b = Create(*m, "B", {"https://b.test"});
  ASSERT_FALSE(b.project.id.empty());
  ProjectSettings s;
  s.retention_days = 30;
  s.store_raw_ua = true;
  s.respect_dnt = true;
  s.respect_gpc = true;
  s.replay_sample_rate = 0.125;
  s.query_allowlist = {"utm_source", "variant"};
  s.rate_project_rps = 7;
  s.rate_ip_rps = 50;
  s.rate_session_eps = 3;
  s.replay_session_kb = 512;
  s.replay_allow_selectors = {".public", "h1"};
  s.replay_mask_selectors = {"[data-private]"};
  s.replay_ignore_selectors = {"#chat"};
  s.cookieless = true;
  s.require_consent = true;
  s.event_sample_rate = 0.25;
  s.path_rules = {"/product/:id", "/blog/*"};
  ASSERT_TRUE(m->UpdateSettings(a.project.id, s).ok());
  EXPECT_EQ(m->GetProject(a.project.id)->settings, s);
  // A second update replaces every field, including emptying a list.
  ProjectSettings t;
  t.retention_days = 1;
  t.query_allowlist = {};
  ASSERT_TRUE(m->UpdateSettings(a.project.id, t).ok());
  EXPECT_EQ(m->GetProject(a.project.id)->settings, t);
  ASSERT_TRUE(m->SetAllowedOrigins(a.project.id, {"https://x.test", "https://*.y.test"}).ok());
  EXPECT_EQ(m->GetProject(a.project.id)->allowed_origins,
            (std::vector<std::string>{"https://x.test", "https://*.y.test"}));
  ASSERT_TRUE(m->SetAllowedOrigins(a.project.id, {}).ok());
  EXPECT_TRUE(m->GetProject(a.project.id)->allowed_origins.empty());
  // The other project kept its own.
  auto other = m->GetProject(b.project.id);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->settings, ProjectSettings());
  EXPECT_EQ(other->allowed_origins, std::vector<std::string>{"https://b.test"});
}

inline void ReadTokensBelongToOneProject(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  CreatedProject a = Create(*m, "A");
  CreatedProject b = Create(*m, "B");
  ASSERT_FALSE(b.project.id.empty());
  const std::string id = a.project.id;
  EXPECT_TRUE(Token(*m, id, a.read_token));
  EXPECT_FALSE(Token(*m, b.project.id, a.read_token));  // a live token, of the wrong project
  EXPECT_FALSE(Token(*m, id, a.read_token + "0"));
  EXPECT_FALSE(Token(*m, id, a.read_token.substr(0, a.read_token.size() - 1)));
  auto second = m->CreateReadToken(id);
  auto third = m->CreateReadToken(id);
  ASSERT_TRUE(second.ok() && third.ok());
  EXPECT_TRUE(HexId(*second, "rt_", 32));
  EXPECT_NE(*second, *third);
  EXPECT_TRUE(Token(*m, id, *second));
  // Revoke all but the third: two go, B's token is untouched.
  auto revoked = m->RevokeReadTokens(id, *third);
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(*revoked, 2);
  EXPECT_FALSE(Token(*m, id, a.read_token));
  EXPECT_FALSE(Token(*m, id, *second));
  EXPECT_TRUE(Token(*m, id, *third));
  EXPECT_TRUE(Token(*m, b.project.id, b.read_token));
  EXPECT_EQ(*m->RevokeReadTokens(id, ""), 1);
  EXPECT_FALSE(Token(*m, id, *third));
  EXPECT_EQ(*m->RevokeReadTokens(id, ""), 0);
}

inline void RotatingTheKeyRetiresTheOldOne(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  CreatedProject a = Create(*m, "A");
  ASSERT_FALSE(a.project.id.empty());
  auto key = m->RotatePublicKey(a.project.id);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_TRUE(HexId(*key, "pk_", 24));
  EXPECT_NE(*key, a.project.public_key);
  EXPECT_EQ(m->FindProjectByKey(a.project.public_key).status().code(), StatusCode::kNotFound);
  auto found = m->FindProjectByKey(*key);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, a.project.id);
  EXPECT_EQ(m->GetProject(a.project.id)->public_key, *key);
  EXPECT_TRUE(Token(*m, a.project.id, a.read_token));  // read tokens are not keys
}

inline void ValuesPutGetOverwrite(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->PutValue("k", "v1").ok());
  ASSERT_TRUE(m->PutValue("other", "o").ok());
  ASSERT_TRUE(m->PutValue("k", "v2").ok());
  auto k = m->GetValue("k");
  ASSERT_TRUE(k.ok() && k->has_value());
  EXPECT_EQ(**k, "v2");
  EXPECT_EQ(**m->GetValue("other"), "o");
  ASSERT_TRUE(m->PutValue("k", "").ok());  // empty is a value, not an absence
  auto empty = m->GetValue("k");
  ASSERT_TRUE(empty.ok() && empty->has_value());
  EXPECT_EQ(**empty, "");
  EXPECT_FALSE(m->GetValue("K")->has_value());  // keys are case-sensitive
}

// Names, origins and values are text: whatever an operator or the dashboard sends must come back
// byte for byte (quotes and SQL are data, not syntax); values may hold any bytes.
inline void OddCharactersRoundTrip(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  const std::vector<std::string> names = {"Ünïcødé 🚀 Café", "'; DROP TABLE projects; --",
                                          "\"quoted\" \\ back\\slash", "new\nline\ttab",
                                          "%s %n {} [] $1 ?"};
  for (const std::string& name : names) {
    CreatedProject c = Create(*m, name, {"https://例え.test", "https://a.test/'\""});
    ASSERT_FALSE(c.project.id.empty()) << name;
    auto p = m->FindProjectByKey(c.project.public_key);
    ASSERT_TRUE(p.ok()) << name;
    EXPECT_EQ(p->name, name);
    EXPECT_EQ(p->allowed_origins,
              (std::vector<std::string>{"https://例え.test", "https://a.test/'\""}));
    ProjectSettings s;
    s.query_allowlist = {name, "ok"};
    ASSERT_TRUE(m->UpdateSettings(c.project.id, s).ok());
    EXPECT_EQ(m->GetProject(c.project.id)->settings.query_allowlist, s.query_allowlist);
  }
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  const std::vector<std::pair<std::string, std::string>> values = {
      {"key with spaces/and'quotes\"", "value 'with' \"quotes\""},
      {"ключ", "значение"},
      {"bytes", bytes},
      {"big", std::string(64 << 10, 'b')}};
  for (const auto& [k, v] : values) ASSERT_TRUE(m->PutValue(k, v).ok()) << k;
  for (const auto& [k, v] : values) {
    auto got = m->GetValue(k);
    ASSERT_TRUE(got.ok() && got->has_value()) << k;
    EXPECT_TRUE(**got == v) << k << ": " << got->value().size() << " bytes back of " << v.size();
  }
}

inline void PersistsAcrossReopen(const MetaStoreOpener& open) {
  CreatedProject a;
  std::string key, second;
  ProjectSettings s;
  s.retention_days = 45;
  s.query_allowlist = {"ref"};
  {
    auto m = open();
    ASSERT_NE(m, nullptr);
    a = Create(*m, "Kept", {"https://kept.test"});
    ASSERT_FALSE(a.project.id.empty());
    ASSERT_TRUE(m->UpdateSettings(a.project.id, s).ok());
    auto k = m->RotatePublicKey(a.project.id);
    auto t = m->CreateReadToken(a.project.id);
    ASSERT_TRUE(k.ok() && t.ok());
    key = *k;
    second = *t;
    ASSERT_TRUE(m->RevokeReadTokens(a.project.id, second).ok());
    ASSERT_TRUE(m->PutValue("schema", "7").ok());
    auto f = m->CreateFunnel(a.project.id, "Kept funnel", R"({"steps":[]})");
    ASSERT_TRUE(f.ok()) << f.status().ToString();
  }
  auto m = open();
  ASSERT_NE(m, nullptr);
  auto p = m->FindProjectByKey(key);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->id, a.project.id);
  EXPECT_EQ(p->name, "Kept");
  EXPECT_EQ(p->allowed_origins, std::vector<std::string>{"https://kept.test"});
  EXPECT_EQ(p->settings, s);
  EXPECT_EQ(p->created_ms, a.project.created_ms);
  EXPECT_TRUE(Token(*m, a.project.id, second));
  EXPECT_FALSE(Token(*m, a.project.id, a.read_token));
  auto v = m->GetValue("schema");
  ASSERT_TRUE(v.ok() && v->has_value());
  EXPECT_EQ(**v, "7");
  EXPECT_EQ(m->ListProjects()->size(), 1u);
  auto funnels = m->ListFunnels(a.project.id);
  ASSERT_TRUE(funnels.ok()) << funnels.status().ToString();
  ASSERT_EQ(funnels->size(), 1u);
  EXPECT_EQ((*funnels)[0].name, "Kept funnel");
  EXPECT_EQ((*funnels)[0].definition, R"({"steps":[]})");
}

// Every method may be called concurrently: parallel creators get distinct projects, all listed,
// and parallel writers of values all land.
inline void ConcurrentCallersAllLand(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  constexpr int kThreads = 4, kEach = 8;
  std::mutex mu;
  std::set<std::string> ids, keys;
  std::atomic<int> failed{0};
  RunTogether(kThreads, [&](int t) {
    for (int i = 0; i < kEach; ++i) {
      auto c = m->CreateProject("t" + std::to_string(t) + "-" + std::to_string(i), {});
      Result<bool> live = c.ok() ? m->CheckReadToken(c->project.id, c->read_token) : false;
      if (!c.ok() || !m->PutValue("v/" + std::to_string(t) + "/" + std::to_string(i), "x").ok() ||
          !live.ok() || !*live) {
        failed.fetch_add(1);
        continue;
      }
      std::lock_guard lock(mu);
      ids.insert(c->project.id);
      keys.insert(c->project.public_key);
    }
  });
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(keys.size(), static_cast<size_t>(kThreads * kEach));
  auto list = m->ListProjects();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_TRUE(m->GetValue("v/3/7")->has_value());
}

// Saved funnels (issue 11): created, listed oldest first, read, updated, deleted; the definition
// comes back byte for byte; names are 1..200 bytes.
inline void SavedFunnelsCreateListUpdateDelete(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  CreatedProject a = Create(*m, "A");
  ASSERT_FALSE(a.project.id.empty());
  const std::string pid = a.project.id;
  auto none = m->ListFunnels(pid);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  const std::string def1 =
      R"({"steps":[{"type":"page_view","path":"/"},{"type":"page_view","path":"/pricing"}]})";
  const std::string def2 = "{\"steps\":[\"caf\u00e9 'quoted' \\\"x\\\" ✓\"],\"n\":\"a\nb\"}";
  const int64_t before = WallMs();
  auto f1 = m->CreateFunnel(pid, "Signup", def1);
  ASSERT_TRUE(f1.ok()) << f1.status().ToString();
  const int64_t after = WallMs();
  EXPECT_TRUE(HexId(f1->id, "f_", 16)) << f1->id;
  EXPECT_EQ(f1->project_id, pid);
  EXPECT_EQ(f1->name, "Signup");
  EXPECT_EQ(f1->definition, def1);
  EXPECT_GE(f1->created_ms, before);
  EXPECT_LE(f1->created_ms, after);
  EXPECT_EQ(f1->updated_ms, f1->created_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  auto f2 = m->CreateFunnel(pid, "Checkout 'ü' \"quoted\"", def2);
  ASSERT_TRUE(f2.ok()) << f2.status().ToString();
  EXPECT_NE(f1->id, f2->id);
  auto list = m->ListFunnels(pid);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, (std::vector<SavedFunnel>{*f1, *f2}));
  auto got = m->GetFunnel(pid, f2->id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, *f2);
  EXPECT_EQ(got->definition, def2);

  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  const int64_t before_update = WallMs();
  const std::string def3 =
      R"({"steps":[{"type":"custom","event":"signup"},{"type":"page_view","path":"/done"}]})";
  auto u = m->UpdateFunnel(pid, f1->id, "Signup v2", def3);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->id, f1->id);
  EXPECT_EQ(u->name, "Signup v2");
  EXPECT_EQ(u->definition, def3);
  EXPECT_EQ(u->created_ms, f1->created_ms);
  EXPECT_GE(u->updated_ms, before_update);
  EXPECT_EQ(*m->GetFunnel(pid, f1->id), *u);

  // Names: 1..200 bytes, on create and on update; a refused call changes nothing.
  EXPECT_EQ(m->CreateFunnel(pid, "", def1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(m->CreateFunnel(pid, std::string(201, 'n'), def1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(m->CreateFunnel(pid, std::string(200, 'n'), def1).ok());
  EXPECT_EQ(m->UpdateFunnel(pid, f1->id, "", def1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(m->GetFunnel(pid, f1->id)->name, "Signup v2");

  ASSERT_TRUE(m->DeleteFunnel(pid, f2->id).ok());
  EXPECT_EQ(m->GetFunnel(pid, f2->id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m->DeleteFunnel(pid, f2->id).code(), StatusCode::kNotFound);
  EXPECT_EQ(m->UpdateFunnel(pid, f2->id, "back", def1).status().code(), StatusCode::kNotFound);
  auto rest = m->ListFunnels(pid);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].id, f1->id);
  EXPECT_EQ((*rest)[1].name, std::string(200, 'n'));
}

// A funnel is reached only through its own project: another project's id finds nothing, and
// changes or deletes nothing; an unknown project is NotFound everywhere.
inline void SavedFunnelsBelongToOneProject(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  CreatedProject a = Create(*m, "A");
  CreatedProject b = Create(*m, "B");
  ASSERT_FALSE(b.project.id.empty());
  auto fa = m->CreateFunnel(a.project.id, "A's", "{}");
  ASSERT_TRUE(fa.ok()) << fa.status().ToString();
  ASSERT_FALSE(fa->id.empty());
  EXPECT_EQ(m->GetFunnel(b.project.id, fa->id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m->UpdateFunnel(b.project.id, fa->id, "stolen", "{}").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(m->DeleteFunnel(b.project.id, fa->id).code(), StatusCode::kNotFound);
  auto bl = m->ListFunnels(b.project.id);
  ASSERT_TRUE(bl.ok());
  EXPECT_TRUE(bl->empty());
  auto still = m->GetFunnel(a.project.id, fa->id);
  ASSERT_TRUE(still.ok()) << "another project's calls changed nothing";
  EXPECT_EQ(*still, *fa);
  const std::string missing = "p_0000000000000000";
  EXPECT_EQ(m->ListFunnels(missing).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m->CreateFunnel(missing, "x", "{}").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m->GetFunnel(missing, fa->id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m->GetFunnel(a.project.id, "f_0000000000000000").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(m->ListFunnels(a.project.id)->size(), 1u);
}

// At most limits::kMaxSavedFunnelsPerProject per project: the next is TooLarge and stores
// nothing; other projects are not affected; deleting one makes room.
inline void SavedFunnelsAreCappedPerProject(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  CreatedProject a = Create(*m, "A");
  CreatedProject b = Create(*m, "B");
  ASSERT_FALSE(b.project.id.empty());
  std::string last;
  for (size_t i = 0; i < limits::kMaxSavedFunnelsPerProject; ++i) {
    auto f = m->CreateFunnel(a.project.id, "f" + std::to_string(i), "{}");
    ASSERT_TRUE(f.ok()) << i << " " << f.status().ToString();
    last = f->id;
  }
  EXPECT_EQ(m->CreateFunnel(a.project.id, "one too many", "{}").status().code(),
            StatusCode::kTooLarge);
  EXPECT_EQ(m->ListFunnels(a.project.id)->size(), limits::kMaxSavedFunnelsPerProject);
  EXPECT_TRUE(m->CreateFunnel(b.project.id, "B's first", "{}").ok());
  ASSERT_TRUE(m->DeleteFunnel(a.project.id, last).ok());
  EXPECT_TRUE(m->CreateFunnel(a.project.id, "fits again", "{}").ok());
}

inline ReplayChunkInfo Chunk(const std::string& session, int64_t index, int64_t first_ts,
                             int64_t last_ts, int64_t bytes, bool truncated = false) {
  ReplayChunkInfo c;
  c.session_id = session;
  c.chunk_index = index;
  c.first_ts = first_ts;
  c.last_ts = last_ts;
  c.bytes = bytes;
  c.events = bytes / 10;
  c.truncated = truncated;
  c.received_ms = 1723718400000 + index * 1000;
  return c;
}

// Replay chunks are keyed by (project, session, chunk_index): a retried upload adds nothing, the
// sums cover every distinct chunk (in any order, also from concurrent writers), a chunk with
// the truncated marker — or MarkReplayTruncated — makes the session truncated for good, and
// everything survives a reopen.
inline void ReplayIndexCountsEachChunkOnce(const MetaStoreOpener& open) {
  std::string id;
  {
    auto m = open();
    ASSERT_NE(m, nullptr);
    id = Create(*m, "A").project.id;
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(m->AddReplayChunk(id, Chunk("s1", 1, 2000, 2900, 300)).ok());
    ASSERT_TRUE(m->AddReplayChunk(id, Chunk("s1", 0, 1000, 1900, 200)).ok());
    ASSERT_TRUE(m->AddReplayChunk(id, Chunk("s1", 0, 1000, 1900, 200)).ok());  // the retry
    // Same index, other numbers: still the chunk already indexed.
    ASSERT_TRUE(m->AddReplayChunk(id, Chunk("s1", 1, 5, 99999, 7777, true)).ok());
    auto s = m->GetReplaySession(id, "s1");
    ASSERT_TRUE(s.ok() && s->has_value()) << s.status().ToString();
    EXPECT_EQ((*s)->session_id, "s1");
    EXPECT_EQ((*s)->chunks, 2);
    EXPECT_EQ((*s)->bytes, 500);
    EXPECT_EQ((*s)->events, 50);
    EXPECT_EQ((*s)->first_ts, 1000);
    EXPECT_EQ((*s)->last_ts, 2900);
    EXPECT_FALSE((*s)->truncated);
    EXPECT_EQ((*s)->first_received_ms, 1723718400000);
    EXPECT_EQ((*s)->last_received_ms, 1723718401000);
    auto chunks = m->ListReplayChunks(id, "s1");
    ASSERT_TRUE(chunks.ok());
    ASSERT_EQ(chunks->size(), 2u);
    EXPECT_EQ((*chunks)[0], Chunk("s1", 0, 1000, 1900, 200));
    EXPECT_EQ((*chunks)[1], Chunk("s1", 1, 2000, 2900, 300));
    ASSERT_TRUE(m->AddReplayChunk(id, Chunk("s1", 2, 3000, 3500, 50, true)).ok());
    EXPECT_TRUE((*m->GetReplaySession(id, "s1"))->truncated);
    // Truncated before any chunk: the first chunk gives the times.
    ASSERT_TRUE(m->MarkReplayTruncated(id, "s2").ok());
    ASSERT_TRUE(m->AddReplayChunk(id, Chunk("s2", 0, 7000, 7100, 10)).ok());
    auto s2 = m->GetReplaySession(id, "s2");
    ASSERT_TRUE(s2.ok() && s2->has_value());
    EXPECT_TRUE((*s2)->truncated);
    EXPECT_EQ((*s2)->first_ts, 7000);
    EXPECT_EQ((*s2)->last_ts, 7100);
    EXPECT_EQ((*s2)->chunks, 1);
    EXPECT_FALSE(m->GetReplaySession(id, "s3")->has_value());
    EXPECT_TRUE(m->ListReplayChunks(id, "s3")->empty());
    EXPECT_EQ(m->AddReplayChunk("p_0000000000000000", Chunk("s1", 0, 1, 2, 3)).code(),
              StatusCode::kNotFound);
    EXPECT_EQ(m->MarkReplayTruncated("p_0000000000000000", "s1").code(), StatusCode::kNotFound);
    // Concurrent writers of one session: every distinct chunk counted once.
    RunTogether(4, [&](int) {
      for (int i = 0; i < 20; ++i) (void)m->AddReplayChunk(id, Chunk("s4", i, 100 + i, 200 + i, 1));
    });
    auto s4 = m->GetReplaySession(id, "s4");
    ASSERT_TRUE(s4.ok() && s4->has_value());
    EXPECT_EQ((*s4)->chunks, 20);
    EXPECT_EQ((*s4)->bytes, 20);
    EXPECT_EQ((*s4)->first_ts, 100);
    EXPECT_EQ((*s4)->last_ts, 219);
  }
  auto m = open();
  ASSERT_NE(m, nullptr);
  auto s = m->GetReplaySession(id, "s1");
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ((*s)->chunks, 3);
  EXPECT_EQ((*s)->bytes, 550);
  EXPECT_TRUE((*s)->truncated);
  EXPECT_EQ(m->ListReplayChunks(id, "s1")->size(), 3u);
}

// The list is one project's sessions, newest first, bounded by limit and the first_ts range.
inline void ReplaySessionsListNewestFirstPerProject(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  const std::string a = Create(*m, "A").project.id;
  const std::string b = Create(*m, "B").project.id;
  ASSERT_FALSE(b.empty());
  ASSERT_TRUE(m->AddReplayChunk(a, Chunk("old", 0, 1000, 1500, 10)).ok());
  ASSERT_TRUE(m->AddReplayChunk(a, Chunk("new", 0, 3000, 3500, 10)).ok());
  ASSERT_TRUE(m->AddReplayChunk(a, Chunk("mid", 0, 2000, 2500, 10)).ok());
  ASSERT_TRUE(m->AddReplayChunk(a, Chunk("mid", 1, 1500, 4000, 10)).ok());  // starts it earlier
  ASSERT_TRUE(m->AddReplayChunk(b, Chunk("other", 0, 9000, 9500, 10)).ok());
  auto names = [](const Result<std::vector<ReplaySession>>& r) {
    std::vector<std::string> out;
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) {
      for (const ReplaySession& s : r.value()) out.push_back(s.session_id);
    }
    return out;
  };
  EXPECT_EQ(names(m->ListReplaySessions(a, {})), (std::vector<std::string>{"new", "mid", "old"}));
  EXPECT_EQ(names(m->ListReplaySessions(b, {})), std::vector<std::string>{"other"});
  ReplayListOptions two;
  two.limit = 2;
  EXPECT_EQ(names(m->ListReplaySessions(a, two)), (std::vector<std::string>{"new", "mid"}));
  ReplayListOptions range;
  range.from_ms = 1000;
  range.to_ms = 1500;
  EXPECT_EQ(names(m->ListReplaySessions(a, range)), (std::vector<std::string>{"mid", "old"}));
  // mid lasts 2.5 s in two chunks (20 bytes); old and new 0.5 s, 10 bytes: ties newest first
  for (ReplayOrder o : {ReplayOrder::kLongest, ReplayOrder::kLargest}) {
    ReplayListOptions by;
    by.order = o;
    EXPECT_EQ(names(m->ListReplaySessions(a, by)), (std::vector<std::string>{"mid", "new", "old"}));
    by.limit = 1;
    EXPECT_EQ(names(m->ListReplaySessions(a, by)), std::vector<std::string>{"mid"});
  }
  // Another project's session is not found through this one.
  EXPECT_FALSE(m->GetReplaySession(a, "other")->has_value());
  EXPECT_TRUE(m->ListReplayChunks(a, "other")->empty());
}

// Deleting a session removes it and its chunks, and nothing of another session or project.
inline void ReplaySessionsAreDeletedWhole(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  const std::string a = Create(*m, "A").project.id;
  const std::string b = Create(*m, "B").project.id;
  ASSERT_FALSE(b.empty());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(m->AddReplayChunk(a, Chunk("gone", i, 1000, 1500, 10)).ok());
  ASSERT_TRUE(m->AddReplayChunk(a, Chunk("kept", 0, 2000, 2500, 10)).ok());
  ASSERT_TRUE(m->AddReplayChunk(b, Chunk("gone", 0, 3000, 3500, 10)).ok());
  auto del = m->DeleteReplaySession(a, "gone");
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_TRUE(*del);
  EXPECT_FALSE(m->GetReplaySession(a, "gone")->has_value());
  EXPECT_TRUE(m->ListReplayChunks(a, "gone")->empty());
  EXPECT_EQ(m->ListReplayChunks(a, "kept")->size(), 1u);
  EXPECT_EQ(m->ListReplayChunks(b, "gone")->size(), 1u) << "another project's session of that id";
  auto again = m->DeleteReplaySession(a, "gone");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(m->DeleteReplaySession("p_doesnotexist", "kept").status().code(),
            StatusCode::kNotFound);
  // A new chunk under the deleted id starts a new session from scratch.
  ASSERT_TRUE(m->AddReplayChunk(a, Chunk("gone", 0, 5000, 5500, 7)).ok());
  auto fresh = m->GetReplaySession(a, "gone");
  ASSERT_TRUE(fresh.ok() && fresh->has_value());
  EXPECT_EQ((*fresh)->chunks, 1);
  EXPECT_EQ((*fresh)->first_ts, 5000);
}

// PurgeDeleted (after a DSAR delete) makes deletes final and changes nothing else: the deleted
// session stays deleted, everything kept is still there, also after a reopen.
inline void PurgeDeletedKeepsWhatWasNotDeleted(const MetaStoreOpener& open) {
  std::string a;
  {
    auto m = open();
    ASSERT_NE(m, nullptr);
    a = Create(*m, "A").project.id;
    ASSERT_FALSE(a.empty());
    ASSERT_TRUE(m->AddReplayChunk(a, Chunk("gone", 0, 1000, 1500, 10)).ok());
    ASSERT_TRUE(m->AddReplayChunk(a, Chunk("kept", 0, 2000, 2500, 10)).ok());
    ASSERT_TRUE(m->PutValue("k", "v").ok());
    auto del = m->DeleteReplaySession(a, "gone");
    ASSERT_TRUE(del.ok() && *del);
    Status purged = m->PurgeDeleted();
    ASSERT_TRUE(purged.ok()) << purged.ToString();
    EXPECT_FALSE(m->GetReplaySession(a, "gone")->has_value());
    EXPECT_EQ(m->ListReplayChunks(a, "kept")->size(), 1u);
    EXPECT_TRUE(m->PurgeDeleted().ok()) << "a second purge with nothing to do";
    EXPECT_TRUE(m->AddReplayChunk(a, Chunk("later", 0, 3000, 3500, 10)).ok())
        << "the store takes writes after a purge";
  }
  auto m = open();
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->GetProject(a).ok());
  EXPECT_FALSE(m->GetReplaySession(a, "gone")->has_value());
  EXPECT_EQ(m->ListReplayChunks(a, "kept")->size(), 1u);
  EXPECT_EQ(m->ListReplayChunks(a, "later")->size(), 1u);
  auto v = m->GetValue("k");
  EXPECT_TRUE(v.ok() && *v == std::optional<std::string>("v"));
}

// Users: emails are kept in lower case and unique whatever their case; bad ones are refused;
// the owner may exist before an email is known.
inline void UsersAreFoundByTheirNormalizedEmail(const MetaStoreOpener& open) {
  std::string alice_id;
  {
    auto m = open();
    ASSERT_NE(m, nullptr);
    auto owner = m->CreateUser("");
    ASSERT_TRUE(owner.ok()) << owner.status().ToString();
    EXPECT_TRUE(HexId(owner->id, "u_", 16)) << owner->id;
    EXPECT_EQ(owner->email, "");
    auto alice = m->CreateUser("  Alice@Example.COM ");
    ASSERT_TRUE(alice.ok()) << alice.status().ToString();
    alice_id = alice->id;
    EXPECT_EQ(alice->email, "alice@example.com");
    EXPECT_NE(alice->id, owner->id);
    auto dup = m->CreateUser("ALICE@example.com");
    EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists) << dup.status().ToString();
    for (const char* bad : {"alice", "@example.com", "alice@", "a b@example.com", "a@b@example.com",
                            "alice@example", "a\r\nBcc: x@y.z@example.com", "<a@example.com>"}) {
      EXPECT_EQ(m->CreateUser(bad).status().code(), StatusCode::kInvalidArgument) << bad;
    }
    EXPECT_EQ(m->CreateUser(std::string(250, 'a') + "@example.com").status().code(),
              StatusCode::kInvalidArgument);
    auto found = m->FindUserByEmail("ALICE@EXAMPLE.com");
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    EXPECT_EQ(*found, *alice);
    EXPECT_EQ(m->FindUserByEmail("").status().code(), StatusCode::kNotFound);
    EXPECT_EQ(m->FindUserByEmail("bob@example.com").status().code(), StatusCode::kNotFound);
    EXPECT_EQ(m->GetUser("u_0000000000000000").status().code(), StatusCode::kNotFound);
    // The owner gets an email later; another user's email is not theirs to take.
    EXPECT_EQ(m->SetUserEmail(owner->id, "alice@example.com").code(), StatusCode::kAlreadyExists);
    EXPECT_EQ(m->SetUserEmail(owner->id, "not an email").code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(m->SetUserEmail("u_0000000000000000", "x@example.com").code(), StatusCode::kNotFound);
    ASSERT_TRUE(m->SetUserEmail(owner->id, "Owner@Example.com").ok());
    EXPECT_EQ(m->FindUserByEmail("owner@example.com")->id, owner->id);
    EXPECT_EQ(m->GetUser(owner->id)->email, "owner@example.com");
    EXPECT_TRUE(m->CreateUser("").ok()) << "emails are unique, their absence is not";
    auto all = m->ListUsers();
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 3u);
    // Oldest first: (created_ms, id) — users made in one millisecond are ordered by id.
    EXPECT_TRUE(std::is_sorted(all->begin(), all->end(), [](const User& x, const User& y) {
      return std::tie(x.created_ms, x.id) < std::tie(y.created_ms, y.id);
    }));
    EXPECT_EQ(std::count_if(all->begin(), all->end(),
                            [&](const User& u) { return u.id == owner->id || u.id == alice->id; }),
              2);
  }
  auto m = open();
  ASSERT_NE(m, nullptr);
  auto again = m->FindUserByEmail("alice@example.com");
  ASSERT_TRUE(again.ok()) << "users survive a reopen";
  EXPECT_EQ(again->id, alice_id);
}

// A sign-in link works once, only before it expires, and only from the browser it was made for.
inline void SignInLinksWorkOnceInTheirBrowserBeforeTheyExpire(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  auto u = m->CreateUser("ann@example.com");
  ASSERT_TRUE(u.ok());
  const int64_t t = WallMs() + 3600000;
  auto link = m->CreateSignInLink(u->id, "nonce-a", t + 1000);
  ASSERT_TRUE(link.ok()) << link.status().ToString();
  EXPECT_TRUE(HexId(*link, "sl_", 64)) << *link;
  auto other = m->CreateSignInLink(u->id, "nonce-a", t + 1000);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*link, *other);
  EXPECT_EQ(m->ConsumeSignInLink(*link, "nonce-b", t).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(m->ConsumeSignInLink(*link, "", t).status().code(), StatusCode::kPermissionDenied);
  auto ok = m->ConsumeSignInLink(*link, "nonce-a", t + 1000);
  ASSERT_TRUE(ok.ok()) << "another browser's try did not use it up: " << ok.status().ToString();
  EXPECT_EQ(*ok, u->id);
  EXPECT_EQ(m->ConsumeSignInLink(*link, "nonce-a", t).status().code(), StatusCode::kUnauthenticated)
      << "used once";
  // Expired: refused, and gone for good.
  EXPECT_EQ(m->ConsumeSignInLink(*other, "nonce-a", t + 1001).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(m->ConsumeSignInLink(*other, "nonce-a", t).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(m->ConsumeSignInLink("sl_" + std::string(64, '0'), "nonce-a", t).status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(m->ConsumeSignInLink("", "nonce-a", t).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(m->CreateSignInLink("u_0000000000000000", "n", t).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(m->CreateSignInLink(u->id, "", t).status().code(), StatusCode::kInvalidArgument);
}

// Of many browsers racing with one link, one signs in.
inline void ASignInLinkIsConsumedOnceUnderConcurrency(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  auto u = m->CreateUser("race@example.com");
  ASSERT_TRUE(u.ok());
  auto link = m->CreateSignInLink(u->id, "n", WallMs() + 60000);
  ASSERT_TRUE(link.ok());
  std::atomic<int> wins{0}, refusals{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = m->ConsumeSignInLink(*link, "n", WallMs());
      if (r.ok() && *r == u->id) ++wins;
      if (r.status().code() == StatusCode::kUnauthenticated) ++refusals;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(refusals.load(), 7);
}

// Dashboard sessions: found by their token, listed and ended per user, all ended by signout-all.
inline void DashboardSessionsBelongToTheirUser(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  auto ann = m->CreateUser("ann@example.com");
  auto bob = m->CreateUser("bob@example.com");
  ASSERT_TRUE(ann.ok() && bob.ok());
  const int64_t t = WallMs();
  auto a1 = m->CreateDashboardSession(ann->id, std::string(1000, 'M'), t, t + 3600000);
  auto a2 = m->CreateDashboardSession(ann->id, "Firefox", t + 5, t + 3600005);
  auto b1 = m->CreateDashboardSession(bob->id, "Chrome", t + 1, t + 3600001);
  ASSERT_TRUE(a1.ok() && a2.ok() && b1.ok()) << a1.status().ToString();
  EXPECT_TRUE(HexId(a1->session.id, "s_", 16)) << a1->session.id;
  EXPECT_TRUE(HexId(a1->token, "v2.", 64)) << a1->token;
  EXPECT_NE(a1->token, a2->token);
  EXPECT_EQ(a1->session.user_agent.size(), limits::kMaxSessionUserAgentBytes);
  EXPECT_EQ(m->CreateDashboardSession("u_0000000000000000", "x", t, t + 1).status().code(),
            StatusCode::kNotFound);
  auto f = m->FindDashboardSession(a2->token);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(*f, a2->session);
  EXPECT_EQ(m->FindDashboardSession(a2->session.id).status().code(), StatusCode::kNotFound)
      << "the id is not a credential";
  EXPECT_EQ(m->FindDashboardSession("").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*m->GetDashboardSession(b1->session.id), b1->session);
  ASSERT_TRUE(m->TouchDashboardSession(a2->session.id, t + 100).ok());
  ASSERT_TRUE(m->TouchDashboardSession(a2->session.id, t + 50).ok());
  EXPECT_EQ(m->FindDashboardSession(a2->token)->last_seen_ms, t + 100) << "never moves back";
  auto list = m->ListDashboardSessions(ann->id);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, a2->session.id) << "newest first";
  EXPECT_EQ((*list)[1].id, a1->session.id);
  // Bob cannot end Ann's session.
  EXPECT_EQ(m->RevokeDashboardSession(bob->id, a1->session.id).code(), StatusCode::kNotFound);
  EXPECT_TRUE(m->FindDashboardSession(a1->token).ok());
  ASSERT_TRUE(m->RevokeDashboardSession(ann->id, a1->session.id).ok());
  EXPECT_EQ(m->FindDashboardSession(a1->token).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m->TouchDashboardSession(a1->session.id, t).code(), StatusCode::kNotFound);
  EXPECT_EQ(m->ListDashboardSessions(ann->id)->size(), 1u);
  EXPECT_EQ(m->ListDashboardSessions(bob->id)->size(), 1u);
  auto n = m->RevokeDashboardSessions(ann->id);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_TRUE(m->FindDashboardSession(b1->token).ok()) << "Bob's session is his own";
  ASSERT_TRUE(m->CreateDashboardSession(ann->id, "x", t, t + 3600000).ok());
  auto all = m->RevokeDashboardSessions("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, 2);
  EXPECT_EQ(m->FindDashboardSession(b1->token).status().code(), StatusCode::kNotFound);
}

inline void MembersBelongToTheirProject(const MetaStoreOpener& open) {
  std::string a_id, b_id, ann_id, bob_id;
  {
    auto m = open();
    ASSERT_NE(m, nullptr);
    a_id = Create(*m, "Acme").project.id;
    b_id = Create(*m, "Shop").project.id;
    auto ann = m->CreateUser("ann@example.com");
    auto bob = m->CreateUser("bob@example.com");
    ASSERT_TRUE(ann.ok() && bob.ok() && !a_id.empty() && !b_id.empty());
    ann_id = ann->id;
    bob_id = bob->id;
    const int64_t before = WallMs();
    ASSERT_TRUE(m->SetMember(a_id, ann_id, Role::kOwner).ok());
    ASSERT_TRUE(m->SetMember(a_id, bob_id, Role::kMember).ok());
    ASSERT_TRUE(m->SetMember(b_id, bob_id, Role::kOwner).ok());
    EXPECT_EQ(m->SetMember(a_id, "u_0000000000000000", Role::kMember).code(),
              StatusCode::kNotFound);
    EXPECT_EQ(m->SetMember("p_0000000000000000", ann_id, Role::kMember).code(),
              StatusCode::kNotFound);
    auto members = m->ListMembers(a_id);
    ASSERT_TRUE(members.ok()) << members.status().ToString();
    ASSERT_EQ(members->size(), 2u);
    std::vector<std::string> ids{(*members)[0].user_id, (*members)[1].user_id};
    EXPECT_TRUE(
        (ids == std::vector<std::string>{ann_id, bob_id}) ||
        ((*members)[0].created_ms == (*members)[1].created_ms &&
         ids == std::vector<std::string>{std::min(ann_id, bob_id), std::max(ann_id, bob_id)}))
        << "oldest first, then by user id";
    for (const Membership& x : *members) {
      EXPECT_EQ(x.project_id, a_id);
      EXPECT_EQ(x.role, x.user_id == ann_id ? Role::kOwner : Role::kMember);
      EXPECT_GE(x.created_ms, before);
    }
    EXPECT_EQ(m->ListMembers("p_0000000000000000").status().code(), StatusCode::kNotFound);
  }
  auto m = open();  // memberships persist
  ASSERT_NE(m, nullptr);
  auto role = [&](const std::string& p, const std::string& u) -> std::optional<Role> {
    auto r = m->GetRole(p, u);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::nullopt;
  };
  EXPECT_EQ(role(a_id, ann_id), Role::kOwner);
  EXPECT_EQ(role(a_id, bob_id), Role::kMember);
  EXPECT_EQ(role(b_id, bob_id), Role::kOwner);
  EXPECT_EQ(role(b_id, ann_id), std::nullopt) << "Ann owns Acme, not Shop";
  EXPECT_EQ(role("p_0000000000000000", ann_id), std::nullopt);
  auto ann_projects = m->ListMemberships(ann_id);
  ASSERT_TRUE(ann_projects.ok());
  ASSERT_EQ(ann_projects->size(), 1u);
  EXPECT_EQ((*ann_projects)[0].project_id, a_id);
  auto bob_projects = m->ListMemberships(bob_id);
  ASSERT_TRUE(bob_projects.ok());
  ASSERT_EQ(bob_projects->size(), 2u);
  EXPECT_EQ((*bob_projects)[0].project_id, a_id) << "the older project first";
  EXPECT_EQ((*bob_projects)[1].role, Role::kOwner);
  // A role change keeps when the user was added.
  const int64_t added = (*bob_projects)[0].created_ms;
  ASSERT_TRUE(m->SetMember(a_id, bob_id, Role::kOwner).ok());
  EXPECT_EQ(role(a_id, bob_id), Role::kOwner);
  EXPECT_EQ((*m->ListMemberships(bob_id))[0].created_ms, added);
  // The last owner stays: Bob is now the only owner of Shop.
  EXPECT_EQ(m->SetMember(b_id, bob_id, Role::kMember).code(), StatusCode::kFailedPrecondition);
  auto gone = m->RemoveMember(b_id, bob_id);
  EXPECT_EQ(gone.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(role(b_id, bob_id), Role::kOwner) << "a refused change changes nothing";
  // Acme has two owners: one may go.
  ASSERT_TRUE(m->SetMember(a_id, ann_id, Role::kMember).ok());
  EXPECT_EQ(m->RemoveMember(a_id, bob_id).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(m->SetMember(a_id, ann_id, Role::kOwner).ok());
  auto removed = m->RemoveMember(a_id, bob_id);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_TRUE(*removed);
  auto again = m->RemoveMember(a_id, bob_id);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again) << "not a member any more";
  EXPECT_EQ(role(a_id, bob_id), std::nullopt);
  EXPECT_EQ(role(b_id, bob_id), Role::kOwner) << "his other project is untouched";
}

inline void ProjectsAreRenamedAndDeletedWhole(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  CreatedProject a = Create(*m, "Acme");
  CreatedProject b = Create(*m, "Shop");
  auto ann = m->CreateUser("ann@example.com");
  ASSERT_TRUE(ann.ok() && !a.project.id.empty() && !b.project.id.empty());
  EXPECT_EQ(m->RenameProject(a.project.id, "").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(m->RenameProject(a.project.id, std::string(201, 'x')).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(m->RenameProject("p_0000000000000000", "X").code(), StatusCode::kNotFound);
  ASSERT_TRUE(m->RenameProject(a.project.id, "Acme \xC3\xA9tude").ok());
  EXPECT_EQ(m->GetProject(a.project.id)->name, "Acme \xC3\xA9tude");
  EXPECT_EQ(m->GetProject(b.project.id)->name, "Shop");
  for (const CreatedProject* p : {&a, &b}) {
    ASSERT_TRUE(m->SetMember(p->project.id, ann->id, Role::kOwner).ok());
    ASSERT_TRUE(m->CreateFunnel(p->project.id, "F", "{}").ok());
    ReplayChunkInfo c{"s1", 0, 1, 2, 10, 1, false, 3};
    ASSERT_TRUE(m->AddReplayChunk(p->project.id, c).ok());
    ASSERT_TRUE(m->AppendAudit({0, p->project.id, ann->id, "x", "{}", 0}).ok());
  }
  ASSERT_TRUE(m->DeleteProject(a.project.id).ok());
  EXPECT_EQ(m->GetProject(a.project.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(m->FindProjectByKey(a.project.public_key).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(Token(*m, a.project.id, a.read_token));
  EXPECT_EQ(m->ListFunnels(a.project.id).status().code(), StatusCode::kNotFound);
  auto ms = m->ListMemberships(ann->id);
  ASSERT_TRUE(ms.ok());
  ASSERT_EQ(ms->size(), 1u);
  EXPECT_EQ((*ms)[0].project_id, b.project.id);
  EXPECT_EQ(m->GetReplaySession(a.project.id, "s1")->has_value(), false);
  EXPECT_EQ(m->ListAudit(a.project.id, 10, INT64_MAX)->size(), 1u) << "the audit log stays";
  EXPECT_EQ(m->DeleteProject(a.project.id).code(), StatusCode::kNotFound);
  // The other project is whole.
  EXPECT_TRUE(Token(*m, b.project.id, b.read_token));
  EXPECT_EQ(m->ListFunnels(b.project.id)->size(), 1u);
  EXPECT_TRUE(m->GetReplaySession(b.project.id, "s1")->has_value());
  EXPECT_EQ(*m->GetRole(b.project.id, ann->id), Role::kOwner);
  // A new project can take the deleted one's name.
  EXPECT_TRUE(m->CreateProject("Acme \xC3\xA9tude", {}).ok());
}

inline void AuditLogIsPerProjectNewestFirst(const MetaStoreOpener& open) {
  std::string a_id, b_id;
  std::vector<AuditEntry> written;
  {
    auto m = open();
    ASSERT_NE(m, nullptr);
    a_id = Create(*m, "Acme").project.id;
    b_id = Create(*m, "Shop").project.id;
    const int64_t before = WallMs();
    const std::string details = R"({"origins":["https://a.test"],"note":"\u00e9 \" ok"})";
    for (int i = 0; i < 4; ++i) {
      auto e =
          m->AppendAudit({0, i == 2 ? b_id : a_id, "u_1", "settings.update." + std::to_string(i),
                          i == 1 ? details : "", i == 3 ? 42 : 0});
      ASSERT_TRUE(e.ok()) << e.status().ToString();
      EXPECT_GT(e->id, written.empty() ? 0 : written.back().id) << "ids ascend";
      if (i == 3) EXPECT_EQ(e->ts_ms, 42) << "a given time is kept";
      else EXPECT_GE(e->ts_ms, before) << "time 0 means now";
      EXPECT_EQ(e->details, i == 1 ? details : "{}");
      written.push_back(*e);
    }
  }
  auto m = open();
  ASSERT_NE(m, nullptr);
  auto a = m->ListAudit(a_id, 10, INT64_MAX);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->size(), 3u);
  EXPECT_EQ((*a)[0], written[3]) << "newest first";
  EXPECT_EQ((*a)[1], written[1]);
  EXPECT_EQ((*a)[2], written[0]);
  auto page = m->ListAudit(a_id, 1, written[3].id);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0], written[1]) << "before_id pages back";
  auto b = m->ListAudit(b_id, 10, INT64_MAX);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0], written[2]);
  EXPECT_TRUE(m->ListAudit("p_0000000000000000", 10, INT64_MAX)->empty());
}

inline void NamedReadTokensExpireAndAreRevokedOneByOne(const MetaStoreOpener& open) {
  auto m = open();
  ASSERT_NE(m, nullptr);
  CreatedProject a = Create(*m, "Acme");
  CreatedProject b = Create(*m, "Shop");
  ASSERT_FALSE(a.project.id.empty());
  const int64_t now = WallMs();
  EXPECT_EQ(m->CreateNamedReadToken(a.project.id, "", 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(m->CreateNamedReadToken(a.project.id, std::string(101, 'x'), 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(m->CreateNamedReadToken("p_0000000000000000", "ci", 0).status().code(),
            StatusCode::kNotFound);
  auto ci = m->CreateNamedReadToken(a.project.id, "CI export", 0);
  auto soon = m->CreateNamedReadToken(a.project.id, "Grafana", now + 3600000);
  auto past = m->CreateNamedReadToken(a.project.id, "old", now - 1);
  ASSERT_TRUE(ci.ok() && soon.ok() && past.ok()) << ci.status().ToString();
  EXPECT_TRUE(HexId(ci->info.id, "tk_", 16)) << ci->info.id;
  EXPECT_TRUE(HexId(ci->token, "rt_", 32)) << ci->token;
  EXPECT_TRUE(Token(*m, a.project.id, ci->token));
  EXPECT_TRUE(Token(*m, a.project.id, soon->token));
  EXPECT_FALSE(Token(*m, a.project.id, past->token)) << "expired";
  EXPECT_FALSE(Token(*m, b.project.id, ci->token)) << "another project's";
  auto list = m->ListReadTokens(a.project.id);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 4u) << "the project's first token, and three named ones";
  for (size_t i = 1; i < list->size(); ++i) {
    const ReadTokenInfo &x = (*list)[i - 1], &y = (*list)[i];
    EXPECT_TRUE(x.created_ms < y.created_ms || (x.created_ms == y.created_ms && x.id < y.id))
        << "oldest first, then by id";
  }
  std::set<std::string> names;
  for (const ReadTokenInfo& t : *list) {
    EXPECT_EQ(t.project_id, a.project.id);
    names.insert(t.name);
    if (t.id == soon->info.id) {
      EXPECT_EQ(t, soon->info);
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"", "CI export", "Grafana", "old"}));
  EXPECT_EQ(m->RevokeReadToken(b.project.id, ci->info.id).code(), StatusCode::kNotFound)
      << "revoked only through its own project";
  ASSERT_TRUE(m->RevokeReadToken(a.project.id, ci->info.id).ok());
  EXPECT_FALSE(Token(*m, a.project.id, ci->token));
  EXPECT_TRUE(Token(*m, a.project.id, soon->token)) << "one by one";
  EXPECT_TRUE(Token(*m, a.project.id, a.read_token));
  EXPECT_EQ(m->RevokeReadToken(a.project.id, ci->info.id).code(), StatusCode::kNotFound);
  EXPECT_EQ(m->ListReadTokens(a.project.id)->size(), 3u);
  EXPECT_EQ(m->ListReadTokens(b.project.id)->size(), 1u);
}

}  // namespace meta_checks

struct MetaCheck {
  const char* name;
  void (*run)(const MetaStoreOpener&);
};

inline const std::vector<MetaCheck>& MetaChecks() {
  using namespace meta_checks;
  static const std::vector<MetaCheck> kChecks = {
      {"CreatesAndFindsProjects", CreatesAndFindsProjects},
      {"MissingProjectsAreNotFound", MissingProjectsAreNotFound},
      {"ProjectNamesAreValidated", ProjectNamesAreValidated},
      {"ListsProjectsOldestFirst", ListsProjectsOldestFirst},
      {"SettingsAndOriginsOverwrite", SettingsAndOriginsOverwrite},
      {"ReadTokensBelongToOneProject", ReadTokensBelongToOneProject},
      {"RotatingTheKeyRetiresTheOldOne", RotatingTheKeyRetiresTheOldOne},
      {"ValuesPutGetOverwrite", ValuesPutGetOverwrite},
      {"OddCharactersRoundTrip", OddCharactersRoundTrip},
      {"PersistsAcrossReopen", PersistsAcrossReopen},
      {"ConcurrentCallersAllLand", ConcurrentCallersAllLand},
      {"SavedFunnelsCreateListUpdateDelete", SavedFunnelsCreateListUpdateDelete},
      {"SavedFunnelsBelongToOneProject", SavedFunnelsBelongToOneProject},
      {"SavedFunnelsAreCappedPerProject", SavedFunnelsAreCappedPerProject},
      {"ReplayIndexCountsEachChunkOnce", ReplayIndexCountsEachChunkOnce},
      {"ReplaySessionsListNewestFirstPerProject", ReplaySessionsListNewestFirstPerProject},
      {"ReplaySessionsAreDeletedWhole", ReplaySessionsAreDeletedWhole},
      {"PurgeDeletedKeepsWhatWasNotDeleted", PurgeDeletedKeepsWhatWasNotDeleted},
      {"UsersAreFoundByTheirNormalizedEmail", UsersAreFoundByTheirNormalizedEmail},
      {"SignInLinksWorkOnceInTheirBrowserBeforeTheyExpire",
       SignInLinksWorkOnceInTheirBrowserBeforeTheyExpire},
      {"ASignInLinkIsConsumedOnceUnderConcurrency", ASignInLinkIsConsumedOnceUnderConcurrency},
      {"DashboardSessionsBelongToTheirUser", DashboardSessionsBelongToTheirUser},
      {"MembersBelongToTheirProject", MembersBelongToTheirProject},
      {"ProjectsAreRenamedAndDeletedWhole", ProjectsAreRenamedAndDeletedWhole},
      {"AuditLogIsPerProjectNewestFirst", AuditLogIsPerProjectNewestFirst},
      {"NamedReadTokensExpireAndAreRevokedOneByOne", NamedReadTokensExpireAndAreRevokedOneByOne},
  };
  return kChecks;
}

template <typename Factory>
class MetaStoreConformanceTest : public ::testing::Test {
 protected:
  void Check(void (*check)(const MetaStoreOpener&)) {
    Factory factory;
    check([&factory] { return factory.Open(); });
  }
};

TYPED_TEST_SUITE_P(MetaStoreConformanceTest);

#define TAP_META_CHECK(name) \
  TYPED_TEST_P(MetaStoreConformanceTest, name) { this->Check(&meta_checks::name); }
TAP_META_CHECK(CreatesAndFindsProjects)
TAP_META_CHECK(MissingProjectsAreNotFound)
TAP_META_CHECK(ProjectNamesAreValidated)
TAP_META_CHECK(ListsProjectsOldestFirst)
TAP_META_CHECK(SettingsAndOriginsOverwrite)
TAP_META_CHECK(ReadTokensBelongToOneProject)
TAP_META_CHECK(RotatingTheKeyRetiresTheOldOne)
TAP_META_CHECK(ValuesPutGetOverwrite)
TAP_META_CHECK(OddCharactersRoundTrip)
TAP_META_CHECK(PersistsAcrossReopen)
TAP_META_CHECK(ConcurrentCallersAllLand)
TAP_META_CHECK(SavedFunnelsCreateListUpdateDelete)
TAP_META_CHECK(SavedFunnelsBelongToOneProject)
TAP_META_CHECK(SavedFunnelsAreCappedPerProject)
TAP_META_CHECK(ReplayIndexCountsEachChunkOnce)
TAP_META_CHECK(ReplaySessionsListNewestFirstPerProject)
TAP_META_CHECK(ReplaySessionsAreDeletedWhole)
TAP_META_CHECK(PurgeDeletedKeepsWhatWasNotDeleted)
TAP_META_CHECK(UsersAreFoundByTheirNormalizedEmail)
TAP_META_CHECK(SignInLinksWorkOnceInTheirBrowserBeforeTheyExpire)
TAP_META_CHECK(ASignInLinkIsConsumedOnceUnderConcurrency)
TAP_META_CHECK(DashboardSessionsBelongToTheirUser)
TAP_META_CHECK(MembersBelongToTheirProject)
TAP_META_CHECK(ProjectsAreRenamedAndDeletedWhole)
TAP_META_CHECK(AuditLogIsPerProjectNewestFirst)
TAP_META_CHECK(NamedReadTokensExpireAndAreRevokedOneByOne)
#undef TAP_META_CHECK

REGISTER_TYPED_TEST_SUITE_P(MetaStoreConformanceTest, CreatesAndFindsProjects,
                            MissingProjectsAreNotFound, ProjectNamesAreValidated,
                            ListsProjectsOldestFirst, SettingsAndOriginsOverwrite,
                            ReadTokensBelongToOneProject, RotatingTheKeyRetiresTheOldOne,
                            ValuesPutGetOverwrite, OddCharactersRoundTrip, PersistsAcrossReopen,
                            ConcurrentCallersAllLand, SavedFunnelsCreateListUpdateDelete,
                            SavedFunnelsBelongToOneProject, SavedFunnelsAreCappedPerProject,
                            ReplayIndexCountsEachChunkOnce, ReplaySessionsListNewestFirstPerProject,
                            ReplaySessionsAreDeletedWhole, PurgeDeletedKeepsWhatWasNotDeleted,
                            UsersAreFoundByTheirNormalizedEmail,
                            SignInLinksWorkOnceInTheirBrowserBeforeTheyExpire,
                            ASignInLinkIsConsumedOnceUnderConcurrency,
                            DashboardSessionsBelongToTheirUser, MembersBelongToTheirProject,
                            ProjectsAreRenamedAndDeletedWhole, AuditLogIsPerProjectNewestFirst,
                            NamedReadTokensExpireAndAreRevokedOneByOne);

}  // namespace tapistry::conformance
