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
  std::vector<uint32_t> table;
  std::vector<Uuid> values;  // distinct values of the current range, index = gid - base
  values.reserve(4096);
  constexpr uint32_t kEmpty = UINT32_MAX;
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
        end[i] = static_cast<size_t>(std::partition_point(l.begin() + static_cast<ptrdiff_t>(lo),
                                                          l.begin() + static_cast<ptrdiff_t>(hi),
                                                          [&](const Uuid& u) { return u.hi < limit; }) -
                                     l.begin());
      }
      n += end[i] - cursor[i];
    }
    if (n == 0) continue;
    const size_t cap = std::bit_ceil(n * 2);
    table.assign(cap, kEmpty);
    values.clear();
    const size_t mask = cap - 1;
    for (size_t i = 0; i < k; ++i) {
      const Uuid* l = lists[i].data();
      uint32_t* gids = want_gids ? out.gid[i].data() : nullptr;
      for (size_t j = cursor[i]; j < end[i]; ++j) {
        const Uuid u = l[j];
        size_t h = (u.lo ^ (u.hi * 0x9E3779B97F4A7C15ULL)) & mask;
        uint32_t t;
        while (true) {
          t = table[h];
          if (t == kEmpty) {
            t = static_cast<uint32_t>(values.size());
            table[h] = t;
            values.push_back(u);
            if (want_gids) out.multiplicity.push_back(0);
            break;
          }
          if (values[t] == u) break;
          h = (h + 1) & mask;
        }
        if (want_gids) {
          uint8_t& m = out.multiplicity[base + t];
          m = static_cast<uint8_t>(m + (m < 255));
          gids[j] = base + t;
        }
      }
      cursor[i] = end[i];
    }
    base += static_cast<uint32_t>(values.size());
  }
  out.distinct = base;
  return out;
}

}  // namespace tapistry::store
