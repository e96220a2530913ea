#include "store/embedded/overview.h"

#include <algorithm>
#include <bit>
#include <mutex>
#include <unordered_map>

#include "store/embedded/analytics_parts.h"
#include "store/embedded/coding.h"
#include "store/embedded/rollup.h"
#include "store/embedded/row_filter.h"
#include "store/embedded/thread_pool.h"
#include "store/embedded/unit_rows.h"

namespace tapistry::store {
namespace {

constexpr uint8_t kPageView = static_cast<uint8_t>(EventType::kPageView);

struct PathStat {
  uint64_t pageviews = 0;
  uint64_t sessions = 0;
};

// Bounce and duration inputs of one session inside one source. Sessions that only one source
// holds are summed on the spot; the others are combined across sources first.
struct SessionRecord {
  uint32_t gid;
  int32_t day;
  uint32_t pageviews;
  int64_t first_ts, last_ts;
};

struct SessionSums {
  uint64_t with_pageviews = 0, bounced = 0, duration_ms = 0;
  void Add(uint64_t pageviews, int64_t first_ts, int64_t last_ts) {
    with_pageviews += pageviews > 0;
    bounced += pageviews == 1;
    duration_ms += static_cast<uint64_t>(last_ts - first_ts);
  }
};

// Per-source state, filled by the two parallel phases.
struct Part {
  Status status;
  CompiledFilter filter;

