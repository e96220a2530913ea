// Router: maps requests to the ingest service, the read API, static assets and the ops endpoints,
// and applies the cross-cutting rules: CORS for /i and /r, client IP and country from trusted
// proxies only, readiness.
// Thread-safety: Handle is called concurrently from the HTTP I/O threads.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/api_service.h"
#include "common/reply.h"
#include "common/request.h"
#include "http/http_server.h"
#include "ingest/ingest_service.h"
#include "ops/metrics.h"

namespace tapistry {

class SnapshotService;

struct RouterOptions {
  // Peers whose X-Forwarded-For / country header are believed (exact IPs).
  std::vector<std::string> trusted_proxies;
  std::string country_header;  // e.g. "cf-ipcountry" (lowercase); "" = none
  // The demo project's public key, substituted into /demo/ pages; "" = no demo site.
  std::string demo_key;
  std::string demo_project_id;  // substituted for __TAPISTRY_DEMO_PROJECT__
};

class Router {
 public:
  Router(RouterOptions opts, IngestService* ingest, ApiService* api, SnapshotService* snapshots,
         MetricsRegistry* metrics, std::function<bool()> ready);
  void Handle(HttpRequest&& req, Responder respond);

  // The client address: the left-most X-Forwarded-For entry when the peer is a trusted proxy.
  std::string ClientIp(const HttpRequest& req) const;

 private:
  bool TrustedPeer(const HttpRequest& req) const;
  void HandleIngest(HttpRequest&& req, Responder respond);
  bool HandleStatic(const HttpRequest& req, Reply* reply);

  RouterOptions opts_;
  IngestService* ingest_;
  ApiService* api_;
  SnapshotService* snapshots_;
  MetricsRegistry* metrics_;
  std::function<bool()> ready_;
};

}  // namespace tapistry
