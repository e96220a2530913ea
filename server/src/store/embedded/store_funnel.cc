// EmbeddedEventStore::Funnel: the funnel engine (tapistry/funnel.h defines every number;
// server/test/reference_funnel.cc computes them by brute force and the golden funnel cases pin
// them by hand).
//
// 1. The sources: the query's days, plus the window after them (a unit entering on the last day
//    is followed for the whole window) and, in any-order mode, before them (other steps may
//    precede step 1).
// 2. Per source, every step and exclusion is compiled to its dictionary codes (path, selector,
//    event name; a custom step's property is checked once per distinct props value), and each
//    row gets a tag: the steps and exclusions it matches, whether it interrupts a strict funnel,
//    and — for a step-1 row of a broken-down funnel — its local breakdown value.
// 3. The per-session operator (unit_rows.h) hands over each unit's tagged rows in time order
//    across sources; FunnelChains (funnel_chain.h) finds its furthest step, its chain and
//    exclusions, and the unit is tallied per step and per breakdown value, in per-worker
//    tallies merged at the end.
#include <simdjson.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <unordered_map>

#include "store/embedded/dimension_values.h"
#include "store/embedded/embedded_event_store.h"
#include "store/embedded/funnel_chain.h"
#include "store/embedded/unit_rows.h"
#include "tapistry/funnel.h"

