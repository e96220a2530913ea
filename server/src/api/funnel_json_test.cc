// The funnels API's parser and writers (funnel_json.h): every field mapped, every bad field named,
// randomized definitions round-tripped, and mutated bodies that never crash and, when accepted,
// always make a query ValidateFunnelQuery accepts.
#include "api/funnel_json.h"

#include <gtest/gtest.h>

#include <random>

#include "common/json_writer.h"
#include "tapistry/event.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

constexpr int64_t kNow = 1733529600000;  // 2024-12-07T00:00:00Z
const std::string kProject = "p_0123456789abcdef";

Result<FunnelRequest> Parse(const std::string& body) {
  return ParseFunnelQueryBody(body, kProject, kNow);
}

std::string Body(const std::string& steps, const std::string& rest = "",
                 const std::string& def_rest = "") {
  return R"({"definition":{"steps":)" + steps + def_rest + "}" + rest + "}";
}
const std::string kTwo =
    R"([{"type":"page_view","path":"/"},{"type":"page_view","path":"/pricing"}])";

TEST(FunnelJsonTest, EveryFieldIsMapped) {
  const std::string body = R"({
    "project_id":"p_0123456789abcdef","from":"2024-12-01","to":1733529600000,
    "definition":{
      "steps":[
        {"type":"page_view","path":"/blog","match":"prefix","label":"Blog",
         "filters":{"device":"mobile","utm_source":"news","country":""}},
        {"type":"click","selector":"#buy","selector_hash":"18446744073709551615","path":"/pricing"},
        {"type":"click","selector_hash":12345},
        {"type":"custom","event":"signup","property":"plan","value":"pro"},
        {"type":"page_view","path":"^/done/[0-9]+$","match":"regex"}],
      "exclusions":[{"type":"page_view","path":"/help","match":"contains","from_step":2,"to_step":4},
                    {"type":"custom","event":"cancel"}],
      "mode":"strict","unit":"visitor","window_ms":3600000,"breakdown":"utm_source"},
    "breakdown_limit":7,"bots":"include"})";
  auto f = Parse(body);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const FunnelQuery& q = f->query;
  EXPECT_EQ(q.project_id, kProject);
  EXPECT_EQ(FormatDay(q.from_day), "2024-12-01");
  EXPECT_EQ(FormatDay(q.to_day), "2024-12-07");
  ASSERT_EQ(q.steps.size(), 5u);
  EXPECT_EQ(q.steps[0].type, FunnelStepType::kPageView);
  EXPECT_EQ(q.steps[0].path, "/blog");
  EXPECT_EQ(q.steps[0].path_match, PathMatch::kPrefix);
  EXPECT_EQ(q.steps[0].filters, (std::vector<FunnelStepFilter>{{Dimension::kDevice, "mobile"},
                                                               {Dimension::kUtmSource, "news"},
                                                               {Dimension::kCountry, ""}}));
  EXPECT_TRUE(q.steps[1].filters.empty());
  EXPECT_EQ(q.steps[1].type, FunnelStepType::kClick);
  EXPECT_EQ(q.steps[1].selector, "#buy");
  EXPECT_EQ(q.steps[1].selector_hash, 18446744073709551615ULL);
  EXPECT_EQ(q.steps[1].path, "/pricing");
  EXPECT_EQ(q.steps[1].path_match, PathMatch::kEquals);
  EXPECT_EQ(q.steps[2].selector_hash, 12345u);
  EXPECT_EQ(q.steps[3].type, FunnelStepType::kCustom);
  EXPECT_EQ(q.steps[3].name, "signup");
  EXPECT_EQ(q.steps[3].property, "plan");
  EXPECT_EQ(q.steps[3].value, "pro");
  EXPECT_EQ(q.steps[4].path_match, PathMatch::kRegex);
  ASSERT_EQ(q.exclusions.size(), 2u);
  EXPECT_EQ(q.exclusions[0].step.path, "/help");
  EXPECT_EQ(q.exclusions[0].step.path_match, PathMatch::kContains);
  EXPECT_EQ(q.exclusions[0].from_step, 2u);
  EXPECT_EQ(q.exclusions[0].to_step, 4u);
  EXPECT_EQ(q.exclusions[1].step.name, "cancel");
  EXPECT_EQ(q.exclusions[1].from_step, 1u) << "an exclusion covers the whole funnel by default";
  EXPECT_EQ(q.exclusions[1].to_step, 5u);
  EXPECT_EQ(q.mode, FunnelMode::kStrict);
  EXPECT_EQ(q.unit, FunnelUnit::kVisitor);
  EXPECT_EQ(q.window_ms, 3600000);
  ASSERT_TRUE(q.breakdown.has_value());
  EXPECT_EQ(*q.breakdown, Dimension::kUtmSource);
  EXPECT_EQ(q.breakdown_limit, 7u);
  EXPECT_TRUE(q.include_bots);
  EXPECT_EQ(f->labels,
            (std::vector<std::string>{"Blog", "Click #buy on /pricing", "Click element 12345",
                                      "signup (plan = pro)", "~^/done/[0-9]+$"}));
  EXPECT_EQ(f->user_labels[0], "Blog");
  EXPECT_EQ(f->user_labels[1], "");
}

