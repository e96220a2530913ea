// The funnels API through the real server (docs/api.md "Funnels"): who may call each route, the
// 400s, saved funnels with session + CSRF, the custom event names, elements across pages, and a
// funnel over events ingested through POST /i.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <tuple>

#include "app/server_app_fixture.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An event of session `s` (and visitor `v`) at `ts`.
std::string Ev(int id, int s, int v, int64_t ts, const std::string& type, const std::string& path,
               const std::string& extra = "") {
  char sess[40], anon[40];
  std::snprintf(sess, sizeof sess, "2b1d0c6e-9a7f-4f4e-8d1c-%012d", s);
  std::snprintf(anon, sizeof anon, "91d3a1b2-c3d4-4e5f-8a9b-%012d", v);
  return R"({"id":")" + Uuid4(id) + R"(","ts":)" + std::to_string(ts) + R"(,"type":")" + type +
         R"(","session_id":")" + sess + R"(","anonymous_id":")" + anon +
         R"(","url":"https://example.com)" + path +
         R"(","title":"t","viewport":{"w":1440,"h":900})" + extra + "}";
}

const std::string kThreeSteps =
    R"({"definition":{"steps":[{"type":"page_view","path":"/"},{"type":"page_view","path":"/pricing"},)"
    R"({"type":"click","selector":"#buy","path":"/pricing"}]}})";

