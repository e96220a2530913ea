#include "replay/replay_chunk.h"

#include <gtest/gtest.h>

#include "tapistry/limits.h"

namespace tapistry {
namespace {

constexpr int64_t kNow = 1723718400000;
constexpr int64_t kT0 = kNow - 10000;
const std::string kSession = "2b1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef1";

std::string Envelope(const std::string& extra = "", int64_t index = 0, int64_t from = kT0,
                     int64_t to = kT0 + 5000) {
  return R"({"k":"pk_x","v":1,"session_id":")" + kSession + R"(","chunk_index":)" +
         std::to_string(index) + R"(,"from_ms":)" + std::to_string(from) + R"(,"to_ms":)" +
         std::to_string(to) + extra;
}

std::vector<std::string> SomeEvents() {
  return {
      R"({"type":4,"data":{"href":"https://example.com/a","width":1440,"height":900},"timestamp":)" +
          std::to_string(kT0) + "}",
      R"({"type":2,"data":{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"left":0,"top":0}},"timestamp":)" +
          std::to_string(kT0 + 10) + "}",
      R"({"type":3,"data":{"source":2,"type":2,"id":7,"x":10,"y":20},"timestamp":)" +
          std::to_string(kT0 + 4000) + "}",
  };
}

std::string Json(const std::vector<std::string>& events, const std::string& env = Envelope()) {
  std::string b = env + R"(,"events":[)";
  for (size_t i = 0; i < events.size(); ++i) b += (i ? "," : "") + events[i];
  return b + "]}";
}

std::string Jsonl(const std::vector<std::string>& events, const std::string& env = Envelope()) {
  std::string b = env + "}\n";
  for (const std::string& e : events) b += e + "\n";
  return b;
}

Status Parse(const std::string& body, ReplayChunk* out = nullptr) {
  static ReplayChunkParser parser;
  ReplayChunk local;
  return parser.Parse(body, kNow, out ? out : &local);
}

TEST(ReplayChunkTest, JsonAndJsonlGiveTheSameStoredContent) {
  ReplayChunk a, b;
  ASSERT_TRUE(Parse(Json(SomeEvents()), &a).ok());
  ASSERT_TRUE(Parse(Jsonl(SomeEvents()), &b).ok());
  EXPECT_EQ(a.content, b.content);
  EXPECT_EQ(a.session_id, kSession);
  EXPECT_EQ(a.chunk_index, 0);
  EXPECT_EQ(a.from_ms, kT0);
  EXPECT_EQ(a.to_ms, kT0 + 5000);
  EXPECT_EQ(a.events, 3u);
  EXPECT_FALSE(a.truncated);
  EXPECT_EQ(a.skew_ms, 0);
  // A header line, then each event minified on its own line; the key is not stored.
  const std::string header = R"({"v":1,"session_id":")" + kSession +
                             R"(","chunk_index":0,"from_ms":)" + std::to_string(kT0) +
                             R"(,"to_ms":)" + std::to_string(kT0 + 5000) + R"(,"events":3})";
  EXPECT_EQ(a.content, header + "\n" + SomeEvents()[0] + "\n" + SomeEvents()[1] + "\n" +
                           SomeEvents()[2] + "\n");
  EXPECT_EQ(a.content.find("pk_x"), std::string::npos);
}

TEST(ReplayChunkTest, WhitespaceAndCaseDoNotChangeTheContent) {
  ReplayChunk a, b;
  ASSERT_TRUE(Parse(Json(SomeEvents()), &a).ok());
  std::string spaced = Json(SomeEvents());
  for (size_t at = spaced.find(','); at != std::string::npos; at = spaced.find(',', at + 3))
    spaced.replace(at, 1, " ,\n ");
  std::string upper = Envelope();
  upper.replace(upper.find(kSession), kSession.size(), "2B1D0C6E-9A7F-4F4E-8D1C-1A2B3C4D5EF1");
  ASSERT_TRUE(Parse(spaced, &b).ok());
  EXPECT_EQ(a.content, b.content);
  ASSERT_TRUE(Parse(Json(SomeEvents(), upper), &b).ok());
  EXPECT_EQ(b.session_id, kSession);
  EXPECT_EQ(a.content, b.content);
}

