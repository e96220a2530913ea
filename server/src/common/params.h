// Query-parameter parsing for every route: strict integers (no "10abc", no overflow), list
// limits, and day ranges checked in 64 bits before they narrow to day numbers. The limits are
// named in tapistry/limits.h. Untrusted input: never throws, returns Status / Result.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/request.h"
#include "tapistry/status.h"

namespace tapistry {

// A base-10 integer in [min, max] spanning all of `s` (an optional leading '-').
Result<int64_t> ParseIntStrict(std::string_view s, int64_t min, int64_t max);

// `limit=`: `def` when absent, else 1..max.
Result<size_t> LimitParam(const HttpRequest& req, size_t def, size_t max);

// "YYYY-MM-DD" or a millisecond timestamp in [kEarliestQueryMs, kLatestQueryMs) -> UTC day number.
bool ParseDayParam(std::string_view s, int32_t* day);

// from= / to= (YYYY-MM-DD or ms): the last 7 days ending today by default; from <= to; at most
// kMaxRangeDays days.
Status ParseDayRange(const HttpRequest& req, int64_t now_ms, int32_t* from_day, int32_t* to_day);

}  // namespace tapistry
