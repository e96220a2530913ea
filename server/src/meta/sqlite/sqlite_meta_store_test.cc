#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "tapistry/meta_store.h"

namespace tapistry {
namespace {

class SqliteMetaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }
  std::string Path() const { return dir_.Sub("meta.db"); }
  TempDir dir_{"tap-meta"};
};

TEST_F(SqliteMetaStoreTest, CreatesFindsAndPersistsProjects) {
  std::string id, key, token;
  {
    auto meta = OpenSqliteMetaStore(Path());
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    auto c = (*meta)->CreateProject("Acme", {"https://acme.test"});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    id = c->project.id;
    key = c->project.public_key;
    token = c->read_token;
    EXPECT_TRUE(id.starts_with("p_"));
    EXPECT_TRUE(key.starts_with("pk_"));
    EXPECT_TRUE(token.starts_with("rt_"));
  }
  auto meta = OpenSqliteMetaStore(Path());
  ASSERT_TRUE(meta.ok());
  auto p = (*meta)->FindProjectByKey(key);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->id, id);
  EXPECT_EQ(p->name, "Acme");
  EXPECT_EQ(p->allowed_origins, std::vector<std::string>{"https://acme.test"});
  EXPECT_EQ((*meta)->FindProjectByKey("pk_nope").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(*(*meta)->CheckReadToken(id, token));
  EXPECT_FALSE(*(*meta)->CheckReadToken(id, token + "x"));
  EXPECT_FALSE(*(*meta)->CheckReadToken("p_other", token));
}

TEST_F(SqliteMetaStoreTest, UpdatesSettingsOriginsAndValues) {
  auto meta = OpenSqliteMetaStore(Path());
  ASSERT_TRUE(meta.ok());
  auto c = (*meta)->CreateProject("Shop", {});
  ASSERT_TRUE(c.ok());
  ProjectSettings s;
  s.retention_days = 30;
  s.store_raw_ua = true;
  s.query_allowlist = {"utm_source", "variant"};
  s.rate_ip_rps = 50;
  ASSERT_TRUE((*meta)->UpdateSettings(c->project.id, s).ok());
  ASSERT_TRUE((*meta)->SetAllowedOrigins(c->project.id, {"https://a.test", "https://*.b.test"}).ok());
  auto p = (*meta)->GetProject(c->project.id);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->settings, s);
  EXPECT_EQ(p->allowed_origins.size(), 2u);
  EXPECT_EQ((*meta)->UpdateSettings("p_missing", s).code(), StatusCode::kNotFound);
  auto t2 = (*meta)->CreateReadToken(c->project.id);
  ASSERT_TRUE(t2.ok());
  EXPECT_TRUE(*(*meta)->CheckReadToken(c->project.id, *t2));
  ASSERT_TRUE((*meta)->PutValue("k", "v1").ok());
  ASSERT_TRUE((*meta)->PutValue("k", "v2").ok());
  EXPECT_EQ(**(*meta)->GetValue("k"), "v2");
  EXPECT_FALSE((*meta)->GetValue("absent")->has_value());
  EXPECT_EQ((*meta)->ListProjects()->size(), 1u);
}

TEST_F(SqliteMetaStoreTest, RevokesReadTokensAndRotatesThePublicKey) {
  auto meta = OpenSqliteMetaStore(Path());
  ASSERT_TRUE(meta.ok());
  auto a = (*meta)->CreateProject("A", {});
  auto b = (*meta)->CreateProject("B", {});
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string id = a->project.id;
  auto second = (*meta)->CreateReadToken(id);
  auto third = (*meta)->CreateReadToken(id);
  ASSERT_TRUE(second.ok() && third.ok());
  // Keep the third: the first two go, B's token is untouched.
  auto revoked = (*meta)->RevokeReadTokens(id, *third);
  ASSERT_TRUE(revoked.ok());
  EXPECT_EQ(*revoked, 2);
  EXPECT_FALSE(*(*meta)->CheckReadToken(id, a->read_token));
  EXPECT_FALSE(*(*meta)->CheckReadToken(id, *second));
  EXPECT_TRUE(*(*meta)->CheckReadToken(id, *third));
  EXPECT_TRUE(*(*meta)->CheckReadToken(b->project.id, b->read_token));
  EXPECT_EQ(*(*meta)->RevokeReadTokens(id, ""), 1);
  EXPECT_FALSE(*(*meta)->CheckReadToken(id, *third));
  EXPECT_EQ((*meta)->RevokeReadTokens("p_missing", "").status().code(), StatusCode::kNotFound);

  auto key = (*meta)->RotatePublicKey(id);
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(key->starts_with("pk_"));
  EXPECT_NE(*key, a->project.public_key);
  EXPECT_EQ((*meta)->FindProjectByKey(a->project.public_key).status().code(), StatusCode::kNotFound);
  auto found = (*meta)->FindProjectByKey(*key);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, id);
  EXPECT_EQ((*meta)->RotatePublicKey("p_missing").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace tapistry
