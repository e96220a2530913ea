// UuidUnion: the union of several sorted, distinct UUID lists (one per partition source), with a
// global id for every entry and how many lists hold it. This is how distinct sessions and
// visitors stay exact across days and segments: a session crossing midnight is one global id
// with multiplicity 2, so totals count it once while each day counts it once.
// The lists are split by the top bits of the UUID (they are random, so ranges are even) and each
// range is deduplicated in a small cache-resident hash table.
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tapistry/event.h"

namespace tapistry::store {

struct UuidUnionResult {
  uint32_t distinct = 0;
  std::vector<std::vector<uint32_t>> gid;  // gid[list][i] for lists[list][i], < distinct
  std::vector<uint8_t> multiplicity;       // per gid: lists holding it, saturating at 255
};

// Every list must be sorted ascending and hold no duplicates. With want_gids = false only
// `distinct` is computed (gid and multiplicity stay empty), which is all an unfiltered count needs.
UuidUnionResult UnionSortedUuids(std::span<const std::span<const Uuid>> lists,
                                 bool want_gids = true);

}  // namespace tapistry::store
