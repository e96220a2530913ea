// IngestService: POST /i from request to durable ack (spec §4, DESIGN §4). The order of checks
// is the order of cost: key (401), origin (403), project and IP rate limits (429), parsing and
// validation (400/413, per-event errors -> 206), per-session limits, then the pipeline (dedupe,
// WAL fsync; 503 under backpressure). Transport-neutral: http/ adapts Beast requests to this.
// Thread-safety: HandleEvents may be called concurrently; each thread uses its own EventParser.
#pragma once

#include <functional>
#include <string>

#include "common/reply.h"
#include "ingest/enrich.h"
#include "ingest/project_cache.h"
#include "ingest/rate_limiter.h"
#include "ops/metrics.h"
#include "tapistry/clock.h"

namespace tapistry {

class Pipeline;

struct IngestLimits {
  double project_rps = 2000;   // requests/s per project (spec §18)
  double ip_rps = 200;         // requests/s per client IP
  double session_eps = 60;     // events/s per session
  double session_max_events = 5000;  // events per session (refills over 24 h)
};

struct IngestRequest {
  std::string body;             // decompressed
  std::string key_header;       // X-Project-Key
  std::string key_query;        // ?k=
  std::string origin;           // Origin header, "" when absent
  std::string user_agent;
  bool has_accept_language = false;
  std::string client_ip;        // after trusted-proxy resolution
  std::string country_hint;     // from the configured trusted country header, "" when none
  int64_t client_time_ms = 0;   // X-Client-Time
};

class IngestService {
 public:
  IngestService(ProjectCache* projects, Pipeline* pipeline, RateLimiter* limiter,
                const GeoIpResolver* geo, MetricsRegistry* metrics, Clock* clock, IngestLimits limits);

  // Calls done exactly once, possibly on another thread (after the WAL fsync).
  void HandleEvents(IngestRequest req, std::function<void(Reply)> done);

  // CORS headers for a preflight or response from `origin` (empty when it must not be allowed).
  bool PreflightAllowed(const std::string& origin);

 private:
  Reply Reject(int status, const char* code, std::string reason);

  ProjectCache* projects_;
  Pipeline* pipeline_;
  RateLimiter* limiter_;
  const GeoIpResolver* geo_;
  MetricsRegistry* metrics_;
  Clock* clock_;
  IngestLimits limits_;
  Counter* events_accepted_;
  Counter* events_duplicate_;
  Counter* events_rejected_;
};

}  // namespace tapistry
