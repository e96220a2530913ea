#include "api/funnel_json.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <regex>

#include "api/api_common.h"
#include "common/json_writer.h"
#include "common/params.h"
#include "tapistry/event.h"
#include "tapistry/event_store.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

Status Bad(const std::string& where, const std::string& what) {
  return Status::InvalidArgument(where.empty() ? what : where + ": " + what);
}

std::string Join(const std::string& where, const char* key) {
  return where.empty() ? std::string(key) : where + " " + key;
}

Status GetString(element v, const std::string& where, size_t max, std::string* out) {
  if (v.type() != element_type::STRING) return Bad(where, "must be a string");
  std::string_view s(v);
  if (s.size() > max) return Bad(where, "is longer than " + std::to_string(max) + " bytes");
  if (s.find('\0') != std::string_view::npos) return Bad(where, "must not contain a NUL character");
  out->assign(s);
  return Status::Ok();
}

// A JSON integer (not 1.0, not "1") in [min, max].
Status GetInt(element v, const std::string& where, int64_t min, int64_t max, int64_t* out) {
  int64_t n = 0;
  if (v.type() == element_type::INT64) {
    n = int64_t(v);
  } else if (v.type() == element_type::UINT64) {
    n = INT64_MAX;  // above every max we use
  } else {
    return Bad(where, "must be an integer " + std::to_string(min) + ".." + std::to_string(max));
  }
  if (n < min || n > max)
    return Bad(where, "must be an integer " + std::to_string(min) + ".." + std::to_string(max));
  *out = n;
  return Status::Ok();
}

// A day as the read API takes it: "YYYY-MM-DD", or a millisecond time (a JSON integer or a string
// of digits) in [kEarliestQueryMs, kLatestQueryMs).
Status GetDay(element v, const char* where, int32_t* day) {
  const std::string form = " must be YYYY-MM-DD or a millisecond time between 2000 and 2200";
  std::string text;
  if (v.type() == element_type::STRING) {
    text = std::string(std::string_view(v));
  } else if (v.type() == element_type::INT64) {
    text = std::to_string(int64_t(v));
  } else {
    return Status::InvalidArgument(where + form);
  }
  if (text.size() > limits::kMaxQueryParamBytes || !ParseDayParam(text, day))
    return Status::InvalidArgument(where + form);
  return Status::Ok();
}

// Exponential shapes for a backtracking engine: a repeated group that itself repeats or
// alternates ("(a+)+", "(a|aa)*"), and back-references. Also caps the unbounded repetitions,
// each of which multiplies the work on a long path.
constexpr int kMaxUnboundedRepeats = 4;

}  // namespace

