#include "http/router.h"

#include <algorithm>
#include <cctype>

#include "assets/assets.h"
#include "common/gzip.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

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

// The dashboard is a single-page app under /app/: unknown extension-less paths get index.html.
// /demo/ pages carry the demo project's key. /bookmarklet.js is the dashboard's overlay script.
bool Router::HandleStatic(const HttpRequest& req, Reply* reply) const {
  if (req.method != "GET" && req.method != "HEAD") return false;
  std::string path = req.path;
  if (path == "/bookmarklet.js") path = "/app/bookmarklet.js";
  if (path == "/app") path = "/app/";
  if (path.starts_with("/demo")) {
    if (opts_.demo_key.empty()) return false;
    if (path == "/demo") path = "/demo/";
    if (path.ends_with("/")) path += "index.html";
    const Asset* a = FindAsset(path);
    if (a == nullptr && path.find('.', path.rfind('/')) == std::string::npos)
      a = FindAsset(path + ".html");
    if (a == nullptr) return false;
    Reply r = StaticAsset(req, *a);
    if (r.status == 200 && a->content_type.starts_with("text/html")) {
      std::string body(a->data);
      for (const auto& [from, to] : {std::pair<std::string_view, const std::string&>{
                                         "__TAPISTRY_DEMO_KEY__", opts_.demo_key},
                                     {"__TAPISTRY_DEMO_PROJECT__", opts_.demo_project_id}}) {
        for (size_t at = body.find(from); at != std::string::npos;
             at = body.find(from, at + to.size())) {
          body.replace(at, from.size(), to);
        }
      }
      r.body = std::move(body);
      r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(),
                                     [](const auto& h) { return h.first == "ETag"; }),
                      r.headers.end());
    }
    *reply = std::move(r);
    return true;
  }
  const Asset* a = FindAsset(path);
  if (a == nullptr && path.starts_with("/app/") &&
      path.find('.', path.rfind('/')) == std::string::npos) {
    a = FindAsset("/app/index.html");
  }
  if (a == nullptr) return false;
  Reply r = StaticAsset(req, *a);
  if (path == "/app/overlay-frame.html") {
    // The bookmarklet's data frame: any site may frame it (it shows nothing); it talks only to us.
    r.AddHeader("Content-Security-Policy",
                "default-src 'none'; script-src 'self'; connect-src 'self'; base-uri 'none'; "
                "form-action 'none'; "
                "frame-ancestors *");
    r.AddHeader("Referrer-Policy", "no-referrer");
    r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(),
                                   [](const auto& h) { return h.first == "Cache-Control"; }),
                    r.headers.end());
    r.AddHeader("Cache-Control", "no-cache");
  } else if (path == "/app/player.html") {
    // The replay player frame (docs/replay.md#security): sandboxed (no forms, popups, modals or
    // top navigation, even when opened on its own), only our own script and stylesheet load,
    // and it may not fetch anything. The recording is rebuilt in an inner frame (sandbox
    // allow-same-origin, no script) that inherits this policy: no request to any origin (images
    // and fonts only as data: / blob:), no frame, no form. Only the dashboard may frame it. Not
    // an opaque origin: Chromium gives every frame inside one a new opaque origin of its own,
    // and rrweb must reach into its frame.
    // The one exception: the recording's stylesheets, images and fonts, which the player points
    // at our replay asset route (the server fetched them, docs/replay.md "Assets"). A CSP source
    // with a path needs a host: the Host this request came to, when it is a plain host[:port];
    // otherwise (no usable Host) no asset loads at all, as before.
    const std::string host(req.Header("host"));
    const bool plain_host =
        !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
                 c == '[' || c == ']';
        });
    const std::string assets = plain_host ? " " + host + "/api/replay-asset" : "";
    const std::string own_css = plain_host ? " " + host + "/app/player-frame.css" : " 'self'";
    r.AddHeader("Content-Security-Policy",
                "sandbox allow-scripts allow-same-origin; default-src 'none'; script-src 'self'; "
                "style-src 'unsafe-inline'" +
                    own_css + assets + "; img-src data: blob:" + assets +
                    "; font-src data:" + assets +
                    "; media-src 'none'; connect-src 'none'; frame-src 'none'; child-src 'none'; "
                    "worker-src 'none'; object-src 'none'; manifest-src 'none'; base-uri 'none'; "
                    "form-action 'none'; frame-ancestors 'self'");
    r.AddHeader("Referrer-Policy", "no-referrer");
    r.AddHeader("X-Frame-Options", "SAMEORIGIN");
    r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(),
                                   [](const auto& h) { return h.first == "Cache-Control"; }),
                    r.headers.end());
    r.AddHeader("Cache-Control", "no-cache");
  } else if (path.starts_with("/app/") && a->content_type.starts_with("text/html")) {
    // The dashboard renders untrusted snapshot HTML in script-less sandboxed frames (which inherit
    // this policy); it is the second wall: nothing but our own scripts runs, and nothing loads from
    // another origin — snapshot assets come through /api/snapshot-asset. Only the live-page frame
    // may show another site (the project's allowed origins, chosen by the dashboard).
    r.AddHeader(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self' data:; media-src 'none'; "
        "connect-src 'self'; frame-src 'self' https: http:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'self'");
    r.AddHeader("X-Frame-Options", "SAMEORIGIN");
    r.AddHeader("Referrer-Policy", "same-origin");
    r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(),
                                   [](const auto& h) { return h.first == "Cache-Control"; }),
                    r.headers.end());
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

