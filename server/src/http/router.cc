#include "http/router.h"

#include <algorithm>
#include <charconv>

#include "assets/assets.h"
#include "snapshot/snapshot_service.h"

namespace tapistry {
namespace {

void AddCors(Reply* r, const std::string& origin) {
  r->AddHeader("Access-Control-Allow-Origin", origin);
  r->AddHeader("Access-Control-Expose-Headers", "Retry-After, Date");
  r->AddHeader("Vary", "Origin");
}

Reply StaticAsset(const HttpRequest& req, const Asset& a) {
  Reply r;
  if (req.Header("if-none-match") == a.etag) {
    r.status = 304;
    r.content_type.clear();
  } else {
    r.content_type = std::string(a.content_type);
    if (req.method != "HEAD") r.body = std::string(a.data);
  }
  r.AddHeader("ETag", std::string(a.etag));
  r.AddHeader("X-Content-Type-Options", "nosniff");
  // /v1.js keeps its URL across releases of v1, so it is cached briefly and revalidated by ETag;
  // content-addressed files (immutable) are cached for a year.
  r.AddHeader("Cache-Control", a.immutable ? "public, max-age=31536000, immutable"
                                           : "public, max-age=300, stale-while-revalidate=86400");
  if (a.path.starts_with("/v1")) {
    // The SDK is loaded cross-origin with crossorigin="anonymous" for SRI.
    r.AddHeader("Access-Control-Allow-Origin", "*");
    r.AddHeader("Cross-Origin-Resource-Policy", "cross-origin");
  }
  return r;
}

}  // namespace

Router::Router(RouterOptions opts, IngestService* ingest, ApiService* api, SnapshotService* snapshots,
               MetricsRegistry* metrics, std::function<bool()> ready)
    : opts_(std::move(opts)), ingest_(ingest), api_(api), snapshots_(snapshots), metrics_(metrics),
      ready_(std::move(ready)) {}

// The dashboard is a single-page app under /app/: unknown extension-less paths get index.html.
// /demo/ pages carry the demo project's key. /bookmarklet.js is the dashboard's overlay script.
bool Router::HandleStatic(const HttpRequest& req, Reply* reply) {
  if (req.method != "GET" && req.method != "HEAD") return false;
  std::string path = req.path;
  if (path == "/bookmarklet.js") path = "/app/bookmarklet.js";
  if (path == "/app") path = "/app/";
  if (path.starts_with("/demo")) {
    if (opts_.demo_key.empty()) return false;
    if (path == "/demo") path = "/demo/";
    if (path.ends_with("/")) path += "index.html";
    const Asset* a = FindAsset(path);
    if (a == nullptr && path.find('.', path.rfind('/')) == std::string::npos) a = FindAsset(path + ".html");
    if (a == nullptr) return false;
    Reply r = StaticAsset(req, *a);
    if (r.status == 200 && a->content_type.starts_with("text/html")) {
      std::string body(a->data);
      for (const auto& [from, to] : {std::pair<std::string_view, const std::string&>{"__TAPISTRY_DEMO_KEY__", opts_.demo_key},
                                     {"__TAPISTRY_DEMO_PROJECT__", opts_.demo_project_id}}) {
        for (size_t at = body.find(from); at != std::string::npos; at = body.find(from, at + to.size())) {
          body.replace(at, from.size(), to);
        }
      }
      r.body = std::move(body);
      r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(), [](const auto& h) { return h.first == "ETag"; }),
                      r.headers.end());
    }
    *reply = std::move(r);
    return true;
  }
  const Asset* a = FindAsset(path);
  if (a == nullptr && path.starts_with("/app/") && path.find('.', path.rfind('/')) == std::string::npos) {
    a = FindAsset("/app/index.html");
  }
  if (a == nullptr) return false;
  Reply r = StaticAsset(req, *a);
  if (path.starts_with("/app/") && a->content_type.starts_with("text/html")) {
    // The dashboard renders untrusted snapshot HTML in script-less sandboxed frames; this CSP is
    // the second wall: nothing but our own scripts runs, in any frame.
    r.AddHeader("Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline' https: http:; "
                "img-src 'self' data: blob: https: http:; font-src 'self' data: https: http:; "
                "connect-src 'self'; frame-src 'self' https: http:; object-src 'none'; base-uri 'none'; "
                "form-action 'self'; frame-ancestors 'self'");
    r.AddHeader("X-Frame-Options", "SAMEORIGIN");
    r.AddHeader("Referrer-Policy", "same-origin");
    r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(),
                                   [](const auto& h) { return h.first == "Cache-Control"; }), r.headers.end());
    r.AddHeader("Cache-Control", "no-cache");
  }
  *reply = std::move(r);
  return true;
}

bool Router::TrustedPeer(const HttpRequest& req) const {
  return std::find(opts_.trusted_proxies.begin(), opts_.trusted_proxies.end(), req.remote_ip) !=
         opts_.trusted_proxies.end();
}

std::string Router::ClientIp(const HttpRequest& req) const {
  if (TrustedPeer(req)) {
    std::string_view xff = req.Header("x-forwarded-for");
    if (!xff.empty()) {
      std::string_view first = xff.substr(0, xff.find(','));
      while (!first.empty() && first.front() == ' ') first.remove_prefix(1);
      while (!first.empty() && first.back() == ' ') first.remove_suffix(1);
      if (!first.empty() && first.size() <= 64) return std::string(first);
    }
  }
  return req.remote_ip;
}

