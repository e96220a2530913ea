// Sign-in (the printed owner link and links by email; docs/accounts.md), sign-out, the signed-in
// user's view of projects, and the bookmarklet token.
#include <simdjson.h>

#include <algorithm>
#include <cctype>

#include "api/api_common.h"
#include "api/api_routes.h"
#include "api/mailer.h"
#include "common/crypto.h"
#include "common/json_writer.h"
#include "ops/logging.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

// X-Forwarded-Proto is believed only from a configured trusted proxy.
bool Https(const RouteCall& call) {
  return call.trusted_peer && call.req.Header("x-forwarded-proto") == "https";
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// A page styled like the dashboard's sign-in screen; `inner` is ours (request data escaped).
Reply AuthPage(int status, const std::string& title, const std::string& inner) {
  Reply r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.AddHeader("Content-Security-Policy",
              "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; "
              "frame-ancestors 'none'");
  r.AddHeader("Cache-Control", "no-store");
  // same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" with the confirm
  // form's POST, which kPublicForm refuses as cross-site. The link's token never leaves the origin.
  r.AddHeader("Referrer-Policy", "same-origin");
  r.AddHeader("X-Frame-Options", "DENY");
  r.body =
      "<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport "
      "content=\"width=device-width,initial-scale=1\"><title>" +
      title +
      " · Tapistry</title><style>"
      "body{margin:0;min-height:100vh;display:grid;place-items:center;background:#f6f7f9;color:#"
      "111827;font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif}"
      "main{background:#fff;border:1px solid #e5e7eb;border-radius:12px;box-shadow:0 1px 3px "
      "rgba(0,0,0,.06);padding:32px;max-width:32rem;margin:16px}code{font:13px "
      "ui-monospace,Menlo,monospace}h1{font-size:20px;margin:0 0 8px}p{margin:8px "
      "0;color:#374151}.brand{font-weight:700;color:#4f46e5;margin-bottom:16px}"
      "pre{background:#111827;color:#e5e7eb;border-radius:8px;padding:12px "
      "14px;overflow:auto;font:13px ui-monospace,Menlo,monospace}"
      "button{font:inherit;font-weight:600;color:#fff;background:#4f46e5;border:0;border-radius:"
      "8px;"
      "padding:10px 18px;cursor:pointer}button:focus-visible{outline:3px solid #a5b4fc}"
      "a{color:#4f46e5}</style><main><div class=brand>Tapistry</div>" +
      inner + "</main></html>";
  return r;
}

std::string Capitalized(std::string why) {
  if (!why.empty()) why[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(why[0])));
  return why;
}

// A refused link: what happened and how to get a new one. The message is ours.
Reply LinkRefused(int status, const std::string& why) {
  return AuthPage(status, "Sign-in link not valid",
                  "<h1>This sign-in link cannot be used</h1><p>" + HtmlEscape(Capitalized(why)) +
                      ".</p><p>Each link works once, for 15 minutes, in the browser where it was "
                      "asked for. <a href=\"/app/\">Ask for a new one</a>.</p>"
                      "<p>Server operators can also run:</p><pre>tapistry signin-link --data "
                      "DIR</pre>");
}

// 429 with Retry-After and a JSON reason.
Reply RateLimited(int retry_after_s, const std::string& reason) {
  Reply r = JsonError(429, "rate_limited", reason);
  r.AddHeader("Retry-After", std::to_string(retry_after_s));
  r.AddHeader("Cache-Control", "no-store");
  return r;
}

// A new session's cookies: the session (rotated: always a new token) and the pre-session nonce
// cleared. Over HTTPS the plain-named cookies of an earlier HTTP visit are cleared too.
void SetSessionCookies(Reply* r, bool https, const std::string& cookie, const SessionAuth& auth) {
  r->AddHeader("Set-Cookie", SetCookie(https, kSessionCookie, kSecureSessionCookie, cookie,
                                       auth.options().absolute_ms / 1000));
  r->AddHeader("Set-Cookie", SetCookie(https, kPreSessionCookie, kSecurePreSessionCookie, "", 0));
  r->AddHeader("Cache-Control", "no-store");
  r->AddHeader("Referrer-Policy", "no-referrer");
}

