#include "store/embedded/uuid_union.h"

#include <algorithm>
#include <bit>

namespace tapistry::store {

UuidUnionResult UnionSortedUuids(std::span<const std::span<const Uuid>> lists, bool want_gids) {
  UuidUnionResult out;
  const size_t k = lists.size();
  size_t total = 0;
  for (const auto& l : lists) total += l.size();
  if (want_gids) {
    out.gid.resize(k);
    for (size_t i = 0; i < k; ++i) out.gid[i].resize(lists[i].size());
  }
  if (k == 1) {
    out.distinct = static_cast<uint32_t>(lists[0].size());
    if (want_gids) {
      for (uint32_t j = 0; j < lists[0].size(); ++j) out.gid[0][j] = j;
      out.multiplicity.assign(out.distinct, 1);
    }
    return out;
  }
  if (want_gids) out.multiplicity.reserve(total);
  // ~1024 entries per range keeps each range's table in L1.
  int bits = 0;
  while ((total >> bits) > 1024 && bits < 24) ++bits;
  const uint64_t ranges = uint64_t{1} << bits;
  std::vector<size_t> cursor(k, 0), end(k);
  std::vector<Uuid> slots;
  std::vector<uint32_t> slot_gid;
  uint32_t base = 0;
  for (uint64_t r = 0; r < ranges; ++r) {
    size_t n = 0;
    for (size_t i = 0; i < k; ++i) {
      const auto& l = lists[i];
      if (bits == 0 || r + 1 == ranges) {
        end[i] = l.size();
      } else {
        // First element of a later range: gallop from the cursor (the range holds only a few
        // dozen entries of each list), then binary search inside the last step.
        const uint64_t limit = (r + 1) << (64 - bits);
        size_t lo = cursor[i], step = 1;
        while (lo + step < l.size() && l[lo + step].hi < limit) {
          lo += step;
          step *= 2;
        }
        const size_t hi = std::min(l.size(), lo + step);
        end[i] =
            static_cast<size_t>(std::partition_point(l.begin() + static_cast<ptrdiff_t>(lo),
                                                     l.begin() + static_cast<ptrdiff_t>(hi),
                                                     [&](const Uuid& u) { return u.hi < limit; }) -
                                l.begin());
      }
      n += end[i] - cursor[i];
    }
    if (n == 0) continue;
    // Open addressing with the values inline (one load per probe). The nil UUID marks an empty
    // slot, so a real nil UUID is counted on the side.
    const int log_cap = std::bit_width(n * 2 - 1);
    const size_t cap = size_t{1} << log_cap;
    slots.assign(cap, Uuid{});
    slot_gid.resize(cap);
    uint32_t local = 0;
    uint32_t nil_gid = UINT32_MAX;
    const size_t mask = cap - 1;
    for (size_t i = 0; i < k; ++i) {
      const Uuid* l = lists[i].data();
      uint32_t* gids = want_gids ? out.gid[i].data() : nullptr;
      for (size_t j = cursor[i]; j < end[i]; ++j) {
        const Uuid u = l[j];
        uint32_t g;
        if (u.IsNil()) [[unlikely]] {
          if (nil_gid == UINT32_MAX) {
            nil_gid = base + local++;
            if (want_gids) out.multiplicity.push_back(0);
          }
          g = nil_gid;
        } else {
          size_t h =
              static_cast<size_t>(((u.hi ^ u.lo) * 0x9E3779B97F4A7C15ULL) >> (64 - log_cap)) & mask;
          while (true) {
            const Uuid& slot = slots[h];
            if (slot == u) {
              g = slot_gid[h];
              break;
            }
            if (slot.IsNil()) {
              slots[h] = u;
              g = slot_gid[h] = base + local++;
              if (want_gids) out.multiplicity.push_back(0);
              break;
            }
            h = (h + 1) & mask;
          }
        }
        if (want_gids) {
          uint8_t& m = out.multiplicity[g];
          m = static_cast<uint8_t>(m + (m < 255));
          gids[j] = g;
        }
      }
      cursor[i] = end[i];
    }
    base += local;
  }
  out.distinct = base;
  return out;
}

}  // namespace tapistry::store
