// EmbeddedEventStore::Breakdown with event_store.h's semantics
// (server/test/reference_event_store.cc computes them by brute force; the conformance suite
// compares the two).
//
// Visitors are distinct anonymous_ids, so every source contributes (value, visitor) pairs in
// global visitor ids — the union of the sources' sorted visitor dictionaries (uuid_union.h) —
// and the merge counts distinct visitors per value. A segment answers from its session rollups
// (rollup.h) when the query has no path filter and the attributes involved are constant within
// each of its sessions (device / viewport filters select whole sessions then): one entry per
// session instead of one per row. Otherwise (memtable copies, version 1 segments, a path filter)
// its rows are scanned.
//
// Session-level dimensions attribute a session to its first page view in the selection. A
// session held by one source is attributed there; a session several sources hold (one crossing
// midnight, or spread over a day's segments and the memtable) is attributed in the merge, to the
// earliest of the sources' first page views — on equal times the smaller event_id, which is
// read only then.
#include <algorithm>
#include <bit>
#include <unordered_map>

#include "store/embedded/analytics_parts.h"
#include "store/embedded/dimension_values.h"
#include "store/embedded/embedded_event_store.h"
#include "store/embedded/row_filter.h"
#include "store/embedded/thread_pool.h"
#include "store/embedded/unit_rows.h"

namespace tapistry::store {
namespace {

constexpr uint8_t kPageView = static_cast<uint8_t>(EventType::kPageView);

bool SessionLevel(Dimension d) {
  return d == Dimension::kEntryPage || d == Dimension::kReferrer || d == Dimension::kUtmSource ||
         d == Dimension::kUtmMedium || d == Dimension::kUtmCampaign;
}

// Index of a session-level dimension in SessionAttributes::entry (kEntryColumns).
int EntryIndex(Dimension d) {
  switch (d) {
    case Dimension::kReferrer:
      return 1;
    case Dimension::kUtmSource:
      return 2;
    case Dimension::kUtmMedium:
      return 3;
    case Dimension::kUtmCampaign:
      return 4;
    default:
      return 0;
  }
}

// The uniform attributes (rollup.h UniformBit) a dimension's value needs per session.
uint8_t UniformFor(Dimension d) {
  switch (d) {
    case Dimension::kDevice:
      return kUniformDevice;
    case Dimension::kCountry:
      return kUniformCountry;
    case Dimension::kBrowser:
      return kUniformBrowser;
    case Dimension::kOs:
      return kUniformOs;
    default:
      return 0;
  }
}

// A session that other sources also hold: its first selected page view in this source.
struct SharedSession {
  uint32_t gid;  // the session's
  int64_t ts;
  uint32_t part;
  uint32_t row;  // of that page view in the source (kUnknownRow: `session` and `offset` locate it)
  uint32_t session, offset;
  Uuid event_id;
  bool id_known;
  uint32_t value;  // local value index in its part
  uint32_t vgid;
  uint64_t pageviews;
};
constexpr uint32_t kUnknownRow = UINT32_MAX;

struct Part {
  Status status;
  CompiledFilter filter;
  DimensionValues values;
  std::vector<uint64_t> pageviews;  // by local value
  std::vector<uint64_t> pairs;      // local value << 32 | visitor gid (duplicates allowed)
  // The pairs by value once the source is read (Bucket): visitor gids of local value v are
  // gids[start[v] .. start[v + 1]).
  std::vector<uint32_t> start, gids;
  std::vector<uint32_t> selected_visitors;  // gids, when the query filters rows
  std::vector<SharedSession> shared;
  explicit Part(Dimension d) : values(d) {}
};

struct Context {
  Dimension d;
  bool session_level;
  bool filtered;
  const EventFilter* f;
  const UnitIds* ids;  // global visitor ids; session ids for session-level dimensions
};

// Marks `local` visitor codes once each into p->selected_visitors.
class VisitorMarks {
 public:
  VisitorMarks(Part* p, const std::vector<uint32_t>& gid)
      : p_(p), gid_(gid), seen_(gid.size(), 0) {}
  void Mark(uint32_t local) {
    if (!seen_[local]) {
      seen_[local] = 1;
      p_->selected_visitors.push_back(gid_[local]);
    }
  }

