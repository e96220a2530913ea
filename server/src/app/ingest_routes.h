// The public ingestion routes — POST /i (events), POST /s and GET /s (heatmap snapshots), POST /r
// (replay chunks) — with their admission step (ingest/admission.h), body limits and CORS policy.
// Thread-safety: the handlers are called concurrently; the services are thread-safe.
#pragma once

#include "common/route.h"
#include "ingest/admission.h"
#include "ingest/ingest_service.h"
#include "replay/replay_service.h"
#include "snapshot/snapshot_service.h"

namespace tapistry {

struct ReplayIngest {
  ReplayService* service = nullptr;  // null: no /r
  // Runs a chunk's blocking write (fsync) off the HTTP I/O threads; false when it is full.
  std::function<bool(std::function<void()>)> run_blocking;
};

Status AddIngestRoutes(RouteTable* t, Admission* admission, IngestService* ingest,
                       SnapshotService* snapshots, ReplayIngest replay = {});

}  // namespace tapistry
