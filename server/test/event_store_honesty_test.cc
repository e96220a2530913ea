// Proves that the conformance checks (event_store_compare.h) and the golden cases reject wrong
// backends — the point of issue 9: before it, the expected answers were computed by the
// backend's own base class over its own ListEvents, so a backend that answered nothing itself
// passed, and a ListEvents bug was copied into the expected answer.
//
// Three wrong backends:
//  - EmptyEventStore accepts events and answers every query with an empty/default value;
//  - SabotagedStore is right about everything except one query kind (once per kind);
//  - ListEventsDerivedStore loses events in ListEvents and computes every answer from its own
//    ListEvents, as the old default bodies did — self-consistent, and wrong.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <set>

#include "event_store_compare.h"
#include "golden.h"
#include "reference_event_store.h"
#include "result_json.h"
#include "test_events.h"

namespace tapistry::conformance {
namespace {

// Every call but Append and the queries, answered as by a store that persists and reports
// nothing: the wrong stores deriving from it are caught by their queries, never by these.
class QueriesOnly : public EventStore {
 public:
  Status Flush() override { return Status::Ok(); }
  uint64_t PersistedSeq() const override { return 0; }
  Status ScanEventIds(int64_t, const std::function<void(const Uuid&, int64_t)>&) override {
    return Status::Ok();
  }
  Result<uint64_t> DeleteSubject(const std::string&, const std::optional<Uuid>&,
                                 const std::optional<std::string>&) override {
    return uint64_t{0};
  }
  Result<std::vector<Uuid>> SubjectSessions(const std::string&, const std::optional<Uuid>&,
                                            const std::optional<std::string>&) override {
    return std::vector<Uuid>();
  }
  Result<std::vector<Event>> SubjectEvents(const std::string&, const std::optional<Uuid>&,
                                           const std::optional<std::string>&) override {
    return std::vector<Event>();
  }
  Result<uint64_t> ApplyRetention(const std::string&, int32_t, int) override { return uint64_t{0}; }
  std::vector<StoreGauge> Gauges() const override { return {}; }
  Status Close() override { return Status::Ok(); }
};

// Takes every event, knows nothing.
class EmptyEventStore final : public QueriesOnly {
 public:
  Status Append(std::span<const Event>, uint64_t) override { return Status::Ok(); }
  Result<OverviewResult> Overview(const OverviewQuery&) override { return OverviewResult(); }
  Result<HeatmapResult> Heatmap(const HeatmapQuery&) override { return HeatmapResult(); }
  Result<ScrollMapResult> ScrollMap(const EventFilter&) override { return ScrollMapResult(); }
  Result<ElementsResult> TopElements(const EventFilter&, size_t) override {
    return ElementsResult();
  }
  Result<ElementHeatmapResult> ElementHeatmap(const HeatmapQuery&, size_t) override {
    return ElementHeatmapResult();
  }
  Result<std::vector<LayoutCount>> Layouts(const EventFilter&) override {
    return std::vector<LayoutCount>();
  }
  Result<FunnelResult> Funnel(const FunnelQuery&) override { return FunnelResult(); }
  Result<FunnelMembersResult> FunnelMembers(const FunnelMembersQuery&) override {
    return FunnelMembersResult();
  }
  Result<BreakdownResult> Breakdown(const EventFilter&, Dimension, size_t) override {
    return BreakdownResult();
  }
  Result<std::vector<PathCount>> Paths(const EventFilter&, const std::string&, size_t) override {
    return std::vector<PathCount>();
  }
  Result<uint64_t> LiveVisitors(const std::string&, int64_t, bool) override { return uint64_t{0}; }
  Result<std::vector<Event>> ListEvents(const EventFilter&, std::optional<EventType>,
                                        size_t) override {
    return std::vector<Event>();
  }
};

// A correct store's write side and operator's calls (the reference's): the wrong stores below
// differ from it in their queries alone, which each one answers through good_ its own way.
class OverReference : public EventStore {
 public:
  explicit OverReference(std::vector<Event> events) : good_(std::move(events)) {}
  Status Append(std::span<const Event> e, uint64_t s) override { return good_.Append(e, s); }
  Status Flush() override { return good_.Flush(); }
  uint64_t PersistedSeq() const override { return good_.PersistedSeq(); }
  Status ScanEventIds(int64_t since, const std::function<void(const Uuid&, int64_t)>& fn) override {
    return good_.ScanEventIds(since, fn);
  }
  Result<uint64_t> DeleteSubject(const std::string& p, const std::optional<Uuid>& a,
                                 const std::optional<std::string>& u) override {
    return good_.DeleteSubject(p, a, u);
  }
  Result<std::vector<Uuid>> SubjectSessions(const std::string& p, const std::optional<Uuid>& a,
                                            const std::optional<std::string>& u) override {
    return good_.SubjectSessions(p, a, u);
  }
  Result<std::vector<Event>> SubjectEvents(const std::string& p, const std::optional<Uuid>& a,
                                           const std::optional<std::string>& u) override {
    return good_.SubjectEvents(p, a, u);
  }
  Result<uint64_t> ApplyRetention(const std::string& p, int32_t today, int keep) override {
    return good_.ApplyRetention(p, today, keep);
  }
  std::vector<StoreGauge> Gauges() const override { return good_.Gauges(); }
  Status Close() override { return Status::Ok(); }

