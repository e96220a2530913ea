#include "pipeline/dedupe_set.h"

#include <algorithm>
#include <random>

namespace tapistry {
namespace {

constexpr size_t kInitialSlots = 64;  // per part; a power of two

inline uint64_t Mix64(uint64_t x) {
  // MurmurHash3's finalizer: every input bit flips each output bit with probability ~1/2.
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

DedupeSet::DedupeSet(const DedupeSetOptions& options)
    : window_ms_(std::max<int64_t>(1, options.window_ms)),
      slice_ms_(std::max<int64_t>(1, window_ms_ / std::max(1, options.generations))),
      max_memory_bytes_(options.max_memory_bytes) {
  uint64_t seed = options.seed;
  if (seed == 0) {
    std::random_device rd;
    seed = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ 0x9E3779B97F4A7C15ULL;
  }
  key0_ = Mix64(seed);
  key1_ = Mix64(seed ^ 0xD6E8FEB86659FD93ULL);
}

uint64_t DedupeSet::Fingerprint(const Uuid& id) const {
  const uint64_t fp = Mix64((id.hi ^ key0_) + Mix64(id.lo ^ key1_));
  return fp == 0 ? 1 : fp;  // 0 marks an empty slot
}

bool DedupeSet::PartFind(const Part& t, uint64_t fp, size_t* slot) {
  if (t.slots.empty()) return false;
  const size_t mask = t.slots.size() - 1;
  for (size_t i = fp & mask;; i = (i + 1) & mask) {
    const uint64_t v = t.slots[i];
    if (v == fp) {
      *slot = i;
      return true;
    }
    if (v == 0) return false;
  }
}

void DedupeSet::PartInsert(Part* t, uint64_t fp) {
  const size_t mask = t->slots.size() - 1;
  size_t i = fp & mask;
  while (t->slots[i] != 0) i = (i + 1) & mask;
  t->slots[i] = fp;
  ++t->size;
}

void DedupeSet::PartErase(Part* t, size_t slot) {
  // Backward-shift deletion keeps every probe chain unbroken without tombstones: an entry after
  // the hole moves into it unless its home slot lies cyclically in (hole, entry].
  const size_t mask = t->slots.size() - 1;
  size_t hole = slot;
  t->slots[hole] = 0;
  --t->size;
  for (size_t j = (hole + 1) & mask; t->slots[j] != 0; j = (j + 1) & mask) {
    const size_t home = t->slots[j] & mask;
    const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      t->slots[hole] = t->slots[j];
      t->slots[j] = 0;
      hole = j;
    }
  }
}

void DedupeSet::PartGrow(Part* t) {
  std::vector<uint64_t> old;
  old.swap(t->slots);
  t->slots.assign(old.empty() ? kInitialSlots : old.size() * 2, 0);
  t->size = 0;
  for (uint64_t v : old) {
    if (v != 0) PartInsert(t, v);
  }
}

bool DedupeSet::ContainsLocked(uint64_t fp) const {
  size_t slot;
  // Newest first: a retry usually follows its original within seconds.
  for (auto it = tables_.rbegin(); it != tables_.rend(); ++it) {
    if (PartFind(PartOf(**it, fp), fp, &slot)) return true;
  }
  return false;
}

DedupeSet::Table* DedupeSet::TableForLocked(int64_t generation) {
  auto it = std::lower_bound(
      tables_.begin(), tables_.end(), generation,
      [](const std::unique_ptr<Table>& t, int64_t g) { return t->generation < g; });
  if (it != tables_.end() && (*it)->generation == generation) return it->get();
  it = tables_.insert(it, std::make_unique<Table>());
  (*it)->generation = generation;
  return it->get();
}

bool DedupeSet::InsertLocked(uint64_t fp, int64_t seen_ms) {
  if (seen_ms > now_ms_) {
    now_ms_ = seen_ms;
    ExpireLocked();
  }
  if (ContainsLocked(fp)) return false;
  // Already outside the window: nothing to keep. (now_ms_ is at least seen_ms here, so the
  // subtraction cannot overflow for any realistic clock.)
  if (seen_ms <= now_ms_ - window_ms_) return true;
  Table* t = TableForLocked(FloorDiv(seen_ms, slice_ms_));
  Part& part = PartOf(*t, fp);
  if (part.slots.empty() || (part.size + 1) * 4 > part.slots.size() * 3) {
    const size_t before = part.slots.size() * sizeof(uint64_t);
    PartGrow(&part);
    const size_t after = part.slots.size() * sizeof(uint64_t);
    t->slot_bytes += after - before;
    memory_bytes_ += after - before;
  }
  PartInsert(&part, fp);
  ++t->size;
  ++ids_;
  if (memory_bytes_ > max_memory_bytes_) EnforceMemoryLocked();
  return true;
}

void DedupeSet::DropOldestLocked() {
  ids_ -= tables_.front()->size;
  memory_bytes_ -= tables_.front()->slot_bytes;
  tables_.erase(tables_.begin());
}

void DedupeSet::ExpireLocked() {
  // Slice g holds ids seen before (g + 1) * slice_ms; all of them are older than the window once
  // (g + 1) * slice_ms + window_ms <= now.
  while (!tables_.empty() &&
         (tables_.front()->generation + 1) * slice_ms_ + window_ms_ <= now_ms_) {
    expired_ids_ += tables_.front()->size;
    DropOldestLocked();
  }
}

void DedupeSet::EnforceMemoryLocked() {
  // Keep the newest slice: dropping it would forget the ids being inserted right now.
  while (memory_bytes_ > max_memory_bytes_ && tables_.size() > 1) {
    early_evicted_ids_ += tables_.front()->size;
    DropOldestLocked();
  }
}

bool DedupeSet::Insert(const Uuid& id, int64_t seen_ms) {
  const uint64_t fp = Fingerprint(id);
  std::lock_guard lock(mu_);
  return InsertLocked(fp, seen_ms);
}

size_t DedupeSet::InsertBatch(std::span<const Uuid> ids, int64_t seen_ms,
                              std::vector<uint8_t>* inserted) {
  inserted->assign(ids.size(), 0);
  size_t n = 0;
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (InsertLocked(Fingerprint(ids[i]), seen_ms)) {
      (*inserted)[i] = 1;
      ++n;
    }
  }
  return n;
}

bool DedupeSet::Contains(const Uuid& id) const {
  const uint64_t fp = Fingerprint(id);
  std::lock_guard lock(mu_);
  return ContainsLocked(fp);
}

void DedupeSet::Erase(const Uuid& id) {
  const uint64_t fp = Fingerprint(id);
  std::lock_guard lock(mu_);
  size_t slot;
  for (auto& t : tables_) {
    Part& part = PartOf(*t, fp);
    if (PartFind(part, fp, &slot)) {
      PartErase(&part, slot);
      --t->size;
      --ids_;
      return;
    }
  }
}

void DedupeSet::Expire(int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (now_ms > now_ms_) now_ms_ = now_ms;
  ExpireLocked();
}

DedupeSetStats DedupeSet::Stats() const {
  std::lock_guard lock(mu_);
  DedupeSetStats s;
  s.ids = ids_;
  s.memory_bytes = memory_bytes_ + tables_.size() * sizeof(Table);
  s.generations = tables_.size();
  s.expired_ids = expired_ids_;
  s.early_evicted_ids = early_evicted_ids_;
  return s;
}

}  // namespace tapistry
