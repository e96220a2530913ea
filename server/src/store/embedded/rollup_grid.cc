// The kCellGrid rollup (docs/formats/segment.md 2.8): per element entry its attributed clicks
// by 16x16 grid cell, per cell the tiles of the other clicks, cut into chunks of cells. Read and
// written here; collected by RollupWriter::BuildCells (rollup_cell_writer.cc).
#include <algorithm>

#include "store/embedded/coding.h"
#include "store/embedded/rollup.h"
#include "store/embedded/rollup_internal.h"

namespace tapistry::store {

namespace {

// Cumulative sums: out[0] = 0, out[i + 1] = out[i] + v[i].
std::vector<uint32_t> Prefix(const std::vector<uint32_t>& v) {
  std::vector<uint32_t> out(v.size() + 1, 0);
  for (size_t i = 0; i < v.size(); ++i) out[i + 1] = out[i] + v[i];
  return out;
}

}  // namespace

// The kCellGrid stream (docs/formats/segment.md 2.8): the cells cut into chunks of about
// kGridChunkBytes of the all-clicks list, each chunk a field stream of the element ids and the
// three lists, with every index local to the chunk.
void PutCellGrid(const GridList (&gl)[3], const std::vector<uint64_t>& hash,
                 const std::vector<uint32_t>& selector, const std::vector<uint32_t>& elements_n,
                 int level, std::string* out) {
  const size_t ncells = elements_n.size();
  const std::vector<uint32_t> el_at = Prefix(elements_n);
  std::vector<uint32_t> g_at[3], u_at[3];
  for (int l = 0; l < 3; ++l) {
    g_at[l] = Prefix(gl[l].element_n);
    u_at[l] = Prefix(gl[l].cell_n);
  }
  std::vector<uint32_t> chunk_end;
  size_t bytes = 0;
  for (size_t c = 0; c < ncells; ++c) {
    bytes += 4 + 16 * size_t{elements_n[c]} +
             5 * size_t{g_at[0][el_at[c + 1]] - g_at[0][el_at[c]]} +
             6 * size_t{u_at[0][c + 1] - u_at[0][c]};
    if (bytes >= kGridChunkBytes || c + 1 == ncells) {
      chunk_end.push_back(static_cast<uint32_t>(c + 1));
      bytes = 0;
    }
  }
  std::vector<std::string> chunks(chunk_end.size());
  for (size_t k = 0; k < chunk_end.size(); ++k) {
    const uint32_t c0 = k ? chunk_end[k - 1] : 0, c1 = chunk_end[k];
    const uint32_t e0 = el_at[c0], e1 = el_at[c1];
    std::string& chunk = chunks[k];
    std::vector<std::string> fields(4);
    PutArray(&fields[0], std::span<const uint64_t>(hash).subspan(e0, e1 - e0));
    PutArray(&fields[0], std::span<const uint32_t>(selector).subspan(e0, e1 - e0));
    for (int l = 0; l < 3; ++l) {
      const std::vector<uint32_t>& g = g_at[l];
      const std::vector<uint32_t>& u = u_at[l];
      PutVarint64(&chunk, g[e1] - g[e0]);
      PutVarint64(&chunk, u[c1] - u[c0]);
      std::string& f = fields[1 + l];
      std::vector<uint32_t> ends;
      for (uint32_t e = e0; e < e1; ++e) ends.push_back(g[e + 1] - g[e0]);
      PutArray(&f, ends);
      PutArray(&f, std::span<const uint8_t>(gl[l].cell).subspan(g[e0], g[e1] - g[e0]));
      PutArray(&f, std::span<const uint32_t>(gl[l].count).subspan(g[e0], g[e1] - g[e0]));
      ends.clear();
      for (uint32_t c = c0; c < c1; ++c) ends.push_back(u[c + 1] - u[c0]);
      PutArray(&f, ends);
      PutArray(&f, std::span<const uint16_t>(gl[l].tile).subspan(u[c0], u[c1] - u[c0]));
      PutArray(&f, std::span<const uint32_t>(gl[l].tile_count).subspan(u[c0], u[c1] - u[c0]));
    }
    PutFieldStream(fields, level, &chunk);
  }
  PutVarint64(out, hash.size());
  PutVarint64(out, ncells);
  PutVarint64(out, chunk_end.size());
  for (size_t k = 0; k < chunks.size(); ++k) {
    PutVarint64(out, chunk_end[k]);
    PutVarint64(out, chunks[k].size());
  }
  for (const std::string& chunk : chunks) out->append(chunk);
}

Status CellGrid::Open(ScratchString raw, const CellTable& cells) {
  raw_ = std::move(raw);
  cells_ = &cells;
  ByteReader r(*raw_);
  uint64_t elements, ncells, nchunks;
  if (!r.GetVarint64(&elements) || !r.GetVarint64(&ncells) || !r.GetVarint64(&nchunks)) {
    return Bad("truncated grid header");
  }
  if (elements != cells.element_total() || ncells != cells.size() || nchunks > ncells ||
      (ncells > 0) != (nchunks > 0)) {
    return Bad("grid disagrees with the cells");
  }
  chunk_end_.resize(nchunks);
  std::vector<uint64_t> bytes(nchunks);
  uint64_t prev = 0;
  for (size_t k = 0; k < nchunks; ++k) {
    uint64_t end;
    if (!r.GetVarint64(&end) || !r.GetVarint64(&bytes[k])) return Bad("truncated grid chunks");
    if (end <= prev || end > ncells) return Bad("grid chunk cells");
    chunk_end_[k] = static_cast<uint32_t>(prev = end);
  }
  if (nchunks > 0 && prev != ncells) return Bad("grid chunks do not cover the cells");
  chunk_bytes_.resize(nchunks);
  for (size_t k = 0; k < nchunks; ++k) {
    if (bytes[k] > r.remaining() || !r.GetBytes(static_cast<size_t>(bytes[k]), &chunk_bytes_[k])) {
      return Bad("truncated grid chunk");
    }
  }
  if (r.remaining() != 0) return Bad("grid trailing bytes");
  return Status::Ok();
}

size_t CellGrid::ChunkOf(uint32_t c) const {
  return static_cast<size_t>(std::upper_bound(chunk_end_.begin(), chunk_end_.end(), c) -
                             chunk_end_.begin());
}

Status CellGrid::Load(size_t k, int l, Chunk* out) const {
  const CellTable& cells = *cells_;
  const uint32_t c0 = k ? chunk_end_[k - 1] : 0, c1 = chunk_end_[k];
  const uint32_t e0 = cells.ElementRange(c0).first, e1 = cells.ElementRange(c1 - 1).second;
  if (e0 > e1 || e1 > cells.element_total()) return Bad("grid chunk elements");
  out->first_cell = c0;
  out->cells = c1 - c0;
  out->first_element = e0;
  out->elements = e1 - e0;
  ByteReader r(chunk_bytes_[k]);
  uint64_t entries[3], tiles[3];
  for (int i = 0; i < 3; ++i) {
    // Ends are u32, so no list holds more; the bound also keeps the lengths below exact.
    if (!r.GetVarint64(&entries[i]) || !r.GetVarint64(&tiles[i]) || entries[i] > UINT32_MAX ||
        tiles[i] > UINT32_MAX) {
      return Bad("grid chunk counts");
    }
  }
  const uint64_t ne = out->elements, nc = out->cells;
  uint64_t raw_lens[4] = {12 * ne};  // u64 hash, u32 selector
  for (int i = 0; i < 3; ++i) raw_lens[1 + i] = 4 * ne + 5 * entries[i] + 4 * nc + 6 * tiles[i];
  FieldStream fields;
  TAP_RETURN_IF_ERROR(fields.Open(
      chunk_bytes_[k].substr(static_cast<size_t>(r.position() - chunk_bytes_[k].data())),
      raw_lens));
  TAP_RETURN_IF_ERROR(fields.Load(0, out->ids.get()));
  TAP_RETURN_IF_ERROR(fields.Load(1 + l, out->list.get()));
  const char* ids = out->ids->data();
  out->hash = ShuffledArray<uint64_t>(ids, ne);
  out->selector = ShuffledArray<uint32_t>(ids + 8 * ne, ne);
  const size_t n_entries = static_cast<size_t>(entries[l]), n_tiles = static_cast<size_t>(tiles[l]);
  const char* p = out->list->data();
  out->element_end = ShuffledArray<uint32_t>(p, ne);
  p += 4 * ne;
  out->cell = ShuffledArray<uint8_t>(p, n_entries);
  out->count = ShuffledArray<uint32_t>(p + n_entries, n_entries);
  p += 5 * n_entries;
  out->cell_end = ShuffledArray<uint32_t>(p, nc);
  p += 4 * nc;
  out->tile = ShuffledArray<uint16_t>(p, n_tiles);
  out->tile_count = ShuffledArray<uint32_t>(p + 2 * n_tiles, n_tiles);
  // The last ends are the counts (the ends in between are checked where a range is read).
  if ((ne ? out->element_end[ne - 1] : 0) != n_entries || out->cell_end[nc - 1] != n_tiles) {
    return Bad("grid ends disagree with the counts");
  }
  return Status::Ok();
}

Status ValidateGrid(const CellGrid& g, const ElementEntries& e, const CellTable& cells) {
  CellGrid::Chunk x;
  for (size_t k = 0; k < g.size(); ++k) {
    for (int l = 0; l < 3; ++l) {
      TAP_RETURN_IF_ERROR(g.Load(k, l, &x));
      for (uint32_t i = 0; i < x.elements; ++i) {
        if (x.hash[i] != e.hash[x.first_element + i] ||
            x.selector[i] != e.selector[x.first_element + i]) {
          return Bad("grid elements disagree with the element entries");
        }
      }
      for (uint32_t lc = 0; lc < x.cells; ++lc) {
        const uint32_t c = x.first_cell + lc;
        uint64_t cell_total = 0;
        const auto [el_first, el_end] = cells.ElementRange(c);
        for (uint32_t k2 = el_first; k2 < el_end; ++k2) {
          const auto [first, end] = x.GridRange(k2 - x.first_element);
          if (first > end || end > x.cell.size()) return Bad("grid entries out of range");
          uint64_t total = 0;
          for (uint32_t i = first; i < end; ++i) {
            if ((i > first && x.cell[i] <= x.cell[i - 1]) || x.count[i] == 0) {
              return Bad("grid entries");
            }
            total += x.count[i];
          }
          // Attributed clicks have a position; the rage and dead lists count flagged ones.
          const uint32_t bound = l == kTilesAll    ? e.with_pos[k2]
                                 : l == kTilesRage ? e.rage[k2]
                                                   : e.dead[k2];
          if (total > bound) return Bad("grid counts");
          cell_total += total;
        }
        const auto [first, end] = x.TileRange(lc);
        if (first > end || end > x.tile.size()) return Bad("grid tiles out of range");
        for (uint32_t i = first; i < end; ++i) {
          if (x.tile[i] >= kGrid * kGrid || (i > first && x.tile[i] <= x.tile[i - 1]) ||
              x.tile_count[i] == 0) {
            return Bad("grid tiles");
          }
          cell_total += x.tile_count[i];
        }
        if (cell_total > cells.clicks[c]) return Bad("grid counts exceed the clicks");
      }
    }
  }
  return Status::Ok();
}

}  // namespace tapistry::store