TEST(FunnelJsonTest, DefaultsAreTheBuildersAndTheReadApis) {
  auto f = Parse(Body(kTwo));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const FunnelQuery& q = f->query;
  EXPECT_EQ(q.to_day, DayOf(kNow));
  EXPECT_EQ(q.from_day, DayOf(kNow) - 6) << "the last 7 days, as every read route";
  EXPECT_EQ(q.mode, FunnelMode::kSequential);
  EXPECT_EQ(q.unit, FunnelUnit::kSession);
  EXPECT_EQ(q.window_ms, kDefaultFunnelWindowMs);
  EXPECT_FALSE(q.breakdown.has_value());
  EXPECT_EQ(q.breakdown_limit, 25u);
  EXPECT_FALSE(q.include_bots);
  EXPECT_EQ(f->labels, (std::vector<std::string>{"/", "/pricing"}));
  // from alone runs to today; to alone covers the 7 days before it
  auto from_only = Parse(R"({"from":"2024-11-01",)" + Body(kTwo).substr(1));
  ASSERT_TRUE(from_only.ok());
  EXPECT_EQ(from_only->query.to_day, DayOf(kNow));
  auto to_only = Parse(R"({"to":"2024-11-10",)" + Body(kTwo).substr(1));
  ASSERT_TRUE(to_only.ok());
  EXPECT_EQ(FormatDay(to_only->query.from_day), "2024-11-04");
}