class FunnelApiTest : public ServerAppTest {
 protected:
  void SetUp() override {
    ServerAppTest::SetUp();
    auto meta = OpenSqliteMetaStore(dir_.Sub("meta.db"));
    ASSERT_TRUE(meta.ok());
    auto b = (*meta)->CreateProject("Other", {"https://other.test"});
    ASSERT_TRUE(b.ok());
    other_ = b->project.id;
    other_token_ = b->read_token;
  }
  TestResponse Req(const std::string& method, const std::string& target,
                   const std::string& body = "", const Headers& h = {}) {
    return TestClient(app_->port()).Request(method, target, body, h);
  }
  TestResponse Query(const std::string& body, const std::string& token, const std::string& q = "") {
    return Req("POST", "/api/funnels/query" + q, body,
               {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  }
  Headers Session(const std::pair<std::string, std::string>& s, bool csrf = true) {
    Headers h{{"Cookie", s.first}, {"Content-Type", "application/json"}};
    if (csrf) h.emplace_back("X-CSRF-Token", s.second);
    return h;
  }
  static std::string Field(const std::string& body, const std::string& key) {
    const size_t at = body.find("\"" + key + "\":\"");
    if (at == std::string::npos) return "";
    const size_t from = at + key.size() + 4;
    return body.substr(from, body.find('"', from) - from);
  }
  std::string other_, other_token_;
};

// The fixture's single-session helpers are for the other suites; these tests build their own.
[[maybe_unused]] const auto kUnusedFixtureHelpers = std::make_tuple(&Event, &Gzip);

TEST_F(FunnelApiTest, TheQueryIsARead_ScopedToTheTokensProject) {
  Start();
  const std::string mine = "?project_id=" + project_;
  // Auth runs before the body is parsed: a 400 about the body means the caller was let in.
  auto ok = Query("{}", token_, mine);
  EXPECT_EQ(ok.status, 400) << ok.body;
  EXPECT_EQ(ok.body,
            R"({"error":"invalid_argument","reason":"definition is required: {\"steps\":[…]}"})");
  // spec §6.2's shape: project_id in the body only
  auto in_body = Query(R"({"project_id":")" + project_ + R"("})", token_);
  EXPECT_EQ(in_body.status, 400) << in_body.body;
  EXPECT_NE(in_body.body.find("definition is required"), std::string::npos) << in_body.body;

  EXPECT_EQ(Req("POST", "/api/funnels/query" + mine, kThreeSteps).status, 401) << "no credentials";
  EXPECT_EQ(Query(kThreeSteps, "rt_0000", mine).status, 401);
  // Another project's id with this project's token: refused, however it is given.
  for (const char* bots : {"", "&bots=include"}) {
    auto r = Query(kThreeSteps, token_, "?project_id=" + other_ + std::string(bots));
    EXPECT_EQ(r.status, 401) << r.body;
  }
  auto body_other =
      Query(R"({"project_id":")" + other_ + R"(","definition":{"steps":[]}})", token_);
  EXPECT_EQ(body_other.status, 401) << body_other.body;
  auto mixed =
      Query(R"({"project_id":")" + other_ + R"(","definition":{"steps":[]}})", token_, mine);
  EXPECT_EQ(mixed.status, 403) << "authorized for one project, asking about another: "
                               << mixed.body;
  EXPECT_EQ(Query(kThreeSteps, token_, "?project_id=p_doesnotexist").status, 401);
  // A session reads the projects its user is a member of; any other id is 404.
  auto s = SignIn();
  EXPECT_EQ(
      Req("POST", "/api/funnels/query?project_id=p_doesnotexist", kThreeSteps, Session(s, false))
          .status,
      404);
  EXPECT_EQ(Req("POST", "/api/funnels/query" + mine, "{}", Session(s, false)).status, 400)
      << "no CSRF needed to read";
  // The bookmarklet's token reads heatmaps only.
  auto bt =
      Req("POST", "/api/bookmarklet-token", R"({"project_id":")" + project_ + R"("})", Session(s));
  ASSERT_EQ(bt.status, 200) << bt.body;
  auto by_bt = Query(kThreeSteps, Field(bt.body, "token"), mine);
  EXPECT_EQ(by_bt.status, 403) << by_bt.body;
  EXPECT_EQ(
      Req("GET", "/api/funnels/query" + mine, "", {{"Authorization", "Bearer " + token_}}).status,
      405);
  EXPECT_EQ(Req("POST", "/api/funnels/query" + mine, kThreeSteps,
                {{"Authorization", "Bearer " + token_}, {"Origin", "https://attacker.test"}})
                .Header("Access-Control-Allow-Origin"),
            "");
}

TEST_F(FunnelApiTest, BadBodiesAre400sThatSayWhichField) {
  Start();
  const std::string q = "?project_id=" + project_;
  std::string many = R"({"definition":{"steps":[)";
  for (int i = 0; i < 21; ++i)
    many +=
        std::string(i ? "," : "") + R"({"type":"page_view","path":"/)" + std::to_string(i) + "\"}";
  many += "]}}";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {many, "steps: a funnel has 2 to 20 steps, not 21"},
      {R"({"definition":{"steps":[{"type":"page_view","path":"/"},{"type":"page_view","path":"(a|b)*","match":"regex"}]}})",
       "step 2 path: a repeated group that itself repeats or has alternatives ((a+)+, (a|b)*) can "
       "take exponential "
       "time; simplify the regex"},
      {R"({"definition":{"steps":[{"type":"page_view","path":"/"},{"type":"click"}]}})",
       "step 2: a click step needs a selector or a selector_hash"},
      {R"({"definition":{"steps":[{"type":"page_view","path":"/"},{"type":"page_view","path":"/a"}],"window_ms":"1d"}})",
       "window_ms: must be an integer 0..7776000000"},
      {R"({"from":"2026-13-01","definition":{"steps":[]}})",
       "from must be YYYY-MM-DD or a millisecond time between 2000 and 2200"},
  };
  for (const auto& [body, reason] : cases) {
    auto r = Query(body, token_, q);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(r.body, R"({"error":"invalid_argument","reason":")" + reason + "\"}") << body;
  }
  // Huge strings are refused by the body limit before any parsing.
  auto huge = Query(R"({"definition":{"steps":[{"type":"page_view","path":"/)" +
                        std::string(limits::kMaxApiBody, 'a') + "\"}]}}",
                    token_, q);
  EXPECT_EQ(huge.status, 413) << huge.body.substr(0, 200);
}

