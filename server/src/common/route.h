// RouteTable: every HTTP route the server answers, in one place — method, path pattern, who may
// call it (AuthPolicy), the largest body it takes, whether a gzip body is accepted, its CORS policy
// and its metrics label. The HTTP server reads the body limit and label from it when a request's
// headers arrive; the router dispatches through it and applies the auth policy before any
// handler runs; the app builds it (server/README.md: "adding a route"). A route without an auth
// policy or a body limit cannot be added (Add fails), and route_test walks the table.
// Thread-safety: built once at start-up (Add), then read concurrently (Match, BodyLimit, Label).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/reply.h"
#include "common/request.h"
#include "tapistry/meta_store.h"
#include "tapistry/status.h"

namespace tapistry {

// Who may call a route. kUnset is never valid: every route says its policy.
enum class AuthPolicy {
  kUnset = 0,
  kPublic,        // anyone: health, metrics, static files, the printed sign-in link
  kPublicForm,    // anyone, but not from another site's page: the Origin, when sent, is this
                  // server (sign-in requests and confirmations: no login CSRF)
  kPublicIngest,  // a project's public key, through the one admission step (ingest/admission.h)
  kSession,       // a dashboard session cookie (routes about the signed-in user, no project)
  kSessionCsrf,   // a dashboard session cookie + its X-CSRF-Token + no foreign Origin
  // The project-scoped policies: the request names its project (?project_id=, or a non-GET
  // body's "project_id"), and the router checks the caller's right to that project before the
  // handler runs. A session must be a member of it (else 404, as for an unknown project).
  kRead,         // a member's session, or a read token of the project
  kHeatmapRead,  // kRead, or the bookmarklet overlay's short-lived token for that project
  kMember,       // a member's session
  kMemberCsrf,   // a member's session + CSRF (as kSessionCsrf): saved funnels, overlay tokens
  kOwner,        // an owner's session (403 for a member): the audit log, read-token list
  kOwnerCsrf,    // an owner's session + CSRF: settings, keys, members, rename, delete, DSAR
};
std::string_view AuthPolicyName(AuthPolicy p);
// True for the policies that name a project (kRead and after).
bool ProjectScoped(AuthPolicy p);

enum class CorsPolicy {
  kNone,    // no Access-Control-* headers ever
  kIngest,  // the SDK's endpoints: preflights and responses for the project's allowed origins
};

// How the caller was authenticated (set by the router before the handler runs).
enum class Caller { kNone, kSession, kReadToken, kOverlayToken, kPublicKey };

// One dispatched request: the request (body already inflated), the resolved client address, and
// what the auth step established.
struct RouteCall {
  HttpRequest req;
  std::string client_ip;      // after trusted-proxy resolution
  std::string country_hint;   // from the trusted country header, "" when none
  bool trusted_peer = false;  // the peer is a configured trusted proxy
  Caller caller = Caller::kNone;
  std::string project_id;                  // ProjectScoped policies: the authorized project
  std::optional<Role> role;                // the session's role in project_id (none for tokens)
  std::shared_ptr<const Project> project;  // kPublicIngest: the admitted project
  std::string csrf;                        // kSession / kSessionCsrf: the session's CSRF token
  std::string session_cookie;              // kSession / kSessionCsrf: the cookie value
  std::string session_id;                  // kSession / kSessionCsrf: the session's id
  std::string user_id;                     // kSession / kSessionCsrf: the signed-in user
};

using Responder = std::function<void(Reply)>;
using RouteHandler = std::function<void(RouteCall&&, Responder)>;

struct Route {
  std::string method;  // "GET" (also answers HEAD), "POST", ...
  std::string path;    // exact, or a prefix ending in '*' ("/app/*")
  AuthPolicy auth = AuthPolicy::kUnset;
  size_t body_limit = 0;      // bytes as sent; a gzip body is inflated to at most inflated_limit
  size_t inflated_limit = 0;  // 0 = body_limit
  bool gzip = false;          // Content-Encoding: gzip accepted
  CorsPolicy cors = CorsPolicy::kNone;
  const char* label = "other";  // metrics route label (low cardinality)
  RouteHandler handler;
  // kPublicIngest only: the admission step, run on the body as sent (before it is inflated or
  // parsed); sets call->project or returns the refusal.
  std::function<std::optional<Reply>(RouteCall*)> admit;
};

class RouteTable {
 public:
  // Fails on a route without an auth policy, a body limit, a handler, or that repeats one.
  Status Add(Route r);

  // The route for (method, path); nullptr when none. *path_known tells 404 from 405.
  const Route* Match(std::string_view method, std::string_view path, bool* path_known) const;
  // Methods served at `path` ("GET, POST"), for 405's Allow header.
  std::string AllowedMethods(std::string_view path) const;
  // The largest body any route at `path` takes, as sent (0 = no route: the request gets 404).
  size_t BodyLimit(std::string_view path) const;
  const char* Label(std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

bool PathMatches(std::string_view pattern, std::string_view path);

}  // namespace tapistry