 private:
  Part* p_;
  const std::vector<uint32_t>& gid_;
  std::vector<uint8_t> seen_;
};

Status Corrupt(const char* what) {
  return Status::Corruption(std::string("segment rollup: ") + what);
}

// Can this source answer from its session rollups? `need` collects the uniform attributes the
// answer relies on; they are checked once the attributes are read.
bool RollupsAnswer(const Source& src, const Context& cx, uint8_t* need) {
  if (cx.f->path || !src.HasAggregate(StreamKind::kSessionAttributes) ||
      !src.HasPageviewAggregates())
    return false;
  if (cx.d == Dimension::kPage) {
    if (!src.HasAggregate(StreamKind::kSessionExtraPaths)) return false;
    if (cx.filtered && !src.HasAggregate(StreamKind::kCells)) return false;
  }
  *need = 0;
  if (cx.f->device_class) *need |= kUniformDevice;
  if (cx.f->viewport_bucket) *need |= kUniformViewport;
  if (!cx.session_level) *need |= kUniformVisitor | UniformFor(cx.d);
  if (cx.session_level && cx.filtered) *need |= kUniformVisitor;
  return true;
}

// The per-session page view counts and first times (kSessionStats) alone.
Status LoadSessionStats(const Source& src, size_t sessions, SessionStatsView* stats) {
  ScratchString raw;
  TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kSessionStats, &raw));
  return DecodeSessionStats(std::move(raw), sessions, stats);
}