bool Allow(const ApiDeps& d, const std::string& key, double per_hour, double burst, int* retry) {
  return !d.allow || d.allow(key, per_hour / 3600.0, burst, retry);
}

// The printed owner link (tapistry serve / signin-link).
Reply SignIn(const ApiDeps& d, const RouteCall& call) {
  int retry = 0;
  if (!Allow(d, "auth-confirm-ip:" + call.client_ip, limits::kSignInConfirmsPerIpPerMinute * 60,
             limits::kSignInConfirmsPerIpPerMinute, &retry)) {
    return RateLimited(retry, "too many sign-in attempts from this address; try again later");
  }
  std::string cookie;
  Status s =
      d.auth->Redeem(call.req.Query("token"), std::string(call.req.Header("user-agent")), &cookie);
  if (!s.ok()) {
    if (s.code() != StatusCode::kUnauthenticated) return ErrorReply(s);
    return AuthPage(401, "Sign-in link not valid",
                    "<h1>This sign-in link cannot be used</h1><p>" +
                        HtmlEscape(Capitalized(s.message())) +
                        ". Each link works once and for a limited time.</p><p>Ask for a new one "
                        "on the server:</p><pre>tapistry signin-link --data DIR</pre><p>(or "
                        "restart <code>tapistry serve</code>, which prints one), or <a "
                        "href=\"/app/\">sign in with your email</a>.</p>");
  }
  // A session this browser had before is ended: the new one replaces it.
  (void)d.auth->Revoke(SessionCookieValue(call.req.Header("cookie"), Https(call)));
  Reply r;
  r.status = 302;
  r.content_type.clear();
  SetSessionCookies(&r, Https(call), cookie, *d.auth);
  r.AddHeader("Location", "/app/");
  return r;
}

bool IsNonce(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool IsLinkToken(std::string_view s) {
  return !s.empty() && s.size() <= limits::kMaxSignInTokenBytes &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_';
         });
}

// Mails (or logs) a sign-in link. Runs off the I/O threads, after the answer: finding the user and
// storing the link (a synced write) would otherwise make a user's answer slower than a stranger's,
// and the timing would tell who has an account.
void IssueAndDeliverLink(const ApiDeps& d, const std::string& email, const std::string& nonce) {
  auto user = d.meta->FindUserByEmail(email);
  if (!user.ok()) {
    if (user.status().code() != StatusCode::kNotFound)
      Log(LogLevel::kError, "sign-in request: looking up the user failed",
          {{"error", user.status().ToString()}});
    return;  // not a user: nothing is sent
  }
  auto token = d.auth->IssueEmailLink(user->id, nonce);
  if (!token.ok()) {
    Log(LogLevel::kError, "sign-in request: storing the link failed",
        {{"error", token.status().ToString()}});
    return;
  }
  const bool mail = d.mailer != nullptr && !d.public_url.empty();
  const std::string base = !d.public_url.empty() ? d.public_url
                           : d.log_base_url      ? d.log_base_url()
                                                 : std::string();
  const std::string link = base + "/auth/confirm?t=" + *token;
  if (!mail) {
    // The one place a secret is logged: there is no other way to deliver it (docs/accounts.md).
    Log(LogLevel::kWarn,
        d.public_url.empty() ? "sign-in link not mailed (no --public-url): open it yourself"
                             : "sign-in link not mailed (no --smtp-host): open it yourself",
        {{"email", email}, {"link", link}});
    return;
  }
  MailMessage m;
  m.to = email;
  m.subject = "Your Tapistry sign-in link";
  m.text = "Hello,\n\nSomeone (hopefully you) asked to sign in to Tapistry at " + d.public_url +
           " with this address.\n\nOpen this link in the same browser to sign in:\n\n" + link +
           "\n\nIt works once, for 15 minutes. If you did not ask for it, ignore this mail: "
           "nobody can use it from another browser.\n";
  Status s = d.mailer->Send(m);
  if (!s.ok()) Log(LogLevel::kError, "sending a sign-in mail failed", {{"error", s.ToString()}});
}

