// What every rollup shares: the bounds the decoders check against (BoundsOf) and the field
// streams (FieldStream, PutFieldStream). Each rollup has a file of its own (README.md).
#include "store/embedded/rollup.h"

#include <algorithm>

#include "store/embedded/coding.h"
#include "store/embedded/rollup_internal.h"
#include "store/embedded/zstd_codec.h"

namespace tapistry::store {

RollupBounds BoundsOf(const SegmentFooter& f) {
  RollupBounds b;
  b.rows = f.rows;
  b.pageviews = f.pageviews;
  auto dict = [&](ColumnId id) -> uint64_t {
    const ColumnMeta* c = f.Find(id);
    return c ? c->dict_size : 0;
  };
  b.sessions = dict(ColumnId::kSession);
  b.visitors = dict(ColumnId::kAnonymous);
  b.path_dict = dict(ColumnId::kPath);
  b.selector_dict = dict(ColumnId::kSelector);
  b.browser_dict = dict(ColumnId::kBrowser);
  b.os_dict = dict(ColumnId::kOs);
  b.visitor_width = WidthFor(b.visitors);
  b.browser_width = WidthFor(b.browser_dict);
  b.os_width = WidthFor(b.os_dict);
  for (int k = 0; k < 5; ++k) {
    b.entry_dict[k] = dict(StringColumnId(kEntryColumns[k]));
    b.entry_width[k] = WidthFor(b.entry_dict[k]);
  }
  return b;
}

Status FieldStream::Open(std::string_view bytes, std::span<const uint8_t> widths, size_t rows) {
  std::vector<uint64_t> raw_lens(widths.size());
  for (size_t f = 0; f < widths.size(); ++f) raw_lens[f] = uint64_t{rows} * widths[f];
  return Open(bytes, raw_lens);
}

Status FieldStream::Open(std::string_view bytes, std::span<const uint64_t> raw_lens) {
  ByteReader r(bytes);
  uint8_t count;
  if (!r.GetFixed8(&count) || count != raw_lens.size()) return Bad("field stream header");
  slots_.assign(count, Slot());
  std::vector<uint64_t> stored_len(count);
  for (size_t f = 0; f < count; ++f) {
    Slot& s = slots_[f];
    if (!r.GetFixed8(&s.codec) || !r.GetVarint64(&s.raw_len) || !r.GetVarint64(&stored_len[f])) {
      return Bad("field stream field");
    }
    if (s.raw_len != raw_lens[f]) return Bad("field stream field length");
  }
  for (size_t f = 0; f < count; ++f) {
    if (!r.GetBytes(static_cast<size_t>(std::min<uint64_t>(stored_len[f], r.remaining() + 1)),
                    &slots_[f].stored)) {
      return Bad("truncated field stream");
    }
  }
  if (r.remaining() != 0) return Bad("field stream trailing bytes");
  return Status::Ok();
}

Status FieldStream::Load(int f, std::string* out) const {
  const Slot& s = slots_[static_cast<size_t>(f)];
  return DecompressStream(s.stored, s.codec, s.raw_len, out);
}

void PutFieldStream(const std::vector<std::string>& fields, int level, std::string* out) {
  PutFixed8(out, static_cast<uint8_t>(fields.size()));
  std::vector<std::string> stored(fields.size());
  for (size_t f = 0; f < fields.size(); ++f) {
    uint8_t codec;
    CompressStream(fields[f], level, &codec, &stored[f]);
    PutFixed8(out, codec);
    PutVarint64(out, fields[f].size());
    PutVarint64(out, stored[f].size());
  }
  for (const std::string& bytes : stored) out->append(bytes);
}

}  // namespace tapistry::store
