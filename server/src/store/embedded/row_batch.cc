#include "store/embedded/row_batch.h"

#include <algorithm>
#include <numeric>

namespace tapistry::store {
namespace {

template <typename T>
void CopyIf(ColumnMask mask, ColumnId c, const std::vector<T>& from, std::vector<T>* to) {
  if (mask & Bit(c)) *to = from;
}

// Sorted copy of a first-seen uuid dictionary, with the codes rewritten to match.
void SortedUuidCopy(const UuidColumn& from, UuidColumn* to) {
  const size_t n = from.dict.size();
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return from.dict[a] < from.dict[b]; });
  std::vector<uint32_t> rank(n);
  to->dict.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    rank[order[i]] = i;
    to->dict[i] = from.dict[order[i]];
  }
  to->codes.resize(from.codes.size());
  for (size_t r = 0; r < from.codes.size(); ++r) to->codes[r] = rank[from.codes[r]];
  to->runs.clear();
}

}  // namespace

RowBatch::RowBatch()
    : arena_(std::make_shared<Arena>()), session_(&cols_.session.dict),
      anonymous_(&cols_.anonymous.dict) {
  strings_.reserve(kNumStrings);
  for (int s = 0; s < kNumStrings; ++s) strings_.emplace_back(&cols_.str[s].dict, arena_);
  cols_.loaded = kAllColumns;
}

void RowBatch::Append(const Event& e) {
  Columns& c = cols_;
  c.ts.push_back(e.ts_ms);
  c.ingest.push_back(e.ingest_ms);
  c.event_id.push_back(e.event_id);
  c.session.codes.push_back(session_.Intern(e.session_id));
  c.anonymous.codes.push_back(anonymous_.Intern(e.anonymous_id));
  c.type.push_back(static_cast<uint8_t>(e.type));
  c.device.push_back(static_cast<uint8_t>(e.device_class));
  c.country.push_back(static_cast<uint16_t>(static_cast<uint8_t>(e.country[0]) |
                                            (static_cast<uint8_t>(e.country[1]) << 8)));
  c.viewport_w.push_back(e.viewport_w);
  c.viewport_h.push_back(e.viewport_h);
  c.x.push_back(e.x);
  c.y.push_back(e.y);
  c.ex.push_back(e.ex);
  c.ey.push_back(e.ey);
  c.selector_hash.push_back(e.selector_hash);
  c.flags.push_back(e.flags);
  c.depth.push_back(e.depth_pct);
  c.bot_score.push_back(e.bot_score);
  const std::string* strs[kNumStrings] = {
      &e.user_id,    &e.name,       &e.url,          &e.path,     &e.title,       &e.referrer,
      &e.utm_source, &e.utm_medium, &e.utm_campaign, &e.utm_term, &e.utm_content, &e.browser,
      &e.os,         &e.ua,         &e.selector,     &e.props};
  for (int s = 0; s < kNumStrings; ++s) c.str[s].codes.push_back(strings_[s].Intern(*strs[s]));
  ++c.rows;
}

void RowBatch::AppendRows(const Columns& in, std::span<const uint32_t> rows) {
  Columns& c = cols_;
  // Re-code each dictionary once, lazily: only entries some selected row uses are interned.
  constexpr uint32_t kUnmapped = UINT32_MAX;
  std::vector<uint32_t> session_map(in.session.dict.size(), kUnmapped);
  std::vector<uint32_t> anon_map(in.anonymous.dict.size(), kUnmapped);
  std::vector<std::vector<uint32_t>> str_map(kNumStrings);
  for (int s = 0; s < kNumStrings; ++s) str_map[s].assign(in.str[s].dict.size(), kUnmapped);

  for (uint32_t r : rows) {
    c.ts.push_back(in.ts[r]);
    c.ingest.push_back(in.ingest[r]);
    c.event_id.push_back(in.event_id[r]);
    uint32_t& sm = session_map[in.session.codes[r]];
    if (sm == kUnmapped) sm = session_.Intern(in.session.dict[in.session.codes[r]]);
    c.session.codes.push_back(sm);
    uint32_t& am = anon_map[in.anonymous.codes[r]];
    if (am == kUnmapped) am = anonymous_.Intern(in.anonymous.dict[in.anonymous.codes[r]]);
    c.anonymous.codes.push_back(am);
    c.type.push_back(in.type[r]);
    c.device.push_back(in.device[r]);
    c.country.push_back(in.country[r]);
    c.viewport_w.push_back(in.viewport_w[r]);
    c.viewport_h.push_back(in.viewport_h[r]);
    c.x.push_back(in.x[r]);
    c.y.push_back(in.y[r]);
    c.ex.push_back(in.ex[r]);
    c.ey.push_back(in.ey[r]);
    c.selector_hash.push_back(in.selector_hash[r]);
    c.flags.push_back(in.flags[r]);
    c.depth.push_back(in.depth[r]);
    c.bot_score.push_back(in.bot_score[r]);
    for (int s = 0; s < kNumStrings; ++s) {
      uint32_t code = in.str[s].codes[r];
      uint32_t& m = str_map[s][code];
      if (m == kUnmapped) m = strings_[s].Intern(in.str[s].dict[code]);
      c.str[s].codes.push_back(m);
    }
    ++c.rows;
  }
}

