#include "store/embedded/row_filter.h"

#include <tuple>

namespace tapistry::store {

bool ViewportBucketWidths(uint8_t bucket, uint16_t* lo, uint16_t* hi) {
  switch (bucket) {
    case 0:
      *lo = 1, *hi = 479;
      return true;
    case 1:
      *lo = 480, *hi = 767;
      return true;
    case 2:
      *lo = 768, *hi = 1023;
      return true;
    case 3:
      *lo = 1024, *hi = 1439;
      return true;
    case 4:
      *lo = 1440, *hi = 65535;
      return true;
    case 255:
      *lo = 0, *hi = 0;
      return true;
    default:
      return false;
  }
}

Status CompileFilter(const RowPredicate& p, const Source& src, CompiledFilter* out) {
  *out = CompiledFilter();
  if (p.empty()) return Status::Ok();
  out->state = CompiledFilter::State::kRows;
  auto none = [&] {
    out->state = CompiledFilter::State::kNone;
    return Status::Ok();
  };
  // Cheap range checks first: they can skip a segment without reading anything.
  int64_t mn, mx;
  if (p.type) {
    out->type = static_cast<uint8_t>(*p.type);
    if (src.Range(ColumnId::kType, &mn, &mx) && (*out->type < mn || *out->type > mx)) return none();
    out->columns |= Bit(ColumnId::kType);
  }
  if (p.device_class) {
    out->device = static_cast<uint8_t>(*p.device_class);
    if (src.Range(ColumnId::kDevice, &mn, &mx) && (*out->device < mn || *out->device > mx))
      return none();
    out->columns |= Bit(ColumnId::kDevice);
  }
  if (p.viewport_bucket) {
    uint16_t lo, hi;
    if (!ViewportBucketWidths(*p.viewport_bucket, &lo, &hi)) return none();
    if (src.Range(ColumnId::kViewportW, &mn, &mx) && (hi < mn || lo > mx)) return none();
    out->viewport_bucket = *p.viewport_bucket;
    out->columns |= Bit(ColumnId::kViewportW);
  }
  if (p.path) {
    StringColumn scratch;
    const StringColumn* dict = nullptr;
    TAP_RETURN_IF_ERROR(src.StringDict(ColumnId::kPath, &scratch, &dict));
    for (uint32_t c = 0; c < dict->dict.size(); ++c) {
      if (dict->dict[c] == *p.path) {
        out->path_code = c;
        break;
      }
    }
    if (!out->path_code) return none();
    out->columns |= Bit(ColumnId::kPath);
  }
  return Status::Ok();
}

void CompiledFilter::Evaluate(const Columns& cols, std::vector<uint8_t>* sel) const {
  const size_t n = cols.rows;
  sel->assign(n, 1);
  uint8_t* s = sel->data();
  if (type) {
    const uint8_t* t = cols.type.data();
    for (size_t r = 0; r < n; ++r) s[r] &= t[r] == *type;
  }
  if (device) {
    const uint8_t* d = cols.device.data();
    for (size_t r = 0; r < n; ++r) s[r] &= d[r] == *device;
  }
  if (viewport_bucket) {
    uint16_t lo = 0, hi = 0;
    ViewportBucketWidths(*viewport_bucket, &lo, &hi);
    const uint16_t* w = cols.viewport_w.data();
    for (size_t r = 0; r < n; ++r) s[r] &= w[r] >= lo && w[r] <= hi;
  }
  if (path_code) {
    const uint32_t* c = cols.str[kStrPath].codes.data();
    for (size_t r = 0; r < n; ++r) s[r] &= c[r] == *path_code;
  }
}

static bool CellMatches(const CellTable& cells, size_t c, const CompiledFilter& f) {
  return (!f.device || cells.device[c] == *f.device) &&
         (!f.viewport_bucket || cells.vb[c] == *f.viewport_bucket);
}

Status LoadSelectedCells(const Source& src, const CompiledFilter& f, CellTable* cells,
                         std::vector<uint32_t>* selected) {
  ScratchString raw;
  TAP_RETURN_IF_ERROR(LoadInto(src, StreamKind::kCells, &raw));
  TAP_RETURN_IF_ERROR(DecodeCells(std::move(raw), cells));
  selected->clear();
  size_t lo = 0, hi = cells->size();
  if (f.path_code) std::tie(lo, hi) = cells->PathRange(*f.path_code);
  for (size_t c = lo; c < hi; ++c) {
    if (CellMatches(*cells, c, f)) selected->push_back(static_cast<uint32_t>(c));
  }
  return Status::Ok();
}

Status SelectedRows::Read(const Source& src, const CompiledFilter& cf, ColumnMask mask) {
  auto got = src.Get(mask | cf.columns, &scratch_);
  if (!got.ok()) return got.status();
  cols_ = *got;
  sel_.clear();
  if (cf.state == CompiledFilter::State::kRows) cf.Evaluate(*cols_, &sel_);
  return Status::Ok();
}

}  // namespace tapistry::store