TEST(FunnelJsonTest, SpecSpellingsOfModeWindowAndBreakdown) {
  auto a = Parse(
      Body(kTwo, R"(,"options":{"strictOrder":false,"windowMs":60000},"breakdowns":["device"])"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->query.mode, FunnelMode::kAnyOrder);
  EXPECT_EQ(a->query.window_ms, 60000);
  EXPECT_EQ(*a->query.breakdown, Dimension::kDevice);
  auto b = Parse(Body(kTwo, R"(,"options":{"strictOrder":true})"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->query.mode, FunnelMode::kSequential);
  // repeating the definition is fine; contradicting it is not
  EXPECT_TRUE(Parse(Body(kTwo, R"(,"options":{"strictOrder":true})", R"(,"mode":"strict")")).ok());
  EXPECT_TRUE(Parse(Body(kTwo, R"(,"breakdowns":["country"])", R"(,"breakdown":"country")")).ok());
  EXPECT_TRUE(Parse(Body(kTwo, R"(,"breakdowns":[])")).ok());
}

struct BadCase {
  std::string body;
  std::string reason;  // the whole reason the API answers
};

TEST(FunnelJsonTest, EveryBadFieldIsNamed) {
  const std::string big(513, 'a');
  std::string many = "[";
  for (int i = 0; i < 21; ++i)
    many +=
        std::string(i ? "," : "") + R"({"type":"page_view","path":"/p)" + std::to_string(i) + "\"}";
  many += "]";
  std::string excl = "[";
  for (int i = 0; i < 11; ++i)
    excl += std::string(i ? "," : "") + R"({"type":"custom","event":"x"})";
  excl += "]";
  const std::vector<BadCase> cases = {
      {"", "the body must be JSON"},
      {"not json", "the body must be JSON"},
      {"[1,2]", "the body must be a JSON object"},
      {"{}", "definition is required: {\"steps\":[…]}"},
      {R"({"definition":[]})", "definition: must be an object"},
      {R"({"definition":{}})", "definition: steps is required (2 to 20 steps)"},
      {R"({"definition":{"steps":{}}})", "steps: must be an array"},
      {Body("[]"), "steps: a funnel has 2 to 20 steps, not 0"},
      {Body(R"([{"type":"page_view","path":"/"}])"), "steps: a funnel has 2 to 20 steps, not 1"},
      {Body(many), "steps: a funnel has 2 to 20 steps, not 21"},
      {Body(R"([1,{"type":"page_view","path":"/"}])"), "step 1: must be an object"},
      {Body(R"([{"path":"/"},{"type":"page_view","path":"/"}])"),
       "step 1: type is required (page_view, click or custom)"},
      {Body(R"([{"type":"page"},{"type":"page_view","path":"/"}])"),
       "step 1 type: must be page_view, click or custom"},
      {Body(R"([{"type":7},{"type":"page_view","path":"/"}])"), "step 1 type: must be a string"},
      {Body(R"([{"type":"page_view","path":"/"},{"type":"page_view","path":5}])"),
       "step 2 path: must be a string"},
      {Body(
           R"([{"type":"page_view","path":"/","filters":["mobile"]},{"type":"page_view","path":"/"}])"),
       "step 1 filters: must be an object of dimension: value (e.g. {\"device\":\"mobile\"})"},
      {Body(
           R"([{"type":"page_view","path":"/","filters":{"entry_page":"/"}},{"type":"page_view","path":"/"}])"),
       "step 1 filters entry_page: must be one of page, referrer, utm_source, utm_medium, "
       "utm_campaign, device, browser, os, country"},
      {Body(
           R"([{"type":"page_view","path":"/","filters":{"device":1}},{"type":"page_view","path":"/"}])"),
       "step 1 filters device: must be a string"},
      {Body(R"([{"type":"page_view","path":"/"},{"type":"page_view","path":"/)" + big + R"("}])"),
       "step 2 path: is longer than 512 bytes"},
      {Body(R"([{"type":"page_view","path":"/","label":")" + std::string(201, 'l') +
            R"("},{"type":"page_view","path":"/"}])"),
       "step 1 label: is longer than 200 bytes"},
      {Body(R"([{"type":"page_view","path":"/","colour":"red"},{"type":"page_view","path":"/"}])"),
       "step 1: unknown field \"colour\""},
      {Body(R"([{"type":"page_view"},{"type":"page_view","path":"/"}])"),
       "step 1: a page_view step needs a path"},
      {Body(R"([{"type":"page_view","path":"pricing"},{"type":"page_view","path":"/"}])"),
       "step 1 path: must start with / (paths are stored normalized: /pricing); use contains or "
       "regex for a part"},
      {Body(R"([{"type":"page_view","match":"prefix"},{"type":"page_view","path":"/"}])"),
       "step 1: match needs a path"},
      {Body(R"([{"type":"page_view","path":"/","match":"like"},{"type":"page_view","path":"/"}])"),
       "step 1 match: must be equals, prefix, contains or regex"},
      {Body(
           R"([{"type":"page_view","path":"([","match":"regex"},{"type":"page_view","path":"/"}])"),
       "step 1 path: is not a valid regular expression (ECMAScript)"},
      {Body(
           R"([{"type":"page_view","path":"(a+)+$","match":"regex"},{"type":"page_view","path":"/"}])"),
       "step 1 path: a repeated group that itself repeats or has alternatives ((a+)+, (a|b)*) can "
       "take exponential "
       "time; simplify the regex"},
      {Body(
           R"([{"type":"page_view","path":"(a)\\1","match":"regex"},{"type":"page_view","path":"/"}])"),
       "step 1 path: back-references (\\1) are not allowed in a funnel step's regex"},
      {Body(R"([{"type":"click"},{"type":"page_view","path":"/"}])"),
       "step 1: a click step needs a selector or a selector_hash"},
      {Body(R"([{"type":"click","selector_hash":"12x"},{"type":"page_view","path":"/"}])"),
       "step 1 selector_hash: must be a decimal string of a 64-bit number (as /api/elements gives "
       "it)"},
      {Body(
           R"([{"type":"click","selector_hash":"18446744073709551616"},{"type":"page_view","path":"/"}])"),
       "step 1 selector_hash: must be a decimal string of a 64-bit number (as /api/elements gives "
       "it)"},
      {Body(R"([{"type":"click","selector_hash":-1},{"type":"page_view","path":"/"}])"),
       "step 1 selector_hash: must not be negative"},
      {Body(R"([{"type":"click","selector_hash":1.5},{"type":"page_view","path":"/"}])"),
       "step 1 selector_hash: must be a decimal string of a 64-bit number (as /api/elements gives "
       "it)"},
      {Body(R"([{"type":"page_view","path":"/","selector":"#a"},{"type":"page_view","path":"/"}])"),
       "step 1: selector and selector_hash are for click steps only"},
      {Body(R"([{"type":"custom"},{"type":"page_view","path":"/"}])"),
       "step 1: a custom step needs an event name (event)"},
      {Body(R"([{"type":"custom","event":"a","value":"x"},{"type":"page_view","path":"/"}])"),
       "step 1: value needs a property"},
      {Body(R"([{"type":"page_view","path":"/","event":"a"},{"type":"page_view","path":"/"}])"),
       "step 1: event, property and value are for custom steps only"},
      {Body(R"([{"type":"custom","event":"a\u0000b"},{"type":"page_view","path":"/"}])"),
       "step 1 event: must not contain a NUL character"},
      {Body(kTwo, "", R"(,"mode":"loose")"), "mode: must be sequential, strict or any_order"},
      {Body(kTwo, "", R"(,"unit":"user")"), "unit: must be session or visitor"},
      {Body(kTwo, "", R"(,"window_ms":"1000")"), "window_ms: must be an integer 0..7776000000"},
      {Body(kTwo, "", R"(,"window_ms":1.5)"), "window_ms: must be an integer 0..7776000000"},
      {Body(kTwo, "", R"(,"window_ms":-1)"), "window_ms: must be an integer 0..7776000000"},
      {Body(kTwo, "", R"(,"window_ms":7776000001)"), "window_ms: must be an integer 0..7776000000"},
      {Body(kTwo, "", R"(,"window_ms":99999999999999999999)"),
       "the body must be JSON"},  // simdjson: no bigints
      {Body(kTwo, "", R"(,"breakdown":"planet")"),
       "breakdown: must be page, entry_page, referrer, utm_source, utm_medium, utm_campaign, "
       "device, browser, os, country or visitor_type"},
      {Body(kTwo, "", R"(,"breakdown":"Visitor_Type")"),
       "breakdown: must be page, entry_page, referrer, utm_source, utm_medium, utm_campaign, "
       "device, browser, os, country or visitor_type"},
      {Body(kTwo, R"(,"breakdowns":["first"])"),
       "breakdowns: must be page, entry_page, referrer, utm_source, utm_medium, utm_campaign, "
       "device, browser, os, country or visitor_type"},
      {Body(R"([{"type":"page_view","path":"/","filters":{"visitor_type":"first"}},)"
            R"({"type":"page_view","path":"/"}])"),
       "step 1 filters visitor_type: must be one of page, referrer, utm_source, utm_medium, "
       "utm_campaign, device, browser, os, country"},
      {Body(kTwo, "", R"(,"stepz":[])"), "definition: unknown field \"stepz\""},
      {Body(kTwo, "", R"(,"exclusions":{})"), "exclusions: must be an array"},
      {Body(kTwo, "", ",\"exclusions\":" + excl), "exclusions: at most 10, not 11"},
      {Body(kTwo, "", R"(,"exclusions":[{"type":"custom","event":"x","from_step":2,"to_step":2}])"),
       "exclusion 1: needs 1 <= from_step < to_step <= 2 (the number of steps)"},
      {Body(kTwo, "", R"(,"exclusions":[{"type":"custom","event":"x","to_step":3}])"),
       "exclusion 1: needs 1 <= from_step < to_step <= 2 (the number of steps)"},
      {Body(kTwo, "", R"(,"exclusions":[{"type":"custom","event":"x","from_step":0}])"),
       "exclusion 1 from_step: must be an integer 1..20"},
      {Body(kTwo, "", R"(,"exclusions":[{"type":"custom"}])"),
       "exclusion 1: a custom step needs an event name (event)"},
      {Body(kTwo, R"(,"breakdowns":["device","country"])"),
       "breakdowns: a funnel breaks down by one dimension at a time"},
      {Body(kTwo, R"(,"breakdowns":"device")"),
       "breakdowns: must be an array of at most one dimension"},
      {Body(kTwo, R"(,"breakdowns":["os"])", R"(,"breakdown":"device")"),
       "breakdowns: says another dimension than definition.breakdown"},
      {Body(kTwo, R"(,"breakdown_limit":0)"), "breakdown_limit: must be an integer 1..100"},
      {Body(kTwo, R"(,"bots":"yes")"), "bots: must be include or exclude"},
      {Body(kTwo, R"(,"bots":true)"), "bots: must be a string"},
      {Body(kTwo, R"(,"from":"2024-12-07","to":"2024-12-01")"), "from is after to"},
      {Body(kTwo, R"(,"from":"2023-01-01","to":"2024-12-01")"),
       "the range is longer than 400 days"},
      {Body(kTwo, R"(,"from":"yesterday")"),
       "from must be YYYY-MM-DD or a millisecond time between 2000 and 2200"},
      {Body(kTwo, R"(,"to":-1)"),
       "to must be YYYY-MM-DD or a millisecond time between 2000 and 2200"},
      {Body(kTwo, R"(,"to":9223372036854775807)"),
       "to must be YYYY-MM-DD or a millisecond time between 2000 and 2200"},
      {Body(kTwo, R"(,"options":{"strictOrder":"yes"})"),
       "options strictOrder: must be true or false"},
      {Body(kTwo, R"(,"options":{"strictOrder":false})", R"(,"mode":"strict")"),
       "options strictOrder: contradicts definition.mode"},
      {Body(kTwo, R"(,"options":{"windowMs":5})", R"(,"window_ms":6)"),
       "options windowMs: contradicts definition.window_ms"},
      {Body(kTwo, R"(,"options":{"fast":true})"), "options: unknown field \"fast\""},
      {Body(kTwo, R"(,"extra":1)"), "unknown field \"extra\""},
      {Body(kTwo, R"(,")" + std::string(100, 'k') + R"(":1)"),
       "unknown field \"" + std::string(40, 'k') + "…\""},
  };
  for (const BadCase& c : cases) {
    auto f = Parse(c.body);
    ASSERT_FALSE(f.ok()) << c.body;
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument) << c.body;
    EXPECT_EQ(f.status().message(), c.reason) << c.body.substr(0, 300);
  }
}

