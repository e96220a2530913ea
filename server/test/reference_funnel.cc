// Funnels by brute force (tapistry/funnel.h): for each unit, every chain of distinct events is
// enumerated, step by step, and the rules of funnel.h are checked on it literally. Exponential
// in the number of steps — fine for the small cases the tests give it, and the point is that
// nothing here is clever enough to be wrong in a way an engine could share.
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "reference_event_store.h"

namespace tapistry::reference {
namespace {

// One step (or exclusion) with its regex compiled once.
struct Matcher {
  FunnelStep step;
  std::optional<std::regex> re;

  explicit Matcher(const FunnelStep& s) : step(s) {
    if (!s.path.empty() && s.path_match == PathMatch::kRegex)
      re.emplace(s.path, std::regex::ECMAScript);
  }

  bool PathMatches(const std::string& path) const {
    switch (step.path_match) {
      case PathMatch::kEquals:
        return path == step.path;
      case PathMatch::kPrefix:
        return path.starts_with(step.path);
      case PathMatch::kContains:
        return path.find(step.path) != std::string::npos;
      case PathMatch::kRegex:
        return std::regex_search(path, *re);
    }
    return false;
  }

  // props[property] == value: a JSON string equal to it, or an integer or boolean whose text is it.
  bool PropertyMatches(const std::string& props) const {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(props).get(doc)) return false;
    simdjson::dom::element v;
    if (doc.at_key(step.property).get(v)) return false;
    switch (v.type()) {
      case simdjson::dom::element_type::STRING:
        return std::string_view(v) == step.value;
      case simdjson::dom::element_type::INT64:
        return std::to_string(int64_t(v)) == step.value;
      case simdjson::dom::element_type::UINT64:
        return std::to_string(uint64_t(v)) == step.value;
      case simdjson::dom::element_type::BOOL:
        return (bool(v) ? "true" : "false") == step.value;
      default:
        return false;
    }
  }

  bool Matches(const Event& e) const {
    switch (step.type) {
      case FunnelStepType::kPageView:
        if (e.type != EventType::kPageView) return false;
        break;
      case FunnelStepType::kClick:
        if (e.type != EventType::kClick) return false;
        if (!step.selector.empty() && e.selector != step.selector) return false;
        if (step.selector_hash != 0 && e.selector_hash != step.selector_hash) return false;
        break;
      case FunnelStepType::kCustom:
        if (e.type != EventType::kCustom || e.name != step.name) return false;
        if (!step.property.empty() && !PropertyMatches(e.props)) return false;
        break;
    }
    for (const FunnelStepFilter& f : step.filters) {
      if (ValueOf(e, f.dimension) != f.value) return false;
    }
    return step.path.empty() || PathMatches(e.path);
  }
};

// The types a strict funnel does not allow between two steps.
bool Interrupts(const Event& e) {
  return e.type == EventType::kPageView || e.type == EventType::kClick ||
         e.type == EventType::kCustom;
}

// One unit's events, ascending by (ts, event_id), and which steps each one matches.
struct Unit {
  std::vector<const Event*> events;
  std::vector<std::vector<bool>> matches;  // [event][step]
};

// What one unit contributes: its furthest step and its chain (indices into Unit::events).
struct Outcome {
  size_t furthest = 0;
  std::vector<size_t> chain;
};

class ChainSearch {
 public:
  ChainSearch(const Unit& unit, const FunnelQuery& q) : u_(unit), q_(q) {}

  // Every chain, by depth-first enumeration; for each length, the earliest one.
  Outcome Run() {
    best_.assign(q_.steps.size() + 1, {});
    Extend({});
    Outcome o;
    for (size_t k = q_.steps.size(); k >= 1; --k) {
      if (!best_[k].empty()) {
        o.furthest = k;
        o.chain = best_[k];
        break;
      }
    }
    return o;
  }

 private:
  int64_t Ts(size_t i) const { return u_.events[i]->ts_ms; }

  // Whether `chain` (steps 1..chain.size()) obeys every rule of funnel.h.
  bool Valid(const std::vector<size_t>& chain) const {
    const Event& first = *u_.events[chain[0]];
    const int32_t day = DayOf(first.ts_ms);
    if (day < q_.from_day || day > q_.to_day) return false;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i : chain) {
      lo = std::min(lo, Ts(i));
      hi = std::max(hi, Ts(i));
    }
    if (hi - lo > q_.window_ms) return false;
    if (q_.mode == FunnelMode::kAnyOrder) return true;
    for (size_t s = 1; s < chain.size(); ++s) {
      if (Ts(chain[s]) < Ts(chain[s - 1])) return false;
    }
    if (q_.mode == FunnelMode::kStrict) {
      const std::set<size_t> in_chain(chain.begin(), chain.end());
      for (size_t s = 1; s < chain.size(); ++s) {
        for (size_t i = 0; i < u_.events.size(); ++i) {
          if (in_chain.count(i) || !Interrupts(*u_.events[i])) continue;
          if (Ts(i) > Ts(chain[s - 1]) && Ts(i) < Ts(chain[s])) return false;
        }
      }
    }
    return true;
  }