 protected:
  reference::ReferenceEventStore good_;
};

// Delegates to a correct store, except that the query named `broken` answers a default value.
class SabotagedStore final : public OverReference {
 public:
  SabotagedStore(std::vector<Event> events, std::string broken)
      : OverReference(std::move(events)), broken_(std::move(broken)) {}

  Result<OverviewResult> Overview(const OverviewQuery& q) override {
    return broken_ == "overview" ? OverviewResult() : good_.Overview(q);
  }
  Result<HeatmapResult> Heatmap(const HeatmapQuery& q) override {
    return broken_ == "heatmap" ? HeatmapResult() : good_.Heatmap(q);
  }
  Result<ScrollMapResult> ScrollMap(const EventFilter& f) override {
    return broken_ == "scrollmap" ? ScrollMapResult() : good_.ScrollMap(f);
  }
  Result<ElementsResult> TopElements(const EventFilter& f, size_t limit) override {
    return broken_ == "elements" ? ElementsResult() : good_.TopElements(f, limit);
  }
  Result<ElementHeatmapResult> ElementHeatmap(const HeatmapQuery& q, size_t limit) override {
    return broken_ == "element_heatmap" ? ElementHeatmapResult() : good_.ElementHeatmap(q, limit);
  }
  Result<std::vector<LayoutCount>> Layouts(const EventFilter& f) override {
    return broken_ == "layouts" ? std::vector<LayoutCount>() : good_.Layouts(f);
  }
  Result<FunnelResult> Funnel(const FunnelQuery& q) override {
    return broken_ == "funnel" ? FunnelResult() : good_.Funnel(q);
  }
  Result<FunnelMembersResult> FunnelMembers(const FunnelMembersQuery& q) override {
    return broken_ == "funnel_members" ? FunnelMembersResult() : good_.FunnelMembers(q);
  }
  Result<BreakdownResult> Breakdown(const EventFilter& f, Dimension d, size_t limit) override {
    return broken_ == "breakdown" ? BreakdownResult() : good_.Breakdown(f, d, limit);
  }
  Result<std::vector<PathCount>> Paths(const EventFilter& f, const std::string& c,
                                       size_t limit) override {
    return broken_ == "paths" ? std::vector<PathCount>() : good_.Paths(f, c, limit);
  }
  Result<uint64_t> LiveVisitors(const std::string& p, int64_t since, bool bots) override {
    return broken_ == "live_visitors" ? uint64_t{0} : good_.LiveVisitors(p, since, bots);
  }
  Result<std::vector<Event>> ListEvents(const EventFilter& f, std::optional<EventType> t,
                                        size_t limit) override {
    return broken_ == "list_events" ? std::vector<Event>() : good_.ListEvents(f, t, limit);
  }

