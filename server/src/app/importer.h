// Importer: `tapistry import` — bulk-loads NDJSON event files (docs/wire-format.md, one event per
// line, server-side fields allowed) straight into the EventStore, bypassing the WAL: the import is
// durable when it returns (the store is flushed). Lines are parsed on all cores; invalid lines are
// counted and the first few reported, the valid ones around them are kept.
// Thread-safety: Run is called once from one thread; it starts its own workers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tapistry/event_store.h"
#include "tapistry/status.h"

namespace tapistry {

struct ImportStats {
  uint64_t lines = 0;
  uint64_t imported = 0;
  uint64_t rejected = 0;
  double seconds = 0;
  // Imported events older than the project's retention: the server's hourly retention job drops
  // them (whole days older than retention_days), so the importer warns about them.
  uint64_t older_than_retention = 0;
  std::vector<std::string> first_errors;  // "file:line: field: reason", at most 20
};

struct ImportOptions {
  std::string project_id;
  int threads = 0;  // 0 = hardware concurrency
  std::vector<std::string> query_allowlist = {"utm_source", "utm_medium", "utm_campaign",
                                              "utm_term", "utm_content"};
  int retention_days = 180;  // the project's; events on days the retention job drops are counted
  // Called about once a second with the running totals (progress on stderr).
  std::function<void(const ImportStats&)> progress;
};

Result<ImportStats> ImportFiles(const std::vector<std::string>& files, const ImportOptions& opts,
                                EventStore* store);

}  // namespace tapistry
