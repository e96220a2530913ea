// End-to-end tests of `tapistry serve` in process: real HTTP on 127.0.0.1, real WAL, real store.
#include "app/server_app.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/asio.hpp>
#include <thread>

#include "api/session_auth.h"
#include "app/server_app_fixture.h"
#include "app/test_client.h"
#include "common/temp_dir.h"
#include "snapshot/snapshot_service.h"
#include "tapistry/event.h"
#include "tapistry/meta_store.h"

namespace tapistry {
namespace {

using testing::TestClient;
using testing::TestResponse;

TEST_F(ServerAppTest, IngestsAndShowsInOverviewRightAway) {
  Start();
  auto r = Post(Batch({Event(1), Event(2, "page_view", "/"),
                       Event(3, "click", "/pricing", R"(,"x":0.5,"y":0.5)")}),
                {{"Origin", "https://example.com"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"accepted\":3"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"server_time\":"), std::string::npos);
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "https://example.com");
  EXPECT_FALSE(r.Header("Date").empty());
  EXPECT_EQ(OverviewTotals(), R"({"totals":{"pageviews":2,"sessions":1,"visitors":1},)");
  auto ev = Get("/api/events?project_id=" + project_ + "&type=click");
  ASSERT_EQ(ev.status, 200);
  EXPECT_NE(ev.body.find("\"x\":0.5"), std::string::npos) << ev.body;
}

TEST_F(ServerAppTest, RetriedBatchCountsNothingTwiceAcrossRestarts) {
  Start();
  std::string body = Batch({Event(1), Event(2)});
  ASSERT_EQ(Post(body).status, 200);
  auto again = Post(body);
  ASSERT_EQ(again.status, 200);
  EXPECT_NE(again.body.find("\"duplicates\":2"), std::string::npos) << again.body;
  app_->Stop();
  app_.reset();
  Start();
  auto third = Post(body);
  EXPECT_NE(third.body.find("\"duplicates\":2"), std::string::npos) << third.body;
  EXPECT_EQ(OverviewTotals(), R"({"totals":{"pageviews":2,"sessions":1,"visitors":1},)");
}

TEST_F(ServerAppTest, RejectsBadInputWithReasonsAndKeepsValidEvents) {
  Start();
  // Malformed JSON.
  auto r = Post("{\"events\":[");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"reason\":\"malformed JSON"), std::string::npos) << r.body;
  // Invalid UTF-8, 100-level nesting and unknown keys inside one batch: only the bad ones go.
  std::string bad_utf8 = Event(11);
  bad_utf8.replace(bad_utf8.find("Pricing"), 2, "\xC3\x28");
  std::string deep =
      Event(12, "custom", "/",
            R"(,"name":"x","props":{"a":)" + std::string(100, '[') + std::string(100, ']') + "}");
  std::string unknown = Event(13, "page_view", "/", R"(,"whatever":{"a":1})");
  r = Post(Batch({Event(10), bad_utf8, deep, unknown}));
  ASSERT_EQ(r.status, 206) << r.body;
  EXPECT_NE(r.body.find("\"accepted\":2"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"index\":1,"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"index\":2,"), std::string::npos) << r.body;
  // A 10 MB string: the body is over the 1 MB limit.
  r = Post(
      Batch({Event(20, "page_view", "/", R"(,"title":")" + std::string(10 << 20, 'a') + "\"")}));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.body.find("\"error\":\"too_large\""), std::string::npos);
  // Too many events in one batch.
  std::vector<std::string> many;
  for (int i = 0; i < 600; ++i) many.push_back("{}");
  r = Post(Batch(many));
  EXPECT_EQ(r.status, 413) << r.body;
  // A 1M-event batch: plain it is 3 MB, over the body limit; gzipped it is a few KB on the wire
  // that inflate past the same limit.
  const std::string million = Batch(std::vector<std::string>(1'000'000, "{}"));
  r = Post(million);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.body.find("\"error\":\"too_large\""), std::string::npos) << r.body;
  const std::string million_gz = Gzip(million);
  EXPECT_LT(million_gz.size(), 64u << 10);
  r = Post(million_gz, {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.body.find("\"error\":\"too_large\""), std::string::npos) << r.body;
  // A gzip bomb: 100 MB of zeros in ~100 KB.
  r = Post(Gzip(std::string(100 << 20, ' ')), {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(r.status, 413) << r.body;
  // gzip that is fine.
  r = Post(Gzip(Batch({Event(30)})), {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(r.status, 200) << r.body;
  // Wrong origin, unknown key, no key.
  r = Post(Batch({Event(40)}), {{"Origin", "https://evil.test"}});
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("origin_not_allowed"), std::string::npos);
  r = Post(Batch({Event(41)}), {{"X-Project-Key", "pk_unknown"}});
  EXPECT_EQ(r.status, 401) << r.body;
  r = TestClient(app_->port())
          .Request("POST", "/i", Batch({Event(42)}), {{"Content-Type", "text/plain"}});
  EXPECT_EQ(r.status, 401) << r.body;
  // The key in the body (sendBeacon) with text/plain works.
  r = TestClient(app_->port())
          .Request("POST", "/i", "{\"k\":\"" + key_ + "\"," + Batch({Event(43)}).substr(1),
                   {{"Content-Type", "text/plain;charset=UTF-8"},
                    {"User-Agent", kBrowserUa},
                    {"Accept-Language", "en"}});
  EXPECT_EQ(r.status, 200) << r.body;
  // Everything valid above is stored: events 10, 13, 30, 43 are page views.
  EXPECT_EQ(OverviewTotals(), R"({"totals":{"pageviews":4,"sessions":1,"visitors":1},)");
  EXPECT_EQ(Get("/healthz").status, 200) << "the server stays up";
}

TEST_F(ServerAppTest, ClosesSlowClients) {
  Start();
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s(ioc);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), app_->port()});
  std::string partial = "POST /i HTTP/1.1\r\nHost: x\r\n";
  boost::asio::write(s, boost::asio::buffer(partial));
  auto t0 = std::chrono::steady_clock::now();
  char buf[256];
  boost::system::error_code ec;
  s.read_some(boost::asio::buffer(buf), ec);  // blocks until the server gives up on us
  EXPECT_TRUE(ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset)
      << ec.message();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(ServerAppTest, ClosesClientsThatDribbleTheBody) {
  cfg_.body_timeout_ms = 500;
  Start();
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket s(ioc);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), app_->port()});
  // Whole headers, then a byte of the promised 1,000 every 50 ms: the body has a deadline, not
  // an idle timeout, so steady dribbling does not keep the connection.
  std::string head =
      "POST /i HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Project-Key: " + key_ +
      "\r\nContent-Length: 1000\r\n\r\n{";
  boost::asio::write(s, boost::asio::buffer(head));
  const auto t0 = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  while (!ec && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    boost::asio::write(s, boost::asio::buffer(" ", 1), ec);
  }
  char buf[256];
  if (!ec) s.read_some(boost::asio::buffer(buf), ec);
  EXPECT_TRUE(ec) << "still open after 5 s of dribbling";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(ServerAppTest, CorsPreflightFollowsAllowedOrigins) {
  cfg_.demo = false;  // the demo project accepts any origin
  Start();
  TestClient c(app_->port());
  auto ok =
      c.Request("OPTIONS", "/i", "",
                {{"Origin", "https://example.com"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(ok.status, 204);
  EXPECT_EQ(ok.Header("Access-Control-Allow-Origin"), "https://example.com");
  auto no = c.Request("OPTIONS", "/i", "",
                      {{"Origin", "https://evil.test"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(no.status, 403);
  EXPECT_EQ(no.Header("Access-Control-Allow-Origin"), "");
}

TEST_F(ServerAppTest, RateLimitsPerIpWithRetryAfter) {
  cfg_.rate_ip_rps = 2;
  Start();
  EXPECT_EQ(Post(Batch({Event(1)})).status, 200);
  EXPECT_EQ(Post(Batch({Event(2)})).status, 200);
  auto r = Post(Batch({Event(3)}));
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.Header("Retry-After"), "1");
  EXPECT_NE(r.body.find("rate_limited"), std::string::npos);
}

TEST_F(ServerAppTest, DiskNearlyFullGets503WithRetryAfterAndAcceptsNothing) {
  cfg_.min_free_disk_mb = 1 << 30;  // a petabyte: no disk here has that much free
  Start();
  auto r = Post(Batch({Event(1)}));
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_FALSE(r.Header("Retry-After").empty());
  EXPECT_NE(r.body.find("\"error\":"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"reason\":"), std::string::npos) << r.body;
  EXPECT_EQ(OverviewTotals(), R"({"totals":{"pageviews":0,"sessions":0,"visitors":0},)")
      << "nothing was acknowledged";
  EXPECT_EQ(Get("/healthz").status, 200) << "the server stays up";
}

TEST_F(ServerAppTest, RateLimitsPerSessionKeepingTheOtherEvents) {
  cfg_.rate_session_eps = 3;  // burst 3, then 3 per second
  Start();
  auto other_session = [](std::string e) {
    e.replace(e.find("2b1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef1"), 36,
              "2b1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef2");
    return e;
  };
  // Session A sends 5 events, session B 2, interleaved: A's 4th and 5th are over the limit.
  auto r = Post(Batch({Event(1), other_session(Event(2)), Event(3), Event(4),
                       other_session(Event(5)), Event(6), Event(7)}));
  ASSERT_EQ(r.status, 206) << r.body;
  EXPECT_NE(r.body.find("\"accepted\":5"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"index\":5,"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"index\":6,"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("\"index\":4,"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("session event rate or cap exceeded"), std::string::npos) << r.body;
  // Session A's bucket is empty now; B still has one token.
  r = Post(Batch({Event(8), other_session(Event(9))}));
  ASSERT_EQ(r.status, 206) << r.body;
  EXPECT_NE(r.body.find("\"accepted\":1"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"index\":0,"), std::string::npos) << r.body;
}

TEST_F(ServerAppTest, ReadApiNeedsTheProjectsToken) {
  Start();
  EXPECT_EQ(Get("/api/overview?project_id=" + project_, false).status, 401);
  EXPECT_EQ(Get("/api/overview?project_id=p_other").status, 401);
  EXPECT_EQ(Get("/api/overview").status, 400);
  EXPECT_EQ(Get("/api/overview?project_id=" + project_ + "&from=2024-13-01").status, 400);
  auto r = Get("/api/overview?project_id=" + project_ + "&from=2024-08-01&to=2024-08-03");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("series":[{"date":"2024-08-01")"), std::string::npos) << r.body;
}

TEST_F(ServerAppTest, OneTimeSignInLinkSetsASignedSessionCookie) {
  Start();
  auto link = app_->SignInLink();
  ASSERT_TRUE(link.ok());
  std::string target = link->substr(link->find("/auth/signin"));
  TestClient c(app_->port());
  auto r = c.Request("GET", target);
  ASSERT_EQ(r.status, 302) << r.body;
  EXPECT_EQ(r.Header("Location"), "/app/");
  std::string set = r.Header("Set-Cookie");
  EXPECT_NE(set.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set.find("SameSite=Lax"), std::string::npos);
  std::string cookie = set.substr(0, set.find(';'));
  EXPECT_EQ(c.Request("GET", target).status, 401) << "links are one-time";
  auto ov = c.Request("GET", "/api/overview?project_id=" + project_, "", {{"Cookie", cookie}});
  EXPECT_EQ(ov.status, 200) << ov.body;
  auto me = c.Request("GET", "/api/me", "", {{"Cookie", cookie}});
  EXPECT_NE(me.body.find("\"csrf\":\""), std::string::npos) << me.body;
  auto projects = c.Request("GET", "/api/projects", "", {{"Cookie", cookie}});
  EXPECT_NE(projects.body.find(key_), std::string::npos) << projects.body;
  // the Demo project behind /demo/ is marked, the others are not
  EXPECT_NE(projects.body.find(R"("name":"Demo","public_key")"), std::string::npos)
      << projects.body;
  const size_t demo_at = projects.body.find(R"("name":"Demo")");
  EXPECT_NE(projects.body.find(R"("demo":true)", demo_at), std::string::npos) << projects.body;
  EXPECT_NE(projects.body.find(R"("demo":false)"), std::string::npos) << projects.body;
  std::string forged = cookie;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(
      c.Request("GET", "/api/overview?project_id=" + project_, "", {{"Cookie", forged}}).status,
      401);
  EXPECT_EQ(c.Request("GET", "/api/projects").status, 401) << "the dashboard API is never open";
  // Sign out: POST with the session's CSRF token clears the cookie; another site's form cannot.
  const size_t at = me.body.find("\"csrf\":\"") + 8;
  const std::string csrf = me.body.substr(at, me.body.find('"', at) - at);
  EXPECT_EQ(c.Request("GET", "/auth/signout", "", {{"Cookie", cookie}}).status, 405);
  auto cross = c.Request("POST", "/auth/signout", "", {{"Cookie", cookie}});
  EXPECT_EQ(cross.status, 403) << cross.body;
  EXPECT_EQ(cross.Header("Set-Cookie"), "");
  auto out = c.Request("POST", "/auth/signout", "", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  EXPECT_EQ(out.status, 204) << out.body;
  EXPECT_EQ(out.Header("Set-Cookie").rfind("tap_session=;", 0), 0u) << out.Header("Set-Cookie");
  EXPECT_NE(out.Header("Set-Cookie").find("Max-Age=0"), std::string::npos)
      << out.Header("Set-Cookie");
  EXPECT_EQ(c.Request("POST", "/auth/signout").status, 204)
      << "without a session there is nothing to refuse";
  // Signing out revoked the session itself: a copy of the cookie no longer works either.
  EXPECT_EQ(c.Request("GET", "/api/me", "", {{"Cookie", cookie}}).status, 401);
  EXPECT_EQ(
      c.Request("GET", "/api/overview?project_id=" + project_, "", {{"Cookie", cookie}}).status,
      401);
}

TEST_F(ServerAppTest, SignOutAllEndsEverySessionButNotNewOnes) {
  Start();
  TestClient c(app_->port());
  auto signin = [&] {
    auto link = app_->SignInLink();
    EXPECT_TRUE(link.ok());
    auto r = c.Request("GET", link->substr(link->find("/auth/signin")));
    EXPECT_EQ(r.status, 302) << r.body;
    std::string set = r.Header("Set-Cookie");
    return set.substr(0, set.find(';'));
  };
  const std::string a = signin(), b = signin();
  EXPECT_EQ(c.Request("GET", "/api/me", "", {{"Cookie", a}}).status, 200);
  EXPECT_EQ(c.Request("GET", "/api/me", "", {{"Cookie", b}}).status, 200);
  // What `tapistry signout-all` does, on the same meta store the running server reads.
  auto meta = OpenSqliteMetaStore(dir_.Sub("meta.db"));
  ASSERT_TRUE(meta.ok());
  auto auth = SessionAuth::Open(meta->get(), SystemClock());
  ASSERT_TRUE(auth.ok());
  ASSERT_TRUE((*auth)->RevokeAll().ok());
  EXPECT_EQ(c.Request("GET", "/api/me", "", {{"Cookie", a}}).status, 401);
  EXPECT_EQ(c.Request("GET", "/api/me", "", {{"Cookie", b}}).status, 401);
  std::this_thread::sleep_for(
      std::chrono::milliseconds(2));  // a later millisecond than the revocation
  const std::string fresh = signin();
  EXPECT_EQ(c.Request("GET", "/api/me", "", {{"Cookie", fresh}}).status, 200)
      << "new sign-ins work";
  EXPECT_EQ(Get("/api/overview?project_id=" + project_).status, 200)
      << "read tokens are not sessions";
}

TEST_F(ServerAppTest, CreatesTheDemoProjectOnceAndServesSnapshots) {
  Start();
  app_->Stop();
  app_.reset();
  Start();
  auto meta = OpenSqliteMetaStore(dir_.Sub("meta.db"));
  ASSERT_TRUE(meta.ok());
  auto list = (*meta)->ListProjects();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].name, "Demo");
  // A snapshot posted with the project key comes back through the authorized API.
  std::string snap =
      R"({"k":")" + key_ +
      R"(","url":"https://example.com/Pricing/?utm_source=x&t=1","viewport":{"w":1440,"h":900},"doc":{"w":1440,"h":4000},"html":"<html><body>masked</body></html>"})";
  TestClient c(app_->port());
  auto r = c.Request("POST", "/s", snap,
                     {{"Content-Type", "text/plain"}, {"Origin", "https://example.com"}});
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_NE(r.body.find("\"path\":\"/pricing\""), std::string::npos) << r.body;
  EXPECT_EQ(c.Request("POST", "/s", snap, {{"Origin", "https://evil.test"}}).status, 403);
  EXPECT_EQ(c.Request("POST", "/s", "{\"k\":\"" + key_ + "\",\"url\":\"x\"}").status, 400);
  auto g = Get("/api/snapshot?project_id=" + project_ + "&path=/pricing&vw=1440%2B");
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_NE(g.body.find("\"doc\":{\"w\":1440,\"h\":4000}"), std::string::npos) << g.body;
  EXPECT_NE(g.body.find("masked"), std::string::npos);
  EXPECT_EQ(Get("/api/snapshot?project_id=" + project_ + "&path=/nope").status, 404);
  EXPECT_EQ(Get("/api/snapshot?project_id=" + project_ + "&path=/pricing", false).status, 401);
}

TEST_F(ServerAppTest, SnapshotQueryTellsTheSdkWhetherToSendOne) {
  Start();
  TestClient c(app_->port());
  const std::string page = "https%3A%2F%2Fexample.com%2FPricing%2F%3Fa%3D1";
  auto want = [&](const std::string& url, int w, int h) {
    auto r = c.Request(
        "GET", "/s?k=" + key_ + "&u=" + url + "&w=" + std::to_string(w) + "&h=" + std::to_string(h),
        "", {{"Origin", "https://example.com"}});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "https://example.com");
    return r.body;
  };
  EXPECT_EQ(want(page, 1440, -42), R"({"want":true})") << "nothing stored yet";
  std::string snap =
      R"({"k":")" + key_ +
      R"(","url":"https://example.com/pricing","viewport":{"w":1440,"h":900},"doc":{"w":1440,"h":4000},"h":-42,"html":"<html><body>masked</body></html>"})";
  ASSERT_EQ(c.Request("POST", "/s", snap, {{"Content-Type", "text/plain"}}).status, 202);
  EXPECT_EQ(want(page, 1440, -42), R"({"want":false})") << "a fresh one with this structure";
  EXPECT_EQ(want(page, 1600, 7), R"({"want":true})")
      << "another structure: the answer must not tell a stranger that the page was captured";
  EXPECT_EQ(want(page, 390, -42), R"({"want":true})") << "another viewport bucket";
  EXPECT_EQ(want("https%3A%2F%2Fexample.com%2Fother", 1440, -42), R"({"want":true})")
      << "another path";
  EXPECT_EQ(c.Request("GET", "/s?k=pk_nope&u=" + page + "&w=1440&h=1", "").status, 401);
  EXPECT_EQ(c.Request("GET", "/s?k=" + key_ + "&u=" + page + "&w=1440&h=1", "",
                      {{"Origin", "https://evil.test"}})
                .status,
            403);
  EXPECT_EQ(c.Request("GET", "/s?k=" + key_ + "&u=nope&w=1440&h=1", "").status, 400);
  EXPECT_EQ(c.Request("GET", "/s?k=" + key_ + "&u=" + page + "&w=wide&h=1", "").status, 400);
  EXPECT_EQ(c.Request("GET", "/s?k=" + key_ + "&u=" + page + "&w=0&h=1", "").status, 400);
}

TEST(SnapshotServiceTest, WantsOneUnlessThisStructureIsFreshStoresAtMostHourly) {
  using S = SnapshotService;
  const int64_t now = 1'800'000'000'000;
  EXPECT_TRUE(S::WantSnapshot(std::nullopt, now, 5));
  EXPECT_FALSE(S::WantSnapshot(S::Stored{now - 1000, 5}, now, 5));
  // Another structure always gets "yes": "no" would tell a caller who cannot see the page that
  // someone visited it (issue 14, finding 10).
  EXPECT_TRUE(S::WantSnapshot(S::Stored{now - 1000, 5}, now, 6));
  EXPECT_FALSE(S::WantSnapshot(S::Stored{now - S::kRefreshMs + 1, 5}, now, 5));
  EXPECT_TRUE(S::WantSnapshot(S::Stored{now - S::kRefreshMs, 5}, now, 5));
  // What is stored: at most one snapshot an hour per page and width, whatever the structure.
  EXPECT_TRUE(S::ShouldStore(std::nullopt, now, 5));
  EXPECT_FALSE(S::ShouldStore(S::Stored{now - S::kChangedMs + 1, 5}, now, 6));
  EXPECT_TRUE(S::ShouldStore(S::Stored{now - S::kChangedMs, 5}, now, 6));
}

TEST_F(ServerAppTest, HeatmapScrollElementsBreakdownAndPaths) {
  Start();
  std::string click =
      R"(,"x":0.5,"y":0.25,"ex":0.5,"ey":0.5,"selector":"#cta","selector_hash":"42","props":{"rage":true})";
  std::string click2 = R"(,"x":0.999,"y":1,"selector":"#foot","selector_hash":"7")";
  std::string scroll = R"(,"props":{"max_depth_pct":60})";
  std::string utm = R"(,"referrer":"https://www.google.com/search?q=x","utm":{"source":"news"})";
  ASSERT_EQ(
      Post(Batch({Event(1, "page_view", "/pricing", utm), Event(2, "click", "/pricing", click),
                  Event(3, "click", "/pricing", click), Event(4, "click", "/pricing", click2),
                  Event(5, "scroll", "/pricing", scroll), Event(6, "page_view", "/docs")}))
          .status,
      200);
  std::string q = "project_id=" + project_;
  auto h = Get("/api/heatmap?" + q + "&path=/pricing");
  ASSERT_EQ(h.status, 200) << h.body;
  EXPECT_EQ(
      h.body,
      R"({"grid":64,"tiles":[{"i":32,"j":16,"count":2},{"i":63,"j":63,"count":1}],"total":3,"pageviews":1,"kind":"clicks"})");
  auto rage = Get("/api/heatmap?" + q + "&path=/pricing&kind=rage");
  EXPECT_NE(rage.body.find("\"total\":2"), std::string::npos) << rage.body;
  auto csv = Get("/api/heatmap?" + q + "&path=/pricing&format=csv");
  EXPECT_EQ(csv.body, "i,j,count\r\n32,16,2\r\n63,63,1\r\n");
  EXPECT_EQ(csv.Header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(Get("/api/heatmap?" + q).status, 400) << "path is required";
  auto sm = Get("/api/scrollmap?" + q + "&path=/pricing");
  ASSERT_EQ(sm.status, 200) << sm.body;
  EXPECT_NE(sm.body.find(R"("histogram":[{"depth_pct":60,"count":1}],"views":1)"),
            std::string::npos)
      << sm.body;
  EXPECT_NE(sm.body.find(R"({"depth_pct":60,"pct":100})"), std::string::npos) << sm.body;
  EXPECT_NE(sm.body.find(R"({"depth_pct":61,"pct":0})"), std::string::npos) << sm.body;
  auto el = Get("/api/elements?" + q + "&path=/pricing");
  ASSERT_EQ(el.status, 200) << el.body;
  EXPECT_EQ(
      el.body,
      R"({"elements":[{"selector_hash":"42","selector":"#cta","clicks":2,"rage":2,"dead":0,"ex":0.5,"ey":0.5},)"
      R"({"selector_hash":"7","selector":"#foot","clicks":1,"rage":0,"dead":0,"ex":0,"ey":0}],"total_clicks":3})");
  auto ref = Get("/api/breakdown?" + q + "&dimension=referrer");
  ASSERT_EQ(ref.status, 200) << ref.body;
  EXPECT_EQ(
      ref.body,
      R"({"dimension":"referrer","rows":[{"value":"www.google.com","visitors":1,"pageviews":2}],"total_visitors":1})");
  auto pages = Get("/api/breakdown?" + q + "&dimension=page&format=csv");
  EXPECT_EQ(pages.body, "page,visitors,pageviews\r\n/docs,1,1\r\n/pricing,1,1\r\n");
  EXPECT_EQ(Get("/api/breakdown?" + q + "&dimension=shoe_size").status, 400);
  auto paths = Get("/api/paths?" + q + "&q=PRI");
  EXPECT_EQ(paths.body, R"({"paths":[{"path":"/pricing","pageviews":1}]})");
  auto ov = Get("/api/overview?" + q);
  EXPECT_NE(ov.body.find("\"live_visitors\":1"), std::string::npos) << ov.body;
}

// Issue 13: clicks on each element's grid, the rest in document tiles, and the layouts tabs.
TEST_F(ServerAppTest, ElementHeatmapAndLayouts) {
  Start();
  // The largest hash there is: the API must hand it to JavaScript as a decimal string.
  const std::string el = R"(,"selector":"#cta","selector_hash":"18446744073709551615")";
  const std::string a =
      el + R"(,"x":0.5,"y":0.25,"ex":1,"ey":0.5,"props":{"rage":true})";  // 8*16+15
  const std::string b = el + R"(,"x":0.5,"y":0.25,"ex":0.1,"ey":0.1)";    // 1*16+1
  const std::string c = R"(,"x":0.999,"y":1)";  // no element: document tile (63, 63)
  ASSERT_EQ(Post(Batch({Event(1, "page_view", "/pricing"), Event(2, "click", "/pricing", a),
                        Event(3, "click", "/pricing", b), Event(4, "click", "/pricing", c),
                        Event(5, "page_view", "/docs")}))
                .status,
            200);
  const std::string q = "project_id=" + project_;
  auto all = Get("/api/heatmap/elements?" + q + "&path=/pricing");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.body,
            R"({"elements":[{"selector_hash":"18446744073709551615","selector":"#cta","count":2,)"
            R"("cells":[[17,1],[143,1]]}],"unattached":[[63,63,1]],"total":3,"attributed":2,)"
            R"("pageviews":1,"grid":16})");
  auto rage = Get("/api/heatmap/elements?" + q + "&path=/pricing&kind=rage&limit=5&vw=1440%2B");
  EXPECT_EQ(
      rage.body,
      R"({"elements":[{"selector_hash":"18446744073709551615","selector":"#cta","count":1,)"
      R"("cells":[[143,1]]}],"unattached":[],"total":1,"attributed":1,"pageviews":1,"grid":16})");
  auto none = Get("/api/heatmap/elements?" + q + "&path=/pricing&vw=unknown");
  EXPECT_EQ(none.body,
            R"({"elements":[],"unattached":[],"total":0,"attributed":0,"pageviews":0,"grid":16})");
  for (const char* bad :
       {"", "&path=/pricing&kind=hover", "&path=/pricing&limit=0", "&path=/pricing&limit=1001",
        "&path=/pricing&limit=10abc", "&path=/pricing&vw=wide", "&path=/pricing&device=fridge",
        "&path=/pricing&from=2026-01-02&to=2026-01-01"}) {
    auto r = Get("/api/heatmap/elements?" + q + bad);
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
    EXPECT_NE(r.body.find(R"("error":"invalid_argument","reason":")"), std::string::npos) << r.body;
  }

  auto layouts = Get("/api/layouts?" + q + "&path=/pricing");
  ASSERT_EQ(layouts.status, 200) << layouts.body;
  EXPECT_EQ(layouts.body,
            R"({"layouts":[{"device":"desktop","vw":"1440+","pageviews":1,"clicks":3}]})");
  EXPECT_EQ(Get("/api/layouts?" + q + "&path=/pricing&vw=unknown").body, R"({"layouts":[]})");
  EXPECT_EQ(Get("/api/layouts?" + q + "&path=/pricing&device=mobile").body, R"({"layouts":[]})");
  for (const char* bad :
       {"", "&path=/pricing&vw=wide", "&path=/pricing&from=2026-01-02&to=2026-01-01"}) {
    auto r = Get("/api/layouts?" + q + bad);
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
    EXPECT_NE(r.body.find(R"("error":"invalid_argument","reason":")"), std::string::npos) << r.body;
  }
  EXPECT_EQ(Get("/api/layouts?" + q + "&path=/pricing", /*auth=*/false).status, 401);
  EXPECT_EQ(Get("/api/heatmap/elements?" + q + "&path=/pricing", /*auth=*/false).status, 401);
}

// Event n at `ts`, of session 1000 + session and visitor 2000 + visitor.
std::string EventAt(int n, int64_t ts, int session, int visitor,
                    const std::string& type = "page_view", const std::string& path = "/pricing",
                    const std::string& extra = "") {
  return R"({"id":")" + Uuid4(n) + R"(","ts":)" + std::to_string(ts) + R"(,"type":")" + type +
         R"(","session_id":")" + Uuid4(1000 + session) + R"(","anonymous_id":")" +
         Uuid4(2000 + visitor) + R"(","url":"https://example.com)" + path +
         R"(","viewport":{"w":1440,"h":900})" + extra + "}";
}

std::string HourOf(int64_t ts) {
  char hh[16];
  std::snprintf(hh, sizeof hh, "T%02d:00Z", static_cast<int>(ts % kDayMs / 3600000));
  return FormatDay(DayOf(ts)) + hh;
}

// Issue 13: bots are filtered on every analytics route unless bots=include, the overview says
// what the filter removed, and interval=hour gives the overview an entry per UTC hour.
TEST_F(ServerAppTest, BotsAreFilteredByDefaultAndOverviewHasHours) {
  Start();
  const int64_t now = std::stoll(NowMs());
  const int64_t h0 = now / 3600000 * 3600000 - 2 * 3600000;  // the start of the hour 2 h ago
  // A person (visitor 1): views at h0 + 59:59.999 and h0 + 1 h, one session across the hour.
  // A headless browser (visitor 2, bot_score 90): a view and a click in the first hour.
  // Both again now (live visitors), each in a second session.
  ASSERT_EQ(
      Post(Batch({EventAt(10, h0 + 3599999, 1, 1),
                  EventAt(11, h0 + 3600000, 1, 1, "page_view", "/docs"), EventAt(12, now, 3, 1)}))
          .status,
      200);
  const std::vector<std::pair<std::string, std::string>> headless = {
      {"User-Agent",
       "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36"},
      {"Accept-Language", "en"}};
  ASSERT_EQ(Post(Batch({EventAt(20, h0 + 60000, 2, 2),
                        EventAt(21, h0 + 61000, 2, 2, "click", "/pricing", R"(,"x":0.5,"y":0.5)"),
                        EventAt(22, now, 4, 2)}),
                 headless)
                .status,
            200);
  auto bots = Get("/api/events?project_id=" + project_ + "&bots=include&type=click");
  ASSERT_NE(bots.body.find("\"bot_score\":90"), std::string::npos) << bots.body;

  const std::string q =
      "project_id=" + project_ + "&from=" + FormatDay(DayOf(h0)) + "&to=" + FormatDay(DayOf(now));
  auto ov = Get("/api/overview?" + q);
  ASSERT_EQ(ov.status, 200) << ov.body;
  EXPECT_EQ(ov.body.substr(0, ov.body.find(",\"bounce_rate\"")),
            R"({"totals":{"pageviews":3,"sessions":2,"visitors":1)");
  EXPECT_NE(
      ov.body.find(
          R"("bots":{"excluded":true,"pageviews":2,"visitors":1},"interval":"day","live_visitors":1,)"),
      std::string::npos)
      << ov.body;
  EXPECT_NE(ov.body.find(R"("series":[{"date":")"), std::string::npos)
      << "day entries keep their shape";
  auto all = Get("/api/overview?" + q + "&bots=include");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.body.substr(0, all.body.find(",\"bounce_rate\"")),
            R"({"totals":{"pageviews":5,"sessions":4,"visitors":2)");
  EXPECT_NE(
      all.body.find(
          R"("bots":{"excluded":false,"pageviews":2,"visitors":1},"interval":"day","live_visitors":2,)"),
      std::string::npos)
      << all.body;
  EXPECT_EQ(Get("/api/overview?" + q + "&bots=exclude").body, ov.body);

  // Every analytics route: bots=include shows the bot, bots=exclude and no bots do not, and
  // any other value is a 400 with a reason.
  const std::string p = q + "&path=/pricing";
  EXPECT_NE(Get("/api/heatmap?" + p).body.find("\"total\":0,"), std::string::npos);
  EXPECT_NE(Get("/api/heatmap?" + p + "&bots=include").body.find("\"total\":1,"),
            std::string::npos);
  EXPECT_NE(Get("/api/heatmap/elements?" + p).body.find("\"total\":0,"), std::string::npos);
  EXPECT_NE(Get("/api/heatmap/elements?" + p + "&bots=include").body.find("\"total\":1,"),
            std::string::npos);
  // /pricing: the person's views at h0 and now; with bots also the headless browser's two and its
  // click.
  EXPECT_EQ(Get("/api/layouts?" + p).body,
            R"({"layouts":[{"device":"desktop","vw":"1440+","pageviews":2,"clicks":0}]})");
  EXPECT_EQ(Get("/api/layouts?" + p + "&bots=include").body,
            R"({"layouts":[{"device":"desktop","vw":"1440+","pageviews":4,"clicks":1}]})");
  EXPECT_NE(Get("/api/elements?" + p).body.find("\"total_clicks\":0"), std::string::npos);
  EXPECT_NE(Get("/api/elements?" + p + "&bots=include").body.find("\"total_clicks\":1"),
            std::string::npos);
  EXPECT_NE(Get("/api/breakdown?" + q + "&dimension=browser").body.find("\"total_visitors\":1}"),
            std::string::npos);
  EXPECT_NE(Get("/api/breakdown?" + q + "&dimension=browser&bots=include")
                .body.find("\"total_visitors\":2}"),
            std::string::npos);
  EXPECT_EQ(Get("/api/paths?" + q).body,
            R"({"paths":[{"path":"/pricing","pageviews":2},{"path":"/docs","pageviews":1}]})");
  EXPECT_EQ(Get("/api/paths?" + q + "&bots=include").body,
            R"({"paths":[{"path":"/pricing","pageviews":4},{"path":"/docs","pageviews":1}]})");
  auto events = Get("/api/events?" + q + "&type=page_view");
  EXPECT_EQ(events.body.find("\"bot_score\":90"), std::string::npos) << events.body;
  for (const char* route : {"/api/overview?", "/api/heatmap?", "/api/heatmap/elements?",
                            "/api/layouts?", "/api/scrollmap?", "/api/elements?",
                            "/api/breakdown?dimension=page&", "/api/paths?", "/api/events?"}) {
    EXPECT_EQ(Get(std::string(route) + p + "&bots=exclude").status, 200) << route;
    EXPECT_EQ(Get(std::string(route) + p + "&bots=include").status, 200) << route;
    auto bad = Get(std::string(route) + p + "&bots=yes");
    EXPECT_EQ(bad.status, 400) << route;
    EXPECT_EQ(bad.body,
              R"({"error":"invalid_argument","reason":"bots must be include or exclude"})")
        << route;
  }

  // interval=hour: 24 entries a day, each with its hour; the session across the hour counts in
  // both hours, one view each.
  const int ndays = DayOf(now) - DayOf(h0) + 1;
  auto hours = Get("/api/overview?" + q + "&interval=hour");
  ASSERT_EQ(hours.status, 200) << hours.body;
  size_t entries = 0;
  for (size_t at = hours.body.find("{\"hour\":\""); at != std::string::npos;
       at = hours.body.find("{\"hour\":\"", at + 1)) {
    ++entries;
  }
  EXPECT_EQ(entries, static_cast<size_t>(24 * ndays));
  for (int64_t t : {h0 + 3599999, h0 + 3600000}) {
    const std::string entry = R"({"hour":")" + HourOf(t) + R"(","date":")" + FormatDay(DayOf(t)) +
                              R"(","pageviews":1,"sessions":1,"visitors":1,"bounce_rate":1,)";
    EXPECT_NE(hours.body.find(entry), std::string::npos) << entry << "\n" << hours.body;
  }
  EXPECT_NE(hours.body.find(R"("interval":"hour")"), std::string::npos);
  EXPECT_EQ(hours.body.substr(0, hours.body.find(",\"bounce_rate\"")),
            R"({"totals":{"pageviews":3,"sessions":2,"visitors":1)");
  auto csv = Get("/api/overview?" + q + "&interval=hour&format=csv");
  EXPECT_EQ(csv.body.substr(0, csv.body.find('\n') + 1), "hour,pageviews,sessions,visitors\r\n");
  EXPECT_NE(csv.body.find(HourOf(h0 + 3600000) + ",1,1,1\r\n"), std::string::npos) << csv.body;
  EXPECT_EQ(Get("/api/overview?" + q + "&interval=day").body, ov.body);
  const std::string eight = "project_id=" + project_ + "&from=" + FormatDay(DayOf(now) - 7) +
                            "&to=" + FormatDay(DayOf(now));
  auto wide = Get("/api/overview?" + eight + "&interval=hour");
  EXPECT_EQ(wide.status, 400);
  EXPECT_EQ(
      wide.body,
      R"j({"error":"invalid_argument","reason":"interval=hour covers at most 7 days (from..to)"})j");
  const std::string seven = "project_id=" + project_ + "&from=" + FormatDay(DayOf(now) - 6) +
                            "&to=" + FormatDay(DayOf(now));
  EXPECT_EQ(Get("/api/overview?" + seven + "&interval=hour").status, 200);
  auto week = Get("/api/overview?" + q + "&interval=week");
  EXPECT_EQ(week.status, 400);
  EXPECT_EQ(week.body, R"({"error":"invalid_argument","reason":"interval must be hour or day"})");
}