 private:
  const std::string broken_;
};

// The old contract's failure mode: ListEvents silently drops the deepest scrolls (a plausible
// decoding bug), and every analytics answer is computed from what ListEvents returns.
class ListEventsDerivedStore final : public QueriesOnly {
 public:
  explicit ListEventsDerivedStore(std::vector<Event> events) : rows_(std::move(events)) {}

  Result<std::vector<Event>> ListEvents(const EventFilter& f, std::optional<EventType> type,
                                        size_t limit) override {
    auto all = rows_.ListEvents(f, type, limit);
    if (!all.ok()) return all;
    std::erase_if(
        *all, [](const Event& e) { return e.type == EventType::kScroll && e.depth_pct == 100; });
    return all;
  }
  // What EventStore's default bodies used to do: the reference semantics over ListEvents.
  reference::ReferenceEventStore FromOwnRows(const std::string& project) {
    EventFilter all;
    all.project_id = project;
    all.from_day = INT32_MIN / 2;
    all.to_day = INT32_MAX / 2;
    all.include_bots = true;
    auto rows = ListEvents(all, std::nullopt, SIZE_MAX);
    return reference::ReferenceEventStore(rows.ok() ? *rows : std::vector<Event>());
  }
  Result<OverviewResult> Overview(const OverviewQuery& q) override {
    return FromOwnRows(q.filter.project_id).Overview(q);
  }
  Result<HeatmapResult> Heatmap(const HeatmapQuery& q) override {
    return FromOwnRows(q.filter.project_id).Heatmap(q);
  }
  Result<ScrollMapResult> ScrollMap(const EventFilter& f) override {
    return FromOwnRows(f.project_id).ScrollMap(f);
  }
  Result<ElementsResult> TopElements(const EventFilter& f, size_t limit) override {
    return FromOwnRows(f.project_id).TopElements(f, limit);
  }
  Result<ElementHeatmapResult> ElementHeatmap(const HeatmapQuery& q, size_t limit) override {
    return FromOwnRows(q.filter.project_id).ElementHeatmap(q, limit);
  }
  Result<std::vector<LayoutCount>> Layouts(const EventFilter& f) override {
    return FromOwnRows(f.project_id).Layouts(f);
  }
  Result<FunnelResult> Funnel(const FunnelQuery& q) override {
    return FromOwnRows(q.project_id).Funnel(q);
  }
  Result<FunnelMembersResult> FunnelMembers(const FunnelMembersQuery& q) override {
    return FromOwnRows(q.funnel.project_id).FunnelMembers(q);
  }
  Result<BreakdownResult> Breakdown(const EventFilter& f, Dimension d, size_t limit) override {
    return FromOwnRows(f.project_id).Breakdown(f, d, limit);
  }
  Result<std::vector<PathCount>> Paths(const EventFilter& f, const std::string& c,
                                       size_t limit) override {
    return FromOwnRows(f.project_id).Paths(f, c, limit);
  }
  Result<uint64_t> LiveVisitors(const std::string& p, int64_t since, bool bots) override {
    return FromOwnRows(p).LiveVisitors(p, since, bots);
  }
  Status Append(std::span<const Event> e, uint64_t s) override { return rows_.Append(e, s); }