namespace tapistry::store {
namespace {

constexpr int kExclusionShift = 20;  // tag bits: steps 0..19, exclusions 20..29
constexpr uint64_t kInterruptsBit = uint64_t{1} << 30;
constexpr int kValueShift = 32;  // local breakdown value + 1 (0: none)

// A breakdown by an attribute of the step-1 event's session (funnel.h), not of the event.
bool IsSessionAttr(Dimension d) {
  return d == Dimension::kEntryPage || d == Dimension::kVisitorType;
}

// A step's conditions that do not depend on a source; regexes compiled once.
struct StepSpec {
  const FunnelStep* step;
  uint8_t type;
  std::optional<std::regex> re;
};

bool PathMatches(const StepSpec& s, std::string_view path) {
  const std::string& want = s.step->path;
  switch (s.step->path_match) {
    case PathMatch::kEquals:
      return path == want;
    case PathMatch::kPrefix:
      return path.starts_with(want);
    case PathMatch::kContains:
      return path.find(want) != std::string_view::npos;
    case PathMatch::kRegex:
      return std::regex_search(path.begin(), path.end(), *s.re);
  }
  return false;
}

// props[property] equals value: a JSON string equal to it, or an integer or boolean whose text is
// it (funnel.h).
bool PropertyEquals(simdjson::dom::parser& parser, std::string_view props, const FunnelStep& s) {
  simdjson::dom::element doc, v;
  if (parser.parse(props.data(), props.size()).get(doc) || doc.at_key(s.property).get(v)) {
    return false;
  }
  switch (v.type()) {
    case simdjson::dom::element_type::STRING:
      return std::string_view(v) == s.value;
    case simdjson::dom::element_type::INT64:
      return std::to_string(int64_t(v)) == s.value;
    case simdjson::dom::element_type::UINT64:
      return std::to_string(uint64_t(v)) == s.value;
    case simdjson::dom::element_type::BOOL:
      return (bool(v) ? "true" : "false") == s.value;
    default:
      return false;
  }
}

// A step compiled against one source's dictionaries: a flag per dictionary code.
struct CompiledStep {
  uint8_t type = 0;
  std::vector<uint8_t> path_ok, selector_ok, name_ok;  // empty: no such condition
  uint64_t selector_hash = 0;
  bool impossible = false;  // a condition no row of the source can meet
  const FunnelStep* step = nullptr;
  std::vector<int8_t> prop_ok;  // by props code: -1 not yet checked
  // The step's filters: a flag per dictionary code (string dimensions) or per device byte, or
  // the stored country that matches (0: a country whose first letter is unset, i.e. unknown).
  struct Cond {
    int str = -1;             // kStr… of a string dimension
    std::vector<uint8_t> ok;  // by code, or by device byte (str == -1, device)
    bool country = false;
    uint16_t country_code = 0;
  };
  std::vector<Cond> conds;
};

std::vector<uint8_t> FlagCodes(const StringColumn& col,
                               const std::function<bool(std::string_view)>& ok, bool* any) {
  std::vector<uint8_t> out(col.dict.size());
  *any = false;
  for (size_t i = 0; i < col.dict.size(); ++i) {
    out[i] = ok(col.dict[i]);
    *any |= out[i] != 0;
  }
  return out;
}

CompiledStep Compile(const StepSpec& spec, const Columns& c) {
  CompiledStep cs;
  const FunnelStep& s = *spec.step;
  cs.step = &s;
  cs.type = spec.type;
  bool any = true;
  if (!s.path.empty()) {
    cs.path_ok = FlagCodes(
        c.str[kStrPath], [&](std::string_view p) { return PathMatches(spec, p); }, &any);
    cs.impossible |= !any;
  }
  if (s.type == FunnelStepType::kClick) {
    if (!s.selector.empty()) {
      cs.selector_ok = FlagCodes(
          c.str[kStrSelector], [&](std::string_view v) { return v == s.selector; }, &any);
      cs.impossible |= !any;
    }
    cs.selector_hash = s.selector_hash;
  }
  for (const FunnelStepFilter& f : s.filters) {
    CompiledStep::Cond cond;
    if (f.dimension == Dimension::kCountry) {
      cond.country = true;
      // CountryValue: "" when the first letter is unset, else both letters.
      if (f.value.size() == 2 && f.value[0] != 0) {
        cond.country_code = static_cast<uint16_t>(static_cast<uint8_t>(f.value[0]) |
                                                  (static_cast<uint8_t>(f.value[1]) << 8));
      } else if (!f.value.empty()) {
        cs.impossible = true;
      }
    } else if (f.dimension == Dimension::kDevice) {
      cond.ok.resize(256);
      for (int v = 0; v < 256; ++v)
        cond.ok[v] = f.value == DeviceClassName(static_cast<DeviceClass>(v));
    } else {
      cond.str = StringColumnOf(f.dimension);
      cond.ok = FlagCodes(
          c.str[cond.str],
          [&](std::string_view v) {
            return f.dimension == Dimension::kReferrer ? ReferrerHost(v) == f.value : v == f.value;
          },
          &any);
      cs.impossible |= !any;
    }
    cs.conds.push_back(std::move(cond));
  }
  if (s.type == FunnelStepType::kCustom) {
    cs.name_ok = FlagCodes(
        c.str[kStrName], [&](std::string_view v) { return v == s.name; }, &any);
    cs.impossible |= !any;
    if (!s.property.empty()) cs.prop_ok.assign(c.str[kStrProps].dict.size(), -1);
  }
  return cs;
}

bool RowMatches(CompiledStep& cs, const Columns& c, size_t r, simdjson::dom::parser& parser) {
  if (c.type[r] != cs.type) return false;
  if (!cs.path_ok.empty() && !cs.path_ok[c.str[kStrPath].codes[r]]) return false;
  if (!cs.selector_ok.empty() && !cs.selector_ok[c.str[kStrSelector].codes[r]]) return false;
  if (cs.selector_hash != 0 && c.selector_hash[r] != cs.selector_hash) return false;
  if (!cs.name_ok.empty() && !cs.name_ok[c.str[kStrName].codes[r]]) return false;
  for (const CompiledStep::Cond& k : cs.conds) {
    if (k.country) {
      const uint16_t v = c.country[r];
      if (k.country_code == 0 ? (v & 0xff) != 0 : v != k.country_code) return false;
    } else if (k.str >= 0) {
      if (!k.ok[c.str[k.str].codes[r]]) return false;
    } else if (!k.ok[c.device[r]]) {
      return false;
    }
  }
  if (!cs.prop_ok.empty()) {
    const uint32_t code = c.str[kStrProps].codes[r];
    if (cs.prop_ok[code] < 0)
      cs.prop_ok[code] = PropertyEquals(parser, c.str[kStrProps].dict[code], *cs.step);
    if (!cs.prop_ok[code]) return false;
  }
  return true;
}

uint8_t TypeOf(FunnelStepType t) {
  switch (t) {
    case FunnelStepType::kPageView:
      return static_cast<uint8_t>(EventType::kPageView);
    case FunnelStepType::kClick:
      return static_cast<uint8_t>(EventType::kClick);
    case FunnelStepType::kCustom:
      return static_cast<uint8_t>(EventType::kCustom);
  }
  return 0;
}

bool Interrupts(uint8_t type) {
  return type == static_cast<uint8_t>(EventType::kPageView) ||
         type == static_cast<uint8_t>(EventType::kClick) ||
         type == static_cast<uint8_t>(EventType::kCustom);
}

ColumnMask ColumnsOf(const FunnelQuery& q) {
  ColumnMask m = Bit(ColumnId::kType);
  auto add = [&](const FunnelStep& s) {
    if (!s.path.empty()) m |= Bit(ColumnId::kPath);
    for (const FunnelStepFilter& f : s.filters) m |= DimensionColumns(f.dimension);
    if (s.type == FunnelStepType::kClick) {
      m |= s.selector.empty() ? 0 : Bit(ColumnId::kSelector);
      m |= s.selector_hash == 0 ? 0 : Bit(ColumnId::kSelectorHash);
    }
    if (s.type == FunnelStepType::kCustom) {
      m |= Bit(ColumnId::kName);
      if (!s.property.empty()) m |= Bit(ColumnId::kProps);
    }
  };
  for (const FunnelStep& s : q.steps) add(s);
  for (const FunnelExclusion& x : q.exclusions) add(x.step);
  if (q.breakdown) m |= DimensionColumns(*q.breakdown);
  // Session attributes: the step-1 row's session (and visitor) picks the value.
  if (q.breakdown && IsSessionAttr(*q.breakdown))
    m |= Bit(ColumnId::kSession) | Bit(ColumnId::kAnonymous);
  return m;
}

// Units per step and the times to each step.
struct Tally {
  std::vector<uint64_t> units;
  std::vector<std::vector<int64_t>> times;
  explicit Tally(size_t steps) : units(steps, 0), times(steps) {}
  // A unit that reached `furthest` steps, t[s] ms to step s from the previous one.
  void Add(size_t furthest, const int64_t* t) {
    for (size_t s = 0; s < furthest; ++s) {
      ++units[s];
      if (s > 0) times[s].push_back(t[s]);
    }
  }
  void Merge(Tally&& o) {
    for (size_t s = 0; s < units.size(); ++s) {
      units[s] += o.units[s];
      times[s].insert(times[s].end(), o.times[s].begin(), o.times[s].end());
    }
  }
  std::vector<FunnelStepResult> Steps() {
    std::vector<FunnelStepResult> out(units.size());
    for (size_t s = 0; s < units.size(); ++s) {
      out[s].units = units[s];
      std::vector<int64_t>& t = times[s];
      for (int64_t x : t) out[s].total_ms_from_previous += static_cast<uint64_t>(x);
      if (!t.empty()) {
        auto mid = t.begin() + static_cast<ptrdiff_t>((t.size() - 1) / 2);
        std::nth_element(t.begin(), mid, t.end());
        out[s].median_ms_from_previous = static_cast<uint64_t>(*mid);
        // Nearest rank: the element at ceil(0.9 n) - 1; it is not below the median.
        auto p90 = t.begin() + static_cast<ptrdiff_t>((t.size() * 9 + 9) / 10 - 1);
        std::nth_element(mid, p90, t.end());
        out[s].p90_ms_from_previous = static_cast<uint64_t>(*p90);
      }
    }
    return out;
  }
};

// The session attributes a funnel may break down by (funnel.h "Breakdown"), read before the
// funnel runs: entry_page per session, or each visitor's first session for visitor_type.
struct SessionAttrs {
  Dimension d = Dimension::kEntryPage;
  std::vector<std::string> values;  // a step-1 row's tag carries an index into these
  std::unordered_map<Uuid, uint32_t, UuidHash> entry;  // entry_page: session -> value
  uint32_t no_entry = 0;  // entry_page: the value "" (no page view on the query's days)
  std::unordered_map<Uuid, Uuid, UuidHash> first_session;  // visitor_type: visitor -> session
};

// A row the passes below keep: the ids of its session and visitor, and its value (entry_page:
// the source's local value index). A kept row's tag is its index in its source's list.
struct KeptRow {
  Uuid session, visitor;
  uint32_t value = 0;
};

// Keeps each unit's earliest rows of a source among those `want` accepts — every row at that
// millisecond, since event ids decide among them in the merge — and lists them in *kept (the
// visitor only `with_visitor`: the anonymous column is loaded then).
template <typename Want, typename Value>
void KeepEarliest(const Columns& c, const UuidColumn& unit, bool with_visitor, Want want,
                  Value value, std::vector<TaggedRow>* keep, std::vector<KeptRow>* kept) {
  std::vector<int64_t> earliest(unit.dict.size(), INT64_MAX);
  for (size_t r = 0; r < c.rows; ++r) {
    if (!want(r)) continue;
    int64_t& e = earliest[unit.codes[r]];
    e = std::min(e, c.ts[r]);
  }
  for (size_t r = 0; r < c.rows; ++r) {
    if (c.ts[r] != earliest[unit.codes[r]] || !want(r)) continue;
    keep->push_back({static_cast<uint32_t>(r), kept->size()});
    kept->push_back({c.session.dict[c.session.codes[r]],
                     with_visitor ? c.anonymous.dict[c.anonymous.codes[r]] : Uuid{}, value(r)});
  }
}

// entry_page: each session's first page view (ts, then event_id) on the query's days, in the
// funnel's own sources — event_store.h's Breakdown attribution over those days.
Status ReadEntryPages(const SourceList& sources, const FunnelQuery& q, SessionAttrs* out) {
  const int64_t range_start = int64_t{q.from_day} * kDayMs;
  const int64_t range_end = (int64_t{q.to_day} + 1) * kDayMs;
  constexpr uint8_t kPv = static_cast<uint8_t>(EventType::kPageView);
  std::vector<std::vector<std::string>> names(sources.size());
  std::vector<std::vector<KeptRow>> kept(sources.size());
  std::vector<std::vector<const KeptRow*>> found(UnitWorkers(sources));
  TAP_RETURN_IF_ERROR(ForEachUnit(
      sources, UnitKind::kSession, Bit(ColumnId::kType) | Bit(ColumnId::kPath),
      [&](size_t i, const Source&, const Columns& c, std::vector<TaggedRow>* keep) {
        DimensionValues values(Dimension::kEntryPage);
        KeepEarliest(
            c, c.session, false,
            [&](size_t r) {
              return c.type[r] == kPv && c.ts[r] >= range_start && c.ts[r] < range_end;
            },
            [&](size_t r) { return values.OfRow(c, r); }, keep, &kept[i]);
        names[i] = values.Take();
        return Status::Ok();
      },
      [&](size_t worker, std::span<const UnitRow> rows) {
        // Rows come by (ts, event_id): the first is the session's entry page view.
        found[worker].push_back(&kept[rows[0].source][rows[0].tag]);
        return Status::Ok();
      }));
  std::unordered_map<std::string_view, uint32_t> index{{"", 0}};  // keys view names[]
  out->values = {""};
  out->no_entry = 0;
  // Every source's select has run once ForEachUnit returns, so `names` is complete.
  for (size_t i = 0; i < sources.size(); ++i) {
    std::vector<uint32_t> global(names[i].size(), UINT32_MAX);
    for (size_t v = 0; v < names[i].size(); ++v) {
      auto [it, fresh] = index.try_emplace(names[i][v], static_cast<uint32_t>(out->values.size()));
      if (fresh) out->values.push_back(names[i][v]);
      global[v] = it->second;
    }
    for (KeptRow& k : kept[i]) k.value = global.at(k.value);
  }
  for (const auto& f : found) {
    for (const KeptRow* k : f) out->entry[k->session] = k->value;
  }
  return Status::Ok();
}

// visitor_type: each visitor's first session — that of its earliest event (ts, then event_id)
// on any day up to the query's last (the step-1 event lies on one of them).
Status ReadFirstSessions(const EmbeddedEventStore& store, const FunnelQuery& q, SessionAttrs* out) {
  const ColumnMask mask = Bit(ColumnId::kSession) | Bit(ColumnId::kAnonymous);
  auto sources = store.Snapshot(q.project_id, std::numeric_limits<int32_t>::min(), q.to_day,
                                mask | UnitColumns(UnitKind::kVisitor), q.include_bots);
  if (!sources.ok()) return sources.status();
  std::vector<std::vector<KeptRow>> kept(sources->size());
  std::vector<std::vector<const KeptRow*>> found(UnitWorkers(*sources));
  TAP_RETURN_IF_ERROR(ForEachUnit(
      *sources, UnitKind::kVisitor, mask,
      [&](size_t i, const Source&, const Columns& c, std::vector<TaggedRow>* keep) {
        KeepEarliest(
            c, c.anonymous, true, [](size_t) { return true; }, [](size_t) { return 0u; }, keep,
            &kept[i]);
        return Status::Ok();
      },
      [&](size_t worker, std::span<const UnitRow> rows) {
        found[worker].push_back(&kept[rows[0].source][rows[0].tag]);
        return Status::Ok();
      }));
  for (const auto& f : found) {
    for (const KeptRow* k : f) out->first_session[k->visitor] = k->session;
  }
  out->values = {std::string(kFirstVisitor), std::string(kReturningVisitor)};
  return Status::Ok();
}

// The value index of a step-1 row under a session-attribute breakdown; per-source caches.
class SessionAttrLookup {
 public:
  explicit SessionAttrLookup(const SessionAttrs& a) : a_(a) {}
  Result<uint32_t> Of(const Columns& c, size_t r) {
    const uint32_t s = c.session.codes[r];
    if (a_.d == Dimension::kEntryPage) {
      if (by_session_.empty()) by_session_.assign(c.session.dict.size(), UINT32_MAX);
      if (by_session_[s] == UINT32_MAX) {
        auto it = a_.entry.find(c.session.dict[s]);
        by_session_[s] = it == a_.entry.end() ? a_.no_entry : it->second;
      }
      return by_session_[s];
    }
    auto it = a_.first_session.find(c.anonymous.dict[c.anonymous.codes[r]]);
    if (it == a_.first_session.end()) {
      return Status::Internal("funnel: a visitor without a first session");
    }
    return it->second == c.session.dict[s] ? 0u : 1u;
  }