  uint64_t pageviews = 0;
  uint64_t sessions_selected = 0, visitors_selected = 0;
  std::vector<uint32_t> session_gids, visitor_gids;  // selected ones (filtered queries only)
  StringColumn path_dict;                            // keeps path strings alive for the merge
  std::vector<PathStat> paths;                       // by local path code
  std::vector<uint64_t> pairs;                       // (session gid << 32 | local path code)
  SessionSums sums;                                  // sessions only this source holds
  std::vector<SessionRecord> shared;                 // sessions other sources hold too
};

bool ByCount(const TopPage& a, const TopPage& b) {
  if (a.pageviews != b.pageviews) return a.pageviews > b.pageviews;
  return a.path < b.path;
}

// Phase A for a segment on an unfiltered query: everything comes from its aggregates; only the
// sessions other sources also hold are expanded into (session, path) pairs.
Status AggregatePart(const Source& src, const UnitIds& ids, size_t i, Part* p) {
  PageviewAggregates agg;
  TAP_RETURN_IF_ERROR(src.LoadPageviewAggregates(&agg));
  StringColumn scratch;
  const StringColumn* dict = nullptr;
  TAP_RETURN_IF_ERROR(src.StringDict(ColumnId::kPath, &scratch, &dict));
  const size_t npaths = dict->dict.size();
  if (agg.path_pageviews.size() != npaths) return Status::Corruption("segment: path stats size");
  p->path_dict.dict = dict->dict;
  p->path_dict.keepalive = dict->keepalive;
  p->paths.resize(npaths);
  for (size_t i = 0; i < npaths; ++i) {
    p->paths[i] = PathStat{agg.path_pageviews[i], agg.path_sessions[i]};
    p->pageviews += agg.path_pageviews[i];
  }
  // session_paths: a count per session, a code width, then every session's codes back to back.
  // Only sessions other sources also hold need their codes read.
  const std::vector<uint32_t>& sgid = ids.SessionGids(i);
  struct Shared {
    uint32_t gid;
    uint64_t first, n;
  };
  std::vector<Shared> shared;
  ByteReader r(agg.session_paths);
  uint64_t total = 0;
  for (uint32_t s = 0; s < sgid.size(); ++s) {
    uint64_t n;
    if (!r.GetVarint64(&n) || n > npaths) return Status::Corruption("segment: session paths");
    if (ids.Shared(sgid[s])) shared.push_back({sgid[s], total, n});
    total += n;
  }
  uint8_t width;
  if (!r.GetFixed8(&width) || (width != 1 && width != 2 && width != 4) ||
      r.remaining() != total * width) {
    return Status::Corruption("segment: session path codes");
  }
  const auto* codes = reinterpret_cast<const uint8_t*>(r.position());
  for (const Shared& sh : shared) {
    for (uint64_t k = sh.first; k < sh.first + sh.n; ++k) {
      uint32_t pc = 0;
      for (uint8_t b = 0; b < width; ++b)
        pc |= static_cast<uint32_t>(codes[k * width + b]) << (8 * b);
      if (pc >= npaths) return Status::Corruption("segment: session path code");
      p->pairs.push_back((uint64_t{sh.gid} << 32) | pc);
    }
  }
  // Bounce and duration: the footer's sums, minus the shared sessions, which go to the merge.
  if (agg.sessions != sgid.size()) return Status::Corruption("segment: session stats size");
  p->sums = {agg.sessions_with_pageviews, agg.bounced_sessions, agg.total_duration_ms};
  const int64_t day_start = int64_t{src.day()} * kDayMs;
  for (uint32_t s = 0; s < sgid.size(); ++s) {
    if (!ids.Shared(sgid[s])) continue;
    const uint32_t pv = agg.SessionStat(s, PageviewAggregates::kPageviews);
    const uint32_t first = agg.SessionStat(s, PageviewAggregates::kFirstTsInDay);
    const uint32_t dur = agg.SessionStat(s, PageviewAggregates::kDuration);
    if (first >= kDayMs || dur >= kDayMs - first || (pv > 0 && p->sums.with_pageviews == 0) ||
        (pv == 1 && p->sums.bounced == 0) || dur > p->sums.duration_ms) {
      return Status::Corruption("segment: session stats disagree with the footer");
    }
    p->sums.with_pageviews -= pv > 0;
    p->sums.bounced -= pv == 1;
    p->sums.duration_ms -= dur;
    p->shared.push_back({sgid[s], src.day(), pv, day_start + first, day_start + first + dur});
  }
  p->sessions_selected = sgid.size();
  p->visitors_selected = ids.visitors[i]->size();
  return Status::Ok();
}

// Phase A for one source: pageviews, per-path counts and the selected sessions/visitors.
Status ScanPart(const Source& src, const UnitIds& ids, size_t i, bool filtered, Part* p) {
  ColumnMask need =
      Bit(ColumnId::kType) | Bit(ColumnId::kPath) | Bit(ColumnId::kTs) | p->filter.columns;
  if (filtered) need |= Bit(ColumnId::kAnonymous);
  Columns scratch;
  auto got = src.Get(need, &scratch);
  if (!got.ok()) return got.status();
  const Columns& c = **got;
  std::vector<uint8_t> sel;
  const bool all = p->filter.state == CompiledFilter::State::kAll;
  if (!all) p->filter.Evaluate(c, &sel);

  // Rows grouped by session: segments already are; memtable copies come with an order.
  std::vector<uint32_t> run_storage, order;
  TAP_RETURN_IF_ERROR(src.SessionOrder(&run_storage, &order));
  const std::vector<uint32_t>* runs = &run_storage;
  const size_t nsess = runs->size();
  if (nsess != ids.SessionGids(i).size())
    return Status::Corruption("session runs disagree with the dictionary");
  const uint32_t* ord = order.empty() ? nullptr : order.data();

  p->path_dict.dict = c.str[kStrPath].dict;
  p->path_dict.keepalive = c.str[kStrPath].keepalive;
  const size_t npaths = c.str[kStrPath].dict.size();
  p->paths.assign(npaths, PathStat());
  std::vector<uint32_t> last(npaths, UINT32_MAX);
  const uint8_t* type = c.type.data();
  const int64_t* ts = c.ts.data();
  const uint32_t* path = c.str[kStrPath].codes.data();
  const std::vector<uint32_t>& sgid = ids.SessionGids(i);
  std::vector<uint8_t> visitor_seen;
  if (filtered) visitor_seen.assign(c.anonymous.dict.size(), 0);

  size_t row = 0;
  uint64_t pageviews = 0;
  for (uint32_t s = 0; s < runs->size(); ++s) {
    const size_t end = row + (*runs)[s];
    const uint32_t gid = sgid[s];
    const bool shared = ids.Shared(gid);
    bool any = false;
    uint32_t session_pv = 0;
    int64_t first_ts = INT64_MAX, last_ts = INT64_MIN;
    for (; row < end; ++row) {
      const uint32_t r = ord ? ord[row] : static_cast<uint32_t>(row);
      if (!all && !sel[r]) continue;
      any = true;
      first_ts = std::min(first_ts, ts[r]);
      last_ts = std::max(last_ts, ts[r]);
      if (!all) {
        uint32_t v = c.anonymous.codes[r];
        if (!visitor_seen[v]) {
          visitor_seen[v] = 1;
          p->visitor_gids.push_back(ids.VisitorGids(i)[v]);
        }
      }
      if (type[r] != kPageView) continue;
      ++pageviews;
      ++session_pv;
      const uint32_t pc = path[r];
      PathStat& ps = p->paths[pc];
      ++ps.pageviews;
      if (last[pc] != s) {
        last[pc] = s;
        ++ps.sessions;
        if (shared) p->pairs.push_back((uint64_t{gid} << 32) | pc);
      }
    }
    if (!any) continue;
    if (!all) p->session_gids.push_back(gid);
    if (shared) {
      p->shared.push_back({gid, src.day(), session_pv, first_ts, last_ts});
    } else {
      p->sums.Add(session_pv, first_ts, last_ts);
    }
  }
  p->pageviews = pageviews;
  if (all) {
    p->sessions_selected = nsess;
    p->visitors_selected = ids.visitors[i]->size();
  } else {
    p->sessions_selected = p->session_gids.size();
    p->visitors_selected = p->visitor_gids.size();
  }
  return Status::Ok();
}

// Phase A for a segment on a filtered query, from its session rollups (rollup.h): when the
// visitor and the filtered device / viewport bucket are constant within every session of the
// segment, the filter selects whole sessions — and of each, with a path filter, the rows of that
// path, which the (session, path) stats summarize. The result is what ScanPart computes from the
// rows. *answered is false when the segment cannot answer this way.
Status SessionRollupPart(const Source& src, const UnitIds& ids, size_t i, bool* answered, Part* p) {
  using F = SessionAttributes;
  *answered = false;
  const CompiledFilter& cf = p->filter;
  if (cf.state != CompiledFilter::State::kRows || cf.type ||
      !src.HasAggregate(StreamKind::kSessionAttributes) || !src.HasPageviewAggregates()) {
    return Status::Ok();
  }
  if (cf.path_code ? !src.HasAggregate(StreamKind::kSessionPathStats) ||
                         !src.HasAggregate(StreamKind::kSessionExtraPaths)
                   : !src.HasAggregate(StreamKind::kCells)) {
    return Status::Ok();
  }
  uint8_t need = kUniformVisitor;
  if (cf.device) need |= kUniformDevice;
  if (cf.viewport_bucket) need |= kUniformViewport;
  const RollupBounds b = src.Bounds();
  ScratchString raw;
  SessionAttributes attrs;
  TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kSessionAttributes, &raw));
  TAP_RETURN_IF_ERROR(attrs.Open(std::move(raw), b));
  if ((attrs.uniform & need) != need) return Status::Ok();
  *answered = true;
  TAP_RETURN_IF_ERROR(attrs.Load({F::kVisitor}));
  if (cf.device) TAP_RETURN_IF_ERROR(attrs.Load({F::kDevice}));
  if (cf.viewport_bucket) TAP_RETURN_IF_ERROR(attrs.Load({F::kViewport}));
  const size_t nsess = attrs.sessions;
  const std::vector<uint32_t>& sgid = ids.SessionGids(i);
  const std::vector<uint32_t>& vgid = ids.VisitorGids(i);
  if (sgid.size() != nsess) return Status::Corruption("segment: session dictionary size");

