// The funnels API's JSON (docs/api.md "Funnels"): the body of POST /api/funnels/query and a saved
// funnel's definition, parsed into a FunnelQuery (tapistry/funnel.h) with a reason naming the
// field for every bad value; and a FunnelResult written back as the response (JSON or CSV).
//
// A definition is
//   {"steps":[STEP, ...], "exclusions":[STEP + "from_step","to_step", ...], "mode":"sequential",
//    "unit":"session", "window_ms":604800000, "breakdown":"device"}
// with STEP = {"type":"page_view"|"click"|"custom", "label", "path", "match", "selector",
// "selector_hash", "event", "property", "value"}; a query body is
//   {"project_id", "from", "to", "definition":{…}, "breakdowns":["device"], "breakdown_limit":25,
//    "options":{"strictOrder","windowMs"}, "bots":"include"|"exclude"}
// (spec §6.2's shape; `options` and `breakdowns` are its spellings of mode/window and breakdown).
// Unknown fields are refused rather than ignored: a misspelt condition would otherwise widen a
// step silently and the numbers would look right.
//
// The parser checks what it can name a field for, then runs ValidateFunnelQuery, so the API
// refuses exactly what every engine refuses, and more (kMinFunnelSteps, regex shapes below).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tapistry/funnel.h"
#include "tapistry/status.h"

namespace tapistry {

// The builder's default conversion window (UX.md "Funnels": 7 days, our choice).
inline constexpr int64_t kDefaultFunnelWindowMs = int64_t{7} * 86400000;

// A funnel as the API knows it: the query, and a display name per step (the label the caller
// gave, or one made from the step: "/pricing", "Click #buy on /pricing", "signup").
struct FunnelRequest {
  FunnelQuery query;
  std::vector<std::string> labels;       // one per step, never empty
  std::vector<std::string> user_labels;  // one per step, as given ("" = none)
};

// The body of POST /api/funnels/query. `project_id` is the project the route authorized; a body
// that names another one is refused (PermissionDenied). from/to as the read API's (YYYY-MM-DD or
// ms; the last 7 days by default; at most limits::kMaxRangeDays).
Result<FunnelRequest> ParseFunnelQueryBody(std::string_view body, const std::string& project_id,
                                           int64_t now_ms);

// A saved funnel's definition (the object above, as JSON text), checked as a query would be.
Result<FunnelRequest> ParseFunnelDefinition(std::string_view json);

// The definition in its one written form (what a saved funnel stores and the API returns):
// defaults written out, keys in a fixed order, labels only where the caller gave one.
std::string FunnelDefinitionJson(const FunnelRequest& f);

// The response of POST /api/funnels/query.
std::string FunnelResultJson(const FunnelRequest& f, const FunnelResult& r);
// The same as CSV (format=csv): a row per (breakdown value, step); without a breakdown the
// value column is empty. Cells go through CsvField's formula guard.
std::string FunnelResultCsv(const FunnelRequest& f, const FunnelResult& r);

// The regular expressions a step may use: ECMAScript, at most kMaxFunnelPatternBytes, and no
// shape that std::regex takes exponential time or deep recursion on over a 1 KB path — nested
// repetition ("(a+)+", "(a|b*)*") and back-references. InvalidArgument with the reason.
Status CheckFunnelRegex(std::string_view pattern);

}  // namespace tapistry
