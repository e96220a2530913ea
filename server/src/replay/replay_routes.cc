#include "replay/replay_routes.h"

#include "tapistry/limits.h"

namespace tapistry {

Status AddReplayReadRoutes(RouteTable* t, ReplayService* replay) {
  if (replay == nullptr) return Status::Ok();
  TAP_RETURN_IF_ERROR(t->Add(
      {"GET", "/api/replays", AuthPolicy::kRead, limits::kMaxApiBody, 0, false, CorsPolicy::kNone,
       "api", [replay](RouteCall&& c, Responder respond) { respond(replay->List(c)); }}));
  return t->Add({"GET", "/api/replays/*", AuthPolicy::kRead, limits::kMaxApiBody, 0, false,
                 CorsPolicy::kNone, "replay_read",
                 [replay](RouteCall&& c, Responder respond) { respond(replay->Read(c)); }});
}

}  // namespace tapistry
