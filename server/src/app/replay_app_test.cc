// POST /r and the replay read API end to end, in process: the real server on 127.0.0.1:0 with a
// temp data dir (server_app_fixture.h). The service's own rules are tested in
// replay/replay_service_test.cc; here: the route table, admission, CORS, body encodings and
// limits, and that an acknowledged chunk survives a restart.
#include <gtest/gtest.h>

#include "app/server_app_fixture.h"
#include "common/gzip.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
class ReplayAppTest : public ServerAppTest {
 protected:
  TestResponse PostR(const std::string& target, const std::string& body, Headers h = {}) {
    bool has_type = false;
    for (auto& [k, v] : h) has_type |= k == "Content-Type";
    if (!has_type) h.emplace_back("Content-Type", "text/plain;charset=UTF-8");
    return TestClient(app_->port()).Request("POST", target, body, h);
  }
  TestResponse Read(const std::string& target, const Headers& extra = {}) {
    Headers h = extra;
    h.emplace_back("Authorization", "Bearer " + token_);
    return TestClient(app_->port()).Request("GET", target, "", h);
  }
};

TEST_F(ReplayAppTest, AChunkIsAcceptedOnceARetryAgainAndAnotherChunkConflicts) {
  Start();
  auto r = PostR("/r", ReplayChunkBody(0, 0, key_), {{"Origin", "https://example.com"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"next_chunk\":1"), std::string::npos) << r.body;
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "https://example.com");
  auto again = PostR("/r", ReplayChunkBody(0, 0, key_), {{"Origin", "https://example.com"}});
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.body.find("\"duplicate\":true"), std::string::npos);
  auto other = PostR("/r", ReplayChunkBody(0, 7, key_));
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_NE(other.body.find("\"error\":\"chunk_conflict\""), std::string::npos);
  auto list = Read("/api/replays?project_id=" + project_);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find(kReplaySession), std::string::npos);
  EXPECT_NE(list.body.find("\"chunks\":1,"), std::string::npos) << list.body;
}

TEST_F(ReplayAppTest, GzipBodiesWithTheKeyInTheQueryOrHeader) {
  Start();
  // sendBeacon: no headers, so ?k= and ?gz=1.
  auto beacon = PostR("/r?k=" + key_ + "&gz=1", Gzip(ReplayChunkBody(0)));
  EXPECT_EQ(beacon.status, 200) << beacon.body;
  auto fetch = PostR("/r", Gzip(ReplayChunkBody(1)),
                     {{"Content-Encoding", "gzip"},
                      {"X-Project-Key", key_},
                      {"Content-Type", "application/json"}});
  EXPECT_EQ(fetch.status, 200) << fetch.body;
  // The key inside a compressed body cannot be read before inflating: refused, nothing inflated.
  auto inside = PostR("/r?gz=1", Gzip(ReplayChunkBody(2, 0, key_)));
  EXPECT_EQ(inside.status, 401) << inside.body;
  EXPECT_NE(inside.body.find("missing_key"), std::string::npos);
  // A gzip bomb: over the inflated limit or the ratio.
  auto bomb = PostR("/r?k=" + key_ + "&gz=1", Gzip(std::string(limits::kMaxReplayBody + 1, ' ')));
  EXPECT_EQ(bomb.status, 413) << bomb.body;
  auto garbage = PostR("/r?k=" + key_ + "&gz=1", "not gzip at all");
  EXPECT_EQ(garbage.status, 400) << garbage.body;
}

TEST_F(ReplayAppTest, JsonlIsTheSameChunkAsJson) {
  Start();
  const std::string json = ReplayChunkBody(0, 0, key_);
  ASSERT_EQ(PostR("/r", json).status, 200);
  // Envelope line, then one event per line.
  const size_t ev = json.find(",\"events\":[");
  std::string jsonl = json.substr(0, ev) + "}\n" + json.substr(ev + 11, json.size() - ev - 13);
  for (size_t at = jsonl.find("},{\"type\""); at != std::string::npos;
       at = jsonl.find("},{\"type\"", at)) {
    jsonl.replace(at, 2, "}\n");
  }
  auto r = PostR("/r", jsonl, {{"Content-Type", "application/x-ndjson"}});
  EXPECT_EQ(r.status, 200) << r.body << "\n" << jsonl;
  EXPECT_NE(r.body.find("\"duplicate\":true"), std::string::npos);
}

