// SnapshotService caps, disk backpressure and retention (issue 14, finding 2), on a real
// FsBlobStore with a fake clock.
#include "snapshot/snapshot_service.h"

#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

class SnapshotServiceCapsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto b = OpenFsBlobStore(dir_.path());
    ASSERT_TRUE(b.ok());
    blobs_ = std::move(b).value();
    auto p = std::make_shared<Project>();
    p->id = "p1";
    p->allowed_origins = {"https://example.com"};
    project_ = p;
  }
  std::unique_ptr<SnapshotService> Service(SnapshotOptions o) {
    return std::make_unique<SnapshotService>(blobs_.get(), nullptr, &metrics_, &clock_,
                                             std::move(o));
  }
  Reply Post(SnapshotService& s, const std::string& path, size_t html_bytes = 100) {
    RouteCall call;
    call.project = project_;
    call.req.body = R"({"url":"https://example.com)" + path +
                    R"(","viewport":{"w":1440,"h":900},"doc":{"w":1440,"h":2000},"h":1,"html":")" +
                    std::string(html_bytes, 'x') + R"("})";
    return s.Ingest(call);
  }

  TempDir dir_{"tap-snap"};
  std::unique_ptr<BlobStore> blobs_;
  std::shared_ptr<const Project> project_;
  MetricsRegistry metrics_;
  FakeClock clock_{1'800'000'000'000};
};

TEST_F(SnapshotServiceCapsTest, CapsPagesPerProjectButReplacesExistingOnes) {
  SnapshotOptions o;
  o.max_per_project = 2;
  auto s = Service(o);
  EXPECT_EQ(Post(*s, "/a").status, 202);
  EXPECT_EQ(Post(*s, "/b").status, 202);
  auto third = Post(*s, "/c");
  EXPECT_EQ(third.status, 507) << third.body;
  EXPECT_NE(third.body.find("snapshot_quota"), std::string::npos);
  clock_.AdvanceMs(SnapshotService::kChangedMs);
  EXPECT_EQ(Post(*s, "/a", 200).status, 202) << "a page already kept is replaced";
  EXPECT_TRUE(s->Get("p1", "/a", std::nullopt).ok());
  EXPECT_FALSE(s->Get("p1", "/c", std::nullopt).ok());
  // A new process counts what is stored.
  auto again = Service(o);
  EXPECT_EQ(Post(*again, "/d").status, 507);
}

TEST_F(SnapshotServiceCapsTest, CapsBytesPerProject) {
  SnapshotOptions o;
  o.max_bytes_per_project = 1000;
  auto s = Service(o);
  EXPECT_EQ(Post(*s, "/a", 600).status, 202);
  EXPECT_EQ(Post(*s, "/b", 600).status, 507);
  EXPECT_EQ(Post(*s, "/b", 300).status, 202);
}

TEST_F(SnapshotServiceCapsTest, NearlyFullDiskGets503WithRetryAfter) {
  SnapshotOptions o;
  o.free_bytes = [] { return uint64_t(100) << 20; };
  o.min_free_bytes = uint64_t(512) << 20;
  auto s = Service(o);
  auto r = Post(*s, "/a");
  EXPECT_EQ(r.status, 503) << r.body;
  bool retry = false;
  for (auto& [k, v] : r.headers) retry |= k == "Retry-After";
  EXPECT_TRUE(retry);
  EXPECT_FALSE(s->Get("p1", "/a", std::nullopt).ok());
}

TEST_F(SnapshotServiceCapsTest, SweepDeletesSnapshotsNotRefreshedForThirtyDays) {
  auto s = Service({});
  ASSERT_EQ(Post(*s, "/old").status, 202);
  clock_.AdvanceMs(limits::kSnapshotRetentionMs - 1000);
  ASSERT_EQ(Post(*s, "/new").status, 202);
  clock_.AdvanceMs(2000);
  auto n = s->Sweep();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  EXPECT_FALSE(s->Get("p1", "/old", std::nullopt).ok());
  EXPECT_TRUE(s->Get("p1", "/new", std::nullopt).ok());
  auto keys = blobs_->List("snapshots/");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 2u) << "only /new's html and meta remain";
}

}  // namespace
}  // namespace tapistry
