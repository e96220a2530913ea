// EmbeddedEventStore::Breakdown as a column scan, with the reference's semantics
// (common/event_store_reference.cc). Values are computed once per dictionary entry, not per row.
// Session-level dimensions attribute each session to its first page view in the selection; a
// session spread over several partitions (crossing midnight) is combined through the same
// sorted-dictionary union the overview uses, so no per-row hash map is built.
#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "store/embedded/embedded_event_store.h"
#include "store/embedded/row_filter.h"
#include "store/embedded/uuid_union.h"

namespace tapistry::store {
namespace {

constexpr uint8_t kPageView = static_cast<uint8_t>(EventType::kPageView);

bool SessionLevel(Dimension d) {
  return d == Dimension::kEntryPage || d == Dimension::kReferrer || d == Dimension::kUtmSource ||
         d == Dimension::kUtmMedium || d == Dimension::kUtmCampaign;
}

std::string ReferrerHost(std::string_view url) {
  size_t p = url.find("://");
  if (p == std::string_view::npos) return "";
  std::string_view rest = url.substr(p + 3);
  return std::string(rest.substr(0, rest.find_first_of("/?#")));
}

// The string column a dimension reads, or -1 for the fixed-width ones (device, country).
int StringColumnOf(Dimension d) {
  switch (d) {
    case Dimension::kPage:
    case Dimension::kEntryPage: return kStrPath;
    case Dimension::kReferrer: return kStrReferrer;
    case Dimension::kUtmSource: return kStrUtmSource;
    case Dimension::kUtmMedium: return kStrUtmMedium;
    case Dimension::kUtmCampaign: return kStrUtmCampaign;
    case Dimension::kBrowser: return kStrBrowser;
    case Dimension::kOs: return kStrOs;
    case Dimension::kDevice:
    case Dimension::kCountry: return -1;
  }
  return -1;
}

// Value index of every row's value: dictionary entries (or device / country numbers) are turned
// into strings once and interned in `values`.
class ValueMapper {
 public:
  explicit ValueMapper(Dimension d) : d_(d) {}
  ColumnMask columns() const {
    int s = StringColumnOf(d_);
    if (s >= 0) return Bit(StringColumnId(s));
    return d_ == Dimension::kDevice ? Bit(ColumnId::kDevice) : Bit(ColumnId::kCountry);
  }
  // Per row of `c`: index into values().
  void Map(const Columns& c, std::vector<uint32_t>* out) {
    out->resize(c.rows);
    const int s = StringColumnOf(d_);
    if (s >= 0) {
      const StringColumn& col = c.str[s];
      std::vector<uint32_t> by_code(col.dict.size());
      for (size_t code = 0; code < col.dict.size(); ++code) {
        by_code[code] = Intern(d_ == Dimension::kReferrer ? ReferrerHost(col.dict[code]) : std::string(col.dict[code]));
      }
      for (size_t r = 0; r < c.rows; ++r) (*out)[r] = by_code[col.codes[r]];
    } else if (d_ == Dimension::kDevice) {
      uint32_t by_device[256];
      for (int v = 0; v < 256; ++v) by_device[v] = Intern(DeviceClassName(static_cast<DeviceClass>(v)));
      for (size_t r = 0; r < c.rows; ++r) (*out)[r] = by_device[c.device[r]];
    } else {
      std::unordered_map<uint16_t, uint32_t> by_country;
      for (size_t r = 0; r < c.rows; ++r) {
        auto [it, fresh] = by_country.try_emplace(c.country[r], 0);
        if (fresh) {
          const char cc[2] = {static_cast<char>(c.country[r] & 0xff), static_cast<char>(c.country[r] >> 8)};
          it->second = Intern(cc[0] ? std::string(cc, 2) : std::string());
        }
        (*out)[r] = it->second;
      }
    }
  }
  const std::vector<std::string>& values() const { return values_; }