Status CheckFunnelRegex(std::string_view p) {
  if (p.size() > kMaxFunnelPatternBytes) return Status::InvalidArgument("is longer than 512 bytes");
  struct Group {
    bool risky = false;  // holds a repetition or an alternation
  };
  std::vector<Group> groups{Group{}};  // [0]: the whole pattern
  int unbounded = 0;
  auto quantifier_at = [&](size_t i, bool* unbounded_q) {
    if (i >= p.size()) return false;
    const char c = p[i];
    if (c == '*' || c == '+') {
      *unbounded_q = true;
      return true;
    }
    if (c == '?') {
      *unbounded_q = false;
      return true;
    }
    if (c == '{') {
      // {n}, {n,m} (bounded) or {n,} (unbounded); a '{' that opens none of them is a literal
      const size_t close = p.find('}', i);
      if (close == std::string_view::npos) return false;
      const std::string_view body = p.substr(i + 1, close - i - 1);
      if (body.empty() || body.find_first_not_of("0123456789,") != std::string_view::npos)
        return false;
      const size_t comma = body.find(',');
      *unbounded_q = comma != std::string_view::npos && comma + 1 == body.size();
      return true;
    }
    return false;
  };
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    bool unb = false;
    if (c == '\\') {
      if (i + 1 < p.size() && p[i + 1] >= '1' && p[i + 1] <= '9') {
        return Status::InvalidArgument(
            "back-references (\\1) are not allowed in a funnel step's regex");
      }
      ++i;
      if (quantifier_at(i + 1, &unb)) {
        groups.back().risky = true;
        unbounded += unb;
      }
      continue;
    }
    if (c == '[') {
      // a character class: up to its closing ']' ("[]]" and "[^]]" hold a ']')
      size_t j = i + 1;
      if (j < p.size() && p[j] == '^') ++j;
      if (j < p.size() && p[j] == ']') ++j;
      for (; j < p.size() && p[j] != ']'; ++j) {
        if (p[j] == '\\') ++j;
      }
      i = j;
      if (quantifier_at(i + 1, &unb)) {
        groups.back().risky = true;
        unbounded += unb;
      }
      continue;
    }
    if (c == '(') {
      groups.push_back(Group{});
      continue;
    }
    if (c == '|') {
      groups.back().risky = true;
      continue;
    }
    if (c == ')') {
      if (groups.size() == 1) continue;  // unbalanced: std::regex refuses it later
      const Group g = groups.back();
      groups.pop_back();
      if (quantifier_at(i + 1, &unb)) {
        const bool repeats = p[i + 1] != '?';
        if (repeats && g.risky) {
          return Status::InvalidArgument(
              "a repeated group that itself repeats or has alternatives ((a+)+, (a|b)*) can take "
              "exponential time; "
              "simplify the regex");
        }
        unbounded += unb;
        groups.back().risky = true;
      }
      if (g.risky) groups.back().risky = true;
      continue;
    }
    if (quantifier_at(i, &unb)) {
      // counted with what precedes it; but a repetition of a repetition ("a**", "a+{2,}") is
      // "(a*)*" in disguise
      size_t end = c == '{' ? p.find('}', i) + 1 : i + 1;
      if (end < p.size() && p[end] == '?') ++end;  // lazy
      bool ignored = false;
      if (c != '?' && quantifier_at(end, &ignored)) {
        return Status::InvalidArgument(
            "a repetition of a repetition (a**, a+{2,}) can take exponential time; simplify the "
            "regex");
      }
      continue;
    }
    if (quantifier_at(i + 1, &unb)) {
      groups.back().risky = true;
      unbounded += unb;
    }
  }
  if (unbounded > kMaxUnboundedRepeats) {
    return Status::InvalidArgument("more than " + std::to_string(kMaxUnboundedRepeats) +
                                   " unbounded repetitions (*, +, {n,}) in one regex");
  }
  try {
    std::regex re(std::string(p), std::regex::ECMAScript);
  } catch (const std::regex_error&) {
    return Status::InvalidArgument("is not a valid regular expression (ECMAScript)");
  }
  return Status::Ok();
}

