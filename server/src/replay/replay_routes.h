// The replay read routes (docs/api.md "Replays"), kRead: a dashboard session or the project's
// read token, for the request's project_id; every answer is that project's data only (the blob
// keys and index rows start with the authorized project id). POST /r, the ingestion route, is
// declared with the other public ingestion routes (app/ingest_routes.cc) behind the admission step.
//   GET /api/replays                           the project's recorded sessions, newest first
//   GET /api/replays/<session>                 one session and its chunks
//   GET /api/replays/<session>/chunks/<n>      one stored chunk (gzip JSONL; Range honoured)
// Thread-safety: the handlers are called concurrently; ReplayService is thread-safe.
#pragma once

#include "common/route.h"
#include "replay/replay_service.h"

namespace tapistry {

Status AddReplayReadRoutes(RouteTable* t, ReplayService* replay);

}  // namespace tapistry
