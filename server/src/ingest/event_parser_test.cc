#include "ingest/event_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace tapistry {
namespace {

constexpr int64_t kNow = 1723718400000;

std::string Ev(const std::string& id, const std::string& extra = "", int64_t ts = kNow - 1000) {
  return R"({"id":")" + id + R"(","ts":)" + std::to_string(ts) +
         R"(,"type":"click","session_id":"2b1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef1",)"
         R"("anonymous_id":"91d3a1b2-c3d4-4e5f-8a9b-0c1d2e3f4aaa",)"
         R"("url":"https://example.com/Pricing/?utm_source=twitter&secret=1","path":"/whatever",)"
         R"("title":"Pricing for jane@example.com","referrer":"https://twitter.com/x?y=1",)"
         R"("utm":{"source":"twitter","medium":"social","campaign":"launch"},"device":{"mobile":false},)"
         R"("viewport":{"w":1440,"h":900},"x":0.42,"y":0.77,"ex":0.5,"ey":0.25,)"
         R"("selector_hash":"133742042942","selector":"#cta","props":{"button":0,"rage":true})" +
         extra + "}";
}

std::string Id(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "4f7c1b2a-0d1e-4a5b-9c8d-%012d", n);
  return buf;
}

std::string Batch(const std::vector<std::string>& events, const std::string& head = "") {
  std::string b = "{" + head + R"("sdk":{"ver":"1.0.0"},"events":[)";
  for (size_t i = 0; i < events.size(); ++i) b += (i ? "," : "") + events[i];
  return b + "]}";
}

ParseOptions Opts() {
  ParseOptions o;
  o.now_ms = kNow;
  return o;
}

TEST(EventParserTest, ParsesAppendixAClick) {
  EventParser p;
  ParsedBatch b;
  ASSERT_TRUE(p.ParseBatch(Batch({Ev(Id(1))}, R"("k":"pk_abc",)"), Opts(), &b).ok());
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_TRUE(b.errors.empty());
  EXPECT_EQ(b.key, "pk_abc");
  const Event& e = b.events[0];
  EXPECT_EQ(e.type, EventType::kClick);
  EXPECT_EQ(e.ts_ms, kNow - 1000);
  EXPECT_EQ(e.url, "https://example.com/Pricing/?utm_source=twitter");
  EXPECT_EQ(e.path, "/pricing") << "the server recomputes the path; the client's is ignored";
  EXPECT_EQ(e.title, "Pricing for [email]");
  EXPECT_EQ(e.referrer, "https://twitter.com/x");
  EXPECT_EQ(e.utm_source, "twitter");
  EXPECT_EQ(e.utm_campaign, "launch");
  EXPECT_EQ(e.viewport_w, 1440);
  EXPECT_FLOAT_EQ(e.x, 0.42f);
  EXPECT_FLOAT_EQ(e.ey, 0.25f);
  EXPECT_EQ(e.selector_hash, 133742042942u);
  EXPECT_EQ(e.selector, "#cta");
  EXPECT_EQ(e.flags, kFlagRage);
  EXPECT_EQ(e.props, R"({"button":0,"rage":true})");
}

TEST(EventParserTest, ClickFlagsFromProps) {
  // props.fixed marks a click on a fixed / sticky element; a key given twice keeps the last value
  // (JSON object semantics of the props writer) and non-boolean values set no flag.
  EventParser p;
  ParsedBatch b;
  auto props = [](const std::string& body) {
    std::string e = Ev(Id(1));
    e.replace(e.find(R"("props":{)"), std::string(R"("props":{"button":0,"rage":true})").size(),
              R"("props":)" + body);
    return e;
  };
  ASSERT_TRUE(
      p.ParseBatch(
           Batch({props(R"({"fixed":true})"), props(R"({"fixed":true,"dead":true,"rage":true})"),
                  props(R"({"fixed":"yes","dead":1})"), props(R"({"fixed":false})")}),
           Opts(), &b)
          .ok());
  ASSERT_EQ(b.events.size(), 4u);
  EXPECT_EQ(b.events[0].flags, kFlagFixed);
  EXPECT_EQ(b.events[1].flags, kFlagFixed | kFlagDead | kFlagRage);
  EXPECT_EQ(b.events[2].flags, 0);
  EXPECT_EQ(b.events[3].flags, 0);
}

TEST(EventParserTest, KeepsValidEventsAroundBadOnes) {
  EventParser p;
  ParsedBatch b;
  std::string deep = std::string(100, '[') + std::string(100, ']');
  ASSERT_TRUE(
      p.ParseBatch(Batch({Ev(Id(1)), Ev("not-a-uuid"), Ev(Id(3), R"(,"viewport":{"w":-1,"h":2})"),
                          Ev(Id(4), R"(,"props":{"deep":)" + deep + "}"), Ev(Id(5))}),
                   Opts(), &b)
          .ok());
  ASSERT_EQ(b.events.size(), 2u);
  ASSERT_EQ(b.errors.size(), 3u);
  EXPECT_EQ(b.errors[0].index, 1u);
  EXPECT_EQ(b.errors[0].field, "id");
  EXPECT_EQ(b.errors[1].field, "viewport.w");
  EXPECT_EQ(b.errors[2].field, "props");
  EXPECT_EQ(b.event_index, (std::vector<size_t>{0, 4}));
}