void Router::Handle(HttpRequest&& req, Responder respond) {
  const std::string& path = req.path;
  if (path == "/i" || path == "/r") return HandleIngest(std::move(req), std::move(respond));
  if (path == "/healthz") {
    Reply r;
    r.body = "{\"status\":\"ok\"}";
    return respond(std::move(r));
  }
  if (path == "/readyz") {
    bool ok = ready_ ? ready_() : true;
    Reply r;
    r.status = ok ? 200 : 503;
    r.body = ok ? "{\"status\":\"ready\"}" : "{\"status\":\"starting\"}";
    return respond(std::move(r));
  }
  if (path == "/metrics") {
    Reply r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics_->RenderPrometheus();
    return respond(std::move(r));
  }
  if (path == "/s") {
    std::string origin(req.Header("origin"));
    if (req.method == "OPTIONS") {
      Reply r;
      r.status = ingest_->PreflightAllowed(origin) ? 204 : 403;
      r.content_type.clear();
      if (r.status == 204) {
        AddCors(&r, origin);
        r.AddHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        r.AddHeader("Access-Control-Allow-Headers", "Content-Type, X-Project-Key");
        r.AddHeader("Access-Control-Max-Age", "86400");
      }
      return respond(std::move(r));
    }
    if (req.method == "GET") return respond(snapshots_->Wanted(req, ClientIp(req)));
    if (req.method != "POST") return respond(JsonError(405, "method_not_allowed", "use GET or POST"));
    return respond(snapshots_->Ingest(req, ClientIp(req)));
  }
  // The read API is reachable cross-origin with a bearer token only (the bookmarklet overlay on
  // the customer's page): no Allow-Credentials, so session cookies never ride along.
  std::string api_origin;
  if (path.starts_with("/api/") && !req.Header("origin").empty()) {
    api_origin = std::string(req.Header("origin"));
    if (req.method == "OPTIONS") {
      Reply r;
      r.status = 204;
      r.content_type.clear();
      r.AddHeader("Access-Control-Allow-Origin", api_origin);
      r.AddHeader("Access-Control-Allow-Methods", "GET");
      r.AddHeader("Access-Control-Allow-Headers", "Authorization");
      r.AddHeader("Access-Control-Max-Age", "600");
      r.AddHeader("Vary", "Origin");
      return respond(std::move(r));
    }
  }
  Reply reply;
  if (api_->Handle(req, &reply)) {
    if (!api_origin.empty() && req.Header("authorization").starts_with("Bearer bt.")) {
      reply.AddHeader("Access-Control-Allow-Origin", api_origin);
      reply.AddHeader("Vary", "Origin");
    }
    return respond(std::move(reply));
  }
  if (HandleStatic(req, &reply)) return respond(std::move(reply));
  if (path == "/") {
    Reply r;
    if (FindAsset("/app/index.html") != nullptr) {
      r.status = 302;
      r.content_type.clear();
      r.AddHeader("Location", "/app/");
    } else {
      r.content_type = "text/plain; charset=utf-8";
      r.body = "Tapistry is running. POST events to /i; read /api/overview with a read token. Docs: README.md\n";
    }
    return respond(std::move(r));
  }
  respond(JsonError(404, "not_found", "nothing at " + path));
}

void Router::HandleIngest(HttpRequest&& req, Responder respond) {
  std::string origin(req.Header("origin"));
  if (req.method == "OPTIONS") {
    Reply r;
    r.status = 204;
    r.content_type.clear();
    if (ingest_->PreflightAllowed(origin)) {
      AddCors(&r, origin);
      r.AddHeader("Access-Control-Allow-Methods", "POST, OPTIONS");
      r.AddHeader("Access-Control-Allow-Headers", "Content-Type, Content-Encoding, X-Project-Key, X-Client-Time");
      r.AddHeader("Access-Control-Max-Age", "86400");
    } else {
      r.status = 403;
      r.content_type = "application/json";
      r.body = "{\"error\":\"origin_not_allowed\",\"reason\":\"no project allows this origin\"}";
    }
    return respond(std::move(r));
  }
  if (req.method != "POST") {
    Reply r = JsonError(405, "method_not_allowed", "use POST");
    r.AddHeader("Allow", "POST, OPTIONS");
    return respond(std::move(r));
  }
  if (req.path == "/r") {
    return respond(JsonError(404, "not_found", "session replay ingestion (/r) is not enabled in this build"));
  }
  std::string_view ctype = req.Header("content-type");
  if (!ctype.empty() && !ctype.starts_with("application/json") && !ctype.starts_with("text/plain")) {
    return respond(JsonError(415, "unsupported_media_type", "Content-Type must be application/json or text/plain"));
  }
  IngestRequest in;
  in.body = std::move(req.body);
  in.key_header = std::string(req.Header("x-project-key"));
  in.key_query = req.Query("k");
  in.origin = origin;
  in.user_agent = std::string(req.Header("user-agent"));
  in.has_accept_language = !req.Header("accept-language").empty();
  in.client_ip = ClientIp(req);
  if (!opts_.country_header.empty() && TrustedPeer(req)) in.country_hint = std::string(req.Header(opts_.country_header));
  std::string_view ct = req.Header("x-client-time");
  if (!ct.empty()) std::from_chars(ct.data(), ct.data() + ct.size(), in.client_time_ms);
  ingest_->HandleEvents(std::move(in), [origin, respond = std::move(respond), this](Reply r) {
    if (!origin.empty() && r.status != 403) AddCors(&r, origin);
    respond(std::move(r));
  });
}

}  // namespace tapistry
