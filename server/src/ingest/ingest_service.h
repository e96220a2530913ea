// IngestService: POST /i from an admitted request to durable ack (spec §4, DESIGN §4). Key,
// origin and request rates were checked by Admission (ingest/admission.h) before the body was
// inflated; here: parsing and validation (400/413, per-event errors -> 206), per-session limits,
// then the pipeline (dedupe, WAL fsync; 503 under backpressure). Transport-neutral.
// Thread-safety: HandleEvents may be called concurrently; each thread uses its own EventParser.
#pragma once

#include <functional>
#include <string>

#include "common/reply.h"
#include "ingest/admission.h"
#include "ingest/cookieless.h"
#include "ingest/enrich.h"
#include "ingest/project_cache.h"
#include "ingest/rate_limiter.h"
#include "ops/metrics.h"
#include "tapistry/clock.h"

namespace tapistry {

class Pipeline;

struct IngestRequest {
  std::shared_ptr<const Project> project;  // admitted
  std::string body;                        // decompressed
  std::string origin;                      // Origin header, "" when absent
  std::string user_agent;
  bool has_accept_language = false;
  std::string client_ip;       // after trusted-proxy resolution
  std::string country_hint;    // from the configured trusted country header, "" when none
  int64_t client_time_ms = 0;  // X-Client-Time
};

class IngestService {
 public:
  // `cookieless` names the visitors of projects in cookieless mode (may be null: those projects'
  // events keep the ids they were sent with).
  IngestService(Admission* admission, Pipeline* pipeline, RateLimiter* limiter,
                const GeoIpResolver* geo, MetricsRegistry* metrics, Clock* clock,
                CookielessIds* cookieless = nullptr);

  // Calls done exactly once, possibly on another thread (after the WAL fsync).
  void HandleEvents(IngestRequest req, std::function<void(Reply)> done);

 private:
  Reply Reject(int status, const char* code, std::string reason);

  Admission* admission_;
  CookielessIds* cookieless_;
  Pipeline* pipeline_;
  RateLimiter* limiter_;
  const GeoIpResolver* geo_;
  MetricsRegistry* metrics_;
  Clock* clock_;
  Counter* events_accepted_;
  Counter* events_duplicate_;
  Counter* events_rejected_;
};

}  // namespace tapistry
