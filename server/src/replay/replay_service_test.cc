#include "replay/replay_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "common/fault_injection_env.h"
#include "common/gzip.h"
#include "common/temp_dir.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

constexpr int64_t kNow = 1723718400000;
const std::string kSession = "2b1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef1";

// A chunk of `n` mouse-move events; `salt` changes its content but not its key.
std::string Chunk(int64_t index, int n = 3, int salt = 0, const std::string& session = kSession) {
  const int64_t t0 = kNow - 60000 + index * 1000;
  std::string b = R"({"k":"pk_x","session_id":")" + session + R"(","chunk_index":)" +
                  std::to_string(index) + R"(,"from_ms":)" + std::to_string(t0) + R"(,"to_ms":)" +
                  std::to_string(t0 + 900) + R"(,"events":[)";
  for (int i = 0; i < n; ++i) {
    b += (i ? "," : "") + std::string(R"({"type":3,"data":{"source":1,"positions":[{"x":)") +
         std::to_string(i * 7 + salt) + R"(,"y":)" + std::to_string(i * 13 % 997) +
         R"(,"id":4,"timeOffset":0}]},"timestamp":)" + std::to_string(t0 + i % 900) + "}";
  }
  return b + "]}";
}

int Field(const std::string& json, const std::string& name) {
  const size_t at = json.find("\"" + name + "\":");
  return at == std::string::npos ? -1 : std::atoi(json.c_str() + at + name.size() + 3);
}

class ReplayServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto meta = OpenSqliteMetaStore(dir_.Sub("meta.db"));
    ASSERT_TRUE(meta.ok());
    meta_ = std::move(meta).value();
    auto c = meta_->CreateProject("P", {});
    ASSERT_TRUE(c.ok());
    project_ = std::make_shared<Project>(c->project);
    OpenBlobs(nullptr);
  }
  void OpenBlobs(Env* env) {
    service_.reset();
    auto b = OpenFsBlobStore(dir_.Sub("blobs"), env);
    ASSERT_TRUE(b.ok());
    blobs_ = std::move(b).value();
    ReplayOptions o;
    o.free_bytes = [this] { return free_bytes_.load(); };
    o.min_free_bytes = 1000;
    o.on_stored = [this](const std::string& project_id, const std::string& content) {
      stored_.emplace_back(project_id, content);
    };
    service_ = std::make_unique<ReplayService>(blobs_.get(), meta_.get(), &limiter_, &metrics_,
                                               &clock_, o);
  }
  Reply Send(const std::string& body) {
    RouteCall call;
    call.req.method = "POST";
    call.req.path = "/r";
    call.req.body = body;
    call.project = project_;
    return service_->Ingest(call);
  }
  Reply Read(const std::string& path, const std::string& range = "") {
    RouteCall call;
    call.req.method = "GET";
    call.req.path = path;
    if (!range.empty()) call.req.headers.emplace_back("range", range);
    call.project_id = project_->id;
    return path == "/api/replays" ? service_->List(call) : service_->Read(call);
  }
  std::string Header(const Reply& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
  ReplaySession Session(const std::string& session = kSession) {
    auto s = meta_->GetReplaySession(project_->id, session);
    EXPECT_TRUE(s.ok() && s->has_value());
    return s.ok() && s->has_value() ? **s : ReplaySession();
  }

  TempDir dir_{"tap-replay"};
  FakeClock clock_{kNow};
  RateLimiter limiter_{&clock_};
  MetricsRegistry metrics_;
  std::atomic<uint64_t> free_bytes_{UINT64_MAX};
  std::unique_ptr<MetaStore> meta_;
  std::unique_ptr<BlobStore> blobs_;
  std::shared_ptr<Project> project_;
  std::unique_ptr<ReplayService> service_;
  std::vector<std::pair<std::string, std::string>> stored_;  // on_stored calls
};

TEST_F(ReplayServiceTest, AChunkIsStoredCompressedAndIndexed) {
  Reply r = Send(Chunk(0));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"accepted\":true"), std::string::npos);
  EXPECT_NE(r.body.find("\"duplicate\":false"), std::string::npos);
  EXPECT_EQ(Field(r.body, "next_chunk"), 1);
  auto gz = blobs_->Get(ReplayChunkKey(project_->id, kSession, 0));
  ASSERT_TRUE(gz.ok());
  std::string content;
  ASSERT_TRUE(GunzipBounded(*gz, 1 << 20, 1000, &content).ok());
  ReplayChunkParser parser;
  ReplayChunk expected;
  ASSERT_TRUE(parser.Parse(Chunk(0), kNow, &expected).ok());
  EXPECT_EQ(content, expected.content);
  const ReplaySession s = Session();
  EXPECT_EQ(s.chunks, 1);
  EXPECT_EQ(s.bytes, static_cast<int64_t>(gz->size()));
  EXPECT_EQ(s.events, 3);
  EXPECT_EQ(s.first_ts, expected.from_ms);
  EXPECT_EQ(s.last_ts, expected.to_ms);
  EXPECT_EQ(s.first_received_ms, kNow);
  EXPECT_FALSE(s.truncated);
}

