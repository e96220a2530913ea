// DedupeSet: the event_id idempotency window (DESIGN §4, limits::kDedupeWindowMs): remembers
// which event ids were accepted in the last 48 h so a retried batch counts nothing twice.
//
// Shape (docs/ingest-dedupe.md): time is cut into `generations` slices of window/generations
// (6 h by default); each slice is 64 open-addressing tables (linear probing, backward-shift
// delete; the table picked by the fingerprint's top 6 bits) of 64-bit keyed fingerprints of the
// 128-bit UUID. A lookup probes every live slice; a
// slice is dropped whole once its newest possible entry is older than the window, so an id is
// remembered for at least the window and at most window + one slice (48-54 h by default), and
// expiry costs nothing per id.
//
// Memory: 8 bytes per slot; a table doubles at 3/4 load, so it runs between 3/8 and 3/4 full:
// 10.7-21.3 MB per million ids (about 14 MB on average); the 64 tables of a slice double at
// different moments, so a slice sits near the average rather than at a step. `max_memory_bytes`
// bounds it: past it the oldest slice is forgotten early (counted in early_evicted_ids) rather than
// growing without end.
//
// False positives: two different ids collide only if their 64-bit fingerprints are equal. With n
// ids in the window, one lookup is a false "duplicate" with probability about n / 2^64
// (5.4e-12 for n = 100 million), and the expected number of wrongly dropped events over a whole
// window is about n^2 / 2^65 (2.7e-4 for n = 100 million). The fingerprint is keyed with a
// per-process random seed so clients cannot craft ids that pile into one probe chain.
//
// Thread-safety: every method may be called concurrently; one mutex guards the tables (an
// insert is a few probes, so a batch of 50 holds it for about a microsecond).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "tapistry/event.h"
#include "tapistry/limits.h"

namespace tapistry {

struct DedupeSetOptions {
  int64_t window_ms = limits::kDedupeWindowMs;
  int generations = 8;  // slices per window; more = tighter expiry, more probes
  size_t max_memory_bytes = size_t{1} << 30;  // past this the oldest slice is dropped early
  uint64_t seed = 0;                          // fingerprint key; 0 = random per process
};

struct DedupeSetStats {
  uint64_t ids = 0;
  uint64_t memory_bytes = 0;
  uint64_t generations = 0;
  uint64_t expired_ids = 0;        // forgotten because their slice left the window
  uint64_t early_evicted_ids = 0;  // forgotten early to stay under max_memory_bytes
};

class DedupeSet {
 public:
  explicit DedupeSet(const DedupeSetOptions& options = {});

  // Records `id` as accepted at `seen_ms` unless it is already remembered. Returns true when the
  // id is new (the caller keeps the event), false when it is a duplicate. `seen_ms` may be older
  // than earlier calls (rebuilding from the store); an id older than the window is not recorded
  // (and reported as new). A `seen_ms` later than any before moves the set's clock forward.
  bool Insert(const Uuid& id, int64_t seen_ms);
  // Insert for each id under one lock; inserted[i] = 1 when ids[i] is new. Repeats inside `ids`
  // are duplicates of their first occurrence. Returns the number of new ids.
  size_t InsertBatch(std::span<const Uuid> ids, int64_t seen_ms, std::vector<uint8_t>* inserted);
  bool Contains(const Uuid& id) const;
  // Forgets `id` (a batch whose write failed gives its ids back so the client's retry is stored).
  void Erase(const Uuid& id);
  // Moves the set's clock to `now_ms` (if later) and drops slices that left the window.
  void Expire(int64_t now_ms);

  DedupeSetStats Stats() const;

 private:
  // One open-addressing table over fingerprints; 0 marks an empty slot.
  struct Part {
    std::vector<uint64_t> slots;
    size_t size = 0;
  };
  // One time slice, cut into kParts tables by the fingerprint's top bits, so a table doubling
  // rehashes 1/kParts of the slice under the lock (a few ms at millions of ids) instead of all.
  static constexpr int kPartBits = 6;
  static constexpr size_t kParts = size_t{1} << kPartBits;
  struct Table {
    int64_t generation = 0;  // floor(seen_ms / slice_ms)
    std::array<Part, kParts> parts;
    size_t size = 0;
    size_t slot_bytes = 0;
  };

  uint64_t Fingerprint(const Uuid& id) const;
  bool ContainsLocked(uint64_t fp) const;
  bool InsertLocked(uint64_t fp, int64_t seen_ms);
  Table* TableForLocked(int64_t generation);
  void ExpireLocked();
  void EnforceMemoryLocked();
  void DropOldestLocked();
  static Part& PartOf(Table& t, uint64_t fp) { return t.parts[fp >> (64 - kPartBits)]; }
  static const Part& PartOf(const Table& t, uint64_t fp) { return t.parts[fp >> (64 - kPartBits)]; }
  static bool PartFind(const Part& t, uint64_t fp, size_t* slot);
  static void PartInsert(Part* t, uint64_t fp);
  static void PartErase(Part* t, size_t slot);
  static void PartGrow(Part* t);

  const int64_t window_ms_;
  const int64_t slice_ms_;
  const size_t max_memory_bytes_;
  uint64_t key0_ = 0;
  uint64_t key1_ = 0;

  mutable std::mutex mu_;
  int64_t now_ms_ = INT64_MIN;                  // highest time seen
  std::vector<std::unique_ptr<Table>> tables_;  // ascending generation
  size_t ids_ = 0;
  size_t memory_bytes_ = 0;
  uint64_t expired_ids_ = 0;
  uint64_t early_evicted_ids_ = 0;
};

}  // namespace tapistry