Status RollupPart(const Source& src, size_t i, const Context& cx, uint8_t need, bool* answered,
                  bool* bucketed, Part* p) {
  using F = SessionAttributes;
  *answered = false;
  *bucketed = false;
  const RollupBounds b = src.Bounds();
  ScratchString raw;
  SessionAttributes attrs;
  TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kSessionAttributes, &raw));
  TAP_RETURN_IF_ERROR(attrs.Open(std::move(raw), b));
  if ((attrs.uniform & need) != need) return Status::Ok();  // the caller scans the rows
  *answered = true;
  const size_t nsess = attrs.sessions;
  const std::vector<uint32_t>& vgid = cx.ids->VisitorGids(i);
  const CompiledFilter& cf = p->filter;
  // Each session's visitor as a global id, and whether the filter selects it (whole sessions:
  // the filtered attributes are constant within each).
  TAP_RETURN_IF_ERROR(attrs.Load({F::kVisitor}));
  std::vector<uint32_t> visitor(nsess);
  for (size_t s = 0; s < nsess; ++s) {
    const uint32_t code = attrs.visitor[s];
    if (code >= vgid.size()) return Corrupt("session visitor code");
    visitor[s] = vgid[code];
  }
  std::vector<uint8_t> selected(nsess, 1);
  if (cf.device) {
    TAP_RETURN_IF_ERROR(attrs.Load({F::kDevice}));
    for (size_t s = 0; s < nsess; ++s) selected[s] = attrs.device[s] == *cf.device;
  }
  if (cf.viewport_bucket) {
    TAP_RETURN_IF_ERROR(attrs.Load({F::kViewport}));
    for (size_t s = 0; s < nsess; ++s) selected[s] &= attrs.vb[s] == *cf.viewport_bucket;
  }
  if (cx.filtered) {
    std::vector<uint8_t> seen(vgid.size(), 0);
    for (size_t s = 0; s < nsess; ++s) {
      const uint32_t code = attrs.visitor[s];
      if (selected[s] && !seen[code]) {
        seen[code] = 1;
        p->selected_visitors.push_back(visitor[s]);
      }
    }
  }

  if (cx.session_level) {
    const int k = EntryIndex(cx.d);
    SessionStatsView stats;
    TAP_RETURN_IF_ERROR(LoadSessionStats(src, nsess, &stats));
    TAP_RETURN_IF_ERROR(attrs.Load({static_cast<F::Field>(F::kEntry0 + k), F::kFirstPvOffset}));
    StringColumn scratch;
    const StringColumn* dict = nullptr;
    TAP_RETURN_IF_ERROR(src.StringDict(StringColumnId(kEntryColumns[k]), &scratch, &dict));
    const std::vector<uint32_t> value_of = p->values.FromDict(*dict);
    p->pageviews.assign(p->values.values().size(), 0);
    const std::vector<uint32_t>& sgid = cx.ids->SessionGids(i);
    if (sgid.size() != nsess) return Corrupt("session dictionary size");
    const int64_t day_start = int64_t{src.day()} * kDayMs;
    p->pairs.reserve(nsess);
    for (uint32_t s = 0; s < nsess; ++s) {
      const uint32_t pv = stats.pageviews[s];
      if (!selected[s] || pv == 0) continue;
      const uint32_t code = attrs.entry[k][s];
      if (code >= value_of.size()) return Corrupt("session entry code");
      const uint32_t value = value_of[code];
      if (!cx.ids->Shared(sgid[s])) {
        p->pairs.push_back((uint64_t{value} << 32) | visitor[s]);
        p->pageviews[value] += pv;
        continue;
      }
      TAP_RETURN_IF_ERROR(attrs.Load({F::kFirstPvRow}));
      const int64_t ts = day_start + stats.first_in_day[s] + attrs.first_pv_offset[s];
      p->shared.push_back({sgid[s], ts, static_cast<uint32_t>(i), kUnknownRow, s,
                           attrs.first_pv_row[s], Uuid{}, false, value, visitor[s], pv});
    }
    return Status::Ok();
  }

  if (cx.d == Dimension::kPage) {
    StringColumn scratch;
    const StringColumn* dict = nullptr;
    TAP_RETURN_IF_ERROR(src.StringDict(ColumnId::kPath, &scratch, &dict));
    const size_t npaths = dict->dict.size();
    // Path codes and value indices coincide: a path dictionary holds distinct strings.
    for (size_t code = 0; code < npaths; ++code) p->values.Intern(std::string(dict->dict[code]));
    if (p->values.values().size() != npaths) return Corrupt("duplicate path in a dictionary");
    p->pageviews.assign(npaths, 0);
    if (!cx.filtered) {
      TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kPathStats, &raw));
      TAP_RETURN_IF_ERROR(DecodePathPageviews(*raw, b, &p->pageviews));
    } else {
      CellTable cells;
      std::vector<uint32_t> cells_selected;
      TAP_RETURN_IF_ERROR(LoadSelectedCells(src, cf, &cells, &cells_selected));
      for (uint32_t c : cells_selected) {
        const uint32_t code = cells.path[c];
        if (code >= npaths) return Corrupt("cell path code");
        p->pageviews[code] += cells.pageviews[c];
      }
    }
    // Visitors by path straight into the buckets: the sessions' page-view paths and their
    // other rows' paths, counted per path first.
    SessionPathLists viewed, extra;
    TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kSessionPaths, &raw));
    TAP_RETURN_IF_ERROR(DecodeSessionPathLists(*raw, b, &viewed));
    TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kSessionExtraPaths, &raw));
    TAP_RETURN_IF_ERROR(DecodeSessionPathLists(*raw, b, &extra));
    p->start.assign(npaths + 1, 0);
    for (const SessionPathLists* lists : {&viewed, &extra}) {
      for (size_t s = 0; s < nsess; ++s) {
        if (!selected[s]) continue;
        for (uint32_t code : lists->Of(s)) ++p->start[code + 1];
      }
    }
    for (size_t v = 0; v < npaths; ++v) p->start[v + 1] += p->start[v];
    p->gids.resize(p->start[npaths]);
    std::vector<uint32_t> fill(p->start.begin(), p->start.end() - 1);
    for (const SessionPathLists* lists : {&viewed, &extra}) {
      for (size_t s = 0; s < nsess; ++s) {
        if (!selected[s]) continue;
        const uint32_t v = visitor[s];
        for (uint32_t code : lists->Of(s)) p->gids[fill[code]++] = v;
      }
    }
    *bucketed = true;
    return Status::Ok();
  }

  // Device, browser, os, country: one value per session.
  SessionStatsView stats;
  TAP_RETURN_IF_ERROR(LoadSessionStats(src, nsess, &stats));
  std::vector<uint32_t> value_of(nsess);
  if (cx.d == Dimension::kDevice) {
    TAP_RETURN_IF_ERROR(attrs.Load({F::kDevice}));
    for (size_t s = 0; s < nsess; ++s) value_of[s] = p->values.Device(attrs.device[s]);
  } else if (cx.d == Dimension::kCountry) {
    TAP_RETURN_IF_ERROR(attrs.Load({F::kCountry}));
    for (size_t s = 0; s < nsess; ++s) value_of[s] = p->values.Country(attrs.country[s]);
  } else {
    const bool browser = cx.d == Dimension::kBrowser;
    TAP_RETURN_IF_ERROR(attrs.Load({browser ? F::kBrowser : F::kOs}));
    StringColumn scratch;
    const StringColumn* dict = nullptr;
    TAP_RETURN_IF_ERROR(
        src.StringDict(browser ? ColumnId::kBrowser : ColumnId::kOs, &scratch, &dict));
    const std::vector<uint32_t> by_code = p->values.FromDict(*dict);
    const CodeArray& codes = browser ? attrs.browser : attrs.os;
    for (size_t s = 0; s < nsess; ++s) {
      const uint32_t code = codes[s];
      if (code >= by_code.size()) return Corrupt("session attribute code");
      value_of[s] = by_code[code];
    }
  }
  p->pageviews.assign(p->values.values().size(), 0);
  p->pairs.reserve(nsess);
  for (size_t s = 0; s < nsess; ++s) {
    if (!selected[s]) continue;
    p->pairs.push_back((uint64_t{value_of[s]} << 32) | visitor[s]);
    p->pageviews[value_of[s]] += stats.pageviews[s];
  }
  return Status::Ok();
}

