#include "store/embedded/unit_rows.h"

#include <algorithm>

#include "store/embedded/thread_pool.h"
#include "store/embedded/uuid_union.h"

namespace tapistry::store {
namespace {

constexpr size_t kMergeWorkers = 64;

ColumnId UnitColumn(UnitKind kind) {
  return kind == UnitKind::kSession ? ColumnId::kSession : ColumnId::kAnonymous;
}

// A row of a unit several sources hold, on its way to the merge.
struct SharedRow {
  uint32_t gid;
  UnitRow r;
  Uuid event_id;
  bool id_known;
};

// A row of a unit only this source holds, when the source's rows are not in unit order.
struct LocalRow {
  uint32_t gid;
  UnitRow r;
  Uuid event_id;
};

}  // namespace

Status LoadUnitIds(const SourceList& sources, const std::vector<uint8_t>& read, UnitIdsWanted want,
                   UnitIds* out) {
  const size_t n = sources.size();
  out->index.assign(n, -1);
  out->live.clear();
  out->sessions.assign(n, nullptr);
  out->visitors.assign(n, nullptr);
  std::vector<Status> status(n);
  ParallelFor(n, [&](size_t i) {
    if (!read[i] || sources[i]->rows() == 0) return;
    if (want.sessions) status[i] = sources[i]->UuidDict(ColumnId::kSession, &out->sessions[i]);
    if (status[i].ok() && want.visitors) {
      status[i] = sources[i]->UuidDict(ColumnId::kAnonymous, &out->visitors[i]);
    }
  });
  std::vector<std::span<const Uuid>> session_lists, visitor_lists;
  for (size_t i = 0; i < n; ++i) {
    if (!status[i].ok()) return status[i];
    if (!read[i] || sources[i]->rows() == 0) continue;
    out->index[i] = static_cast<int>(out->live.size());
    out->live.push_back(i);
    if (want.sessions) session_lists.emplace_back(*out->sessions[i]);
    if (want.visitors) visitor_lists.emplace_back(*out->visitors[i]);
  }
  ParallelFor(2, [&](size_t k) {
    if (k == 0 && want.sessions) out->session_ids = UnionSortedUuids(session_lists);
    if (k == 1 && want.visitors) {
      out->visitor_ids = UnionSortedUuids(visitor_lists, want.visitor_gids);
    }
  });
  return Status::Ok();
}

ColumnMask UnitColumns(UnitKind kind) {
  return Bit(ColumnId::kTs) | Bit(ColumnId::kEventId) | Bit(UnitColumn(kind));
}

size_t UnitWorkers(const SourceList& sources) { return sources.size() + kMergeWorkers; }

Status ForEachUnit(const SourceList& sources, UnitKind kind, ColumnMask mask,
                   const RowSelect& select, const UnitFn& unit) {
  const size_t n = sources.size();
  const bool by_session = kind == UnitKind::kSession;
  const ColumnId unit_col = UnitColumn(kind);
  std::vector<uint8_t> read(n, 0);
  for (size_t i = 0; i < n; ++i) read[i] = sources[i]->rows() > 0;
  UnitIds ids;
  TAP_RETURN_IF_ERROR(LoadUnitIds(sources, read, {by_session, !by_session, true}, &ids));
  const UuidUnionResult& u = by_session ? ids.session_ids : ids.visitor_ids;

  // Phase 1, per source: select; units only this source holds go to `unit` at once.
  std::vector<Status> status(n);
  std::vector<std::vector<SharedRow>> shared(n);
  ParallelFor(n, [&](size_t i) {
    if (!read[i]) return;
    const Source& src = *sources[i];
    // A segment's session rows come in (ts, event_id) order: no sort, no event ids.
    const bool in_order = by_session && src.SessionOrdered();
    ColumnMask need = mask | Bit(ColumnId::kTs) | Bit(unit_col);
    if (!in_order) need |= Bit(ColumnId::kEventId);
    Columns scratch;
    auto got = src.Get(need, &scratch);
    if (!got.ok()) {
      status[i] = got.status();
      return;
    }
    const Columns& c = **got;
    std::vector<TaggedRow> keep;
    status[i] = select(i, src, c, &keep);
    if (!status[i].ok() || keep.empty()) return;
    const std::vector<uint32_t>& gid = u.gid[static_cast<size_t>(ids.index[i])];
    const std::vector<uint32_t>& codes = by_session ? c.session.codes : c.anonymous.codes;
    std::vector<UnitRow> run;
    std::vector<LocalRow> local;
    uint32_t run_gid = UINT32_MAX;
    for (const TaggedRow& k : keep) {
      if (k.row >= c.rows || codes[k.row] >= gid.size()) {
        status[i] = Status::Corruption("unit rows: row or dictionary code out of range");
        return;
      }
      const uint32_t g = gid[codes[k.row]];
      const UnitRow r{c.ts[k.row], k.tag, static_cast<uint32_t>(i), k.row};
      if (u.multiplicity[g] > 1) {
        shared[i].push_back({g, r, in_order ? Uuid() : c.event_id[k.row], !in_order});
      } else if (!in_order) {
        local.push_back({g, r, c.event_id[k.row]});
      } else {
        if (g != run_gid && !run.empty()) {
          status[i] = unit(i, run);
          if (!status[i].ok()) return;
          run.clear();
        }
        run_gid = g;
        run.push_back(r);
      }
    }
    if (!run.empty()) status[i] = unit(i, run);
    if (!status[i].ok() || local.empty()) return;
    std::sort(local.begin(), local.end(), [](const LocalRow& a, const LocalRow& b) {
      if (a.gid != b.gid) return a.gid < b.gid;
      return a.r.ts != b.r.ts ? a.r.ts < b.r.ts : a.event_id < b.event_id;
    });
    for (size_t a = 0; a < local.size();) {
      run.clear();
      size_t b = a;
      for (; b < local.size() && local[b].gid == local[a].gid; ++b) run.push_back(local[b].r);
      status[i] = unit(i, run);
      if (!status[i].ok()) return;
      a = b;
    }
  });
  for (const Status& st : status) {
    if (!st.ok()) return st;
  }

  // Phase 2: the units several sources hold, merged once: a counting sort by unit, then each
  // unit's rows by (ts, source, row).
  size_t total = 0;
  for (const auto& part : shared) total += part.size();
  if (total == 0) return Status::Ok();
  std::vector<uint32_t> begin(size_t{u.distinct} + 1, 0);
  for (const auto& part : shared) {
    for (const SharedRow& r : part) ++begin[r.gid + 1];
  }
  for (size_t g = 1; g < begin.size(); ++g) begin[g] += begin[g - 1];
  std::vector<SharedRow> rows(total);
  {
    std::vector<uint32_t> fill(begin.begin(), begin.end() - 1);
    for (auto& part : shared) {
      for (const SharedRow& r : part) rows[fill[r.gid]++] = r;
      part = {};
    }
  }
  // Keep only units with rows.
  begin.erase(std::unique(begin.begin(), begin.end()), begin.end());
  const size_t units = begin.size() - 1;
  const size_t sort_chunks = std::min(units, kMergeWorkers);
  ParallelFor(sort_chunks, [&](size_t ch) {
    for (size_t k = units * ch / sort_chunks; k < units * (ch + 1) / sort_chunks; ++k) {
      std::sort(rows.begin() + begin[k], rows.begin() + begin[k + 1],
                [](const SharedRow& a, const SharedRow& b) {
                  if (a.r.ts != b.r.ts) return a.r.ts < b.r.ts;
                  return a.r.source != b.r.source ? a.r.source < b.r.source : a.r.row < b.r.row;
                });
    }
  });
  // Rows of one unit at one millisecond from different sources are ordered by event id, read
  // (per source, once) only for them. Within one source, row order already is that order.
  std::vector<std::pair<size_t, size_t>> ties;  // [first, last) runs that need event ids
  std::vector<std::vector<size_t>> wanted(n);   // source -> indices into rows
  for (size_t a = 0; a < rows.size();) {
    size_t b = a + 1;
    bool mixed = false;
    while (b < rows.size() && rows[b].gid == rows[a].gid && rows[b].r.ts == rows[a].r.ts) {
      mixed |= rows[b].r.source != rows[a].r.source || rows[b].id_known;
      ++b;
    }
    if (b - a > 1 && (mixed || rows[a].id_known)) {
      ties.emplace_back(a, b);
      for (size_t k = a; k < b; ++k) {
        if (!rows[k].id_known) wanted[rows[k].r.source].push_back(k);
      }
    }
    a = b;
  }
  std::vector<Status> id_status(n);
  ParallelFor(n, [&](size_t i) {
    if (wanted[i].empty()) return;
    Columns scratch;
    auto got = sources[i]->Get(Bit(ColumnId::kEventId), &scratch);
    if (!got.ok()) {
      id_status[i] = got.status();
      return;
    }
    for (size_t k : wanted[i]) {
      rows[k].event_id = (*got)->event_id[rows[k].r.row];
      rows[k].id_known = true;
    }
  });
  for (const Status& st : id_status) {
    if (!st.ok()) return st;
  }
  for (const auto& [a, b] : ties) {
    std::sort(rows.begin() + static_cast<ptrdiff_t>(a), rows.begin() + static_cast<ptrdiff_t>(b),
              [](const SharedRow& x, const SharedRow& y) { return x.event_id < y.event_id; });
  }
  const size_t chunks = std::min(units, kMergeWorkers);
  std::vector<Status> merge_status(chunks);
  ParallelFor(chunks, [&](size_t ch) {
    std::vector<UnitRow> run;
    for (size_t k = units * ch / chunks; k < units * (ch + 1) / chunks && merge_status[ch].ok();
         ++k) {
      run.clear();
      for (uint32_t r = begin[k]; r < begin[k + 1]; ++r) run.push_back(rows[r].r);
      merge_status[ch] = unit(n + ch, run);
    }
  });
  for (const Status& st : merge_status) {
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace tapistry::store
