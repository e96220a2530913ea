// Issue 14 (security review): one test per finding that failed on the code before the fix, plus
// the route-table walk and the admission parity of /i, /s and /r. HTTP framing, EMFILE and the
// per-IP connection cap are tested in http/ (http_server_test.cc, e2e/http-framing.mjs).
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <cctype>
#include <filesystem>
#include <set>
#include <thread>

#include "api/api_common.h"
#include "api/session_auth.h"
#include "app/server_app_fixture.h"
#include "assetcache/asset_url.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

using testing::TestClient;
using testing::TestResponse;
using Headers = std::vector<std::pair<std::string, std::string>>;

std::string Snap(const std::string& url, const std::string& html = "<html><body>x</body></html>") {
  return R"({"url":")" + url +
         R"(","viewport":{"w":1440,"h":900},"doc":{"w":1440,"h":3000},"h":1,"html":")" + html +
         R"("})";
}

class SecurityTest : public ServerAppTest {
 protected:
  TestResponse Req(const std::string& method, const std::string& target,
                   const std::string& body = "", const Headers& h = {}) {
    return TestClient(app_->port()).Request(method, target, body, h);
  }
  std::string OverlayToken(const std::pair<std::string, std::string>& session) {
    auto r = Req("POST", "/api/bookmarklet-token", R"({"project_id":")" + project_ + R"("})",
                 {{"Cookie", session.first},
                  {"X-CSRF-Token", session.second},
                  {"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 200) << r.body;
    const size_t at = r.body.find("\"token\":\"") + 9;
    return r.body.substr(at, r.body.find('"', at) - at);
  }
  uint64_t SnapshotBytesOnDisk() {
    uint64_t n = 0;
    for (auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
      if (e.is_regular_file() && e.path().string().find("/snapshots/") != std::string::npos)
        n += e.file_size();
    }
    return n;
  }
};

// Finding 1: a snapshot of an attacker's page, posted with the public key and no Origin, replaced
// the real one, and the dashboard framed its URL.
TEST_F(SecurityTest, SnapshotsOnlyOfPagesOnTheProjectsAllowedOrigins) {
  Start();
  auto forged = Req("POST", "/s?k=" + key_, Snap("https://attacker.test/pricing"),
                    {{"Content-Type", "text/plain"}});
  EXPECT_EQ(forged.status, 403) << forged.body;
  EXPECT_NE(forged.body.find("origin_not_allowed"), std::string::npos) << forged.body;
  auto spoofed = Req("POST", "/s?k=" + key_, Snap("https://attacker.test/pricing"),
                     {{"Origin", "https://example.com"}});
  EXPECT_EQ(spoofed.status, 403) << "the Origin header is allowed, the page is not: "
                                 << spoofed.body;
  EXPECT_EQ(Req("POST", "/s?k=" + key_, Snap("https://example.com/pricing")).status, 202);
  EXPECT_EQ(Get("/api/snapshot?project_id=" + project_ + "&path=/pricing").body.find("attacker"),
            std::string::npos);
}

TEST_F(SecurityTest,
       AProjectWithoutAllowedOriginsTakesSnapshotsOnlyFromTheOriginItsEventsComeFrom) {
  auto meta = OpenSqliteMetaStore(dir_.Sub("meta.db"));
  ASSERT_TRUE(meta.ok());
  auto open = (*meta)->CreateProject("Open", {});
  ASSERT_TRUE(open.ok());
  meta->reset();
  const std::string key = open->project.public_key;
  Start();
  const std::string site = "https://shop.test";
  auto snap = [&](const std::string& origin, const std::string& url) {
    Headers h;
    if (!origin.empty()) h.emplace_back("Origin", origin);
    return Req("POST", "/s?k=" + key, Snap(url), h).status;
  };
  EXPECT_EQ(snap(site, site + "/a"), 403) << "no event has come from this origin yet";
  std::string ev = Event(1);
  ev.replace(ev.find("https://example.com"), 19, site);
  auto r = Req("POST", "/i", Batch({ev}), {{"X-Project-Key", key}, {"Origin", site}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(snap(site, site + "/a"), 202);
  EXPECT_EQ(snap("", site + "/a"), 403) << "no Origin: not a browser on the site";
  EXPECT_EQ(snap(site, "https://attacker.test/a"), 403)
      << "the page must be on the request's origin";
  EXPECT_EQ(snap("https://attacker.test", "https://attacker.test/a"), 403)
      << "an origin no event came from";
}

// Finding 2: 15.5 MB of '<' (319 KB gzip) was stored as 93 MB; /s inflated and parsed before the
// key.
TEST_F(SecurityTest, SnapshotStoredBytesStayNearTheInputAndNothingIsInflatedBeforeTheKey) {
  Start();
  // '<' (six bytes once JSON-escaped) with a random letter after each: ~15x smaller gzipped.
  std::string html(12 << 20, '<');
  uint32_t rnd = 12345;
  for (size_t i = 1; i < html.size(); i += 2)
    html[i] = (rnd = rnd * 1103515245 + 12345) >> 16 & 1 ? 'a' : 'b';
  const std::string body = Snap("https://example.com/big", html);
  auto r = Req("POST", "/s?gz=1&k=" + key_, Gzip(body, 1), {{"Content-Type", "text/plain"}});
  ASSERT_EQ(r.status, 202) << r.body;
  const uint64_t stored = SnapshotBytesOnDisk();
  std::printf("snapshot amplification: %zu bytes decompressed -> %llu bytes stored (%.3fx)\n",
              body.size(), static_cast<unsigned long long>(stored),
              double(stored) / double(body.size()));
  EXPECT_LE(stored, 2 * body.size());
  // An unknown key is refused before the body is touched: a body that is not even gzip gets 401.
  auto bad = Req("POST", "/s?gz=1&k=pk_unknown", std::string(100000, 'x'),
                 {{"Content-Type", "text/plain"}});
  EXPECT_EQ(bad.status, 401) << bad.body;
  auto bad_i =
      Req("POST", "/i?k=pk_unknown", std::string(100000, 'x'), {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(bad_i.status, 401) << bad_i.body;
  // A compressed body must name its key outside the body.
  auto hidden = Req("POST", "/i", Gzip(R"({"k":")" + key_ + R"(","events":[]})"),
                    {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(hidden.status, 401) << hidden.body;
  EXPECT_NE(hidden.body.find("X-Project-Key or ?k="), std::string::npos) << hidden.body;
}

// Finding 3: requests refused for their IP still used up the project's allowance.
TEST_F(SecurityTest, ARequestRefusedForItsIpCostsTheProjectNothing) {
  cfg_.trusted_proxies = {"127.0.0.1"};
  ChangeSettings([](ProjectSettings* ps) {
    ps->rate_project_rps = 5;
    ps->rate_ip_rps = 2;
  });
  Start();
  int flooder_ok = 0;
  for (int i = 0; i < 30; ++i)
    flooder_ok += Post(Batch({Event(100 + i)}), {{"X-Forwarded-For", "203.0.113.9"}}).status == 200;
  EXPECT_LE(flooder_ok, 3) << "the flooding IP is limited";
  for (int i = 0; i < 3; ++i) {
    auto r =
        Post(Batch({Event(200 + i)}), {{"X-Forwarded-For", "198.51.100." + std::to_string(i)}});
    EXPECT_EQ(r.status, 200) << "another visitor of the project is not starved: " << r.body;
  }
}

// Finding 4: bookmarklet tokens outlived sign-out and read-token revocation, lasted an hour and
// read every read endpoint; CORS let them read from any origin.
TEST_F(SecurityTest, BookmarkletTokensReadOnlyHeatmapsAndDieWithTheirSession) {
  Start();
  auto session = SignIn();
  const std::string bt = OverlayToken(session);
  auto with = [&](const std::string& target, const std::string& origin = "") {
    Headers h{{"Authorization", "Bearer " + bt}};
    if (!origin.empty()) h.emplace_back("Origin", origin);
    return Req(
        "GET",
        target + (target.find('?') == std::string::npos ? "?" : "&") + "project_id=" + project_, "",
        h);
  };
  for (const char* ok :
       {"/api/heatmap?path=/", "/api/heatmap/elements?path=/", "/api/layouts?path=/",
        "/api/scrollmap?path=/", "/api/elements?path=/", "/api/snapshot/status?path=/"}) {
    EXPECT_EQ(with(ok).status, 200) << ok;
  }
  for (const char* no :
       {"/api/events", "/api/overview", "/api/breakdown?dimension=page", "/api/paths"}) {
    auto r = with(no);
    EXPECT_EQ(r.status, 403) << no << " " << r.body;
  }
  auto cross = with("/api/heatmap?path=/", "https://attacker.test");
  EXPECT_EQ(cross.Header("Access-Control-Allow-Origin"), "") << "no CORS on the API";
  EXPECT_EQ(Req("OPTIONS", "/api/heatmap", "", {{"Origin", "https://attacker.test"}})
                .Header("Access-Control-Allow-Origin"),
            "");
  // Another project's id with this token: refused.
  for (const char* ep : {"/api/heatmap", "/api/heatmap/elements", "/api/layouts"}) {
    auto other = Req("GET", std::string(ep) + "?path=/&project_id=p_other", "",
                     {{"Authorization", "Bearer " + bt}});
    EXPECT_EQ(other.status, 401) << ep << " " << other.body;
    // and with bots included or an hourly interval the same: the check comes before the query
    auto bots = Req("GET", std::string(ep) + "?path=/&bots=include&project_id=p_other", "",
                    {{"Authorization", "Bearer " + bt}});
    EXPECT_EQ(bots.status, 401) << ep << " " << bots.body;
  }
  // Sign-out ends it.
  ASSERT_EQ(Req("POST", "/auth/signout", "",
                {{"Cookie", session.first}, {"X-CSRF-Token", session.second}})
                .status,
            204);
  EXPECT_EQ(with("/api/heatmap?path=/").status, 401);
  // Read-token revocation ends the others.
  auto s2 = SignIn();
  const std::string bt2 = OverlayToken(s2);
  auto meta = OpenSqliteMetaStore(dir_.Sub("meta.db"));
  ASSERT_TRUE(meta.ok());
  auto auth = SessionAuth::Open(meta->get(), SystemClock());
  ASSERT_TRUE(auth.ok());
  Headers h2{{"Authorization", "Bearer " + bt2}};
  EXPECT_EQ(Req("GET", "/api/heatmap?path=/&project_id=" + project_, "", h2).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_TRUE((*auth)->RevokeOverlayTokens(project_).ok());
  EXPECT_EQ(Req("GET", "/api/heatmap?path=/&project_id=" + project_, "", h2).status, 401);
  // signout-all ends a third.
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  auto s3 = SignIn();
  const std::string bt3 = OverlayToken(s3);
  Headers h3{{"Authorization", "Bearer " + bt3}};
  EXPECT_EQ(Req("GET", "/api/heatmap?path=/&project_id=" + project_, "", h3).status, 200);
  ASSERT_TRUE((*auth)->RevokeAll().ok());
  EXPECT_EQ(Req("GET", "/api/heatmap?path=/&project_id=" + project_, "", h3).status, 401);
}

TEST_F(SecurityTest, BookmarkletTokensLastFifteenMinutes) {
  Start();
  auto session = SignIn();
  auto r = Req("POST", "/api/bookmarklet-token", R"({"project_id":")" + project_ + R"("})",
               {{"Cookie", session.first}, {"X-CSRF-Token", session.second}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"ttl_ms\":900000"), std::string::npos) << r.body;
  EXPECT_EQ(Req("POST", "/api/bookmarklet-token", R"({"project_id":")" + project_ + R"("})",
                {{"Cookie", session.first},
                 {"X-CSRF-Token", session.second},
                 {"Origin", "https://attacker.test"}})
                .status,
            403)
      << "a state change from another site's page";
}

// Finding 5: ms from/to overflowed a 32-bit day number and passed the 400-day cap.
TEST_F(SecurityTest, RangesAreValidatedBeforeNarrowing) {
  Start();
  for (const char* ep :
       {"/api/events?", "/api/breakdown?dimension=page&", "/api/heatmap?path=/&",
        "/api/scrollmap?path=/&", "/api/elements?path=/&", "/api/paths?", "/api/overview?",
        "/api/heatmap/elements?path=/&", "/api/layouts?path=/&"}) {
    for (const char* range : {"from=-600000000000000&to=1", "from=1&to=99999999999999999",
                              "from=0&to=9223372036854775807", "from=946684800000&to=7258118400000",
                              "from=2026-01-01&to=-1"}) {
      auto r = Get(std::string(ep) + range + "&project_id=" + project_);
      EXPECT_EQ(r.status, 400) << ep << range << " " << r.body;
    }
  }
  EXPECT_EQ(Get("/api/events?limit=10abc&project_id=" + project_).status, 400);
  EXPECT_EQ(Get("/api/elements?path=/&limit=10abc&project_id=" + project_).status, 400);
  EXPECT_EQ(Get("/api/overview?limit=10abc&project_id=" + project_).status, 400);
}

// Finding 7: a leading tab, CR or spaces before = + - @ slipped past the CSV formula guard.
TEST(CsvFieldTest, FormulaLookingCellsArePrefixedAlsoAfterTabsCrAndSpaces) {
  EXPECT_EQ(CsvField("=1+1"), "'=1+1");
  EXPECT_EQ(CsvField("\t=HYPERLINK(\"x\")"), "\"'\t=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(CsvField("\r=1"), "\"'\r=1\"");
  EXPECT_EQ(CsvField("  @SUM(A1)"), "'  @SUM(A1)");
  EXPECT_EQ(CsvField(" -2"), "' -2");
  EXPECT_EQ(CsvField("+cmd"), "'+cmd");
  EXPECT_EQ(CsvField("/pricing"), "/pricing");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
}

// Finding 10: want:false told anyone with the key which pages were visited; Secure followed
// X-Forwarded-Proto from any peer.
TEST_F(SecurityTest, SnapshotQueryTellsAStrangerNothingAndSecureNeedsATrustedProxy) {
  Start();
  ASSERT_EQ(Req("POST", "/s?k=" + key_, Snap("https://example.com/secret-page")).status, 202);
  for (int h : {0, 2, 12345}) {
    auto r = Req("GET", "/s?k=" + key_ + "&u=https%3A%2F%2Fexample.com%2Fsecret-page&w=1440&h=" +
                            std::to_string(h));
    EXPECT_EQ(r.body, R"({"want":true})")
        << "a caller who does not know the page's structure learns nothing (h=" << h << ")";
  }
  auto link = app_->SignInLink();
  auto r =
      Req("GET", link->substr(link->find("/auth/signin")), "", {{"X-Forwarded-Proto", "https"}});
  ASSERT_EQ(r.status, 302);
  EXPECT_EQ(r.Header("Set-Cookie").find("Secure"), std::string::npos)
      << "an untrusted peer's X-Forwarded-Proto";
}

TEST_F(SecurityTest, SecureCookieBehindATrustedProxy) {
  cfg_.trusted_proxies = {"127.0.0.1"};
  Start();
  auto link = app_->SignInLink();
  auto r =
      Req("GET", link->substr(link->find("/auth/signin")), "", {{"X-Forwarded-Proto", "https"}});
  ASSERT_EQ(r.status, 302);
  EXPECT_NE(r.Header("Set-Cookie").find("; Secure"), std::string::npos) << r.Header("Set-Cookie");
}

// Architecture: the same failure gets the same answer on every ingestion endpoint.
TEST_F(SecurityTest, AdmissionAnswersTheSameOnEveryIngestionEndpoint) {
  Start();
  struct Case {
    const char* what;
    std::string key;
    std::string origin;
    int status;
    const char* code;
  };
  for (const Case& c :
       {Case{"unknown key", "pk_nope", "", 401, "unknown_key"},
        Case{"missing key", "", "", 401, "missing_key"},
        Case{"foreign origin", key_, "https://attacker.test", 403, "origin_not_allowed"}}) {
    Headers h;
    if (!c.origin.empty()) h.emplace_back("Origin", c.origin);
    const std::string q = c.key.empty() ? "" : "?k=" + c.key;
    const std::string amp = c.key.empty() ? "?" : "&";
    for (auto [method, target, body] :
         {std::tuple<std::string, std::string, std::string>{"POST", "/i" + q, Batch({Event(1)})},
          {"POST", "/s" + q, Snap("https://example.com/a")},
          {"POST", "/r" + q, ReplayChunkBody(0)},
          {"GET", "/s" + q + amp + "u=https%3A%2F%2Fexample.com%2F&w=1440&h=1", ""}}) {
      auto r = Req(method, target, body, h);
      EXPECT_EQ(r.status, c.status) << c.what << " " << method << " " << target << " " << r.body;
      EXPECT_NE(r.body.find(c.code), std::string::npos) << c.what << " " << target << " " << r.body;
    }
  }
}

// Privacy signals: a project that honours DNT / GPC stores nothing a browser sends with them, on
// any channel, and says so the same way everywhere; a project that does not (the default) is
// unaffected, and DNT: 0 is not a request to be left alone.
TEST_F(SecurityTest, PrivacySignalsDropEveryChannelWhenTheProjectHonoursThem) {
  Start();
  const Headers site = {{"Origin", "https://example.com"}};
  auto off = Post(Batch({Event(1, "page_view", "/a")}),
                  {{"Origin", "https://example.com"}, {"DNT", "1"}, {"Sec-GPC", "1"}});
  ASSERT_EQ(off.status, 200) << "not honoured by default: " << off.body;
  EXPECT_NE(off.body.find("\"accepted\":1"), std::string::npos) << off.body;
  app_.reset();
  ChangeSettings([](ProjectSettings* ps) {
    ps->respect_dnt = true;
    ps->respect_gpc = true;
  });
  Start();
  const uint64_t snapshot_bytes = SnapshotBytesOnDisk();
  int n = 10;
  for (auto [header, code] : {std::pair<const char*, const char*>{"DNT", "do_not_track"},
                              {"Sec-GPC", "global_privacy_control"}}) {
    for (auto [method, target, body] :
         {std::tuple<std::string, std::string, std::string>{"POST", "/i?k=" + key_,
                                                            Batch({Event(++n)})},
          {"POST", "/s?k=" + key_, Snap("https://example.com/a")},
          {"POST", "/r?k=" + key_, ReplayChunkBody(0)},
          {"GET", "/s?k=" + key_ + "&u=https%3A%2F%2Fexample.com%2F&w=1440&h=1", ""}}) {
      Headers h = site;
      h.emplace_back(header, "1");
      h.emplace_back("Content-Type", "application/json");
      auto r = Req(method, target, body, h);
      EXPECT_EQ(r.status, 200) << header << " " << method << " " << target << " " << r.body;
      EXPECT_NE(r.body.find(std::string("{\"accepted\":0,\"dropped\":\"") + code + "\""),
                std::string::npos)
          << header << " " << target << " " << r.body;
      EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "https://example.com") << target;
    }
  }
  auto zero = Post(Batch({Event(2, "page_view", "/b")}),
                   {{"Origin", "https://example.com"}, {"DNT", "0"}, {"Sec-GPC", "0"}});
  ASSERT_EQ(zero.status, 200) << zero.body;
  EXPECT_NE(zero.body.find("\"accepted\":1"), std::string::npos) << zero.body;
  EXPECT_EQ(OverviewTotals(), R"({"totals":{"pageviews":2,"sessions":1,"visitors":1},)");
  EXPECT_EQ(SnapshotBytesOnDisk(), snapshot_bytes) << "no snapshot stored";
  auto replays = Get("/api/replays?project_id=" + project_);
  ASSERT_EQ(replays.status, 200) << replays.body;
  EXPECT_EQ(replays.body.find(kReplaySession), std::string::npos) << replays.body;
  auto metrics = Req("GET", "/metrics");
  EXPECT_NE(metrics.body.find(R"(channel="replay",reason="global_privacy_control")"),
            std::string::npos);
}

// The route table: every route says who may call it and how big a body it takes; the public
// routes are exactly these (a new one must be added here on purpose).
TEST_F(SecurityTest, EveryRouteHasAnAuthPolicyAndABodyLimit) {
  Start();
  // Issue 12 adds the confirm page of a mailed link (it shows a button and reads no token).
  const std::set<std::string> public_routes = {
      "GET /healthz",     "GET /readyz",        "GET /metrics",     "GET /*",
      "GET /auth/signin", "POST /auth/signout", "GET /auth/confirm"};
  // Anyone may ask for a sign-in link and confirm one, but never from another site's page.
  const std::set<std::string> public_form_routes = {"POST /auth/request", "POST /auth/confirm"};
  const std::set<std::string> ingest_routes = {"POST /i", "POST /s", "GET /s", "POST /r"};
  size_t n = 0;
  for (const Route& r : app_->routes().routes()) {
    const std::string id = r.method + " " + r.path;
    ++n;
    EXPECT_NE(r.auth, AuthPolicy::kUnset) << id;
    EXPECT_GT(r.body_limit, 0u) << id;
    EXPECT_LE(r.body_limit, limits::kMaxSnapshotBody) << id;
    if (r.auth == AuthPolicy::kPublic) {
      EXPECT_TRUE(public_routes.count(id)) << id << " is public";
    }
    if (r.auth == AuthPolicy::kPublicForm) {
      EXPECT_TRUE(public_form_routes.count(id)) << id << " is a public form";
      auto res = Req(r.method, r.path, "{}", {{"Origin", "https://attacker.test"}});
      EXPECT_EQ(res.status, 403) << id << " from another site: " << res.body;
    }
    EXPECT_LE(r.body_limit,
              r.path.starts_with("/auth/") ? limits::kMaxAuthFormBody : limits::kMaxSnapshotBody)
        << id;
    if (r.auth == AuthPolicy::kPublicIngest) {
      EXPECT_TRUE(ingest_routes.count(id)) << id;
      EXPECT_TRUE(r.admit) << id;
      EXPECT_EQ(r.cors, CorsPolicy::kIngest) << id;
    } else {
      EXPECT_EQ(r.cors, CorsPolicy::kNone) << id << ": only the SDK's endpoints are cross-origin";
    }
    if (r.path.starts_with("/api/")) {
      EXPECT_NE(r.auth, AuthPolicy::kPublic) << id;
      // A read that needs a body (a funnel does not fit a URL) changes nothing; every other
      // non-GET route changes state.
      const std::set<std::string> read_posts = {"POST /api/funnels/query",
                                                "POST /api/funnels/members"};
      if (r.method != "GET" && !read_posts.count(id)) {
        EXPECT_TRUE(r.auth == AuthPolicy::kSessionCsrf || r.auth == AuthPolicy::kMemberCsrf ||
                    r.auth == AuthPolicy::kOwnerCsrf)
            << id << " changes state";
      }
      // A session route that names no project is about the signed-in user only (or makes a
      // project): these, on purpose. Every other API route is project-scoped, and the router
      // checks the caller's membership (ProjectsTest.EveryProjectRouteRefusesAnotherTenant).
      const std::set<std::string> user_routes = {"GET /api/me", "GET /api/me/sessions",
                                                 "POST /api/me/sessions/revoke",
                                                 "GET /api/projects", "POST /api/projects"};
      if (!ProjectScoped(r.auth)) {
        EXPECT_TRUE(user_routes.count(id)) << id << " names no project";
      }
      if (read_posts.count(id)) {
        EXPECT_EQ(r.auth, AuthPolicy::kRead) << id;
      }
      // Called without credentials, every API route refuses.
      auto res = Req(r.method, r.path + "?project_id=" + project_, "{}");
      EXPECT_EQ(res.status, 401) << id << " " << res.body;
    }
  }
  EXPECT_GE(n, 20u);
  RouteTable t;
  EXPECT_FALSE(t.Add({"GET", "/x", AuthPolicy::kUnset, 10, 0, false, CorsPolicy::kNone, "x",
                      [](RouteCall&&, Responder) {}})
                   .ok());
  EXPECT_FALSE(t.Add({"GET", "/x", AuthPolicy::kPublic, 0, 0, false, CorsPolicy::kNone, "x",
                      [](RouteCall&&, Responder) {}})
                   .ok());
  EXPECT_FALSE(t.Add({"POST", "/x", AuthPolicy::kPublicIngest, 10, 0, false, CorsPolicy::kIngest,
                      "x", [](RouteCall&&, Responder) {}})
                   .ok())
      << "no admission step";
}

}  // namespace
}  // namespace tapistry

namespace tapistry {
namespace {

// A one-thread HTTP server on 127.0.0.1 answering every request with `body` as `type`, counting
// requests: the stand-in for a customer's site whose stylesheet and images a snapshot names.
class CannedSite {
 public:
  CannedSite(std::string type, std::string body) : type_(std::move(type)), body_(std::move(body)) {
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    thread_ = std::thread([this] {
      for (;;) {
        boost::system::error_code ec;
        boost::asio::ip::tcp::socket s(ioc_);
        acceptor_.accept(s, ec);
        if (ec || stop_) return;
        boost::asio::streambuf buf;
        boost::asio::read_until(s, buf, "\r\n\r\n", ec);
        ++requests_;
        std::string res = "HTTP/1.1 200 OK\r\nContent-Type: " + type_ +
                          "\r\nContent-Length: " + std::to_string(body_.size()) +
                          "\r\nConnection: close\r\n\r\n" + body_;
        boost::asio::write(s, boost::asio::buffer(res), ec);
      }
    });
  }
  ~CannedSite() {
    stop_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket s(ioc_);
    s.connect(acceptor_.local_endpoint(), ec);  // wakes the accept
    thread_.join();
  }
  std::string origin() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  int requests() const { return requests_; }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_{ioc_};
  std::string type_, body_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// Finding 9: the snapshot view made the analyst's browser fetch whatever the snapshot named.
// Now its assets come through /api/snapshot-asset: the server fetches them (guarded), the
// browser talks only to us.
TEST_F(SecurityTest, SnapshotAssetsComeThroughTheServersAssetPath) {
  CannedSite site("text/css", "body{background:url(/bg.png)} @import 'more.css';");
  {
    auto meta = OpenSqliteMetaStore(dir_.Sub("meta.db"));
    ASSERT_TRUE(meta.ok());
    ASSERT_TRUE((*meta)->SetAllowedOrigins(project_, {"https://example.com", site.origin()}).ok());
  }
  Start();
  auto session = SignIn();
  const std::string css = site.origin() + "/style.css";
  auto enc = [](const std::string& s) { return assetcache::PercentEncode(s); };
  const std::string target = "/api/snapshot-asset?project_id=" + project_ + "&url=" + enc(css);
  auto r = Req("GET", target, "", {{"Cookie", session.first}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Type").rfind("text/css", 0), 0u) << r.Header("Content-Type");
  EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
  // Nested loads point back at our asset path, never at the site.
  EXPECT_NE(r.body.find("/api/snapshot-asset?project_id=" + project_ + "&url="), std::string::npos)
      << r.body;
  EXPECT_EQ(r.body.find("url(/bg.png)"), std::string::npos) << r.body;
  EXPECT_EQ(site.requests(), 1);
  EXPECT_EQ(Req("GET", target, "", {{"Cookie", session.first}}).status, 200);
  EXPECT_EQ(site.requests(), 1) << "cached";
  // The bookmarklet token may read it too; nobody else.
  EXPECT_EQ(Req("GET", target, "", {{"Authorization", "Bearer " + OverlayToken(session)}}).status,
            200);
  EXPECT_EQ(Req("GET", target).status, 401);
  // An address the project does not list: refused without a connection (SSRF guard).
  CannedSite internal("text/css", "x{}");
  auto ssrf = Req(
      "GET",
      "/api/snapshot-asset?project_id=" + project_ + "&url=" + enc(internal.origin() + "/a.css"),
      "", {{"Cookie", session.first}});
  EXPECT_EQ(ssrf.status, 403) << ssrf.body;
  EXPECT_EQ(internal.requests(), 0);
  EXPECT_EQ(Req("GET",
                "/api/snapshot-asset?project_id=" + project_ +
                    "&url=" + enc("http://169.254.169.254/latest"),
                "", {{"Cookie", session.first}})
                .status,
            403);
}

// Issue 10: a recorded session's stylesheets, images and fonts are fetched by the server once,
// when the chunk arrives, and kept; the player gets them from /api/replay-asset, also after the
// site removed them. The route is the asset cache's: same address guard, same CSS rewriting.
TEST_F(SecurityTest, ReplayAssetsAreFetchedWhenTheChunkArrivesAndKept) {
  auto site = std::make_unique<CannedSite>("text/css",
                                           "body{color:rgb(1,2,3)} i{background:url(/icon.png)}");
  const std::string origin = site->origin();
  {
    auto meta = OpenSqliteMetaStore(dir_.Sub("meta.db"));
    ASSERT_TRUE(meta.ok());
    ASSERT_TRUE((*meta)->SetAllowedOrigins(project_, {"https://example.com", origin}).ok());
  }
  Start();
  auto session = SignIn();
  const int64_t t = std::stoll(NowMs()) - 5000;
  const std::string ts = std::to_string(t);
  const std::string chunk =
      R"({"k":")" + key_ + R"(","session_id":")" + kReplaySession +
      R"(","chunk_index":0,"from_ms":)" + ts + R"(,"to_ms":)" + ts + R"(,"events":[)" +
      R"({"type":4,"data":{"href":")" + origin +
      R"(/page","width":800,"height":600},"timestamp":)" + ts +
      R"(},{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,)" +
      R"("tagName":"link","attributes":{"rel":"stylesheet","href":")" + origin +
      R"(/style.css"},"childNodes":[]}]},"initialOffset":{"left":0,"top":0}},"timestamp":)" + ts +
      "}]}";
  auto posted = Req("POST", "/r", chunk, {{"Content-Type", "text/plain;charset=UTF-8"}});
  ASSERT_EQ(posted.status, 200) << posted.body;
  // The prefetch runs in the background: the stylesheet, then what it loads (icon.png).
  const std::string kept = "tapistry_replay_assets_total{outcome=\"stored\"} 2";
  for (int i = 0; i < 500 && Req("GET", "/metrics").body.find(kept) == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_NE(Req("GET", "/metrics").body.find(kept), std::string::npos);
  EXPECT_EQ(site->requests(), 2);
  site.reset();  // the site is gone (or changed its CSS): the recording still has it

  auto enc = [](const std::string& s) { return assetcache::PercentEncode(s); };
  const std::string target =
      "/api/replay-asset?project_id=" + project_ + "&url=" + enc(origin + "/style.css");
  auto r = Req("GET", target, "", {{"Cookie", session.first}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Type").rfind("text/css", 0), 0u) << r.Header("Content-Type");
  EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.Header("Cross-Origin-Resource-Policy"), "same-origin");
  EXPECT_NE(r.body.find("rgb(1,2,3)"), std::string::npos) << r.body;
  // what the sheet loads points at the replay asset route, and was kept too
  EXPECT_NE(
      r.body.find("/api/replay-asset?project_id=" + project_ + "&url=" + enc(origin + "/icon.png")),
      std::string::npos)
      << r.body;
  EXPECT_EQ(
      Req("GET", "/api/replay-asset?project_id=" + project_ + "&url=" + enc(origin + "/icon.png"),
          "", {{"Cookie", session.first}})
          .status,
      200);
  // kRead: the session or the project's read token; nobody else, and not the bookmarklet's token
  EXPECT_EQ(Req("GET", target, "", {{"Authorization", "Bearer " + token_}}).status, 200);
  EXPECT_EQ(Req("GET", target).status, 401);
  EXPECT_EQ(Req("GET", target, "", {{"Authorization", "Bearer " + OverlayToken(session)}}).status,
            403);
  // never kept, and the site is gone: the cache's answer
  EXPECT_NE(
      Req("GET", "/api/replay-asset?project_id=" + project_ + "&url=" + enc(origin + "/other.css"),
          "", {{"Cookie", session.first}})
          .status,
      200);
  // the address guard: an internal address the project does not list is refused unconnected
  CannedSite internal("text/css", "x{}");
  auto ssrf =
      Req("GET",
          "/api/replay-asset?project_id=" + project_ + "&url=" + enc(internal.origin() + "/a.css"),
          "", {{"Cookie", session.first}});
  EXPECT_EQ(ssrf.status, 403) << ssrf.body;
  EXPECT_EQ(internal.requests(), 0);
  EXPECT_EQ(Req("GET", target + "&d=4", "", {{"Cookie", session.first}}).status, 400);
  // the player frame may load from this route, and from no other URL of ours or elsewhere
  auto player = Req("GET", "/app/player.html");
  const std::string csp = player.Header("Content-Security-Policy");
  const std::string host = "127.0.0.1";  // the Host the test client sends
  EXPECT_NE(csp.find("img-src data: blob: " + host + "/api/replay-asset;"), std::string::npos)
      << csp;
  EXPECT_NE(csp.find("font-src data: " + host + "/api/replay-asset;"), std::string::npos) << csp;
  EXPECT_NE(csp.find("style-src 'unsafe-inline' " + host + "/app/player-frame.css " + host +
                     "/api/replay-asset;"),
            std::string::npos)
      << csp;
  EXPECT_NE(csp.find("connect-src 'none'"), std::string::npos) << csp;
}
}  // namespace
}  // namespace tapistry
