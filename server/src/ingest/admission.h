// Admission: the one gate in front of every public ingestion endpoint (POST /i, POST and GET /s,
// POST /r). In the order of cost, and before any body is inflated or parsed:
// the project key (header X-Project-Key, ?k=, or a leading "k" in an uncompressed JSON body) →
// project (401 unknown / missing key, 503 when the meta store cannot say), the Origin against the
// project's allowlist (403), the browser's privacy signals when the project honours them (DNT: 1,
// Sec-GPC: 1 → 200 {"accepted":0,"dropped":"do_not_track" | "global_privacy_control"}: nothing is
// stored and the SDK does not retry), the client IP's rate (429) and only then the project's rate
// (429), so a request refused for its IP costs the project nothing. The same failure gets the same
// status code and JSON reason on every channel. CORS for the SDK's endpoints lives here too.
// Thread-safety: safe for concurrent use.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "common/reply.h"
#include "common/request.h"
#include "ingest/ingest_monitor.h"
#include "ingest/project_cache.h"
#include "ingest/rate_limiter.h"
#include "ops/metrics.h"
#include "tapistry/meta_store.h"

namespace tapistry {

struct IngestLimits {
  double project_rps = 2000;         // /i requests/s per project (spec §18)
  double ip_rps = 200;               // /i requests/s per client IP
  double session_eps = 60;           // events/s per session
  double session_max_events = 5000;  // events per session (refills over 24 h)
};

enum class IngestChannel {
  kEvents,         // POST /i
  kSnapshot,       // POST /s
  kSnapshotQuery,  // GET /s
  kReplay,         // POST /r
};

class Admission {
 public:
  // `monitor` (may be null) hears of every refusal, for the dashboard's install check.
  Admission(ProjectCache* projects, MetaStore* meta, RateLimiter* limiter, MetricsRegistry* metrics,
            IngestLimits limits, IngestMonitor* monitor = nullptr);

  // Admits `req` (body as sent) for `channel`, or returns the reply that refuses it.
  // `body_encoded`: the body is compressed, so a key inside it cannot be read (it must come in
  // the header or the query).
  std::optional<Reply> Admit(const HttpRequest& req, const std::string& client_ip,
                             IngestChannel channel, bool body_encoded,
                             std::shared_ptr<const Project>* project);

  // A CORS preflight from `origin` may proceed (some project allows it; preflights carry no key).
  bool PreflightAllowed(const std::string& origin);
  static void AddCors(Reply* r, const std::string& origin);

  // The origins a project's events come from, for a project without an allowlist: the snapshot
  // service accepts snapshots only of pages on such an origin. Remembered in the meta store
  // ("seen_origin:<project>:<origin>"), at most kMaxSeenOriginsPerProject new ones per process.
  void NoteEventOrigin(const Project& p, const std::string& origin);
  bool EventOriginSeen(const Project& p, const std::string& origin);

  // What became of an admitted request, for the install check (IngestMonitor): `events` stored
  // when `refused` is empty, else refused for that reason (a body with no valid event).
  void NoteOutcome(const std::string& project_id, std::string_view origin, std::string_view refused,
                   uint64_t events);

  const IngestLimits& limits() const { return limits_; }

 private:
  void CountRefusal(IngestChannel ch, const char* code);
  Reply Refuse(IngestChannel ch, const std::string& project_id, std::string_view origin, int status,
               const char* code, const std::string& reason);
  Reply Dropped(IngestChannel ch, const std::string& project_id, std::string_view origin,
                const char* code, const char* reason);

  ProjectCache* projects_;
  MetaStore* meta_;
  RateLimiter* limiter_;
  MetricsRegistry* metrics_;
  IngestLimits limits_;
  IngestMonitor* monitor_;
  std::mutex mu_;
  std::unordered_set<std::string> seen_;                // "<project>\n<origin>", known seen
  std::unordered_map<std::string, size_t> seen_count_;  // per project: origins added here
};

// The project key at the front of a JSON body ({"k":"pk_…", …}, as the SDK sends it) without
// parsing the body; "" when the body does not start that way.
std::string KeyAtFrontOfBody(std::string_view body);

}  // namespace tapistry