  StringColumn scratch;
  const StringColumn* dict = nullptr;
  TAP_RETURN_IF_ERROR(src.StringDict(ColumnId::kPath, &scratch, &dict));
  const size_t npaths = dict->dict.size();
  p->path_dict.dict = dict->dict;
  p->path_dict.keepalive = dict->keepalive;
  p->paths.assign(npaths, PathStat());
  if (!cf.path_code) {  // page views per path: the cells the filter selects
    CellTable cells;
    std::vector<uint32_t> selected;
    TAP_RETURN_IF_ERROR(LoadSelectedCells(src, cf, &cells, &selected));
    for (uint32_t c : selected) {
      const uint32_t code = cells.path[c];
      if (code >= npaths) return Status::Corruption("segment rollup: cell path code");
      p->paths[code].pageviews += cells.pageviews[c];
      p->pageviews += cells.pageviews[c];
    }
  }
  SessionStatsView stats;
  TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kSessionStats, &raw));
  TAP_RETURN_IF_ERROR(DecodeSessionStats(std::move(raw), nsess, &stats));
  SessionPathLists viewed, extra;
  SessionPathStats path_stats;
  TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kSessionPaths, &raw));
  TAP_RETURN_IF_ERROR(DecodeSessionPathLists(*raw, b, &viewed));
  if (cf.path_code) {
    TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kSessionExtraPaths, &raw));
    TAP_RETURN_IF_ERROR(DecodeSessionPathLists(*raw, b, &extra));
    TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kSessionPathStats, &raw));
    TAP_RETURN_IF_ERROR(path_stats.Open(std::move(raw), viewed.codes.size() + extra.codes.size()));
    using P = SessionPathStats;
    TAP_RETURN_IF_ERROR(path_stats.Load({P::kPageviews, P::kFirstOffset, P::kSpan}));
  }

  const int64_t day_start = int64_t{src.day()} * kDayMs;
  std::vector<uint8_t> visitor_seen(vgid.size(), 0);
  p->session_gids.reserve(nsess);
  p->visitor_gids.reserve(vgid.size());
  for (uint32_t s = 0; s < nsess; ++s) {
    // With a path filter, the session's pair for the path, if any: among its page-view paths,
    // then its others.
    size_t k = SIZE_MAX;
    if (cf.path_code) {
      const auto seen = viewed.Of(s);
      for (size_t j = 0; j < seen.size(); ++j) {
        if (seen[j] == *cf.path_code) k = viewed.start[s] + j;
      }
      if (k == SIZE_MAX) {
        const auto other = extra.Of(s);
        for (size_t j = 0; j < other.size(); ++j) {
          if (other[j] == *cf.path_code) k = viewed.codes.size() + extra.start[s] + j;
        }
      }
      if (k == SIZE_MAX) continue;
    }
    if ((cf.device && attrs.device[s] != *cf.device) ||
        (cf.viewport_bucket && attrs.vb[s] != *cf.viewport_bucket)) {
      continue;
    }
    const uint32_t first = stats.first_in_day[s];
    const uint32_t dur = stats.duration[s];
    if (first >= kDayMs || dur >= kDayMs - first)
      return Status::Corruption("segment: session stats out of range");
    uint32_t pv;
    int64_t first_ts = day_start + first, last_ts = first_ts + dur;
    const uint32_t gid = sgid[s];
    const bool shared = ids.Shared(gid);
    if (cf.path_code) {
      pv = path_stats.pageviews[k];
      const uint32_t lo = path_stats.first_offset[k], span = path_stats.span[k];
      if (lo > dur || span > dur - lo)
        return Status::Corruption("segment rollup: session path times");
      first_ts += lo;
      last_ts = first_ts + span;
      p->pageviews += pv;
      if (pv > 0) {
        p->paths[*cf.path_code].pageviews += pv;
        ++p->paths[*cf.path_code].sessions;
        if (shared) p->pairs.push_back((uint64_t{gid} << 32) | *cf.path_code);
      }
    } else {
      pv = stats.pageviews[s];
      for (uint32_t pc : viewed.Of(s)) {
        ++p->paths[pc].sessions;
        if (shared) p->pairs.push_back((uint64_t{gid} << 32) | pc);
      }
    }
    const uint32_t v = attrs.visitor[s];
    if (v >= vgid.size()) return Status::Corruption("segment rollup: session visitor code");
    if (!visitor_seen[v]) {
      visitor_seen[v] = 1;
      p->visitor_gids.push_back(vgid[v]);
    }
    p->session_gids.push_back(gid);
    if (shared) {
      p->shared.push_back({gid, src.day(), pv, first_ts, last_ts});
    } else {
      p->sums.Add(pv, first_ts, last_ts);
    }
  }
  p->sessions_selected = p->session_gids.size();
  p->visitors_selected = p->visitor_gids.size();
  return Status::Ok();
}

}  // namespace