namespace {

std::string DefaultLabel(const FunnelStep& s) {
  auto path_text = [&]() -> std::string {
    switch (s.path_match) {
      case PathMatch::kEquals:
        return s.path;
      case PathMatch::kPrefix:
        return s.path + "*";
      case PathMatch::kContains:
        return "*" + s.path + "*";
      case PathMatch::kRegex:
        return "~" + s.path;
    }
    return s.path;
  };
  std::string out;
  switch (s.type) {
    case FunnelStepType::kPageView:
      out = path_text();
      break;
    case FunnelStepType::kClick:
      out = "Click " +
            (s.selector.empty() ? "element " + std::to_string(s.selector_hash) : s.selector);
      if (!s.path.empty()) out += " on " + path_text();
      break;
    case FunnelStepType::kCustom:
      out = s.name;
      if (!s.property.empty()) out += " (" + s.property + " = " + s.value + ")";
      if (!s.path.empty()) out += " on " + path_text();
      break;
  }
  for (size_t i = 0; i < s.filters.size(); ++i) {
    out += (i == 0 ? " [" : ", ") + std::string(DimensionName(s.filters[i].dimension)) + " = " +
           s.filters[i].value + (i + 1 == s.filters.size() ? "]" : "");
  }
  return out;
}

// One step (or, with `exclusion`, an exclusion: a step plus from_step / to_step).
Status ParseStep(element v, const std::string& where, FunnelStep* s, std::string* label,
                 FunnelExclusion* exclusion, size_t steps) {
  if (v.type() != element_type::OBJECT) return Bad(where, "must be an object");
  bool has_type = false, has_match = false, has_from = false, has_to = false;
  for (auto [key, value] : v.get_object()) {
    const std::string k = std::string(key);
    const std::string at = where + " " + k;
    if (k == "type") {
      std::string t;
      TAP_RETURN_IF_ERROR(GetString(value, at, 32, &t));
      if (!ParseFunnelStepType(t, &s->type)) return Bad(at, "must be page_view, click or custom");
      has_type = true;
    } else if (k == "label") {
      TAP_RETURN_IF_ERROR(GetString(value, at, limits::kMaxFunnelLabelBytes, label));
    } else if (k == "path") {
      TAP_RETURN_IF_ERROR(GetString(value, at, kMaxFunnelPatternBytes, &s->path));
    } else if (k == "match") {
      std::string m;
      TAP_RETURN_IF_ERROR(GetString(value, at, 32, &m));
      if (!ParsePathMatch(m, &s->path_match))
        return Bad(at, "must be equals, prefix, contains or regex");
      has_match = true;
    } else if (k == "selector") {
      TAP_RETURN_IF_ERROR(GetString(value, at, kMaxFunnelPatternBytes, &s->selector));
    } else if (k == "selector_hash") {
      // A decimal string (64-bit hashes do not survive a JavaScript number), or an integer.
      if (value.type() == element_type::STRING) {
        const std::string_view t(value);
        uint64_t h = 0;
        auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), h);
        if (t.empty() || ec != std::errc() || p != t.data() + t.size()) {
          return Bad(at, "must be a decimal string of a 64-bit number (as /api/elements gives it)");
        }
        s->selector_hash = h;
      } else if (value.type() == element_type::UINT64 || value.type() == element_type::INT64) {
        if (value.type() == element_type::INT64 && int64_t(value) < 0)
          return Bad(at, "must not be negative");
        s->selector_hash =
            value.type() == element_type::UINT64 ? uint64_t(value) : uint64_t(int64_t(value));
      } else {
        return Bad(at, "must be a decimal string of a 64-bit number (as /api/elements gives it)");
      }
    } else if (k == "event") {
      TAP_RETURN_IF_ERROR(GetString(value, at, kMaxFunnelPatternBytes, &s->name));
    } else if (k == "property") {
      TAP_RETURN_IF_ERROR(GetString(value, at, kMaxFunnelPatternBytes, &s->property));
    } else if (k == "value") {
      TAP_RETURN_IF_ERROR(GetString(value, at, kMaxFunnelPatternBytes, &s->value));
    } else if (k == "filters") {
      // {"device": "mobile", "country": "DE", …}: the step's event must have these values.
      if (value.type() != element_type::OBJECT)
        return Bad(at, "must be an object of dimension: value (e.g. {\"device\":\"mobile\"})");
      for (auto [fkey, fvalue] : value.get_object()) {
        const std::string fk(fkey);
        FunnelStepFilter f;
        if (!ParseDimension(fk, &f.dimension) || f.dimension == Dimension::kEntryPage) {
          return Bad(Join(at, (fk.size() > 40 ? fk.substr(0, 40) + "…" : fk).c_str()),
                     "must be one of page, referrer, utm_source, utm_medium, utm_campaign, "
                     "device, browser, os, country");
        }
        TAP_RETURN_IF_ERROR(
            GetString(fvalue, Join(at, fk.c_str()), kMaxFunnelPatternBytes, &f.value));
        s->filters.push_back(std::move(f));
      }
      if (s->filters.size() > kMaxFunnelStepFilters) return Bad(at, "at most 10 filters");
    } else if (exclusion != nullptr && (k == "from_step" || k == "to_step")) {
      int64_t n = 0;
      TAP_RETURN_IF_ERROR(GetInt(value, at, 1, static_cast<int64_t>(kMaxFunnelSteps), &n));
      (k == "from_step" ? exclusion->from_step : exclusion->to_step) = static_cast<size_t>(n);
      (k == "from_step" ? has_from : has_to) = true;
    } else {
      return Bad(where, "unknown field \"" + (k.size() > 40 ? k.substr(0, 40) + "…" : k) + "\"");
    }
  }
  if (!has_type) return Bad(where, "type is required (page_view, click or custom)");
  if (has_match && s->path.empty()) return Bad(where, "match needs a path");
  switch (s->type) {
    case FunnelStepType::kPageView:
      if (s->path.empty()) return Bad(where, "a page_view step needs a path");
      break;
    case FunnelStepType::kClick:
      if (s->selector.empty() && s->selector_hash == 0)
        return Bad(where, "a click step needs a selector or a selector_hash");
      break;
    case FunnelStepType::kCustom:
      if (s->name.empty()) return Bad(where, "a custom step needs an event name (event)");
      break;
  }
  if (s->type != FunnelStepType::kClick && (!s->selector.empty() || s->selector_hash != 0)) {
    return Bad(where, "selector and selector_hash are for click steps only");
  }
  if (s->type != FunnelStepType::kCustom &&
      (!s->name.empty() || !s->property.empty() || !s->value.empty())) {
    return Bad(where, "event, property and value are for custom steps only");
  }
  if (s->property.empty() && !s->value.empty()) return Bad(where, "value needs a property");
  if (!s->path.empty()) {
    if ((s->path_match == PathMatch::kEquals || s->path_match == PathMatch::kPrefix) &&
        s->path[0] != '/') {
      return Bad(Join(where, "path"),
                 "must start with / (paths are stored normalized: /pricing); use contains or regex "
                 "for a part");
    }
    if (s->path_match == PathMatch::kRegex) {
      Status re = CheckFunnelRegex(s->path);
      if (!re.ok()) return Bad(Join(where, "path"), re.message());
    }
  }
  if (exclusion != nullptr) {
    if (!has_from) exclusion->from_step = 1;
    if (!has_to) exclusion->to_step = steps;
    if (exclusion->from_step >= exclusion->to_step || exclusion->to_step > steps) {
      return Bad(where, "needs 1 <= from_step < to_step <= " + std::to_string(steps) +
                            " (the number of steps)");
    }
  }
  return Status::Ok();
}

