// RetentionJob: applies each project's event retention (ProjectSettings::retention_days, 180 by
// default; spec §10) by dropping whole UTC days, its replay retention (replay_retention_days, 60
// by default) by deleting recorded sessions whose first event is older, and deletes page
// snapshots not refreshed for limits::kSnapshotRetentionMs, once at start and then every hour.
// Thread-safety: owns one background thread; Stop() joins it.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "ops/metrics.h"
#include "replay/replay_service.h"
#include "snapshot/snapshot_service.h"
#include "tapistry/clock.h"
#include "tapistry/event_store.h"
#include "tapistry/meta_store.h"

namespace tapistry {

class RetentionJob {
 public:
  // `snapshots` and `replays` may be null (no snapshot / replay retention).
  RetentionJob(MetaStore* meta, EventStore* store, SnapshotService* snapshots,
               ReplayService* replays, Clock* clock, MetricsRegistry* metrics);
  ~RetentionJob();
  void Start(int64_t interval_ms = 3600 * 1000);
  void Stop();
  // One pass over every project (tests call it directly).
  Status RunOnce();

 private:
  MetaStore* meta_;
  EventStore* store_;
  SnapshotService* snapshots_;
  ReplayService* replays_;
  Clock* clock_;
  Counter* runs_;
  Counter* failures_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace tapistry