TEST_F(ReplayAppTest, BadInputGets4xxWithAJsonReason) {
  Start();
  struct Case {
    std::string target, body;
    Headers h;
    int status;
    const char* code;
  };
  const std::string big(limits::kMaxReplayBodySent + 1, 'x');
  for (const Case& c : std::vector<Case>{
           {"/r?k=" + key_, "{\"session_id\":", {}, 400, "invalid_argument"},
           {"/r?k=" + key_,
            R"({"session_id":"x","chunk_index":0,"events":[]})",
            {},
            400,
            "invalid_argument"},
           {"/r?k=" + key_,
            ReplayChunkBody(0),
            {{"Content-Type", "application/xml"}},
            415,
            "unsupported_media_type"},
           {"/r?k=" + key_,
            ReplayChunkBody(0),
            {{"Content-Encoding", "br"}},
            415,
            "unsupported_encoding"},
           {"/r?k=" + key_, big, {}, 413, ""},
       }) {
    auto r = PostR(c.target, c.body, c.h);
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 80) << " -> " << r.body;
    EXPECT_NE(r.body.find(c.code), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"reason\""), std::string::npos) << r.body;
  }
  // The server is still there.
  EXPECT_EQ(PostR("/r?k=" + key_, ReplayChunkBody(0)).status, 200);
}

TEST_F(ReplayAppTest, ASessionSendingTooFastGets429WithRetryAfter) {
  Start();
  int ok = 0;
  TestResponse last;
  for (int i = 0; i < 12; ++i) {
    last = PostR("/r?k=" + key_, ReplayChunkBody(i));
    if (last.status != 200) break;
    ++ok;
  }
  EXPECT_GE(ok, static_cast<int>(limits::kReplaySessionChunkBurst));
  ASSERT_EQ(last.status, 429) << last.body;
  EXPECT_NE(last.body.find("rate_limited"), std::string::npos);
  EXPECT_FALSE(last.Header("Retry-After").empty());
}

TEST_F(ReplayAppTest, AnAcknowledgedChunkIsThereAfterARestart) {
  Start();
  ASSERT_EQ(PostR("/r?k=" + key_, ReplayChunkBody(0)).status, 200);
  ASSERT_EQ(PostR("/r?k=" + key_, ReplayChunkBody(1)).status, 200);
  auto before = Read("/api/replays/" + kReplaySession + "/chunks/1?project_id=" + project_);
  ASSERT_EQ(before.status, 200);
  app_.reset();
  Start();
  auto list = Read("/api/replays?project_id=" + project_);
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("\"chunks\":2,"), std::string::npos) << list.body;
  auto after = Read("/api/replays/" + kReplaySession + "/chunks/1?project_id=" + project_);
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.body, before.body);
  EXPECT_EQ(after.Header("Content-Type"), "application/gzip");
  std::string inflated;
  ASSERT_TRUE(GunzipBounded(after.body, 1 << 20, 1000, &inflated).ok());
  EXPECT_NE(inflated.find("\"chunk_index\":1"), std::string::npos);
  EXPECT_EQ(inflated.find(key_), std::string::npos);  // the key is not stored
  auto range = Read("/api/replays/" + kReplaySession + "/chunks/1?project_id=" + project_,
                    {{"Range", "bytes=0-9"}});
  EXPECT_EQ(range.status, 206);
  EXPECT_EQ(range.body, after.body.substr(0, 10));
  // The retry after the restart is still the same chunk.
  auto retry = PostR("/r?k=" + key_, ReplayChunkBody(1));
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_NE(retry.body.find("\"duplicate\":true"), std::string::npos);
}

TEST_F(ReplayAppTest, TheReadRoutesNeedAReadTokenForTheProject) {
  Start();
  ASSERT_EQ(PostR("/r?k=" + key_, ReplayChunkBody(0)).status, 200);
  for (const std::string& path : {std::string("/api/replays"), "/api/replays/" + kReplaySession,
                                  "/api/replays/" + kReplaySession + "/chunks/0"}) {
    auto none = TestClient(app_->port()).Request("GET", path + "?project_id=" + project_);
    EXPECT_EQ(none.status, 401) << path;
    auto wrong = TestClient(app_->port())
                     .Request("GET", path + "?project_id=" + project_, "",
                              {{"Authorization", "Bearer rt_00000000000000000000000000000000"}});
    EXPECT_EQ(wrong.status, 401) << path;
    EXPECT_EQ(Read(path + "?project_id=" + project_).status, 200) << path;
  }
}

