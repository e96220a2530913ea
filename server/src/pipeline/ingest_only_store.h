// IngestOnlyStore: the base of EventStore test doubles that model only what the pipeline uses
// (Append, Flush, PersistedSeq, ScanEventIds, ...): every product query answers
// Status::Internal. The numbers are the conformance suite's business (server/test/).
// Thread-safety: stateless; the query methods may be called concurrently.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tapistry/event_store.h"
#include "tapistry/funnel.h"

namespace tapistry {

class IngestOnlyStore : public EventStore {
 public:
  explicit IngestOnlyStore(std::string name) : name_(std::move(name)) {}

  Result<OverviewResult> Overview(const OverviewQuery&) override { return NoQueries(); }
  Result<HeatmapResult> Heatmap(const HeatmapQuery&) override { return NoQueries(); }
  Result<ScrollMapResult> ScrollMap(const EventFilter&) override { return NoQueries(); }
  Result<ElementsResult> TopElements(const EventFilter&, size_t) override { return NoQueries(); }
  Result<ElementHeatmapResult> ElementHeatmap(const HeatmapQuery&, size_t) override {
    return NoQueries();
  }
  Result<std::vector<LayoutCount>> Layouts(const EventFilter&) override { return NoQueries(); }
  Result<FunnelResult> Funnel(const FunnelQuery&) override { return NoQueries(); }
  Result<FunnelMembersResult> FunnelMembers(const FunnelMembersQuery&) override { return NoQueries(); }
  Result<BreakdownResult> Breakdown(const EventFilter&, Dimension, size_t) override { return NoQueries(); }
  Result<std::vector<PathCount>> Paths(const EventFilter&, const std::string&, size_t) override {
    return NoQueries();
  }
  Result<uint64_t> LiveVisitors(const std::string&, int64_t, bool) override { return NoQueries(); }
  Result<std::vector<Event>> ListEvents(const EventFilter&, std::optional<EventType>, size_t) override {
    return NoQueries();
  }

 private:
  Status NoQueries() const { return Status::Internal(name_ + " answers no queries"); }
  std::string name_;
};

}  // namespace tapistry