 private:
  reference::ReferenceEventStore rows_;
};

// Right about everything but the bot filter: every query answers as if include_bots were set.
class BotBlindStore final : public OverReference {
 public:
  explicit BotBlindStore(std::vector<Event> events) : OverReference(std::move(events)) {}
  static EventFilter Blind(EventFilter f) {
    f.include_bots = true;
    return f;
  }
  Result<OverviewResult> Overview(const OverviewQuery& q) override {
    OverviewQuery b = q;
    b.filter = Blind(q.filter);
    return good_.Overview(b);
  }
  Result<HeatmapResult> Heatmap(const HeatmapQuery& q) override {
    return good_.Heatmap(HeatmapQuery{Blind(q.filter), q.kind});
  }
  Result<ScrollMapResult> ScrollMap(const EventFilter& f) override {
    return good_.ScrollMap(Blind(f));
  }
  Result<ElementsResult> TopElements(const EventFilter& f, size_t limit) override {
    return good_.TopElements(Blind(f), limit);
  }
  Result<ElementHeatmapResult> ElementHeatmap(const HeatmapQuery& q, size_t limit) override {
    return good_.ElementHeatmap(HeatmapQuery{Blind(q.filter), q.kind}, limit);
  }
  Result<std::vector<LayoutCount>> Layouts(const EventFilter& f) override {
    return good_.Layouts(Blind(f));
  }
  Result<FunnelResult> Funnel(const FunnelQuery& q) override {
    FunnelQuery b = q;
    b.include_bots = true;
    return good_.Funnel(b);
  }
  Result<FunnelMembersResult> FunnelMembers(const FunnelMembersQuery& q) override {
    FunnelMembersQuery b = q;
    b.funnel.include_bots = true;
    return good_.FunnelMembers(b);
  }
  Result<BreakdownResult> Breakdown(const EventFilter& f, Dimension d, size_t limit) override {
    return good_.Breakdown(Blind(f), d, limit);
  }
  Result<std::vector<PathCount>> Paths(const EventFilter& f, const std::string& c,
                                       size_t limit) override {
    return good_.Paths(Blind(f), c, limit);
  }
  Result<uint64_t> LiveVisitors(const std::string& p, int64_t since, bool) override {
    return good_.LiveVisitors(p, since, true);
  }
  Result<std::vector<Event>> ListEvents(const EventFilter& f, std::optional<EventType> t,
                                        size_t limit) override {
    return good_.ListEvents(Blind(f), t, limit);
  }
};

// The query kind a Mismatches entry is about ("breakdown referrer limit=2: ..." -> "breakdown").
std::string KindOf(const std::string& mismatch) {
  return mismatch.substr(0, mismatch.find_first_of(" :"));
}

const std::vector<std::string> kKinds = {
    "overview",  "heatmap", "scrollmap", "elements",       "element_heatmap", "layouts",
    "breakdown", "paths",   "funnel",    "funnel_members", "list_events"};

class HonestyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    events_ = RandomTraffic(31, "p", 150, 4);
    ASSERT_TRUE(ref_.Append(events_, 0).ok());
  }
  EventFilter All() const {
    EventFilter f;
    f.project_id = "p";
    f.from_day = kDay0;
    f.to_day = kDay0 + 3;
    return f;
  }
  std::vector<Event> events_;
  reference::ReferenceEventStore ref_;
};

TEST_F(HonestyTest, TheReferenceAgreesWithItselfSoTheChecksCanPass) {
  reference::ReferenceEventStore twin(events_);
  for (const EventFilter& f : FilterMatrix("p", kDay0, kDay0 + 3))
    EXPECT_TRUE(SameAnswers(twin, ref_, f));
}

TEST_F(HonestyTest, AStoreThatAnswersNothingIsRejectedByEveryQueryKind) {
  EmptyEventStore empty;
  ASSERT_TRUE(empty.Append(events_, 0).ok());
  const std::vector<std::string> diffs = Mismatches(empty, ref_, All());
  std::set<std::string> kinds;
  for (const std::string& d : diffs) kinds.insert(KindOf(d));
  for (const std::string& k : kKinds) EXPECT_TRUE(kinds.count(k)) << k << " did not catch it";
  EXPECT_FALSE(LiveVisitorMismatches(empty, ref_, "p", {kT0}).empty());
  // And the suite's own assertion fails on it, on every filter that selects anything.
  for (const EventFilter& f : FilterMatrix("p", kDay0, kDay0 + 3)) {
    if (f.path == "/nowhere" || f.from_day > f.to_day || f.from_day > kDay0 + 3) continue;
    EXPECT_NONFATAL_FAILURE(EXPECT_TRUE(SameAnswers(empty, ref_, f)),
                            "disagree with the reference");
  }
}

