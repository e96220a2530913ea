// The overview's hourly series (Interval::kHour): for every UTC hour of the range, the totals of
// the selected events of that hour, as event_store.h defines each OverviewDay entry.
//
// A row scan: the series spans at most kMaxHourlyDays days, and the "Today" chart one; the
// segment rollups are per day, so they cannot answer it. Each source is scanned session by
// session (segments are sorted by session; memtable copies come with an order), giving per
// (session, hour) its page views and first/last ts, and per visitor a bit mask of its hours.
// An hour lies in one day and a source holds one day, so only sources of the same day (several
// segments of a partition, the memtable, the bots' partition) share sessions and visitors: those
// are combined by id per day, the rest are counted where they are.
#include <algorithm>
#include <bit>

#include "store/embedded/overview.h"
#include "store/embedded/row_filter.h"
#include "store/embedded/thread_pool.h"

namespace tapistry::store {
namespace {

constexpr int64_t kHourMs = 3600000;
constexpr uint8_t kPageView = static_cast<uint8_t>(EventType::kPageView);

// One session's selected events in one hour of one source.
struct HourSession {
  Uuid session;
  uint32_t hour = 0;  // 0..23
  uint32_t pageviews = 0;
  int64_t first = 0, last = 0;
};

struct HourPart {
  Status status;
  uint64_t pageviews[24] = {};
  std::vector<HourSession> sessions;
  std::vector<std::pair<Uuid, uint32_t>> visitors;  // visitor, bit h = an event in hour h
};

Status ScanHours(const Source& src, const CompiledFilter& cf, HourPart* p) {
  Columns scratch;
  auto got = src.Get(
      Bit(ColumnId::kTs) | Bit(ColumnId::kType) | Bit(ColumnId::kAnonymous) | cf.columns, &scratch);
  if (!got.ok()) return got.status();
  const Columns& c = **got;
  std::vector<uint8_t> sel;
  const bool all = cf.state == CompiledFilter::State::kAll;
  if (!all) cf.Evaluate(c, &sel);
  std::vector<uint32_t> runs, order;
  TAP_RETURN_IF_ERROR(src.SessionOrder(&runs, &order));
  std::shared_ptr<const std::vector<Uuid>> sessions;
  TAP_RETURN_IF_ERROR(src.UuidDict(ColumnId::kSession, &sessions));
  if (runs.size() != sessions->size())
    return Status::Corruption("session runs disagree with the dictionary");
  const uint32_t* ord = order.empty() ? nullptr : order.data();
  const int64_t day_start = int64_t{src.day()} * kDayMs;
  std::vector<uint32_t> visitor_hours(c.anonymous.dict.size(), 0);
  struct Acc {
    uint32_t pageviews;
    int64_t first, last;
  } acc[24] = {};
  size_t row = 0;
  for (size_t s = 0; s < runs.size(); ++s) {
    const size_t end = row + runs[s];
    if (end > c.rows) return Status::Corruption("session runs exceed the rows");
    uint32_t touched = 0;
    for (; row < end; ++row) {
      const uint32_t r = ord ? ord[row] : static_cast<uint32_t>(row);
      if (!all && !sel[r]) continue;
      const int64_t ts = c.ts[r];
      if (ts < day_start || ts >= day_start + kDayMs)
        return Status::Corruption("a row outside its partition's day");
      const auto h = static_cast<uint32_t>((ts - day_start) / kHourMs);
      Acc& a = acc[h];
      if (!(touched & (1u << h))) {
        touched |= 1u << h;
        a = {0, ts, ts};
      } else {
        a.first = std::min(a.first, ts);
        a.last = std::max(a.last, ts);
      }
      if (c.type[r] == kPageView) {
        ++a.pageviews;
        ++p->pageviews[h];
      }
      visitor_hours[c.anonymous.codes[r]] |= 1u << h;
    }
    for (; touched; touched &= touched - 1) {
      const auto h = static_cast<uint32_t>(std::countr_zero(touched));
      p->sessions.push_back({(*sessions)[s], h, acc[h].pageviews, acc[h].first, acc[h].last});
    }
  }
  for (size_t v = 0; v < visitor_hours.size(); ++v) {
    if (visitor_hours[v]) p->visitors.emplace_back(c.anonymous.dict[v], visitor_hours[v]);
  }
  return Status::Ok();
}

void AddSession(const HourSession& s, OverviewDay* day_hours) {
  OverviewTotals& t = day_hours[s.hour].totals;
  ++t.sessions;
  t.sessions_with_pageviews += s.pageviews > 0;
  t.bounced_sessions += s.pageviews == 1;
  t.total_duration_ms += static_cast<uint64_t>(s.last - s.first);
}

void AddVisitor(uint32_t hours, OverviewDay* day_hours) {
  for (; hours; hours &= hours - 1) ++day_hours[std::countr_zero(hours)].totals.visitors;
}

}  // namespace

Status HourlySeries(const SourceList& sources, const EventFilter& f,
                    std::vector<OverviewDay>* out) {
  const RowPredicate pred = RowPredicate::FromFilter(f);
  std::vector<HourPart> parts(sources.size());
  ParallelFor(sources.size(), [&](size_t i) {
    const Source& src = *sources[i];
    CompiledFilter cf;
    parts[i].status = CompileFilter(pred, src, &cf);
    if (!parts[i].status.ok() || cf.state == CompiledFilter::State::kNone || src.rows() == 0)
      return;
    parts[i].status = ScanHours(src, cf, &parts[i]);
  });
  const int32_t ndays = f.to_day - f.from_day + 1;
  std::vector<std::vector<size_t>> by_day(ndays);
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!parts[i].status.ok()) return parts[i].status;
    const int32_t day = sources[i]->day();
    if (day < f.from_day || day > f.to_day)
      return Status::Internal("overview source outside the day range");
    by_day[day - f.from_day].push_back(i);
  }
  out->assign(static_cast<size_t>(ndays) * 24, OverviewDay());
  for (int32_t d = 0; d < ndays; ++d) {
    OverviewDay* hours = out->data() + static_cast<size_t>(d) * 24;
    for (int h = 0; h < 24; ++h) {
      hours[h].day = f.from_day + d;
      hours[h].hour = h;
    }
    const std::vector<size_t>& list = by_day[d];
    for (size_t i : list) {
      for (int h = 0; h < 24; ++h) hours[h].totals.pageviews += parts[i].pageviews[h];
    }
    if (list.size() == 1) {  // nothing to combine: each (session, hour) and visitor is there once
      for (const HourSession& s : parts[list[0]].sessions) AddSession(s, hours);
      for (const auto& [visitor, mask] : parts[list[0]].visitors) AddVisitor(mask, hours);
      continue;
    }
    std::vector<HourSession> sessions;
    std::vector<std::pair<Uuid, uint32_t>> visitors;
    for (size_t i : list) {
      sessions.insert(sessions.end(), parts[i].sessions.begin(), parts[i].sessions.end());
      visitors.insert(visitors.end(), parts[i].visitors.begin(), parts[i].visitors.end());
    }
    std::sort(sessions.begin(), sessions.end(), [](const HourSession& a, const HourSession& b) {
      return a.hour != b.hour ? a.hour < b.hour : a.session < b.session;
    });
    for (size_t a = 0; a < sessions.size();) {
      HourSession merged = sessions[a];
      size_t b = a + 1;
      for (; b < sessions.size() && sessions[b].hour == merged.hour &&
             sessions[b].session == merged.session;
           ++b) {
        merged.pageviews += sessions[b].pageviews;
        merged.first = std::min(merged.first, sessions[b].first);
        merged.last = std::max(merged.last, sessions[b].last);
      }
      AddSession(merged, hours);
      a = b;
    }
    std::sort(visitors.begin(), visitors.end());
    for (size_t a = 0; a < visitors.size();) {
      uint32_t mask = 0;
      size_t b = a;
      for (; b < visitors.size() && visitors[b].first == visitors[a].first; ++b)
        mask |= visitors[b].second;
      AddVisitor(mask, hours);
      a = b;
    }
  }
  return Status::Ok();
}

}  // namespace tapistry::store