TEST(FunnelJsonTest, AnotherProjectInTheBodyIsRefused) {
  auto f = Parse(R"({"project_id":"p_ffffffffffffffff",)" + Body(kTwo).substr(1));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(Parse(R"({"project_id":")" + kProject + "\"," + Body(kTwo).substr(1)).ok());
}

TEST(FunnelJsonTest, RegexShapes) {
  for (const char* ok :
       {"^/blog/[^/]+$", "/docs/(a|b)", "(?:ab)+", "^/p/[0-9]{1,6}$", "[(]+x", "\\(a+\\)+", "a{2}b",
        "(a|b)?", "a*?b+?", "^/(en|de)/pricing$", "a*b*c*d*"}) {
    EXPECT_TRUE(CheckFunnelRegex(ok).ok()) << ok << " " << CheckFunnelRegex(ok).ToString();
  }
  for (const char* bad :
       {"(a+)+", "(a|aa)*", "(a*)*", "((ab)*c)+", "(a{2,})+", "(x+){2,5}", "(a)\\1", "a*b*c*d*e*",
        "a{2,}b+c*d+e{1,}", "(", "[a-", "a**", "a+{2,}", "a*?*"}) {
    EXPECT_FALSE(CheckFunnelRegex(bad).ok()) << bad;
  }
  EXPECT_FALSE(CheckFunnelRegex(std::string(513, 'a')).ok());
}