// Retention: sessions whose first event is older than the project's replay_retention_days go,
// blobs and index rows; younger ones and other projects' stay.
TEST_F(ReplayServiceTest, RetentionDeletesOldSessionsWithTheirBlobs) {
  ASSERT_EQ(Send(Chunk(0)).status, 200);
  ASSERT_EQ(Send(Chunk(1)).status, 200);
  // A younger session, two days later (indexed and stored as the service would).
  const std::string young = "2b1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef2";
  ReplayChunkInfo c;
  c.session_id = young;
  c.first_ts = kNow + 2 * 86400000LL;
  c.last_ts = c.first_ts + 500;
  c.bytes = 4;
  c.events = 1;
  ASSERT_TRUE(meta_->AddReplayChunk(project_->id, c).ok());
  ASSERT_TRUE(blobs_->Put(ReplayChunkKey(project_->id, young, 0), "blob").ok());
  clock_.AdvanceMs(2 * 86400000LL + 43200000LL);  // now: kNow + 2.5 days

  auto none = service_->ApplyRetention(project_->id, 0);  // 0: keep forever
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  auto kept = service_->ApplyRetention(project_->id, 3);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(*kept, 0u) << "nothing is 3 days old yet";
  auto n = service_->ApplyRetention(project_->id, 2);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1u);
  EXPECT_FALSE(meta_->GetReplaySession(project_->id, kSession)->has_value());
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(blobs_->Get(ReplayChunkKey(project_->id, kSession, i)).status().code(),
              StatusCode::kNotFound);
  }
  EXPECT_TRUE(meta_->GetReplaySession(project_->id, young)->has_value());
  EXPECT_TRUE(blobs_->Get(ReplayChunkKey(project_->id, young, 0)).ok());
  // A session whose blobs are already gone (a pass cut short) is still removed from the index.
  ASSERT_TRUE(blobs_->Delete(ReplayChunkKey(project_->id, young, 0)).ok());
  auto rest = service_->DeleteSession(project_->id, young);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_TRUE(*rest);
  EXPECT_FALSE(meta_->GetReplaySession(project_->id, young)->has_value());
}

TEST_F(ReplayServiceTest, ARetryIsAcceptedOnceAndAnotherChunkUnderTheKeyConflicts) {
  ASSERT_EQ(Send(Chunk(0)).status, 200);
  const ReplaySession before = Session();
  Reply again = Send(Chunk(0));
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.body.find("\"duplicate\":true"), std::string::npos);
  // The same events as JSONL: the same chunk.
  std::string jsonl = Chunk(0);
  const size_t ev = jsonl.find(",\"events\":[");
  std::string lines = jsonl.substr(0, ev) + "}\n" + jsonl.substr(ev + 11, jsonl.size() - ev - 13);
  for (size_t at = lines.find("},{\"type\""); at != std::string::npos;
       at = lines.find("},{\"type\"", at)) {
    lines.replace(at, 2, "}\n");
  }
  EXPECT_EQ(Send(lines).status, 200) << lines;
  Reply other = Send(Chunk(0, 3, /*salt=*/1));
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_NE(other.body.find("chunk_conflict"), std::string::npos);
  EXPECT_EQ(Session(), before);  // nothing counted twice, nothing replaced
  std::string content;
  ASSERT_TRUE(GunzipBounded(*blobs_->Get(ReplayChunkKey(project_->id, kSession, 0)), 1 << 20, 1000,
                            &content)
                  .ok());
  EXPECT_NE(content.find("\"x\":0,"), std::string::npos);  // salt 0 is still there
  // The asset prefetch hears of the chunk once, when it became durable: not for the retries.
  ASSERT_EQ(stored_.size(), 1u);
  EXPECT_EQ(stored_[0].first, project_->id);
  EXPECT_EQ(stored_[0].second, content);
}

TEST_F(ReplayServiceTest, BadBodiesGet4xxWithAReason) {
  for (const auto& [body, status] :
       std::vector<std::pair<std::string, int>>{{"", 400},
                                                {"{", 400},
                                                {"[]", 400},
                                                {"{\"session_id\":1}", 400},
                                                {Chunk(-1), 400},
                                                {Chunk(4000), 400}}) {
    Reply r = Send(body);
    EXPECT_EQ(r.status, status) << body;
    EXPECT_NE(r.body.find("\"reason\""), std::string::npos) << r.body;
  }
  EXPECT_FALSE(meta_->GetReplaySession(project_->id, kSession)->has_value());
}