// Per row of `c`: index into p->values.
void MapRows(const Columns& c, Dimension d, Part* p, std::vector<uint32_t>* out) {
  out->resize(c.rows);
  const int s = StringColumnOf(d);
  if (s >= 0) {
    const std::vector<uint32_t> by_code = p->values.FromDict(c.str[s]);
    for (size_t r = 0; r < c.rows; ++r) (*out)[r] = by_code[c.str[s].codes[r]];
  } else if (d == Dimension::kDevice) {
    for (size_t r = 0; r < c.rows; ++r) (*out)[r] = p->values.Device(c.device[r]);
  } else {
    for (size_t r = 0; r < c.rows; ++r) (*out)[r] = p->values.Country(c.country[r]);
  }
}

Status ScanPart(const Source& src, size_t i, const Context& cx, Part* p) {
  const CompiledFilter& cf = p->filter;
  ColumnMask mask =
      Bit(ColumnId::kType) | Bit(ColumnId::kAnonymous) | DimensionColumns(cx.d) | cf.columns;
  std::vector<uint32_t> runs, order;
  if (cx.session_level) {
    TAP_RETURN_IF_ERROR(src.SessionOrder(&runs, &order));
    mask |= Bit(ColumnId::kTs);
    // Segments order a session's rows by (ts, event_id): its first page view is the first one
    // met. Memtable rows come in arrival order, so their event ids break ties.
    if (!order.empty()) mask |= Bit(ColumnId::kEventId);
  }
  SelectedRows rows;
  TAP_RETURN_IF_ERROR(rows.Read(src, cf, mask));
  const Columns& c = rows.cols();
  auto selected = [&](size_t r) { return rows.selected(r); };
  std::vector<uint32_t> value_of_row;
  MapRows(c, cx.d, p, &value_of_row);
  p->pageviews.assign(p->values.values().size(), 0);
  const std::vector<uint32_t>& vgid = cx.ids->VisitorGids(i);
  if (vgid.size() != c.anonymous.dict.size())
    return Status::Internal("visitor dictionary changed during a query");
  const std::vector<uint32_t>& anon = c.anonymous.codes;
  if (cx.filtered) {
    VisitorMarks marks(p, vgid);
    for (size_t r = 0; r < c.rows; ++r) {
      if (selected(r)) marks.Mark(anon[r]);
    }
  }
  if (!cx.session_level) {
    for (size_t r = 0; r < c.rows; ++r) {
      if (!selected(r)) continue;
      p->pairs.push_back((uint64_t{value_of_row[r]} << 32) | vgid[anon[r]]);
      p->pageviews[value_of_row[r]] += c.type[r] == kPageView;
    }
    return Status::Ok();
  }
  const std::vector<uint32_t>& sgid = cx.ids->SessionGids(i);
  if (sgid.size() != runs.size())
    return Status::Internal("session dictionary changed during a query");
  const bool by_id = !order.empty();
  size_t row = 0;
  for (uint32_t s = 0; s < runs.size(); ++s) {
    const size_t end = row + runs[s];
    uint64_t pv = 0;
    uint32_t first = UINT32_MAX;
    for (; row < end; ++row) {
      const uint32_t r = by_id ? order[row] : static_cast<uint32_t>(row);
      if (!selected(r) || c.type[r] != kPageView) continue;
      ++pv;
      if (first == UINT32_MAX ||
          (by_id && (c.ts[r] < c.ts[first] ||
                     (c.ts[r] == c.ts[first] && c.event_id[r] < c.event_id[first])))) {
        first = r;
      }
    }
    if (pv == 0) continue;
    const uint32_t value = value_of_row[first], v = vgid[anon[first]];
    if (!cx.ids->Shared(sgid[s])) {
      p->pairs.push_back((uint64_t{value} << 32) | v);
      p->pageviews[value] += pv;
    } else {
      p->shared.push_back({sgid[s], c.ts[first], static_cast<uint32_t>(i), first, s, 0,
                           by_id ? c.event_id[first] : Uuid{}, by_id, value, v, pv});
    }
  }
  return Status::Ok();
}

