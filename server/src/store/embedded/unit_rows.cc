#include "store/embedded/unit_rows.h"

#include <algorithm>

#include "store/embedded/thread_pool.h"
#include "store/embedded/uuid_union.h"

namespace tapistry::store {
namespace {

ColumnId UnitColumn(UnitKind kind) {
  return kind == UnitKind::kSession ? ColumnId::kSession : ColumnId::kAnonymous;
}

struct Part {
  Status status;
  std::vector<uint32_t> code;                     // per kept row: its dictionary code
  std::vector<UnitRow> rows;
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

Status CollectUnitRows(const SourceList& sources, UnitKind kind, ColumnMask mask,
                       const RowSelect& select, UnitRows* out) {
  const ColumnId unit_col = UnitColumn(kind);
  const ColumnMask need = mask | UnitColumns(kind);
  std::vector<Part> parts(sources.size());
  ParallelFor(sources.size(), [&](size_t i) {
    Part& p = parts[i];
    const Source& src = *sources[i];
    if (src.rows() == 0) return;
    Columns scratch;
    auto got = src.Get(need, &scratch);
    if (!got.ok()) {
      p.status = got.status();
      return;
    }
    const Columns& c = **got;
    std::vector<TaggedRow> keep;
    p.status = select(i, src, c, &keep);
    if (!p.status.ok() || keep.empty()) return;
    const UuidColumn& u = unit_col == ColumnId::kSession ? c.session : c.anonymous;
    p.rows.reserve(keep.size());
    p.code.reserve(keep.size());
    for (const TaggedRow& k : keep) {
      if (k.row >= c.rows || u.codes[k.row] >= u.dict.size()) {
        p.status = Status::Corruption("unit rows: row or dictionary code out of range");
        return;
      }
      p.rows.push_back({c.ts[k.row], c.event_id[k.row], k.tag, static_cast<uint32_t>(i), k.row});
      p.code.push_back(u.codes[k.row]);
    }
  });
  std::vector<uint8_t> read(sources.size(), 0);
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!parts[i].status.ok()) return parts[i].status;
    read[i] = !parts[i].rows.empty();
  }
  out->rows.clear();
  out->begin.clear();
  UnitIds ids;
  const bool sessions = kind == UnitKind::kSession;
  TAP_RETURN_IF_ERROR(LoadUnitIds(sources, read, {sessions, !sessions, true}, &ids));
  if (ids.live.empty()) return Status::Ok();
  const UuidUnionResult& u = sessions ? ids.session_ids : ids.visitor_ids;
  const std::vector<size_t>& live = ids.live;

  // A counting sort of the rows by global unit id.
  std::vector<uint32_t> count(size_t{u.distinct} + 1, 0);
  for (size_t k = 0; k < live.size(); ++k) {
    const Part& p = parts[live[k]];
    for (uint32_t code : p.code) ++count[u.gid[k][code] + 1];
  }
  std::vector<uint32_t> slot(count.size(), 0);
  for (size_t g = 1; g < count.size(); ++g) slot[g] = slot[g - 1] + count[g];
  out->rows.resize(slot.back());
  std::vector<uint32_t> fill(slot.begin(), slot.end() - 1);
  for (size_t k = 0; k < live.size(); ++k) {
    Part& p = parts[live[k]];
    for (size_t r = 0; r < p.rows.size(); ++r) out->rows[fill[u.gid[k][p.code[r]]]++] = p.rows[r];
    p.rows = {};
    p.code = {};
  }
  for (size_t g = 0; g < u.distinct; ++g) {
    if (slot[g + 1] > slot[g]) out->begin.push_back(slot[g]);
  }
  out->begin.push_back(slot.back());

  // Each unit's rows in (ts, event_id) order.
  const size_t units = out->begin.size() - 1;
  const size_t chunks = std::min<size_t>(units, 64);
  ParallelFor(chunks, [&](size_t c) {
    for (size_t k = units * c / chunks; k < units * (c + 1) / chunks; ++k) {
      auto first = out->rows.begin() + out->begin[k], last = out->rows.begin() + out->begin[k + 1];
      std::sort(first, last, [](const UnitRow& a, const UnitRow& b) {
        return a.ts != b.ts ? a.ts < b.ts : a.event_id < b.event_id;
      });
    }
  });
  return Status::Ok();
}

}  // namespace tapistry::store
