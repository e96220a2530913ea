// The stored page snapshots behind the heatmap's snapshot view and the bookmarklet overlay.
#include "api/api_common.h"
#include "api/api_routes.h"
#include "assetcache/asset_cache.h"
#include "common/params.h"
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
    if (!ParseViewportBucket(vw, &b))
      return ErrorReply(
          Status::InvalidArgument("vw must be one of 0-479, 480-767, 768-1023, 1024-1439, 1440+"));
    bucket = b;
  }
  if (status_only) return JsonReply(d.snapshots->StatusJson(call.project_id, path, bucket));
  auto r = d.snapshots->Get(call.project_id, path, bucket);
  if (!r.ok() && r.status().code() == StatusCode::kNotFound)
    return JsonError(404, "no_snapshot", r.status().message());
  if (!r.ok()) return ErrorReply(r.status());
  return JsonReply(std::move(r).value());
}

// The snapshot view's assets (stylesheets, images, fonts), fetched by the server so the analyst's
// browser loads nothing from the origins a snapshot names (docs/assets.md). Stylesheets come back
// with their url()s and @imports pointing here again.
Reply SnapshotAsset(const ApiDeps& d, const RouteCall& call) {
  const HttpRequest& req = call.req;
  const std::string url = req.Query("url");
  if (url.empty()) return ErrorReply(Status::InvalidArgument("url is required"));
  int depth = 0;
  if (req.HasQuery("d")) {
    auto n = ParseIntStrict(req.Query("d"), 0, 100);
    if (!n.ok()) return ErrorReply(Status::InvalidArgument("d must be an integer"));
    depth = static_cast<int>(*n);
  }
  auto project = d.meta->GetProject(call.project_id);
  if (!project.ok()) return ErrorReply(project.status());
  assetcache::AssetPolicy policy;
  policy.allowed_origins = project->allowed_origins;
  policy.base_path = "/api/snapshot-asset?project_id=" + call.project_id;
  auto a = d.assets->Get(url, policy, depth);
  if (!a.ok()) return ErrorReply(a.status());
  Reply r;
  r.content_type = a->content_type;
  r.body = std::move(a->body);
  r.AddHeader("X-Content-Type-Options", "nosniff");
  r.AddHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox");
  r.AddHeader("Cross-Origin-Resource-Policy", "same-origin");
  r.AddHeader("Referrer-Policy", "no-referrer");
  r.AddHeader("Cache-Control", "private, max-age=3600");
  return r;
}

}  // namespace

Status AddSnapshotRoutes(RouteTable* t, const ApiDeps& d) {
  if (d.snapshots == nullptr) return Status::Ok();
  TAP_RETURN_IF_ERROR(t->Add({"GET", "/api/snapshot", AuthPolicy::kHeatmapRead, limits::kMaxApiBody,
                              0, false, CorsPolicy::kNone, "api",
                              Sync([d](const RouteCall& c) { return Snapshot(d, c, false); })}));
  TAP_RETURN_IF_ERROR(t->Add({"GET", "/api/snapshot/status", AuthPolicy::kHeatmapRead,
                              limits::kMaxApiBody, 0, false, CorsPolicy::kNone, "api",
                              Sync([d](const RouteCall& c) { return Snapshot(d, c, true); })}));
  if (d.assets == nullptr) return Status::Ok();
  // A fetch may take seconds (a slow upstream): it runs off the I/O threads.
  return t->Add({"GET", "/api/snapshot-asset", AuthPolicy::kHeatmapRead, limits::kMaxApiBody, 0,
                 false, CorsPolicy::kNone, "asset", [d](RouteCall&& c, Responder respond) {
                   auto job = [d, c = std::move(c), respond]() { respond(SnapshotAsset(d, c)); };
                   if (!d.run_blocking(std::move(job))) {
                     Reply busy =
                         JsonError(503, "unavailable", "too many asset fetches at once; try again");
                     busy.AddHeader("Retry-After", "1");
                     respond(std::move(busy));
                   }
                 }});
}

}  // namespace tapistry
