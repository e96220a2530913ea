// Funnels (DESIGN §5 "Funnels"): how many units — sessions, or visitors on request — go through
// a sequence of steps, how long each step took, and how a breakdown splits them.
//
// This header is the contract before any engine exists: server/test/reference_event_store.h
// computes it by brute force (every chain of every unit) and server/test/golden/funnel_*.golden
// pin it with hand-reasoned cases. A backend's funnel engine must return exactly those answers.
//
// Definitions, in the words the comments below use:
// - A unit is a session (session_id) or a visitor (anonymous_id) of the project. A visitor's
//   chain may span several sessions and days.
// - An event matches a step by the step's type and conditions (FunnelStep).
// - A chain for steps 1..k is k distinct events of the unit, event c_s matching step s (an event
//   fills at most one step, even when it matches several), such that
//     * c_1 lies on a day in [from_day, to_day] (later steps may lie after to_day: a unit that
//       enters on the last day is followed for the whole window);
//     * the chain spans at most window_ms: max ts - min ts <= window_ms (inclusive);
//     * sequential: ts(c_1) <= ts(c_2) <= ... <= ts(c_k) (ties allowed; other events may come
//       between steps);
//     * strict: sequential, and no other page_view, click or custom event of the unit lies
//       strictly between ts(c_s) and ts(c_s+1) (events of other types — scroll, mousemove —
//       do not break a strict funnel; an event at exactly a step's ms does not either, since
//       its order against the step is unknown);
//     * any_order: no order between the steps (c_1 still fills step 1 and must lie in the range).
// - A unit reaches step k when a chain for steps 1..k exists. Its furthest step K is the largest
//   such k; units without a step-1 event in the range are not in the funnel at all.
//   In sequential mode on distinct timestamps this is ClickHouse's
//   windowFunnel(window_ms)(ts, c1 AND day in range, c2, ..., cn) >= k.
// - The unit's chain is the earliest chain reaching K: the one whose step-1 event is earliest
//   (ts, then event_id), among those the one whose step-2 event is earliest, and so on.
//   Times between steps, exclusions and the breakdown value are all read off that chain.
// - Time to step s (s >= 2) of a unit = ts(c_s) - ts(c_s-1) on its chain; in any_order mode,
//   on the chain's timestamps sorted ascending (the time from its (s-1)-th to its s-th step).
// - Exclusion {step X, from_step i, to_step j}: the unit leaves the funnel — it is removed from
//   every step and from the breakdown, and counted in excluded_units — when its chain reaches
//   step j and some event of the unit matching X, not one of the chain's own events, lies
//   strictly between the chain's step-i and step-j times (as PostHog's exclusion steps do).
// - Breakdown: units are split by the value of the dimension on their chain's step-1 event:
//   the event's own field (page, referrer host, utm_*, device, browser, os, country), or one of
//   two attributes of the session S that the step-1 event belongs to (its session_id; for a
//   visitor unit too), read from the events the funnel sees (bots' only with include_bots):
//     * entry_page: the path of S's first page view on the days [from_day, to_day] (earliest
//       ts, then smallest event_id) — the value GET /api/breakdown?dimension=entry_page
//       attributes S to over the same days (event_store.h); "" when S has no page view on them;
//     * visitor_type: "first" when S is the visitor's first session — the session of the
//       visitor's (anonymous_id's) earliest event of the project on any day (earliest ts, then
//       smallest event_id) — else "returning". Events the store no longer holds (retention, a
//       DSAR delete) are not seen.
//
// Thread-safety: plain value types and pure functions.
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tapistry/event_store.h"
#include "tapistry/status.h"

