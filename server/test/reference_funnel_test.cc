// The brute-force funnel reference on random data: on distinct timestamps its sequential mode
// must agree with ClickHouse's windowFunnel (window_funnel.h, a different algorithm), and every
// mode must keep the relations funnel.h implies — strict <= sequential <= any order per step,
// the same step-1 units in every mode, units never increasing, exclusions only removing units,
// breakdown rows summing to the totals. The golden cases pin the exact numbers; this looks for
// the cases nobody thought of.
#include <gtest/gtest.h>

#include <random>

#include "reference_event_store.h"
#include "window_funnel.h"

namespace tapistry::reference {
namespace {

constexpr int32_t kDay0 = 19950;  // 2024-08-15
constexpr int64_t kT0 = int64_t{kDay0} * kDayMs;

// Visitors with a few sessions each, page views on four paths, a click now and then; with
// `ties`, consecutive events sometimes share a millisecond.
std::vector<Event> RandomUnits(std::mt19937_64& rng, bool ties) {
  const char* paths[] = {"/a", "/b", "/c", "/d"};
  const DeviceClass devices[] = {DeviceClass::kDesktop, DeviceClass::kMobile};
  std::vector<Event> out;
  uint64_t next_id = 1;
  for (uint64_t visitor = 1; visitor <= 40; ++visitor) {
    int64_t t = kT0 + static_cast<int64_t>(rng() % (2 * kDayMs));
    const int sessions = 1 + static_cast<int>(rng() % 3);
    for (int s = 0; s < sessions; ++s) {
      const uint64_t session = visitor * 10 + static_cast<uint64_t>(s);
      const int n = 1 + static_cast<int>(rng() % 6);
      for (int k = 0; k < n; ++k) {
        Event e;
        e.project_id = rng() % 25 == 0 ? "other" : "p";
        e.ts_ms = t;
        e.event_id = Uuid{0xf000, next_id++};
        e.session_id = Uuid{0x5000, session};
        e.anonymous_id = Uuid{0xa000, visitor};
        e.type = rng() % 6 == 0 ? EventType::kClick : EventType::kPageView;
        e.path = paths[rng() % 4];
        e.device_class = devices[rng() % 2];
        e.props = "{}";
        out.push_back(e);
        t += ties && rng() % 3 == 0 ? 0 : 1 + static_cast<int64_t>(rng() % (20 * 60 * 1000));
      }
      t += static_cast<int64_t>(rng() % (8 * 3600 * 1000));  // the next session
    }
  }
  return out;
}

FunnelQuery RandomQuery(std::mt19937_64& rng) {
  const char* paths[] = {"/a", "/b", "/c"};
  const int64_t windows[] = {0, 60000, 600000, 3600000, 86400000};
  FunnelQuery q;
  q.project_id = "p";
  q.from_day = kDay0 + static_cast<int32_t>(rng() % 2);
  q.to_day = q.from_day + static_cast<int32_t>(rng() % 2);
  const int steps = 1 + static_cast<int>(rng() % 4);
  for (int s = 0; s < steps; ++s) {
    FunnelStep step;
    step.path = paths[rng() % 3];
    q.steps.push_back(step);
  }
  q.window_ms = windows[rng() % 5];
  q.unit = rng() % 2 ? FunnelUnit::kSession : FunnelUnit::kVisitor;
  return q;
}

std::vector<uint64_t> Units(const FunnelResult& r) {
  std::vector<uint64_t> u;
  for (const FunnelStepResult& s : r.steps) u.push_back(s.units);
  return u;
}

std::string Describe(const FunnelQuery& q) {
  std::string s = std::string(FunnelUnitName(q.unit)) + " window=" + std::to_string(q.window_ms) +
                  " days=" + std::to_string(q.from_day - kDay0) + ".." +
                  std::to_string(q.to_day - kDay0) + " steps=";
  for (const FunnelStep& step : q.steps) s += step.path + " ";
  return s;
}

TEST(ReferenceFunnelTest, SequentialAgreesWithClickHouseWindowFunnelOnDistinctTimestamps) {
  std::mt19937_64 rng(5);
  int compared = 0, converted = 0;
  for (int round = 0; round < 40; ++round) {
    const std::vector<Event> events = RandomUnits(rng, /*ties=*/false);
    for (int k = 0; k < 10; ++k) {
      const FunnelQuery q = RandomQuery(rng);
      auto got = ComputeFunnel(events, q);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      const auto ch = WindowFunnelUnits(events, q);
      ASSERT_TRUE(ch.has_value());
      EXPECT_EQ(Units(*got), *ch) << Describe(q);
      ++compared;
      if (q.steps.size() >= 2 && got->steps.back().units > 0) ++converted;
    }
  }
  EXPECT_EQ(compared, 400);
  EXPECT_GT(converted, 100) << "enough multi-step funnels that someone completes";
}

TEST(ReferenceFunnelTest, ModesExclusionsAndBreakdownsKeepTheirRelations) {
  std::mt19937_64 rng(9);
  for (int round = 0; round < 30; ++round) {
    const std::vector<Event> events = RandomUnits(rng, /*ties=*/round % 2 == 0);
    for (int k = 0; k < 8; ++k) {
      FunnelQuery q = RandomQuery(rng);
      SCOPED_TRACE(Describe(q));
      std::vector<std::vector<uint64_t>> by_mode;
      for (FunnelMode mode :
           {FunnelMode::kStrict, FunnelMode::kSequential, FunnelMode::kAnyOrder}) {
        q.mode = mode;
        auto r = ComputeFunnel(events, q);
        ASSERT_TRUE(r.ok());
        by_mode.push_back(Units(*r));
        for (size_t s = 1; s < r->steps.size(); ++s)
          EXPECT_LE(r->steps[s].units, r->steps[s - 1].units);
        EXPECT_EQ(r->steps[0].total_ms_from_previous, 0u);
      }
      for (size_t s = 0; s < q.steps.size(); ++s) {
        EXPECT_LE(by_mode[0][s], by_mode[1][s]) << "strict <= sequential at step " << s + 1;
        EXPECT_LE(by_mode[1][s], by_mode[2][s]) << "sequential <= any order at step " << s + 1;
      }
      EXPECT_EQ(by_mode[0][0], by_mode[2][0]) << "step 1 is the same in every mode";

      // An exclusion removes whole units and changes nothing else.
      q.mode = FunnelMode::kSequential;
      auto plain = ComputeFunnel(events, q);
      ASSERT_TRUE(plain.ok());
      if (q.steps.size() >= 2) {
        FunnelQuery x = q;
        FunnelStep d;
        d.path = "/d";
        x.exclusions.push_back({d, 1, q.steps.size()});
        auto excluded = ComputeFunnel(events, x);
        ASSERT_TRUE(excluded.ok());
        EXPECT_EQ(excluded->steps[0].units + excluded->excluded_units, plain->steps[0].units);
        for (size_t s = 0; s < q.steps.size(); ++s) {
          EXPECT_LE(excluded->steps[s].units, plain->steps[s].units);
        }
        const uint64_t reached_last = plain->steps.back().units;
        EXPECT_LE(excluded->excluded_units, reached_last)
            << "only units reaching to_step can leave";
      }

      // Breakdown rows partition the units, with the same times.
      FunnelQuery b = q;
      b.breakdown = Dimension::kDevice;
      auto split = ComputeFunnel(events, b);
      ASSERT_TRUE(split.ok());
      EXPECT_EQ(Units(*split), Units(*plain));
      for (size_t s = 0; s < q.steps.size(); ++s) {
        uint64_t units = 0, total = 0;
        for (const FunnelBreakdownRow& row : split->breakdown) {
          units += row.steps[s].units;
          total += row.steps[s].total_ms_from_previous;
        }
        EXPECT_EQ(units, plain->steps[s].units);
        EXPECT_EQ(total, plain->steps[s].total_ms_from_previous);
      }
    }
  }
}

TEST(ReferenceFunnelTest, RefusesInvalidQueries) {
  FunnelQuery q;
  q.project_id = "p";
  q.from_day = q.to_day = kDay0;
  EXPECT_FALSE(ComputeFunnel({}, q).ok()) << "no steps";
  q.steps.push_back(FunnelStep{});
  EXPECT_FALSE(ComputeFunnel({}, q).ok()) << "a page step without a path";
  q.steps[0].path = "/a";
  EXPECT_TRUE(ComputeFunnel({}, q).ok());
  q.window_ms = -1;
  EXPECT_FALSE(ComputeFunnel({}, q).ok());
  q.window_ms = kMaxFunnelWindowMs + 1;
  EXPECT_FALSE(ComputeFunnel({}, q).ok());
  q.window_ms = 1000;
  q.breakdown = Dimension::kEntryPage;  // a session attribute, since issue 11's breakdowns
  EXPECT_TRUE(ComputeFunnel({}, q).ok());
  q.breakdown = Dimension::kVisitorType;
  EXPECT_TRUE(ComputeFunnel({}, q).ok());
  q.breakdown = static_cast<Dimension>(static_cast<int>(Dimension::kVisitorType) + 1);
  EXPECT_FALSE(ComputeFunnel({}, q).ok()) << "not a dimension";
  q.breakdown.reset();
  q.steps[0].filters = {{Dimension::kVisitorType, "first"}};
  EXPECT_FALSE(ComputeFunnel({}, q).ok()) << "a filter on a session attribute";
  q.steps[0].filters.clear();
  q.steps.assign(kMaxFunnelSteps + 1, q.steps[0]);
  EXPECT_FALSE(ComputeFunnel({}, q).ok());
  q.steps.resize(2);
  q.steps[1].type = FunnelStepType::kClick;
  q.steps[1].path.clear();
  EXPECT_FALSE(ComputeFunnel({}, q).ok()) << "a click step without selector or hash";
  q.steps[1].selector_hash = 9;
  EXPECT_TRUE(ComputeFunnel({}, q).ok());
  q.steps[1].property = "plan";
  EXPECT_FALSE(ComputeFunnel({}, q).ok()) << "a property condition on a click";
}

}  // namespace
}  // namespace tapistry::reference