Status ParseBreakdownName(element v, const std::string& where, std::optional<Dimension>* out) {
  std::string name;
  TAP_RETURN_IF_ERROR(GetString(v, where, 32, &name));
  Dimension d;
  if (name.empty()) {
    out->reset();
    return Status::Ok();
  }
  if (!ParseFunnelBreakdown(name, &d)) {
    return Bad(where,
               "must be page, entry_page, referrer, utm_source, utm_medium, utm_campaign, device, "
               "browser, os, country or visitor_type");
  }
  *out = d;
  return Status::Ok();
}

// The definition object (steps, exclusions, mode, unit, window_ms, breakdown) into f.
Status ParseDefinitionObject(element def, FunnelRequest* f) {
  if (def.type() != element_type::OBJECT) return Bad("definition", "must be an object");
  FunnelQuery& q = f->query;
  q.window_ms = kDefaultFunnelWindowMs;
  element steps_el, excl_el;
  bool has_steps = false, has_excl = false;
  for (auto [key, value] : def.get_object()) {
    const std::string k = std::string(key);
    if (k == "steps") {
      steps_el = value;
      has_steps = true;
    } else if (k == "exclusions") {
      excl_el = value;
      has_excl = true;
    } else if (k == "mode") {
      std::string m;
      TAP_RETURN_IF_ERROR(GetString(value, "mode", 32, &m));
      if (!ParseFunnelMode(m, &q.mode))
        return Bad("mode", "must be sequential, strict or any_order");
    } else if (k == "unit") {
      std::string u;
      TAP_RETURN_IF_ERROR(GetString(value, "unit", 32, &u));
      if (!ParseFunnelUnit(u, &q.unit)) return Bad("unit", "must be session or visitor");
    } else if (k == "window_ms") {
      TAP_RETURN_IF_ERROR(GetInt(value, "window_ms", 0, kMaxFunnelWindowMs, &q.window_ms));
    } else if (k == "breakdown") {
      TAP_RETURN_IF_ERROR(ParseBreakdownName(value, "breakdown", &q.breakdown));
    } else {
      return Bad("definition",
                 "unknown field \"" + (k.size() > 40 ? k.substr(0, 40) + "…" : k) + "\"");
    }
  }
  if (!has_steps) return Bad("definition", "steps is required (2 to 20 steps)");
  if (steps_el.type() != element_type::ARRAY) return Bad("steps", "must be an array");
  const size_t n = simdjson::dom::array(steps_el).size();
  if (n < limits::kMinFunnelSteps || n > kMaxFunnelSteps) {
    return Bad("steps", "a funnel has " + std::to_string(limits::kMinFunnelSteps) + " to " +
                            std::to_string(kMaxFunnelSteps) + " steps, not " + std::to_string(n));
  }
  for (element s : steps_el.get_array()) {
    FunnelStep step;
    std::string label;
    TAP_RETURN_IF_ERROR(
        ParseStep(s, "step " + std::to_string(q.steps.size() + 1), &step, &label, nullptr, 0));
    q.steps.push_back(std::move(step));
    f->user_labels.push_back(label);
    f->labels.push_back(label.empty() ? DefaultLabel(q.steps.back()) : label);
  }
  if (has_excl) {
    if (excl_el.type() != element_type::ARRAY) return Bad("exclusions", "must be an array");
    const size_t m = simdjson::dom::array(excl_el).size();
    if (m > kMaxFunnelExclusions) {
      return Bad("exclusions",
                 "at most " + std::to_string(kMaxFunnelExclusions) + ", not " + std::to_string(m));
    }
    for (element x : excl_el.get_array()) {
      FunnelExclusion ex;
      std::string label;
      TAP_RETURN_IF_ERROR(ParseStep(x, "exclusion " + std::to_string(q.exclusions.size() + 1),
                                    &ex.step, &label, &ex, q.steps.size()));
      q.exclusions.push_back(std::move(ex));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<FunnelRequest> ParseFunnelQueryBody(std::string_view body, const std::string& project_id,
                                           int64_t now_ms) {
  simdjson::dom::parser parser;
  element doc;
  if (parser.parse(body.data(), body.size()).get(doc))
    return Status::InvalidArgument("the body must be JSON");
  if (doc.type() != element_type::OBJECT)
    return Status::InvalidArgument("the body must be a JSON object");
  FunnelRequest f;
  FunnelQuery& q = f.query;
  q.project_id = project_id;
  const int32_t today = DayOf(now_ms);
  q.to_day = today;
  q.from_day = today - 6;
  bool has_from = false, has_to = false, has_def = false;
  element def, options;
  bool has_options = false;
  std::optional<Dimension> breakdowns;
  bool has_breakdowns = false;
  for (auto [key, value] : doc.get_object()) {
    const std::string k = std::string(key);
    if (k == "project_id") {
      std::string p;
      TAP_RETURN_IF_ERROR(GetString(value, "project_id", 200, &p));
      if (p != project_id) {
        return Status::PermissionDenied(
            "the body's project_id is not the project this request was authorized for");
      }
    } else if (k == "from") {
      TAP_RETURN_IF_ERROR(GetDay(value, "from", &q.from_day));
      has_from = true;
    } else if (k == "to") {
      TAP_RETURN_IF_ERROR(GetDay(value, "to", &q.to_day));
      has_to = true;
    } else if (k == "definition") {
      def = value;
      has_def = true;
    } else if (k == "breakdowns") {
      if (value.type() != element_type::ARRAY)
        return Bad("breakdowns", "must be an array of at most one dimension");
      simdjson::dom::array a(value);
      if (a.size() > 1) return Bad("breakdowns", "a funnel breaks down by one dimension at a time");
      for (element d : a) TAP_RETURN_IF_ERROR(ParseBreakdownName(d, "breakdowns", &breakdowns));
      has_breakdowns = true;
    } else if (k == "breakdown_limit") {
      int64_t n = 0;
      TAP_RETURN_IF_ERROR(GetInt(value, "breakdown_limit", 1, limits::kMaxFunnelBreakdownRows, &n));
      q.breakdown_limit = static_cast<size_t>(n);
    } else if (k == "options") {
      if (value.type() != element_type::OBJECT) return Bad("options", "must be an object");
      options = value;
      has_options = true;
    } else if (k == "bots") {
      std::string b;
      TAP_RETURN_IF_ERROR(GetString(value, "bots", 32, &b));
      if (b != "include" && b != "exclude") return Bad("bots", "must be include or exclude");
      q.include_bots = b == "include";
    } else {
      return Status::InvalidArgument("unknown field \"" +
                                     (k.size() > 40 ? k.substr(0, 40) + "…" : k) + "\"");
    }
  }
  if (has_from && !has_to) q.to_day = today;
  if (has_to && !has_from) q.from_day = q.to_day - 6;
  if (q.from_day > q.to_day) return Status::InvalidArgument("from is after to");
  if (static_cast<int64_t>(q.to_day) - q.from_day >= limits::kMaxRangeDays) {
    return Status::InvalidArgument("the range is longer than " +
                                   std::to_string(limits::kMaxRangeDays) + " days");
  }
  if (!has_def) return Status::InvalidArgument("definition is required: {\"steps\":[…]}");
  TAP_RETURN_IF_ERROR(ParseDefinitionObject(def, &f));
  if (has_breakdowns) {
    if (q.breakdown && breakdowns != q.breakdown) {
      return Bad("breakdowns", "says another dimension than definition.breakdown");
    }
    q.breakdown = breakdowns;
  }
  if (has_options) {
    // Spec §6.2's spellings. strictOrder: true = steps in order (sequential; DESIGN §5), false =
    // any order. They may repeat the definition but not contradict it.
    for (auto [key, value] : options.get_object()) {
      const std::string k = std::string(key);
      if (k == "strictOrder") {
        if (value.type() != element_type::BOOL)
          return Bad("options strictOrder", "must be true or false");
        const FunnelMode m = bool(value) ? FunnelMode::kSequential : FunnelMode::kAnyOrder;
        if (def["mode"].error() == simdjson::SUCCESS && q.mode != m &&
            !(bool(value) && q.mode == FunnelMode::kStrict)) {
          return Bad("options strictOrder", "contradicts definition.mode");
        }
        if (def["mode"].error() != simdjson::SUCCESS) q.mode = m;
      } else if (k == "windowMs") {
        int64_t w = 0;
        TAP_RETURN_IF_ERROR(GetInt(value, "options windowMs", 0, kMaxFunnelWindowMs, &w));
        if (def["window_ms"].error() == simdjson::SUCCESS && w != q.window_ms) {
          return Bad("options windowMs", "contradicts definition.window_ms");
        }
        q.window_ms = w;
      } else {
        return Bad("options",
                   "unknown field \"" + (k.size() > 40 ? k.substr(0, 40) + "…" : k) + "\"");
      }
    }
  }
  TAP_RETURN_IF_ERROR(ValidateFunnelQuery(q));
  return f;
}

Result<FunnelRequest> ParseFunnelDefinition(std::string_view json) {
  if (json.size() > limits::kMaxFunnelDefinitionBytes) {
    return Status::InvalidArgument("the definition is longer than " +
                                   std::to_string(limits::kMaxFunnelDefinitionBytes) + " bytes");
  }
  simdjson::dom::parser parser;
  element doc;
  if (parser.parse(json.data(), json.size()).get(doc))
    return Status::InvalidArgument("definition must be JSON");
  FunnelRequest f;
  TAP_RETURN_IF_ERROR(ParseDefinitionObject(doc, &f));
  f.query.project_id = "p";
  TAP_RETURN_IF_ERROR(ValidateFunnelQuery(f.query));
  f.query.project_id.clear();
  return f;
}

namespace {

void WriteStep(const FunnelStep& s, const std::string& label, JsonWriter* w) {
  w->Key("type").String(FunnelStepTypeName(s.type));
  if (!label.empty()) w->Key("label").String(label);
  if (!s.path.empty())
    w->Key("path").String(s.path).Key("match").String(PathMatchName(s.path_match));
  if (!s.selector.empty()) w->Key("selector").String(s.selector);
  if (s.selector_hash != 0) w->Key("selector_hash").String(std::to_string(s.selector_hash));
  if (!s.name.empty()) w->Key("event").String(s.name);
  if (!s.property.empty()) w->Key("property").String(s.property).Key("value").String(s.value);
  if (!s.filters.empty()) {
    w->Key("filters").BeginObject();
    for (const FunnelStepFilter& f : s.filters) w->Key(DimensionName(f.dimension)).String(f.value);
    w->EndObject();
  }
}

double Ratio(uint64_t a, uint64_t b) {
  if (b == 0) return 0.0;
  return std::round(static_cast<double>(a) / static_cast<double>(b) * 1e6) / 1e6;
}

// One step's numbers: units, conversion from the previous and the first step, the units that
// reached the previous step but not this one, and the times from the previous step.
void WriteStepNumbers(const std::vector<FunnelStepResult>& steps, size_t i, JsonWriter* w) {
  const FunnelStepResult& s = steps[i];
  const uint64_t first = steps.empty() ? 0 : steps[0].units;
  const uint64_t prev = i == 0 ? first : steps[i - 1].units;
  w->Key("units").Uint(s.units).Key("count").Uint(s.units);
  w->Key("conversion_from_previous").Double(Ratio(s.units, prev));
  w->Key("conversion_from_first").Double(Ratio(s.units, first));
  w->Key("dropped").Uint(prev > s.units ? prev - s.units : 0);
  w->Key("drop_off_rate")
      .Double(i == 0 || prev == 0 ? 0.0 : Ratio(prev - std::min(prev, s.units), prev));
  w->Key("conv_to_next");
  if (i + 1 < steps.size()) {
    w->Double(Ratio(steps[i + 1].units, s.units));
  } else {
    w->Null();
  }
  w->Key("median_ms_from_previous").Uint(s.median_ms_from_previous);
  w->Key("p90_ms_from_previous").Uint(s.p90_ms_from_previous);
  w->Key("avg_ms_from_previous").Uint(s.units && i > 0 ? s.total_ms_from_previous / s.units : 0);
}

double Overall(const std::vector<FunnelStepResult>& steps) {
  return steps.empty() ? 0.0 : Ratio(steps.back().units, steps.front().units);
}

}  // namespace

std::string FunnelDefinitionJson(const FunnelRequest& f) {
  const FunnelQuery& q = f.query;
  JsonWriter w;
  w.BeginObject().Key("steps").BeginArray();
  for (size_t i = 0; i < q.steps.size(); ++i) {
    w.BeginObject();
    WriteStep(q.steps[i], i < f.user_labels.size() ? f.user_labels[i] : "", &w);
    w.EndObject();
  }
  w.EndArray().Key("exclusions").BeginArray();
  for (const FunnelExclusion& x : q.exclusions) {
    w.BeginObject();
    WriteStep(x.step, "", &w);
    w.Key("from_step").Uint(x.from_step).Key("to_step").Uint(x.to_step).EndObject();
  }
  w.EndArray()
      .Key("mode")
      .String(FunnelModeName(q.mode))
      .Key("unit")
      .String(FunnelUnitName(q.unit));
  w.Key("window_ms").Int(q.window_ms);
  if (q.breakdown) w.Key("breakdown").String(DimensionName(*q.breakdown));
  w.EndObject();
  return w.Take();
}

std::string FunnelResultJson(const FunnelRequest& f, const FunnelResult& r) {
  const FunnelQuery& q = f.query;
  JsonWriter w;
  w.BeginObject().Key("from").String(FormatDay(q.from_day)).Key("to").String(FormatDay(q.to_day));
  w.Key("mode")
      .String(FunnelModeName(q.mode))
      .Key("unit")
      .String(FunnelUnitName(q.unit))
      .Key("window_ms")
      .Int(q.window_ms);
  w.Key("bots").String(q.include_bots ? "include" : "exclude");
  w.Key("steps").BeginArray();
  for (size_t i = 0; i < r.steps.size(); ++i) {
    w.BeginObject().Key("name").String(i < f.labels.size() ? f.labels[i] : "");
    if (i < q.steps.size()) w.Key("type").String(FunnelStepTypeName(q.steps[i].type));
    WriteStepNumbers(r.steps, i, &w);
    w.EndObject();
  }
  w.EndArray();
  const uint64_t entered = r.steps.empty() ? 0 : r.steps.front().units;
  const uint64_t converted = r.steps.empty() ? 0 : r.steps.back().units;
  w.Key("entered")
      .Uint(entered)
      .Key("converted")
      .Uint(converted)
      .Key("overall_conversion")
      .Double(Overall(r.steps));
  w.Key("excluded_units").Uint(r.excluded_units);
  // Converted units by time to convert; bucket b spans [from_ms, to_ms), the last one open.
  w.Key("time_to_convert").BeginArray();
  for (size_t b = 0; b < r.time_to_convert.size() && b < kFunnelConvertBuckets; ++b) {
    w.BeginObject().Key("from_ms").Int(b == 0 ? 0 : kFunnelConvertBucketMs[b - 1]).Key("to_ms");
    if (b < std::size(kFunnelConvertBucketMs)) {
      w.Int(kFunnelConvertBucketMs[b]);
    } else {
      w.Null();
    }
    w.Key("units").Uint(r.time_to_convert[b]).EndObject();
  }
  // Units by the day they entered, and the share of those that converted.
  w.EndArray().Key("trend").BeginArray();
  for (const FunnelDay& d : r.days) {
    w.BeginObject().Key("date").String(FormatDay(d.day)).Key("entered").Uint(d.entered);
    w.Key("converted").Uint(d.converted).Key("conversion").Double(Ratio(d.converted, d.entered));
    w.EndObject();
  }
  w.EndArray().Key("breakdowns").BeginObject();
  if (q.breakdown) {
    w.Key(DimensionName(*q.breakdown)).BeginArray();
    for (const FunnelBreakdownRow& row : r.breakdown) {
      w.BeginObject().Key("value").String(row.value).Key("steps").BeginArray();
      for (size_t i = 0; i < row.steps.size(); ++i) {
        w.BeginObject();
        WriteStepNumbers(row.steps, i, &w);
        w.EndObject();
      }
      w.EndArray().Key("overall_conversion").Double(Overall(row.steps)).EndObject();
    }
    w.EndArray();
  }
  w.EndObject().Key("timezone").String("UTC").EndObject();
  return w.Take();
}

std::string FunnelResultCsv(const FunnelRequest& f, const FunnelResult& r) {
  const FunnelQuery& q = f.query;
  const std::string dim = q.breakdown ? DimensionName(*q.breakdown) : "breakdown";
  std::string csv = CsvField(dim) +
                    ",step,name,units,conversion_from_previous,conversion_from_first,dropped,"
                    "median_ms_from_previous,p90_ms_from_previous,avg_ms_from_previous\r\n";
  auto rows = [&](const std::string& value, const std::vector<FunnelStepResult>& steps) {
    for (size_t i = 0; i < steps.size(); ++i) {
      const uint64_t first = steps[0].units;
      const uint64_t prev = i == 0 ? first : steps[i - 1].units;
      char a[32], b[32];
      std::snprintf(a, sizeof a, "%.4f", Ratio(steps[i].units, prev));
      std::snprintf(b, sizeof b, "%.4f", Ratio(steps[i].units, first));
      csv += CsvField(value) + "," + std::to_string(i + 1) + "," +
             CsvField(i < f.labels.size() ? f.labels[i] : "") + "," +
             std::to_string(steps[i].units) + "," + a + "," + b + "," +
             std::to_string(prev > steps[i].units ? prev - steps[i].units : 0) + "," +
             std::to_string(steps[i].median_ms_from_previous) + "," +
             std::to_string(steps[i].p90_ms_from_previous) + "," +
             std::to_string(
                 steps[i].units && i > 0 ? steps[i].total_ms_from_previous / steps[i].units : 0) +
             "\r\n";
    }
  };
  rows("", r.steps);
  for (const FunnelBreakdownRow& row : r.breakdown)
    rows(row.value.empty() ? "(none)" : row.value, row.steps);
  return csv;
}

}  // namespace tapistry