TEST_F(HonestyTest, OneWrongQueryKindIsCaughtByItsOwnCheck) {
  for (const std::string& broken : kKinds) {
    SCOPED_TRACE(broken);
    SabotagedStore store(events_, broken);
    const std::vector<std::string> diffs = Mismatches(store, ref_, All());
    ASSERT_FALSE(diffs.empty());
    for (const std::string& d : diffs) EXPECT_EQ(KindOf(d), broken) << d;
  }
  SabotagedStore live(events_, "live_visitors");
  EXPECT_TRUE(Mismatches(live, ref_, All()).empty());
  EXPECT_FALSE(LiveVisitorMismatches(live, ref_, "p", {kT0}).empty());
}

// The random traffic holds bots, and every check asks with and without them: a store that
// forgets the filter is caught by every query kind (and only without bots).
TEST_F(HonestyTest, AStoreThatForgetsTheBotFilterIsCaughtByEveryQueryKind) {
  BotBlindStore store(events_);
  const std::vector<std::string> diffs = Mismatches(store, ref_, All());
  std::set<std::string> kinds;
  for (const std::string& d : diffs) {
    kinds.insert(KindOf(d));
    EXPECT_EQ(d.find("bots=include"), std::string::npos) << d;
  }
  for (const std::string& k : kKinds) EXPECT_TRUE(kinds.count(k)) << k << " did not catch it";
  EXPECT_FALSE(LiveVisitorMismatches(store, ref_, "p", {kT0}).empty());
}

TEST_F(HonestyTest, AListEventsBugIsNoLongerCopiedIntoTheExpectedAnswer) {
  ListEventsDerivedStore store(events_);
  // The old suite's expectation — the reference semantics over the backend's own ListEvents —
  // agrees with the buggy store on everything, the bug included.
  reference::ReferenceEventStore old_expectation = store.FromOwnRows("p");
  EXPECT_TRUE(SameAnswers(store, old_expectation, All()));
  // The reference over the test's own events does not: the lost scrolls show in the scroll map
  // and in ListEvents itself (and in sessions' durations and visitors wherever such a scroll was
  // the last event).
  std::set<std::string> kinds;
  for (const std::string& d : Mismatches(store, ref_, All())) kinds.insert(KindOf(d));
  EXPECT_TRUE(kinds.count("scrollmap"));
  EXPECT_TRUE(kinds.count("list_events"));
}

// Every golden file has a case the empty store gets wrong (so none of them is vacuous), and
// together they reject it on nearly every case that expects anything.
TEST(GoldenHonestyTest, EveryGoldenFileRejectsAStoreThatAnswersNothing) {
  size_t cases = 0, rejected = 0;
  for (const std::string& path : golden::ListFiles(TAP_GOLDEN_DIR)) {
    golden::File file;
    ASSERT_TRUE(golden::Load(path, &file).ok()) << path;
    EmptyEventStore empty;
    ASSERT_TRUE(empty.Append(file.events, 0).ok());
    reference::ReferenceEventStore ref(file.events);
    size_t file_rejected = 0;
    for (const golden::Case& c : file.cases) {
      golden::Query q;
      ASSERT_TRUE(golden::ParseQuery(c.query, &q).ok());
      // Funnels: no backend has an engine, so an "empty" funnel answer stands in for one.
      std::optional<std::string> got = golden::Answer(empty, q);
      if (!got)
        got = reference::ToJson(
            FunnelResult{std::vector<FunnelStepResult>(q.funnel.steps.size()), {}, 0});
      ++cases;
      if (!golden::SameJson(*got, c.expect)) ++file_rejected;
    }
    EXPECT_GT(file_rejected, 0u) << file.name << " cannot tell an empty store from a working one";
    rejected += file_rejected;
  }
  EXPECT_GE(rejected * 10, cases * 8)
      << rejected << " of " << cases << " cases reject the empty store";
}

}  // namespace
}  // namespace tapistry::conformance