  // Earlier in funnel.h's order: step-1 event (ts, event_id), then step 2's, and so on.
  bool Earlier(const std::vector<size_t>& a, const std::vector<size_t>& b) const {
    for (size_t s = 0; s < a.size(); ++s) {
      const Event& x = *u_.events[a[s]];
      const Event& y = *u_.events[b[s]];
      if (std::pair(x.ts_ms, x.event_id) != std::pair(y.ts_ms, y.event_id)) {
        return std::pair(x.ts_ms, x.event_id) < std::pair(y.ts_ms, y.event_id);
      }
    }
    return false;
  }

  void Extend(std::vector<size_t> chain) {
    const size_t step = chain.size();
    if (step == q_.steps.size()) return;
    for (size_t i = 0; i < u_.events.size(); ++i) {
      if (!u_.matches[i][step]) continue;
      if (std::find(chain.begin(), chain.end(), i) != chain.end()) continue;  // one step per event
      chain.push_back(i);
      if (Valid(chain)) {
        std::vector<size_t>& best = best_[chain.size()];
        if (best.empty() || Earlier(chain, best)) best = chain;
        Extend(chain);
      }
      chain.pop_back();
    }
  }

  const Unit& u_;
  const FunnelQuery& q_;
  std::vector<std::vector<size_t>> best_;  // [length] -> earliest chain of that length
};

// Units that reached each step, and the times to each step from the previous one.
struct Tally {
  std::vector<uint64_t> units;
  std::vector<std::vector<int64_t>> times;  // [step] -> one per unit that reached it

  explicit Tally(size_t steps) : units(steps, 0), times(steps) {}

  std::vector<FunnelStepResult> Steps() const {
    std::vector<FunnelStepResult> out(units.size());
    for (size_t s = 0; s < units.size(); ++s) {
      out[s].units = units[s];
      std::vector<int64_t> t = times[s];
      std::sort(t.begin(), t.end());
      for (int64_t x : t) out[s].total_ms_from_previous += static_cast<uint64_t>(x);
      if (!t.empty()) {
        out[s].median_ms_from_previous = static_cast<uint64_t>(t[(t.size() - 1) / 2]);
        // ceil(0.9 n) - 1, as the contract words it.
        size_t rank = 0;
        while (rank * 10 < t.size() * 9) ++rank;
        out[s].p90_ms_from_previous = static_cast<uint64_t>(t[rank - 1]);
      }
    }
    return out;
  }
};

}  // namespace

bool MatchesStep(const Event& e, const FunnelStep& step) { return Matcher(step).Matches(e); }

namespace {

// Every unit in the funnel, one call each: fn(unit, outcome, excluded).
template <typename Fn>
Status ForEachOutcome(const std::vector<Event>& events, const FunnelQuery& q, Fn fn) {
  TAP_RETURN_IF_ERROR(ValidateFunnelQuery(q));
  std::vector<Matcher> steps, exclusions;
  for (const FunnelStep& s : q.steps) steps.emplace_back(s);
  for (const FunnelExclusion& x : q.exclusions) exclusions.emplace_back(x.step);

  std::map<Uuid, Unit> units;
  for (const Event& e : events) {
    if (e.project_id != q.project_id || (!q.include_bots && IsBotScore(e.bot_score))) continue;
    units[q.unit == FunnelUnit::kSession ? e.session_id : e.anonymous_id].events.push_back(&e);
  }
  for (auto& [key, u] : units) {
    std::sort(u.events.begin(), u.events.end(), [](const Event* a, const Event* b) {
      return std::pair(a->ts_ms, a->event_id) < std::pair(b->ts_ms, b->event_id);
    });
    for (const Event* e : u.events) {
      std::vector<bool> m;
      for (const Matcher& s : steps) m.push_back(s.Matches(*e));
      u.matches.push_back(std::move(m));
    }
    const Outcome o = ChainSearch(u, q).Run();
    if (o.furthest == 0) continue;  // no step-1 event in the range: not in the funnel

    bool excluded = false;
    for (size_t x = 0; x < q.exclusions.size() && !excluded; ++x) {
      const FunnelExclusion& ex = q.exclusions[x];
      if (o.furthest < ex.to_step) continue;
      const int64_t a = u.events[o.chain[ex.from_step - 1]]->ts_ms;
      const int64_t b = u.events[o.chain[ex.to_step - 1]]->ts_ms;
      for (size_t i = 0; i < u.events.size() && !excluded; ++i) {
        if (std::find(o.chain.begin(), o.chain.end(), i) != o.chain.end()) continue;
        const int64_t t = u.events[i]->ts_ms;
        excluded = t > std::min(a, b) && t < std::max(a, b) && exclusions[x].Matches(*u.events[i]);
      }
    }
    fn(key, u, o, excluded);
  }
  return Status::Ok();
}

// The breakdown value of a unit whose chain starts at `first` (funnel.h "Breakdown"): the
// event's own field, or an attribute of its session read off every event the funnel sees.
std::string BreakdownValue(const std::vector<Event>& events, const FunnelQuery& q,
                           const Event& first) {
  const Dimension d = *q.breakdown;
  if (d != Dimension::kEntryPage && d != Dimension::kVisitorType) return ValueOf(first, d);
  const Event* earliest = nullptr;
  for (const Event& e : events) {
    if (e.project_id != q.project_id || (!q.include_bots && IsBotScore(e.bot_score))) continue;
    if (d == Dimension::kEntryPage) {
      const int32_t day = DayOf(e.ts_ms);
      if (e.session_id != first.session_id || e.type != EventType::kPageView || day < q.from_day ||
          day > q.to_day) {
        continue;
      }
    } else if (e.anonymous_id != first.anonymous_id) {
      continue;
    }
    if (earliest == nullptr ||
        std::pair(e.ts_ms, e.event_id) < std::pair(earliest->ts_ms, earliest->event_id)) {
      earliest = &e;
    }
  }
  if (d == Dimension::kEntryPage) return earliest == nullptr ? "" : earliest->path;
  // `first` itself is a candidate, so there is an earliest event.
  return std::string(earliest->session_id == first.session_id ? kFirstVisitor : kReturningVisitor);
}

}  // namespace

