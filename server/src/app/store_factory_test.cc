#include "app/store_factory.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "app/config.h"
#include "app/data_dir.h"
#include "app/server_app.h"
#include "common/temp_dir.h"
#include "store/embedded/embedded_event_store.h"

namespace tapistry {
namespace {

std::string Parsed(std::string_view url) {
  auto u = ParseStoreUrl(url);
  if (!u.ok()) return "!" + std::string(StatusCodeName(u.status().code()));
  return u->scheme + "|" + u->path;
}

TEST(ParseStoreUrlTest, FileUrlsAndPlainPathsNameALocalPath) {
  EXPECT_EQ(Parsed("/var/lib/tapistry"), "file|/var/lib/tapistry");
  EXPECT_EQ(Parsed("./data"), "file|./data");
  EXPECT_EQ(Parsed("data"), "file|data");
  EXPECT_EQ(Parsed("dir:with:colons"), "file|dir:with:colons");  // no "//": still a path
  EXPECT_EQ(Parsed("odd?name#1"), "file|odd?name#1");            // plain paths are not URLs
  EXPECT_EQ(Parsed("file:///var/lib/t"), "file|/var/lib/t");
  EXPECT_EQ(Parsed("FILE:///x"), "file|/x");
  EXPECT_EQ(Parsed("file://localhost/x/y"), "file|/x/y");
  EXPECT_EQ(Parsed("file:data/events"), "file|data/events");
  EXPECT_EQ(Parsed("file:./d"), "file|./d");
  EXPECT_EQ(Parsed("file:/abs"), "file|/abs");
  EXPECT_EQ(Parsed("file:///my%20data/%C3%A9"), "file|/my data/\xc3\xa9");
  EXPECT_EQ(Parsed("clickhouse://u:secret@ch:8123/db"), "clickhouse|");
  EXPECT_EQ(Parsed("Postgres://db/x"), "postgres|");
  EXPECT_EQ(Parsed("s3://bucket/prefix"), "s3|");
}

TEST(ParseStoreUrlTest, RefusesWhatCannotBeAPath) {
  for (const char* bad : {"", "file:", "file://", "file://otherhost/x", "file:///a%2",
                          "file:///a%zz", "file:///a%00b", "file:///a?x=1", "file:///a#frag"}) {
    EXPECT_EQ(Parsed(bad), "!invalid_argument") << bad;
  }
}

// What each store says to a URL it cannot open: why, in words an operator can act on, never a
// crash, never a file called "clickhouse:", never the password in the URL.
TEST(StoreFactoryTest, UnbuiltAndUnknownSchemesAnswerAClearStatus) {
  EmbeddedStoreOptions eo;
  eo.background = false;
  struct Case {
    std::string url;
    Status status;
    const char* says;
  };
  const std::vector<Case> cases = {
      {"clickhouse://u:hunter2@ch:8123/db",
       OpenEventStore("clickhouse://u:hunter2@ch:8123/db", eo).status(),
       "clickhouse:// event stores are not built into this binary yet"},
      {"postgres://u:hunter2@pg/t", OpenMetaStore("postgres://u:hunter2@pg/t").status(),
       "postgres:// meta stores are not built into this binary yet"},
      {"postgresql://pg/t", OpenMetaStore("postgresql://pg/t").status(),
       "not built into this binary yet"},
      {"s3://AKIA:hunter2@bucket/p", OpenBlobStore("s3://AKIA:hunter2@bucket/p").status(),
       "s3:// blob stores are not built into this binary yet"},
      {"s3://b (event)", OpenEventStore("s3://b", eo).status(),
       "s3:// cannot hold the event store"},
      {"postgres:// (blob)", OpenBlobStore("postgres://u:hunter2@pg").status(),
       "postgres:// cannot hold the blob store"},
      {"clickhouse:// (meta)", OpenMetaStore("clickhouse://ch").status(),
       "clickhouse:// cannot hold the meta store"},
      {"ftp://", OpenBlobStore("ftp://u:hunter2@host/x").status(), "unknown URL scheme 'ftp://'"},
      {"file://elsewhere", OpenMetaStore("file://elsewhere/meta.db").status(),
       "meta store: file:// URLs name"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(c.status.code(), StatusCode::kInvalidArgument) << c.url;
    EXPECT_NE(c.status.message().find(c.says), std::string::npos)
        << c.url << ": " << c.status.message();
    EXPECT_EQ(c.status.message().find("hunter2"), std::string::npos)
        << c.url << ": " << c.status.message();
  }
  EXPECT_FALSE(std::filesystem::exists("clickhouse:"));
}

// A file: URL and the plain path it names open the same storage.
TEST(StoreFactoryTest, AFileUrlAndItsPathOpenTheSameStores) {
  TempDir dir("tap-factory");
  ASSERT_FALSE(dir.path().empty());
  const std::string url = "file://" + dir.path();
  {
    auto meta = OpenMetaStore(url + "/meta.db");
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    ASSERT_TRUE((*meta)->PutValue("k", "from the url").ok());
    auto blobs = OpenBlobStore(url + "/blobs");
    ASSERT_TRUE(blobs.ok()) << blobs.status().ToString();
    ASSERT_TRUE((*blobs)->Put("a/b", "blob").ok());
    EmbeddedStoreOptions eo;
    eo.background = false;
    eo.dir = "ignored: the URL decides";
    auto events = OpenEventStore(url + "/events", eo);
    ASSERT_TRUE(events.ok()) << events.status().ToString();
    Event e;
    e.project_id = "p";
    e.ts_ms = 1723680000000;
    e.event_id = Uuid{1, 2};
    ASSERT_TRUE((*events)->Append(std::vector<Event>{e}, 42).ok());
    ASSERT_TRUE((*events)->Flush().ok());
    ASSERT_TRUE((*events)->Close().ok());
  }
  EXPECT_FALSE(std::filesystem::exists("ignored: the URL decides"));
  auto meta = OpenMetaStore(dir.Sub("meta.db"));
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(**(*meta)->GetValue("k"), "from the url");
  auto blobs = OpenBlobStore(dir.Sub("blobs"));
  ASSERT_TRUE(blobs.ok());
  EXPECT_EQ(*(*blobs)->Get("a/b"), "blob");
  EmbeddedStoreOptions eo;
  eo.background = false;
  auto events = OpenEventStore(dir.Sub("events"), eo);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ((*events)->PersistedSeq(), 42u);
  EXPECT_TRUE((*events)->Close().ok());
}

// --data alone keeps the layout it always had: the default URLs are DataDir's own paths.
TEST(StoreFactoryTest, TheDefaultUrlsAreTheDataDirectorysLayout) {
  TempDir dir("tap-factory");
  Config cfg;
  cfg.data = dir.path();
  auto data = DataDir::Open(cfg.data);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(cfg.EventStoreUrl(), (*data)->EventsDir());
  EXPECT_EQ(cfg.MetaStoreUrl(), (*data)->MetaPath());
  EXPECT_EQ(cfg.BlobStoreUrl(), (*data)->BlobsDir());
  ParsedArgs args;
  args.flags["event-store"] = {"file:///srv/ev"};
  args.flags["meta-store"] = {"/srv/meta.db"};
  args.flags["blob-store"] = {"s3://b"};
  Config flagged;
  ASSERT_TRUE(LoadConfig(args, &flagged).ok());
  EXPECT_EQ(flagged.EventStoreUrl(), "file:///srv/ev");
  EXPECT_EQ(flagged.MetaStoreUrl(), "/srv/meta.db");
  EXPECT_EQ(flagged.BlobStoreUrl(), "s3://b");
  EXPECT_NE(HelpText().find("--event-store URL"), std::string::npos);
}

// The server opens its stores through the factory: a store moved off --data is used there, and
// a scheme this build lacks stops start-up with the factory's message.
TEST(StoreFactoryTest, ServeOpensItsStoresFromTheirUrls) {
  TempDir dir("tap-factory");
  Config cfg;
  cfg.listen = "127.0.0.1:0";
  cfg.data = dir.Sub("data");
  cfg.min_free_disk_mb = 1;
  cfg.meta_store = "postgres://tapistry:hunter2@db/tapistry";
  auto refused = ServerApp::Open(cfg);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("not built into this binary yet"), std::string::npos);

  cfg.meta_store = "file://" + dir.Sub("elsewhere/meta.db");
  cfg.event_store = dir.Sub("elsewhere/events");
  cfg.blob_store = "file:" + dir.Sub("elsewhere/blobs");
  std::filesystem::create_directories(dir.Sub("elsewhere"));
  {
    auto app = ServerApp::Open(cfg);  // the data dir's lock was released by the failed open
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    (*app)->Stop();
  }
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("elsewhere/meta.db")));
  EXPECT_TRUE(std::filesystem::is_directory(dir.Sub("elsewhere/blobs")));
  EXPECT_TRUE(std::filesystem::is_directory(dir.Sub("elsewhere/events")));
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("data/meta.db")));
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("data/blobs")));
}

}  // namespace
}  // namespace tapistry