TEST_F(ReplayServiceTest, TheSessionChunkRateIsOnePerSecondWithABurst) {
  int ok = 0;
  Reply last;
  for (int i = 0; i < 10 && (last = Send(Chunk(i))).status == 200; ++i) ++ok;
  EXPECT_EQ(ok, static_cast<int>(limits::kReplaySessionChunkBurst));
  EXPECT_EQ(last.status, 429);
  EXPECT_NE(last.body.find("rate_limited"), std::string::npos);
  EXPECT_EQ(Header(last, "Retry-After"), "1");
  // A retry of a stored chunk is not charged.
  EXPECT_EQ(Send(Chunk(0)).status, 200);
  clock_.AdvanceMs(1000);
  EXPECT_EQ(Send(Chunk(ok)).status, 200);
  EXPECT_EQ(Send(Chunk(ok + 1)).status, 429);
  // Another session has its own budget.
  EXPECT_EQ(Send(Chunk(0, 3, 0, "3b1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef1")).status, 200);
}

TEST_F(ReplayServiceTest, PastTheSessionByteCapChunksAreRefusedAndTheSessionIsTruncated) {
  ProjectSettings ps = project_->settings;
  ps.replay_session_kb = 2;
  project_->settings = ps;
  int stored = 0;
  Reply r;
  for (int i = 0; i < 40; ++i) {
    clock_.AdvanceMs(1000);
    r = Send(Chunk(i, 40));
    if (r.status != 200) break;
    ++stored;
  }
  ASSERT_EQ(r.status, 429) << r.body;
  EXPECT_NE(r.body.find("session_cap"), std::string::npos);
  EXPECT_FALSE(Header(r, "Retry-After").empty());
  EXPECT_GT(stored, 0);
  const ReplaySession s = Session();
  EXPECT_EQ(s.chunks, stored);
  EXPECT_LE(s.bytes, 2048);
  EXPECT_TRUE(s.truncated);
  // What was kept stays readable.
  EXPECT_EQ(Read("/api/replays/" + kSession + "/chunks/0").status, 200);
}

TEST_F(ReplayServiceTest, ANearlyFullDiskAnswers503) {
  free_bytes_ = 500;
  Reply r = Send(Chunk(0));
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("disk_full"), std::string::npos);
  EXPECT_EQ(Header(r, "Retry-After"), "60");
  free_bytes_ = UINT64_MAX;
  EXPECT_EQ(Send(Chunk(0)).status, 200);
}

// A 2xx means durable: a power cut after any file-system call of a chunk's write either leaves
// the call refused (not acknowledged) or the chunk on disk whole; after the restart the client's
// retry stores or finds it, and the index counts it once. Each run writes the first chunk of a
// new session, so every run makes the same calls (directories included) as the counted one.
TEST_F(ReplayServiceTest, APowerCutAnywhereInAWriteNeverLosesAnAcknowledgedChunk) {
  auto session = [](int n) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "5a0b7c2d-1e2f-4a3b-8c4d-%012d", n);
    return std::string(buf);
  };
  FaultInjectionEnv env;
  std::map<FaultOp, int> calls;
  OpenBlobs(&env);
  env.SetHook([&](FaultOp op, const std::string&) {
    ++calls[op];
    return Status::Ok();
  });
  ASSERT_EQ(Send(Chunk(0, 3, 0, session(0))).status, 200);
  env.SetHook(nullptr);
  int crashes = 0, acknowledged = 0, n = 1;
  for (const auto& [op, count] : calls) {
    for (int k = 0; k < count; ++k, ++n) {
      SCOPED_TRACE("crash after call " + std::to_string(k) + " of kind " +
                   std::to_string(static_cast<int>(op)));
      env.CrashAfter(op, "", k);
      Reply r = Send(Chunk(0, 3, 0, session(n)));
      if (!env.crashed()) {
        // The counted call failed (a lookup of the absent chunk): failed calls are no crash point.
        env.ClearFaults();
        EXPECT_EQ(r.status, 200) << r.body;
        continue;
      }
      ++crashes;
      ASSERT_TRUE(env.SimulateCrash().ok());
      OpenBlobs(&env);  // the restart
      const std::string key = ReplayChunkKey(project_->id, session(n), 0);
      if (r.status == 200) {
        ++acknowledged;
        EXPECT_TRUE(blobs_->Get(key).ok()) << "acknowledged chunk of session " << n << " lost";
      } else {
        EXPECT_EQ(r.status, 503) << r.body;
      }
      clock_.AdvanceMs(1000);
      Reply retry = Send(Chunk(0, 3, 0, session(n)));
      EXPECT_EQ(retry.status, 200) << retry.body;
      EXPECT_TRUE(blobs_->Get(key).ok());
      EXPECT_EQ(Session(session(n)).chunks, 1);
    }
  }
  EXPECT_GT(crashes, 5);
  // A crash after the last call: the write had completed and was acknowledged.
  EXPECT_GT(acknowledged, 0);
  EXPECT_LT(acknowledged, crashes);
}