void RowBatch::Snapshot(ColumnMask mask, Columns* out) const {
  const Columns& c = cols_;
  out->rows = c.rows;
  out->loaded = mask;
  CopyIf(mask, ColumnId::kTs, c.ts, &out->ts);
  CopyIf(mask, ColumnId::kIngest, c.ingest, &out->ingest);
  CopyIf(mask, ColumnId::kEventId, c.event_id, &out->event_id);
  if (mask & Bit(ColumnId::kSession)) SortedUuidCopy(c.session, &out->session);
  if (mask & Bit(ColumnId::kAnonymous)) SortedUuidCopy(c.anonymous, &out->anonymous);
  CopyIf(mask, ColumnId::kType, c.type, &out->type);
  CopyIf(mask, ColumnId::kDevice, c.device, &out->device);
  CopyIf(mask, ColumnId::kCountry, c.country, &out->country);
  CopyIf(mask, ColumnId::kViewportW, c.viewport_w, &out->viewport_w);
  CopyIf(mask, ColumnId::kViewportH, c.viewport_h, &out->viewport_h);
  CopyIf(mask, ColumnId::kX, c.x, &out->x);
  CopyIf(mask, ColumnId::kY, c.y, &out->y);
  CopyIf(mask, ColumnId::kEx, c.ex, &out->ex);
  CopyIf(mask, ColumnId::kEy, c.ey, &out->ey);
  CopyIf(mask, ColumnId::kSelectorHash, c.selector_hash, &out->selector_hash);
  CopyIf(mask, ColumnId::kFlags, c.flags, &out->flags);
  CopyIf(mask, ColumnId::kDepth, c.depth, &out->depth);
  CopyIf(mask, ColumnId::kBotScore, c.bot_score, &out->bot_score);
  for (int s = 0; s < kNumStrings; ++s) {
    if (!(mask & Bit(StringColumnId(s)))) continue;
    out->str[s].dict = c.str[s].dict;
    out->str[s].codes = c.str[s].codes;
    out->str[s].keepalive = arena_;
  }
}

void RowBatch::Rebuild(std::span<const uint32_t> keep) {
  // The old arena stays alive through `old` (and any snapshot) while rows are re-interned.
  Columns old = std::move(cols_);
  auto old_arena = arena_;
  cols_ = Columns();
  arena_ = std::make_shared<Arena>();
  session_ = UuidInterner(&cols_.session.dict);
  anonymous_ = UuidInterner(&cols_.anonymous.dict);
  strings_.clear();
  for (int s = 0; s < kNumStrings; ++s) strings_.emplace_back(&cols_.str[s].dict, arena_);
  cols_.loaded = kAllColumns;
  AppendRows(old, keep);
}

size_t RowBatch::ApproxBytes() const {
  const Columns& c = cols_;
  size_t per_row = 8 + 8 + 16 + 4 + 4 + 5 + 6 + 16 + 8 + 4 * kNumStrings;
  size_t bytes = c.rows * per_row + arena_->bytes();
  bytes += (c.session.dict.size() + c.anonymous.dict.size()) * sizeof(Uuid);
  bytes += session_.table_bytes() + anonymous_.table_bytes();
  for (int s = 0; s < kNumStrings; ++s) {
    bytes += c.str[s].dict.size() * sizeof(std::string_view) + strings_[s].table_bytes();
  }
  return bytes;
}

}  // namespace tapistry::store