// The list's filters: the recorded sessions whose events show a page, a click, a device — the
// same "sessions that did X" query as a funnel's (one step), so heatmaps, the Overview and
// funnels can link to the replays behind them.
TEST_F(ReplayAppTest, TheListFiltersByPageClickedElementAndDevice) {
  Start();
  // Three recorded sessions: A saw /pricing and clicked #buy, B saw /pricing only, C saw /about.
  const std::string a = "2b1d0c6e-9a7f-4f4e-8d1c-00000000000a";
  const std::string b = "2b1d0c6e-9a7f-4f4e-8d1c-00000000000b";
  const std::string c = "2b1d0c6e-9a7f-4f4e-8d1c-00000000000c";
  auto ev = [](int n, const std::string& session, const std::string& type, const std::string& path,
               const std::string& extra = "") {
    std::string e = Event(n, type, path, extra);
    const std::string fixture = "2b1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef1";
    return e.replace(e.find(fixture), fixture.size(), session);
  };
  const std::string buy = R"(,"x":0.5,"y":0.5,"selector":"#buy","selector_hash":"77")";
  ASSERT_EQ(Post(Batch({ev(1, a, "page_view", "/pricing"), ev(2, a, "click", "/pricing", buy),
                        ev(3, b, "page_view", "/pricing"), ev(4, c, "page_view", "/about")}))
                .status,
            200);
  for (const std::string& s : {a, b, c}) {
    ASSERT_EQ(PostR("/r?k=" + key_, ReplayChunkBody(0, 0, "", s)).status, 200) << s;
  }
  auto list = [&](const std::string& q) {
    auto r = Read("/api/replays?project_id=" + project_ + q);
    EXPECT_EQ(r.status, 200) << q << " " << r.body;
    std::vector<std::string> out;
    for (const std::string& s : {a, b, c}) {
      if (r.body.find(s) != std::string::npos) out.push_back(s.substr(s.size() - 1));
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(list(""), (V{"a", "b", "c"}));
  EXPECT_EQ(list("&path=/pricing"), (V{"a", "b"}));
  EXPECT_EQ(list("&path=/PRICING/"), V{}) << "the path as stored, not normalized again";
  EXPECT_EQ(list("&path=/pri&match=prefix"), (V{"a", "b"}));
  EXPECT_EQ(list("&selector=%23buy"), V{"a"});
  EXPECT_EQ(list("&selector=%23buy&path=/about"), V{});
  EXPECT_EQ(list("&device=desktop"), (V{"a", "b", "c"}));
  EXPECT_EQ(list("&device=mobile"), V{});
  EXPECT_EQ(list("&path=/about&device=desktop"), V{"c"});
  auto filtered = Read("/api/replays?project_id=" + project_ + "&path=/about");
  EXPECT_NE(filtered.body.find(R"("filtered":true)"), std::string::npos) << filtered.body;
  EXPECT_EQ(Read("/api/replays?project_id=" + project_ + "&path=/a&match=glob").status, 400);
  // a regex is refused: it could be one that backtracks for ever over every stored path
  EXPECT_EQ(Read("/api/replays?project_id=" + project_ + "&path=(a%2B)%2B$&match=regex").status,
            400);
  // Sorted: b gets a second chunk a second later, so it is the longest and the largest.
  ASSERT_EQ(PostR("/r?k=" + key_, ReplayChunkBody(1, 0, "", b)).status, 200);
  for (const char* sort : {"longest", "largest"}) {
    auto r = Read("/api/replays?project_id=" + project_ + "&sort=" + sort);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_LT(r.body.find(b), r.body.find(a)) << sort << " " << r.body;
    EXPECT_LT(r.body.find(b), r.body.find(c)) << sort << " " << r.body;
    auto filtered =
        Read("/api/replays?project_id=" + project_ + "&sort=" + sort + "&path=/pricing");
    EXPECT_LT(filtered.body.find(b), filtered.body.find(a)) << filtered.body;
  }
  EXPECT_EQ(Read("/api/replays?project_id=" + project_ + "&sort=random").status, 400);
}

// Sampling and masking settings reach the SDK with every accepted /i batch (docs/replay.md).
TEST_F(ReplayAppTest, TheIngestAnswerCarriesTheProjectsReplaySettings) {
  Start();
  auto r = Post(Batch({Event(1)}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("replay":{"rate":0.3,"kb":3072,"allow":[],"mask":[],"ignore":[]})"),
            std::string::npos)
      << r.body;
  app_.reset();
  ChangeSettings([](ProjectSettings* ps) {
    ps->replay_sample_rate = 0.05;
    ps->replay_session_kb = 512;
    ps->replay_allow_selectors = {".public", "h1"};
    ps->replay_mask_selectors = {"[data-secret]"};
    ps->replay_ignore_selectors = {"#chat \"x\""};
  });
  Start();
  r = Post(Batch({Event(2)}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(
      r.body.find(
          R"("replay":{"rate":0.05,"kb":512,"allow":[".public","h1"],"mask":["[data-secret]"],)"
          R"("ignore":["#chat \"x\""]})"),
      std::string::npos)
      << r.body;
  // A refused batch carries no settings.
  auto bad = Post("{\"events\":[{}]}");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body.find("\"replay\""), std::string::npos) << bad.body;
}

}  // namespace
}  // namespace tapistry
