// The public ingestion routes — POST /i (events), POST /s and GET /s (heatmap snapshots) — with
// their admission step (ingest/admission.h), body limits and CORS policy.
// Thread-safety: the handlers are called concurrently; the services are thread-safe.
#pragma once

#include "common/route.h"
#include "ingest/admission.h"
#include "ingest/ingest_service.h"
#include "snapshot/snapshot_service.h"

namespace tapistry {

Status AddIngestRoutes(RouteTable* t, Admission* admission, IngestService* ingest, SnapshotService* snapshots);

}  // namespace tapistry
