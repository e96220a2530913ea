#include "store/embedded/segment_writer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <numeric>
#include <optional>
#include <span>

#include "common/crc32c.h"
#include "store/embedded/coding.h"
#include "store/embedded/file_util.h"
#include "store/embedded/rollup.h"
#include "store/embedded/zstd_codec.h"

namespace tapistry::store {
namespace {

static_assert(std::endian::native == std::endian::little, "the segment format is little-endian");

constexpr uint8_t kPageView = static_cast<uint8_t>(EventType::kPageView);

uint8_t CodeWidth(size_t dict_size) {
  if (dict_size <= 0x100) return 1;
  if (dict_size <= 0x10000) return 2;
  return 4;
}

void PutCodes(const std::vector<uint32_t>& codes, uint8_t width, std::string* out) {
  out->resize(codes.size() * width);
  char* p = out->data();
  for (uint32_t c : codes) {
    for (uint8_t b = 0; b < width; ++b) *p++ = static_cast<char>(c >> (8 * b));
  }
}

void PutUuid(std::string* out, const Uuid& u) {
  char b[16];  // hi then lo, little-endian: the in-memory layout on this target
  std::memcpy(b, &u.hi, 8);
  std::memcpy(b + 8, &u.lo, 8);
  out->append(b, 16);
}

// The codes of `column` that `rows` use, in the order of the uuids they stand for (`used`), and
// each code's position in that order (`rank[code]`; UINT32_MAX for a code no row uses).
struct RankedUuids {
  std::vector<uint32_t> used;
  std::vector<uint32_t> rank;
};
RankedUuids RankUsedUuids(const UuidColumn& column, std::span<const uint32_t> rows) {
  RankedUuids out;
  out.rank.assign(column.dict.size(), UINT32_MAX);
  for (uint32_t r : rows) {
    const uint32_t code = column.codes[r];
    if (out.rank[code] == UINT32_MAX) {
      out.rank[code] = 0;
      out.used.push_back(code);
    }
  }
  std::sort(out.used.begin(), out.used.end(),
            [&](uint32_t a, uint32_t b) { return column.dict[a] < column.dict[b]; });
  for (uint32_t i = 0; i < out.used.size(); ++i) out.rank[out.used[i]] = i;
  return out;
}

class Builder {
 public:
  Builder(int level, std::string* out) : level_(level), out_(out) {
    out_->assign(kSegmentMagic, sizeof kSegmentMagic);
    PutFixed32(out_, kSegmentVersion);
  }
  void AddStream(ColumnMeta* c, StreamKind kind, std::string_view raw) {
    c->streams.push_back(Write(kind, raw));
  }
  // `compress` false: stored as is (its content is compressed inside already). `level` 0: the
  // builder's.
  StreamMeta Write(StreamKind kind, std::string_view raw, bool compress = true, int level = 0) {
    StreamMeta s;
    s.kind = kind;
    s.raw_len = raw.size();
    if (compress) {
      CompressStream(raw, level ? level : level_, &s.codec, &scratch_);
    } else {
      s.codec = kCompressionNone;
      scratch_.assign(raw.data(), raw.size());
    }
    s.offset = out_->size();
    s.stored_len = scratch_.size();
    s.crc = crc32c::Value(scratch_);
    out_->append(scratch_);
    return s;
  }

 private:
  int level_;
  std::string* out_;
  std::string scratch_;
};

template <typename T>
void MinMax(const std::vector<T>& v, ColumnMeta* c) {
  if (v.empty()) return;
  auto [mn, mx] = std::minmax_element(v.begin(), v.end());
  c->min = static_cast<int64_t>(*mn);
  c->max = static_cast<int64_t>(*mx);
}

template <typename T>
std::vector<T> Gather(const std::vector<T>& v, const std::vector<uint32_t>& perm) {
  std::vector<T> out(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) out[i] = v[perm[i]];
  return out;
}

template <typename T>
void AddFixed(Builder* b, ColumnId id, const std::vector<T>& v, bool shuffle, SegmentFooter* f) {
  ColumnMeta c;
  c.id = id;
  c.encoding = Encoding::kFixed;
  c.width = sizeof(T);
  if constexpr (sizeof(T) <= 2) MinMax(v, &c);
  std::string raw(v.size() * sizeof(T), '\0');
  if (shuffle && sizeof(T) > 1) {
    c.flags = kFlagShuffled;
    ShuffleBytes(reinterpret_cast<const char*>(v.data()), v.size(), sizeof(T), raw.data());
  } else if (!v.empty()) {
    std::memcpy(raw.data(), v.data(), raw.size());  // the format is little-endian, as is x86/arm
  }
  b->AddStream(&c, StreamKind::kData, raw);
  f->columns.push_back(std::move(c));
}

void AddNullableF32(Builder* b, ColumnId id, const std::vector<float>& v, SegmentFooter* f) {
  ColumnMeta c;
  c.id = id;
  c.encoding = Encoding::kNullableF32;
  c.width = 4;
  std::vector<float> present;
  std::string bitmap((v.size() + 7) / 8, '\0');
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::isnan(v[i])) continue;
    bitmap[i / 8] = static_cast<char>(bitmap[i / 8] | (1 << (i % 8)));
    present.push_back(v[i]);
  }
  c.null_count = v.size() - present.size();
  if (c.null_count > 0) b->AddStream(&c, StreamKind::kPresent, bitmap);
  std::string raw(present.size() * 4, '\0');
  ShuffleBytes(reinterpret_cast<const char*>(present.data()), present.size(), 4, raw.data());
  c.flags = kFlagShuffled;
  b->AddStream(&c, StreamKind::kData, raw);
  f->columns.push_back(std::move(c));
}

}  // namespace

