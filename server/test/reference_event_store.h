// ReferenceEventStore: the numbers of event_store.h (and DESIGN §5), computed by brute force.
//
// It keeps the events it is given in a vector and answers every query by walking all of them,
// written for obviousness rather than speed: a loop per definition, ordered containers, no
// rollups, no shortcuts. It is the expected answer of the conformance suite
// (event_store_conformance.h) and is itself checked against the hand-reasoned golden cases
// (golden/). It never talks to another store: a test feeds it the same events it feeds the
// backend under test, so a bug in a backend's ListEvents cannot leak into the expected answers.
//
// It is an EventStore, so the suites can treat it like a backend and the golden runner can run
// the same case on both, and it also answers funnels (funnel.h), which no backend does yet
// (reference_funnel.cc).
//
// Thread-safety: every method may be called concurrently (one mutex); test code.
#pragma once

#include <mutex>
#include <vector>

#include "tapistry/event_store.h"
#include "tapistry/funnel.h"

namespace tapistry::reference {

// The selection rule every query shares: the project, the UTC days [from_day, to_day] of ts_ms,
// the optional exact path, device class and viewport bucket, and no bot's event (bot_score >=
// kBotScoreThreshold) unless include_bots.
bool Selected(const Event& e, const EventFilter& f);

// A breakdown dimension's value on one event (session-level dimensions read the event's own
// fields: the caller picks the event, e.g. a session's first page view).
std::string ValueOf(const Event& e, Dimension d);

// Funnels over `events` (of every project: the query names one), by enumerating every chain of
// every unit. funnel.h defines them.
Result<FunnelResult> ComputeFunnel(const std::vector<Event>& events, const FunnelQuery& q);
Result<FunnelMembersResult> ComputeFunnelMembers(const std::vector<Event>& events,
                                                 const FunnelMembersQuery& q);
// Whether one event matches a (valid) funnel step: type, path, selector, name and property.
bool MatchesStep(const Event& e, const FunnelStep& step);

class ReferenceEventStore final : public EventStore {
 public:
  ReferenceEventStore() = default;
  explicit ReferenceEventStore(std::vector<Event> events) : events_(std::move(events)) {}

  Status Append(std::span<const Event> events, uint64_t last_seq) override;
  Status Flush() override;
  uint64_t PersistedSeq() const override;

  Result<OverviewResult> Overview(const OverviewQuery& q) override;
  Result<HeatmapResult> Heatmap(const HeatmapQuery& q) override;
  Result<ScrollMapResult> ScrollMap(const EventFilter& f) override;
  Result<ElementsResult> TopElements(const EventFilter& f, size_t limit) override;
  Result<ElementHeatmapResult> ElementHeatmap(const HeatmapQuery& q, size_t limit) override;
  Result<std::vector<LayoutCount>> Layouts(const EventFilter& f) override;
  Result<BreakdownResult> Breakdown(const EventFilter& f, Dimension d, size_t limit) override;
  Result<std::vector<PathCount>> Paths(const EventFilter& f, const std::string& contains,
                                       size_t limit) override;
  Result<uint64_t> LiveVisitors(const std::string& project_id, int64_t since_ms,
                                bool include_bots) override;
  Result<std::vector<Event>> ListEvents(const EventFilter& filter, std::optional<EventType> type,
                                        size_t limit) override;
  Status ScanEventIds(int64_t since_ms,
                      const std::function<void(const Uuid&, int64_t)>& fn) override;
  Result<uint64_t> DeleteSubject(const std::string& project_id,
                                 const std::optional<Uuid>& anonymous_id,
                                 const std::optional<std::string>& user_id) override;
  Result<std::vector<Uuid>> SubjectSessions(const std::string& project_id,
                                            const std::optional<Uuid>& anonymous_id,
                                            const std::optional<std::string>& user_id) override;
  Result<std::vector<Event>> SubjectEvents(const std::string& project_id,
                                           const std::optional<Uuid>& anonymous_id,
                                           const std::optional<std::string>& user_id) override;
  Result<uint64_t> ApplyRetention(const std::string& project_id, int32_t today,
                                  int keep_days) override;
  std::vector<StoreGauge> Gauges() const override;  // kStoreRowsGauge only
  Status Close() override { return Status::Ok(); }

  Result<FunnelResult> Funnel(const FunnelQuery& q) override;
  Result<FunnelMembersResult> FunnelMembers(const FunnelMembersQuery& q) override;

  // Every event appended and not deleted, in append order.
  std::vector<Event> events() const;

 private:
  // The events the filter selects, in append order.
  std::vector<Event> Select(const EventFilter& f) const;

  mutable std::mutex mu_;
  std::vector<Event> events_;
  uint64_t last_seq_ = 0;
  uint64_t persisted_seq_ = 0;
};

}  // namespace tapistry::reference