Router::Router(RouterOptions opts, const RouteTable* routes, const RouteAuth* auth,
               Admission* admission, MetricsRegistry* metrics, std::function<bool()> ready)
    : opts_(std::move(opts)), routes_(routes), auth_(auth), admission_(admission),
      metrics_(metrics), ready_(std::move(ready)) {}

Status Router::AddOpsAndStaticRoutes(RouteTable* t) {
  const size_t body = limits::kMaxApiBody;
  auto sync = [](std::function<Reply(const RouteCall&)> f) -> RouteHandler {
    return [f = std::move(f)](RouteCall&& c, Responder respond) { respond(f(c)); };
  };
  TAP_RETURN_IF_ERROR(t->Add({"GET", "/healthz", AuthPolicy::kPublic, body, 0, false,
                              CorsPolicy::kNone, "ops", sync([](const RouteCall&) {
                                Reply r;
                                r.body = "{\"status\":\"ok\"}";
                                return r;
                              })}));
  TAP_RETURN_IF_ERROR(t->Add({"GET", "/readyz", AuthPolicy::kPublic, body, 0, false,
                              CorsPolicy::kNone, "ops", sync([this](const RouteCall&) {
                                const bool ok = ready_ ? ready_() : true;
                                Reply r;
                                r.status = ok ? 200 : 503;
                                r.body =
                                    ok ? "{\"status\":\"ready\"}" : "{\"status\":\"starting\"}";
                                return r;
                              })}));
  TAP_RETURN_IF_ERROR(t->Add({"GET", "/metrics", AuthPolicy::kPublic, body, 0, false,
                              CorsPolicy::kNone, "ops", sync([this](const RouteCall&) {
                                Reply r;
                                r.content_type = "text/plain; version=0.0.4";
                                r.body = metrics_->RenderPrometheus();
                                return r;
                              })}));
  return t->Add({"GET", "/*", AuthPolicy::kPublic, body, 0, false, CorsPolicy::kNone, "static",
                 sync([this](const RouteCall& c) {
                   Reply r;
                   if (HandleStatic(c.req, &r)) return r;
                   if (c.req.path == "/") {
                     if (FindAsset("/app/index.html") != nullptr) {
                       r.status = 302;
                       r.content_type.clear();
                       r.AddHeader("Location", "/app/");
                     } else {
                       r.content_type = "text/plain; charset=utf-8";
                       r.body =
                           "Tapistry is running. POST events to /i; read /api/overview with a read "
                           "token. Docs: README.md\n";
                     }
                     return r;
                   }
                   return JsonError(404, "not_found", "nothing at " + c.req.path);
                 })});
}