TEST(EventParserTest, InvalidUtf8RejectsOnlyThatEvent) {
  EventParser p;
  ParsedBatch b;
  std::string bad = Ev(Id(2));
  bad.replace(bad.find("Pricing for"), 3, "\xC3\x28x");
  ASSERT_TRUE(p.ParseBatch(Batch({Ev(Id(1)), bad, Ev(Id(3))}), Opts(), &b).ok());
  EXPECT_EQ(b.events.size(), 2u);
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_EQ(b.errors[0].index, 1u);
  EXPECT_EQ(b.errors[0].reason, "invalid UTF-8");
}

TEST(EventParserTest, DropsSelfReferrals) {
  EventParser p;
  ParsedBatch b;
  std::string e = Ev(Id(1));
  e.replace(e.find("https://twitter.com/x?y=1"), 25, "https://EXAMPLE.com/blog");
  ASSERT_TRUE(p.ParseBatch(Batch({e}), Opts(), &b).ok());
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0].referrer, "");
}

TEST(EventParserTest, WholeBodyErrors) {
  EventParser p;
  ParsedBatch b;
  EXPECT_EQ(p.ParseBatch("{\"events\":[", Opts(), &b).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(p.ParseBatch("[]", Opts(), &b).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(p.ParseBatch("{\"events\":{}}", Opts(), &b).code(), StatusCode::kInvalidArgument);
  std::vector<std::string> many(501, "{}");
  EXPECT_EQ(p.ParseBatch(Batch(many), Opts(), &b).code(), StatusCode::kTooLarge);
  std::string deep = "{\"events\":" + std::string(5000, '[') + std::string(5000, ']') + "}";
  EXPECT_EQ(p.ParseBatch(deep, Opts(), &b).code(), StatusCode::kInvalidArgument);
}

TEST(EventParserTest, CorrectsClockSkewFromSentAt) {
  EventParser p;
  ParsedBatch b;
  // The client clock runs 1 h behind: its ts and sent_at are both an hour early.
  int64_t hour = 3600000;
  std::string body = Batch({Ev(Id(1), "", kNow - hour - 500)},
                           R"("sent_at":)" + std::to_string(kNow - hour) + ",");
  ASSERT_TRUE(p.ParseBatch(body, Opts(), &b).ok());
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.skew_ms, hour);
  EXPECT_EQ(b.events[0].ts_ms, kNow - 500);
}

TEST(EventParserTest, RejectsTimesOutsideTheWindowUnlessImporting) {
  EventParser p;
  ParsedBatch b;
  int64_t old = kNow - 30LL * 86400000;
  ASSERT_TRUE(p.ParseBatch(Batch({Ev(Id(1), "", old)}), Opts(), &b).ok());
  EXPECT_EQ(b.events.size(), 0u);
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_EQ(b.errors[0].field, "ts");
  Event e;
  EventError err;
  size_t unknown = 0;
  ParseOptions io = Opts();
  io.import_mode = true;
  EXPECT_TRUE(p.ParseOne(Ev(Id(1), R"(,"device_class":"tablet","country":"DE","bot_score":7)", old),
                         io, &e, &err, &unknown))
      << err.reason;
  EXPECT_EQ(e.device_class, DeviceClass::kTablet);
  EXPECT_EQ(std::string(e.country, 2), "DE");
  EXPECT_EQ(e.bot_score, 7);
  // Server-side fields are not accepted from browsers.
  ASSERT_TRUE(p.ParseBatch(Batch({Ev(Id(2), R"(,"country":"DE")")}), Opts(), &b).ok());
  EXPECT_EQ(b.events[0].country[0], 0);
  EXPECT_EQ(b.unknown_keys, 1u);
}

TEST(EventParserTest, ScrollNeedsDepthAndCustomNeedsName) {
  EventParser p;
  ParsedBatch b;
  std::string scroll = Ev(Id(1));
  scroll.replace(scroll.find("\"click\""), 7, "\"scroll\"");
  ASSERT_TRUE(p.ParseBatch(Batch({scroll}), Opts(), &b).ok());
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_EQ(b.errors[0].field, "props.max_depth_pct");
  std::string ok = Ev(Id(2));
  ok.replace(ok.find("\"click\""), 7, "\"scroll\"");
  ok.replace(ok.find("\"button\":0"), 10, "\"max_depth_pct\":62.4");
  ASSERT_TRUE(p.ParseBatch(Batch({ok}), Opts(), &b).ok());
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0].depth_pct, 62);
  std::string custom = Ev(Id(3));
  custom.replace(custom.find("\"click\""), 7, "\"custom\"");
  ASSERT_TRUE(p.ParseBatch(Batch({custom}), Opts(), &b).ok());
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_EQ(b.errors[0].field, "name");
}

TEST(EventParserTest, RedactsPiiInPropsAndSelectors) {
  EventParser p;
  ParsedBatch b;
  std::string e = Ev(Id(1), "");
  e.replace(e.find("\"#cta\""), 6, "\"#u-bob@corp.io\"");
  e.replace(e.find("\"button\":0"), 10, "\"note\":\"card 4111 1111 1111 1111\"");
  ASSERT_TRUE(p.ParseBatch(Batch({e}), Opts(), &b).ok());
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0].selector, "#[email]");
  EXPECT_EQ(b.events[0].props, R"({"note":"card [card]","rage":true})");
}

TEST(RepairUtf8Test, ReplacesOnlyInvalidSequences) {
  std::string out;
  EXPECT_EQ(RepairUtf8("ok \xC3\xA9 \xFF end", &out), 1u);
  EXPECT_EQ(out, "ok \xC3\xA9 \xEF\xB7\x90 end");
  EXPECT_EQ(RepairUtf8("\xED\xA0\x80", &out), 3u) << "surrogates are invalid in UTF-8";
}

}  // namespace
}  // namespace tapistry
