// The dashboard and read API (spec §6.2), one file per feature, each adding its routes to the
// RouteTable with their auth policy (common/route.h); the router has authorized every call before
// a handler here runs, so handlers read `call.project_id` / `call.csrf` and never check access.
//   auth_routes.cc       GET /auth/signin, POST /auth/request, GET/POST /auth/confirm,
//                        POST /auth/signout, GET /api/me, /api/me/sessions,
//                        POST /api/me/sessions/revoke, POST /api/bookmarklet-token
//   project_routes.cc    GET/POST /api/projects, PUT/DELETE /api/project, GET/POST/DELETE
//                        /api/members, GET/PUT /api/settings, POST /api/keys/rotate, GET
//                        /api/audit, GET /api/install/status, GET/POST/DELETE /api/tokens
//   analytics_routes.cc  GET /api/overview, /api/events, /api/heatmap, /api/heatmap/elements,
//                        /api/layouts, /api/scrollmap, /api/elements, /api/breakdown, /api/paths
//   snapshot_routes.cc   GET /api/snapshot, /api/snapshot/status, /api/snapshot-asset
//   privacy_routes.cc    POST /api/dsar/delete
//   funnel_routes.cc     POST /api/funnels/query, GET/POST /api/funnels, GET/PUT/DELETE
//                        /api/funnels/<id>, GET /api/event-names
// Responses are JSON; errors are {"error","reason"} (docs/api.md).
// Thread-safety: the handlers are called concurrently; the deps are thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "api/session_auth.h"
#include "common/reply.h"
#include "common/route.h"
#include "ops/metrics.h"
#include "tapistry/clock.h"
#include "tapistry/event_store.h"
#include "tapistry/meta_store.h"

namespace tapistry {

class SnapshotService;
class Mailer;
namespace assetcache {
class AssetCache;
}

struct ApiDeps {
  MetaStore* meta = nullptr;
  EventStore* events = nullptr;
  SessionAuth* auth = nullptr;
  SnapshotService* snapshots = nullptr;
  assetcache::AssetCache* assets = nullptr;  // null: no /api/snapshot-asset
  // Runs slow work (an upstream fetch) off the HTTP I/O threads; false when it is full.
  std::function<bool(std::function<void()>)> run_blocking;
  Clock* clock = nullptr;
  MetricsRegistry* metrics = nullptr;
  // Deletes one recorded session (ReplayService::DeleteSession): a DSAR delete reaches the
  // subject's recordings too. Null: no replay store.
  std::function<Result<bool>(const std::string& project_id, const std::string& session_id)>
      delete_recording;
  // Makes a DSAR delete final on disk (ServerApp: Pipeline::RetireWal, then
  // MetaStore::PurgeDeleted): no WAL file or meta store journal keeps a copy of what was deleted.
  // Null: nothing to do.
  std::function<Status()> purge_deleted;
  // What ingestion saw of a project lately (IngestMonitor::StatusJson), for GET
  // /api/install/status. Null: the route answers 503.
  std::function<std::string(const Project&)> install_status;
  // Sign-in by email (auth_routes.cc). Links are built from public_url only (never from a request's
  // Host); with no public_url or no mailer they are written to the server log instead.
  Mailer* mailer = nullptr;
  std::string public_url;
  std::function<std::string()> log_base_url;  // the listen address, for logged links
  // Takes one token from the bucket `key` (rate per second, burst); false with *retry_after_s
  // when it is empty.
  std::function<bool(std::string_view key, double rate, double burst, int* retry_after_s)> allow;
};

// Appends an entry to the project's audit log (MetaStore::AppendAudit) for the signed-in caller,
// after a change succeeded; a failed append is logged, not returned (the change has happened).
void WriteAudit(const ApiDeps& d, const RouteCall& call, const std::string& project_id,
                const std::string& action, std::string details);

Status AddAuthRoutes(RouteTable* t, const ApiDeps& d);
Status AddAnalyticsRoutes(RouteTable* t, const ApiDeps& d);
Status AddSnapshotRoutes(RouteTable* t, const ApiDeps& d);
Status AddPrivacyRoutes(RouteTable* t, const ApiDeps& d);
Status AddFunnelRoutes(RouteTable* t, const ApiDeps& d);
Status AddProjectRoutes(RouteTable* t, const ApiDeps& d);

// The auth step for the policies above kPublicIngest (the router calls it before any handler):
// sets call->caller, project_id, role, csrf; or returns the refusal (401 / 403 / 404 / 503).
// The project-scoped policies (ProjectScoped) take the project from ?project_id=, or, for a
// non-GET request without one, from the JSON body's "project_id" (spec §6.2's POST
// /api/funnels/query carries it there); a session must be a member of it (an owner for kOwner*),
// else the project answers 404 as if it did not exist.
class RouteAuth {
 public:
  RouteAuth(MetaStore* meta, SessionAuth* auth) : meta_(meta), auth_(auth) {}
  std::optional<Reply> Check(AuthPolicy policy, RouteCall* call) const;

 private:
  MetaStore* meta_;
  SessionAuth* auth_;
};

}  // namespace tapistry