TEST_F(FunnelApiTest, SavedFunnelsAreChangedOnlyWithASessionAndItsCsrfToken) {
  Start();
  const std::string q = "?project_id=" + project_;
  const std::string def =
      R"({"name":" Pricing to buy ","definition":{"steps":[{"type":"page_view","path":"/pricing","label":"Pricing"},)"
      R"({"type":"click","selector":"#buy"}],"breakdown":"device"}})";
  EXPECT_EQ(Req("POST", "/api/funnels" + q, def, {{"Authorization", "Bearer " + token_}}).status,
            401)
      << "a read token saves nothing";
  auto s = SignIn();
  auto no_csrf = Req("POST", "/api/funnels" + q, def, Session(s, false));
  EXPECT_EQ(no_csrf.status, 403) << no_csrf.body;
  Headers cross = Session(s);
  cross.emplace_back("Origin", "https://attacker.test");
  EXPECT_EQ(Req("POST", "/api/funnels" + q, def, cross).status, 403);

  auto created = Req("POST", "/api/funnels" + q, def, Session(s));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Field(created.body, "id");
  ASSERT_EQ(id.size(), 18u) << created.body;
  // the definition comes back in its one written form: defaults filled in, the name trimmed
  EXPECT_NE(
      created.body.find(
          R"("name":"Pricing to buy","definition":{"steps":[{"type":"page_view","label":"Pricing","path":"/pricing",)"
          R"("match":"equals"},{"type":"click","selector":"#buy"}],"exclusions":[],"mode":"sequential",)"
          R"("unit":"session","window_ms":604800000,"breakdown":"device"},"created_ms":)"),
      std::string::npos)
      << created.body;

  // A read token lists and reads them; another project's token does not see them.
  auto list = Req("GET", "/api/funnels" + q, "", {{"Authorization", "Bearer " + token_}});
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find("\"id\":\"" + id + "\""), std::string::npos) << list.body;
  auto one = Req("GET", "/api/funnels/" + id + q, "", {{"Authorization", "Bearer " + token_}});
  EXPECT_EQ(one.status, 200) << one.body;
  auto theirs = Req("GET", "/api/funnels?project_id=" + other_, "",
                    {{"Authorization", "Bearer " + other_token_}});
  EXPECT_EQ(theirs.body, R"({"funnels":[]})");
  EXPECT_EQ(Req("GET", "/api/funnels/" + id + "?project_id=" + other_, "",
                {{"Authorization", "Bearer " + other_token_}})
                .status,
            404);
  EXPECT_EQ(Req("GET", "/api/funnels/" + id + "?project_id=" + other_, "",
                {{"Authorization", "Bearer " + token_}})
                .status,
            401);

  // Update: rename only; through another project's id nothing is found or changed.
  EXPECT_EQ(
      Req("PUT", "/api/funnels/" + id + "?project_id=" + other_, R"({"name":"stolen"})", Session(s))
          .status,
      404);
  auto renamed = Req("PUT", "/api/funnels/" + id + q, R"({"name":"Buy"})", Session(s));
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(Field(renamed.body, "name"), "Buy");
  EXPECT_NE(renamed.body.find("\"breakdown\":\"device\""), std::string::npos)
      << "the definition kept";
  EXPECT_EQ(Req("PUT", "/api/funnels/" + id + q, R"({"name":"x"})", Session(s, false)).status, 403);
  auto bad = Req("PUT", "/api/funnels/" + id + q,
                 R"({"definition":{"steps":[{"type":"click"},{"type":"custom","event":"e"}]}})",
                 Session(s));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(
      bad.body,
      R"({"error":"invalid_argument","reason":"definition: step 1: a click step needs a selector or a selector_hash"})");
  for (const std::string& body :
       {std::string(R"({"name":""})"), std::string(R"({"name":")") + std::string(201, 'n') + "\"}",
        std::string(R"({"nome":"x"})"), std::string("{}")}) {
    EXPECT_EQ(Req("PUT", "/api/funnels/" + id + q, body, Session(s)).status, 400) << body;
  }
  EXPECT_EQ(Req("POST", "/api/funnels" + q, R"({"name":"no definition"})", Session(s)).status, 400);
  EXPECT_EQ(Req("POST", "/api/funnels?project_id=p_doesnotexist", def, Session(s)).status, 404);

  // Delete: CSRF, then gone.
  EXPECT_EQ(Req("DELETE", "/api/funnels/" + id + q, "", Session(s, false)).status, 403);
  EXPECT_EQ(Req("DELETE", "/api/funnels/" + id + "?project_id=" + other_, "", Session(s)).status,
            404);
  EXPECT_EQ(Req("DELETE", "/api/funnels/" + id + q, "", Session(s)).status, 204);
  EXPECT_EQ(
      Req("GET", "/api/funnels/" + id + q, "", {{"Authorization", "Bearer " + token_}}).status,
      404);
  EXPECT_EQ(Req("DELETE", "/api/funnels/" + id + q, "", Session(s)).status, 404);
  EXPECT_EQ(
      Req("GET", "/api/funnels/..%2fx" + q, "", {{"Authorization", "Bearer " + token_}}).status,
      404);
}

