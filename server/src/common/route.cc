#include "common/route.h"

#include <algorithm>

namespace tapistry {

std::string_view AuthPolicyName(AuthPolicy p) {
  switch (p) {
    case AuthPolicy::kUnset:
      return "unset";
    case AuthPolicy::kPublic:
      return "public";
    case AuthPolicy::kPublicForm:
      return "public_form";
    case AuthPolicy::kPublicIngest:
      return "public_ingest";
    case AuthPolicy::kSession:
      return "session";
    case AuthPolicy::kSessionCsrf:
      return "session_csrf";
    case AuthPolicy::kRead:
      return "read";
    case AuthPolicy::kHeatmapRead:
      return "heatmap_read";
    case AuthPolicy::kMember:
      return "member";
    case AuthPolicy::kMemberCsrf:
      return "member_csrf";
    case AuthPolicy::kOwner:
      return "owner";
    case AuthPolicy::kOwnerCsrf:
      return "owner_csrf";
  }
  return "unset";
}

bool ProjectScoped(AuthPolicy p) {
  switch (p) {
    case AuthPolicy::kRead:
    case AuthPolicy::kHeatmapRead:
    case AuthPolicy::kMember:
    case AuthPolicy::kMemberCsrf:
    case AuthPolicy::kOwner:
    case AuthPolicy::kOwnerCsrf:
      return true;
    default:
      return false;
  }
}

bool PathMatches(std::string_view pattern, std::string_view path) {
  if (!pattern.empty() && pattern.back() == '*')
    return path.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == path;
}

Status RouteTable::Add(Route r) {
  const std::string what = r.method + " " + r.path;
  if (r.auth == AuthPolicy::kUnset)
    return Status::InvalidArgument("route " + what + " has no auth policy");
  if (r.body_limit == 0) return Status::InvalidArgument("route " + what + " has no body limit");
  if (!r.handler) return Status::InvalidArgument("route " + what + " has no handler");
  if (r.auth == AuthPolicy::kPublicIngest && !r.admit) {
    return Status::InvalidArgument("public ingest route " + what + " has no admission step");
  }
  if (r.method.empty() || r.path.empty())
    return Status::InvalidArgument("route needs a method and a path");
  for (const Route& o : routes_) {
    if (o.method == r.method && o.path == r.path)
      return Status::InvalidArgument("route " + what + " added twice");
  }
  if (r.inflated_limit == 0) r.inflated_limit = r.body_limit;
  routes_.push_back(std::move(r));
  return Status::Ok();
}

// A path served by exact routes is theirs alone (another method gets 405, not a prefix route);
// otherwise the longest matching prefix wins.
const Route* RouteTable::Match(std::string_view method, std::string_view path,
                               bool* path_known) const {
  const std::string_view m = method == "HEAD" ? std::string_view("GET") : method;
  bool exact_path = false;
  for (const Route& r : routes_) exact_path |= r.path == path;
  const Route* best = nullptr;
  bool known = false;
  for (const Route& r : routes_) {
    const bool exact = r.path == path;
    if (exact_path ? !exact : !PathMatches(r.path, path)) continue;
    known = true;
    if (r.method != m) continue;
    if (best == nullptr || r.path.size() > best->path.size()) best = &r;
  }
  if (path_known) *path_known = known;
  return best;
}

std::string RouteTable::AllowedMethods(std::string_view path) const {
  bool exact_path = false;
  for (const Route& r : routes_) exact_path |= r.path == path;
  std::vector<std::string> ms;
  for (const Route& r : routes_) {
    const bool match = exact_path ? r.path == path : PathMatches(r.path, path);
    if (match && std::find(ms.begin(), ms.end(), r.method) == ms.end()) ms.push_back(r.method);
  }
  std::string out;
  for (const auto& m : ms) out += (out.empty() ? "" : ", ") + m;
  return out;
}

size_t RouteTable::BodyLimit(std::string_view path) const {
  size_t limit = 0;
  for (const Route& r : routes_) {
    if (PathMatches(r.path, path)) limit = std::max(limit, r.body_limit);
  }
  return limit;
}

const char* RouteTable::Label(std::string_view path) const {
  const Route* best = nullptr;
  for (const Route& r : routes_) {
    if (!PathMatches(r.path, path)) continue;
    if (best == nullptr || r.path.back() != '*' ||
        (best->path.back() == '*' && r.path.size() > best->path.size()))
      best = &r;
  }
  return best ? best->label : "other";
}

}  // namespace tapistry
