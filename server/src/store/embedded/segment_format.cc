#include "store/embedded/segment_format.h"

#include "store/embedded/coding.h"

namespace tapistry::store {

namespace {

void EncodeStream(const StreamMeta& s, std::string* out) {
  PutFixed8(out, static_cast<uint8_t>(s.kind));
  PutFixed8(out, s.codec);
  PutVarint64(out, s.offset);
  PutVarint64(out, s.stored_len);
  PutVarint64(out, s.raw_len);
  PutFixed32(out, s.crc);
}

}  // namespace

void EncodeFooter(const SegmentFooter& f, std::string* out) {
  PutLengthPrefixed(out, f.project_id);
  PutVarint64(out, ZigZag(f.day));
  PutVarint64(out, f.rows);
  PutVarint64(out, ZigZag(f.min_ts));
  PutVarint64(out, ZigZag(f.max_ts));
  PutVarint64(out, f.pageviews);
  PutVarint64(out, f.sessions_with_pageviews);
  PutVarint64(out, f.bounced_sessions);
  PutVarint64(out, f.total_duration_ms);
  PutVarint64(out, f.columns.size());
  for (const ColumnMeta& c : f.columns) {
    PutFixed8(out, static_cast<uint8_t>(c.id));
    PutFixed8(out, static_cast<uint8_t>(c.encoding));
    PutFixed8(out, c.width);
    PutFixed8(out, c.flags);
    PutVarint64(out, ZigZag(c.min));
    PutVarint64(out, ZigZag(c.max));
    PutVarint64(out, c.dict_size);
    PutVarint64(out, c.null_count);
    PutFixed8(out, static_cast<uint8_t>(c.streams.size()));
    for (const StreamMeta& s : c.streams) EncodeStream(s, out);
  }
  PutVarint64(out, f.aggregates.size());
  for (const StreamMeta& s : f.aggregates) EncodeStream(s, out);
}

Status DecodeFooter(std::string_view bytes, uint64_t file_size, uint32_t version,
                    SegmentFooter* f) {
  auto bad = [](const char* what) {
    return Status::Corruption(std::string("segment footer: ") + what);
  };
  ByteReader r(bytes);
  std::string_view project;
  uint64_t day, rows, min_ts, max_ts, ncols;
  if (!r.GetLengthPrefixed(&project) || !r.GetVarint64(&day) || !r.GetVarint64(&rows) ||
      !r.GetVarint64(&min_ts) || !r.GetVarint64(&max_ts) || !r.GetVarint64(&f->pageviews) ||
      !r.GetVarint64(&f->sessions_with_pageviews) || !r.GetVarint64(&f->bounced_sessions) ||
      !r.GetVarint64(&f->total_duration_ms) || !r.GetVarint64(&ncols)) {
    return bad("truncated header");
  }
  if (rows > kMaxSegmentRows) return bad("row count out of range");
  if (ncols > static_cast<uint64_t>(kLastColumn)) return bad("too many columns");
  f->project_id.assign(project);
  int64_t d = UnZigZag(day);
  if (d < INT32_MIN || d > INT32_MAX) return bad("day out of range");
  f->day = static_cast<int32_t>(d);
  f->rows = rows;
  f->min_ts = UnZigZag(min_ts);
  f->max_ts = UnZigZag(max_ts);
  if (f->pageviews > rows || f->sessions_with_pageviews > rows ||
      f->bounced_sessions > f->sessions_with_pageviews) {
    return bad("session counts out of range");
  }
  f->columns.clear();
  f->aggregates.clear();
  uint64_t seen = 0;
  const uint64_t data_end = file_size - kSegmentTrailerSize - bytes.size();
  auto decode_stream = [&](StreamMeta* s) -> Status {
    uint8_t kind;
    if (!r.GetFixed8(&kind) || !r.GetFixed8(&s->codec) || !r.GetVarint64(&s->offset) ||
        !r.GetVarint64(&s->stored_len) || !r.GetVarint64(&s->raw_len) || !r.GetFixed32(&s->crc)) {
      return bad("truncated stream");
    }
    if (kind > kMaxStreamKind) return bad("unknown stream kind");
    s->kind = static_cast<StreamKind>(kind);
    if (s->offset < kSegmentHeaderSize || s->offset > data_end ||
        s->stored_len > data_end - s->offset) {
      return bad("stream outside the file");
    }
    // Data streams hold at most 16 bytes a row (aggregates: two varints per path or per
    // session-path pair; rollups at most 44 bytes per cell, element or session, each at most
    // one per row; the grid at most 54: an element entry's ids and three ends, a cell's three
    // ends, a click's three entries, and its chunks' headers, one per 32 KiB), dictionaries at
    // most one bounded string a row: the cap keeps a corrupt length from asking for an absurd
    // allocation.
    const uint64_t per_row =
        s->kind == StreamKind::kDict       ? kMaxDictBytesPerRow
        : s->kind == StreamKind::kCellGrid ? 64
        : static_cast<uint8_t>(s->kind) >= static_cast<uint8_t>(StreamKind::kCells) ? 48
                                                                                    : 20;
    const uint64_t cap = (rows + 1) * per_row + (s->kind == StreamKind::kCellGrid ? 512 : 0);
    if (s->raw_len > cap) return bad("stream too large");
    return Status::Ok();
  };
  for (uint64_t i = 0; i < ncols; ++i) {
    ColumnMeta c;
    uint8_t id, enc, nstreams;
    uint64_t mn, mx;
    if (!r.GetFixed8(&id) || !r.GetFixed8(&enc) || !r.GetFixed8(&c.width) ||
        !r.GetFixed8(&c.flags) || !r.GetVarint64(&mn) || !r.GetVarint64(&mx) ||
        !r.GetVarint64(&c.dict_size) || !r.GetVarint64(&c.null_count) || !r.GetFixed8(&nstreams)) {
      return bad("truncated column");
    }
    if (id < kFirstColumn || id > kLastColumn) return bad("unknown column id");
    if (seen & (uint64_t{1} << id)) return bad("duplicate column");
    seen |= uint64_t{1} << id;
    if (enc < 1 || enc > 7) return bad("unknown encoding");
    if (nstreams > 4) return bad("too many streams");
    c.id = static_cast<ColumnId>(id);
    c.encoding = static_cast<Encoding>(enc);
    c.min = UnZigZag(mn);
    c.max = UnZigZag(mx);
    if (c.dict_size > rows + 1 || c.null_count > rows) return bad("column counts out of range");
    for (uint8_t k = 0; k < nstreams; ++k) {
      StreamMeta s;
      TAP_RETURN_IF_ERROR(decode_stream(&s));
      if (static_cast<uint8_t>(s.kind) > 3) return bad("aggregate stream inside a column");
      c.streams.push_back(s);
    }
    f->columns.push_back(std::move(c));
  }
  uint64_t naggs;
  const uint8_t last_kind = LastStreamKind(version);
  if (!r.GetVarint64(&naggs) || naggs > kMaxAggregates) return bad("bad aggregate count");
  for (uint64_t i = 0; i < naggs; ++i) {
    StreamMeta s;
    TAP_RETURN_IF_ERROR(decode_stream(&s));
    if (static_cast<uint8_t>(s.kind) < static_cast<uint8_t>(StreamKind::kPathStats) ||
        static_cast<uint8_t>(s.kind) > last_kind) {
      return bad("not an aggregate");
    }
    if (f->FindAggregate(s.kind) != nullptr) return bad("duplicate aggregate");
    f->aggregates.push_back(s);
  }
  if (r.remaining() != 0) return bad("trailing bytes");
  f->version = version;
  return Status::Ok();
}

}  // namespace tapistry::store
