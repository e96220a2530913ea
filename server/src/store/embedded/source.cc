#include "store/embedded/source.h"

namespace tapistry::store {

Result<const Columns*> SegmentSource::Get(ColumnMask mask, Columns* scratch) const {
  TAP_RETURN_IF_ERROR(seg_->Load(mask, scratch));
  return static_cast<const Columns*>(scratch);
}

Status SegmentSource::UuidDict(ColumnId id, std::vector<Uuid>* scratch, const std::vector<Uuid>** out) const {
  TAP_RETURN_IF_ERROR(seg_->LoadUuidDict(id, scratch));
  *out = scratch;
  return Status::Ok();
}

Status SegmentSource::StringDict(ColumnId id, StringColumn* scratch, const StringColumn** out) const {
  TAP_RETURN_IF_ERROR(seg_->LoadStringDict(id, scratch));
  *out = scratch;
  return Status::Ok();
}

bool SegmentSource::Range(ColumnId id, int64_t* min, int64_t* max) const {
  if (FixedKindOf(id) != FixedKind::kU8 && FixedKindOf(id) != FixedKind::kU16 && id != ColumnId::kTs) return false;
  const ColumnMeta* c = seg_->footer().Find(id);
  if (c == nullptr) return false;
  *min = c->min;
  *max = c->max;
  return true;
}

Result<const Columns*> MemSource::Get(ColumnMask mask, Columns*) const {
  if (!cols_->Has(mask)) return Status::Internal("memtable snapshot lacks a requested column");
  return cols_.get();
}

Status MemSource::UuidDict(ColumnId id, std::vector<Uuid>*, const std::vector<Uuid>** out) const {
  if (!cols_->Has(Bit(id))) return Status::Internal("memtable snapshot lacks a uuid column");
  *out = id == ColumnId::kSession ? &cols_->session.dict : &cols_->anonymous.dict;
  return Status::Ok();
}

Status MemSource::StringDict(ColumnId id, StringColumn*, const StringColumn** out) const {
  if (!IsStringColumn(id) || !cols_->Has(Bit(id))) return Status::Internal("memtable snapshot lacks a column");
  *out = &cols_->str[static_cast<int>(id) - kFirstString];
  return Status::Ok();
}

}  // namespace tapistry::store