Status EncodeSegment(const Columns& cols, std::span<const uint32_t> rows,
                     const SegmentWriteOptions& opts, std::string* out, SegmentFooter* footer) {
  if (!cols.Has(kAllColumns)) return Status::Internal("segment writer needs every column");
  if (rows.empty()) return Status::Internal("segment writer needs rows");
  if (rows.size() > kMaxSegmentRows) return Status::Internal("too many rows for one segment");
  const int64_t day_start = static_cast<int64_t>(opts.day) * kDayMs;

  // Session rank: position of the session id among the distinct ids the rows use.
  const auto& sdict = cols.session.dict;
  const RankedUuids sessions = RankUsedUuids(cols.session, rows);
  const std::vector<uint32_t>& used_sessions = sessions.used;
  const std::vector<uint32_t>& srank = sessions.rank;

  // Sort by (session rank, ts, event_id). The key packs rank and time-in-day into 64 bits (rank
  // < 2^28 rows, ms-in-day < 2^27), leaving event_id for the rare ties.
  struct Key {
    uint64_t key;
    uint32_t row;
  };
  std::vector<Key> keys(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    uint32_t r = rows[i];
    int64_t off = cols.ts[r] - day_start;
    if (off < 0 || off >= kDayMs) return Status::Internal("row outside its segment's day");
    keys[i] = {
        (static_cast<uint64_t>(srank[cols.session.codes[r]]) << 27) | static_cast<uint64_t>(off),
        r};
  }
  std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
    if (a.key != b.key) return a.key < b.key;
    return cols.event_id[a.row] < cols.event_id[b.row];
  });
  std::vector<uint32_t> perm(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) perm[i] = keys[i].row;
  keys = {};

  SegmentFooter& f = *footer;
  f = SegmentFooter();
  f.project_id = opts.project_id;
  f.day = opts.day;
  f.rows = perm.size();
  Builder b(opts.zstd_level, out);
  std::string raw;

  // ts in segment order: the ts and ingest columns and the rollups read it.
  const std::vector<int64_t> ts = Gather(cols.ts, perm);
  // ts: deltas between neighbours (small inside a session) as zigzag varints.
  {
    ColumnMeta c;
    c.id = ColumnId::kTs;
    c.encoding = Encoding::kDeltaVarint;
    raw.clear();
    int64_t prev = 0, mn = INT64_MAX, mx = INT64_MIN;
    for (int64_t v : ts) {
      PutVarint64(&raw, ZigZag(v - prev));
      prev = v;
      mn = std::min(mn, v);
      mx = std::max(mx, v);
    }
    c.min = f.min_ts = mn;
    c.max = f.max_ts = mx;
    b.AddStream(&c, StreamKind::kData, raw);
    f.columns.push_back(std::move(c));
  }
  {
    ColumnMeta c;
    c.id = ColumnId::kIngest;
    c.encoding = Encoding::kOffsetFromTs;
    raw.clear();
    c.min = INT64_MAX;
    c.max = INT64_MIN;
    for (size_t i = 0; i < perm.size(); ++i) {
      const int64_t ingest = cols.ingest[perm[i]];
      PutVarint64(&raw, ZigZag(ingest - ts[i]));
      c.min = std::min(c.min, ingest);
      c.max = std::max(c.max, ingest);
    }
    b.AddStream(&c, StreamKind::kData, raw);
    f.columns.push_back(std::move(c));
  }
  {
    ColumnMeta c;
    c.id = ColumnId::kEventId;
    c.encoding = Encoding::kFixed;
    c.width = 16;
    raw.clear();
    raw.reserve(perm.size() * 16);
    for (uint32_t r : perm) PutUuid(&raw, cols.event_id[r]);
    b.AddStream(&c, StreamKind::kData, raw);
    f.columns.push_back(std::move(c));
  }
  // session_id: the sorted dictionary and how many rows each entry has.
  std::vector<uint32_t> runs;
  std::vector<uint32_t> visitor_codes;  // segment-local anonymous_id code per row, for the rollups
  uint64_t visitor_dict = 0;
  {
    ColumnMeta c;
    c.id = ColumnId::kSession;
    c.encoding = Encoding::kUuidRuns;
    c.dict_size = used_sessions.size();
    raw.clear();
    for (uint32_t code : used_sessions) PutUuid(&raw, sdict[code]);
    b.AddStream(&c, StreamKind::kDict, raw);
    runs.assign(used_sessions.size(), 0);
    for (uint32_t r : perm) ++runs[srank[cols.session.codes[r]]];
    raw.clear();
    for (uint32_t n : runs) PutVarint64(&raw, n);
    b.AddStream(&c, StreamKind::kRuns, raw);
    f.columns.push_back(std::move(c));
  }
  // anonymous_id: sorted dictionary + codes.
  {
    const auto& adict = cols.anonymous.dict;
    const RankedUuids visitors = RankUsedUuids(cols.anonymous, perm);
    const std::vector<uint32_t>& used = visitors.used;
    const std::vector<uint32_t>& arank = visitors.rank;
    ColumnMeta c;
    c.id = ColumnId::kAnonymous;
    c.encoding = Encoding::kUuidDict;
    c.dict_size = used.size();
    c.width = CodeWidth(used.size());
    raw.clear();
    for (uint32_t code : used) PutUuid(&raw, adict[code]);
    b.AddStream(&c, StreamKind::kDict, raw);
    std::vector<uint32_t> codes(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) codes[i] = arank[cols.anonymous.codes[perm[i]]];
    PutCodes(codes, c.width, &raw);
    b.AddStream(&c, StreamKind::kData, raw);
    f.columns.push_back(std::move(c));
    visitor_codes = std::move(codes);
    visitor_dict = used.size();
  }
  const std::vector<uint8_t> type = Gather(cols.type, perm);
  const std::vector<uint8_t> device = Gather(cols.device, perm);
  const std::vector<uint16_t> country = Gather(cols.country, perm);
  const std::vector<uint16_t> viewport_w = Gather(cols.viewport_w, perm);
  // Rollups are small beside the columns but dense: compaction's zstd level would cost more
  // time than it saves bytes on them.
  const int rollup_level = std::min(opts.zstd_level, kRollupZstdLevel);
  std::optional<RollupWriter> rollups;
  rollups.emplace(RollupInput{&cols, rows, perm, runs, ts, type, device, viewport_w, country,
                              std::move(visitor_codes), visitor_dict, rollup_level});
  f.pageviews = static_cast<uint64_t>(std::count(type.begin(), type.end(), kPageView));
  AddFixed(&b, ColumnId::kType, type, false, &f);
  AddFixed(&b, ColumnId::kDevice, device, false, &f);
  AddFixed(&b, ColumnId::kCountry, country, true, &f);
  AddFixed(&b, ColumnId::kViewportW, viewport_w, true, &f);
  AddFixed(&b, ColumnId::kViewportH, Gather(cols.viewport_h, perm), true, &f);
  AddNullableF32(&b, ColumnId::kX, Gather(cols.x, perm), &f);
  AddNullableF32(&b, ColumnId::kY, Gather(cols.y, perm), &f);
  AddNullableF32(&b, ColumnId::kEx, Gather(cols.ex, perm), &f);
  AddNullableF32(&b, ColumnId::kEy, Gather(cols.ey, perm), &f);
  AddFixed(&b, ColumnId::kSelectorHash, Gather(cols.selector_hash, perm), true, &f);
  AddFixed(&b, ColumnId::kFlags, Gather(cols.flags, perm), false, &f);
  AddFixed(&b, ColumnId::kDepth, Gather(cols.depth, perm), false, &f);
  AddFixed(&b, ColumnId::kBotScore, Gather(cols.bot_score, perm), false, &f);

  // Strings: dictionary of the values the rows use, in first-use order, + codes.
  std::vector<uint32_t> remap;
  std::vector<uint32_t> codes(perm.size());
  std::vector<uint32_t> path_codes;
  uint64_t path_dict_size = 0;
  for (int s = 0; s < kNumStrings; ++s) {
    const StringColumn& col = cols.str[s];
    remap.assign(col.dict.size(), UINT32_MAX);
    ColumnMeta c;
    c.id = StringColumnId(s);
    c.encoding = Encoding::kStringDict;
    raw.clear();
    uint32_t next = 0;
    for (size_t i = 0; i < perm.size(); ++i) {
      uint32_t old = col.codes[perm[i]];
      if (remap[old] == UINT32_MAX) {
        std::string_view v = col.dict[old];
        if (v.size() > kMaxStoredStringBytes)
          return Status::InvalidArgument("string value too long");
        remap[old] = next++;
        PutLengthPrefixed(&raw, v);
      }
      codes[i] = remap[old];
    }
    c.dict_size = next;
    c.width = CodeWidth(next);
    rollups->AddStringCodes(s, codes, remap, next);
    if (s == kStrPath) {
      path_codes = codes;
      path_dict_size = next;
    }
    b.AddStream(&c, StreamKind::kDict, raw);
    PutCodes(codes, c.width, &raw);
    b.AddStream(&c, StreamKind::kData, raw);
    f.columns.push_back(std::move(c));
  }

  // Page-view aggregates: what an unfiltered overview needs, without reading a row.
  {
    std::vector<uint64_t> pv(path_dict_size, 0), sessions(path_dict_size, 0);
    std::vector<uint32_t> last(path_dict_size, UINT32_MAX);
    std::string session_paths;
    std::vector<uint32_t> viewed, all_viewed;
    const size_t nsess = used_sessions.size();
    std::vector<uint32_t> stats(3 * nsess);  // page views | first ts in day | duration
    size_t row = 0;
    for (uint32_t s = 0; s < nsess; ++s) {
      viewed.clear();
      const size_t first_row = row;
      uint32_t session_pv = 0;
      for (; row < perm.size() && srank[cols.session.codes[perm[row]]] == s; ++row) {
        if (type[row] != kPageView) continue;
        ++session_pv;
        const uint32_t pc = path_codes[row];
        ++pv[pc];
        if (last[pc] != s) {
          last[pc] = s;
          ++sessions[pc];
          viewed.push_back(pc);
        }
      }
      PutVarint64(&session_paths, viewed.size());
      all_viewed.insert(all_viewed.end(), viewed.begin(), viewed.end());
      // Rows are in time order within the session: first and last row bound it.
      const int64_t first = ts[first_row], last = ts[row - 1];
      stats[s] = session_pv;
      stats[nsess + s] = static_cast<uint32_t>(first - day_start);
      stats[2 * nsess + s] = static_cast<uint32_t>(last - first);
      f.sessions_with_pageviews += session_pv > 0;
      f.bounced_sessions += session_pv == 1;
      f.total_duration_ms += static_cast<uint64_t>(last - first);
    }
    // Counts first, then fixed-width codes: a reader skips a session's codes without decoding.
    const uint8_t width = CodeWidth(path_dict_size);
    PutFixed8(&session_paths, width);
    std::string codes_raw;
    PutCodes(all_viewed, width, &codes_raw);
    session_paths += codes_raw;
    raw.clear();
    for (uint64_t i = 0; i < path_dict_size; ++i) {
      PutVarint64(&raw, pv[i]);
      PutVarint64(&raw, sessions[i]);
    }
    f.aggregates.push_back(b.Write(StreamKind::kPathStats, raw));
    f.aggregates.push_back(b.Write(StreamKind::kSessionPaths, session_paths));
    raw.assign(stats.size() * 4, '\0');
    for (int a = 0; a < 3; ++a) {
      ShuffleBytes(reinterpret_cast<const char*>(stats.data() + a * nsess), nsess, 4,
                   raw.data() + a * nsess * 4);
    }
    f.aggregates.push_back(b.Write(StreamKind::kSessionStats, raw));
  }
  // Analytics rollups (rollup.h).
  {
    std::vector<RollupWriter::Stream> streams;
    rollups->Finish(&streams);
    rollups.reset();
    for (const auto& st : streams) {
      f.aggregates.push_back(b.Write(st.kind, st.bytes, st.compress, rollup_level));
    }
  }

  std::string footer_bytes;
  EncodeFooter(f, &footer_bytes);
  out->append(footer_bytes);
  PutFixed32(out, static_cast<uint32_t>(footer_bytes.size()));
  PutFixed32(out, crc32c::Value(footer_bytes));
  PutFixed32(out, kSegmentVersion);
  out->append(kSegmentMagic, sizeof kSegmentMagic);
  return Status::Ok();
}

Status WriteSegmentFile(const Columns& cols, std::span<const uint32_t> rows,
                        const SegmentWriteOptions& opts, const std::string& path,
                        SegmentFooter* footer, uint64_t* file_size, Env* env) {
  std::string bytes;
  TAP_RETURN_IF_ERROR(EncodeSegment(cols, rows, opts, &bytes, footer));
  *file_size = bytes.size();
  std::string tmp = path + std::string(kTempSuffix);
  TAP_RETURN_IF_ERROR(WriteFileSynced(tmp, bytes, env));
  TAP_RETURN_IF_ERROR(RenameFile(tmp, path, env));
  return FsyncDir(ParentDir(path), env);
}

}  // namespace tapistry::store
