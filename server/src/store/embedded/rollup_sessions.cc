// Per session, what a session-level filter or breakdown reads (docs/formats/segment.md 2.8):
// kSessionAttributes, read and written here (RollupWriter::BuildSessionAttributes); and the
// kSessionStats aggregate (2.7), which the segment writer builds, read here.
#include <algorithm>
#include <iterator>

#include "store/embedded/rollup.h"
#include "store/embedded/rollup_internal.h"

namespace tapistry::store {

Status SessionAttributes::Open(ScratchString raw, const RollupBounds& b) {
  raw_ = std::move(raw);
  sessions = static_cast<size_t>(b.sessions);
  const uint8_t widths[kFieldCount] = {b.visitor_width,
                                       1,
                                       1,
                                       2,
                                       b.browser_width,
                                       b.os_width,
                                       4,
                                       4,
                                       b.entry_width[0],
                                       b.entry_width[1],
                                       b.entry_width[2],
                                       b.entry_width[3],
                                       b.entry_width[4]};
  std::copy(widths, widths + kFieldCount, widths_);
  const std::string& bytes = *raw_;
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) > 63) return Bad("session attribute flags");
  uniform = static_cast<uint8_t>(bytes[0]);
  for (bool& l : loaded_) l = false;
  return stream_.Open(std::string_view(bytes).substr(1), widths_, sessions);
}

Status SessionAttributes::Load(std::initializer_list<Field> fields) {
  for (Field f : fields) {
    if (loaded_[f]) continue;
    TAP_RETURN_IF_ERROR(stream_.Load(f, fields_[f].get()));
    loaded_[f] = true;
    const char* p = fields_[f]->data();
    const size_t n = sessions;
    switch (f) {
      case kVisitor:
        visitor = CodeArray(p, n, widths_[f]);
        break;
      case kDevice:
        device = ShuffledArray<uint8_t>(p, n);
        break;
      case kViewport:
        vb = ShuffledArray<uint8_t>(p, n);
        break;
      case kCountry:
        country = ShuffledArray<uint16_t>(p, n);
        break;
      case kBrowser:
        browser = CodeArray(p, n, widths_[f]);
        break;
      case kOs:
        os = CodeArray(p, n, widths_[f]);
        break;
      case kFirstPvOffset:
        first_pv_offset = ShuffledArray<uint32_t>(p, n);
        break;
      case kFirstPvRow:
        first_pv_row = ShuffledArray<uint32_t>(p, n);
        break;
      default:
        entry[f - kEntry0] = CodeArray(p, n, widths_[f]);
        break;
    }
  }
  return Status::Ok();
}

Status ValidateSessionAttributes(SessionAttributes* sa, const RollupBounds& b) {
  using F = SessionAttributes;
  TAP_RETURN_IF_ERROR(
      sa->Load({F::kVisitor, F::kDevice, F::kViewport, F::kCountry, F::kBrowser, F::kOs,
                F::kFirstPvOffset, F::kFirstPvRow, F::kEntry0,
                static_cast<F::Field>(F::kEntry0 + 1), static_cast<F::Field>(F::kEntry0 + 2),
                static_cast<F::Field>(F::kEntry0 + 3), static_cast<F::Field>(F::kEntry0 + 4)}));
  const SessionAttributes& s = *sa;
  for (size_t i = 0; i < s.sessions; ++i) {
    if (s.visitor[i] >= b.visitors || s.browser[i] >= std::max<uint64_t>(b.browser_dict, 1) ||
        s.os[i] >= std::max<uint64_t>(b.os_dict, 1) || s.first_pv_offset[i] >= kDayMs ||
        s.first_pv_row[i] >= b.rows) {
      return Bad("session attributes out of range");
    }
    for (int k = 0; k < 5; ++k) {
      if (s.entry[k][i] >= std::max<uint64_t>(b.entry_dict[k], 1))
        return Bad("session entry code out of range");
    }
  }
  return Status::Ok();
}

Status DecodeSessionStats(ScratchString raw, size_t sessions, SessionStatsView* out) {
  out->raw = std::move(raw);
  const std::string& bytes = *out->raw;
  if (bytes.size() != sessions * 12) return Bad("session stats length");
  out->pageviews = ShuffledArray<uint32_t>(bytes.data(), sessions);
  out->first_in_day = ShuffledArray<uint32_t>(bytes.data() + sessions * 4, sessions);
  out->duration = ShuffledArray<uint32_t>(bytes.data() + sessions * 8, sessions);
  return Status::Ok();
}

void RollupWriter::BuildSessionAttributes(std::string* raw) {
  const size_t nsess = in_.runs.size();
  std::vector<uint32_t> visitor(nsess), offset(nsess, 0), first_row(nsess, 0);
  std::vector<uint8_t> device(nsess), vb(nsess);
  std::vector<uint16_t> country(nsess);
  bool u_device = true, u_vb = true, u_country = true;
  for (size_t s = 0; s < nsess; ++s) {
    const uint32_t i0 = run_start_[s], end = run_start_[s + 1];
    const uint8_t d = device[s] = in_.device[i0];
    const uint16_t w = in_.viewport_w[i0], c = country[s] = in_.country[i0];
    vb[s] = BucketOfWidth(w);
    for (uint32_t i = i0 + 1; i < end; ++i) {
      u_device &= in_.device[i] == d;
      u_country &= in_.country[i] == c;
      // Widths differ more often than buckets (a resized window): compare buckets only then.
      if (in_.viewport_w[i] != w) u_vb &= BucketOfWidth(in_.viewport_w[i]) == vb[s];
    }
    const uint32_t pv = first_pv_[s];
    visitor[s] = in_.visitor[pv == UINT32_MAX ? i0 : pv];
    if (pv != UINT32_MAX) {
      offset[s] = static_cast<uint32_t>(in_.ts[pv] - in_.ts[i0]);
      first_row[s] = pv - i0;
    }
  }
  uint8_t uniform = uniform_;
  if (u_device) uniform |= kUniformDevice;
  if (u_vb) uniform |= kUniformViewport;
  if (u_country) uniform |= kUniformCountry;
  // Each field compressed on its own (SessionAttributes::Load reads only what a query needs).
  std::string fields[SessionAttributes::kFieldCount];
  PutCodeArray(&fields[SessionAttributes::kVisitor], visitor, WidthFor(in_.visitor_dict));
  PutArray(&fields[SessionAttributes::kDevice], device);
  PutArray(&fields[SessionAttributes::kViewport], vb);
  PutArray(&fields[SessionAttributes::kCountry], country);
  PutCodeArray(&fields[SessionAttributes::kBrowser], browser_, WidthFor(dict_size_[kStrBrowser]));
  PutCodeArray(&fields[SessionAttributes::kOs], os_, WidthFor(dict_size_[kStrOs]));
  PutArray(&fields[SessionAttributes::kFirstPvOffset], offset);
  PutArray(&fields[SessionAttributes::kFirstPvRow], first_row);
  for (int k = 0; k < 5; ++k) {
    PutCodeArray(&fields[SessionAttributes::kEntry0 + k], entry_[k],
                 WidthFor(dict_size_[kEntryColumns[k]]));
  }
  raw->clear();
  PutFixed8(raw, uniform);
  PutFieldStream(std::vector<std::string>(std::make_move_iterator(std::begin(fields)),
                                          std::make_move_iterator(std::end(fields))),
                 in_.zstd_level, raw);
}

}  // namespace tapistry::store
