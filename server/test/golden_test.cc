// Runs every golden case (golden/*.golden, golden/README.md) on the brute-force reference and on
// the embedded store, and checks both against the answer reasoned out by hand. The reference is
// thereby checked too: the conformance suite trusts it, this suite is why.
//
// The embedded store answers each case three times: from its write buffer, after a flush (from
// segments and their rollups), and in a store whose tiny buffer spread the events over many
// segments. Funnel cases run on both as well; when
// a funnel is sequential, without exclusions, on distinct timestamps, ClickHouse's windowFunnel
// (window_funnel.h) must agree with its per-step units as well.
#include "golden.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "common/temp_dir.h"
#include "reference_event_store.h"
#include "result_json.h"
#include "store/embedded/embedded_event_store.h"
#include "tapistry/clock.h"
#include "window_funnel.h"

namespace tapistry::golden {
namespace {

std::vector<std::string> Files() { return ListFiles(TAP_GOLDEN_DIR); }

class GoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<EventStore> OpenEmbedded(size_t memtable_rows) {
    EmbeddedStoreOptions opts;
    opts.dir = dir_.Sub("events" + std::to_string(++stores_));
    opts.memtable_rows = memtable_rows;
    opts.background = false;
    opts.clock = &clock_;
    auto s = OpenEmbeddedEventStore(opts);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  TempDir dir_{"tap-golden"};
  FakeClock clock_;
  int stores_ = 0;
};

// "file.golden:12" for messages; the case's comments explain the expectation.
std::string Where(const File& f, const Case& c) {
  std::string s = f.name + ":" + std::to_string(c.line);
  for (const std::string& line : c.comments) s += "\n  " + line;
  return s;
}

bool HasComment(const Case& c, std::string_view prefix) {
  return std::any_of(c.comments.begin(), c.comments.end(),
                     [&](const std::string& line) { return line.starts_with(prefix); });
}

// A valid funnel case says whether ClickHouse's windowFunnel can vouch for it: "# ClickHouse…"
// exactly when the mode is sequential, there is no exclusion and the step events of each unit
// have distinct timestamps — and then windowFunnel must give the reference's units per step —
// else "# No ClickHouse cross-check: <why>".
void ExpectClickHouseCrossCheck(const File& file, const Case& c, const Query& q,
                                reference::ReferenceEventStore& ref) {
  auto got = ref.Funnel(q.funnel);
  if (!got.ok()) return;  // a refused query has nothing to cross-check
  const auto ch = reference::WindowFunnelUnits(file.events, q.funnel);
  const bool vouched = HasComment(c, "# ClickHouse");
  EXPECT_EQ(ch.has_value(), vouched)
      << (vouched ? "a '# ClickHouse' comment on a case windowFunnel cannot check"
                  : "a sequential case on distinct timestamps needs its '# ClickHouse: "
                    "windowFunnel…' comment");
  EXPECT_NE(vouched, HasComment(c, "# No ClickHouse cross-check"));
  if (!ch) return;
  std::vector<uint64_t> units;
  for (const FunnelStepResult& s : got->steps) units.push_back(s.units);
  EXPECT_EQ(units, *ch) << "ClickHouse's windowFunnel disagrees with the reference";
}

TEST_P(GoldenTest, ReferenceAndEmbeddedGiveTheHandReasonedAnswer) {
  File file;
  const Status loaded = Load(GetParam(), &file);
  ASSERT_TRUE(loaded.ok()) << loaded.ToString();

  reference::ReferenceEventStore ref(file.events);
  auto buffered = OpenEmbedded(1 << 20);
  auto scattered = OpenEmbedded(3);
  ASSERT_NE(buffered, nullptr);
  ASSERT_NE(scattered, nullptr);
  ASSERT_TRUE(buffered->Append(file.events, 0).ok());
  for (const Event& e : file.events) ASSERT_TRUE(scattered->Append({&e, 1}, 0).ok());

  for (bool flushed : {false, true}) {
    if (flushed) {
      ASSERT_TRUE(buffered->Flush().ok());
    }
    for (const Case& c : file.cases) {
      SCOPED_TRACE(Where(file, c));
      Query q;
      const Status parsed = ParseQuery(c.query, &q);
      ASSERT_TRUE(parsed.ok()) << parsed.ToString();
      if (!flushed) {
        const std::optional<std::string> want = Answer(ref, q);
        ASSERT_TRUE(want.has_value());
        EXPECT_TRUE(SameJson(*want, c.expect)) << "the reference";
        if (q.kind == QueryKind::kFunnel) ExpectClickHouseCrossCheck(file, c, q, ref);
      }
      for (EventStore* store : {buffered.get(), scattered.get()}) {
        const std::optional<std::string> got = Answer(*store, q);
        ASSERT_TRUE(got.has_value());
        EXPECT_TRUE(SameJson(*got, c.expect))
            << (store == scattered.get() ? "embedded, many segments"
                : flushed                ? "embedded, flushed"
                                         : "embedded, write buffer");
      }
    }
  }
  EXPECT_TRUE(buffered->Close().ok());
  EXPECT_TRUE(scattered->Close().ok());
}

std::string CaseName(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = std::filesystem::path(info.param).stem().string();
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(Golden, GoldenTest, ::testing::ValuesIn(Files()), CaseName);

TEST(GoldenFilesTest, ThereAreCasesForEveryQuery) {
  std::set<QueryKind> kinds;
  size_t cases = 0, cross_checked = 0;
  for (const std::string& path : Files()) {
    File f;
    ASSERT_TRUE(Load(path, &f).ok()) << path;
    for (const Case& c : f.cases) {
      Query q;
      ASSERT_TRUE(ParseQuery(c.query, &q).ok()) << path << ":" << c.line;
      kinds.insert(q.kind);
      ++cases;
      if (q.kind == QueryKind::kFunnel && reference::WindowFunnelUnits(f.events, q.funnel))
        ++cross_checked;
    }
  }
  EXPECT_EQ(kinds.size(), 13u) << "a golden case for every query kind";
  EXPECT_GE(cases, 60u);
  EXPECT_GE(cross_checked, 20u) << "sequential funnel cases ClickHouse's windowFunnel vouches for";
}

// The loader refuses what would make a case meaningless.
TEST(GoldenFilesTest, LoaderRejectsBrokenFiles) {
  File f;
  const std::string ok_event =
      R"({"ts":"2024-08-15 10:00:00","type":"page_view","session_id":"s1","anonymous_id":"v1","path":"/a"})";
  const std::string query =
      "-- query\n{\"query\":\"overview\",\"from\":\"2024-08-15\",\"to\":\"2024-08-15\"}\n";
  EXPECT_TRUE(
      Parse("-- events\n" + ok_event + "\n" + query + "-- expect\n# why\n{}\n", "x", &f).ok());
  EXPECT_FALSE(Parse("-- events\n" + ok_event + "\n" + query + "-- expect\n{}\n", "x", &f).ok())
      << "a case without a comment saying why";
  EXPECT_FALSE(Parse("-- events\n" + ok_event + "\n" + query, "x", &f).ok()) << "no expect";
  EXPECT_FALSE(
      Parse("-- events\n{\"ts\":1,\"type\":\"page_view\"}\n" + query + "-- expect\n# w\n{}\n", "x",
            &f)
          .ok())
      << "an event the parser refuses";
  EXPECT_FALSE(Parse("-- events\n" + ok_event.substr(0, ok_event.size() - 1) + ",\"colour\":1}\n" +
                         query + "-- expect\n# w\n{}\n",
                     "x", &f)
                   .ok())
      << "a typo in a key";
  ASSERT_TRUE(
      Parse("-- events\n" + ok_event + "\n" + query + "-- expect\n# why\n{}\n", "x", &f).ok());
  ASSERT_EQ(f.events.size(), 1u);
  EXPECT_EQ(f.events[0].project_id, "p");
  EXPECT_EQ(f.events[0].path, "/a");
  EXPECT_EQ(f.events[0].url, "https://shop.example/a");
  EXPECT_EQ(f.events[0].ts_ms, int64_t{19950} * kDayMs + 10 * 3600 * 1000);
  EXPECT_EQ(f.events[0].event_id.ToString(), "00000000-0000-4000-8000-000000000001");
}

TEST(GoldenFilesTest, SameJsonComparesStructurally) {
  EXPECT_TRUE(SameJson(R"({"a":1,"b":[1,2]})", R"({ "b": [1, 2], "a": 1 })"));
  EXPECT_FALSE(SameJson(R"({"a":1,"b":[2,1]})", R"({"a":1,"b":[1,2]})"));
  EXPECT_FALSE(SameJson(R"({"a":1})", R"({"a":1,"b":2})"));
  EXPECT_FALSE(SameJson(R"({"a":1,"b":2})", R"({"a":1})"));
  EXPECT_FALSE(SameJson(R"({"a":2})", R"({"a":1})"));
  EXPECT_TRUE(SameJson(R"({"ex":0.30000001192092896})", R"({"ex":0.3})"));
  EXPECT_FALSE(SameJson(R"({"ex":0.3001})", R"({"ex":0.3})"));
  EXPECT_FALSE(SameJson(R"({"a":"1"})", R"({"a":1})"));
}

}  // namespace
}  // namespace tapistry::golden
