#include "store/embedded/rollup.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "store/embedded/coding.h"
#include "store/embedded/zstd_codec.h"

namespace tapistry::store {
namespace {

constexpr uint8_t kPageView = static_cast<uint8_t>(EventType::kPageView);
constexpr uint8_t kClick = static_cast<uint8_t>(EventType::kClick);
constexpr uint8_t kScroll = static_cast<uint8_t>(EventType::kScroll);

Status Bad(const char* what) { return Status::Corruption(std::string("segment rollup: ") + what); }

uint8_t WidthFor(uint64_t dict_size) {
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

// What the writer collects for the grid rollup of one click list, in cell order.
struct GridList {
  std::vector<uint32_t> element_n;  // grid entries per element entry
  std::vector<uint32_t> cell_n;     // unattributed tiles per cell
  std::vector<uint8_t> cell;        // the entries: grid cell and count
  std::vector<uint32_t> count;
  std::vector<uint16_t> tile;  // the unattributed tiles: tile and count
  std::vector<uint32_t> tile_count;
};

// Cumulative sums: out[0] = 0, out[i + 1] = out[i] + v[i].
std::vector<uint32_t> Prefix(const std::vector<uint32_t>& v) {
  std::vector<uint32_t> out(v.size() + 1, 0);
  for (size_t i = 0; i < v.size(); ++i) out[i + 1] = out[i] + v[i];
  return out;
}

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

// Dictionary codes in `width` bytes each (shuffled like the arrays).
void PutCodeArray(std::string* out, const std::vector<uint32_t>& v, uint8_t width) {
  const size_t at = out->size(), n = v.size();
  out->resize(at + n * width);
  char* p = out->data() + at;
  for (uint8_t b = 0; b < width; ++b) {
    for (size_t i = 0; i < n; ++i) p[b * n + i] = static_cast<char>(v[i] >> (8 * b));
  }
}

}  // namespace

std::pair<size_t, size_t> CellTable::PathRange(uint32_t path_code) const {
  size_t lo = 0, hi = size();
  while (lo < hi) {  // first cell with path >= path_code
    const size_t mid = lo + (hi - lo) / 2;
    if (path[mid] < path_code)
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t end = lo;
  hi = size();
  while (end < hi) {  // first cell with path > path_code
    const size_t mid = end + (hi - end) / 2;
    if (path[mid] <= path_code)
      end = mid + 1;
    else
      hi = mid;
  }
  return {lo, end};
}

RollupBounds BoundsOf(const SegmentFooter& f) {
  RollupBounds b;
  b.rows = f.rows;
  b.pageviews = f.pageviews;
  auto dict = [&](ColumnId id) -> uint64_t {
    const ColumnMeta* c = f.Find(id);
    return c ? c->dict_size : 0;
  };
  b.sessions = dict(ColumnId::kSession);
  b.visitors = dict(ColumnId::kAnonymous);
  b.path_dict = dict(ColumnId::kPath);
  b.selector_dict = dict(ColumnId::kSelector);
  b.browser_dict = dict(ColumnId::kBrowser);
  b.os_dict = dict(ColumnId::kOs);
  b.visitor_width = WidthFor(b.visitors);
  b.browser_width = WidthFor(b.browser_dict);
  b.os_width = WidthFor(b.os_dict);
  for (int k = 0; k < 5; ++k) {
    b.entry_dict[k] = dict(StringColumnId(kEntryColumns[k]));
    b.entry_width[k] = WidthFor(b.entry_dict[k]);
  }
  return b;
}

// ---------------------------------------------------------------------------------------------
// Decoding: every count, code and order is checked; the queries then index without checks.

namespace {

// Points `a` at the next n values of the stream and advances past them.
template <typename T>
bool View(ByteReader* r, size_t n, ShuffledArray<T>* a) {
  std::string_view bytes;
  if (n > r->remaining() / sizeof(T) || !r->GetBytes(n * sizeof(T), &bytes)) return false;
  *a = ShuffledArray<T>(bytes.data(), n);
  return true;
}

}  // namespace

Status DecodeCells(ScratchString raw, CellTable* out) {
  out->raw = std::move(raw);
  ByteReader r(*out->raw);
  uint64_t n;
  CellTable& c = *out;
  if (!r.GetVarint64(&n) || !View(&r, n, &c.path) || !View(&r, n, &c.device) ||
      !View(&r, n, &c.vb) || !View(&r, n, &c.rows) || !View(&r, n, &c.pageviews) ||
      !View(&r, n, &c.clicks) || !View(&r, n, &c.scroll_end) || !View(&r, n, &c.tiles_end[0]) ||
      !View(&r, n, &c.tiles_end[1]) || !View(&r, n, &c.tiles_end[2]) ||
      !View(&r, n, &c.elements_end) || r.remaining() != 0) {
    return Bad("truncated cells");
  }
  return Status::Ok();
}

Status ValidateCells(const CellTable& c, const RollupBounds& b) {
  const size_t n = c.size();
  if (n > b.rows) return Bad("cell count");
  uint64_t key_prev = 0, rows = 0, pageviews = 0;
  uint32_t scroll = 0, tiles = 0, elements = 0;
  for (size_t i = 0; i < n; ++i) {
    if (c.path[i] >= b.path_dict) return Bad("cell path code");
    const uint64_t key = (uint64_t{c.path[i]} << 16) | (uint64_t{c.device[i]} << 8) | c.vb[i];
    if (i > 0 && key <= key_prev) return Bad("cells not sorted");
    key_prev = key;
    const uint32_t cr = c.rows[i], cc = c.clicks[i];
    if (cr == 0 || c.pageviews[i] > cr || cc > cr) return Bad("cell counts");
    if (c.scroll_end[i] < scroll || c.scroll_end[i] - scroll > 101)
      return Bad("cell scroll entries");
    const uint32_t all = c.tiles_end[0][i], rage = c.tiles_end[1][i], dead = c.tiles_end[2][i];
    if (all < tiles || all - tiles > cc || rage < all || rage - all > all - tiles || dead < rage ||
        dead - rage > all - tiles) {
      return Bad("cell tile entries");
    }
    if (c.elements_end[i] < elements || c.elements_end[i] - elements > cc)
      return Bad("cell element entries");
    scroll = c.scroll_end[i];
    tiles = dead;
    elements = c.elements_end[i];
    rows += cr;
    pageviews += c.pageviews[i];
  }
  if (rows != b.rows || pageviews != b.pageviews) return Bad("cells disagree with the footer");
  return Status::Ok();
}

Status DecodeScroll(ScratchString raw, const CellTable& cells, ScrollEntries* out) {
  out->raw = std::move(raw);
  ByteReader r(*out->raw);
  uint64_t n;
  if (!r.GetVarint64(&n) || n != cells.scroll_total()) return Bad("scroll entry count");
  if (!View(&r, n, &out->depth) || !View(&r, n, &out->count) || r.remaining() != 0) {
    return Bad("truncated scroll entries");
  }
  return Status::Ok();
}

Status DecodeFold(ScratchString raw, const CellTable& cells, FoldEntries* out) {
  out->raw = std::move(raw);
  ByteReader r(*out->raw);
  uint64_t n;
  if (!r.GetVarint64(&n) || n != cells.size()) return Bad("fold cell count");
  if (!View(&r, n, &out->n) || !View(&r, n, &out->sum_px) || r.remaining() != 0) {
    return Bad("truncated fold entries");
  }
  return Status::Ok();
}

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

Status DecodeElements(ScratchString raw, const CellTable& cells, ElementEntries* out) {
  out->raw = std::move(raw);
  ByteReader r(*out->raw);
  uint64_t n;
  if (!r.GetVarint64(&n) || n != cells.element_total()) return Bad("element entry count");
  if (!View(&r, n, &out->hash) || !View(&r, n, &out->clicks) || !View(&r, n, &out->rage) ||
      !View(&r, n, &out->dead) || !View(&r, n, &out->with_pos) || !View(&r, n, &out->sum_ex) ||
      !View(&r, n, &out->sum_ey) || !View(&r, n, &out->selector) || r.remaining() != 0) {
    return Bad("truncated element entries");
  }
  return Status::Ok();
}

Status ValidateScroll(const ScrollEntries& e, const CellTable& cells) {
  for (size_t c = 0; c < cells.size(); ++c) {
    uint64_t total = 0;
    const auto [first, end] = cells.ScrollRange(c);
    for (uint32_t k = first; k < end; ++k) {
      if (e.depth[k] > 100 || (k > first && e.depth[k] <= e.depth[k - 1]) || e.count[k] == 0) {
        return Bad("scroll entries");
      }
      total += e.count[k];
    }
    if (total > cells.rows[c]) return Bad("scroll counts");
  }
  return Status::Ok();
}

Status ValidateFold(const FoldEntries& e, const ScrollEntries& scroll, const CellTable& cells) {
  for (size_t c = 0; c < cells.size(); ++c) {
    uint64_t scrolls = 0;
    const auto [first, end] = cells.ScrollRange(c);
    for (uint32_t k = first; k < end && k < scroll.count.size(); ++k) scrolls += scroll.count[k];
    if (e.n[c] > scrolls || e.sum_px[c] > uint64_t{e.n[c]} * UINT16_MAX || (e.n[c] > 0) != (e.sum_px[c] > 0)) {
      return Bad("fold entries");
    }
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

Status ValidateElements(const ElementEntries& e, const CellTable& cells, const RollupBounds& b) {
  for (size_t c = 0; c < cells.size(); ++c) {
    uint64_t total = 0;
    const auto [first, end] = cells.ElementRange(c);
    for (uint32_t k = first; k < end; ++k) {
      if (e.hash[k] == 0 || (k > first && e.hash[k] <= e.hash[k - 1]) || e.clicks[k] == 0 ||
          e.rage[k] > e.clicks[k] || e.dead[k] > e.clicks[k] || e.with_pos[k] > e.clicks[k] ||
          (e.selector[k] != kNoSelector && e.selector[k] >= b.selector_dict)) {
        return Bad("element entries");
      }
      total += e.clicks[k];
    }
    if (total > cells.clicks[c]) return Bad("element counts");
  }
  return Status::Ok();
}

Status FieldStream::Open(std::string_view bytes, std::span<const uint8_t> widths, size_t rows) {
  std::vector<uint64_t> raw_lens(widths.size());
  for (size_t f = 0; f < widths.size(); ++f) raw_lens[f] = uint64_t{rows} * widths[f];
  return Open(bytes, raw_lens);
}

Status FieldStream::Open(std::string_view bytes, std::span<const uint64_t> raw_lens) {
  ByteReader r(bytes);
  uint8_t count;
  if (!r.GetFixed8(&count) || count != raw_lens.size()) return Bad("field stream header");
  slots_.assign(count, Slot());
  std::vector<uint64_t> stored_len(count);
  for (size_t f = 0; f < count; ++f) {
    Slot& s = slots_[f];
    if (!r.GetFixed8(&s.codec) || !r.GetVarint64(&s.raw_len) || !r.GetVarint64(&stored_len[f])) {
      return Bad("field stream field");
    }
    if (s.raw_len != raw_lens[f]) return Bad("field stream field length");
  }
  for (size_t f = 0; f < count; ++f) {
    if (!r.GetBytes(static_cast<size_t>(std::min<uint64_t>(stored_len[f], r.remaining() + 1)),
                    &slots_[f].stored)) {
      return Bad("truncated field stream");
    }
  }
  if (r.remaining() != 0) return Bad("field stream trailing bytes");
  return Status::Ok();
}

Status FieldStream::Load(int f, std::string* out) const {
  const Slot& s = slots_[static_cast<size_t>(f)];
  return DecompressStream(s.stored, s.codec, s.raw_len, out);
}

void PutFieldStream(const std::vector<std::string>& fields, int level, std::string* out) {
  PutFixed8(out, static_cast<uint8_t>(fields.size()));
  std::vector<std::string> stored(fields.size());
  for (size_t f = 0; f < fields.size(); ++f) {
    uint8_t codec;
    CompressStream(fields[f], level, &codec, &stored[f]);
    PutFixed8(out, codec);
    PutVarint64(out, fields[f].size());
    PutVarint64(out, stored[f].size());
  }
  for (const std::string& bytes : stored) out->append(bytes);
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

Status SessionAttributes::Open(ScratchString raw, const RollupBounds& b) {
  raw_ = std::move(raw);
  sessions = static_cast<size_t>(b.sessions);
  const uint8_t widths[kFieldCount] = {b.visitor_width,
                                       1,
                                       1,
                                       2,
                                       b.browser_width,
                                       b.os_width,
                                       4,
                                       4,
                                       b.entry_width[0],
                                       b.entry_width[1],
                                       b.entry_width[2],
                                       b.entry_width[3],
                                       b.entry_width[4]};
  std::copy(widths, widths + kFieldCount, widths_);
  const std::string& bytes = *raw_;
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) > 63) return Bad("session attribute flags");
  uniform = static_cast<uint8_t>(bytes[0]);
  for (bool& l : loaded_) l = false;
  return stream_.Open(std::string_view(bytes).substr(1), widths_, sessions);
}

Status SessionAttributes::Load(std::initializer_list<Field> fields) {
  for (Field f : fields) {
    if (loaded_[f]) continue;
    TAP_RETURN_IF_ERROR(stream_.Load(f, fields_[f].get()));
    loaded_[f] = true;
    const char* p = fields_[f]->data();
    const size_t n = sessions;
    switch (f) {
      case kVisitor:
        visitor = CodeArray(p, n, widths_[f]);
        break;
      case kDevice:
        device = ShuffledArray<uint8_t>(p, n);
        break;
      case kViewport:
        vb = ShuffledArray<uint8_t>(p, n);
        break;
      case kCountry:
        country = ShuffledArray<uint16_t>(p, n);
        break;
      case kBrowser:
        browser = CodeArray(p, n, widths_[f]);
        break;
      case kOs:
        os = CodeArray(p, n, widths_[f]);
        break;
      case kFirstPvOffset:
        first_pv_offset = ShuffledArray<uint32_t>(p, n);
        break;
      case kFirstPvRow:
        first_pv_row = ShuffledArray<uint32_t>(p, n);
        break;
      default:
        entry[f - kEntry0] = CodeArray(p, n, widths_[f]);
        break;
    }
  }
  return Status::Ok();
}

Status SessionPathStats::Open(ScratchString raw, size_t pairs) {
  raw_ = std::move(raw);
  pairs_ = pairs;
  for (bool& l : loaded_) l = false;
  static constexpr uint8_t kWidths[kFieldCount] = {4, 4, 4};
  return stream_.Open(*raw_, kWidths, pairs);
}

Status SessionPathStats::Load(std::initializer_list<Field> fields) {
  for (Field f : fields) {
    if (loaded_[f]) continue;
    TAP_RETURN_IF_ERROR(stream_.Load(f, fields_[f].get()));
    loaded_[f] = true;
    const ShuffledArray<uint32_t> a(fields_[f]->data(), pairs_);
    (f == kPageviews ? pageviews : f == kFirstOffset ? first_offset : span) = a;
  }
  return Status::Ok();
}

Status ValidateSessionAttributes(SessionAttributes* sa, const RollupBounds& b) {
  using F = SessionAttributes;
  TAP_RETURN_IF_ERROR(
      sa->Load({F::kVisitor, F::kDevice, F::kViewport, F::kCountry, F::kBrowser, F::kOs,
                F::kFirstPvOffset, F::kFirstPvRow, F::kEntry0,
                static_cast<F::Field>(F::kEntry0 + 1), static_cast<F::Field>(F::kEntry0 + 2),
                static_cast<F::Field>(F::kEntry0 + 3), static_cast<F::Field>(F::kEntry0 + 4)}));
  const SessionAttributes& s = *sa;
  for (size_t i = 0; i < s.sessions; ++i) {
    if (s.visitor[i] >= b.visitors || s.browser[i] >= std::max<uint64_t>(b.browser_dict, 1) ||
        s.os[i] >= std::max<uint64_t>(b.os_dict, 1) || s.first_pv_offset[i] >= kDayMs ||
        s.first_pv_row[i] >= b.rows) {
      return Bad("session attributes out of range");
    }
    for (int k = 0; k < 5; ++k) {
      if (s.entry[k][i] >= std::max<uint64_t>(b.entry_dict[k], 1))
        return Bad("session entry code out of range");
    }
  }
  return Status::Ok();
}

Status DecodeSessionStats(ScratchString raw, size_t sessions, SessionStatsView* out) {
  out->raw = std::move(raw);
  const std::string& bytes = *out->raw;
  if (bytes.size() != sessions * 12) return Bad("session stats length");
  out->pageviews = ShuffledArray<uint32_t>(bytes.data(), sessions);
  out->first_in_day = ShuffledArray<uint32_t>(bytes.data() + sessions * 4, sessions);
  out->duration = ShuffledArray<uint32_t>(bytes.data() + sessions * 8, sessions);
  return Status::Ok();
}

Status DecodePathPageviews(std::string_view raw, const RollupBounds& b,
                           std::vector<uint64_t>* out) {
  ByteReader r(raw);
  out->assign(b.path_dict, 0);
  uint64_t total = 0;
  for (uint64_t i = 0; i < b.path_dict; ++i) {
    uint64_t sessions;
    if (!r.GetVarint64(&(*out)[i]) || !r.GetVarint64(&sessions)) return Bad("truncated path stats");
    if ((*out)[i] > b.rows) return Bad("path stats out of range");
    total += (*out)[i];
  }
  if (r.remaining() != 0 || total != b.pageviews) return Bad("path stats disagree with the footer");
  return Status::Ok();
}

Status DecodeSessionPathLists(std::string_view raw, const RollupBounds& b, SessionPathLists* out) {
  ByteReader r(raw);
  const size_t n = static_cast<size_t>(b.sessions);
  out->start.resize(n + 1);
  uint64_t total = 0;
  for (size_t s = 0; s < n; ++s) {
    uint64_t k;
    if (!r.GetVarint64(&k) || k > b.path_dict) return Bad("session path count");
    out->start[s] = static_cast<uint32_t>(total);
    total += k;
    if (total > b.rows) return Bad("session path count");
  }
  out->start[n] = static_cast<uint32_t>(total);
  uint8_t width;
  if (!r.GetFixed8(&width) || (width != 1 && width != 2 && width != 4) ||
      r.remaining() != total * width) {
    return Bad("session path codes");
  }
  const auto* p = reinterpret_cast<const uint8_t*>(r.position());
  out->codes.resize(total);
  uint32_t* codes = out->codes.data();
  uint32_t mx = 0;
  if (width == 1) {
    for (uint64_t i = 0; i < total; ++i) mx = std::max<uint32_t>(mx, codes[i] = p[i]);
  } else if (width == 2) {
    for (uint64_t i = 0; i < total; ++i)
      mx = std::max<uint32_t>(mx, codes[i] = p[2 * i] | (p[2 * i + 1] << 8));
  } else if (total > 0) {
    std::memcpy(codes, p, total * 4);  // little-endian, as the format
    for (uint64_t i = 0; i < total; ++i) mx = std::max(mx, codes[i]);
  }
  if (total > 0 && mx >= b.path_dict) return Bad("session path code");
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Writing.

RollupWriter::RollupWriter(RollupInput in) : in_(std::move(in)) {
  const size_t nsess = in_.runs.size();
  run_start_.resize(nsess + 1);
  first_pv_.assign(nsess, UINT32_MAX);
  uint32_t row = 0;
  bool uniform_visitor = true;
  for (size_t s = 0; s < nsess; ++s) {
    run_start_[s] = row;
    const uint32_t end = row + in_.runs[s];
    for (uint32_t i = row; i < end; ++i) {
      if (in_.type[i] == kPageView) {
        first_pv_[s] = i;
        break;
      }
    }
    const uint32_t v = in_.visitor[row];
    for (uint32_t i = row + 1; i < end; ++i) uniform_visitor &= in_.visitor[i] == v;
    row = end;
  }
  run_start_[nsess] = row;
  if (uniform_visitor) uniform_ |= kUniformVisitor;
  browser_.assign(nsess, 0);
  os_.assign(nsess, 0);
  for (auto& e : entry_) e.assign(nsess, 0);
}

void RollupWriter::AddStringCodes(int str_col, const std::vector<uint32_t>& codes,
                                  const std::vector<uint32_t>& remap, uint64_t dict_size) {
  dict_size_[str_col] = dict_size;
  const size_t nsess = in_.runs.size();
  if (str_col == kStrPath) {
    path_ = codes;
    path_remap_ = remap;
  }
  if (str_col == kStrSelector) selector_remap_ = remap;
  for (int k = 0; k < 5; ++k) {
    if (kEntryColumns[k] != str_col) continue;
    for (size_t s = 0; s < nsess; ++s)
      entry_[k][s] = first_pv_[s] == UINT32_MAX ? 0 : codes[first_pv_[s]];
  }
  if (str_col == kStrBrowser || str_col == kStrOs) {
    std::vector<uint32_t>& out = str_col == kStrBrowser ? browser_ : os_;
    bool uniform = true;
    for (size_t s = 0; s < nsess; ++s) {
      const uint32_t v = out[s] = codes[run_start_[s]];
      for (uint32_t i = run_start_[s] + 1; i < run_start_[s + 1]; ++i) uniform &= codes[i] == v;
    }
    if (uniform) uniform_ |= str_col == kStrBrowser ? kUniformBrowser : kUniformOs;
  }
}

void RollupWriter::BuildSessionAttributes(std::string* raw) {
  const size_t nsess = in_.runs.size();
  std::vector<uint32_t> visitor(nsess), offset(nsess, 0), first_row(nsess, 0);
  std::vector<uint8_t> device(nsess), vb(nsess);
  std::vector<uint16_t> country(nsess);
  bool u_device = true, u_vb = true, u_country = true;
  for (size_t s = 0; s < nsess; ++s) {
    const uint32_t i0 = run_start_[s], end = run_start_[s + 1];
    const uint8_t d = device[s] = in_.device[i0];
    const uint16_t w = in_.viewport_w[i0], c = country[s] = in_.country[i0];
    vb[s] = BucketOfWidth(w);
    for (uint32_t i = i0 + 1; i < end; ++i) {
      u_device &= in_.device[i] == d;
      u_country &= in_.country[i] == c;
      // Widths differ more often than buckets (a resized window): compare buckets only then.
      if (in_.viewport_w[i] != w) u_vb &= BucketOfWidth(in_.viewport_w[i]) == vb[s];
    }
    const uint32_t pv = first_pv_[s];
    visitor[s] = in_.visitor[pv == UINT32_MAX ? i0 : pv];
    if (pv != UINT32_MAX) {
      offset[s] = static_cast<uint32_t>(in_.ts[pv] - in_.ts[i0]);
      first_row[s] = pv - i0;
    }
  }
  uint8_t uniform = uniform_;
  if (u_device) uniform |= kUniformDevice;
  if (u_vb) uniform |= kUniformViewport;
  if (u_country) uniform |= kUniformCountry;
  // Each field compressed on its own (SessionAttributes::Load reads only what a query needs).
  std::string fields[SessionAttributes::kFieldCount];
  PutCodeArray(&fields[SessionAttributes::kVisitor], visitor, WidthFor(in_.visitor_dict));
  PutArray(&fields[SessionAttributes::kDevice], device);
  PutArray(&fields[SessionAttributes::kViewport], vb);
  PutArray(&fields[SessionAttributes::kCountry], country);
  PutCodeArray(&fields[SessionAttributes::kBrowser], browser_, WidthFor(dict_size_[kStrBrowser]));
  PutCodeArray(&fields[SessionAttributes::kOs], os_, WidthFor(dict_size_[kStrOs]));
  PutArray(&fields[SessionAttributes::kFirstPvOffset], offset);
  PutArray(&fields[SessionAttributes::kFirstPvRow], first_row);
  for (int k = 0; k < 5; ++k) {
    PutCodeArray(&fields[SessionAttributes::kEntry0 + k], entry_[k],
                 WidthFor(dict_size_[kEntryColumns[k]]));
  }
  raw->clear();
  PutFixed8(raw, uniform);
  PutFieldStream(std::vector<std::string>(std::make_move_iterator(std::begin(fields)),
                                          std::make_move_iterator(std::end(fields))),
                 in_.zstd_level, raw);
}

void RollupWriter::BuildExtraPaths(std::string* raw, std::string* stats) {
  const size_t nsess = in_.runs.size();
  const uint64_t npaths = dict_size_[kStrPath];
  // Per path, the session that last listed it and at which pair index.
  std::vector<uint32_t> listed(npaths, UINT32_MAX), pair_of(npaths, 0), extra_codes;
  std::vector<uint32_t> viewed_n(nsess, 0), extra_n(nsess, 0);
  // Pairs in kSessionPaths order first (page-view paths in first-view order), then extras.
  std::vector<uint32_t> pv, first, last, viewed_codes;
  std::vector<uint32_t> extra_pv, extra_first, extra_last;
  raw->clear();
  for (uint32_t s = 0; s < nsess; ++s) {
    const uint32_t i0 = run_start_[s], end = run_start_[s + 1];
    const int64_t t0 = in_.ts[i0];
    const size_t viewed_at = pv.size(), extra_at = extra_pv.size();
    for (uint32_t i = i0; i < end; ++i) {
      if (in_.type[i] != kPageView) continue;
      const uint32_t pc = path_[i];
      if (listed[pc] != s) {
        listed[pc] = s;
        pair_of[pc] = static_cast<uint32_t>(pv.size());
        pv.push_back(0);
        first.push_back(UINT32_MAX);
        last.push_back(0);
        viewed_codes.push_back(pc);
      }
    }
    viewed_n[s] = static_cast<uint32_t>(pv.size() - viewed_at);
    for (uint32_t i = i0; i < end; ++i) {
      const uint32_t pc = path_[i];
      const uint32_t offset = static_cast<uint32_t>(in_.ts[i] - t0);
      uint32_t* f;
      uint32_t* l;
      if (listed[pc] == s) {
        const uint32_t k = pair_of[pc];
        pv[k] += in_.type[i] == kPageView;
        f = &first[k];
        l = &last[k];
      } else {
        if (listed[pc] != s + nsess) {  // a path none of the session's page views has
          listed[pc] = s + static_cast<uint32_t>(nsess);
          pair_of[pc] = static_cast<uint32_t>(extra_pv.size());
          extra_pv.push_back(0);
          extra_first.push_back(UINT32_MAX);
          extra_last.push_back(0);
          extra_codes.push_back(pc);
        }
        const uint32_t k = pair_of[pc];
        f = &extra_first[k];
        l = &extra_last[k];
      }
      *f = std::min(*f, offset);
      *l = std::max(*l, offset);
    }
    extra_n[s] = static_cast<uint32_t>(extra_pv.size() - extra_at);
    PutVarint64(raw, extra_n[s]);
  }
  const uint8_t width = WidthFor(npaths);
  PutFixed8(raw, width);
  const size_t at = raw->size();
  raw->resize(at + extra_codes.size() * width);
  char* p = raw->data() + at;
  for (uint32_t c : extra_codes) {
    for (uint8_t b = 0; b < width; ++b) *p++ = static_cast<char>(c >> (8 * b));
  }
  // Path stats aligned with the concatenation kSessionPaths ++ kSessionExtraPaths; the span
  // (last - first) is mostly 0 (a path's rows are often one page view), which compresses.
  pv.insert(pv.end(), extra_pv.begin(), extra_pv.end());
  first.insert(first.end(), extra_first.begin(), extra_first.end());
  last.insert(last.end(), extra_last.begin(), extra_last.end());
  for (size_t k = 0; k < last.size(); ++k) last[k] -= first[k];
  std::vector<std::string> fields(SessionPathStats::kFieldCount);
  PutArray(&fields[SessionPathStats::kPageviews], pv);
  PutArray(&fields[SessionPathStats::kFirstOffset], first);
  PutArray(&fields[SessionPathStats::kSpan], last);
  stats->clear();
  PutFieldStream(fields, in_.zstd_level, stats);
}

void RollupWriter::BuildCells(std::vector<Stream>* out) {
  const Columns& cols = *in_.cols;
  const std::span<const uint32_t> rows = in_.rows;
  const size_t n = rows.size();
  const uint32_t* path_codes = cols.str[kStrPath].codes.data();
  const uint64_t npaths = path_remap_.size();  // the input column's dictionary
  // Rows are visited in input order (sequential reads); a cell is numbered on first sight by
  // (input path code, device, viewport bucket), then renumbered in (segment path code, device,
  // viewport bucket) order. (device, bucket) pairs are few: they are numbered first.
  std::vector<uint16_t> dv_index(256 * 256, UINT16_MAX);
  std::vector<uint16_t> dv_key;  // device << 8 | bucket, per pair
  std::vector<uint32_t> cell_of(n);
  std::vector<uint64_t>
      cell_key;                // segment path << 16 | device << 8 | bucket, by first-seen number
  std::vector<uint32_t> flat;  // (input path code, pair) -> first-seen number, when small
  std::unordered_map<uint64_t, uint32_t> sparse;
  uint64_t flat_dv = 8;  // pairs the flat table has room for
  if (npaths * flat_dv <= (uint64_t{1} << 22)) flat.assign(npaths * flat_dv, UINT32_MAX);
  for (size_t k = 0; k < n; ++k) {
    const uint32_t r = rows[k];
    const uint16_t key =
        static_cast<uint16_t>((cols.device[r] << 8) | BucketOfWidth(cols.viewport_w[r]));
    uint16_t dv = dv_index[key];
    if (dv == UINT16_MAX) {
      dv = dv_index[key] = static_cast<uint16_t>(dv_key.size());
      dv_key.push_back(key);
    }
    const uint32_t pc = path_codes[r];
    uint32_t* slot;
    if (dv < flat_dv && !flat.empty()) {
      slot = &flat[uint64_t{pc} * flat_dv + dv];
    } else {
      slot = &sparse.try_emplace((uint64_t{pc} << 16) | dv, UINT32_MAX).first->second;
    }
    if (*slot == UINT32_MAX) {
      *slot = static_cast<uint32_t>(cell_key.size());
      cell_key.push_back((uint64_t{path_remap_[pc]} << 16) | key);
    }
    cell_of[k] = *slot;
  }
  flat = {};
  sparse = {};
  const size_t ncells = cell_key.size();
  std::vector<uint32_t> order(ncells);
  for (uint32_t c = 0; c < ncells; ++c) order[c] = c;
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return cell_key[a] < cell_key[b]; });
  std::vector<uint32_t> rank(ncells);
  for (uint32_t k = 0; k < ncells; ++k) rank[order[k]] = k;

  // The cell table as the writer builds it: counts per cell, turned into cumulative ends below.
  struct {
    std::vector<uint32_t> path;
    std::vector<uint8_t> device, vb;
    std::vector<uint32_t> rows, pageviews, clicks, scroll_n, tiles_n[3], elements_n;
  } t;
  t.path.resize(ncells);
  t.device.resize(ncells);
  t.vb.resize(ncells);
  for (uint32_t k = 0; k < ncells; ++k) {
    const uint64_t key = cell_key[order[k]];
    t.path[k] = static_cast<uint32_t>(key >> 16);
    t.device[k] = static_cast<uint8_t>(key >> 8);
    t.vb[k] = static_cast<uint8_t>(key);
  }
  t.rows.assign(ncells, 0);
  t.pageviews.assign(ncells, 0);
  t.clicks.assign(ncells, 0);
  t.scroll_n.assign(ncells, 0);
  for (auto& v : t.tiles_n) v.assign(ncells, 0);
  t.elements_n.assign(ncells, 0);

  // Counts per cell; then what the clicks and scrolls contribute, copied into per-cell buckets
  // in one sequential pass (a counting sort: each cell's clicks stay in input order), so the
  // per-cell work below reads memory in order.
  std::vector<uint32_t> scrolls(ncells, 0), fold_n(ncells, 0);
  std::vector<uint64_t> fold_sum(ncells, 0);
  for (size_t k = 0; k < n; ++k) {
    const uint32_t r = rows[k];
    const uint32_t c = cell_of[k] = rank[cell_of[k]];
    ++t.rows[c];
    const uint8_t type = cols.type[r];
    t.pageviews[c] += type == kPageView;
    t.clicks[c] += type == kClick;
    const bool scroll = type == kScroll && cols.depth[r] <= 100;
    scrolls[c] += scroll;
    if (scroll && cols.viewport_h[r] > 0) {
      ++fold_n[c];
      fold_sum[c] += cols.viewport_h[r];
    }
  }
  std::vector<uint32_t> click_at(ncells + 1, 0), scroll_at(ncells + 1, 0);
  for (size_t c = 0; c < ncells; ++c) {
    click_at[c + 1] = click_at[c] + t.clicks[c];
    scroll_at[c + 1] = scroll_at[c] + scrolls[c];
  }
  struct ClickRecord {
    uint64_t hash;
    float ex, ey;
    uint32_t selector;  // input dictionary code
    uint16_t tile;      // i * 64 + j, or kNoTile
    uint8_t flags;
  };
  constexpr uint16_t kNoTile = UINT16_MAX;       // no point
  constexpr uint16_t kBadTile = UINT16_MAX - 1;  // a point TileOf cannot hold
  std::vector<ClickRecord> clicks(click_at[ncells]);
  std::vector<uint8_t> scroll_depths(scroll_at[ncells]);
  bool tiles_ok = true;
  // The grid rollup holds the tiles of the clicks it does not attribute: written only when all
  // of those have one (a segment without it answers ElementHeatmap from its rows).
  bool grid_ok = true;
  const StringColumn& selectors = cols.str[kStrSelector];
  {
    std::vector<uint32_t> cfill(click_at.begin(), click_at.end() - 1),
        sfill(scroll_at.begin(), scroll_at.end() - 1);
    for (size_t k = 0; k < n; ++k) {
      const uint32_t r = rows[k];
      const uint8_t type = cols.type[r];
      if (type == kClick) {
        const float x = cols.x[r], y = cols.y[r];
        uint16_t tile = kNoTile;
        if (!std::isnan(x) && !std::isnan(y)) {
          bool ok = true;
          const int ti = TileOf(x, &ok), tj = TileOf(y, &ok);
          tile = ok ? static_cast<uint16_t>(ti * kGrid + tj) : kBadTile;
          tiles_ok &= ok;
          if (!ok && (cols.selector_hash[r] == 0 || GridCellOf(cols.ex[r], cols.ey[r]) < 0))
            grid_ok = false;
        }
        clicks[cfill[cell_of[k]]++] = {cols.selector_hash[r], cols.ex[r], cols.ey[r],
                                       selectors.codes[r],    tile,       cols.flags[r]};
      } else if (type == kScroll && cols.depth[r] <= 100) {
        scroll_depths[sfill[cell_of[k]]++] = cols.depth[r];
      }
    }
  }
  cell_of = {};

  struct {
    std::vector<uint8_t> depth;
    std::vector<uint32_t> count;
  } scroll;
  struct {
    std::vector<uint16_t> tile;
    std::vector<uint32_t> count;
  } tiles;
  struct {
    std::vector<uint64_t> hash;
    std::vector<uint32_t> clicks, rage, dead, with_pos, selector;
    std::vector<double> sum_ex, sum_ey;
  } el;
  GridList gl[3];  // the grid rollup, per click list
  for (auto& g : gl) g.cell_n.assign(grid_ok ? ncells : 0, 0);
  // Per cell: tiles counted in a grid (touched tiles listed, so clearing costs what was used),
  // elements in a small open-addressing table by hash, each hash's clicks added in input order.
  std::vector<uint32_t> grid(3 * kGrid * kGrid, 0);
  std::vector<uint16_t> touched;  // list << 12 | tile
  struct Acc {
    uint64_t hash;                                    // 0 = empty slot
    uint32_t clicks, rage, dead, with_pos, selector;  // selector: input dictionary code
    double sx, sy;
  };
  std::vector<Acc> table;
  std::vector<uint32_t> used;  // slots in first-use order
  std::vector<std::pair<uint64_t, uint32_t>> by_hash;
  // Grid: per attributed click and list, slot << 10 | list << 8 | grid cell (the slot becomes
  // the element's rank once the elements are sorted); unattributed tiles like the tiles above.
  std::vector<uint64_t> grid_keys;
  std::vector<uint32_t> rank_of_slot, ugrid(grid_ok ? 3 * kGrid * kGrid : 0, 0);
  std::vector<uint16_t> utouched;
  for (size_t c = 0; c < ncells; ++c) {
    uint32_t hist[101] = {};
    for (uint32_t k = scroll_at[c]; k < scroll_at[c + 1]; ++k) ++hist[scroll_depths[k]];
    for (uint8_t d = 0; d <= 100; ++d) {
      if (hist[d] == 0) continue;
      ++t.scroll_n[c];
      scroll.depth.push_back(d);
      scroll.count.push_back(hist[d]);
    }
    const uint32_t nclicks = click_at[c + 1] - click_at[c];
    if (nclicks == 0) continue;
    touched.clear();
    grid_keys.clear();
    utouched.clear();
    size_t cap = 16;
    while (cap < 2 * static_cast<size_t>(nclicks)) cap *= 2;
    table.assign(cap, Acc{0, 0, 0, 0, 0, kNoSelector, 0, 0});
    used.clear();
    for (uint32_t k = click_at[c]; k < click_at[c + 1]; ++k) {
      const ClickRecord& e = clicks[k];
      // The click lists it counts in: all, then rage and dead when flagged.
      const uint8_t lists =
          static_cast<uint8_t>(1 | (e.flags & kFlagRage ? 2 : 0) | (e.flags & kFlagDead ? 4 : 0));
      const int gcell = e.hash != 0 ? GridCellOf(e.ex, e.ey) : -1;
      if (grid_ok && gcell < 0 && e.tile < kGrid * kGrid) {
        for (int l = 0; l < 3; ++l) {
          if (!(lists >> l & 1)) continue;
          if (ugrid[l * kGrid * kGrid + e.tile]++ == 0)
            utouched.push_back(static_cast<uint16_t>((l << 12) | e.tile));
        }
      }
      if (e.tile < kGrid * kGrid && tiles_ok) {
        for (int l = 0; l < 3; ++l) {
          if (l == kTilesRage && !(e.flags & kFlagRage)) continue;
          if (l == kTilesDead && !(e.flags & kFlagDead)) continue;
          const uint16_t key = static_cast<uint16_t>((l << 12) | e.tile);
          if (grid[l * kGrid * kGrid + e.tile]++ == 0) touched.push_back(key);
        }
      }
      if (e.hash == 0) continue;
      size_t h = static_cast<size_t>((e.hash * 0x9E3779B97F4A7C15ULL) >> 40) & (cap - 1);
      while (table[h].hash != 0 && table[h].hash != e.hash) h = (h + 1) & (cap - 1);
      Acc& a = table[h];
      if (a.hash == 0) {
        a.hash = e.hash;
        used.push_back(static_cast<uint32_t>(h));
      }
      if (grid_ok && gcell >= 0) {
        for (uint64_t l = 0; l < 3; ++l) {
          if (lists >> l & 1) grid_keys.push_back(uint64_t{h} << 10 | l << 8 | uint64_t(gcell));
        }
      }
      ++a.clicks;
      a.rage += (e.flags & kFlagRage) != 0;
      a.dead += (e.flags & kFlagDead) != 0;
      if (!std::isnan(e.ex) && !std::isnan(e.ey)) {
        ++a.with_pos;
        a.sx += e.ex;
        a.sy += e.ey;
      }
      if (e.selector == a.selector) continue;  // the same string
      std::string_view s = selectors.dict[e.selector];
      if (!s.empty() && (a.selector == kNoSelector || s < selectors.dict[a.selector]))
        a.selector = e.selector;
    }
    std::sort(touched.begin(), touched.end());
    for (uint16_t key : touched) {
      const uint32_t l = key >> 12, tile = key & 4095;
      ++t.tiles_n[l][c];
      tiles.tile.push_back(static_cast<uint16_t>(tile));
      tiles.count.push_back(grid[l * kGrid * kGrid + tile]);
      grid[l * kGrid * kGrid + tile] = 0;
    }
    by_hash.clear();
    for (uint32_t slot : used) by_hash.emplace_back(table[slot].hash, slot);
    std::sort(by_hash.begin(), by_hash.end());
    if (grid_ok) {
      // Grid entries in element order (by_hash), each element's lists, cells ascending.
      rank_of_slot.resize(cap);
      for (uint32_t rank = 0; rank < by_hash.size(); ++rank)
        rank_of_slot[by_hash[rank].second] = rank;
      for (uint64_t& key : grid_keys) key = uint64_t{rank_of_slot[key >> 10]} << 10 | (key & 1023);
      std::sort(grid_keys.begin(), grid_keys.end());
      const size_t first_element = gl[0].element_n.size();
      for (auto& g : gl) g.element_n.resize(first_element + by_hash.size(), 0);
      for (size_t i = 0; i < grid_keys.size();) {
        size_t j = i;
        while (j < grid_keys.size() && grid_keys[j] == grid_keys[i]) ++j;
        auto& g = gl[grid_keys[i] >> 8 & 3];
        ++g.element_n[first_element + (grid_keys[i] >> 10)];
        g.cell.push_back(static_cast<uint8_t>(grid_keys[i]));
        g.count.push_back(static_cast<uint32_t>(j - i));
        i = j;
      }
      std::sort(utouched.begin(), utouched.end());
      for (uint16_t key : utouched) {
        const uint32_t l = key >> 12, tile = key & 4095;
        ++gl[l].cell_n[c];
        gl[l].tile.push_back(static_cast<uint16_t>(tile));
        gl[l].tile_count.push_back(ugrid[l * kGrid * kGrid + tile]);
        ugrid[l * kGrid * kGrid + tile] = 0;
      }
    }
    for (const auto& [hash, slot] : by_hash) {
      const Acc& a = table[slot];
      ++t.elements_n[c];
      el.hash.push_back(hash);
      el.clicks.push_back(a.clicks);
      el.rage.push_back(a.rage);
      el.dead.push_back(a.dead);
      el.with_pos.push_back(a.with_pos);
      el.sum_ex.push_back(a.sx);
      el.sum_ey.push_back(a.sy);
      el.selector.push_back(a.selector == kNoSelector ? kNoSelector : selector_remap_[a.selector]);
    }
  }
  clicks = {};
  scroll_depths = {};

  std::string raw;
  PutVarint64(&raw, ncells);
  PutArray(&raw, t.path);
  PutArray(&raw, t.device);
  PutArray(&raw, t.vb);
  PutArray(&raw, t.rows);
  PutArray(&raw, t.pageviews);
  PutArray(&raw, t.clicks);
  std::vector<uint32_t> ends(ncells);
  auto put_ends = [&](const std::vector<uint32_t>& counts) {
    uint32_t total = 0;
    for (size_t c = 0; c < ncells; ++c) ends[c] = total += counts[c];
    PutArray(&raw, ends);
  };
  put_ends(t.scroll_n);
  {
    // Each cell's lists are consecutive: all, rage, dead.
    std::vector<uint32_t> list_end[3];
    uint32_t total = 0;
    for (auto& v : list_end) v.resize(ncells);
    for (size_t c = 0; c < ncells; ++c) {
      for (int l = 0; l < 3; ++l) list_end[l][c] = total += tiles_ok ? t.tiles_n[l][c] : 0;
    }
    for (const auto& v : list_end) PutArray(&raw, v);
  }
  put_ends(t.elements_n);
  out->push_back({StreamKind::kCells, std::move(raw), true});

  raw.clear();
  PutVarint64(&raw, scroll.depth.size());
  PutArray(&raw, scroll.depth);
  PutArray(&raw, scroll.count);
  out->push_back({StreamKind::kCellScroll, std::move(raw), true});

  raw.clear();
  PutVarint64(&raw, ncells);
  PutArray(&raw, fold_n);
  PutArray(&raw, fold_sum);
  out->push_back({StreamKind::kCellFold, std::move(raw), true});

  if (tiles_ok) {
    raw.clear();
    PutVarint64(&raw, tiles.tile.size());
    PutArray(&raw, tiles.tile);
    PutArray(&raw, tiles.count);
    out->push_back({StreamKind::kCellTiles, std::move(raw), true});
  }

  if (grid_ok) {
    raw.clear();
    PutCellGrid(gl, el.hash, el.selector, t.elements_n, in_.zstd_level, &raw);
    out->push_back({StreamKind::kCellGrid, std::move(raw), false});
  }

  raw.clear();
  PutVarint64(&raw, el.hash.size());
  PutArray(&raw, el.hash);
  PutArray(&raw, el.clicks);
  PutArray(&raw, el.rage);
  PutArray(&raw, el.dead);
  PutArray(&raw, el.with_pos);
  PutArray(&raw, el.sum_ex);
  PutArray(&raw, el.sum_ey);
  PutArray(&raw, el.selector);
  out->push_back({StreamKind::kCellElements, std::move(raw), true});
}

void RollupWriter::Finish(std::vector<Stream>* out) {
  std::string raw;
  BuildSessionAttributes(&raw);
  out->push_back({StreamKind::kSessionAttributes, std::move(raw), false});
  raw = std::string();
  std::string stats;
  BuildExtraPaths(&raw, &stats);
  out->push_back({StreamKind::kSessionExtraPaths, std::move(raw), true});
  out->push_back({StreamKind::kSessionPathStats, std::move(stats), false});
  BuildCells(out);
}

}  // namespace tapistry::store
