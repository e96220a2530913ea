// The kCellTiles rollup (docs/formats/segment.md 2.8): per cell and click list (all, rage,
// dead) the clicks by 64x64 tile. Read and written here; collected by RollupWriter::BuildCells
// (rollup_cell_writer.cc).
#include "store/embedded/coding.h"
#include "store/embedded/rollup.h"
#include "store/embedded/rollup_internal.h"

namespace tapistry::store {

Status DecodeTiles(ScratchString raw, const CellTable& cells, TileEntries* out) {
  out->raw = std::move(raw);
  ByteReader r(*out->raw);
  uint64_t n;
  if (!r.GetVarint64(&n) || n != cells.tile_total()) return Bad("tile entry count");
  if (!View(&r, n, &out->tile) || !View(&r, n, &out->count) || r.remaining() != 0) {
    return Bad("truncated tile entries");
  }
  return Status::Ok();
}

Status ValidateTiles(const TileEntries& e, const CellTable& cells) {
  for (size_t c = 0; c < cells.size(); ++c) {
    for (int l = 0; l < 3; ++l) {
      uint64_t total = 0;
      const auto [first, end] = cells.TileRange(c, l);
      for (uint32_t k = first; k < end; ++k) {
        if (e.tile[k] >= kGrid * kGrid || (k > first && e.tile[k] <= e.tile[k - 1]) ||
            e.count[k] == 0) {
          return Bad("tile entries");
        }
        total += e.count[k];
      }
      if (total > cells.clicks[c]) return Bad("tile counts");
    }
  }
  return Status::Ok();
}

void PutTiles(const TileArrays& tiles, std::string* out) {
  PutVarint64(out, tiles.tile.size());
  PutArray(out, tiles.tile);
  PutArray(out, tiles.count);
}

}  // namespace tapistry::store
