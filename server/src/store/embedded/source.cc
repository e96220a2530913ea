#include "store/embedded/source.h"

#include "store/embedded/row_batch.h"

namespace tapistry::store {

BotRows BotRowsOf(const SegmentFooter& f) {
  const ColumnMeta* c = f.Find(ColumnId::kBotScore);
  if (c == nullptr) return BotRows::kSome;  // every version writes it; unknown is "both"
  const auto min = static_cast<uint8_t>(c->min), max = static_cast<uint8_t>(c->max);
  return IsBotScore(min) ? BotRows::kAll : IsBotScore(max) ? BotRows::kSome : BotRows::kNone;
}

Result<std::shared_ptr<const Source>> HumanRowsOf(const Segment& seg, ColumnMask mask) {
  // Through a RowBatch, as compaction does: AppendRows re-codes the dictionaries to the rows
  // kept, so the session and visitor dictionaries hold only ids that still have a row (the
  // overview counts distinct ids by dictionary size).
  Columns all;
  TAP_RETURN_IF_ERROR(seg.Load(kAllColumns, &all));
  std::vector<uint32_t> humans;
  humans.reserve(all.rows);
  for (uint32_t r = 0; r < all.rows; ++r) {
    if (!IsBotScore(all.bot_score[r])) humans.push_back(r);
  }
  RowBatch batch;
  batch.AppendRows(all, humans);
  auto cols = std::make_shared<Columns>();
  batch.Snapshot(mask, cols.get());
  return std::shared_ptr<const Source>(
      std::make_shared<MemSource>(seg.footer().project_id, seg.footer().day, std::move(cols)));
}

Result<const Columns*> SegmentSource::Get(ColumnMask mask, Columns* scratch) const {
  TAP_RETURN_IF_ERROR(seg_->Load(mask, scratch));
  return static_cast<const Columns*>(scratch);
}

Status SegmentSource::UuidDict(ColumnId id, std::shared_ptr<const std::vector<Uuid>>* out) const {
  const uint64_t key = seg_->serial() * 64 + static_cast<uint64_t>(id);
  if (cache_ != nullptr) {
    if ((*out = cache_->Get(key))) return Status::Ok();
  }
  auto dict = std::make_shared<std::vector<Uuid>>();
  TAP_RETURN_IF_ERROR(seg_->LoadUuidDict(id, dict.get()));
  *out = dict;
  if (cache_ != nullptr) cache_->Put(key, std::move(dict));
  return Status::Ok();
}

Status SegmentSource::StringDict(ColumnId id, StringColumn* scratch,
                                 const StringColumn** out) const {
  TAP_RETURN_IF_ERROR(seg_->LoadStringDict(id, scratch));
  *out = scratch;
  return Status::Ok();
}

bool SegmentSource::Range(ColumnId id, int64_t* min, int64_t* max) const {
  if (FixedKindOf(id) != FixedKind::kU8 && FixedKindOf(id) != FixedKind::kU16 &&
      id != ColumnId::kTs && id != ColumnId::kIngest) {
    return false;
  }
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

Status MemSource::UuidDict(ColumnId id, std::shared_ptr<const std::vector<Uuid>>* out) const {
  if (!cols_->Has(Bit(id))) return Status::Internal("memtable snapshot lacks a uuid column");
  // Aliasing pointer: shares ownership of the snapshot, points at its dictionary.
  *out = std::shared_ptr<const std::vector<Uuid>>(
      cols_, id == ColumnId::kSession ? &cols_->session.dict : &cols_->anonymous.dict);
  return Status::Ok();
}

Status MemSource::StringDict(ColumnId id, StringColumn*, const StringColumn** out) const {
  if (!IsStringColumn(id) || !cols_->Has(Bit(id)))
    return Status::Internal("memtable snapshot lacks a column");
  *out = &cols_->str[static_cast<int>(id) - kFirstString];
  return Status::Ok();
}

Status MemSource::SessionOrder(std::vector<uint32_t>* runs, std::vector<uint32_t>* order) const {
  if (!cols_->Has(Bit(ColumnId::kSession)))
    return Status::Internal("memtable snapshot lacks session_id");
  // Counting sort by session code: O(rows), no comparisons.
  const auto& codes = cols_->session.codes;
  runs->assign(cols_->session.dict.size(), 0);
  for (uint32_t s : codes) ++(*runs)[s];
  std::vector<uint32_t> start(runs->size() + 1, 0);
  for (size_t s = 0; s < runs->size(); ++s) start[s + 1] = start[s] + (*runs)[s];
  order->resize(codes.size());
  for (uint32_t r = 0; r < codes.size(); ++r) (*order)[start[codes[r]]++] = r;
  return Status::Ok();
}

}  // namespace tapistry::store