// ---- randomized round trips --------------------------------------------------------------

std::string RandomText(std::mt19937& rng, size_t max, bool path) {
  static const std::string alphabet = "abcXYZ09/-_.~ \"\\'<>&%é✓";
  std::uniform_int_distribution<size_t> len(1, max);
  std::string s = path ? "/" : "";
  const size_t n = len(rng);
  while (s.size() < n) {
    const size_t i = rng() % alphabet.size();
    // keep multi-byte characters whole: the alphabet's ASCII part, or one of the two whole words
    if (static_cast<unsigned char>(alphabet[i]) < 0x80) s += alphabet[i];
    else s += (rng() % 2) ? "é" : "✓";
  }
  return s;
}

FunnelStep RandomStep(std::mt19937& rng) {
  FunnelStep s;
  s.type = static_cast<FunnelStepType>(rng() % 3);
  const bool with_path = s.type == FunnelStepType::kPageView || rng() % 2;
  if (with_path) {
    s.path_match = static_cast<PathMatch>(rng() % 3);  // regex texts are checked in RegexShapes
    s.path = RandomText(rng, 40, s.path_match != PathMatch::kContains);
  }
  if (s.type == FunnelStepType::kClick) {
    if (rng() % 2) s.selector = RandomText(rng, 30, false);
    if (s.selector.empty() || rng() % 2) s.selector_hash = (uint64_t{rng()} << 32 | rng()) | 1;
  }
  if (s.type == FunnelStepType::kCustom) {
    s.name = RandomText(rng, 20, false);
    if (rng() % 2) {
      s.property = RandomText(rng, 10, false);
      s.value = rng() % 3 ? RandomText(rng, 10, false) : "";
    }
  }
  if (rng() % 3 == 0) {  // filters on distinct dimensions, any value (also "")
    const Dimension dims[] = {Dimension::kDevice, Dimension::kCountry, Dimension::kReferrer,
                              Dimension::kUtmCampaign, Dimension::kPage};
    for (size_t d = rng() % 5, n = 1 + rng() % 3; n > 0 && d < 5; --n, d += 1 + rng() % 2)
      s.filters.push_back({dims[d], rng() % 4 ? RandomText(rng, 12, false) : ""});
  }
  return s;
}

void WriteStepJson(const FunnelStep& s, JsonWriter* w) {
  w->Key("type").String(FunnelStepTypeName(s.type));
  if (!s.path.empty())
    w->Key("path").String(s.path).Key("match").String(PathMatchName(s.path_match));
  if (!s.selector.empty()) w->Key("selector").String(s.selector);
  if (s.selector_hash) w->Key("selector_hash").String(std::to_string(s.selector_hash));
  if (!s.name.empty()) w->Key("event").String(s.name);
  if (!s.property.empty()) w->Key("property").String(s.property);
  if (!s.value.empty()) w->Key("value").String(s.value);
  if (!s.filters.empty()) {
    w->Key("filters").BeginObject();
    for (const FunnelStepFilter& f : s.filters) w->Key(DimensionName(f.dimension)).String(f.value);
    w->EndObject();
  }
}

