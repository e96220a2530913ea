// Proves the MetaStore conformance checks reject wrong backends: a store that does nothing fails
// every check, and two plausible mistakes layered on the real SQLite store — one that forgets
// on reopen, one that accepts a live read token for any project — fail the check written for
// them while passing the others they do not touch.
#include <gtest/gtest.h>

#include "check_failures.h"
#include "common/temp_dir.h"
#include "meta_store_conformance.h"

namespace tapistry::conformance {

// This file runs the suite's checks on wrong stores, one by one; backends instantiate the suite.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(MetaStoreConformanceTest);

namespace {

// Says yes to every write and knows nothing.
class NullMetaStore final : public MetaStore {
 public:
  Result<CreatedProject> CreateProject(const std::string&,
                                       const std::vector<std::string>&) override {
    return CreatedProject();
  }
  Result<Project> GetProject(const std::string&) override { return Status::NotFound("none"); }
  Result<Project> FindProjectByKey(const std::string&) override { return Status::NotFound("none"); }
  Result<std::vector<Project>> ListProjects() override { return std::vector<Project>(); }
  Status SetAllowedOrigins(const std::string&, const std::vector<std::string>&) override {
    return Status::Ok();
  }
  Status UpdateSettings(const std::string&, const ProjectSettings&) override {
    return Status::Ok();
  }
  Result<bool> CheckReadToken(const std::string&, const std::string&) override { return false; }
  Result<std::string> CreateReadToken(const std::string&) override { return std::string(); }
  Result<int> RevokeReadTokens(const std::string&, const std::string&) override { return 0; }
  Result<std::string> RotatePublicKey(const std::string&) override { return std::string(); }
  Status RenameProject(const std::string&, const std::string&) override { return Status::Ok(); }
  Result<CreatedReadToken> CreateNamedReadToken(const std::string&, const std::string&,
                                                int64_t) override {
    return CreatedReadToken();
  }
  Result<std::vector<ReadTokenInfo>> ListReadTokens(const std::string&) override {
    return std::vector<ReadTokenInfo>();
  }
  Status RevokeReadToken(const std::string&, const std::string&) override { return Status::Ok(); }
  Status DeleteProject(const std::string&) override { return Status::Ok(); }
  Status SetMember(const std::string&, const std::string&, Role) override { return Status::Ok(); }
  Result<bool> RemoveMember(const std::string&, const std::string&) override { return false; }
  Result<std::optional<Role>> GetRole(const std::string&, const std::string&) override {
    return std::optional<Role>();
  }
  Result<std::vector<Membership>> ListMembers(const std::string&) override {
    return std::vector<Membership>();
  }
  Result<std::vector<Membership>> ListMemberships(const std::string&) override {
    return std::vector<Membership>();
  }
  Result<AuditEntry> AppendAudit(const AuditEntry& e) override { return e; }
  Status PurgeDeleted() override { return Status::Ok(); }
  Result<std::vector<AuditEntry>> ListAudit(const std::string&, size_t, int64_t) override {
    return std::vector<AuditEntry>();
  }
  Result<std::optional<std::string>> GetValue(const std::string&) override {
    return std::optional<std::string>();
  }
  Status PutValue(const std::string&, const std::string&) override { return Status::Ok(); }
  Result<std::vector<SavedFunnel>> ListFunnels(const std::string&) override {
    return std::vector<SavedFunnel>();
  }
  Result<SavedFunnel> GetFunnel(const std::string&, const std::string&) override {
    return Status::NotFound("none");
  }
  Result<SavedFunnel> CreateFunnel(const std::string&, const std::string&,
                                   const std::string&) override {
    return SavedFunnel();
  }
  Result<SavedFunnel> UpdateFunnel(const std::string&, const std::string&, const std::string&,
                                   const std::string&) override {
    return SavedFunnel();
  }
  Status DeleteFunnel(const std::string&, const std::string&) override { return Status::Ok(); }
  Status AddReplayChunk(const std::string&, const ReplayChunkInfo&) override {
    return Status::Ok();
  }
  Status MarkReplayTruncated(const std::string&, const std::string&) override {
    return Status::Ok();
  }
  Result<std::optional<ReplaySession>> GetReplaySession(const std::string&,
                                                        const std::string&) override {
    return std::optional<ReplaySession>();
  }
  Result<std::vector<ReplaySession>> ListReplaySessions(const std::string&,
                                                        const ReplayListOptions&) override {
    return std::vector<ReplaySession>();
  }
  Result<std::vector<ReplayChunkInfo>> ListReplayChunks(const std::string&,
                                                        const std::string&) override {
    return std::vector<ReplayChunkInfo>();
  }
  Result<bool> DeleteReplaySession(const std::string&, const std::string&) override {
    return false;
  }
  Result<User> CreateUser(const std::string&) override { return User(); }
  Result<User> GetUser(const std::string&) override { return Status::NotFound("none"); }
  Result<User> FindUserByEmail(const std::string&) override { return Status::NotFound("none"); }
  Status SetUserEmail(const std::string&, const std::string&) override { return Status::Ok(); }
  Result<std::vector<User>> ListUsers() override { return std::vector<User>(); }
  Result<std::string> CreateSignInLink(const std::string&, const std::string&, int64_t) override {
    return std::string();
  }
  Result<std::string> ConsumeSignInLink(const std::string&, const std::string&, int64_t) override {
    return Status::Unauthenticated("none");
  }
  Result<CreatedSession> CreateDashboardSession(const std::string&, const std::string&, int64_t,
                                                int64_t) override {
    return CreatedSession();
  }
  Result<DashboardSession> FindDashboardSession(const std::string&) override {
    return Status::NotFound("none");
  }
  Result<DashboardSession> GetDashboardSession(const std::string&) override {
    return Status::NotFound("none");
  }
  Status TouchDashboardSession(const std::string&, int64_t) override { return Status::Ok(); }
  Result<std::vector<DashboardSession>> ListDashboardSessions(const std::string&) override {
    return std::vector<DashboardSession>();
  }
  Status RevokeDashboardSession(const std::string&, const std::string&) override {
    return Status::Ok();
  }
  Result<int> RevokeDashboardSessions(const std::string&) override { return 0; }
};

// Forwards everything to the real store; subclasses override the one thing they get wrong.
class ForwardingMetaStore : public MetaStore {
 public:
  explicit ForwardingMetaStore(std::unique_ptr<MetaStore> real) : real_(std::move(real)) {}
  Result<CreatedProject> CreateProject(const std::string& n,
                                       const std::vector<std::string>& o) override {
    return real_->CreateProject(n, o);
  }
  Result<Project> GetProject(const std::string& id) override { return real_->GetProject(id); }
  Result<Project> FindProjectByKey(const std::string& k) override {
    return real_->FindProjectByKey(k);
  }
  Result<std::vector<Project>> ListProjects() override { return real_->ListProjects(); }
  Status SetAllowedOrigins(const std::string& id, const std::vector<std::string>& o) override {
    return real_->SetAllowedOrigins(id, o);
  }
  Status UpdateSettings(const std::string& id, const ProjectSettings& s) override {
    return real_->UpdateSettings(id, s);
  }
  Result<bool> CheckReadToken(const std::string& project, const std::string& token) override {
    return real_->CheckReadToken(project, token);
  }
  Result<std::string> CreateReadToken(const std::string& id) override {
    return real_->CreateReadToken(id);
  }
  Result<int> RevokeReadTokens(const std::string& id, const std::string& keep) override {
    return real_->RevokeReadTokens(id, keep);
  }
  Result<std::string> RotatePublicKey(const std::string& id) override {
    return real_->RotatePublicKey(id);
  }
  Result<std::optional<std::string>> GetValue(const std::string& k) override {
    return real_->GetValue(k);
  }
  Status PutValue(const std::string& k, const std::string& v) override {
    return real_->PutValue(k, v);
  }
  Result<std::vector<SavedFunnel>> ListFunnels(const std::string& p) override {
    return real_->ListFunnels(p);
  }
  Result<SavedFunnel> GetFunnel(const std::string& p, const std::string& id) override {
    return real_->GetFunnel(p, id);
  }
  Result<SavedFunnel> CreateFunnel(const std::string& p, const std::string& n,
                                   const std::string& d) override {
    return real_->CreateFunnel(p, n, d);
  }
  Result<SavedFunnel> UpdateFunnel(const std::string& p, const std::string& id,
                                   const std::string& n, const std::string& d) override {
    return real_->UpdateFunnel(p, id, n, d);
  }
  Status DeleteFunnel(const std::string& p, const std::string& id) override {
    return real_->DeleteFunnel(p, id);
  }
  Status AddReplayChunk(const std::string& p, const ReplayChunkInfo& c) override {
    return real_->AddReplayChunk(p, c);
  }
  Status MarkReplayTruncated(const std::string& p, const std::string& s) override {
    return real_->MarkReplayTruncated(p, s);
  }
  Result<std::optional<ReplaySession>> GetReplaySession(const std::string& p,
                                                        const std::string& s) override {
    return real_->GetReplaySession(p, s);
  }
  Result<std::vector<ReplaySession>> ListReplaySessions(const std::string& p,
                                                        const ReplayListOptions& o) override {
    return real_->ListReplaySessions(p, o);
  }
  Result<std::vector<ReplayChunkInfo>> ListReplayChunks(const std::string& p,
                                                        const std::string& s) override {
    return real_->ListReplayChunks(p, s);
  }
  Result<bool> DeleteReplaySession(const std::string& p, const std::string& s) override {
    return real_->DeleteReplaySession(p, s);
  }