// POST /auth/request {"email"}: the same answer whether or not the address is a user's.
Reply RequestLink(const ApiDeps& d, const RouteCall& call) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view raw;
  if (parser.parse(call.req.body).get(doc) || !doc.is_object() || doc["email"].get(raw)) {
    return ErrorReply(Status::InvalidArgument("send {\"email\": \"you@example.com\"} as JSON"));
  }
  auto email = NormalizeEmail(raw);
  if (!email.ok()) return ErrorReply(email.status());
  int retry = 0;
  if (!Allow(d, "auth-request-ip:" + call.client_ip, limits::kSignInRequestsPerIpPerHour,
             limits::kSignInRequestsPerIpPerHour, &retry)) {
    return RateLimited(retry, "too many sign-in requests from this address; try again later");
  }
  if (!Allow(d, "auth-request-email:" + *email, limits::kSignInRequestsPerEmailPerHour,
             limits::kSignInRequestsPerEmailPerHour, &retry)) {
    return RateLimited(retry, "too many sign-in links for this email; try again later");
  }
  // The browser's nonce: kept when it already has one, so its earlier links still work here.
  std::string nonce = PreSessionCookieValue(call.req.Header("cookie"), Https(call));
  if (!IsNonce(nonce)) nonce = RandomHex(32);
  auto job = [d, email = *email, nonce] { IssueAndDeliverLink(d, email, nonce); };
  if (!d.run_blocking) {
    job();
  } else if (!d.run_blocking(job)) {
    // The same answer still (a full queue must not tell users from strangers); the user asks again.
    Log(LogLevel::kError, "sign-in request dropped: the work queue is full");
  }
  JsonWriter w;
  w.BeginObject()
      .Key("status")
      .String("sent")
      .Key("message")
      .String(
          "If this address belongs to a Tapistry user, a sign-in link is on its way. It works "
          "once, for 15 minutes, in this browser.")
      .Key("ttl_ms")
      .Int(limits::kSignInLinkTtlMs)
      .EndObject();
  Reply r = JsonReply(w.Take());
  r.status = 202;
  r.AddHeader("Set-Cookie", SetCookie(Https(call), kPreSessionCookie, kSecurePreSessionCookie,
                                      nonce, limits::kSignInLinkTtlMs / 1000));
  return r;
}

// GET /auth/confirm?t=: a page with a button. Opening the link uses nothing up (mail scanners
// fetch links), and the token is not even looked at here.
Reply ConfirmPage(const ApiDeps& d, const RouteCall& call) {
  const std::string token = call.req.Query("t");
  if (!IsLinkToken(token)) return LinkRefused(400, "this is not a sign-in link");
  const std::string nonce = PreSessionCookieValue(call.req.Header("cookie"), Https(call));
  if (!IsNonce(nonce)) {
    return LinkRefused(403,
                       "this browser did not ask for this link: open it in the browser where you "
                       "entered your email");
  }
  return AuthPage(200, "Sign in",
                  "<h1>Sign in to Tapistry</h1><p>Press the button to finish signing in on this "
                  "browser.</p><form method=post action=\"/auth/confirm\">"
                  "<input type=hidden name=t value=\"" +
                      HtmlEscape(token) + "\"><input type=hidden name=csrf value=\"" +
                      d.auth->Mac("confirm." + nonce) +
                      "\"><button type=submit id=confirm>Sign in</button></form>"
                      "<p style=\"font-size:13px;color:#6b7280\">The link works once, for 15 "
                      "minutes, in the browser where you asked for it.</p>");
}

