#include "store/embedded/segment_reader.h"

#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>

#include "common/crc32c.h"
#include "store/embedded/coding.h"
#include "store/embedded/rollup.h"
#include "store/embedded/zstd_codec.h"

namespace tapistry::store {
namespace {

static_assert(std::endian::native == std::endian::little, "the segment format is little-endian");

Status Bad(const std::string& what) { return Status::Corruption("segment: " + what); }

Status DecodeCodes(std::string_view raw, uint8_t width, size_t rows, uint64_t dict_size,
                   std::vector<uint32_t>* codes) {
  if (width != 1 && width != 2 && width != 4) return Bad("bad code width");
  if (raw.size() != rows * width) return Bad("code stream length");
  codes->resize(rows);
  uint32_t mx = 0;
  const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
  uint32_t* out = codes->data();
  if (width == 1) {
    for (size_t i = 0; i < rows; ++i) mx |= out[i] = p[i];
  } else if (width == 2) {
    for (size_t i = 0; i < rows; ++i)
      mx = std::max<uint32_t>(mx, out[i] = p[2 * i] | (p[2 * i + 1] << 8));
  } else {
    std::memcpy(out, p, rows * 4);
    for (size_t i = 0; i < rows; ++i) mx = std::max(mx, out[i]);
  }
  // OR is an upper bound of the max for width 1; compare exactly below only when needed.
  if (rows > 0 && mx >= dict_size) {
    for (size_t i = 0; i < rows; ++i) {
      if (out[i] >= dict_size) return Bad("dictionary code out of range");
    }
  }
  return Status::Ok();
}

Status DecodeUuids(std::string_view raw, uint64_t n, bool strictly_sorted, std::vector<Uuid>* out) {
  if (raw.size() != n * 16) return Bad("uuid stream length");
  out->resize(n);
  static_assert(sizeof(Uuid) == 16);
  // On disk: hi then lo, each little-endian u64 — the in-memory layout of Uuid on this target.
  if (n > 0) std::memcpy(out->data(), raw.data(), raw.size());
  if (strictly_sorted) {
    const Uuid* u = out->data();
    bool sorted = true;
    for (uint64_t i = 1; i < n; ++i) {
      sorted &= (u[i - 1].hi < u[i].hi) | ((u[i - 1].hi == u[i].hi) & (u[i - 1].lo < u[i].lo));
    }
    if (!sorted) return Bad("uuid dictionary not sorted");
  }
  return Status::Ok();
}

template <typename T>
Status DecodeFixed(const std::string& raw, const ColumnMeta& c, size_t rows, std::vector<T>* out) {
  if (c.encoding != Encoding::kFixed || c.width != sizeof(T))
    return Bad("unexpected fixed encoding");
  if (raw.size() != rows * sizeof(T)) return Bad("fixed stream length");
  out->resize(rows);
  if ((c.flags & kFlagShuffled) && sizeof(T) > 1) {
    UnshuffleBytes(raw.data(), rows, sizeof(T), reinterpret_cast<char*>(out->data()));
  } else if (rows > 0) {
    std::memcpy(out->data(), raw.data(), raw.size());
  }
  return Status::Ok();
}

std::vector<float>* FloatColumn(ColumnId id, Columns* out) {
  switch (id) {
    case ColumnId::kX:
      return &out->x;
    case ColumnId::kY:
      return &out->y;
    case ColumnId::kEx:
      return &out->ex;
    default:
      return &out->ey;
  }
}

}  // namespace

Result<std::shared_ptr<Segment>> Segment::Open(const std::string& path, Env* env) {
  auto file = RandomAccessFile::Open(path, env);
  if (!file.ok()) return file.status();
  static std::atomic<uint64_t> next_serial{1};
  std::shared_ptr<Segment> seg(new Segment(path, std::move(*file)));
  seg->serial_ = next_serial++;
  const uint64_t size = seg->file_->size();
  if (size < kSegmentHeaderSize + kSegmentTrailerSize) return Bad("file too short: " + path);
  std::string buf;
  TAP_RETURN_IF_ERROR(seg->file_->Read(0, kSegmentHeaderSize, &buf));
  if (std::memcmp(buf.data(), kSegmentMagic, 8) != 0) return Bad("bad magic: " + path);
  const uint32_t version = DecodeFixed32(buf.data() + 8);
  if (version < kMinSegmentVersion || version > kSegmentVersion)
    return Bad("unsupported version: " + path);
  TAP_RETURN_IF_ERROR(seg->file_->Read(size - kSegmentTrailerSize, kSegmentTrailerSize, &buf));
  uint32_t footer_len = DecodeFixed32(buf.data());
  uint32_t footer_crc = DecodeFixed32(buf.data() + 4);
  if (DecodeFixed32(buf.data() + 8) != version ||
      std::memcmp(buf.data() + 12, kSegmentMagic, 8) != 0) {
    return Bad("bad trailer: " + path);
  }
  if (footer_len > kMaxFooterBytes ||
      footer_len > size - kSegmentHeaderSize - kSegmentTrailerSize) {
    return Bad("bad footer length: " + path);
  }
  TAP_RETURN_IF_ERROR(seg->file_->Read(size - kSegmentTrailerSize - footer_len, footer_len, &buf));
  if (crc32c::Value(buf) != footer_crc) return Bad("footer checksum mismatch: " + path);
  TAP_RETURN_IF_ERROR(DecodeFooter(buf, size, version, &seg->footer_));
  for (int id = kFirstColumn; id <= kLastColumn; ++id) {
    if (seg->footer_.Find(static_cast<ColumnId>(id)) == nullptr)
      return Bad("missing column: " + path);
  }
  return seg;
}

Status Segment::ReadStream(const ColumnMeta& c, StreamKind kind, std::string* raw) const {
  const StreamMeta* s = c.Find(kind);
  if (s == nullptr) return Bad("missing stream");
  return ReadStream(*s, raw);
}

Status Segment::ReadStream(const StreamMeta& s, std::string* raw) const {
  thread_local std::string stored;  // reused: queries read thousands of streams
  TAP_RETURN_IF_ERROR(file_->Read(s.offset, static_cast<size_t>(s.stored_len), &stored));
  if (crc32c::Value(stored) != s.crc) return Bad("stream checksum mismatch in " + path_);
  return DecompressStream(stored, s.codec, s.raw_len, raw);
}

Status Segment::LoadSessionRuns(std::vector<uint32_t>* runs) const {
  const ColumnMeta& c = *footer_.Find(ColumnId::kSession);
  if (c.encoding != Encoding::kUuidRuns) return Bad("unexpected session encoding");
  std::string raw;
  TAP_RETURN_IF_ERROR(ReadStream(c, StreamKind::kRuns, &raw));
  ByteReader r(raw);
  const uint64_t rows = footer_.rows;
  runs->resize(c.dict_size);
  uint64_t pos = 0;
  for (uint64_t i = 0; i < c.dict_size; ++i) {
    uint64_t n;
    if (!r.GetVarint64(&n) || n == 0 || n > rows - pos) return Bad("bad session runs");
    (*runs)[i] = static_cast<uint32_t>(n);
    pos += n;
  }
  if (pos != rows || r.remaining() != 0) return Bad("session runs do not cover the rows");
  return Status::Ok();
}

Status Segment::LoadPageviewAggregates(PageviewAggregates* out) const {
  const StreamMeta* stats = footer_.FindAggregate(StreamKind::kPathStats);
  const StreamMeta* paths = footer_.FindAggregate(StreamKind::kSessionPaths);
  if (stats == nullptr || paths == nullptr) return Bad("missing page-view aggregates");
  std::string raw;
  TAP_RETURN_IF_ERROR(ReadStream(*stats, &raw));
  const uint64_t npaths = footer_.Find(ColumnId::kPath)->dict_size;
  out->path_pageviews.resize(npaths);
  out->path_sessions.resize(npaths);
  ByteReader r(raw);
  uint64_t total = 0;
  for (uint64_t i = 0; i < npaths; ++i) {
    if (!r.GetVarint64(&out->path_pageviews[i]) || !r.GetVarint64(&out->path_sessions[i])) {
      return Bad("truncated path stats");
    }
    if (out->path_sessions[i] > out->path_pageviews[i] || out->path_pageviews[i] > footer_.rows) {
      return Bad("path stats out of range");
    }
    total += out->path_pageviews[i];
  }
  if (r.remaining() != 0 || total != footer_.pageviews)
    return Bad("path stats disagree with the footer");
  TAP_RETURN_IF_ERROR(ReadStream(*paths, &out->session_paths));
  const StreamMeta* stats_stream = footer_.FindAggregate(StreamKind::kSessionStats);
  if (stats_stream == nullptr) return Bad("missing session stats");
  out->sessions = static_cast<size_t>(footer_.Find(ColumnId::kSession)->dict_size);
  TAP_RETURN_IF_ERROR(ReadStream(*stats_stream, &out->session_stats));
  if (out->session_stats.size() != out->sessions * 12) return Bad("session stats length");
  out->sessions_with_pageviews = footer_.sessions_with_pageviews;
  out->bounced_sessions = footer_.bounced_sessions;
  out->total_duration_ms = footer_.total_duration_ms;
  return Status::Ok();
}

Status Segment::LoadAggregate(StreamKind kind, std::string* raw) const {
  const StreamMeta* s = footer_.FindAggregate(kind);
  if (s == nullptr) return Bad("missing aggregate");
  return ReadStream(*s, raw);
}

Status Segment::CheckRollups() const {
  const RollupBounds b = BoundsOf(footer_);
  auto load = [&](StreamKind kind, ScratchString* raw) -> Status {
    *raw = ScratchString();
    return LoadAggregate(kind, raw->get());
  };
  ScratchString raw;
  if (footer_.FindAggregate(StreamKind::kCells) != nullptr) {
    CellTable cells;
    TAP_RETURN_IF_ERROR(load(StreamKind::kCells, &raw));
    TAP_RETURN_IF_ERROR(DecodeCells(std::move(raw), &cells));
    TAP_RETURN_IF_ERROR(ValidateCells(cells, b));
    if (footer_.FindAggregate(StreamKind::kCellScroll) != nullptr) {
      ScrollEntries e;
      TAP_RETURN_IF_ERROR(load(StreamKind::kCellScroll, &raw));
      TAP_RETURN_IF_ERROR(DecodeScroll(std::move(raw), cells, &e));
      TAP_RETURN_IF_ERROR(ValidateScroll(e, cells));
      if (footer_.FindAggregate(StreamKind::kCellFold) != nullptr) {
        FoldEntries fold;
        TAP_RETURN_IF_ERROR(load(StreamKind::kCellFold, &raw));
        TAP_RETURN_IF_ERROR(DecodeFold(std::move(raw), cells, &fold));
        TAP_RETURN_IF_ERROR(ValidateFold(fold, e, cells));
      }
    } else if (footer_.FindAggregate(StreamKind::kCellFold) != nullptr) {
      return Bad("fold rollup without scroll rollup");
    }
    if (footer_.FindAggregate(StreamKind::kCellTiles) != nullptr) {
      TileEntries e;
      TAP_RETURN_IF_ERROR(load(StreamKind::kCellTiles, &raw));
      TAP_RETURN_IF_ERROR(DecodeTiles(std::move(raw), cells, &e));
      TAP_RETURN_IF_ERROR(ValidateTiles(e, cells));
    }
    if (footer_.FindAggregate(StreamKind::kCellElements) != nullptr) {
      ElementEntries e;
      TAP_RETURN_IF_ERROR(load(StreamKind::kCellElements, &raw));
      TAP_RETURN_IF_ERROR(DecodeElements(std::move(raw), cells, &e));
      TAP_RETURN_IF_ERROR(ValidateElements(e, cells, b));
      if (footer_.FindAggregate(StreamKind::kCellGrid) != nullptr) {
        CellGrid grid;
        TAP_RETURN_IF_ERROR(load(StreamKind::kCellGrid, &raw));
        TAP_RETURN_IF_ERROR(grid.Open(std::move(raw), cells));
        TAP_RETURN_IF_ERROR(ValidateGrid(grid, e, cells));
      }
    } else if (footer_.FindAggregate(StreamKind::kCellGrid) != nullptr) {
      return Bad("grid rollup without element rollup");
    }
  } else if (footer_.FindAggregate(StreamKind::kCellScroll) ||
             footer_.FindAggregate(StreamKind::kCellFold) ||
             footer_.FindAggregate(StreamKind::kCellTiles) ||
             footer_.FindAggregate(StreamKind::kCellElements) ||
             footer_.FindAggregate(StreamKind::kCellGrid)) {
    return Bad("cell rollups without cells");
  }
  if (footer_.FindAggregate(StreamKind::kSessionAttributes) != nullptr) {
    SessionAttributes attrs;
    TAP_RETURN_IF_ERROR(load(StreamKind::kSessionAttributes, &raw));
    TAP_RETURN_IF_ERROR(attrs.Open(std::move(raw), b));
    TAP_RETURN_IF_ERROR(ValidateSessionAttributes(&attrs, b));
  }
  size_t pairs = 0;
  for (StreamKind kind : {StreamKind::kSessionPaths, StreamKind::kSessionExtraPaths}) {
    if (footer_.FindAggregate(kind) == nullptr) continue;
    SessionPathLists lists;
    TAP_RETURN_IF_ERROR(load(kind, &raw));
    TAP_RETURN_IF_ERROR(DecodeSessionPathLists(*raw, b, &lists));
    pairs += lists.codes.size();
  }
  if (footer_.FindAggregate(StreamKind::kSessionPathStats) != nullptr) {
    if (footer_.FindAggregate(StreamKind::kSessionExtraPaths) == nullptr)
      return Bad("path stats without extra paths");
    SessionPathStats stats;
    TAP_RETURN_IF_ERROR(load(StreamKind::kSessionPathStats, &raw));
    TAP_RETURN_IF_ERROR(stats.Open(std::move(raw), pairs));
    using P = SessionPathStats;
    TAP_RETURN_IF_ERROR(stats.Load({P::kPageviews, P::kFirstOffset, P::kSpan}));
    for (size_t k = 0; k < stats.size(); ++k) {
      if (stats.first_offset[k] >= kDayMs || stats.span[k] >= kDayMs)
        return Bad("session path times");
    }
  }
  return Status::Ok();
}

Status Segment::LoadUuidDict(ColumnId id, std::vector<Uuid>* dict) const {
  const ColumnMeta* c = footer_.Find(id);
  if (c == nullptr || (c->encoding != Encoding::kUuidRuns && c->encoding != Encoding::kUuidDict)) {
    return Bad("not a uuid dictionary column");
  }
  std::string raw;
  TAP_RETURN_IF_ERROR(ReadStream(*c, StreamKind::kDict, &raw));
  return DecodeUuids(raw, c->dict_size, true, dict);
}

Status Segment::LoadStringDict(ColumnId id, StringColumn* out) const {
  const ColumnMeta* c = footer_.Find(id);
  if (c == nullptr || c->encoding != Encoding::kStringDict) return Bad("not a string column");
  auto raw = std::make_shared<std::string>();
  TAP_RETURN_IF_ERROR(ReadStream(*c, StreamKind::kDict, raw.get()));
  ByteReader r(*raw);
  out->dict.resize(c->dict_size);
  for (uint64_t i = 0; i < c->dict_size; ++i) {
    if (!r.GetLengthPrefixed(&out->dict[i])) return Bad("truncated string dictionary");
  }
  if (r.remaining() != 0) return Bad("string dictionary trailing bytes");
  out->keepalive = std::move(raw);
  return Status::Ok();
}

Status Segment::LoadColumn(const ColumnMeta& c, Columns* out) const {
  const size_t rows = static_cast<size_t>(footer_.rows);
  std::string raw;
  switch (c.id) {
    case ColumnId::kTs: {
      if (c.encoding != Encoding::kDeltaVarint) return Bad("unexpected ts encoding");
      TAP_RETURN_IF_ERROR(ReadStream(c, StreamKind::kData, &raw));
      ByteReader r(raw);
      out->ts.resize(rows);
      int64_t prev = 0;
      for (size_t i = 0; i < rows; ++i) {
        uint64_t v;
        if (!r.GetVarint64(&v)) return Bad("truncated ts stream");
        prev =
            static_cast<int64_t>(static_cast<uint64_t>(prev) + static_cast<uint64_t>(UnZigZag(v)));
        out->ts[i] = prev;
      }
      if (r.remaining() != 0) return Bad("ts stream trailing bytes");
      return Status::Ok();
    }
    case ColumnId::kIngest: {
      if (c.encoding != Encoding::kOffsetFromTs) return Bad("unexpected ingest encoding");
      if (!out->Has(Bit(ColumnId::kTs))) {
        TAP_RETURN_IF_ERROR(LoadColumn(*footer_.Find(ColumnId::kTs), out));
        out->loaded |= Bit(ColumnId::kTs);
      }
      TAP_RETURN_IF_ERROR(ReadStream(c, StreamKind::kData, &raw));
      ByteReader r(raw);
      out->ingest.resize(rows);
      for (size_t i = 0; i < rows; ++i) {
        uint64_t v;
        if (!r.GetVarint64(&v)) return Bad("truncated ingest stream");
        out->ingest[i] = static_cast<int64_t>(static_cast<uint64_t>(out->ts[i]) +
                                              static_cast<uint64_t>(UnZigZag(v)));
      }
      if (r.remaining() != 0) return Bad("ingest stream trailing bytes");
      return Status::Ok();
    }
    case ColumnId::kEventId: {
      if (c.encoding != Encoding::kFixed || c.width != 16)
        return Bad("unexpected event_id encoding");
      TAP_RETURN_IF_ERROR(ReadStream(c, StreamKind::kData, &raw));
      return DecodeUuids(raw, rows, false, &out->event_id);
    }
    case ColumnId::kSession: {
      if (c.encoding != Encoding::kUuidRuns) return Bad("unexpected session encoding");
      UuidColumn& col = out->session;
      TAP_RETURN_IF_ERROR(ReadStream(c, StreamKind::kDict, &raw));
      TAP_RETURN_IF_ERROR(DecodeUuids(raw, c.dict_size, true, &col.dict));
      TAP_RETURN_IF_ERROR(LoadSessionRuns(&col.runs));
      col.codes.resize(rows);
      size_t pos = 0;
      for (uint32_t i = 0; i < col.runs.size(); ++i) {
        std::fill_n(col.codes.begin() + static_cast<ptrdiff_t>(pos), col.runs[i], i);
        pos += col.runs[i];
      }
      return Status::Ok();
    }
    case ColumnId::kAnonymous: {
      if (c.encoding != Encoding::kUuidDict) return Bad("unexpected anonymous_id encoding");
      TAP_RETURN_IF_ERROR(ReadStream(c, StreamKind::kDict, &raw));
      TAP_RETURN_IF_ERROR(DecodeUuids(raw, c.dict_size, true, &out->anonymous.dict));
      TAP_RETURN_IF_ERROR(ReadStream(c, StreamKind::kData, &raw));
      out->anonymous.runs.clear();
      return DecodeCodes(raw, c.width, rows, c.dict_size, &out->anonymous.codes);
    }
    default:
      break;
  }
  if (IsStringColumn(c.id)) {
    StringColumn& col = out->str[static_cast<int>(c.id) - kFirstString];
    TAP_RETURN_IF_ERROR(LoadStringDict(c.id, &col));
    TAP_RETURN_IF_ERROR(ReadStream(c, StreamKind::kData, &raw));
    return DecodeCodes(raw, c.width, rows, c.dict_size, &col.codes);
  }
  switch (FixedKindOf(c.id)) {
    case FixedKind::kU8: {
      std::vector<uint8_t>* v = c.id == ColumnId::kType     ? &out->type
                                : c.id == ColumnId::kDevice ? &out->device
                                : c.id == ColumnId::kFlags  ? &out->flags
                                : c.id == ColumnId::kDepth  ? &out->depth
                                                            : &out->bot_score;
      TAP_RETURN_IF_ERROR(ReadStream(c, StreamKind::kData, &raw));
      return DecodeFixed(raw, c, rows, v);
    }
    case FixedKind::kU16: {
      std::vector<uint16_t>* v = c.id == ColumnId::kCountry     ? &out->country
                                 : c.id == ColumnId::kViewportW ? &out->viewport_w
                                                                : &out->viewport_h;
      TAP_RETURN_IF_ERROR(ReadStream(c, StreamKind::kData, &raw));
      return DecodeFixed(raw, c, rows, v);
    }
    case FixedKind::kU64:
      TAP_RETURN_IF_ERROR(ReadStream(c, StreamKind::kData, &raw));
      return DecodeFixed(raw, c, rows, &out->selector_hash);
    case FixedKind::kF32: {
      if (c.encoding != Encoding::kNullableF32) return Bad("unexpected float encoding");
      std::vector<float>* v = FloatColumn(c.id, out);
      std::string bitmap;
      if (c.null_count > 0) {
        TAP_RETURN_IF_ERROR(ReadStream(c, StreamKind::kPresent, &bitmap));
        if (bitmap.size() != (rows + 7) / 8) return Bad("present bitmap length");
      }
      TAP_RETURN_IF_ERROR(ReadStream(c, StreamKind::kData, &raw));
      const size_t present = rows - static_cast<size_t>(c.null_count);
      if (raw.size() != present * 4) return Bad("float stream length");
      std::vector<float> values(present);
      UnshuffleBytes(raw.data(), present, 4, reinterpret_cast<char*>(values.data()));
      v->resize(rows);
      size_t k = 0;
      for (size_t i = 0; i < rows; ++i) {
        bool has = c.null_count == 0 || (static_cast<uint8_t>(bitmap[i / 8]) >> (i % 8)) & 1;
        if (has) {
          if (k == present) return Bad("present bitmap disagrees with null count");
          (*v)[i] = values[k++];
        } else {
          (*v)[i] = NAN;
        }
      }
      if (k != present) return Bad("present bitmap disagrees with null count");
      return Status::Ok();
    }
    case FixedKind::kNone:
      break;
  }
  return Bad("unknown column");
}

Status Segment::Load(ColumnMask mask, Columns* out) const {
  out->rows = static_cast<size_t>(footer_.rows);
  for (int id = kFirstColumn; id <= kLastColumn; ++id) {
    ColumnMask bit = ColumnMask{1} << id;
    if (!(mask & bit) || (out->loaded & bit)) continue;
    TAP_RETURN_IF_ERROR(LoadColumn(*footer_.Find(static_cast<ColumnId>(id)), out));
    out->loaded |= bit;
  }
  return Status::Ok();
}

}  // namespace tapistry::store