// The index write fails after the blob is durable: no 2xx; the retry indexes the stored chunk.
TEST_F(ReplayServiceTest, AChunkStoredButNotIndexedIsIndexedByTheRetry) {
  // The blob is there (as after a crash between the blob and the index), the index is not.
  ReplayChunkParser parser;
  ReplayChunk c;
  ASSERT_TRUE(parser.Parse(Chunk(0), kNow, &c).ok());
  std::string gz;
  ASSERT_TRUE(GzipCompress(c.content, 6, &gz).ok());
  ASSERT_TRUE(blobs_->PutIfAbsent(ReplayChunkKey(project_->id, kSession, 0), gz).ok());
  EXPECT_FALSE(meta_->GetReplaySession(project_->id, kSession)->has_value());
  Reply r = Send(Chunk(0));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Session().chunks, 1);
  EXPECT_EQ(Send(Chunk(0)).status, 200);
  EXPECT_EQ(Session().chunks, 1);
}

TEST_F(ReplayServiceTest, ConcurrentUploadsOfOneKeyStoreOneChunk) {
  std::atomic<int> same{0}, conflict{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      // Threads 0..3 send one content, 4..7 another, all under chunk 0.
      const int s = Send(Chunk(0, 3, t < 4 ? 0 : 5)).status;
      (s == 200 ? same : s == 409 ? conflict : other)++;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(same.load(), 4);
  EXPECT_EQ(conflict.load(), 4);
  EXPECT_EQ(Session().chunks, 1);
}

TEST_F(ReplayServiceTest, TheReadRoutesListSessionsAndServeChunks) {
  ASSERT_EQ(Send(Chunk(0)).status, 200);
  ASSERT_EQ(Send(Chunk(1)).status, 200);
  const std::string other = "3b1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef1";
  ASSERT_EQ(Send(Chunk(5, 3, 0, other)).status, 200);
  Reply list = Read("/api/replays");
  ASSERT_EQ(list.status, 200) << list.body;
  // Newest first: `other`'s chunk 5 starts later.
  EXPECT_LT(list.body.find(other), list.body.find(kSession)) << list.body;
  EXPECT_NE(list.body.find("\"chunks\":2"), std::string::npos);
  EXPECT_NE(list.body.find("\"truncated\":false"), std::string::npos);
  Reply one = Read("/api/replays/" + kSession);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_NE(one.body.find("\"chunk_index\":1"), std::string::npos);
  Reply chunk = Read("/api/replays/" + kSession + "/chunks/1");
  ASSERT_EQ(chunk.status, 200);
  EXPECT_EQ(chunk.content_type, "application/gzip");
  EXPECT_EQ(chunk.body, *blobs_->Get(ReplayChunkKey(project_->id, kSession, 1)));
  Reply part = Read("/api/replays/" + kSession + "/chunks/1", "bytes=2-9");
  ASSERT_EQ(part.status, 206);
  EXPECT_EQ(part.body, chunk.body.substr(2, 8));
  EXPECT_EQ(Header(part, "Content-Range"), "bytes 2-9/" + std::to_string(chunk.body.size()));
  Reply tail = Read("/api/replays/" + kSession + "/chunks/1", "bytes=10-");
  ASSERT_EQ(tail.status, 206);
  EXPECT_EQ(tail.body, chunk.body.substr(10));
  EXPECT_EQ(Read("/api/replays/" + kSession + "/chunks/1", "bytes=999999-").status, 416);
  for (const std::string& missing : std::vector<std::string>{
           "/api/replays/" + kSession + "/chunks/2", "/api/replays/" + kSession + "/chunks/x",
           "/api/replays/" + kSession + "/chunks/-1", "/api/replays/not-a-uuid",
           "/api/replays/" + kSession + "/x",
           "/api/replays/4b1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef1"}) {
    EXPECT_EQ(Read(missing).status, 404) << missing;
  }
  // Another project sees none of it.
  auto c = meta_->CreateProject("Q", {});
  ASSERT_TRUE(c.ok());
  RouteCall call;
  call.req.path = "/api/replays/" + kSession + "/chunks/1";
  call.project_id = c->project.id;
  EXPECT_EQ(service_->Read(call).status, 404);
  call.req.path = "/api/replays";
  EXPECT_EQ(service_->List(call).body, "{\"sessions\":[]}");
}

}  // namespace
}  // namespace tapistry
