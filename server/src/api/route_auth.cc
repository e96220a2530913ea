#include <simdjson.h>

#include "api/api_common.h"
#include "api/api_routes.h"
#include "common/crypto.h"

namespace tapistry {
namespace {

// The "project_id" string of a JSON object body; "" when there is none.
std::string BodyProjectId(const std::string& body) {
  if (body.empty()) return {};
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc) || !doc.is_object()) return {};
  auto v = doc["project_id"];
  if (v.error() || !v.is_string()) return {};
  return std::string(std::string_view(v.value_unsafe()));
}

// "http://host:port" -> "host:port"; "" when not an http(s) origin.
std::string_view OriginHost(std::string_view origin) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.starts_with(scheme)) return origin.substr(scheme.size());
  }
  return {};
}

}  // namespace

std::optional<Reply> RouteAuth::Check(AuthPolicy policy, RouteCall* call) const {
  const HttpRequest& req = call->req;
  auto session = [&]() {
    // X-Forwarded-Proto is believed only from a configured trusted proxy.
    const bool https = call->trusted_peer && req.Header("x-forwarded-proto") == "https";
    std::string cookie = SessionCookieValue(req.Header("cookie"), https);
    SessionInfo info;
    if (cookie.empty() || auth_ == nullptr || !auth_->Verify(cookie, &info)) return false;
    call->session_cookie = std::move(cookie);
    call->session_id = std::move(info.session_id);
    call->user_id = std::move(info.user_id);
    call->csrf = std::move(info.csrf);
    call->caller = Caller::kSession;
    return true;
  };
  // A state change comes from the dashboard's own page: its CSRF token, and no other site's
  // Origin.
  auto csrf = [&]() -> std::optional<Reply> {
    const std::string_view origin = req.Header("origin");
    if (!origin.empty() && OriginHost(origin) != req.Header("host")) {
      return JsonError(403, "permission_denied", "cross-site request refused");
    }
    if (!ConstantTimeEquals(req.Header("x-csrf-token"), call->csrf)) {
      return JsonError(403, "permission_denied", "missing or wrong X-CSRF-Token");
    }
    return std::nullopt;
  };
  auto signed_out = [] {
    return JsonError(401, "unauthenticated",
                     "sign in: ask for a link by email, or use the one tapistry serve printed");
  };
  switch (policy) {
    case AuthPolicy::kUnset:
      return JsonError(500, "internal", "route without an auth policy");
    case AuthPolicy::kPublic:
    case AuthPolicy::kPublicIngest:  // the router runs the admission step
      return std::nullopt;
    case AuthPolicy::kPublicForm: {
      const std::string_view origin = req.Header("origin");
      if (!origin.empty() && OriginHost(origin) != req.Header("host")) {
        return JsonError(403, "permission_denied", "cross-site request refused");
      }
      return std::nullopt;
    }
    case AuthPolicy::kSession:
      return session() ? std::nullopt : std::optional<Reply>(signed_out());
    case AuthPolicy::kSessionCsrf:
      return session() ? csrf() : std::optional<Reply>(signed_out());
    case AuthPolicy::kRead:
    case AuthPolicy::kHeatmapRead:
    case AuthPolicy::kMember:
    case AuthPolicy::kMemberCsrf:
    case AuthPolicy::kOwner:
    case AuthPolicy::kOwnerCsrf:
      break;
  }
  // The project-scoped policies.
  std::string project = req.Query("project_id");
  if (req.method != "GET" && req.method != "HEAD") {
    // One request, one project: a body naming another project than the query is refused, so no
    // handler can be steered to the project it was not authorized for.
    std::string in_body = BodyProjectId(req.body);
    if (!project.empty() && !in_body.empty() && in_body != project)
      return JsonError(403, "permission_denied",
                       "the body's project_id is not the project of ?project_id=");
    if (project.empty()) project = std::move(in_body);
  }
  if (project.empty()) return ErrorReply(Status::InvalidArgument("project_id is required"));
  const bool tokens_allowed = policy == AuthPolicy::kRead || policy == AuthPolicy::kHeatmapRead;
  if (session()) {
    // A project the user is not a member of answers as one that does not exist: its id cannot
    // be probed.
    auto role = meta_->GetRole(project, call->user_id);
    if (!role.ok()) return ErrorReply(role.status());
    if (!role->has_value()) return ErrorReply(Status::NotFound("no project " + project));
    const bool owner_only = policy == AuthPolicy::kOwner || policy == AuthPolicy::kOwnerCsrf;
    if (owner_only && **role != Role::kOwner) {
      return JsonError(403, "permission_denied",
                       "only an owner of project " + project + " may do this");
    }
    if (policy == AuthPolicy::kMemberCsrf || policy == AuthPolicy::kOwnerCsrf) {
      if (auto refused = csrf()) return refused;
    }
    call->project_id = project;
    call->role = *role;
    return std::nullopt;
  }
  if (!tokens_allowed) return signed_out();
  std::string_view h = req.Header("authorization");
  if (h.size() < 8 || !(h.starts_with("Bearer ") || h.starts_with("bearer "))) {
    return JsonError(401, "unauthenticated", "send Authorization: Bearer <read_token>, or sign in");
  }
  const std::string token(h.substr(7));
  if (token.starts_with("bt.")) {
    if (policy != AuthPolicy::kHeatmapRead) {
      return JsonError(
          403, "permission_denied",
          "the bookmarklet token only reads heatmaps, scroll maps, elements and snapshots");
    }
    if (auth_ == nullptr || !auth_->VerifyOverlayToken(token, project)) {
      return JsonError(401, "unauthenticated",
                       "the bookmarklet token is expired, revoked or not for project " + project);
    }
    call->caller = Caller::kOverlayToken;
    call->project_id = project;
    return std::nullopt;
  }
  auto ok = meta_->CheckReadToken(project, token);
  if (!ok.ok()) return ErrorReply(ok.status());
  if (!*ok)
    return JsonError(401, "unauthenticated", "the read token is not valid for project " + project);
  call->caller = Caller::kReadToken;
  call->project_id = project;
  return std::nullopt;
}

}  // namespace tapistry