TEST_F(FunnelApiTest, EventNamesListCustomEventsWithTheirProperties) {
  Start();
  const int64_t t = Now() - 60000;
  std::vector<std::string> evs;
  int id = 1;
  for (int i = 0; i < 3; ++i)
    evs.push_back(Ev(id++, 1, 1, t + i, "custom", "/",
                     R"(,"name":"signup","props":{"plan":"pro","seats":3})"));
  evs.push_back(Ev(id++, 1, 1, t + 5, "custom", "/",
                   R"(,"name":"signup","props":{"plan":"free","trial":true})"));
  evs.push_back(
      Ev(id++, 2, 2, t + 6, "custom", "/", R"(,"name":"Video Play","props":{"len":1.5})"));
  evs.push_back(Ev(id++, 2, 2, t + 7, "page_view", "/"));
  ASSERT_EQ(Post(Batch(evs)).status, 200);
  const std::string q = "/api/event-names?project_id=" + project_;
  auto r = Get(q);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body,
            R"({"names":[{"name":"signup","events":4,"properties":[)"
            R"({"key":"plan","values":[{"value":"pro","events":3},{"value":"free","events":1}]},)"
            R"({"key":"seats","values":[{"value":"3","events":3}]},)"
            R"({"key":"trial","values":[{"value":"true","events":1}]}]},)"
            R"({"name":"Video Play","events":1,"properties":[]}],"scanned":5,"complete":true})");
  EXPECT_EQ(
      Get(q + "&q=VIDEO").body,
      R"({"names":[{"name":"Video Play","events":1,"properties":[]}],"scanned":5,"complete":true})");
  EXPECT_EQ(Get(q + "&limit=1").body.find("Video"), std::string::npos);
  EXPECT_EQ(Get(q, false).status, 401);
  EXPECT_EQ(Req("GET", "/api/event-names?project_id=" + other_, "",
                {{"Authorization", "Bearer " + token_}})
                .status,
            401);
}

