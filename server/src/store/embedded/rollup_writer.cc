// RollupWriter: what it keeps per session while the segment writer hands it the columns, and
// the order of its streams. Each rollup is built in its own file: BuildSessionAttributes in
// rollup_sessions.cc, BuildExtraPaths in rollup_session_paths.cc, BuildCells (the six cell
// rollups, one pass over the rows) in rollup_cell_writer.cc.
#include <utility>

#include "store/embedded/rollup.h"
#include "store/embedded/rollup_internal.h"

namespace tapistry::store {

RollupWriter::RollupWriter(RollupInput in) : in_(std::move(in)) {
  const size_t nsess = in_.runs.size();
  run_start_.resize(nsess + 1);
  first_pv_.assign(nsess, UINT32_MAX);
  uint32_t row = 0;
  bool uniform_visitor = true;
  for (size_t s = 0; s < nsess; ++s) {
    run_start_[s] = row;
    const uint32_t end = row + in_.runs[s];
    for (uint32_t i = row; i < end; ++i) {
      if (in_.type[i] == kPageView) {
        first_pv_[s] = i;
        break;
      }
    }
    const uint32_t v = in_.visitor[row];
    for (uint32_t i = row + 1; i < end; ++i) uniform_visitor &= in_.visitor[i] == v;
    row = end;
  }
  run_start_[nsess] = row;
  if (uniform_visitor) uniform_ |= kUniformVisitor;
  browser_.assign(nsess, 0);
  os_.assign(nsess, 0);
  for (auto& e : entry_) e.assign(nsess, 0);
}

void RollupWriter::AddStringCodes(int str_col, const std::vector<uint32_t>& codes,
                                  const std::vector<uint32_t>& remap, uint64_t dict_size) {
  dict_size_[str_col] = dict_size;
  const size_t nsess = in_.runs.size();
  if (str_col == kStrPath) {
    path_ = codes;
    path_remap_ = remap;
  }
  if (str_col == kStrSelector) selector_remap_ = remap;
  for (int k = 0; k < 5; ++k) {
    if (kEntryColumns[k] != str_col) continue;
    for (size_t s = 0; s < nsess; ++s)
      entry_[k][s] = first_pv_[s] == UINT32_MAX ? 0 : codes[first_pv_[s]];
  }
  if (str_col == kStrBrowser || str_col == kStrOs) {
    std::vector<uint32_t>& out = str_col == kStrBrowser ? browser_ : os_;
    bool uniform = true;
    for (size_t s = 0; s < nsess; ++s) {
      const uint32_t v = out[s] = codes[run_start_[s]];
      for (uint32_t i = run_start_[s] + 1; i < run_start_[s + 1]; ++i) uniform &= codes[i] == v;
    }
    if (uniform) uniform_ |= str_col == kStrBrowser ? kUniformBrowser : kUniformOs;
  }
}

void RollupWriter::Finish(std::vector<Stream>* out) {
  std::string raw;
  BuildSessionAttributes(&raw);
  out->push_back({StreamKind::kSessionAttributes, std::move(raw), false});
  raw = std::string();
  std::string stats;
  BuildExtraPaths(&raw, &stats);
  out->push_back({StreamKind::kSessionExtraPaths, std::move(raw), true});
  out->push_back({StreamKind::kSessionPathStats, std::move(stats), false});
  BuildCells(out);
}

}  // namespace tapistry::store
