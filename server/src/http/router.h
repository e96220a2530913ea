// Router: dispatches every request through the RouteTable (common/route.h). For each request, in
// this order: the route (404, or 405 with Allow), CORS preflights of the SDK's endpoints, the
// client address (X-Forwarded-For and the country header only from trusted proxies), the route's
// auth policy — the admission step for public ingestion (before the body is inflated), the
// session / token check otherwise —, the body decoded (gzip only where the route takes it, bounded
// by the route's limit and ratio), then the handler. It also owns the ops and static routes.
// Thread-safety: Handle is called concurrently from the HTTP I/O threads.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/api_routes.h"
#include "common/reply.h"
#include "common/request.h"
#include "common/route.h"
#include "ingest/admission.h"
#include "ops/metrics.h"

namespace tapistry {

struct RouterOptions {
  // Peers whose X-Forwarded-For / X-Forwarded-Proto / country header are believed (exact IPs).
  std::vector<std::string> trusted_proxies;
  std::string country_header;  // e.g. "cf-ipcountry" (lowercase); "" = none
  // The demo project's public key, substituted into /demo/ pages; "" = no demo site.
  std::string demo_key;
  std::string demo_project_id;  // substituted for __TAPISTRY_DEMO_PROJECT__
};

class Router {
 public:
  Router(RouterOptions opts, const RouteTable* routes, const RouteAuth* auth, Admission* admission,
         MetricsRegistry* metrics, std::function<bool()> ready);
  void Handle(HttpRequest&& req, Responder respond);

  // /healthz, /readyz, /metrics, / and the static files (dashboard, SDK, demo site).
  Status AddOpsAndStaticRoutes(RouteTable* t);

  // The client address: the left-most X-Forwarded-For entry when the peer is a trusted proxy.
  std::string ClientIp(const HttpRequest& req) const;

 private:
  bool TrustedPeer(const HttpRequest& req) const;
  bool HandleStatic(const HttpRequest& req, Reply* reply) const;

  RouterOptions opts_;
  const RouteTable* routes_;
  const RouteAuth* auth_;
  Admission* admission_;
  MetricsRegistry* metrics_;
  std::function<bool()> ready_;
};

}  // namespace tapistry
