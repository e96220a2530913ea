// SqliteMetaStore's own specifics: what it does with rows older versions wrote and with a path
// it cannot open. What every MetaStore must do is in server/test/meta_store_conformance.h.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <iterator>

#include "common/temp_dir.h"
#include "tapistry/meta_store.h"

namespace tapistry {
namespace {

class SqliteMetaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }
  std::string Path() const { return dir_.Sub("meta.db"); }
  // Runs SQL on the file directly, as another version of the server would have.
  void Sql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(Path().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }
  TempDir dir_{"tap-meta"};
};

// Settings JSON from before a field existed (or mangled by hand) keeps that field's default.
TEST_F(SqliteMetaStoreTest, SettingsWrittenByAnOlderVersionKeepTheirDefaults) {
  std::string id;
  {
    auto meta = OpenSqliteMetaStore(Path());
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    auto c = (*meta)->CreateProject("Old", {});
    ASSERT_TRUE(c.ok());
    id = c->project.id;
  }
  Sql("UPDATE projects SET settings='{\"retention_days\":30}' WHERE id='" + id + "'");
  auto meta = OpenSqliteMetaStore(Path());
  ASSERT_TRUE(meta.ok());
  ProjectSettings want;
  want.retention_days = 30;
  EXPECT_EQ((*meta)->GetProject(id)->settings, want);
  Sql("UPDATE projects SET settings='not json', allowed_origins='[1,\"https://a.test\"]' WHERE "
      "id='" +
      id + "'");
  auto p = (*meta)->GetProject(id);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->settings, ProjectSettings());
  EXPECT_EQ(p->allowed_origins, std::vector<std::string>{"https://a.test"});
}

TEST_F(SqliteMetaStoreTest, AnUnopenablePathIsAnIOErrorNamingIt) {
  auto meta = OpenSqliteMetaStore(dir_.Sub("missing/dir/meta.db"));
  ASSERT_FALSE(meta.ok());
  EXPECT_EQ(meta.status().code(), StatusCode::kIOError);
  EXPECT_NE(meta.status().message().find("missing/dir/meta.db"), std::string::npos);
}

// Sign-in link tokens, their browser nonces and session tokens are secrets: none is in the file (or
// its WAL) in plain, only their SHA-256 hashes.
TEST_F(SqliteMetaStoreTest, SignInAndSessionSecretsAreStoredOnlyAsHashes) {
  std::vector<std::string> secrets;
  {
    auto meta = OpenSqliteMetaStore(Path());
    ASSERT_TRUE(meta.ok());
    auto u = (*meta)->CreateUser("ann@example.com");
    ASSERT_TRUE(u.ok());
    const std::string nonce = "nonce-0123456789abcdef0123456789abcdef";
    auto link = (*meta)->CreateSignInLink(u->id, nonce, 4102444800000);
    auto session = (*meta)->CreateDashboardSession(u->id, "ua", 1, 4102444800000);
    ASSERT_TRUE(link.ok() && session.ok());
    secrets = {*link, nonce, session->token};
  }
  std::string bytes;
  for (const char* suffix : {"", "-wal"}) {
    std::ifstream in(Path() + suffix, std::ios::binary);
    bytes += std::string(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 1000u);
  for (const std::string& s : secrets) {
    // The random part of each token (after its prefix) is nowhere.
    EXPECT_EQ(bytes.find(s.substr(3)), std::string::npos) << s;
  }
}

// A deleted replay session's id lingers in the WAL file (and, without secure_delete, in freed
// pages) until PurgeDeleted checkpoints the WAL into the main file and truncates it; the open
// store keeps both files, so the bytes are read while it is open, as a crash would leave them.
TEST_F(SqliteMetaStoreTest, PurgeDeletedLeavesNoCopyOfADeletedRowInAnyFile) {
  auto meta = OpenSqliteMetaStore(Path());
  ASSERT_TRUE(meta.ok());
  auto c = (*meta)->CreateProject("P", {});
  ASSERT_TRUE(c.ok());
  const std::string gone = "5e551075-90ae-4d1e-8c5a-0123456789ab";
  const std::string kept = "5e551075-4eed-4d1e-8c5a-ba9876543210";
  for (const std::string& id : {gone, kept}) {
    ReplayChunkInfo chunk;
    chunk.session_id = id;
    chunk.first_ts = 1000;
    chunk.last_ts = 2000;
    chunk.bytes = 10;
    chunk.events = 3;
    ASSERT_TRUE((*meta)->AddReplayChunk(c->project.id, chunk).ok());
  }
  auto files = [&] {
    std::string bytes;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::ifstream in(Path() + suffix, std::ios::binary);
      bytes += std::string(std::istreambuf_iterator<char>(in), {});
    }
    return bytes;
  };
  ASSERT_NE(files().find(gone), std::string::npos) << "the scan sees the row before the delete";
  auto del = (*meta)->DeleteReplaySession(c->project.id, gone);
  ASSERT_TRUE(del.ok() && *del);
  EXPECT_NE(files().find(gone), std::string::npos) << "the WAL still holds it: what is fixed here";
  ASSERT_TRUE((*meta)->PurgeDeleted().ok());
  const std::string after = files();
  EXPECT_EQ(after.find(gone), std::string::npos);
  EXPECT_NE(after.find(kept), std::string::npos);
  std::ifstream wal(Path() + "-wal", std::ios::binary | std::ios::ate);
  EXPECT_EQ(wal.is_open() ? static_cast<int64_t>(wal.tellg()) : 0, 0) << "the WAL is truncated";
}

}  // namespace
}  // namespace tapistry
