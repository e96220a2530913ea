// Sign-in, sign-out, the signed-in user's view of projects, and the bookmarklet token.
#include <simdjson.h>

#include <cctype>

#include "api/api_common.h"
#include "api/api_routes.h"
#include "common/crypto.h"
#include "common/json_writer.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

Reply SignIn(const ApiDeps& d, const RouteCall& call) {
  std::string cookie;
  Status s = d.auth->Redeem(call.req.Query("token"), &cookie);
  Reply r;
  r.content_type = "text/html; charset=utf-8";
  if (!s.ok()) {
    // A used, expired or unknown link: a page styled like the dashboard's sign-in screen that says
    // what happened and how to get a new link. The message is ours (no request data in it).
    r.status = 401;
    std::string why = s.message();
    if (!why.empty()) why[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(why[0])));
    r.AddHeader("Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'");
    r.AddHeader("Cache-Control", "no-store");
    r.AddHeader("Referrer-Policy", "no-referrer");
    r.body =
        "<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport "
        "content=\"width=device-width,initial-scale=1\">"
        "<title>Sign-in link not valid · Tapistry</title><style>"
        "body{margin:0;min-height:100vh;display:grid;place-items:center;background:#f6f7f9;color:#"
        "111827;"
        "font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif}"
        "main{background:#fff;border:1px solid #e5e7eb;border-radius:12px;box-shadow:0 1px 3px "
        "rgba(0,0,0,.06);"
        "padding:32px;max-width:32rem;margin:16px}code{font:13px ui-monospace,Menlo,monospace}"
        "h1{font-size:20px;margin:0 0 8px}p{margin:8px "
        "0;color:#374151}.brand{font-weight:700;color:#4f46e5;margin-bottom:16px}"
        "pre{background:#111827;color:#e5e7eb;border-radius:8px;padding:12px "
        "14px;overflow:auto;font:13px ui-monospace,Menlo,monospace}"
        "</style><main><div class=brand>Tapistry</div><h1>This sign-in link cannot be "
        "used</h1><p>" +
        why +
        ". Each link works once and for a limited time.</p><p>Ask for a new one on the server:</p>"
        "<pre>tapistry signin-link --data DIR</pre><p>(or restart <code>tapistry serve</code>, "
        "which prints one).</p></main></html>";
    return r;
  }
  // X-Forwarded-Proto is believed only from a configured trusted proxy.
  const bool https = call.trusted_peer && call.req.Header("x-forwarded-proto") == "https";
  r.status = 302;
  r.AddHeader("Set-Cookie", std::string(kSessionCookie) + "=" + cookie +
                                "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                                std::to_string(SessionAuth::kSessionTtlMs / 1000) +
                                (https ? "; Secure" : ""));
  r.AddHeader("Location", "/app/");
  r.AddHeader("Cache-Control", "no-store");
  r.AddHeader("Referrer-Policy", "no-referrer");
  return r;
}

// A session ends only by its own page's request (the CSRF token), so another site cannot sign the
// user out; without a session there is nothing to end and the cookie is cleared anyway.
Reply SignOut(const ApiDeps& d, const RouteCall& call) {
  std::string csrf;
  const std::string cookie = CookieValue(call.req.Header("cookie"), kSessionCookie);
  if (!cookie.empty() && d.auth->Verify(cookie, &csrf)) {
    if (!ConstantTimeEquals(call.req.Header("x-csrf-token"), csrf)) {
      return ErrorReply(Status::PermissionDenied("missing or wrong X-CSRF-Token"));
    }
    // Revoked server-side too, so a copy of the cookie (and its bookmarklet tokens) stop working.
    if (Status s = d.auth->Revoke(cookie); !s.ok()) return ErrorReply(s);
  }
  Reply r;
  r.status = 204;
  r.content_type.clear();
  r.AddHeader("Set-Cookie",
              std::string(kSessionCookie) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
  return r;
}

Reply Me(const RouteCall& call) {
  JsonWriter w;
  w.BeginObject().Key("signed_in").Bool(true).Key("csrf").String(call.csrf).EndObject();
  return JsonReply(w.Take());
}

Reply Projects(const ApiDeps& d) {
  auto list = d.meta->ListProjects();
  if (!list.ok()) return ErrorReply(list.status());
  auto demo = d.meta->GetValue(kDemoProjectKey);
  if (!demo.ok()) return ErrorReply(demo.status());
  const std::string demo_id = demo->value_or("");
  JsonWriter w;
  w.BeginObject().Key("projects").BeginArray();
  for (const Project& p : *list) {
    w.BeginObject()
        .Key("id")
        .String(p.id)
        .Key("name")
        .String(p.name)
        .Key("public_key")
        .String(p.public_key)
        .Key("created_ms")
        .Int(p.created_ms)
        .Key("demo")
        .Bool(!demo_id.empty() && p.id == demo_id)
        .Key("allowed_origins")
        .BeginArray();
    for (const auto& o : p.allowed_origins) w.String(o);
    w.EndArray().EndObject();
  }
  w.EndArray().EndObject();
  return JsonReply(w.Take());
}

Reply BookmarkletToken(const ApiDeps& d, const RouteCall& call) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string project;
  if (!parser.parse(call.req.body).get(doc) && doc.is_object()) {
    auto v = doc["project_id"];
    if (!v.error() && v.is_string()) project = std::string(std::string_view(v.value_unsafe()));
  }
  if (project.empty()) project = call.req.Query("project_id");
  auto p = d.meta->GetProject(project);
  if (!p.ok())
    return ErrorReply(p.status().code() == StatusCode::kNotFound
                          ? Status::NotFound("no project " + project)
                          : p.status());
  int64_t expires = 0;
  auto token = d.auth->IssueOverlayToken(call.session_cookie, project, &expires);
  if (!token.ok()) return ErrorReply(token.status());
  JsonWriter w;
  w.BeginObject()
      .Key("token")
      .String(*token)
      .Key("expires_at")
      .Int(expires)
      .Key("ttl_ms")
      .Int(limits::kOverlayTokenTtlMs)
      .EndObject();
  return JsonReply(w.Take());
}

}  // namespace

Status AddAuthRoutes(RouteTable* t, const ApiDeps& d) {
  const size_t body = limits::kMaxApiBody;
  TAP_RETURN_IF_ERROR(
      t->Add({"GET", "/auth/signin", AuthPolicy::kPublic, body, 0, false, CorsPolicy::kNone, "auth",
              Sync([d](const RouteCall& c) { return SignIn(d, c); })}));
  TAP_RETURN_IF_ERROR(
      t->Add({"POST", "/auth/signout", AuthPolicy::kPublic, body, 0, false, CorsPolicy::kNone,
              "auth", Sync([d](const RouteCall& c) { return SignOut(d, c); })}));
  TAP_RETURN_IF_ERROR(
      t->Add({"GET", "/api/me", AuthPolicy::kSession, body, 0, false, CorsPolicy::kNone, "api",
              Sync([](const RouteCall& c) { return Me(c); })}));
  TAP_RETURN_IF_ERROR(
      t->Add({"GET", "/api/projects", AuthPolicy::kSession, body, 0, false, CorsPolicy::kNone,
              "api", Sync([d](const RouteCall&) { return Projects(d); })}));
  return t->Add({"POST", "/api/bookmarklet-token", AuthPolicy::kSessionCsrf, body, 0, false,
                 CorsPolicy::kNone, "api",
                 Sync([d](const RouteCall& c) { return BookmarkletToken(d, c); })});
}

}  // namespace tapistry