TEST_F(ServerAppTest, DsarDeleteNeedsSessionAndCsrf) {
  Start();
  ASSERT_EQ(Post(Batch({Event(1), Event(2)})).status, 200);
  const auto [cookie, csrf] = SignIn();
  TestClient c(app_->port());
  // A recording of the subject's session, and one of another session.
  const std::string subject_session = "2b1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef1";
  for (const std::string& session : {subject_session, kReplaySession}) {
    auto rec = c.Request("POST", "/r?k=" + key_, ReplayChunkBody(0, 0, "", session),
                         {{"Content-Type", "application/json"}, {"Origin", "https://example.com"}});
    ASSERT_EQ(rec.status, 200) << rec.body;
  }
  std::string body = R"({"project_id":")" + project_ +
                     R"(","anonymous_id":"91d3a1b2-c3d4-4e5f-8a9b-0c1d2e3f4aaa"})";
  EXPECT_EQ(c.Request("POST", "/api/dsar/delete", body, {{"Cookie", cookie}}).status, 403)
      << "no CSRF token";
  EXPECT_EQ(
      c.Request("POST", "/api/dsar/delete", body, {{"Authorization", "Bearer " + token_}}).status,
      401)
      << "read tokens cannot delete";
  auto r =
      c.Request("POST", "/api/dsar/delete", body, {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"deleted":2,"sessions":1,"recordings_deleted":1})");
  EXPECT_EQ(OverviewTotals(), R"({"totals":{"pageviews":0,"sessions":0,"visitors":0},)");
  // The subject's recording is gone from the list and its chunk from the store; the other stays.
  auto list = Get("/api/replays?project_id=" + project_);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.body.find(subject_session), std::string::npos) << list.body;
  EXPECT_NE(list.body.find(kReplaySession), std::string::npos) << list.body;
  EXPECT_EQ(Get("/api/replays/" + subject_session + "/chunks/0?project_id=" + project_).status,
            404);
  // Sent again: nothing left to delete.
  auto again =
      c.Request("POST", "/api/dsar/delete", body, {{"Cookie", cookie}, {"X-CSRF-Token", csrf}});
  EXPECT_EQ(again.body, R"({"deleted":0,"sessions":0,"recordings_deleted":0})");
}

TEST_F(ServerAppTest, OpsEndpoints) {
  Start();
  ASSERT_EQ(Post(Batch({Event(1)})).status, 200);
  EXPECT_EQ(Get("/healthz", false).status, 200);
  EXPECT_EQ(Get("/readyz", false).status, 200);
  auto m = Get("/metrics", false);
  ASSERT_EQ(m.status, 200);
  for (const char* name :
       {"tapistry_http_requests_total", "tapistry_http_request_seconds_bucket",
        "tapistry_ingest_events_total{outcome=\"stored\"} 1", "tapistry_wal_bytes",
        "tapistry_wal_fsync_p99_seconds", "tapistry_store_rows", "tapistry_dedupe_ids"}) {
    EXPECT_NE(m.body.find(name), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace tapistry