TEST_F(FunnelApiTest, ElementsWithoutAPathCoverEveryPage) {
  Start();
  const int64_t t = Now() - 60000;
  const std::string click = R"(,"x":0.5,"y":0.5,"selector":"#buy","selector_hash":"77")";
  const std::string other = R"(,"x":0.5,"y":0.5,"selector":"#signup","selector_hash":"88")";
  ASSERT_EQ(Post(Batch({Ev(1, 1, 1, t, "click", "/pricing", click),
                        Ev(2, 1, 1, t + 1, "click", "/pricing", click),
                        Ev(3, 1, 1, t + 2, "click", "/home", other)}))
                .status,
            200);
  auto all = Get("/api/elements?project_id=" + project_);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_NE(all.body.find(R"("selector_hash":"77","selector":"#buy","clicks":2)"),
            std::string::npos)
      << all.body;
  EXPECT_NE(all.body.find(R"("selector_hash":"88","selector":"#signup","clicks":1)"),
            std::string::npos)
      << all.body;
  EXPECT_NE(all.body.find(R"("total_clicks":3)"), std::string::npos) << all.body;
  auto one = Get("/api/elements?path=/home&project_id=" + project_);
  EXPECT_EQ(one.body.find("#buy"), std::string::npos) << one.body;
}

// The numbers, once the store answers funnels: five sessions, one of them on a phone.
//   S1  /  → /pricing (+10 s) → click #buy (+30 s)      complete
//   S2  /  → /pricing (+20 s)                           drops before the click
//   S3  /                                               drops before /pricing
//   S4  /pricing → /  (out of order)                    step 1 only, sequentially
//   S5  /  → /pricing (+40 s) → click #buy (+50 s)      complete, mobile
TEST_F(FunnelApiTest, AFunnelOverIngestedEvents) {
  Start();
  const int64_t t = Now() - 10 * 60000;
  const std::string buy = R"(,"x":0.5,"y":0.5,"selector":"#buy","selector_hash":"77")";
  int id = 1;
  std::vector<std::string> desktop = {Ev(id++, 1, 1, t, "page_view", "/"),
                                      Ev(id++, 1, 1, t + 10000, "page_view", "/pricing"),
                                      Ev(id++, 1, 1, t + 40000, "click", "/pricing", buy),
                                      Ev(id++, 2, 2, t, "page_view", "/"),
                                      Ev(id++, 2, 2, t + 20000, "page_view", "/pricing"),
                                      Ev(id++, 3, 3, t, "page_view", "/"),
                                      Ev(id++, 4, 4, t, "page_view", "/pricing"),
                                      Ev(id++, 4, 4, t + 1000, "page_view", "/")};
  ASSERT_EQ(Post(Batch(desktop)).status, 200);
  const std::string phone =
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) "
      "Version/17.0 Mobile/15E148 Safari/604.1";
  ASSERT_EQ(Post(Batch({Ev(id++, 5, 5, t, "page_view", "/"),
                        Ev(id++, 5, 5, t + 40000, "page_view", "/pricing"),
                        Ev(id++, 5, 5, t + 90000, "click", "/pricing", buy)}),
                 {{"User-Agent", phone}, {"Accept-Language", "en"}})
                .status,
            200);
  const std::string q = "?project_id=" + project_;
  auto r = Query(
      R"({"definition":{"steps":[{"type":"page_view","path":"/"},{"type":"page_view","path":"/pricing"},)"
      R"({"type":"click","selector":"#buy","path":"/pricing"}],"breakdown":"device"}})",
      token_, q);
  ASSERT_EQ(r.status, 200) << r.body;
  // step 1: all five; /pricing after /: S1, S2, S5; the click after it: S1, S5
  EXPECT_NE(
      r.body.find(
          R"("steps":[{"name":"/","type":"page_view","units":5,"count":5,"conversion_from_previous":1,)"
          R"("conversion_from_first":1,"dropped":0,"drop_off_rate":0,"conv_to_next":0.6,)"),
      std::string::npos)
      << r.body;
  // times on each unit's chain: /→/pricing 10 s, 20 s, 40 s (median 20 s, p90 40 s, mean 23.3 s);
  // /pricing→click 30 s, 50 s (lower median 30 s, p90 50 s, mean 40 s)
  EXPECT_NE(
      r.body.find(
          R"({"name":"/pricing","type":"page_view","units":3,"count":3,"conversion_from_previous":0.6,)"
          R"("conversion_from_first":0.6,"dropped":2,"drop_off_rate":0.4,"conv_to_next":0.666667,)"
          R"("median_ms_from_previous":20000,"p90_ms_from_previous":40000,"avg_ms_from_previous":23333})"),
      std::string::npos)
      << r.body;
  EXPECT_NE(
      r.body.find(
          R"({"name":"Click #buy on /pricing","type":"click","units":2,"count":2,)"
          R"("conversion_from_previous":0.666667,"conversion_from_first":0.4,"dropped":1,)"
          R"("drop_off_rate":0.333333,"conv_to_next":null,"median_ms_from_previous":30000,)"
          R"("p90_ms_from_previous":50000,)"
          R"("avg_ms_from_previous":40000}],"entered":5,"converted":2,"overall_conversion":0.4,)"
          R"("excluded_units":0,)"),
      std::string::npos)
      << r.body;
  // The two converted sessions took 10 + 30 = 40 s and 40 + 50 = 90 s; all five entered today.
  EXPECT_NE(r.body.find(R"("time_to_convert":[{"from_ms":0,"to_ms":10000,"units":0},)"
                        R"({"from_ms":10000,"to_ms":30000,"units":0},)"
                        R"({"from_ms":30000,"to_ms":60000,"units":1},)"
                        R"({"from_ms":60000,"to_ms":300000,"units":1},)"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"("entered":5,"converted":2,"conversion":0.4}],"breakdowns")"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"("breakdowns":{"device":[{"value":"desktop","steps":[{"units":4,)"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"("overall_conversion":0.25},{"value":"mobile","steps":[{"units":1,)"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"("overall_conversion":1}]})"), std::string::npos) << r.body;

  // Any order: S4's /pricing before / counts too.
  auto any = Query(
      R"({"definition":{"steps":[{"type":"page_view","path":"/"},{"type":"page_view","path":"/pricing"}],)"
      R"("mode":"any_order"}})",
      token_, q);
  ASSERT_EQ(any.status, 200) << any.body;
  EXPECT_NE(any.body.find(R"("entered":5,"converted":4,)"), std::string::npos) << any.body;
  // A window of 15 s: only S1's /pricing (10 s) is close enough.
  auto narrow = Query(
      R"({"definition":{"steps":[{"type":"page_view","path":"/"},{"type":"page_view","path":"/pricing"}],)"
      R"("window_ms":15000}})",
      token_, q);
  ASSERT_EQ(narrow.status, 200) << narrow.body;
  EXPECT_NE(narrow.body.find(R"("entered":5,"converted":1,)"), std::string::npos) << narrow.body;
  // Exclusion: a session that saw /pricing between / and the click is left out — all that clicked.
  auto excl = Query(
      R"({"definition":{"steps":[{"type":"page_view","path":"/"},{"type":"click","selector":"#buy"}],)"
      R"("exclusions":[{"type":"page_view","path":"/pricing"}]}})",
      token_, q);
  ASSERT_EQ(excl.status, 200) << excl.body;
  EXPECT_NE(
      excl.body.find(R"("entered":3,"converted":0,"overall_conversion":0,"excluded_units":2,)"),
      std::string::npos)
      << excl.body;
  // The same as CSV.
  auto csv = Query(kThreeSteps, token_, q + "&format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.Header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_NE(csv.body.find("\r\n,3,Click #buy on /pricing,2,0.6667,0.4000,1,30000,50000,40000\r\n"),
            std::string::npos)
      << csv.body;

  // Breakdowns by the step-1 event's session. S6 is visitor 1's second session (S1 was its
  // first): returning. S4 entered on /pricing; its step 1 (/) is its second page view.
  ASSERT_EQ(Post(Batch({Ev(id++, 6, 1, t + 120000, "page_view", "/")})).status, 200);
  const std::string two =
      R"({"definition":{"steps":[{"type":"page_view","path":"/"},{"type":"page_view","path":"/pricing"}],)";
  auto visitors = Query(two + R"("breakdown":"visitor_type"}})", token_, q);
  ASSERT_EQ(visitors.status, 200) << visitors.body;
  EXPECT_NE(visitors.body.find(R"("breakdowns":{"visitor_type":[{"value":"first","steps":[)"
                               R"({"units":5,)"),
            std::string::npos)
      << visitors.body;
  EXPECT_NE(visitors.body.find(R"("overall_conversion":0.6},{"value":"returning","steps":[)"
                               R"({"units":1,)"),
            std::string::npos)
      << visitors.body;
  auto entry = Query(two + R"("breakdown":"entry_page"}})", token_, q + "&format=csv");
  ASSERT_EQ(entry.status, 200) << entry.body;
  EXPECT_EQ(entry.body.substr(0, entry.body.find(',')), "entry_page") << entry.body;
  EXPECT_NE(entry.body.find("\r\n/,1,/,5,1.0000,1.0000,0,0,0,0\r\n"), std::string::npos)
      << entry.body;
  EXPECT_NE(entry.body.find("\r\n/pricing,1,/,1,1.0000,1.0000,0,0,0,0\r\n"), std::string::npos)
      << entry.body;
  auto unknown = Query(two + R"("breakdown":"new_visitor"}})", token_, q);
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_NE(unknown.body.find("breakdown: must be page, entry_page,"), std::string::npos)
      << unknown.body;
}

}  // namespace
// Who is behind each bar: POST /api/funnels/members with the query's body and ?furthest=K.
TEST_F(FunnelApiTest, MembersListTheUnitsBehindABar) {
  Start();
  const int64_t t = Now() - 10 * 60000;
  const std::string buy = R"(,"x":0.5,"y":0.5,"selector":"#buy","selector_hash":"77")";
  int id = 1;
  ASSERT_EQ(Post(Batch({Ev(id++, 1, 1, t, "page_view", "/"),  // S1 converts
                        Ev(id++, 1, 1, t + 10000, "page_view", "/pricing"),
                        Ev(id++, 1, 1, t + 40000, "click", "/pricing", buy),
                        Ev(id++, 2, 2, t + 5000, "page_view", "/"),  // S2 stops at /pricing
                        Ev(id++, 2, 2, t + 20000, "page_view", "/pricing"),
                        Ev(id++, 3, 3, t, "page_view", "/"),         // S3 stops at /
                        Ev(id++, 4, 4, t, "page_view", "/pricing"),  // S4 stops at / (t + 1 s)
                        Ev(id++, 4, 4, t + 1000, "page_view", "/")}))
                .status,
            200);
  // S2's session was recorded (its replay index row, as a stored /r chunk leaves it).
  {
    auto meta = OpenSqliteMetaStore(dir_.Sub("meta.db"));
    ASSERT_TRUE(meta.ok());
    ASSERT_TRUE((*meta)
                    ->AddReplayChunk(project_, {"2b1d0c6e-9a7f-4f4e-8d1c-000000000002", 0, t + 5000,
                                                t + 20000, 900, 12, false, t + 21000})
                    .ok());
  }
  auto members = [&](const std::string& params) {
    return Req("POST", "/api/funnels/members?project_id=" + project_ + params, kThreeSteps,
               {{"Authorization", "Bearer " + token_}});
  };
  auto two = members("&furthest=2");
  ASSERT_EQ(two.status, 200) << two.body;
  EXPECT_NE(
      two.body.find(
          R"({"furthest":2,"unit":"session","total":1,"members":[{"session_id":"2b1d0c6e-9a7f-4f4e-8d1c-000000000002","entered_ms":)" +
          std::to_string(t + 5000) + R"(,"reached_ms":)" + std::to_string(t + 20000) +
          R"(,"device":"desktop","country":"","recorded":true}]})"),
      std::string::npos)
      << two.body;
  // Stopped at step 1: S4 entered later (its / at t + 1 s) than S3, so it comes first.
  auto one = members("&furthest=1&limit=1");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_NE(
      one.body.find(R"("total":2,"members":[{"session_id":"2b1d0c6e-9a7f-4f4e-8d1c-000000000004")"),
      std::string::npos)
      << one.body;
  EXPECT_NE(one.body.find(R"("recorded":false)"), std::string::npos) << one.body;
  auto three = members("&furthest=3");
  EXPECT_NE(three.body.find(
                R"("total":1,"members":[{"session_id":"2b1d0c6e-9a7f-4f4e-8d1c-000000000001")"),
            std::string::npos)
      << three.body;
  for (const char* bad : {"", "&furthest=0", "&furthest=4", "&furthest=2&limit=0",
                          "&furthest=2&limit=1001", "&furthest=1x"}) {
    auto r = members(bad);
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
  }
  EXPECT_EQ(Req("POST", "/api/funnels/members?project_id=" + project_ + "&furthest=1", kThreeSteps)
                .status,
            401);
  // Another tenant: its id with this token is refused however it is given, and its own token
  // lists none of this project's units (its project has no events).
  for (const std::string& target :
       {"/api/funnels/members?furthest=1&project_id=" + other_,
        "/api/funnels/members?furthest=1&bots=include&project_id=" + other_}) {
    auto r = Req("POST", target, kThreeSteps, {{"Authorization", "Bearer " + token_}});
    EXPECT_EQ(r.status, 401) << target << " " << r.body;
  }
  auto mixed = Req("POST", "/api/funnels/members?furthest=1&project_id=" + project_,
                   R"({"project_id":")" + other_ + R"(",)" + kThreeSteps.substr(1),
                   {{"Authorization", "Bearer " + token_}});
  EXPECT_EQ(mixed.status, 403) << mixed.body;
  auto theirs = Req("POST", "/api/funnels/members?furthest=1&project_id=" + other_, kThreeSteps,
                    {{"Authorization", "Bearer " + other_token_}});
  ASSERT_EQ(theirs.status, 200) << theirs.body;
  EXPECT_NE(theirs.body.find(R"("total":0,"members":[])"), std::string::npos) << theirs.body;
}

}  // namespace tapistry