// POST /auth/confirm (form t, csrf): consumes the link from the browser that asked for it.
Reply Confirm(const ApiDeps& d, const RouteCall& call) {
  int retry = 0;
  if (!Allow(d, "auth-confirm-ip:" + call.client_ip, limits::kSignInConfirmsPerIpPerMinute * 60,
             limits::kSignInConfirmsPerIpPerMinute, &retry)) {
    return RateLimited(retry, "too many sign-in attempts from this address; try again later");
  }
  HttpRequest form;
  form.query = call.req.body;
  const std::string token = form.Query("t");
  const std::string nonce = PreSessionCookieValue(call.req.Header("cookie"), Https(call));
  if (!IsLinkToken(token)) return LinkRefused(400, "this is not a sign-in link");
  if (!IsNonce(nonce) || !ConstantTimeEquals(form.Query("csrf"), d.auth->Mac("confirm." + nonce))) {
    return LinkRefused(403,
                       "this browser did not ask for this link: open it in the browser where you "
                       "entered your email");
  }
  std::string cookie;
  Status s = d.auth->Confirm(token, nonce, std::string(call.req.Header("user-agent")), &cookie);
  if (!s.ok()) {
    if (s.code() == StatusCode::kUnauthenticated) return LinkRefused(401, s.message());
    if (s.code() == StatusCode::kPermissionDenied) return LinkRefused(403, s.message());
    return ErrorReply(s);
  }
  (void)d.auth->Revoke(SessionCookieValue(call.req.Header("cookie"), Https(call)));
  Reply r;
  r.status = 303;
  r.content_type.clear();
  SetSessionCookies(&r, Https(call), cookie, *d.auth);
  r.AddHeader("Location", "/app/");
  return r;
}

// A session ends only by its own page's request (the CSRF token), so another site cannot sign the
// user out; without a session there is nothing to end and the cookie is cleared anyway.
Reply SignOut(const ApiDeps& d, const RouteCall& call) {
  SessionInfo info;
  const std::string cookie = SessionCookieValue(call.req.Header("cookie"), Https(call));
  if (!cookie.empty() && d.auth->Verify(cookie, &info)) {
    if (!ConstantTimeEquals(call.req.Header("x-csrf-token"), info.csrf)) {
      return ErrorReply(Status::PermissionDenied("missing or wrong X-CSRF-Token"));
    }
    // Revoked server-side too, so a copy of the cookie (and its bookmarklet tokens) stop working.
    if (Status s = d.auth->Revoke(cookie); !s.ok()) return ErrorReply(s);
  }
  Reply r;
  r.status = 204;
  r.content_type.clear();
  r.AddHeader("Set-Cookie", SetCookie(Https(call), kSessionCookie, kSecureSessionCookie, "", 0));
  return r;
}

Reply Me(const ApiDeps& d, const RouteCall& call) {
  auto user = d.meta->GetUser(call.user_id);
  if (!user.ok()) return ErrorReply(user.status());
  JsonWriter w;
  w.BeginObject()
      .Key("signed_in")
      .Bool(true)
      .Key("csrf")
      .String(call.csrf)
      .Key("user")
      .BeginObject()
      .Key("id")
      .String(user->id)
      .Key("email")
      .String(user->email)
      .EndObject()
      .Key("session_id")
      .String(call.session_id)
      .EndObject();
  return JsonReply(w.Take());
}

// GET /api/me/sessions: the user's live sessions, newest first.
Reply MySessions(const ApiDeps& d, const RouteCall& call) {
  auto list = d.meta->ListDashboardSessions(call.user_id);
  if (!list.ok()) return ErrorReply(list.status());
  const int64_t now = d.clock ? d.clock->NowMs() : 0;
  const SessionOptions& o = d.auth->options();
  JsonWriter w;
  w.BeginObject().Key("sessions").BeginArray();
  size_t n = 0;
  for (const DashboardSession& s : *list) {
    const int64_t ends = std::min(s.expires_ms, s.last_seen_ms + o.idle_ms);
    if (ends <= now && s.id != call.session_id) continue;  // timed out: not a session any more
    if (++n > limits::kMaxSessionsListed) break;
    w.BeginObject()
        .Key("id")
        .String(s.id)
        .Key("current")
        .Bool(s.id == call.session_id)
        .Key("created_ms")
        .Int(s.created_ms)
        .Key("last_seen_ms")
        .Int(s.last_seen_ms)
        .Key("expires_ms")
        .Int(ends)
        .Key("user_agent")
        .String(s.user_agent)
        .EndObject();
  }
  w.EndArray().EndObject();
  return JsonReply(w.Take());
}