 private:
  const SessionAttrs& a_;
  std::vector<uint32_t> by_session_;  // entry_page: value by session code
};

// Every unit in the funnel: fn(worker, rows, outcome) once per unit with a step-1 event in
// the range, from several threads (never two at once with the same worker < UnitWorkers).
// *local_values gets each source's breakdown values (a row's tag >> kValueShift, minus one);
// with `attrs` (a session-attribute breakdown), the tag indexes attrs->values instead.
using OutcomeFn = std::function<Status(size_t, std::span<const UnitRow>, const ChainOutcome&)>;

Status RunFunnel(const SourceList& sources, const FunnelQuery& q, ColumnMask mask,
                 const SessionAttrs* attrs, std::vector<std::vector<std::string>>* local_values,
                 const OutcomeFn& fn) {
  const UnitKind kind = q.unit == FunnelUnit::kSession ? UnitKind::kSession : UnitKind::kVisitor;
  std::vector<StepSpec> specs;
  auto spec_of = [](const FunnelStep& s) {
    StepSpec spec{&s, TypeOf(s.type), std::nullopt};
    if (!s.path.empty() && s.path_match == PathMatch::kRegex)
      spec.re.emplace(s.path, std::regex::ECMAScript);
    return spec;
  };
  for (const FunnelStep& s : q.steps) specs.push_back(spec_of(s));
  for (const FunnelExclusion& x : q.exclusions) specs.push_back(spec_of(x.step));
  const size_t nsteps = q.steps.size();
  const bool strict = q.mode == FunnelMode::kStrict;
  local_values->assign(sources.size(), {});
  struct Worker {
    std::optional<FunnelChains> chains;
    std::vector<ChainEvent> ev;
  };
  std::vector<Worker> workers(UnitWorkers(sources));
  const int64_t range_start = int64_t{q.from_day} * kDayMs;
  const int64_t range_end = (int64_t{q.to_day} + 1) * kDayMs;
  constexpr uint64_t kStepBits = (uint64_t{1} << kExclusionShift) - 1;

  return ForEachUnit(
      sources, kind, mask,
      [&](size_t i, const Source&, const Columns& c, std::vector<TaggedRow>* keep) {
        // Page-view steps (a path condition only) become one tag per path code; the other
        // steps are checked row by row.
        constexpr uint8_t kPv = static_cast<uint8_t>(EventType::kPageView);
        std::vector<CompiledStep> steps;
        std::vector<uint32_t> others;     // indices into steps: checked row by row
        std::vector<uint32_t> pv_others;  // page-view steps with filters, row by row too
        std::vector<uint64_t> pv_tag;     // by path code
        uint8_t types = 0;                // bit per event type some possible step has
        for (size_t k = 0; k < specs.size(); ++k) {
          steps.push_back(Compile(specs[k], c));
          const CompiledStep& cs = steps.back();
          if (cs.impossible) continue;
          types |= uint8_t{1} << cs.type;
          const uint64_t bit =
              k < nsteps ? uint64_t{1} << k : uint64_t{1} << (kExclusionShift + k - nsteps);
          if (cs.type == kPv && !cs.conds.empty()) {
            pv_others.push_back(static_cast<uint32_t>(k));
          } else if (cs.type == kPv) {
            pv_tag.resize(cs.path_ok.size(), 0);
            for (size_t code = 0; code < cs.path_ok.size(); ++code)
              pv_tag[code] |= cs.path_ok[code] ? bit : 0;
          } else {
            others.push_back(static_cast<uint32_t>(k));
          }
        }
        if (types == 0 && !strict) return Status::Ok();
        std::optional<DimensionValues> values;
        std::optional<SessionAttrLookup> attr;
        if (attrs != nullptr) {
          attr.emplace(*attrs);
        } else if (q.breakdown) {
          values.emplace(*q.breakdown);
        }
        simdjson::dom::parser parser;
        const uint8_t* type = c.type.data();
        const uint32_t* path = pv_tag.empty() ? nullptr : c.str[kStrPath].codes.data();
        for (size_t r = 0; r < c.rows; ++r) {
          const uint8_t t = type[r];
          const bool interrupts = strict && Interrupts(t);
          if (!((types >> t) & 1) && !interrupts) continue;
          uint64_t tag = interrupts ? kInterruptsBit : 0;
          if (t == kPv) {
            if (path != nullptr) tag |= pv_tag[path[r]];
            for (uint32_t k : pv_others) {
              if (!RowMatches(steps[k], c, r, parser)) continue;
              tag |= k < nsteps ? uint64_t{1} << k : uint64_t{1} << (kExclusionShift + k - nsteps);
            }
          } else {
            for (uint32_t k : others) {
              if (!RowMatches(steps[k], c, r, parser)) continue;
              tag |= k < nsteps ? uint64_t{1} << k : uint64_t{1} << (kExclusionShift + k - nsteps);
            }
          }
          if (tag == 0) continue;
          if (values && (tag & 1)) tag |= uint64_t{values->OfRow(c, r) + 1} << kValueShift;
          // Only a step-1 row in the range can start a chain (and the visitors read for
          // visitor_type are those of the days up to the range's end).
          if (attr && (tag & 1) && c.ts[r] >= range_start && c.ts[r] < range_end) {
            auto v = attr->Of(c, r);
            if (!v.ok()) return v.status();
            tag |= uint64_t{*v + 1} << kValueShift;
          }
          keep->push_back({static_cast<uint32_t>(r), tag});
        }
        if (values) (*local_values)[i] = values->Take();
        return Status::Ok();
      },
      [&](size_t worker, std::span<const UnitRow> rows) {
        Worker& w = workers[worker];
        if (!w.chains) w.chains.emplace(q, range_start, range_end);
        w.ev.clear();
        for (const UnitRow& r : rows) {
          const uint32_t step_bits = static_cast<uint32_t>(r.tag & kStepBits);
          w.ev.push_back({r.ts, step_bits,
                          static_cast<uint32_t>((r.tag >> kExclusionShift) & 0x3ff),
                          (r.tag & kInterruptsBit) != 0 || step_bits != 0});
        }
        const ChainOutcome o = w.chains->Run(w.ev);
        if (o.furthest == 0) return Status::Ok();
        return fn(worker, rows, o);
      });
}

// The sources of a funnel: its days, the window after them and, in any-order mode, before them.
Result<SourceList> FunnelSources(const EmbeddedEventStore& store, const FunnelQuery& q,
                                 ColumnMask mask) {
  const int64_t window_days = (q.window_ms + kDayMs - 1) / kDayMs;
  const int32_t first_day =
      static_cast<int32_t>(q.from_day - (q.mode == FunnelMode::kAnyOrder ? window_days : 0));
  const int32_t last_day = static_cast<int32_t>(q.to_day + window_days);
  const UnitKind kind = q.unit == FunnelUnit::kSession ? UnitKind::kSession : UnitKind::kVisitor;
  return store.Snapshot(q.project_id, first_day, last_day, mask | UnitColumns(kind),
                        q.include_bots);
}

}  // namespace

Result<FunnelResult> EmbeddedEventStore::Funnel(const FunnelQuery& q) {
  TAP_RETURN_IF_ERROR(ValidateFunnelQuery(q));
  const ColumnMask mask = ColumnsOf(q);
  auto sources = FunnelSources(*this, q, mask);
  if (!sources.ok()) return sources.status();
  const size_t nsteps = q.steps.size();
  // Per worker: tallies, merged at the end.
  const size_t ndays = static_cast<size_t>(int64_t{q.to_day} - q.from_day + 1);
  struct Worker {
    std::vector<int64_t> ts, times;
    uint64_t excluded = 0;
    std::optional<Tally> total;
    std::map<std::string, Tally> by_value;
    std::vector<uint64_t> convert;             // time-to-convert buckets
    std::vector<uint64_t> entered, converted;  // per day of the range
  };
  std::vector<Worker> workers(UnitWorkers(*sources));
  std::optional<SessionAttrs> attrs;
  if (q.breakdown && IsSessionAttr(*q.breakdown)) {
    attrs.emplace();
    attrs->d = *q.breakdown;
    TAP_RETURN_IF_ERROR(attrs->d == Dimension::kEntryPage ? ReadEntryPages(*sources, q, &*attrs)
                                                          : ReadFirstSessions(*this, q, &*attrs));
  }
  std::vector<std::vector<std::string>> local_values;
  TAP_RETURN_IF_ERROR(
      RunFunnel(*sources, q, mask, attrs ? &*attrs : nullptr, &local_values,
                [&](size_t worker, std::span<const UnitRow> rows, const ChainOutcome& o) {
                  Worker& w = workers[worker];
                  if (!w.total) {
                    w.total.emplace(nsteps);
                    w.times.assign(nsteps, 0);
                    w.convert.assign(kFunnelConvertBuckets, 0);
                    w.entered.assign(ndays, 0);
                    w.converted.assign(ndays, 0);
                  }
                  if (o.excluded) {
                    ++w.excluded;
                    return Status::Ok();
                  }
                  w.ts.clear();
                  for (uint32_t e : o.chain) w.ts.push_back(rows[e].ts);
                  if (q.mode == FunnelMode::kAnyOrder) std::sort(w.ts.begin(), w.ts.end());
                  for (size_t s = 1; s < w.ts.size(); ++s) w.times[s] = w.ts[s] - w.ts[s - 1];
                  w.total->Add(o.furthest, w.times.data());
                  const int64_t day = DayOf(rows[o.chain[0]].ts) - int64_t{q.from_day};
                  if (day < 0 || day >= static_cast<int64_t>(ndays)) {
                    return Status::Internal("funnel: a step-1 event outside the range");
                  }
                  ++w.entered[static_cast<size_t>(day)];
                  if (o.furthest == nsteps) {
                    ++w.converted[static_cast<size_t>(day)];
                    ++w.convert[FunnelConvertBucket(w.ts.back() - w.ts.front())];
                  }
                  if (q.breakdown) {
                    const UnitRow& first = rows[o.chain[0]];
                    const uint64_t value = first.tag >> kValueShift;
                    const std::vector<std::string>& names =
                        attrs ? attrs->values : local_values[first.source];
                    if (value == 0 || value > names.size()) {
                      return Status::Internal("funnel: a step-1 event without its breakdown value");
                    }
                    w.by_value.try_emplace(names[value - 1], nsteps)
                        .first->second.Add(o.furthest, w.times.data());
                  }
                  return Status::Ok();
                }));

  FunnelResult r;
  Tally total(nsteps);
  std::map<std::string, Tally> by_value;
  r.time_to_convert.assign(kFunnelConvertBuckets, 0);
  r.days.resize(ndays);
  for (size_t d = 0; d < ndays; ++d) r.days[d].day = q.from_day + static_cast<int32_t>(d);
  for (Worker& w : workers) {
    if (!w.total) continue;
    r.excluded_units += w.excluded;
    for (size_t b = 0; b < kFunnelConvertBuckets; ++b) r.time_to_convert[b] += w.convert[b];
    for (size_t d = 0; d < ndays; ++d) {
      r.days[d].entered += w.entered[d];
      r.days[d].converted += w.converted[d];
    }
    total.Merge(std::move(*w.total));
    for (auto& [value, t] : w.by_value)
      by_value.try_emplace(value, nsteps).first->second.Merge(std::move(t));
  }
  r.steps = total.Steps();
  for (auto& [value, t] : by_value) r.breakdown.push_back({value, t.Steps()});
  std::stable_sort(r.breakdown.begin(), r.breakdown.end(),
                   [](const FunnelBreakdownRow& a, const FunnelBreakdownRow& b) {
                     return a.steps[0].units > b.steps[0].units;
                   });
  r.breakdown.resize(std::min(r.breakdown.size(), q.breakdown_limit));
  return r;
}

Result<FunnelMembersResult> EmbeddedEventStore::FunnelMembers(const FunnelMembersQuery& mq) {
  TAP_RETURN_IF_ERROR(ValidateFunnelMembersQuery(mq));
  FunnelQuery q = mq.funnel;
  q.breakdown.reset();
  const ColumnMask mask = ColumnsOf(q);
  // Memtable copies also keep what a member shows (segments read it for the members only).
  const ColumnMask shown = Bit(ColumnId::kSession) | Bit(ColumnId::kAnonymous) |
                           Bit(ColumnId::kDevice) | Bit(ColumnId::kCountry);
  auto sources = FunnelSources(*this, q, mask | shown);
  if (!sources.ok()) return sources.status();
  // Every member's step-1 row; ids and attributes are read afterwards for the latest ones only.
  struct Candidate {
    int64_t entered, reached;
    uint32_t source, row;
  };
  std::vector<std::vector<Candidate>> found(UnitWorkers(*sources));
  std::vector<std::vector<std::string>> unused;
  TAP_RETURN_IF_ERROR(
      RunFunnel(*sources, q, mask, nullptr, &unused,
                [&](size_t worker, std::span<const UnitRow> rows, const ChainOutcome& o) {
                  if (o.excluded || o.furthest != mq.furthest) return Status::Ok();
                  const UnitRow& first = rows[o.chain[0]];
                  int64_t reached = first.ts;
                  for (uint32_t e : o.chain) reached = std::max(reached, rows[e].ts);
                  found[worker].push_back({first.ts, reached, first.source, first.row});
                  return Status::Ok();
                }));
  std::vector<Candidate> all;
  for (auto& f : found) all.insert(all.end(), f.begin(), f.end());
  FunnelMembersResult r;
  r.total = all.size();
  // Keep the latest `limit` by entry time, and every unit tied with the last of them (the tie
  // is broken by unit id, read below).
  if (all.size() > mq.limit) {
    std::nth_element(all.begin(), all.begin() + static_cast<ptrdiff_t>(mq.limit - 1), all.end(),
                     [](const Candidate& a, const Candidate& b) { return a.entered > b.entered; });
    const int64_t cutoff = all[mq.limit - 1].entered;
    all.erase(std::remove_if(all.begin(), all.end(),
                             [&](const Candidate& c) { return c.entered < cutoff; }),
              all.end());
  }
  std::map<uint32_t, std::vector<size_t>> by_source;
  for (size_t k = 0; k < all.size(); ++k) by_source[all[k].source].push_back(k);
  r.members.resize(all.size());
  const bool by_session = q.unit == FunnelUnit::kSession;
  for (const auto& [source, indices] : by_source) {
    Columns scratch;
    auto got = (*sources)[source]->Get(shown, &scratch);
    if (!got.ok()) return got.status();
    const Columns& c = **got;
    for (size_t k : indices) {
      const uint32_t row = all[k].row;
      FunnelMember& m = r.members[k];
      m.session_id = c.session.dict[c.session.codes[row]];
      m.unit_id = by_session ? m.session_id : c.anonymous.dict[c.anonymous.codes[row]];
      m.entered_ms = all[k].entered;
      m.reached_ms = all[k].reached;
      m.device_class = static_cast<DeviceClass>(c.device[row]);
      m.country = CountryValue(c.country[row]);
    }
  }
  std::sort(r.members.begin(), r.members.end(), [](const FunnelMember& a, const FunnelMember& b) {
    return a.entered_ms != b.entered_ms ? a.entered_ms > b.entered_ms : a.unit_id < b.unit_id;
  });
  if (r.members.size() > mq.limit) r.members.resize(mq.limit);
  return r;
}

}  // namespace tapistry::store