TEST(FunnelJsonTest, RandomDefinitionsRoundTrip) {
  std::mt19937 rng(20261207);
  const Dimension dims[] = {Dimension::kPage,   Dimension::kReferrer,  Dimension::kUtmSource,
                            Dimension::kDevice, Dimension::kCountry,   Dimension::kBrowser,
                            Dimension::kOs,     Dimension::kEntryPage, Dimension::kVisitorType};
  for (int iter = 0; iter < 2000; ++iter) {
    FunnelQuery want;
    want.project_id = kProject;
    const size_t n = 2 + rng() % 19;
    for (size_t i = 0; i < n; ++i) want.steps.push_back(RandomStep(rng));
    for (size_t i = 0, m = rng() % 4; i < m; ++i) {
      FunnelExclusion x;
      x.step = RandomStep(rng);
      x.from_step = 1 + rng() % (n - 1);
      x.to_step = x.from_step + 1 + rng() % (n - x.from_step);
      want.exclusions.push_back(x);
    }
    want.mode = static_cast<FunnelMode>(rng() % 3);
    want.unit = static_cast<FunnelUnit>(rng() % 2);
    want.window_ms = static_cast<int64_t>(rng() % 1000) * 3600000;
    if (rng() % 2) want.breakdown = dims[rng() % std::size(dims)];
    JsonWriter w;
    w.BeginObject().Key("definition").BeginObject().Key("steps").BeginArray();
    for (const FunnelStep& s : want.steps) {
      w.BeginObject();
      WriteStepJson(s, &w);
      w.EndObject();
    }
    w.EndArray().Key("exclusions").BeginArray();
    for (const FunnelExclusion& x : want.exclusions) {
      w.BeginObject();
      WriteStepJson(x.step, &w);
      w.Key("from_step").Uint(x.from_step).Key("to_step").Uint(x.to_step).EndObject();
    }
    w.EndArray()
        .Key("mode")
        .String(FunnelModeName(want.mode))
        .Key("unit")
        .String(FunnelUnitName(want.unit));
    w.Key("window_ms").Int(want.window_ms);
    if (want.breakdown) w.Key("breakdown").String(DimensionName(*want.breakdown));
    w.EndObject().EndObject();
    const std::string body = w.Take();
    auto f = Parse(body);
    ASSERT_TRUE(f.ok()) << f.status().ToString() << "\n" << body;
    EXPECT_EQ(f->query.steps, want.steps) << body;
    EXPECT_EQ(f->query.exclusions, want.exclusions) << body;
    EXPECT_EQ(f->query.mode, want.mode);
    EXPECT_EQ(f->query.unit, want.unit);
    EXPECT_EQ(f->query.window_ms, want.window_ms);
    EXPECT_EQ(f->query.breakdown, want.breakdown);
    // the written form parses back to the same funnel, and writes the same bytes again
    const std::string canonical = FunnelDefinitionJson(*f);
    auto again = ParseFunnelDefinition(canonical);
    ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << canonical;
    EXPECT_EQ(again->query.steps, want.steps);
    EXPECT_EQ(again->query.exclusions, want.exclusions);
    EXPECT_EQ(again->query.breakdown, want.breakdown);
    EXPECT_EQ(FunnelDefinitionJson(*again), canonical);
  }
}

// Mutated bodies (bytes flipped, cut, spliced, tokens swapped for wrong types): never a crash,
// and an accepted body is always a query every engine accepts, whose written form round-trips.
TEST(FunnelJsonTest, MutatedBodiesNeverCrashAndAcceptedOnesAreValid) {
  const std::string seed =
      R"({"from":"2024-12-01","to":"2024-12-07","definition":{"steps":[)"
      R"({"type":"page_view","path":"/blog","match":"prefix","label":"Blog"},)"
      R"({"type":"click","selector":"#buy","selector_hash":"42","path":"/pricing"},)"
      R"({"type":"custom","event":"signup","property":"plan","value":"pro"},)"
      R"({"type":"page_view","path":"^/done$","match":"regex"}],)"
      R"("exclusions":[{"type":"page_view","path":"/help","from_step":1,"to_step":3}],)"
      R"("mode":"strict","unit":"visitor","window_ms":3600000,"breakdown":"device"},)"
      R"("breakdown_limit":5,"bots":"include"})";
  ASSERT_TRUE(Parse(seed).ok());
  const std::vector<std::string> tokens = {
      "null",      "true",        "1.5",    "-7",    "\"\"",
      "[]",        "{}",          "\"x\"",  "1e400", "18446744073709551616",
      "\"(a+)+\"", "\"\\u0000\"", "[[[[[[", "}}}"};
  std::mt19937 rng(7);
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string b = seed;
    for (int k = 0, m = 1 + rng() % 4; k < m; ++k) {
      switch (rng() % 5) {
        case 0:
          b[rng() % b.size()] = static_cast<char>(rng() % 256);
          break;
        case 1:
          b.resize(rng() % b.size());
          break;
        case 2:
          b.insert(rng() % (b.size() + 1), tokens[rng() % tokens.size()]);
          break;
        case 3: {
          // swap a value after a ':' for a token of another type
          const size_t at = b.find(':', rng() % b.size());
          if (at != std::string::npos) {
            const size_t end = b.find_first_of(",}", at + 1);
            b.replace(at + 1, (end == std::string::npos ? b.size() : end) - at - 1,
                      tokens[rng() % tokens.size()]);
          }
          break;
        }
        case 4: {
          const size_t a = rng() % b.size(), len = rng() % 40;
          b.insert(rng() % (b.size() + 1), b.substr(a, len));
          break;
        }
      }
      if (b.empty()) b = "{";
    }
    auto f = Parse(b);
    if (!f.ok()) {
      EXPECT_FALSE(f.status().message().empty()) << b;
      continue;
    }
    ++accepted;
    ASSERT_TRUE(ValidateFunnelQuery(f->query).ok()) << b;
    ASSERT_EQ(f->labels.size(), f->query.steps.size());
    for (const std::string& l : f->labels) ASSERT_FALSE(l.empty()) << b;
    auto again = ParseFunnelDefinition(FunnelDefinitionJson(*f));
    ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << b;
    EXPECT_EQ(again->query.steps, f->query.steps) << b;
    EXPECT_EQ(again->query.exclusions, f->query.exclusions) << b;
  }
  std::printf("mutated funnel bodies: %d of 20000 accepted\n", accepted);
  EXPECT_GT(accepted, 100) << "the mutations should leave some bodies valid";
}

