// Validation and names of the funnel contract (tapistry/funnel.h), shared by the API and every
// funnel engine so that they reject exactly the same queries.
#include "tapistry/funnel.h"

#include <regex>

#include "tapistry/limits.h"

namespace tapistry {
namespace {

template <typename E, size_t N>
bool ParseName(std::string_view s, const char* const (&names)[N], E* out) {
  for (size_t i = 0; i < N; ++i) {
    if (s == names[i]) {
      *out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

constexpr const char* kStepTypeNames[] = {"page_view", "click", "custom"};
constexpr const char* kPathMatchNames[] = {"equals", "prefix", "contains", "regex"};
constexpr const char* kModeNames[] = {"sequential", "strict", "any_order"};
constexpr const char* kUnitNames[] = {"session", "visitor"};

Status ValidateStep(const FunnelStep& s, const std::string& where) {
  for (const std::string* field : {&s.path, &s.selector, &s.name, &s.property, &s.value}) {
    if (field->size() > kMaxFunnelPatternBytes) {
      return Status::InvalidArgument(where + ": a condition is longer than 512 bytes");
    }
  }
  if (static_cast<int>(s.type) > static_cast<int>(FunnelStepType::kCustom)) {
    return Status::InvalidArgument(where + ": unknown step type");
  }
  if (static_cast<int>(s.path_match) > static_cast<int>(PathMatch::kRegex)) {
    return Status::InvalidArgument(where + ": unknown path match");
  }
  switch (s.type) {
    case FunnelStepType::kPageView:
      if (s.path.empty()) return Status::InvalidArgument(where + ": a page step needs a path");
      break;
    case FunnelStepType::kClick:
      if (s.selector.empty() && s.selector_hash == 0) {
        return Status::InvalidArgument(where + ": a click step needs a selector or selector_hash");
      }
      break;
    case FunnelStepType::kCustom:
      if (s.name.empty()) return Status::InvalidArgument(where + ": a custom step needs a name");
      break;
  }
  if (s.filters.size() > kMaxFunnelStepFilters) {
    return Status::InvalidArgument(where + ": more than 10 filters");
  }
  for (const FunnelStepFilter& f : s.filters) {
    if (f.dimension == Dimension::kEntryPage ||
        static_cast<int>(f.dimension) > static_cast<int>(Dimension::kCountry)) {
      return Status::InvalidArgument(where +
                                     ": a filter is on an event attribute, not on a session's");
    }
    if (f.value.size() > kMaxFunnelPatternBytes) {
      return Status::InvalidArgument(where + ": a filter value is longer than 512 bytes");
    }
  }
  if (s.type != FunnelStepType::kCustom && !s.property.empty()) {
    return Status::InvalidArgument(where + ": only custom steps have a property condition");
  }
  if (!s.path.empty() && s.path_match == PathMatch::kRegex) {
    try {
      std::regex re(s.path, std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return Status::InvalidArgument(where + ": invalid regular expression");
    }
  }
  return Status::Ok();
}

}  // namespace

bool ParseFunnelBreakdown(std::string_view s, Dimension* out) {
  if (s == DimensionName(Dimension::kVisitorType)) {
    *out = Dimension::kVisitorType;
    return true;
  }
  return ParseDimension(s, out);
}

size_t FunnelConvertBucket(int64_t ms) {
  size_t b = 0;
  while (b < std::size(kFunnelConvertBucketMs) && ms >= kFunnelConvertBucketMs[b]) ++b;
  return b;
}

Status ValidateFunnelQuery(const FunnelQuery& q) {
  if (q.from_day > q.to_day) return Status::InvalidArgument("from_day is after to_day");
  if (int64_t{q.to_day} - q.from_day >= limits::kMaxRangeDays) {
    return Status::InvalidArgument("a funnel's range spans at most 400 days");
  }
  if (q.steps.empty()) return Status::InvalidArgument("a funnel needs at least one step");
  if (q.steps.size() > kMaxFunnelSteps) return Status::InvalidArgument("more than 20 funnel steps");
  if (q.window_ms < 0 || q.window_ms > kMaxFunnelWindowMs) {
    return Status::InvalidArgument("window_ms must be 0..90 days");
  }
  if (static_cast<int>(q.mode) > static_cast<int>(FunnelMode::kAnyOrder)) {
    return Status::InvalidArgument("unknown funnel mode");
  }
  if (static_cast<int>(q.unit) > static_cast<int>(FunnelUnit::kVisitor)) {
    return Status::InvalidArgument("unknown funnel unit");
  }
  for (size_t i = 0; i < q.steps.size(); ++i) {
    TAP_RETURN_IF_ERROR(ValidateStep(q.steps[i], "step " + std::to_string(i + 1)));
  }
  if (q.exclusions.size() > kMaxFunnelExclusions) {
    return Status::InvalidArgument("more than 10 exclusions");
  }
  for (size_t i = 0; i < q.exclusions.size(); ++i) {
    const FunnelExclusion& x = q.exclusions[i];
    const std::string where = "exclusion " + std::to_string(i + 1);
    if (x.from_step < 1 || x.from_step >= x.to_step || x.to_step > q.steps.size()) {
      return Status::InvalidArgument(where + ": needs 1 <= from_step < to_step <= steps");
    }
    TAP_RETURN_IF_ERROR(ValidateStep(x.step, where));
  }
  if (q.breakdown && static_cast<int>(*q.breakdown) > static_cast<int>(Dimension::kVisitorType)) {
    return Status::InvalidArgument("unknown funnel breakdown dimension");
  }
  return Status::Ok();
}

Status ValidateFunnelMembersQuery(const FunnelMembersQuery& q) {
  TAP_RETURN_IF_ERROR(ValidateFunnelQuery(q.funnel));
  if (q.furthest < 1 || q.furthest > q.funnel.steps.size()) {
    return Status::InvalidArgument("furthest must be a step of the funnel (1.." +
                                   std::to_string(q.funnel.steps.size()) + ")");
  }
  if (q.limit < 1 || q.limit > kMaxFunnelMembers) {
    return Status::InvalidArgument("limit must be 1..1000");
  }
  return Status::Ok();
}

const char* FunnelStepTypeName(FunnelStepType t) { return kStepTypeNames[static_cast<int>(t) % 3]; }
bool ParseFunnelStepType(std::string_view s, FunnelStepType* out) {
  return ParseName(s, kStepTypeNames, out);
}
const char* PathMatchName(PathMatch m) { return kPathMatchNames[static_cast<int>(m) % 4]; }
bool ParsePathMatch(std::string_view s, PathMatch* out) {
  return ParseName(s, kPathMatchNames, out);
}
const char* FunnelModeName(FunnelMode m) { return kModeNames[static_cast<int>(m) % 3]; }
bool ParseFunnelMode(std::string_view s, FunnelMode* out) { return ParseName(s, kModeNames, out); }
const char* FunnelUnitName(FunnelUnit u) { return kUnitNames[static_cast<int>(u) % 2]; }
bool ParseFunnelUnit(std::string_view s, FunnelUnit* out) { return ParseName(s, kUnitNames, out); }

}  // namespace tapistry
