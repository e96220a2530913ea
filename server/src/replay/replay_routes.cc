#include "replay/replay_routes.h"

#include "common/params.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

Reply StatusReply(const Status& s) {
  return JsonError(HttpStatusFor(s.code()), StatusCodeName(s.code()), s.message());
}

// Served like /api/snapshot-asset (docs/assets.md "What the route has to add"): the type as the
// cache gives it, never sniffed, usable by our own pages only, and inert if opened on its own.
Reply ReplayAsset(ReplayAssets* assets, const RouteCall& call) {
  const HttpRequest& req = call.req;
  const std::string url = req.Query("url");
  if (url.empty()) return StatusReply(Status::InvalidArgument("url is required"));
  int depth = 0;
  if (req.HasQuery("d")) {
    auto n = ParseIntStrict(req.Query("d"), 0, 100);
    if (!n.ok()) return StatusReply(Status::InvalidArgument("d must be an integer"));
    depth = static_cast<int>(*n);
  }
  auto a = assets->Get(call.project_id, url, depth);
  if (!a.ok()) return StatusReply(a.status());
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

Status AddReplayReadRoutes(RouteTable* t, ReplayService* replay) {
  if (replay == nullptr) return Status::Ok();
  TAP_RETURN_IF_ERROR(t->Add(
      {"GET", "/api/replays", AuthPolicy::kRead, limits::kMaxApiBody, 0, false, CorsPolicy::kNone,
       "api", [replay](RouteCall&& c, Responder respond) { respond(replay->List(c)); }}));
  return t->Add({"GET", "/api/replays/*", AuthPolicy::kRead, limits::kMaxApiBody, 0, false,
                 CorsPolicy::kNone, "replay_read",
                 [replay](RouteCall&& c, Responder respond) { respond(replay->Read(c)); }});
}

Status AddReplayAssetRoute(RouteTable* t, ReplayAssets* assets,
                           std::function<bool(std::function<void()>)> run_blocking) {
  if (assets == nullptr) return Status::Ok();
  return t->Add(
      {"GET", kReplayAssetPath, AuthPolicy::kRead, limits::kMaxApiBody, 0, false, CorsPolicy::kNone,
       "asset", [assets, run_blocking](RouteCall&& c, Responder respond) {
         auto job = [assets, c = std::move(c), respond]() { respond(ReplayAsset(assets, c)); };
         if (!run_blocking(std::move(job))) {
           Reply busy = JsonError(503, "unavailable", "too many asset fetches at once; try again");
           busy.AddHeader("Retry-After", "1");
           respond(std::move(busy));
         }
       }});
}

}  // namespace tapistry