 private:
  uint32_t Intern(std::string v) {
    auto [it, fresh] = index_.try_emplace(v, static_cast<uint32_t>(values_.size()));
    if (fresh) values_.push_back(std::move(v));
    return it->second;
  }
  Dimension d_;
  std::vector<std::string> values_;
  std::unordered_map<std::string, uint32_t> index_;
};

struct FirstView {
  int64_t ts = INT64_MAX;
  Uuid id;
  uint32_t value = 0;
  Uuid visitor;
  uint64_t pageviews = 0;
};

}  // namespace

Result<BreakdownResult> EmbeddedEventStore::Breakdown(const EventFilter& f, Dimension d, size_t limit) {
  if (f.from_day > f.to_day) return Status::InvalidArgument("from_day is after to_day");
  ValueMapper mapper(d);
  const bool session_level = SessionLevel(d);
  const RowPredicate pred = RowPredicate::FromFilter(f);
  ColumnMask mask = Bit(ColumnId::kType) | Bit(ColumnId::kAnonymous) | mapper.columns();
  if (session_level) mask |= Bit(ColumnId::kTs) | Bit(ColumnId::kEventId) | Bit(ColumnId::kSession);
  SourceList sources = Snapshot(f.project_id, f.from_day, f.to_day,
                                mask | Bit(ColumnId::kPath) | Bit(ColumnId::kDevice) | Bit(ColumnId::kViewportW));

  std::unordered_set<Uuid, UuidHash> all_visitors;
  std::vector<std::unordered_set<Uuid, UuidHash>> value_visitors;
  std::vector<uint64_t> value_pageviews;
  auto grow = [&] {
    value_visitors.resize(mapper.values().size());
    value_pageviews.resize(mapper.values().size(), 0);
  };

  // Session-level: a global id per session across partitions, then the earliest page view.
  std::vector<std::shared_ptr<const std::vector<Uuid>>> dicts(sources.size());
  UuidUnionResult sessions_u;
  if (session_level) {
    std::vector<std::span<const Uuid>> lists;
    for (size_t i = 0; i < sources.size(); ++i) {
      TAP_RETURN_IF_ERROR(sources[i]->UuidDict(ColumnId::kSession, &dicts[i]));
      lists.emplace_back(*dicts[i]);
    }
    sessions_u = UnionSortedUuids(lists);
  }
  std::vector<FirstView> first(session_level ? sessions_u.distinct : 0);

  std::vector<uint32_t> value_of_row, session_code;
  for (size_t i = 0; i < sources.size(); ++i) {
    const Source& src = *sources[i];
    CompiledFilter cf;
    TAP_RETURN_IF_ERROR(CompileFilter(pred, src, &cf));
    if (cf.state == CompiledFilter::State::kNone) continue;
    Columns scratch;
    auto got = src.Get(mask | cf.columns, &scratch);
    if (!got.ok()) return got.status();
    const Columns& c = **got;
    std::vector<uint8_t> sel;
    if (cf.state == CompiledFilter::State::kRows) cf.Evaluate(c, &sel);
    mapper.Map(c, &value_of_row);
    grow();
    const auto& anon = c.anonymous;
    // Distinct (value, visitor) pairs of this source first: the global sets then see each
    // visitor once per source and value instead of once per row.
    std::vector<uint8_t> seen_visitor(anon.dict.size(), 0);
    std::vector<uint64_t> pairs;
    for (size_t r = 0; r < c.rows; ++r) {
      if (!sel.empty() && !sel[r]) continue;
      const uint32_t v = anon.codes[r];
      if (!seen_visitor[v]) {
        seen_visitor[v] = 1;
        all_visitors.insert(anon.dict[v]);
      }
      if (!session_level) {
        pairs.push_back((uint64_t{value_of_row[r]} << 32) | v);
        value_pageviews[value_of_row[r]] += c.type[r] == kPageView;
        continue;
      }
      if (c.type[r] != kPageView) continue;
      const Uuid& visitor = anon.dict[v];
      FirstView& fv = first[sessions_u.gid[i][c.session.codes[r]]];
      ++fv.pageviews;
      if (c.ts[r] < fv.ts || (c.ts[r] == fv.ts && c.event_id[r] < fv.id)) {
        fv.ts = c.ts[r];
        fv.id = c.event_id[r];
        fv.value = value_of_row[r];
        fv.visitor = visitor;
      }
    }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    for (uint64_t p : pairs) value_visitors[p >> 32].insert(anon.dict[p & 0xffffffff]);
  }
  for (const FirstView& fv : first) {
    if (fv.pageviews == 0) continue;
    value_visitors[fv.value].insert(fv.visitor);
    value_pageviews[fv.value] += fv.pageviews;
  }

  BreakdownResult out;
  out.total_visitors = all_visitors.size();
  for (size_t v = 0; v < value_visitors.size(); ++v) {
    // Only values that were attributed something appear (the reference creates a row on use).
    if (value_visitors[v].empty()) continue;
    out.rows.push_back({mapper.values()[v], value_visitors[v].size(), value_pageviews[v]});
  }
  std::sort(out.rows.begin(), out.rows.end(), [](const BreakdownRow& a, const BreakdownRow& b) {
    return a.visitors != b.visitors ? a.visitors > b.visitors : a.value < b.value;
  });
  if (out.rows.size() > limit) out.rows.resize(limit);
  return out;
}

}  // namespace tapistry::store