  Result<User> CreateUser(const std::string& e) override { return real_->CreateUser(e); }
  Result<User> GetUser(const std::string& id) override { return real_->GetUser(id); }
  Result<User> FindUserByEmail(const std::string& e) override { return real_->FindUserByEmail(e); }
  Status SetUserEmail(const std::string& id, const std::string& e) override {
    return real_->SetUserEmail(id, e);
  }
  Result<std::vector<User>> ListUsers() override { return real_->ListUsers(); }
  Result<std::string> CreateSignInLink(const std::string& u, const std::string& n,
                                       int64_t e) override {
    return real_->CreateSignInLink(u, n, e);
  }
  Result<std::string> ConsumeSignInLink(const std::string& t, const std::string& n,
                                        int64_t now) override {
    return real_->ConsumeSignInLink(t, n, now);
  }
  Result<CreatedSession> CreateDashboardSession(const std::string& u, const std::string& ua,
                                                int64_t now, int64_t e) override {
    return real_->CreateDashboardSession(u, ua, now, e);
  }
  Result<DashboardSession> FindDashboardSession(const std::string& t) override {
    return real_->FindDashboardSession(t);
  }
  Result<DashboardSession> GetDashboardSession(const std::string& id) override {
    return real_->GetDashboardSession(id);
  }
  Status TouchDashboardSession(const std::string& id, int64_t now) override {
    return real_->TouchDashboardSession(id, now);
  }
  Result<std::vector<DashboardSession>> ListDashboardSessions(const std::string& u) override {
    return real_->ListDashboardSessions(u);
  }
  Status RevokeDashboardSession(const std::string& u, const std::string& id) override {
    return real_->RevokeDashboardSession(u, id);
  }
  Result<int> RevokeDashboardSessions(const std::string& u) override {
    return real_->RevokeDashboardSessions(u);
  }
  Status RenameProject(const std::string& p, const std::string& n) override {
    return real_->RenameProject(p, n);
  }
  Status DeleteProject(const std::string& p) override { return real_->DeleteProject(p); }
  Result<CreatedReadToken> CreateNamedReadToken(const std::string& p, const std::string& n,
                                                int64_t e) override {
    return real_->CreateNamedReadToken(p, n, e);
  }
  Result<std::vector<ReadTokenInfo>> ListReadTokens(const std::string& p) override {
    return real_->ListReadTokens(p);
  }
  Status RevokeReadToken(const std::string& p, const std::string& id) override {
    return real_->RevokeReadToken(p, id);
  }
  Status SetMember(const std::string& p, const std::string& u, Role r) override {
    return real_->SetMember(p, u, r);
  }
  Result<bool> RemoveMember(const std::string& p, const std::string& u) override {
    return real_->RemoveMember(p, u);
  }
  Result<std::optional<Role>> GetRole(const std::string& p, const std::string& u) override {
    return real_->GetRole(p, u);
  }
  Result<std::vector<Membership>> ListMembers(const std::string& p) override {
    return real_->ListMembers(p);
  }
  Result<std::vector<Membership>> ListMemberships(const std::string& u) override {
    return real_->ListMemberships(u);
  }
  Result<AuditEntry> AppendAudit(const AuditEntry& e) override { return real_->AppendAudit(e); }
  Status PurgeDeleted() override { return real_->PurgeDeleted(); }
  Result<std::vector<AuditEntry>> ListAudit(const std::string& p, size_t n, int64_t b) override {
    return real_->ListAudit(p, n, b);
  }