void Router::Handle(HttpRequest&& req, Responder respond) {
  bool path_known = false;
  const std::string origin(req.Header("origin"));
  if (req.method == "OPTIONS") {
    // Only the SDK's endpoints answer preflights, and only for origins some project allows.
    bool ingest = false;
    for (const Route& r : routes_->routes())
      ingest |= r.cors == CorsPolicy::kIngest && PathMatches(r.path, req.path);
    if (!ingest) {
      Reply r = JsonError(405, "method_not_allowed", "no cross-origin requests here");
      r.AddHeader("Allow", routes_->AllowedMethods(req.path));
      return respond(std::move(r));
    }
    Reply r;
    r.status = 204;
    r.content_type.clear();
    if (admission_->PreflightAllowed(origin)) {
      Admission::AddCors(&r, origin);
      r.AddHeader("Access-Control-Allow-Methods", routes_->AllowedMethods(req.path) + ", OPTIONS");
      r.AddHeader("Access-Control-Allow-Headers",
                  "Content-Type, Content-Encoding, X-Project-Key, X-Client-Time");
      r.AddHeader("Access-Control-Max-Age", "86400");
    } else {
      r = JsonError(403, "origin_not_allowed", "no project allows this origin");
    }
    return respond(std::move(r));
  }
  const Route* route = routes_->Match(req.method, req.path, &path_known);
  if (route == nullptr) {
    if (!path_known) return respond(JsonError(404, "not_found", "nothing at " + req.path));
    Reply r = JsonError(405, "method_not_allowed", "use " + routes_->AllowedMethods(req.path));
    r.AddHeader("Allow", routes_->AllowedMethods(req.path));
    return respond(std::move(r));
  }
  RouteCall call;
  call.client_ip = ClientIp(req);
  call.trusted_peer = TrustedPeer(req);
  if (!opts_.country_header.empty() && call.trusted_peer)
    call.country_hint = std::string(req.Header(opts_.country_header));
  call.req = std::move(req);

  // Responses of the SDK's endpoints carry CORS for the caller's origin (never on a 403 for it).
  Responder reply = route->cors == CorsPolicy::kIngest && !origin.empty()
                        ? Responder([origin, respond = std::move(respond)](Reply r) {
                            if (r.status != 403) Admission::AddCors(&r, origin);
                            respond(std::move(r));
                          })
                        : std::move(respond);

  const std::string_view enc = call.req.Header("content-encoding");
  const bool gzip = enc == "gzip" || enc == "GZIP" || enc == "x-gzip" ||
                    (route->gzip && call.req.Query("gz") == "1");
  if (!enc.empty() && !gzip && enc != "identity") {
    return reply(
        JsonError(415, "unsupported_encoding", "Content-Encoding must be gzip or identity"));
  }
  if (gzip && !route->gzip)
    return reply(JsonError(415, "unsupported_encoding", "this route takes no gzip body"));

  // Who may call: checked before the body is inflated or parsed.
  std::optional<Reply> refused = route->auth == AuthPolicy::kPublicIngest
                                     ? route->admit(&call)
                                     : auth_->Check(route->auth, &call);
  if (refused) return reply(std::move(*refused));

  if (gzip) {
    std::string inflated;
    Status s =
        GunzipBounded(call.req.body, route->inflated_limit, limits::kMaxGzipRatio, &inflated);
    if (!s.ok())
      return reply(JsonError(HttpStatusFor(s.code()), StatusCodeName(s.code()), s.message()));
    call.req.body = std::move(inflated);
  }
  route->handler(std::move(call), std::move(reply));
}

}  // namespace tapistry
