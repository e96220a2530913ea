// The replay read routes (docs/api.md "Replays"), kRead: a dashboard session or the project's
// read token, for the request's project_id; every answer is that project's data only (the blob
// keys and index rows start with the authorized project id). POST /r, the ingestion route, is
// declared with the other public ingestion routes (app/ingest_routes.cc) behind the admission step.
//   GET /api/replays                           the project's recorded sessions, newest first
//   GET /api/replays/<session>                 one session and its chunks
//   GET /api/replays/<session>/chunks/<n>      one stored chunk (gzip JSONL; Range honoured)
//   GET /api/replay-asset?url=&d=             a recorded stylesheet, image or font, through the
//                                              asset cache and kept (replay_assets.h)
// Thread-safety: the handlers are called concurrently; ReplayService is thread-safe.
#pragma once

#include <functional>

#include "common/route.h"
#include "replay/replay_assets.h"
#include "replay/replay_service.h"

namespace tapistry {

Status AddReplayReadRoutes(RouteTable* t, ReplayService* replay);

// The player's asset route, kRead (the dashboard session cookie, which the player's frames send:
// they are same-origin with the dashboard; or a read token). A fetch may take seconds: it runs
// through `run_blocking` (false: busy, 503 + Retry-After).
Status AddReplayAssetRoute(RouteTable* t, ReplayAssets* assets,
                           std::function<bool(std::function<void()>)> run_blocking);

}  // namespace tapistry