namespace tapistry {

// Limits on a funnel query (untrusted input from the API).
inline constexpr size_t kMaxFunnelSteps = 20;
inline constexpr size_t kMaxFunnelExclusions = 10;
inline constexpr int64_t kMaxFunnelWindowMs = int64_t{90} * 86400000;  // 90 days
inline constexpr size_t kMaxFunnelPatternBytes = 512;                  // paths, selectors, names

enum class FunnelStepType : uint8_t { kPageView, kClick, kCustom };
// How a step's path is compared with the event's normalized path. kRegex is an ECMAScript
// regular expression searched anywhere in the path (anchor it with ^ and $ for a full match).
enum class PathMatch : uint8_t { kEquals, kPrefix, kContains, kRegex };
enum class FunnelMode : uint8_t { kSequential, kStrict, kAnyOrder };
enum class FunnelUnit : uint8_t { kSession, kVisitor };

// A condition on one of the step event's own attributes: the event's value of `dimension` — as
// a breakdown reads it (device class name, two-letter country, browser, OS, referrer host, UTM
// source / medium / campaign, path) — equals `value`. entry_page is not an event's attribute.
struct FunnelStepFilter {
  Dimension dimension = Dimension::kDevice;
  std::string value;
  bool operator==(const FunnelStepFilter&) const = default;
};
inline constexpr size_t kMaxFunnelStepFilters = 10;

struct FunnelStep {
  FunnelStepType type = FunnelStepType::kPageView;
  // page_view steps: the event's path matches `path` by `path_match` (path required).
  // click and custom steps: when `path` is non-empty, the event's path must match it too.
  std::string path;
  PathMatch path_match = PathMatch::kEquals;
  // click steps: the click's selector equals `selector` (when non-empty) and its selector_hash
  // equals `selector_hash` (when non-zero); at least one of the two is given.
  std::string selector;
  uint64_t selector_hash = 0;
  // custom steps: the event's name equals `name` (required); when `property` is non-empty, the
  // event's props[property] must equal `value`: a JSON string equal to it, or a JSON integer or
  // boolean whose text equals it ("3", "true"). Other JSON types never match.
  std::string name;
  std::string property;
  std::string value;
  // Any step: every filter holds for the event (at most kMaxFunnelStepFilters).
  std::vector<FunnelStepFilter> filters;
  bool operator==(const FunnelStep&) const = default;
};

struct FunnelExclusion {
  FunnelStep step;       // the event that must not happen
  size_t from_step = 1;  // 1-based, from_step < to_step <= number of steps
  size_t to_step = 2;
  bool operator==(const FunnelExclusion&) const = default;
};

struct FunnelQuery {
  std::string project_id;
  int32_t from_day = 0;  // UTC days of the step-1 event, inclusive
  int32_t to_day = 0;
  std::vector<FunnelStep> steps;  // 1..kMaxFunnelSteps
  FunnelMode mode = FunnelMode::kSequential;
  FunnelUnit unit = FunnelUnit::kSession;
  int64_t window_ms = 86400000;  // 0..kMaxFunnelWindowMs, inclusive
  std::vector<FunnelExclusion> exclusions;
  std::optional<Dimension> breakdown;
  size_t breakdown_limit = 25;
  // As EventFilter::include_bots: by default bots' events (IsBotScore) are not seen at all — they
  // neither fill steps, nor break a strict funnel, nor trigger an exclusion.
  bool include_bots = false;
};

struct FunnelStepResult {
  uint64_t units = 0;  // units that reached this step
  // Over those units, the time to this step from the previous one on each unit's chain: the sum,
  // the lower median (the element at (n-1)/2 of the n sorted times) and the nearest-rank 90th
  // percentile (the element at ceil(0.9 n) - 1). All 0 for step 1.
  uint64_t total_ms_from_previous = 0;
  uint64_t median_ms_from_previous = 0;
  uint64_t p90_ms_from_previous = 0;
  bool operator==(const FunnelStepResult&) const = default;
};

// Time to convert — from a converted unit's step-1 event to its last step's (the earliest chain
// that reaches the last step; in any order, from its earliest to its latest event) — counted in
// these buckets: bucket b holds times t with kFunnelConvertBucketMs[b-1] <= t <
// kFunnelConvertBucketMs[b] (bucket 0 from 0, the last one without an upper bound).
inline constexpr int64_t kFunnelConvertBucketMs[] = {
    10'000, 30'000, 60'000, 300'000, 900'000, 3'600'000, 21'600'000, 86'400'000, 604'800'000};
inline constexpr size_t kFunnelConvertBuckets = std::size(kFunnelConvertBucketMs) + 1;
size_t FunnelConvertBucket(int64_t ms);

// The funnel by the day its units entered (the UTC day of the chain's step-1 event).
struct FunnelDay {
  int32_t day = 0;
  uint64_t entered = 0;    // units whose step-1 event is on this day (excluded units: none)
  uint64_t converted = 0;  // of those, the units that reached the last step
  bool operator==(const FunnelDay&) const = default;
};

struct FunnelBreakdownRow {
  std::string value;
  std::vector<FunnelStepResult> steps;  // as FunnelResult::steps, for this value's units
  bool operator==(const FunnelBreakdownRow&) const = default;
};

struct FunnelResult {
  std::vector<FunnelStepResult> steps;  // one per query step; units never increase
  // With a breakdown: step-1 units desc, then value asc; at most breakdown_limit rows.
  std::vector<FunnelBreakdownRow> breakdown;
  uint64_t excluded_units = 0;  // units removed by an exclusion
  // Converted units (not excluded) by time to convert: kFunnelConvertBuckets counts.
  std::vector<uint64_t> time_to_convert;
  // One entry per day from_day..to_day, ascending, days without units included.
  std::vector<FunnelDay> days;
  bool operator==(const FunnelResult&) const = default;
};

// Who is behind a funnel's bars ("who dropped off", and the replays of those sessions): the
// units whose furthest step is exactly `furthest` — below the last step, the units that got
// that far and no further; at the last step, the units that converted. Units an exclusion
// removes are never members.
inline constexpr size_t kMaxFunnelMembers = 1000;
struct FunnelMembersQuery {
  FunnelQuery funnel;
  size_t furthest = 1;  // 1..steps
  size_t limit = 100;   // 1..kMaxFunnelMembers
};

struct FunnelMember {
  Uuid unit_id;     // the unit's session_id or anonymous_id
  Uuid session_id;  // of the chain's step-1 event (a visitor unit: the session it entered in)
  int64_t entered_ms = 0;                            // ts of the chain's step-1 event
  int64_t reached_ms = 0;                            // the latest ts among the chain's events
  DeviceClass device_class = DeviceClass::kUnknown;  // of the step-1 event
  std::string country;                               // of the step-1 event ("" unknown)
  bool operator==(const FunnelMember&) const = default;
};

struct FunnelMembersResult {
  uint64_t total = 0;  // every unit whose furthest step is `furthest`
  // At most `limit`: the latest entered first (entered_ms desc, then unit_id asc).
  std::vector<FunnelMember> members;
  bool operator==(const FunnelMembersResult&) const = default;
};

// visitor_type's two values.
inline constexpr std::string_view kFirstVisitor = "first";
inline constexpr std::string_view kReturningVisitor = "returning";

// A funnel breakdown's name as DimensionName spells it: ParseDimension's names plus
// visitor_type.
bool ParseFunnelBreakdown(std::string_view s, Dimension* out);

// InvalidArgument with a reason when the query breaks a rule above (range, step count and
// conditions, window, exclusion bounds, regex syntax, breakdown dimension).
Status ValidateFunnelQuery(const FunnelQuery& q);
// The same, plus furthest and limit in range.
Status ValidateFunnelMembersQuery(const FunnelMembersQuery& q);

const char* FunnelStepTypeName(FunnelStepType t);  // "page_view", "click", "custom"
bool ParseFunnelStepType(std::string_view s, FunnelStepType* out);
const char* PathMatchName(PathMatch m);  // "equals", "prefix", "contains", "regex"
bool ParsePathMatch(std::string_view s, PathMatch* out);
const char* FunnelModeName(FunnelMode m);  // "sequential", "strict", "any_order"
bool ParseFunnelMode(std::string_view s, FunnelMode* out);
const char* FunnelUnitName(FunnelUnit u);  // "session", "visitor"
bool ParseFunnelUnit(std::string_view s, FunnelUnit* out);

}  // namespace tapistry