// Turns p->pairs into value-major buckets (a counting sort), dropping a visitor repeated within
// a bucket when it follows itself (rows of one session), which keeps buckets short cheaply.
void Bucket(Part* p) {
  const size_t nvalues = p->values.values().size();
  p->start.assign(nvalues + 1, 0);
  for (uint64_t pair : p->pairs) ++p->start[(pair >> 32) + 1];
  for (size_t v = 0; v < nvalues; ++v) p->start[v + 1] += p->start[v];
  std::vector<uint32_t> fill(p->start.begin(), p->start.end() - 1);
  p->gids.resize(p->pairs.size());
  for (uint64_t pair : p->pairs) p->gids[fill[pair >> 32]++] = static_cast<uint32_t>(pair);
  p->pairs = {};
}

}  // namespace

Result<BreakdownResult> EmbeddedEventStore::Breakdown(const EventFilter& f, Dimension d,
                                                      size_t limit) {
  if (f.from_day > f.to_day) return Status::InvalidArgument("from_day is after to_day");
  if (static_cast<int>(d) > static_cast<int>(Dimension::kCountry)) {
    return Status::InvalidArgument("not a breakdown dimension");
  }
  const RowPredicate pred = RowPredicate::FromFilter(f);
  Context cx{d, SessionLevel(d), !pred.empty(), &f, nullptr};
  ColumnMask mem = Bit(ColumnId::kType) | Bit(ColumnId::kAnonymous) | DimensionColumns(d) |
                   Bit(ColumnId::kPath) | Bit(ColumnId::kDevice) | Bit(ColumnId::kViewportW);
  if (cx.session_level)
    mem |= Bit(ColumnId::kTs) | Bit(ColumnId::kEventId) | Bit(ColumnId::kSession);
  auto snapshot = Snapshot(f.project_id, f.from_day, f.to_day, mem, f.include_bots);
  if (!snapshot.ok()) return snapshot.status();
  const SourceList& sources = *snapshot;
  std::vector<Part> parts;
  parts.reserve(sources.size());
  for (size_t i = 0; i < sources.size(); ++i) parts.emplace_back(d);

  // Phase 0: filters; then global visitor (and session) ids.
  auto compiled = CompileFilters(sources, pred, [&](size_t i) { return &parts[i].filter; });
  if (!compiled.ok()) return compiled.status();
  const std::vector<uint8_t>& read = *compiled;
  UnitIds ids;
  TAP_RETURN_IF_ERROR(LoadUnitIds(sources, read, {cx.session_level, true, true}, &ids));
  cx.ids = &ids;
  const std::vector<size_t>& live = ids.live;

  // Phase A: each source's pairs, page views and shared sessions.
  ParallelFor(live.size(), [&](size_t k) {
    const size_t i = live[k];
    Part& p = parts[i];
    const Source& src = *sources[i];
    uint8_t need = 0;
    bool answered = false, bucketed = false;
    if (RollupsAnswer(src, cx, &need)) {
      p.status = RollupPart(src, i, cx, need, &answered, &bucketed, &p);
      if (!p.status.ok()) return;
    }
    if (!answered) p.status = ScanPart(src, i, cx, &p);
    if (p.status.ok() && !bucketed) Bucket(&p);
  });
  for (size_t i : live) {
    if (!parts[i].status.ok()) return parts[i].status;
  }

  // Merge: local values become global ones (by string).
  std::unordered_map<std::string_view, uint32_t> index;
  std::vector<std::string_view> values;
  std::vector<uint64_t> pageviews;
  std::vector<std::vector<uint32_t>> to_global(parts.size());
  for (size_t i : live) {
    const auto& local = parts[i].values.values();
    to_global[i].resize(local.size());
    for (size_t v = 0; v < local.size(); ++v) {
      auto [it, fresh] = index.try_emplace(local[v], static_cast<uint32_t>(values.size()));
      if (fresh) values.push_back(local[v]);
      to_global[i][v] = it->second;
    }
  }
  pageviews.assign(values.size(), 0);
  for (size_t i : live) {
    const Part& p = parts[i];
    for (size_t v = 0; v < p.pageviews.size(); ++v) pageviews[to_global[i][v]] += p.pageviews[v];
  }
  // Shared sessions: each goes to its earliest first page view over the sources holding it.
  std::vector<uint64_t> attributed;  // global value << 32 | visitor gid
  {
    std::vector<SharedSession> shared;
    for (size_t i : live)
      shared.insert(shared.end(), parts[i].shared.begin(), parts[i].shared.end());
    std::unordered_map<uint32_t, Columns> event_ids;  // part -> event ids, read on ties
    std::unordered_map<uint32_t, std::vector<uint32_t>> run_starts;
    auto event_id = [&](SharedSession& s) -> Status {
      if (s.id_known) return Status::Ok();
      const Source& src = *sources[s.part];
      if (s.row == kUnknownRow) {
        auto [it, fresh] = run_starts.try_emplace(s.part);
        if (fresh) {
          std::vector<uint32_t> runs, order;
          TAP_RETURN_IF_ERROR(src.SessionOrder(&runs, &order));
          it->second.assign(runs.size() + 1, 0);
          for (size_t k = 0; k < runs.size(); ++k) it->second[k + 1] = it->second[k] + runs[k];
        }
        if (s.session + 1 >= it->second.size() ||
            s.offset >= it->second[s.session + 1] - it->second[s.session]) {
          return Corrupt("session first page view row");
        }
        s.row = it->second[s.session] + s.offset;
      }
      auto [it, fresh] = event_ids.try_emplace(s.part);
      if (fresh) {
        auto got = src.Get(Bit(ColumnId::kEventId), &it->second);
        if (!got.ok()) return got.status();
        if (*got != &it->second) it->second.event_id = (*got)->event_id;  // memtable copy
      }
      if (s.row >= it->second.event_id.size()) return Corrupt("first page view row");
      s.event_id = it->second.event_id[s.row];
      s.id_known = true;
      return Status::Ok();
    };
    TAP_RETURN_IF_ERROR(ForEachSharedSession(
        shared, [](const SharedSession& a, const SharedSession& b) { return a.ts < b.ts; },
        [&](std::span<SharedSession> session) -> Status {
          uint64_t pv = 0;
          for (const SharedSession& x : session) pv += x.pageviews;
          size_t win = 0;
          for (size_t k = 1; k < session.size() && session[k].ts == session[0].ts;
               ++k) {  // equal first times
            TAP_RETURN_IF_ERROR(event_id(session[win]));
            TAP_RETURN_IF_ERROR(event_id(session[k]));
            if (session[k].event_id < session[win].event_id) win = k;
          }
          const SharedSession& w = session[win];
          const uint32_t value = to_global[w.part][w.value];
          attributed.push_back((uint64_t{value} << 32) | w.vgid);
          pageviews[value] += pv;
          return Status::Ok();
        }));
  }
  // Distinct visitors per value, counted with a stamp per visitor over the value's buckets in
  // every source. Only values that can still reach the top `limit` are counted: a value's
  // bucket sizes bound its visitors from above, and values are taken in that bound's order.
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> refs(
      values.size());  // (part, local value)
  std::vector<uint64_t> bound(values.size(), 0);
  for (size_t i : live) {
    const Part& p = parts[i];
    for (uint32_t l = 0; l + 1 < p.start.size(); ++l) {
      const uint32_t n = p.start[l + 1] - p.start[l];
      if (n == 0) continue;
      const uint32_t g = to_global[i][l];
      refs[g].emplace_back(static_cast<uint32_t>(i), l);
      bound[g] += n;
    }
  }
  std::sort(attributed.begin(), attributed.end());
  std::vector<uint32_t> attributed_at(values.size() + 1, 0);
  for (uint64_t pair : attributed) ++attributed_at[(pair >> 32) + 1];
  for (size_t v = 0; v < values.size(); ++v) {
    bound[v] += attributed_at[v + 1];
    attributed_at[v + 1] += attributed_at[v];
  }
  std::vector<uint32_t> candidates;
  for (uint32_t v = 0; v < values.size(); ++v) {
    if (bound[v] > 0) candidates.push_back(v);
  }
  std::sort(candidates.begin(), candidates.end(),
            [&](uint32_t a, uint32_t b) { return bound[a] > bound[b]; });
  std::vector<uint64_t> visitors(values.size(), 0);
  std::vector<uint32_t> stamp(ids.visitor_ids.distinct, UINT32_MAX);
  auto better = [&](uint32_t a, uint32_t b) {  // output order: visitors desc, then value asc
    return visitors[a] != visitors[b] ? visitors[a] > visitors[b] : values[a] < values[b];
  };
  std::vector<uint32_t> top;  // counted values, a heap whose front is the worst of the best `limit`
  for (uint32_t v : candidates) {
    if (limit == 0) break;
    if (top.size() == limit && bound[v] < visitors[top.front()]) break;  // no later value can enter
    uint64_t n = 0;
    auto count = [&](uint32_t g) {
      n += stamp[g] != v;
      stamp[g] = v;
    };
    for (const auto& [i, l] : refs[v]) {
      const Part& p = parts[i];
      for (uint32_t k = p.start[l]; k < p.start[l + 1]; ++k) count(p.gids[k]);
    }
    for (uint32_t k = attributed_at[v]; k < attributed_at[v + 1]; ++k)
      count(static_cast<uint32_t>(attributed[k]));
    visitors[v] = n;
    if (top.size() < limit) {
      top.push_back(v);
      std::push_heap(top.begin(), top.end(), better);
    } else if (better(v, top.front())) {
      std::pop_heap(top.begin(), top.end(), better);
      top.back() = v;
      std::push_heap(top.begin(), top.end(), better);
    }
  }

  BreakdownResult out;
  if (!cx.filtered) {
    out.total_visitors = ids.visitor_ids.distinct;
  } else {
    std::vector<uint64_t> bits((ids.visitor_ids.distinct + 63) / 64, 0);
    for (size_t i : live) {
      for (uint32_t g : parts[i].selected_visitors) bits[g >> 6] |= uint64_t{1} << (g & 63);
    }
    for (uint64_t w : bits) out.total_visitors += static_cast<uint64_t>(std::popcount(w));
  }
  // Values appear only when some visitor was counted for them (the reference creates a row on use).
  std::sort(top.begin(), top.end(), better);
  for (uint32_t v : top) {
    if (visitors[v] == 0) continue;
    out.rows.push_back({std::string(values[v]), visitors[v], pageviews[v]});
  }
  return out;
}

}  // namespace tapistry::store
