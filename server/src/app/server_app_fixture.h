// The in-process server fixture shared by the app tests (server_app_test.cc, security_test.cc,
// funnel_api_test.cc, replay_app_test.cc): a temp data dir with one project ("Test", allowed
// origin https://example.com), `tapistry serve` on 127.0.0.1:0, and helpers to post events, read
// the API and sign in to the dashboard.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/server_app.h"
#include "app/test_client.h"
#include "common/temp_dir.h"
#include "tapistry/meta_store.h"

namespace tapistry {
namespace {

using testing::TestClient;
using testing::TestResponse;

inline std::string NowMs() {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
}

inline std::string Uuid4(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "6a0b7c2d-1e2f-4a3b-8c4d-%012d", n);
  return buf;
}

inline std::string Event(int n, const std::string& type = "page_view",
                         const std::string& path = "/pricing", const std::string& extra = "") {
  return R"({"id":")" + Uuid4(n) + R"(","ts":)" + NowMs() + R"(,"type":")" + type +
         R"(","session_id":"2b1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef1","anonymous_id":"91d3a1b2-c3d4-4e5f-8a9b-0c1d2e3f4aaa",)"
         R"("url":"https://example.com)" +
         path + R"(","title":"Pricing","viewport":{"w":1440,"h":900})" + extra + "}";
}

inline std::string Batch(const std::vector<std::string>& events) {
  std::string b = R"({"sdk":{"ver":"test"},"events":[)";
  for (size_t i = 0; i < events.size(); ++i) b += (i ? "," : "") + events[i];
  return b + "]}";
}

inline std::string Gzip(const std::string& in, int level = 9) {
  z_stream zs{};
  deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

const std::string kReplaySession = "7c1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef1";

// A POST /r body: a replay chunk of a few rrweb events (docs/wire-format.md); `salt` changes the
// content, not the key (project, session, chunk index).
inline std::string ReplayChunkBody(int index, int salt = 0, const std::string& key = "",
                                   const std::string& session = kReplaySession) {
  // One base time per test process, so a body built twice is the same chunk (a retry).
  static const int64_t base = std::stoll(NowMs()) - 30000;
  const int64_t t0 = base + index * 1000;
  const std::string t = std::to_string(t0);
  std::string b = "{";
  if (!key.empty()) b += R"("k":")" + key + R"(",)";
  b += R"("session_id":")" + session + R"(","chunk_index":)" + std::to_string(index) +
       R"(,"from_ms":)" + t + R"(,"to_ms":)" + std::to_string(t0 + 500) + R"(,"events":[)";
  b +=
      R"({"type":4,"data":{"href":"https://example.com/a","width":1440,"height":900},"timestamp":)" +
      t + "},";
  b +=
      R"({"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[]},"initialOffset":{"left":0,"top":)" +
      std::to_string(salt) + R"(}},"timestamp":)" + t + "},";
  b +=
      R"({"type":3,"data":{"source":1,"positions":[{"x":1,"y":2,"id":1,"timeOffset":0}]},"timestamp":)" +
      std::to_string(t0 + 500) + "}]}";
  return b;
}

constexpr const char* kBrowserUa =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

class ServerAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto meta = OpenSqliteMetaStore(dir_.Sub("meta.db"));
    ASSERT_TRUE(meta.ok());
    auto c = (*meta)->CreateProject("Test", {"https://example.com"});
    ASSERT_TRUE(c.ok());
    project_ = c->project.id;
    key_ = c->project.public_key;
    token_ = c->read_token;
    cfg_.listen = "127.0.0.1:0";
    cfg_.data = dir_.path();
    cfg_.header_timeout_ms = 500;
    cfg_.min_free_disk_mb = 1;
  }
  void TearDown() override { app_.reset(); }
  void Start() {
    auto app = ServerApp::Open(cfg_, hooks_);
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    app_ = std::move(app).value();
    ASSERT_TRUE(app_->Start().ok());
  }
  // Changes the project's settings in the meta store; call it while the app is stopped.
  void ChangeSettings(const std::function<void(ProjectSettings*)>& change) {
    auto meta = OpenSqliteMetaStore(dir_.Sub("meta.db"));
    ASSERT_TRUE(meta.ok());
    auto p = (*meta)->GetProject(project_);
    ASSERT_TRUE(p.ok());
    ProjectSettings ps = p->settings;
    change(&ps);
    ASSERT_TRUE((*meta)->UpdateSettings(project_, ps).ok());
  }
  TestResponse Post(const std::string& body,
                    std::vector<std::pair<std::string, std::string>> h = {}) {
    h.emplace_back("Content-Type", "application/json");
    bool has_key = false, has_ua = false;
    for (auto& [k, v] : h) {
      has_key |= k == "X-Project-Key";
      has_ua |= k == "User-Agent";
    }
    if (!has_key) h.emplace_back("X-Project-Key", key_);
    // What a browser sends: a request without a User-Agent and Accept-Language scores as a bot
    // (enrich.cc), and bots' events are left out of every view by default.
    if (!has_ua) {
      h.emplace_back("User-Agent", kBrowserUa);
      h.emplace_back("Accept-Language", "en-US,en;q=0.9");
    }
    return TestClient(app_->port()).Request("POST", "/i", body, h);
  }
  TestResponse Get(const std::string& target, bool auth = true) {
    std::vector<std::pair<std::string, std::string>> h;
    if (auth) h.emplace_back("Authorization", "Bearer " + token_);
    return TestClient(app_->port()).Request("GET", target, "", h);
  }
  // A dashboard session cookie ("tap_session=…") and its CSRF token.
  std::pair<std::string, std::string> SignIn() {
    auto link = app_->SignInLink();
    EXPECT_TRUE(link.ok());
    TestClient c(app_->port());
    auto r = c.Request("GET", link->substr(link->find("/auth/signin")));
    EXPECT_EQ(r.status, 302) << r.body;
    std::string cookie = r.Header("Set-Cookie");
    cookie = cookie.substr(0, cookie.find(';'));
    auto me = c.Request("GET", "/api/me", "", {{"Cookie", cookie}});
    const size_t at = me.body.find("\"csrf\":\"") + 8;
    return {cookie, me.body.substr(at, me.body.find('"', at) - at)};
  }
  std::string OverviewTotals() {
    auto r = Get("/api/overview?project_id=" + project_);
    EXPECT_EQ(r.status, 200) << r.body;
    // The three counts only; bounce rate and duration have their own tests.
    return r.body.substr(0, r.body.find(",\"bounce_rate\"")) + "},";
  }

  TempDir dir_{"tap-server"};  // declared first: removed after the app has stopped
  Config cfg_;
  ServerAppHooks hooks_;
  std::unique_ptr<ServerApp> app_;
  std::string project_, key_, token_;
};

}  // namespace
}  // namespace tapistry