TEST(ReplayChunkTest, JsonlSkipsBlankLinesAndNamesTheBadLine) {
  std::vector<std::string> ev = SomeEvents();
  ReplayChunk c;
  ASSERT_TRUE(Parse(Envelope() + "}\n\n" + ev[0] + "\r\n\n" + ev[1] + "\n" + ev[2], &c).ok());
  EXPECT_EQ(c.events, 3u);
  Status s = Parse(Envelope() + "}\n" + ev[0] + "\n{\"type\":3,\n" + ev[2] + "\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("line 3"), std::string::npos) << s.message();
}

TEST(ReplayChunkTest, TheTruncatedMarkerIsSeen) {
  std::vector<std::string> ev = SomeEvents();
  ev.push_back(
      R"({"type":5,"data":{"tag":"tapistry.truncated","payload":{"bytes":3145728}},"timestamp":)" +
      std::to_string(kT0 + 5000) + "}");
  ReplayChunk c;
  ASSERT_TRUE(Parse(Json(ev), &c).ok());
  EXPECT_TRUE(c.truncated);
  ev.back() = R"({"type":5,"data":{"tag":"tapistry.paused"},"timestamp":)" +
              std::to_string(kT0 + 5000) + "}";
  ASSERT_TRUE(Parse(Json(ev), &c).ok());
  EXPECT_FALSE(c.truncated);
}

TEST(ReplayChunkTest, EnvelopeErrorsSayWhatIsWrong) {
  const auto ev = SomeEvents();
  struct Case {
    std::string body;
    const char* says;
  };
  const std::string sid = R"("session_id":")" + kSession + R"(")";
  const std::string t =
      R"("from_ms":)" + std::to_string(kT0) + R"(,"to_ms":)" + std::to_string(kT0 + 5000);
  for (const Case& c : std::vector<Case>{
           {"", "JSON object or JSONL"},
           {"not json", "JSON object or JSONL"},
           {"[1,2]", "JSON object"},
           {"{" + t + R"(,"chunk_index":0,"events":[]})", "session_id"},
           {R"({"session_id":"abc","chunk_index":0,)" + t + "}", "session_id"},
           {R"({"session_id":"00000000-0000-0000-0000-000000000000","chunk_index":0,)" + t + "}",
            "session_id"},
           {"{" + sid + "," + t + R"(,"events":[]})", "chunk_index"},
           {"{" + sid + R"(,"chunk_index":-1,)" + t + "}", "chunk_index"},
           {"{" + sid + R"(,"chunk_index":4000,)" + t + "}", "chunk_index"},
           {"{" + sid + R"(,"chunk_index":"1",)" + t + "}", "chunk_index"},
           {"{" + sid + R"(,"chunk_index":1.5,)" + t + "}", "chunk_index"},
           {"{" + sid + R"(,"chunk_index":0,"from_ms":)" + std::to_string(kT0 + 5) +
                R"(,"to_ms":)" + std::to_string(kT0 + 4) + "}",
            "from_ms"},
           {Json(ev, Envelope("", 0, kT0, kT0 + 3600001)), "an hour"},
           {Json(ev, Envelope("", 0, kNow - 8LL * 86400000, kNow - 8LL * 86400000 + 10)), "7 days"},
           {Json(ev, Envelope("", 0, kNow + 600000, kNow + 600010)), "future"},
           {[&] {
              std::string b = Json(ev);
              b.replace(b.find("\"v\":1"), 5, "\"v\":2");
              return b;
            }(),
            "v must be 1"},
           {Json(ev, Envelope("", 0, -9000000000000000000LL, -9000000000000000000LL + 5)),
            "7 days"},
           {Json(ev, Envelope(R"(,"sent_at":"x")")), "sent_at"},
           {Envelope() + "}", "events"},
           {Json({}), "at least one event"},
       }) {
    Status s = Parse(c.body);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.body;
    EXPECT_NE(s.message().find(c.says), std::string::npos) << c.body << " -> " << s.message();
  }
}

TEST(ReplayChunkTest, EventErrorsNameTheEvent) {
  const std::string ts = std::to_string(kT0 + 1);
  for (const auto& [event, says] : std::vector<std::pair<std::string, const char*>>{
           {"1", "must be an object"},
           {R"({"type":7,"data":{},"timestamp":)" + ts + "}", "type"},
           {R"({"type":-1,"data":{},"timestamp":)" + ts + "}", "type"},
           {R"({"data":{},"timestamp":)" + ts + "}", "type"},
           {R"({"type":0,"data":{},"timestamp":1})", "timestamp"},
           {R"({"type":0,"data":{},"timestamp":)" + std::to_string(kT0 + 5001) + "}", "timestamp"},
           {R"({"type":0,"data":{},"timestamp":1.5})", "timestamp"},
           {R"({"type":0,"data":[],"timestamp":)" + ts + "}", "data must be an object"},
           {R"({"type":2,"data":{},"timestamp":)" + ts + "}", "data.node"},
           {R"({"type":3,"data":{"source":17},"timestamp":)" + ts + "}", "data.source"},
           {R"({"type":3,"data":{},"timestamp":)" + ts + "}", "data.source"},
           {R"({"type":4,"data":{"width":1},"timestamp":)" + ts + "}", "data.href"},
           {R"({"type":5,"data":{"tag":""},"timestamp":)" + ts + "}", "data.tag"},
           {R"({"type":5,"data":{"tag":")" + std::string(65, 'x') + R"("},"timestamp":)" + ts + "}",
            "data.tag"},
       }) {
    std::vector<std::string> ev = SomeEvents();
    ev.push_back(event);
    Status s = Parse(Json(ev));
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << event;
    EXPECT_NE(s.message().find("events[3]"), std::string::npos) << event << " -> " << s.message();
    EXPECT_NE(s.message().find(says), std::string::npos) << event << " -> " << s.message();
  }
}

TEST(ReplayChunkTest, BoundsHold) {
  // Too many events.
  std::vector<std::string> many(
      limits::kMaxReplayEventsPerChunk + 1,
      R"({"type":3,"data":{"source":1},"timestamp":)" + std::to_string(kT0) + "}");
  EXPECT_EQ(Parse(Json(many)).code(), StatusCode::kTooLarge);
  many.pop_back();
  ReplayChunk c;
  EXPECT_TRUE(Parse(Json(many), &c).ok());
  EXPECT_EQ(c.events, limits::kMaxReplayEventsPerChunk);
  // Nesting deeper than the limit is refused, not a stack overflow.
  std::string deep = R"({"type":2,"data":{"node":)";
  for (size_t i = 0; i < limits::kMaxReplayJsonDepth; ++i) deep += "[";
  for (size_t i = 0; i < limits::kMaxReplayJsonDepth; ++i) deep += "]";
  deep += R"(},"timestamp":)" + std::to_string(kT0) + "}";
  EXPECT_EQ(Parse(Json({deep})).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse(Jsonl({deep})).code(), StatusCode::kInvalidArgument);
  // Invalid UTF-8 in a string.
  std::string bad = SomeEvents()[0];
  bad.replace(bad.find("example"), 1, "\xff");
  EXPECT_EQ(Parse(Json({bad})).code(), StatusCode::kInvalidArgument);
  // Over the inflated body limit.
  EXPECT_EQ(Parse(std::string(limits::kMaxReplayBody + 1, ' ')).code(), StatusCode::kTooLarge);
}

TEST(ReplayChunkTest, SentAtForgivesAWrongClock) {
  // The client's clock is 8 days behind: its times would be "old", but sent_at says so.
  const int64_t day = 86400000;
  const int64_t from = kT0 - 8 * day, to = kT0 - 8 * day + 5000;
  std::vector<std::string> ev = {R"({"type":0,"data":{},"timestamp":)" + std::to_string(from) +
                                 "}"};
  EXPECT_EQ(Parse(Json(ev, Envelope("", 0, from, to))).code(), StatusCode::kInvalidArgument);
  ReplayChunk c;
  ASSERT_TRUE(
      Parse(Json(ev, Envelope(",\"sent_at\":" + std::to_string(to + 100), 0, from, to)), &c).ok());
  EXPECT_EQ(c.skew_ms, kNow - (to + 100));
  // sent_at is not part of what is stored: a retry sent later is the same chunk.
  ReplayChunk later;
  ASSERT_TRUE(
      Parse(Json(ev, Envelope(",\"sent_at\":" + std::to_string(to + 9000), 0, from, to)), &later)
          .ok());
  EXPECT_EQ(c.content, later.content);
}

TEST(ReplayChunkTest, KeysArePerProjectSessionAndIndex) {
  EXPECT_EQ(ReplayChunkKey("p_1", kSession, 7), "replays/p_1/" + kSession + "/chunks/000007.gz");
  EXPECT_EQ(ReplayChunkKey("p_1", kSession, 3999), "replays/p_1/" + kSession + "/chunks/003999.gz");
  EXPECT_EQ(ReplaySessionPrefix("p_1", kSession), "replays/p_1/" + kSession + "/");
}

}  // namespace
}  // namespace tapistry