// POST /api/me/sessions/revoke {"session_id"} or {"others": true}.
Reply RevokeMySession(const ApiDeps& d, const RouteCall& call) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(call.req.body).get(doc) || !doc.is_object())
    return ErrorReply(
        Status::InvalidArgument("send {\"session_id\": \"s_…\"} or {\"others\": true} as JSON"));
  bool others = false;
  std::string_view id;
  if (!doc["others"].get(others) && others) {
    auto list = d.meta->ListDashboardSessions(call.user_id);
    if (!list.ok()) return ErrorReply(list.status());
    int64_t ended = 0;
    for (const DashboardSession& s : *list) {
      if (s.id == call.session_id) continue;
      if (d.meta->RevokeDashboardSession(call.user_id, s.id).ok()) ++ended;
    }
    JsonWriter w;
    w.BeginObject().Key("revoked").Int(ended).EndObject();
    return JsonReply(w.Take());
  }
  if (doc["session_id"].get(id) || id.empty())
    return ErrorReply(
        Status::InvalidArgument("send {\"session_id\": \"s_…\"} or {\"others\": true} as JSON"));
  Status s = d.meta->RevokeDashboardSession(call.user_id, std::string(id));
  if (s.code() == StatusCode::kNotFound)
    return ErrorReply(Status::NotFound("you have no session " + std::string(id)));
  if (!s.ok()) return ErrorReply(s);
  JsonWriter w;
  w.BeginObject().Key("revoked").Int(1).EndObject();
  Reply r = JsonReply(w.Take());
  if (id == call.session_id) {
    r.AddHeader("Set-Cookie", SetCookie(Https(call), kSessionCookie, kSecureSessionCookie, "", 0));
  }
  return r;
}

Reply BookmarkletToken(const ApiDeps& d, const RouteCall& call) {
  const std::string& project = call.project_id;
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
  const size_t form = limits::kMaxAuthFormBody;
  TAP_RETURN_IF_ERROR(
      t->Add({"GET", "/auth/signin", AuthPolicy::kPublic, form, 0, false, CorsPolicy::kNone, "auth",
              Sync([d](const RouteCall& c) { return SignIn(d, c); })}));
  TAP_RETURN_IF_ERROR(
      t->Add({"POST", "/auth/request", AuthPolicy::kPublicForm, form, 0, false, CorsPolicy::kNone,
              "auth", Sync([d](const RouteCall& c) { return RequestLink(d, c); })}));
  TAP_RETURN_IF_ERROR(
      t->Add({"GET", "/auth/confirm", AuthPolicy::kPublic, form, 0, false, CorsPolicy::kNone,
              "auth", Sync([d](const RouteCall& c) { return ConfirmPage(d, c); })}));
  TAP_RETURN_IF_ERROR(
      t->Add({"POST", "/auth/confirm", AuthPolicy::kPublicForm, form, 0, false, CorsPolicy::kNone,
              "auth", Sync([d](const RouteCall& c) { return Confirm(d, c); })}));
  TAP_RETURN_IF_ERROR(
      t->Add({"POST", "/auth/signout", AuthPolicy::kPublic, form, 0, false, CorsPolicy::kNone,
              "auth", Sync([d](const RouteCall& c) { return SignOut(d, c); })}));
  TAP_RETURN_IF_ERROR(
      t->Add({"GET", "/api/me", AuthPolicy::kSession, body, 0, false, CorsPolicy::kNone, "api",
              Sync([d](const RouteCall& c) { return Me(d, c); })}));
  TAP_RETURN_IF_ERROR(
      t->Add({"GET", "/api/me/sessions", AuthPolicy::kSession, body, 0, false, CorsPolicy::kNone,
              "api", Sync([d](const RouteCall& c) { return MySessions(d, c); })}));
  TAP_RETURN_IF_ERROR(t->Add({"POST", "/api/me/sessions/revoke", AuthPolicy::kSessionCsrf, form, 0,
                              false, CorsPolicy::kNone, "api",
                              Sync([d](const RouteCall& c) { return RevokeMySession(d, c); })}));
  return t->Add({"POST", "/api/bookmarklet-token", AuthPolicy::kMemberCsrf, body, 0, false,
                 CorsPolicy::kNone, "api",
                 Sync([d](const RouteCall& c) { return BookmarkletToken(d, c); })});
}

}  // namespace tapistry