// ---- results -----------------------------------------------------------------------------

FunnelStepResult Step(uint64_t units, uint64_t total, uint64_t median, uint64_t p90 = 0) {
  FunnelStepResult s;
  s.units = units;
  s.total_ms_from_previous = total;
  s.median_ms_from_previous = median;
  s.p90_ms_from_previous = p90;
  return s;
}

TEST(FunnelJsonTest, ResultJsonHasConversionsDropOffAndTimes) {
  auto f = Parse(Body(R"([{"type":"page_view","path":"/"},{"type":"page_view","path":"/pricing"},)"
                      R"({"type":"custom","event":"signup","label":"=Signed up"}])",
                      R"(,"from":"2024-12-01","to":"2024-12-07","breakdowns":["device"])"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  FunnelResult r;
  r.steps = {Step(200, 0, 0), Step(50, 50 * 30000, 20000, 90000),
             Step(10, 10 * 61000, 60000, 65000)};
  FunnelBreakdownRow desktop;
  desktop.value = "desktop";
  desktop.steps = {Step(150, 0, 0), Step(50, 1500000, 20000), Step(10, 610000, 60000)};
  FunnelBreakdownRow mobile;
  mobile.value = "mobile";
  mobile.steps = {Step(50, 0, 0), Step(0, 0, 0), Step(0, 0, 0)};
  r.breakdown = {desktop, mobile};
  r.excluded_units = 3;
  r.time_to_convert = {4, 0, 0, 0, 0, 6, 0, 0, 0, 0};
  r.days = {{20058, 150, 10}, {20059, 0, 0}};
  EXPECT_EQ(
      FunnelResultJson(*f, r),
      R"({"from":"2024-12-01","to":"2024-12-07","mode":"sequential","unit":"session","window_ms":604800000,)"
      R"("bots":"exclude","steps":[)"
      R"({"name":"/","type":"page_view","units":200,"count":200,"conversion_from_previous":1,"conversion_from_first":1,)"
      R"("dropped":0,"drop_off_rate":0,"conv_to_next":0.25,"median_ms_from_previous":0,"p90_ms_from_previous":0,"avg_ms_from_previous":0},)"
      R"({"name":"/pricing","type":"page_view","units":50,"count":50,"conversion_from_previous":0.25,)"
      R"("conversion_from_first":0.25,"dropped":150,"drop_off_rate":0.75,"conv_to_next":0.2,)"
      R"("median_ms_from_previous":20000,"p90_ms_from_previous":90000,"avg_ms_from_previous":30000},)"
      R"({"name":"=Signed up","type":"custom","units":10,"count":10,"conversion_from_previous":0.2,)"
      R"("conversion_from_first":0.05,"dropped":40,"drop_off_rate":0.8,"conv_to_next":null,)"
      R"("median_ms_from_previous":60000,"p90_ms_from_previous":65000,"avg_ms_from_previous":61000}],)"
      R"("entered":200,"converted":10,"overall_conversion":0.05,"excluded_units":3,"time_to_convert":[)"
      R"({"from_ms":0,"to_ms":10000,"units":4},{"from_ms":10000,"to_ms":30000,"units":0},)"
      R"({"from_ms":30000,"to_ms":60000,"units":0},{"from_ms":60000,"to_ms":300000,"units":0},)"
      R"({"from_ms":300000,"to_ms":900000,"units":0},{"from_ms":900000,"to_ms":3600000,"units":6},)"
      R"({"from_ms":3600000,"to_ms":21600000,"units":0},{"from_ms":21600000,"to_ms":86400000,"units":0},)"
      R"({"from_ms":86400000,"to_ms":604800000,"units":0},{"from_ms":604800000,"to_ms":null,"units":0}],)"
      R"("trend":[{"date":"2024-12-01","entered":150,"converted":10,"conversion":0.066667},)"
      R"({"date":"2024-12-02","entered":0,"converted":0,"conversion":0}],)"
      R"("breakdowns":{"device":[)"
      R"({"value":"desktop","steps":[)"
      R"({"units":150,"count":150,"conversion_from_previous":1,"conversion_from_first":1,"dropped":0,"drop_off_rate":0,)"
      R"("conv_to_next":0.333333,"median_ms_from_previous":0,"p90_ms_from_previous":0,"avg_ms_from_previous":0},)"
      R"({"units":50,"count":50,"conversion_from_previous":0.333333,"conversion_from_first":0.333333,"dropped":100,)"
      R"("drop_off_rate":0.666667,"conv_to_next":0.2,"median_ms_from_previous":20000,"p90_ms_from_previous":0,"avg_ms_from_previous":30000},)"
      R"({"units":10,"count":10,"conversion_from_previous":0.2,"conversion_from_first":0.066667,"dropped":40,)"
      R"("drop_off_rate":0.8,"conv_to_next":null,"median_ms_from_previous":60000,"p90_ms_from_previous":0,"avg_ms_from_previous":61000}],)"
      R"("overall_conversion":0.066667},)"
      R"({"value":"mobile","steps":[)"
      R"({"units":50,"count":50,"conversion_from_previous":1,"conversion_from_first":1,"dropped":0,"drop_off_rate":0,)"
      R"("conv_to_next":0,"median_ms_from_previous":0,"p90_ms_from_previous":0,"avg_ms_from_previous":0},)"
      R"({"units":0,"count":0,"conversion_from_previous":0,"conversion_from_first":0,"dropped":50,"drop_off_rate":1,)"
      R"("conv_to_next":0,"median_ms_from_previous":0,"p90_ms_from_previous":0,"avg_ms_from_previous":0},)"
      R"({"units":0,"count":0,"conversion_from_previous":0,"conversion_from_first":0,"dropped":0,"drop_off_rate":0,)"
      R"("conv_to_next":null,"median_ms_from_previous":0,"p90_ms_from_previous":0,"avg_ms_from_previous":0}],"overall_conversion":0}]},)"
      R"("timezone":"UTC"})");
  const std::string csv = FunnelResultCsv(*f, r);
  EXPECT_EQ(csv.substr(0, csv.find("\r\n")),
            "device,step,name,units,conversion_from_previous,conversion_from_first,dropped,median_"
            "ms_from_previous,p90_ms_from_previous,avg_ms_from_previous");
  EXPECT_NE(csv.find("\r\n,3,'=Signed up,10,0.2000,0.0500,40,60000,65000,61000\r\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\r\nmobile,2,/pricing,0,0.0000,0.0000,50,0,0,0\r\n"), std::string::npos)
      << csv;
}

TEST(FunnelJsonTest, NobodyEnteredIsZerosNotNaN) {
  auto f = Parse(Body(kTwo));
  ASSERT_TRUE(f.ok());
  FunnelResult r;
  r.steps = {Step(0, 0, 0), Step(0, 0, 0)};
  const std::string json = FunnelResultJson(*f, r);
  EXPECT_EQ(json.find("nan"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("entered":0,"converted":0,"overall_conversion":0,)"), std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("breakdowns":{})"), std::string::npos) << json;
}

TEST(FunnelJsonTest, SessionAttributeBreakdowns) {
  auto entry = Parse(Body(kTwo, "", R"(,"breakdown":"entry_page")"));
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  EXPECT_EQ(entry->query.breakdown, Dimension::kEntryPage);
  auto visitor = Parse(Body(kTwo, R"(,"breakdowns":["visitor_type"])"));
  ASSERT_TRUE(visitor.ok()) << visitor.status().ToString();
  EXPECT_EQ(visitor->query.breakdown, Dimension::kVisitorType);
  // The written form names them as the API does, so a saved funnel reads back the same.
  const std::string json = FunnelDefinitionJson(*visitor);
  EXPECT_NE(json.find(R"("breakdown":"visitor_type")"), std::string::npos) << json;
  // The CSV's first column is named after the dimension; an empty entry page is "(none)".
  FunnelResult r;
  r.steps = {Step(3, 0, 0), Step(1, 0, 0)};
  r.breakdown = {{"", {Step(2, 0, 0), Step(1, 0, 0)}}, {"/blog", {Step(1, 0, 0), Step(0, 0, 0)}}};
  const std::string csv = FunnelResultCsv(*entry, r);
  EXPECT_EQ(csv.substr(0, csv.find(',')), "entry_page") << csv;
  EXPECT_NE(csv.find("\r\n(none),2,/pricing,1,0.5000,0.5000,1,0,0,0\r\n"), std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\r\n/blog,1,/,1,1.0000,1.0000,0,0,0,0\r\n"), std::string::npos) << csv;
}

}  // namespace
}  // namespace tapistry