Result<FunnelResult> ComputeFunnel(const std::vector<Event>& events, const FunnelQuery& q) {
  Tally total(q.steps.size());
  std::map<std::string, Tally> by_value;
  FunnelResult r;
  r.time_to_convert.assign(kFunnelConvertBuckets, 0);
  for (int32_t d = q.from_day; d <= q.to_day; ++d) r.days.push_back({d, 0, 0});
  TAP_RETURN_IF_ERROR(
      ForEachOutcome(events, q, [&](const Uuid&, const Unit& u, const Outcome& o, bool excluded) {
        if (excluded) {
          ++r.excluded_units;
          return;
        }
        std::vector<int64_t> ts;
        for (size_t i : o.chain) ts.push_back(u.events[i]->ts_ms);
        if (q.mode == FunnelMode::kAnyOrder) std::sort(ts.begin(), ts.end());
        auto add = [&](Tally& t) {
          for (size_t s = 0; s < o.furthest; ++s) {
            ++t.units[s];
            if (s > 0) t.times[s].push_back(ts[s] - ts[s - 1]);
          }
        };
        add(total);
        const bool converted = o.furthest == q.steps.size();
        FunnelDay& day =
            r.days.at(static_cast<size_t>(DayOf(u.events[o.chain[0]]->ts_ms) - q.from_day));
        ++day.entered;
        if (converted) {
          ++day.converted;
          const int64_t ms = ts.back() - ts.front();
          size_t b = 0;  // the first bucket whose upper bound is above ms
          while (b < std::size(kFunnelConvertBucketMs) && !(ms < kFunnelConvertBucketMs[b])) ++b;
          ++r.time_to_convert[b];
        }
        if (q.breakdown) {
          const std::string value = BreakdownValue(events, q, *u.events[o.chain[0]]);
          add(by_value.try_emplace(value, q.steps.size()).first->second);
        }
      }));
  r.steps = total.Steps();
  for (const auto& [value, t] : by_value) r.breakdown.push_back({value, t.Steps()});
  std::stable_sort(r.breakdown.begin(), r.breakdown.end(),
                   [](const FunnelBreakdownRow& a, const FunnelBreakdownRow& b) {
                     return a.steps[0].units > b.steps[0].units;
                   });
  r.breakdown.resize(std::min(r.breakdown.size(), q.breakdown_limit));
  return r;
}

Result<FunnelMembersResult> ComputeFunnelMembers(const std::vector<Event>& events,
                                                 const FunnelMembersQuery& q) {
  TAP_RETURN_IF_ERROR(ValidateFunnelMembersQuery(q));
  FunnelMembersResult r;
  TAP_RETURN_IF_ERROR(ForEachOutcome(
      events, q.funnel, [&](const Uuid& key, const Unit& u, const Outcome& o, bool excluded) {
        if (excluded || o.furthest != q.furthest) return;
        ++r.total;
        const Event& first = *u.events[o.chain[0]];
        FunnelMember m;
        m.unit_id = key;
        m.session_id = first.session_id;
        m.entered_ms = first.ts_ms;
        m.reached_ms = first.ts_ms;
        for (size_t i : o.chain) m.reached_ms = std::max(m.reached_ms, u.events[i]->ts_ms);
        m.device_class = first.device_class;
        m.country = ValueOf(first, Dimension::kCountry);
        r.members.push_back(m);
      }));
  std::sort(r.members.begin(), r.members.end(), [](const FunnelMember& a, const FunnelMember& b) {
    return a.entered_ms != b.entered_ms ? a.entered_ms > b.entered_ms : a.unit_id < b.unit_id;
  });
  if (r.members.size() > q.limit) r.members.resize(q.limit);
  return r;
}

Result<FunnelResult> ReferenceEventStore::Funnel(const FunnelQuery& q) {
  return ComputeFunnel(events(), q);
}

Result<FunnelMembersResult> ReferenceEventStore::FunnelMembers(const FunnelMembersQuery& q) {
  return ComputeFunnelMembers(events(), q);
}

}  // namespace tapistry::reference
