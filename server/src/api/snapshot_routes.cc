// The stored page snapshots behind the heatmap's snapshot view and the bookmarklet overlay.
#include "api/api_common.h"
#include "api/api_routes.h"
#include "snapshot/snapshot_service.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

Reply Snapshot(const ApiDeps& d, const RouteCall& call, bool status_only) {
  const HttpRequest& req = call.req;
  std::string path = req.Query("path");
  if (path.empty()) return ErrorReply(Status::InvalidArgument("path is required"));
  std::optional<uint8_t> bucket;
  std::string vw = req.Query("vw");
  if (!vw.empty()) {
    uint8_t b;
    if (!ParseViewportBucket(vw, &b)) return ErrorReply(Status::InvalidArgument("vw must be one of 0-479, 480-767, 768-1023, 1024-1439, 1440+"));
    bucket = b;
  }
  if (status_only) return JsonReply(d.snapshots->StatusJson(call.project_id, path, bucket));
  auto r = d.snapshots->Get(call.project_id, path, bucket);
  if (!r.ok() && r.status().code() == StatusCode::kNotFound) return JsonError(404, "no_snapshot", r.status().message());
  if (!r.ok()) return ErrorReply(r.status());
  return JsonReply(std::move(r).value());
}

}  // namespace

Status AddSnapshotRoutes(RouteTable* t, const ApiDeps& d) {
  if (d.snapshots == nullptr) return Status::Ok();
  TAP_RETURN_IF_ERROR(t->Add({"GET", "/api/snapshot", AuthPolicy::kHeatmapRead, limits::kMaxApiBody, 0, false,
                              CorsPolicy::kNone, "api",
                              Sync([d](const RouteCall& c) { return Snapshot(d, c, false); })}));
  return t->Add({"GET", "/api/snapshot/status", AuthPolicy::kHeatmapRead, limits::kMaxApiBody, 0, false,
                 CorsPolicy::kNone, "api", Sync([d](const RouteCall& c) { return Snapshot(d, c, true); })});
}

}  // namespace tapistry