 protected:
  std::unique_ptr<MetaStore> real_;
};

// The real store, except that a chunk uploaded again under a new number is a new chunk: the
// index key forgets the chunk index, so a retried upload (same index) is still caught by the
// real store, but two chunks with the same index and different times are both added — the
// "sum whatever arrives" mistake that would let a client inflate a session.
class ChunkIndexIgnoredStore final : public ForwardingMetaStore {
 public:
  using ForwardingMetaStore::ForwardingMetaStore;
  Status AddReplayChunk(const std::string& p, const ReplayChunkInfo& c) override {
    ReplayChunkInfo keyed = c;
    keyed.chunk_index = (c.first_ts << 20) ^ c.chunk_index ^ c.bytes;
    return real_->AddReplayChunk(p, keyed);
  }
};

// The real store, except that deleting a session deletes nothing under a session id that any
// project shares — the "DELETE … WHERE session_id=?" mistake that forgets the project: here it
// is simulated by deleting the id in every project.
class SessionDeletedEverywhereStore final : public ForwardingMetaStore {
 public:
  using ForwardingMetaStore::ForwardingMetaStore;
  Result<bool> DeleteReplaySession(const std::string& p, const std::string& s) override {
    auto all = real_->ListProjects();
    if (!all.ok()) return all.status();
    for (const Project& other : *all) {
      if (other.id != p) (void)real_->DeleteReplaySession(other.id, s);
    }
    return real_->DeleteReplaySession(p, s);
  }
};

// The real store, except that a read token is checked against every project's tokens: the
// token-confusion bug that would let one customer's token read another's data.
class AnyProjectTokenStore final : public ForwardingMetaStore {
 public:
  using ForwardingMetaStore::ForwardingMetaStore;
  Result<bool> CheckReadToken(const std::string& project, const std::string& token) override {
    auto all = real_->ListProjects();
    if (!all.ok()) return all.status();
    for (const Project& p : *all) {
      auto r = real_->CheckReadToken(p.id, token);
      if (!r.ok() || *r) return r;
    }
    return real_->CheckReadToken(project, token);
  }
};

// The real store, except that a sign-in link is accepted from any browser: the nonce is stored but
// never compared — the mistake that lets a forwarded or scanned link sign in someone else.
class AnyBrowserLinkStore final : public ForwardingMetaStore {
 public:
  using ForwardingMetaStore::ForwardingMetaStore;
  Result<std::string> CreateSignInLink(const std::string& u, const std::string&,
                                       int64_t e) override {
    return real_->CreateSignInLink(u, "any", e);
  }
  Result<std::string> ConsumeSignInLink(const std::string& t, const std::string&,
                                        int64_t now) override {
    return real_->ConsumeSignInLink(t, "any", now);
  }
};

// The real store, except that a user's role is the best they hold in any project: the
// "is this user a member of something" check that forgets which project was asked about.
class AnyProjectRoleStore final : public ForwardingMetaStore {
 public:
  using ForwardingMetaStore::ForwardingMetaStore;
  Result<std::optional<Role>> GetRole(const std::string& p, const std::string& u) override {
    auto mine = real_->ListMemberships(u);
    if (!mine.ok()) return mine.status();
    std::optional<Role> best;
    for (const Membership& x : *mine) {
      if (!best || x.role == Role::kOwner) best = x.role;
    }
    (void)p;
    return best;
  }
};

// "Purging" by starting over: the journal is gone, and so is everything in it.
class PurgeWipesReplaysStore final : public ForwardingMetaStore {
 public:
  using ForwardingMetaStore::ForwardingMetaStore;
  Status PurgeDeleted() override {
    auto projects = real_->ListProjects();
    if (!projects.ok()) return projects.status();
    for (const Project& p : *projects) {
      auto sessions = real_->ListReplaySessions(p.id, ReplayListOptions{});
      if (!sessions.ok()) return sessions.status();
      for (const ReplaySession& r : *sessions) (void)real_->DeleteReplaySession(p.id, r.session_id);
    }
    return real_->PurgeDeleted();
  }
};

const MetaCheck& Named(const std::string& name) {
  for (const MetaCheck& c : MetaChecks()) {
    if (name == c.name) return c;
  }
  ADD_FAILURE() << "no check " << name;
  return MetaChecks().front();
}

std::unique_ptr<MetaStore> OpenSqlite(const std::string& path) {
  auto m = OpenSqliteMetaStore(path);
  return m.ok() ? std::move(m).value() : nullptr;
}

TEST(MetaStoreHonestyTest, EveryCheckFailsAStoreThatDoesNothing) {
  for (const MetaCheck& check : MetaChecks()) {
    const CheckOutcome out =
        RunIntercepted([&] { check.run([] { return std::make_unique<NullMetaStore>(); }); });
    EXPECT_GT(out.failures, 0) << check.name << " passes a store that keeps nothing";
  }
}

TEST(MetaStoreHonestyTest, AStoreThatForgetsOnReopenFailsPersistenceOnly) {
  TempDir dir("tap-meta-honesty");
  int opens = 0;
  // Every open starts a new database: right until the process restarts.
  auto forgetful = [&] { return OpenSqlite(dir.Sub("meta-" + std::to_string(opens++) + ".db")); };
  EXPECT_GT(RunIntercepted([&] { Named("PersistsAcrossReopen").run(forgetful); }).failures, 0);
  for (const char* other : {"CreatesAndFindsProjects", "ReadTokensBelongToOneProject"}) {
    const CheckOutcome out = RunIntercepted([&] { Named(other).run(forgetful); });
    EXPECT_EQ(out.failures, 0) << other << ": " << out.first;
  }
}

TEST(MetaStoreHonestyTest, ATokenAcceptedForAnyProjectIsCaught) {
  TempDir dir("tap-meta-honesty");
  auto confused = [&] {
    return std::make_unique<AnyProjectTokenStore>(OpenSqlite(dir.Sub("meta.db")));
  };
  EXPECT_GT(RunIntercepted([&] { Named("ReadTokensBelongToOneProject").run(confused); }).failures,
            0);
  const CheckOutcome out = RunIntercepted([&] { Named("ValuesPutGetOverwrite").run(confused); });
  EXPECT_EQ(out.failures, 0) << out.first;
}

TEST(MetaStoreHonestyTest, AReplayIndexThatSumsEveryUploadIsCaught) {
  TempDir dir("tap-meta-honesty");
  auto summing = [&] {
    return std::make_unique<ChunkIndexIgnoredStore>(OpenSqlite(dir.Sub("meta.db")));
  };
  EXPECT_GT(RunIntercepted([&] { Named("ReplayIndexCountsEachChunkOnce").run(summing); }).failures,
            0);
  const CheckOutcome out =
      RunIntercepted([&] { Named("ReplaySessionsListNewestFirstPerProject").run(summing); });
  EXPECT_EQ(out.failures, 0) << out.first;
}

TEST(MetaStoreHonestyTest, ADeleteThatForgetsTheProjectIsCaught) {
  TempDir dir("tap-meta-honesty");
  auto careless = [&] {
    return std::make_unique<SessionDeletedEverywhereStore>(OpenSqlite(dir.Sub("meta.db")));
  };
  EXPECT_GT(RunIntercepted([&] { Named("ReplaySessionsAreDeletedWhole").run(careless); }).failures,
            0);
  const CheckOutcome out =
      RunIntercepted([&] { Named("ReplayIndexCountsEachChunkOnce").run(careless); });
  EXPECT_EQ(out.failures, 0) << out.first;
}

TEST(MetaStoreHonestyTest, ASignInLinkAcceptedFromAnyBrowserIsCaught) {
  TempDir dir("tap-meta-honesty");
  auto unbound = [&] {
    return std::make_unique<AnyBrowserLinkStore>(OpenSqlite(dir.Sub("meta.db")));
  };
  EXPECT_GT(RunIntercepted([&] {
              Named("SignInLinksWorkOnceInTheirBrowserBeforeTheyExpire").run(unbound);
            }).failures,
            0);
  const CheckOutcome out =
      RunIntercepted([&] { Named("ASignInLinkIsConsumedOnceUnderConcurrency").run(unbound); });
  EXPECT_EQ(out.failures, 0) << out.first;
}

TEST(MetaStoreHonestyTest, ARoleFromAnotherProjectIsCaught) {
  TempDir dir("tap-meta-honesty");
  auto confused = [&] {
    return std::make_unique<AnyProjectRoleStore>(OpenSqlite(dir.Sub("meta.db")));
  };
  EXPECT_GT(RunIntercepted([&] { Named("MembersBelongToTheirProject").run(confused); }).failures,
            0);
  const CheckOutcome out =
      RunIntercepted([&] { Named("AuditLogIsPerProjectNewestFirst").run(confused); });
  EXPECT_EQ(out.failures, 0) << out.first;
}

TEST(MetaStoreHonestyTest, APurgeThatDropsKeptRowsIsCaught) {
  TempDir dir("tap-meta-honesty");
  auto wiping = [&] {
    return std::make_unique<PurgeWipesReplaysStore>(OpenSqlite(dir.Sub("meta.db")));
  };
  EXPECT_GT(
      RunIntercepted([&] { Named("PurgeDeletedKeepsWhatWasNotDeleted").run(wiping); }).failures, 0);
  const CheckOutcome out =
      RunIntercepted([&] { Named("ReplaySessionsAreDeletedWhole").run(wiping); });
  EXPECT_EQ(out.failures, 0) << out.first;
}

}  // namespace
}  // namespace tapistry::conformance
