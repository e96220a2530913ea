// What a path filter keeps of a session (docs/formats/segment.md 2.8): kSessionExtraPaths and
// kSessionPathStats, read and written here (RollupWriter::BuildExtraPaths); and the kPathStats
// and kSessionPaths aggregates (2.7), which the segment writer builds, read here.
#include <algorithm>
#include <cstring>

#include "store/embedded/coding.h"
#include "store/embedded/rollup.h"
#include "store/embedded/rollup_internal.h"

namespace tapistry::store {

Status DecodePathPageviews(std::string_view raw, const RollupBounds& b,
                           std::vector<uint64_t>* out) {
  ByteReader r(raw);
  out->assign(b.path_dict, 0);
  uint64_t total = 0;
  for (uint64_t i = 0; i < b.path_dict; ++i) {
    uint64_t sessions;
    if (!r.GetVarint64(&(*out)[i]) || !r.GetVarint64(&sessions)) return Bad("truncated path stats");
    if ((*out)[i] > b.rows) return Bad("path stats out of range");
    total += (*out)[i];
  }
  if (r.remaining() != 0 || total != b.pageviews) return Bad("path stats disagree with the footer");
  return Status::Ok();
}

Status DecodeSessionPathLists(std::string_view raw, const RollupBounds& b, SessionPathLists* out) {
  ByteReader r(raw);
  const size_t n = static_cast<size_t>(b.sessions);
  out->start.resize(n + 1);
  uint64_t total = 0;
  for (size_t s = 0; s < n; ++s) {
    uint64_t k;
    if (!r.GetVarint64(&k) || k > b.path_dict) return Bad("session path count");
    out->start[s] = static_cast<uint32_t>(total);
    total += k;
    if (total > b.rows) return Bad("session path count");
  }
  out->start[n] = static_cast<uint32_t>(total);
  uint8_t width;
  if (!r.GetFixed8(&width) || (width != 1 && width != 2 && width != 4) ||
      r.remaining() != total * width) {
    return Bad("session path codes");
  }
  const auto* p = reinterpret_cast<const uint8_t*>(r.position());
  out->codes.resize(total);
  uint32_t* codes = out->codes.data();
  uint32_t mx = 0;
  if (width == 1) {
    for (uint64_t i = 0; i < total; ++i) mx = std::max<uint32_t>(mx, codes[i] = p[i]);
  } else if (width == 2) {
    for (uint64_t i = 0; i < total; ++i)
      mx = std::max<uint32_t>(mx, codes[i] = p[2 * i] | (p[2 * i + 1] << 8));
  } else if (total > 0) {
    std::memcpy(codes, p, total * 4);  // little-endian, as the format
    for (uint64_t i = 0; i < total; ++i) mx = std::max(mx, codes[i]);
  }
  if (total > 0 && mx >= b.path_dict) return Bad("session path code");
  return Status::Ok();
}

Status SessionPathStats::Open(ScratchString raw, size_t pairs) {
  raw_ = std::move(raw);
  pairs_ = pairs;
  for (bool& l : loaded_) l = false;
  static constexpr uint8_t kWidths[kFieldCount] = {4, 4, 4};
  return stream_.Open(*raw_, kWidths, pairs);
}

Status SessionPathStats::Load(std::initializer_list<Field> fields) {
  for (Field f : fields) {
    if (loaded_[f]) continue;
    TAP_RETURN_IF_ERROR(stream_.Load(f, fields_[f].get()));
    loaded_[f] = true;
    const ShuffledArray<uint32_t> a(fields_[f]->data(), pairs_);
    (f == kPageviews ? pageviews : f == kFirstOffset ? first_offset : span) = a;
  }
  return Status::Ok();
}

void RollupWriter::BuildExtraPaths(std::string* raw, std::string* stats) {
  const size_t nsess = in_.runs.size();
  const uint64_t npaths = dict_size_[kStrPath];
  // Per path, the session that last listed it and at which pair index.
  std::vector<uint32_t> listed(npaths, UINT32_MAX), pair_of(npaths, 0), extra_codes;
  std::vector<uint32_t> viewed_n(nsess, 0), extra_n(nsess, 0);
  // Pairs in kSessionPaths order first (page-view paths in first-view order), then extras.
  std::vector<uint32_t> pv, first, last, viewed_codes;
  std::vector<uint32_t> extra_pv, extra_first, extra_last;
  raw->clear();
  for (uint32_t s = 0; s < nsess; ++s) {
    const uint32_t i0 = run_start_[s], end = run_start_[s + 1];
    const int64_t t0 = in_.ts[i0];
    const size_t viewed_at = pv.size(), extra_at = extra_pv.size();
    for (uint32_t i = i0; i < end; ++i) {
      if (in_.type[i] != kPageView) continue;
      const uint32_t pc = path_[i];
      if (listed[pc] != s) {
        listed[pc] = s;
        pair_of[pc] = static_cast<uint32_t>(pv.size());
        pv.push_back(0);
        first.push_back(UINT32_MAX);
        last.push_back(0);
        viewed_codes.push_back(pc);
      }
    }
    viewed_n[s] = static_cast<uint32_t>(pv.size() - viewed_at);
    for (uint32_t i = i0; i < end; ++i) {
      const uint32_t pc = path_[i];
      const uint32_t offset = static_cast<uint32_t>(in_.ts[i] - t0);
      uint32_t* f;
      uint32_t* l;
      if (listed[pc] == s) {
        const uint32_t k = pair_of[pc];
        pv[k] += in_.type[i] == kPageView;
        f = &first[k];
        l = &last[k];
      } else {
        if (listed[pc] != s + nsess) {  // a path none of the session's page views has
          listed[pc] = s + static_cast<uint32_t>(nsess);
          pair_of[pc] = static_cast<uint32_t>(extra_pv.size());
          extra_pv.push_back(0);
          extra_first.push_back(UINT32_MAX);
          extra_last.push_back(0);
          extra_codes.push_back(pc);
        }
        const uint32_t k = pair_of[pc];
        f = &extra_first[k];
        l = &extra_last[k];
      }
      *f = std::min(*f, offset);
      *l = std::max(*l, offset);
    }
    extra_n[s] = static_cast<uint32_t>(extra_pv.size() - extra_at);
    PutVarint64(raw, extra_n[s]);
  }
  const uint8_t width = WidthFor(npaths);
  PutFixed8(raw, width);
  const size_t at = raw->size();
  raw->resize(at + extra_codes.size() * width);
  char* p = raw->data() + at;
  for (uint32_t c : extra_codes) {
    for (uint8_t b = 0; b < width; ++b) *p++ = static_cast<char>(c >> (8 * b));
  }
  // Path stats aligned with the concatenation kSessionPaths ++ kSessionExtraPaths; the span
  // (last - first) is mostly 0 (a path's rows are often one page view), which compresses.
  pv.insert(pv.end(), extra_pv.begin(), extra_pv.end());
  first.insert(first.end(), extra_first.begin(), extra_first.end());
  last.insert(last.end(), extra_last.begin(), extra_last.end());
  for (size_t k = 0; k < last.size(); ++k) last[k] -= first[k];
  std::vector<std::string> fields(SessionPathStats::kFieldCount);
  PutArray(&fields[SessionPathStats::kPageviews], pv);
  PutArray(&fields[SessionPathStats::kFirstOffset], first);
  PutArray(&fields[SessionPathStats::kSpan], last);
  stats->clear();
  PutFieldStream(fields, in_.zstd_level, stats);
}

}  // namespace tapistry::store
