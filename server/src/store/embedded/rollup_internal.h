// Implementation detail of the rollup files (rollup*.cc), not part of rollup.h: the encoding
// helpers they share, and the arrays RollupWriter collects for each cell rollup with the
// function that lays them out (defined next to that rollup's decoder, so one file holds both
// sides of its bytes). Queries and the segment code include rollup.h, never this.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "store/embedded/coding.h"
#include "store/embedded/rollup.h"
#include "tapistry/event.h"
#include "tapistry/status.h"

namespace tapistry::store {

inline constexpr uint8_t kPageView = static_cast<uint8_t>(EventType::kPageView);
inline constexpr uint8_t kClick = static_cast<uint8_t>(EventType::kClick);
inline constexpr uint8_t kScroll = static_cast<uint8_t>(EventType::kScroll);

inline Status Bad(const char* what) {
  return Status::Corruption(std::string("segment rollup: ") + what);
}

// Bytes per dictionary code for a dictionary of dict_size entries: 1, 2 or 4.
inline uint8_t WidthFor(uint64_t dict_size) {
  if (dict_size <= 0x100) return 1;
  if (dict_size <= 0x10000) return 2;
  return 4;
}

// Arrays are stored byte-shuffled (coding.h): the high bytes of small counts and codes become
// runs of zeros that zstd removes.
template <typename T>
void PutArray(std::string* out, std::span<const T> v) {
  const size_t at = out->size();
  out->resize(at + v.size() * sizeof(T));
  if (v.empty()) return;
  if constexpr (sizeof(T) == 1) {
    std::memcpy(out->data() + at, v.data(), v.size());
  } else {
    ShuffleBytes(reinterpret_cast<const char*>(v.data()), v.size(), sizeof(T), out->data() + at);
  }
}

template <typename T>
void PutArray(std::string* out, const std::vector<T>& v) {
  PutArray(out, std::span<const T>(v));
}

// Dictionary codes in `width` bytes each (shuffled like the arrays).
inline void PutCodeArray(std::string* out, const std::vector<uint32_t>& v, uint8_t width) {
  const size_t at = out->size(), n = v.size();
  out->resize(at + n * width);
  char* p = out->data() + at;
  for (uint8_t b = 0; b < width; ++b) {
    for (size_t i = 0; i < n; ++i) p[b * n + i] = static_cast<char>(v[i] >> (8 * b));
  }
}

// Points `a` at the next n values of the stream and advances past them.
template <typename T>
bool View(ByteReader* r, size_t n, ShuffledArray<T>* a) {
  std::string_view bytes;
  if (n > r->remaining() / sizeof(T) || !r->GetBytes(n * sizeof(T), &bytes)) return false;
  *a = ShuffledArray<T>(bytes.data(), n);
  return true;
}

// What RollupWriter::BuildCells collects, rollup by rollup. Cells are in key order (the order
// of CellTable); each rollup's entries are in cell order.

// kCells (rollup_cells.cc): per cell its key and counts, and how many entries each entry stream
// holds for it (PutCells turns those into the cumulative ends CellTable reads).
struct CellArrays {
  std::vector<uint32_t> path;
  std::vector<uint8_t> device, vb;
  std::vector<uint32_t> rows, pageviews, clicks, scroll_n, tiles_n[3], elements_n;
};
// `tiles_ok` false: the segment gets no kCellTiles, and every cell's tile lists are empty.
void PutCells(const CellArrays& t, bool tiles_ok, std::string* out);

// kCellScroll and kCellFold (rollup_scroll.cc).
struct ScrollArrays {
  std::vector<uint8_t> depth;
  std::vector<uint32_t> count;
};
void PutScroll(const ScrollArrays& scroll, std::string* out);
struct FoldArrays {
  std::vector<uint32_t> n;
  std::vector<uint64_t> sum_px;
};
void PutFold(const FoldArrays& fold, std::string* out);

// kCellTiles (rollup_tiles.cc).
struct TileArrays {
  std::vector<uint16_t> tile;
  std::vector<uint32_t> count;
};
void PutTiles(const TileArrays& tiles, std::string* out);

// kCellElements (rollup_elements.cc); the selector codes are the segment's.
struct ElementArrays {
  std::vector<uint64_t> hash;
  std::vector<uint32_t> clicks, rage, dead, with_pos, selector;
  std::vector<double> sum_ex, sum_ey;
};
void PutElements(const ElementArrays& el, std::string* out);

// kCellGrid (rollup_grid.cc): what the writer collects for the grid rollup of one click list.
struct GridList {
  std::vector<uint32_t> element_n;  // grid entries per element entry
  std::vector<uint32_t> cell_n;     // unattributed tiles per cell
  std::vector<uint8_t> cell;        // the entries: grid cell and count
  std::vector<uint32_t> count;
  std::vector<uint16_t> tile;  // the unattributed tiles: tile and count
  std::vector<uint32_t> tile_count;
};
// The grid of the three click lists, aligned with the element entries `hash` and `selector`
// (elements_n of them per cell), its chunks' fields compressed at `level`.
void PutCellGrid(const GridList (&gl)[3], const std::vector<uint64_t>& hash,
                 const std::vector<uint32_t>& selector, const std::vector<uint32_t>& elements_n,
                 int level, std::string* out);

}  // namespace tapistry::store
