// EmbeddedEventStore: the read side. Every query snapshots its sources (segments + memtable
// copies) and then runs without holding the store's locks.
#include <algorithm>
#include <map>

#include "store/embedded/embedded_event_store.h"
#include "store/embedded/overview.h"
#include "store/embedded/row_filter.h"

namespace tapistry::store {

Result<OverviewResult> EmbeddedEventStore::Overview(const OverviewQuery& q) {
  const EventFilter& f = q.filter;
  if (f.from_day > f.to_day) return Status::InvalidArgument("from_day is after to_day");
  if (static_cast<int64_t>(f.to_day) - f.from_day >= kMaxQueryDays)
    return Status::InvalidArgument("day range too wide");
  const ColumnMask mem = Bit(ColumnId::kType) | Bit(ColumnId::kPath) | Bit(ColumnId::kSession) |
                         Bit(ColumnId::kTs) | Bit(ColumnId::kAnonymous) | Bit(ColumnId::kDevice) |
                         Bit(ColumnId::kViewportW);
  auto sources = Snapshot(f.project_id, f.from_day, f.to_day, mem, f.include_bots);
  if (!sources.ok()) return sources.status();
  return RunOverview(*sources, q);
}

Result<std::vector<Event>> EmbeddedEventStore::ListEvents(const EventFilter& filter,
                                                          std::optional<EventType> type,
                                                          size_t limit) {
  if (filter.from_day > filter.to_day) return Status::InvalidArgument("from_day is after to_day");
  std::vector<Event> out;
  if (limit == 0) return out;
  auto sources =
      Snapshot(filter.project_id, filter.from_day, filter.to_day, kAllColumns, filter.include_bots);
  if (!sources.ok()) return sources.status();
  std::map<int32_t, std::vector<const Source*>> by_day;
  for (const auto& s : *sources) by_day[s->day()].push_back(s.get());
  const RowPredicate pred = RowPredicate::FromFilter(filter, type);
  // Days partition time, so day-by-day oldest-first output needs only one day sorted at a time.
  for (const auto& [day, list] : by_day) {
    std::vector<Event> events;
    for (const Source* src : list) {
      CompiledFilter cf;
      TAP_RETURN_IF_ERROR(CompileFilter(pred, *src, &cf));
      if (cf.state == CompiledFilter::State::kNone) continue;
      SelectedRows rows;
      TAP_RETURN_IF_ERROR(rows.Read(*src, cf, kAllColumns));
      for (size_t r = 0; r < rows.cols().rows; ++r) {
        if (rows.selected(r)) events.push_back(rows.cols().ToEvent(r, src->project_id()));
      }
    }
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
      return a.ts_ms != b.ts_ms ? a.ts_ms < b.ts_ms : a.event_id < b.event_id;
    });
    for (Event& e : events) {
      out.push_back(std::move(e));
      if (out.size() == limit) return out;
    }
  }
  return out;
}

Status EmbeddedEventStore::ScanEventIds(int64_t since_ms,
                                        const std::function<void(const Uuid&, int64_t)>& fn) {
  // Keyed on ingest time: an event accepted today may carry a days-old ts, so every day is a
  // candidate and only the footer's ingest range can rule a segment out.
  const ColumnMask cols = Bit(ColumnId::kIngest) | Bit(ColumnId::kEventId);
  auto sources = Snapshot(std::nullopt, INT32_MIN, INT32_MAX, cols | Bit(ColumnId::kTs),
                          /*include_bots=*/true);
  if (!sources.ok()) return sources.status();
  for (const auto& src : *sources) {
    int64_t mn, mx;
    if (src->Range(ColumnId::kIngest, &mn, &mx) && mx < since_ms) continue;
    Columns scratch;
    auto got = src->Get(cols, &scratch);
    if (!got.ok()) return got.status();
    const Columns& c = **got;
    for (size_t r = 0; r < c.rows; ++r) {
      if (c.ingest[r] >= since_ms) fn(c.event_id[r], c.ingest[r]);
    }
  }
  return Status::Ok();
}

}  // namespace tapistry::store