Result<OverviewResult> RunOverview(const SourceList& sources, const OverviewQuery& q) {
  const EventFilter& f = q.filter;
  if (f.from_day > f.to_day) return Status::InvalidArgument("from_day is after to_day");
  if (static_cast<int64_t>(f.to_day) - f.from_day >= kMaxQueryDays)
    return Status::InvalidArgument("day range too wide");
  if (q.interval == Interval::kHour && int64_t{f.to_day} - f.from_day >= kMaxHourlyDays) {
    return Status::InvalidArgument("an hourly series spans at most 7 days");
  }
  const RowPredicate pred = RowPredicate::FromFilter(f);
  const bool filtered = !pred.empty();
  std::vector<Part> parts(sources.size());

  // Phase 0: compile the filter against each source; then the global session and visitor ids.
  auto compiled = CompileFilters(sources, pred, [&](size_t i) { return &parts[i].filter; });
  if (!compiled.ok()) return compiled.status();
  const std::vector<uint8_t>& read = *compiled;
  // Visitor ids are needed per entry only to combine several sources of one day or a filter;
  // otherwise the union's size is the whole answer.
  bool multi_source_day = false;
  {
    std::vector<int32_t> days;
    for (size_t i = 0; i < sources.size(); ++i) {
      if (read[i] && sources[i]->rows() > 0) days.push_back(sources[i]->day());
    }
    std::sort(days.begin(), days.end());
    multi_source_day = std::adjacent_find(days.begin(), days.end()) != days.end();
  }
  UnitIds ids;
  TAP_RETURN_IF_ERROR(LoadUnitIds(sources, read, {true, true, filtered || multi_source_day}, &ids));
  const std::vector<size_t>& live = ids.live;

  // Phase A: scan the rows.
  ParallelFor(live.size(), [&](size_t k) {
    Part& p = parts[live[k]];
    const Source& src = *sources[live[k]];
    if (!filtered && src.HasPageviewAggregates()) {
      p.status = AggregatePart(src, ids, live[k], &p);
      return;
    }
    bool answered = false;
    p.status = SessionRollupPart(src, ids, live[k], &answered, &p);
    if (p.status.ok() && !answered) p.status = ScanPart(src, ids, live[k], filtered, &p);
  });
  for (size_t i : live) {
    if (!parts[i].status.ok()) return parts[i].status;
  }

  // Merge.
  OverviewResult out;
  const int32_t ndays = f.to_day - f.from_day + 1;
  out.series.resize(ndays);
  for (int32_t d = 0; d < ndays; ++d) out.series[d].day = f.from_day + d;
  std::vector<std::vector<size_t>> by_day(ndays);
  for (size_t i : live) {
    const int32_t day = sources[i]->day();
    if (day < f.from_day || day > f.to_day)
      return Status::Internal("overview source outside the day range");
    by_day[day - f.from_day].push_back(i);
  }
  auto gids_of = [&](size_t i, bool sessions) -> const std::vector<uint32_t>& {
    if (!filtered) return sessions ? ids.SessionGids(i) : ids.VisitorGids(i);
    return sessions ? parts[i].session_gids : parts[i].visitor_gids;
  };
  // Distinct ids of a day several sources hold (a partition's segments, the memtable, the bots'
  // partition): each global id remembers the last day it was counted for, so a day costs one
  // pass over its sources' ids (sorting them cost ~3x the whole overview with bots included).
  std::vector<int32_t> session_day, visitor_day;
  auto count_new = [](const std::vector<uint32_t>& ids, int32_t d, std::vector<int32_t>* last_day) {
    uint64_t n = 0;
    for (uint32_t g : ids) {
      if ((*last_day)[g] == d) continue;
      (*last_day)[g] = d;
      ++n;
    }
    return n;
  };
  for (int32_t d = 0; d < ndays; ++d) {
    OverviewTotals& t = out.series[d].totals;
    for (size_t i : by_day[d]) t.pageviews += parts[i].pageviews;
    if (by_day[d].size() == 1) {
      t.sessions = parts[by_day[d][0]].sessions_selected;
      t.visitors = parts[by_day[d][0]].visitors_selected;
    } else if (by_day[d].size() > 1) {
      if (session_day.empty()) {
        session_day.assign(ids.session_ids.distinct, -1);
        visitor_day.assign(ids.visitor_ids.distinct, -1);
      }
      for (size_t i : by_day[d]) {
        t.sessions += count_new(gids_of(i, true), d, &session_day);
        t.visitors += count_new(gids_of(i, false), d, &visitor_day);
      }
    }
    out.totals.pageviews += t.pageviews;
  }
  // Bounce and duration: local sums, then the shared sessions combined per session (totals) and
  // per (session, day) (series).
  {
    std::vector<SessionRecord> records;
    for (size_t i : live) {
      const Part& p = parts[i];
      OverviewTotals& t = out.series[sources[i]->day() - f.from_day].totals;
      for (OverviewTotals* x : {&t, &out.totals}) {
        x->sessions_with_pageviews += p.sums.with_pageviews;
        x->bounced_sessions += p.sums.bounced;
        x->total_duration_ms += p.sums.duration_ms;
      }
      records.insert(records.end(), p.shared.begin(), p.shared.end());
    }
    auto add = [](OverviewTotals* t, const SessionSums& s) {
      t->sessions_with_pageviews += s.with_pageviews;
      t->bounced_sessions += s.bounced;
      t->total_duration_ms += s.duration_ms;
    };
    TAP_RETURN_IF_ERROR(ForEachSharedSession(
        records, [](const SessionRecord& a, const SessionRecord& b) { return a.day < b.day; },
        [&](std::span<const SessionRecord> session) {
          uint64_t pv = 0;
          int64_t first = INT64_MAX, last = INT64_MIN;
          for (size_t b = 0; b < session.size();) {
            uint64_t day_pv = 0;
            int64_t day_first = INT64_MAX, day_last = INT64_MIN;
            const int32_t day = session[b].day;
            for (; b < session.size() && session[b].day == day; ++b) {
              day_pv += session[b].pageviews;
              day_first = std::min(day_first, session[b].first_ts);
              day_last = std::max(day_last, session[b].last_ts);
            }
            SessionSums ds;
            ds.Add(day_pv, day_first, day_last);
            add(&out.series[day - f.from_day].totals, ds);
            pv += day_pv;
            first = std::min(first, day_first);
            last = std::max(last, day_last);
          }
          SessionSums ts;
          ts.Add(pv, first, last);
          add(&out.totals, ts);
          return Status::Ok();
        }));
  }

  if (!filtered) {
    out.totals.sessions = ids.session_ids.distinct;
    out.totals.visitors = ids.visitor_ids.distinct;
  } else {
    std::vector<uint64_t> sbits((ids.session_ids.distinct + 63) / 64),
        vbits((ids.visitor_ids.distinct + 63) / 64);
    for (size_t i : live) {
      for (uint32_t g : parts[i].session_gids) sbits[g >> 6] |= uint64_t{1} << (g & 63);
      for (uint32_t g : parts[i].visitor_gids) vbits[g >> 6] |= uint64_t{1} << (g & 63);
    }
    for (uint64_t w : sbits) out.totals.sessions += std::popcount(w);
    for (uint64_t w : vbits) out.totals.visitors += std::popcount(w);
  }

  // Top pages: sum per path string, then take back sessions counted in several sources.
  std::unordered_map<std::string_view, uint32_t> path_index;
  std::vector<TopPage> pages;
  std::vector<uint64_t> pairs;
  for (size_t i : live) {
    Part& p = parts[i];
    std::vector<uint32_t> global(p.paths.size(), UINT32_MAX);
    for (uint32_t code = 0; code < p.paths.size(); ++code) {
      if (p.paths[code].pageviews == 0) continue;
      auto [it, inserted] =
          path_index.emplace(p.path_dict.dict[code], static_cast<uint32_t>(pages.size()));
      if (inserted) pages.push_back(TopPage{std::string(p.path_dict.dict[code]), 0, 0});
      global[code] = it->second;
      pages[it->second].pageviews += p.paths[code].pageviews;
      pages[it->second].sessions += p.paths[code].sessions;
    }
    for (uint64_t pair : p.pairs)
      pairs.push_back((pair & ~uint64_t{0xffffffff}) | global[pair & 0xffffffff]);
  }
  std::sort(pairs.begin(), pairs.end());
  for (size_t a = 0; a < pairs.size();) {
    size_t b = a + 1;
    while (b < pairs.size() && pairs[b] == pairs[a]) ++b;
    pages[pairs[a] & 0xffffffff].sessions -= b - a - 1;
    a = b;
  }
  const size_t limit = q.top_pages_limit > 0 ? static_cast<size_t>(q.top_pages_limit) : 0;
  if (pages.size() > limit) {
    std::partial_sort(pages.begin(), pages.begin() + static_cast<ptrdiff_t>(limit), pages.end(),
                      ByCount);
    pages.resize(limit);
  } else {
    std::sort(pages.begin(), pages.end(), ByCount);
  }
  out.top_pages = std::move(pages);
  if (q.interval == Interval::kHour) TAP_RETURN_IF_ERROR(HourlySeries(sources, f, &out.series));
  return out;
}

}  // namespace tapistry::store
