#include "app/retention.h"

#include "common/json_writer.h"
#include "ops/logging.h"

namespace tapistry {

RetentionJob::RetentionJob(MetaStore* meta, EventStore* store, SnapshotService* snapshots,
                           ReplayService* replays, Clock* clock, MetricsRegistry* metrics)
    : meta_(meta), store_(store), snapshots_(snapshots), replays_(replays), clock_(clock) {
  runs_ =
      metrics->GetCounter("tapistry_retention_runs_total", "Retention passes over all projects");
  failures_ = metrics->GetCounter("tapistry_retention_failures_total",
                                  "Retention passes that failed for a project");
}

RetentionJob::~RetentionJob() { Stop(); }

Status RetentionJob::RunOnce() {
  auto projects = meta_->ListProjects();
  if (!projects.ok()) return projects.status();
  const int32_t today = DayOf(clock_->NowMs());
  Status first_error;
  for (const Project& p : *projects) {
    int keep = p.settings.retention_days > 0 ? p.settings.retention_days : 180;
    auto removed = store_->ApplyRetention(p.id, today, keep);
    if (removed.ok() && *removed > 0) {
      Log(LogLevel::kInfo, "retention dropped old days",
          {{"project_id", p.id},
           {"retention_days", std::to_string(keep)},
           {"rows", std::to_string(*removed)}});
    }
    if (!removed.ok()) {
      const Status& s = removed.status();
      failures_->Inc();
      Log(LogLevel::kError, "retention failed", {{"project_id", p.id}, {"error", s.ToString()}});
      if (first_error.ok()) first_error = s;
    }
    Result<uint64_t> sessions = uint64_t{0};
    if (replays_ != nullptr)
      sessions = replays_->ApplyRetention(p.id, p.settings.replay_retention_days);
    if (sessions.ok() && *sessions > 0) {
      Log(LogLevel::kInfo, "retention deleted old replays",
          {{"project_id", p.id},
           {"replay_retention_days", std::to_string(p.settings.replay_retention_days)},
           {"sessions", std::to_string(*sessions)}});
    }
    if (!sessions.ok()) {
      failures_->Inc();
      Log(LogLevel::kError, "replay retention failed",
          {{"project_id", p.id}, {"error", sessions.status().ToString()}});
      if (first_error.ok()) first_error = sessions.status();
    }
    // What this pass did, for Settings ("last run").
    JsonWriter w;
    w.BeginObject().Key("ran_ms").Int(clock_->NowMs());
    w.Key("events_removed").Uint(removed.ok() ? *removed : 0);
    w.Key("recordings_removed").Uint(sessions.ok() ? *sessions : 0);
    const Status& err = !removed.ok() ? removed.status() : sessions.status();
    w.Key("error").String(err.ok() ? "" : err.ToString()).EndObject();
    (void)meta_->PutValue(kRetentionRunKeyPrefix + p.id, w.Take());
  }
  if (snapshots_ != nullptr) {
    auto n = snapshots_->Sweep();
    if (!n.ok()) {
      failures_->Inc();
      Log(LogLevel::kError, "snapshot retention failed", {{"error", n.status().ToString()}});
      if (first_error.ok()) first_error = n.status();
    } else if (*n > 0) {
      Log(LogLevel::kInfo, "retention deleted stale page snapshots",
          {{"snapshots", std::to_string(*n)}});
    }
  }
  runs_->Inc();
  return first_error;
}

void RetentionJob::Start(int64_t interval_ms) {
  thread_ = std::thread([this, interval_ms] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      (void)RunOnce();
      lock.lock();
      cv_.wait_for(lock, std::chrono::milliseconds(interval_ms), [this] { return stop_; });
    }
  });
}

void RetentionJob::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tapistry
