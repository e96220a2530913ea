#include "store/embedded/uuid_union.h"

#include <algorithm>
#include <bit>

namespace tapistry::store {

UuidUnionResult UnionSortedUuids(std::span<const std::span<const Uuid>> lists) {
  UuidUnionResult out;
  const size_t k = lists.size();
  out.gid.resize(k);
  size_t total = 0;
  for (size_t i = 0; i < k; ++i) {
    out.gid[i].resize(lists[i].size());
    total += lists[i].size();
  }
  if (k == 1) {
    for (uint32_t j = 0; j < lists[0].size(); ++j) out.gid[0][j] = j;
    out.distinct = static_cast<uint32_t>(lists[0].size());
    out.multiplicity.assign(out.distinct, 1);
    return out;
  }
  out.multiplicity.reserve(total);
  // ~1024 entries per range keeps each range's table in L1/L2.
  int bits = 0;
  while ((total >> bits) > 1024 && bits < 24) ++bits;
  const uint64_t ranges = uint64_t{1} << bits;
  std::vector<size_t> cursor(k, 0);
  std::vector<uint32_t> table;
  std::vector<Uuid> values;  // distinct values of the current range, index = gid - base
  constexpr uint32_t kEmpty = UINT32_MAX;
  uint32_t base = 0;
  std::vector<size_t> end(k);
  for (uint64_t r = 0; r < ranges; ++r) {
    // End of range r in each list: first element whose top `bits` bits exceed r.
    size_t n = 0;
    for (size_t i = 0; i < k; ++i) {
      size_t e = cursor[i];
      const auto& l = lists[i];
      if (bits == 0) {
        e = l.size();
      } else {
        while (e < l.size() && (l[e].hi >> (64 - bits)) == r) ++e;
      }
      end[i] = e;
      n += e - cursor[i];
    }
    if (n == 0) continue;
    size_t cap = std::bit_ceil(n * 2);
    table.assign(cap, kEmpty);
    values.clear();
    const size_t mask = cap - 1;
    for (size_t i = 0; i < k; ++i) {
      const auto& l = lists[i];
      for (size_t j = cursor[i]; j < end[i]; ++j) {
        const Uuid& u = l[j];
        size_t h = (u.lo ^ (u.hi * 0x9E3779B97F4A7C15ULL)) & mask;
        while (true) {
          uint32_t t = table[h];
          if (t == kEmpty) {
            t = static_cast<uint32_t>(values.size());
            table[h] = t;
            values.push_back(u);
            out.multiplicity.push_back(1);
            out.gid[i][j] = base + t;
            break;
          }
          if (values[t] == u) {
            uint8_t& m = out.multiplicity[base + t];
            if (m < 255) ++m;
            out.gid[i][j] = base + t;
            break;
          }
          h = (h + 1) & mask;
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
