#include "common/params.h"

#include <charconv>
#include <string>

#include "tapistry/event.h"
#include "tapistry/limits.h"

namespace tapistry {

Result<int64_t> ParseIntStrict(std::string_view s, int64_t min, int64_t max) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < min || v > max) {
    return Status::InvalidArgument("must be an integer " + std::to_string(min) + ".." +
                                   std::to_string(max));
  }
  return v;
}

Result<size_t> LimitParam(const HttpRequest& req, size_t def, size_t max) {
  if (!req.HasQuery("limit")) return def;
  auto n = ParseIntStrict(req.Query("limit"), 1, static_cast<int64_t>(max));
  if (!n.ok()) return Status::InvalidArgument("limit must be 1.." + std::to_string(max));
  return static_cast<size_t>(*n);
}

bool ParseDayParam(std::string_view s, int32_t* day) {
  if (ParseDay(s, day)) return true;
  auto ms = ParseIntStrict(s, limits::kEarliestQueryMs, limits::kLatestQueryMs - 1);
  if (!ms.ok()) return false;
  *day = DayOf(*ms);
  return true;
}

Status ParseDayRange(const HttpRequest& req, int64_t now_ms, int32_t* from_day, int32_t* to_day) {
  const int32_t today = DayOf(now_ms);
  *to_day = today;
  *from_day = today - 6;
  const std::string from = req.Query("from"), to = req.Query("to");
  const char* form = " must be YYYY-MM-DD or a millisecond time between 2000 and 2200";
  if (!to.empty() && !ParseDayParam(to, to_day))
    return Status::InvalidArgument(std::string("to") + form);
  if (!from.empty() && !ParseDayParam(from, from_day))
    return Status::InvalidArgument(std::string("from") + form);
  if (from.empty() && !to.empty()) *from_day = *to_day - 6;
  if (*from_day > *to_day) return Status::InvalidArgument("from is after to");
  if (static_cast<int64_t>(*to_day) - *from_day >= limits::kMaxRangeDays) {
    return Status::InvalidArgument("the range is longer than " +
                                   std::to_string(limits::kMaxRangeDays) + " days");
  }
  return Status::Ok();
}

}  // namespace tapistry
