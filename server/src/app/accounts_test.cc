// Issue 12, first slice: users and passwordless sign-in by email, through the real server (routes,
// auth policies, rate limits, cookies), with the mailer captured and the sign-in clock faked.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "api/mailer.h"
#include "app/server_app_fixture.h"
#include "tapistry/clock.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

class CapturingMailer final : public Mailer {
 public:
  Status Send(const MailMessage& m) override {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !hold_; });
    sent_.push_back(m);
    cv_.notify_all();
    return Status::Ok();
  }
  // Waits (up to 5 s) for the n-th mail; the server sends off its I/O threads.
  std::vector<MailMessage> WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5), [&] { return sent_.size() >= n; });
    return sent_;
  }
  size_t Count() {
    std::lock_guard lock(mu_);
    return sent_.size();
  }
  // While held, Send blocks (an SMTP server that takes its time).
  void Hold(bool hold) {
    std::lock_guard lock(mu_);
    hold_ = hold;
    cv_.notify_all();
  }

 private:
  bool hold_ = false;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<MailMessage> sent_;
};

// "name=value" of the Set-Cookie header naming `name`; "" when none.
std::string CookieSet(const TestResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (boost::beast::iequals(k, "Set-Cookie") && v.starts_with(name + "="))
      return v.substr(0, v.find(';'));
  }
  return "";
}

std::string FullSetCookie(const TestResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (boost::beast::iequals(k, "Set-Cookie") && v.starts_with(name + "=")) return v;
  }
  return "";
}

// The value of <input name=NAME value="…"> on a page.
std::string FormValue(const std::string& page, const std::string& name) {
  const std::string at = "name=" + name + " value=\"";
  const size_t p = page.find(at);
  if (p == std::string::npos) return "";
  const size_t b = p + at.size();
  return page.substr(b, page.find('"', b) - b);
}

class AccountsTest : public ServerAppTest {
 protected:
  void SetUp() override {
    ServerAppTest::SetUp();
    cfg_.public_url = "https://analytics.example.com";
    cfg_.owner_email = "Owner@Example.com";
    hooks_.mailer = &mailer_;
    hooks_.auth_clock = &clock_;
  }
  TestResponse Req(const std::string& method, const std::string& target,
                   const std::string& body = "", const Headers& h = {}) {
    return TestClient(app_->port()).Request(method, target, body, h);
  }
  // POST /auth/request from a browser holding `cookie` ("" = none).
  TestResponse Ask(const std::string& email, const std::string& cookie = "", Headers h = {}) {
    h.emplace_back("Content-Type", "application/json");
    if (!cookie.empty()) h.emplace_back("Cookie", cookie);
    return Req("POST", "/auth/request", R"({"email":")" + email + R"("})", h);
  }
  // The token of the n-th mailed link.
  std::string MailedToken(size_t n) {
    auto mails = mailer_.WaitFor(n);
    EXPECT_GE(mails.size(), n);
    if (mails.size() < n) return "";
    const std::string& text = mails[n - 1].text;
    const size_t at = text.find("/auth/confirm?t=");
    EXPECT_NE(at, std::string::npos) << text;
    if (at == std::string::npos) return "";
    const size_t b = at + 16;
    return text.substr(b, text.find('\n', b) - b);
  }
  // GET then POST /auth/confirm as the browser holding `cookie`.
  TestResponse Confirm(const std::string& token, const std::string& cookie) {
    auto page = Req("GET", "/auth/confirm?t=" + token, "", {{"Cookie", cookie}});
    EXPECT_EQ(page.status, 200) << page.body;
    return Req("POST", "/auth/confirm", "t=" + token + "&csrf=" + FormValue(page.body, "csrf"),
               {{"Cookie", cookie}, {"Content-Type", "application/x-www-form-urlencoded"}});
  }
  // A full sign-in by email; returns the session cookie ("tap_session=…").
  std::string SignInByEmail(const std::string& email) {
    const size_t before = mailer_.Count();
    auto asked = Ask(email);
    EXPECT_EQ(asked.status, 202) << asked.body;
    const std::string nonce = CookieSet(asked, "tap_presession");
    auto done = Confirm(MailedToken(before + 1), nonce);
    EXPECT_EQ(done.status, 303) << done.body;
    return CookieSet(done, "tap_session");
  }
  int MeStatus(const std::string& cookie) {
    return Req("GET", "/api/me", "", {{"Cookie", cookie}}).status;
  }

  CapturingMailer mailer_;
  FakeClock clock_{std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count()};
};

TEST_F(AccountsTest, KnownAndUnknownEmailsGetTheSameAnswer) {
  Start();
  auto unknown = Ask("nobody@example.com");
  auto known = Ask("OWNER@example.com");
  EXPECT_EQ(unknown.status, 202);
  EXPECT_EQ(known.status, unknown.status);
  EXPECT_EQ(known.body, unknown.body);
  std::set<std::string> names_known, names_unknown;
  for (const auto& [k, v] : known.headers) names_known.insert(k);
  for (const auto& [k, v] : unknown.headers) names_unknown.insert(k);
  EXPECT_EQ(names_known, names_unknown);
  EXPECT_NE(CookieSet(unknown, "tap_presession"), "") << "both get a pre-session cookie";
  auto mails = mailer_.WaitFor(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(mailer_.Count(), 1u) << "only the user gets a mail";
  EXPECT_EQ(mails[0].to, "owner@example.com");
  // Bad input is refused with a JSON reason, the same for any address.
  auto bad = Ask("not-an-email");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("\"reason\""), std::string::npos) << bad.body;
  EXPECT_EQ(Req("POST", "/auth/request", "email=x", {}).status, 400);
}

// The answer never waits for the user lookup, the link's write or SMTP: a user's answer takes as
// long as a stranger's.
TEST_F(AccountsTest, TheAnswerDoesNotWaitForTheMail) {
  Start();
  mailer_.Hold(true);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = Ask("owner@example.com");
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status, 202);
  EXPECT_LT(waited, std::chrono::seconds(2));
  EXPECT_EQ(mailer_.Count(), 0u) << "the mail is still being sent";
  mailer_.Hold(false);
  EXPECT_EQ(mailer_.WaitFor(1).size(), 1u);
}

TEST_F(AccountsTest, ALinkIsBuiltFromThePublicUrlNeverFromTheHostHeader) {
  Start();
  auto r = Ask("owner@example.com", "",
               {{"Host", "evil.example"}, {"X-Forwarded-Host", "evil.example"}});
  ASSERT_EQ(r.status, 202) << r.body;
  auto mails = mailer_.WaitFor(1);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].text.find("evil.example"), std::string::npos) << mails[0].text;
  EXPECT_NE(mails[0].text.find("https://analytics.example.com/auth/confirm?t=sl_"),
            std::string::npos)
      << mails[0].text;
}

TEST_F(AccountsTest, WithoutAPublicUrlNoLinkIsMailed) {
  cfg_.public_url.clear();
  Start();
  auto r = Ask("owner@example.com", "", {{"Host", "evil.example"}});
  EXPECT_EQ(r.status, 202) << "the same answer; the link goes to the server log";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(mailer_.Count(), 0u);
}

TEST_F(AccountsTest, SignInByEmailRotatesTheSessionCookie) {
  Start();
  // This browser already has a session (the printed link), and a cookie an attacker planted.
  auto [old_cookie, csrf] = SignIn();
  ASSERT_EQ(MeStatus(old_cookie), 200);
  auto asked = Ask("owner@example.com", old_cookie);
  const std::string nonce = CookieSet(asked, "tap_presession");
  ASSERT_FALSE(nonce.empty());
  const std::string token = MailedToken(1);
  ASSERT_TRUE(token.starts_with("sl_")) << token;
  EXPECT_GE(token.size(), 3u + 32u) << "at least 128 random bits";
  const std::string planted = "tap_session=v2." + std::string(64, 'a');
  auto done = Confirm(token, nonce + "; " + old_cookie + "; " + planted);
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(done.Header("Location"), "/app/");
  const std::string set = FullSetCookie(done, "tap_session");
  EXPECT_NE(set.find("HttpOnly"), std::string::npos) << set;
  EXPECT_NE(set.find("SameSite=Lax"), std::string::npos) << set;
  EXPECT_NE(set.find("Max-Age=43200"), std::string::npos) << "12 h absolute: " << set;
  EXPECT_EQ(CookieSet(done, "tap_presession"), "tap_presession=") << "the nonce is spent";
  const std::string fresh = CookieSet(done, "tap_session");
  EXPECT_NE(fresh, old_cookie);
  EXPECT_NE(fresh, planted);
  EXPECT_EQ(MeStatus(old_cookie), 401) << "the session the browser had before is ended";
  EXPECT_EQ(MeStatus(planted), 401);
  auto me = Req("GET", "/api/me", "", {{"Cookie", fresh}});
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_NE(me.body.find("\"email\":\"owner@example.com\""), std::string::npos) << me.body;
}

TEST_F(AccountsTest, ExpiredReusedAndOtherBrowserLinksAreRefused) {
  Start();
  auto mine = Ask("owner@example.com");
  const std::string my_nonce = CookieSet(mine, "tap_presession");
  const std::string token = MailedToken(1);
  // Another browser: no pre-session cookie at all, or its own.
  EXPECT_EQ(Req("GET", "/auth/confirm?t=" + token).status, 403);
  EXPECT_EQ(Req("POST", "/auth/confirm", "t=" + token + "&csrf=x",
                {{"Content-Type", "application/x-www-form-urlencoded"}})
                .status,
            403);
  auto theirs = Ask("nobody@example.com");
  const std::string their_nonce = CookieSet(theirs, "tap_presession");
  ASSERT_NE(their_nonce, my_nonce);
  auto stolen = Confirm(token, their_nonce);
  EXPECT_EQ(stolen.status, 403) << stolen.body;
  EXPECT_EQ(CookieSet(stolen, "tap_session"), "");
  // My browser's csrf with their nonce: refused too.
  auto page = Req("GET", "/auth/confirm?t=" + token, "", {{"Cookie", my_nonce}});
  EXPECT_EQ(Req("POST", "/auth/confirm", "t=" + token + "&csrf=" + FormValue(page.body, "csrf"),
                {{"Cookie", their_nonce}})
                .status,
            403);
  // A GET (a mail scanner) used nothing up: my browser signs in, once.
  EXPECT_EQ(Confirm(token, my_nonce).status, 303);
  auto reused = Confirm(token, my_nonce);
  EXPECT_EQ(reused.status, 401) << reused.body;
  EXPECT_NE(reused.body.find("already used"), std::string::npos) << reused.body;
  // Expired after 15 minutes.
  ASSERT_EQ(Ask("owner@example.com", my_nonce).status, 202);
  const std::string late = MailedToken(2);
  clock_.AdvanceMs(limits::kSignInLinkTtlMs + 1);
  auto expired = Confirm(late, my_nonce);
  EXPECT_EQ(expired.status, 401) << expired.body;
  EXPECT_NE(expired.body.find("expired"), std::string::npos) << expired.body;
  // A form posted from another site's page.
  EXPECT_EQ(Req("POST", "/auth/confirm", "t=" + late,
                {{"Cookie", my_nonce}, {"Origin", "https://attacker.test"}})
                .status,
            403);
  EXPECT_EQ(Ask("owner@example.com", "", {{"Origin", "https://attacker.test"}}).status, 403);
}

TEST_F(AccountsTest, TokenGuessesAndRequestsAreRateLimited) {
  Start();
  auto asked = Ask("owner@example.com");
  const std::string nonce = CookieSet(asked, "tap_presession");
  auto page = Req("GET", "/auth/confirm?t=sl_0", "", {{"Cookie", nonce}});
  const std::string csrf = FormValue(page.body, "csrf");
  ASSERT_FALSE(csrf.empty()) << page.body;
  int refused = 0, limited = 0;
  TestResponse last;
  for (int i = 0; i < 20; ++i) {
    last = Req("POST", "/auth/confirm",
               "t=sl_" + std::to_string(1000000 + i) + std::string(58, '0') + "&csrf=" + csrf,
               {{"Cookie", nonce}});
    if (last.status == 401) ++refused;
    if (last.status == 429) ++limited;
  }
  EXPECT_EQ(refused, static_cast<int>(limits::kSignInConfirmsPerIpPerMinute));
  EXPECT_EQ(limited, 20 - refused);
  EXPECT_NE(last.Header("Retry-After"), "");
  EXPECT_NE(last.body.find("\"error\":\"rate_limited\""), std::string::npos) << last.body;
  // The real link, now, from this address: still limited (guessing cannot go on).
  EXPECT_EQ(Confirm(MailedToken(1), nonce).status, 429);
  // Per email: the sixth request within the hour.
  for (int i = 1; i < 5; ++i) EXPECT_EQ(Ask("ann@example.com").status, 202) << i;
  auto r = Ask("ann@example.com");
  EXPECT_EQ(Ask("ann@example.com").status, 429);
  auto sixth = Ask("Ann@Example.com");
  EXPECT_EQ(sixth.status, 429) << "the same address in another case";
  EXPECT_NE(sixth.Header("Retry-After"), "");
  EXPECT_NE(sixth.body.find("this email"), std::string::npos) << sixth.body;
  EXPECT_EQ(r.status, 202);
  // Per IP: many addresses from one client.
  int ip_limited = 0;
  for (int i = 0; i < 40; ++i) {
    auto x = Ask("user" + std::to_string(i) + "@example.com");
    if (x.status == 429 && x.body.find("this address") != std::string::npos) ++ip_limited;
  }
  EXPECT_GT(ip_limited, 0);
}

TEST_F(AccountsTest, AUserSeesAndRevokesTheirSessions) {
  Start();
  auto bob_user = [&] {
    auto meta = OpenSqliteMetaStore(dir_.Sub("meta.db"));
    EXPECT_TRUE(meta.ok());
    auto u = (*meta)->CreateUser("bob@example.com");
    EXPECT_TRUE(u.ok()) << u.status().ToString();
  };
  bob_user();
  const std::string a = SignInByEmail("owner@example.com");
  const std::string b = SignInByEmail("owner@example.com");
  const std::string bob = SignInByEmail("bob@example.com");
  ASSERT_FALSE(a.empty() || b.empty() || bob.empty());
  auto me = Req("GET", "/api/me", "", {{"Cookie", a}});
  const size_t at = me.body.find("\"csrf\":\"") + 8;
  const std::string csrf = me.body.substr(at, me.body.find('"', at) - at);
  auto list = Req("GET", "/api/me/sessions", "", {{"Cookie", a}});
  ASSERT_EQ(list.status, 200) << list.body;
  size_t n = 0;
  for (size_t p = list.body.find("\"id\":\"s_"); p != std::string::npos;
       p = list.body.find("\"id\":\"s_", p + 1))
    ++n;
  EXPECT_EQ(n, 2u) << "Ann's two sessions, not Bob's: " << list.body;
  EXPECT_NE(list.body.find("\"current\":true"), std::string::npos);
  // The other session's id: the entry that is not current.
  const size_t other = list.body.find("\"current\":false");
  ASSERT_NE(other, std::string::npos) << list.body;
  const size_t id_at = list.body.rfind("\"id\":\"", other) + 6;
  const std::string b_id = list.body.substr(id_at, list.body.find('"', id_at) - id_at);
  // Bob's session id, from Bob's own list.
  auto bob_list = Req("GET", "/api/me/sessions", "", {{"Cookie", bob}});
  const size_t bid = bob_list.body.find("\"id\":\"") + 6;
  const std::string bob_id = bob_list.body.substr(bid, bob_list.body.find('"', bid) - bid);
  const Headers h{{"Cookie", a}, {"X-CSRF-Token", csrf}, {"Content-Type", "application/json"}};
  EXPECT_EQ(
      Req("POST", "/api/me/sessions/revoke", R"({"session_id":")" + b_id + R"("})", {{"Cookie", a}})
          .status,
      403)
      << "no CSRF token";
  EXPECT_EQ(
      Req("POST", "/api/me/sessions/revoke", R"({"session_id":")" + bob_id + R"("})", h).status,
      404)
      << "Bob's session is not Ann's to end";
  EXPECT_EQ(MeStatus(bob), 200);
  EXPECT_EQ(Req("POST", "/api/me/sessions/revoke", "{}", h).status, 400);
  EXPECT_EQ(MeStatus(b), 200);
  auto revoked = Req("POST", "/api/me/sessions/revoke", R"({"session_id":")" + b_id + R"("})", h);
  EXPECT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(MeStatus(b), 401);
  EXPECT_EQ(MeStatus(a), 200);
  // "Sign out everywhere else".
  const std::string c = SignInByEmail("owner@example.com");
  auto others = Req("POST", "/api/me/sessions/revoke", R"({"others":true})", h);
  EXPECT_EQ(others.status, 200) << others.body;
  EXPECT_EQ(MeStatus(c), 401);
  EXPECT_EQ(MeStatus(a), 200);
  EXPECT_EQ(MeStatus(bob), 200);
}

TEST_F(AccountsTest, SessionsEndAfterThirtyIdleMinutesOrTwelveHours) {
  Start();
  const std::string s = SignInByEmail("owner@example.com");
  clock_.AdvanceMs(29LL * 60 * 1000);
  EXPECT_EQ(MeStatus(s), 200);
  clock_.AdvanceMs(29LL * 60 * 1000);
  EXPECT_EQ(MeStatus(s), 200) << "sliding: the request above moved it";
  clock_.AdvanceMs(31LL * 60 * 1000);
  EXPECT_EQ(MeStatus(s), 401) << "idle for 31 minutes";
  // Busy all day: ends 12 h after sign-in anyway.
  const std::string busy = SignInByEmail("owner@example.com");
  int64_t spent = 0;
  while (spent + 25LL * 60 * 1000 < 12LL * 3600 * 1000) {
    clock_.AdvanceMs(25LL * 60 * 1000);
    spent += 25LL * 60 * 1000;
    ASSERT_EQ(MeStatus(busy), 200) << spent;
  }
  clock_.AdvanceMs(12LL * 3600 * 1000 - spent);
  EXPECT_EQ(MeStatus(busy), 401);
}

TEST_F(AccountsTest, OverHttpsTheCookiesAreHostPrefixedAndSecure) {
  cfg_.trusted_proxies = {"127.0.0.1"};
  Start();
  const Headers https{{"X-Forwarded-Proto", "https"}};
  auto asked = Ask("owner@example.com", "", https);
  const std::string nonce = CookieSet(asked, "__Host-tap_presession");
  ASSERT_FALSE(nonce.empty()) << FullSetCookie(asked, "__Host-tap_presession");
  EXPECT_NE(FullSetCookie(asked, "__Host-tap_presession").find("; Secure"), std::string::npos);
  const std::string token = MailedToken(1);
  auto page = Req("GET", "/auth/confirm?t=" + token, "",
                  {{"Cookie", nonce}, {"X-Forwarded-Proto", "https"}});
  auto done = Req("POST", "/auth/confirm", "t=" + token + "&csrf=" + FormValue(page.body, "csrf"),
                  {{"Cookie", nonce}, {"X-Forwarded-Proto", "https"}});
  ASSERT_EQ(done.status, 303) << done.body;
  const std::string set = FullSetCookie(done, "__Host-tap_session");
  EXPECT_NE(set.find("; Path=/"), std::string::npos) << set;
  EXPECT_NE(set.find("; Secure"), std::string::npos) << set;
  EXPECT_NE(set.find("HttpOnly"), std::string::npos) << set;
  EXPECT_EQ(set.find("Domain"), std::string::npos) << set;
  const std::string host_cookie = set.substr(0, set.find(';'));
  auto me = [&](const std::string& cookie) {
    return Req("GET", "/api/me", "", {{"Cookie", cookie}, {"X-Forwarded-Proto", "https"}}).status;
  };
  EXPECT_EQ(me(host_cookie), 200);
  // Over https a plain-named cookie (settable over http or by a sibling subdomain) does not count,
  // even when it holds a live session.
  const std::string plain = "tap_session=" + host_cookie.substr(host_cookie.find('=') + 1);
  EXPECT_EQ(me(plain), 401);
  EXPECT_EQ(MeStatus(plain), 200) << "over plain http it is the session cookie";
}

// Issue 12, projects and members: a signed-in user reaches the projects they are a member of,
// and nothing else, through every route the table holds.
struct Browser {
  std::string cookie, csrf;
};

class ProjectsTest : public AccountsTest {
 protected:
  Browser SignedIn(const std::string& email) {
    Browser b;
    b.cookie = SignInByEmail(email);
    auto me = Req("GET", "/api/me", "", {{"Cookie", b.cookie}});
    const size_t at = me.body.find("\"csrf\":\"");
    EXPECT_NE(at, std::string::npos) << me.body;
    if (at != std::string::npos)
      b.csrf = me.body.substr(at + 8, me.body.find('"', at + 8) - at - 8);
    return b;
  }
  TestResponse Api(const Browser& b, const std::string& method, const std::string& target,
                   const std::string& body = "", Headers h = {}) {
    h.emplace_back("Cookie", b.cookie);
    h.emplace_back("X-CSRF-Token", b.csrf);
    h.emplace_back("Content-Type", "application/json");
    return Req(method, target, body, h);
  }
  // "value" of "key":"value" in a JSON answer.
  static std::string Str(const std::string& json, const std::string& key, size_t from = 0) {
    const std::string at = "\"" + key + "\":\"";
    const size_t p = json.find(at, from);
    if (p == std::string::npos) return "";
    const size_t b = p + at.size();
    return json.substr(b, json.find('"', b) - b);
  }
  std::string UserId(const Browser& b) {
    auto me = Req("GET", "/api/me", "", {{"Cookie", b.cookie}});
    const std::string id = Str(me.body, "id", me.body.find("\"user\":"));
    EXPECT_FALSE(id.empty()) << me.body;
    return id;
  }
  // A project Bob owns alone: made by the owner, Bob made an owner, the owner gone.
  struct Tenant {
    std::string id, read_token;
  };
  Tenant BobsProject(const Browser& owner) {
    auto made = Api(owner, "POST", "/api/projects", R"({"name":"Bob's shop"})");
    EXPECT_EQ(made.status, 201) << made.body;
    Tenant t{Str(made.body, "id"), Str(made.body, "read_token")};
    auto add = Api(owner, "POST", "/api/members",
                   R"({"project_id":")" + t.id + R"(","email":"bob@example.com","role":"owner"})");
    EXPECT_EQ(add.status, 200) << add.body;
    const std::string owner_id = UserId(owner);
    auto leave = Api(owner, "DELETE", "/api/members?project_id=" + t.id + "&user_id=" + owner_id);
    EXPECT_EQ(leave.status, 200) << leave.body;
    return t;
  }
};

TEST_F(ProjectsTest, EveryProjectRouteRefusesAnotherTenant) {
  Start();
  const Browser owner = SignedIn("owner@example.com");
  const Tenant bobs = BobsProject(owner);
  const Browser bob = SignedIn("bob@example.com");
  auto list = Api(bob, "GET", "/api/projects");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find(bobs.id), std::string::npos) << list.body;
  EXPECT_EQ(list.body.find(project_), std::string::npos) << "Bob sees only his: " << list.body;
  auto owners = Api(owner, "GET", "/api/projects");
  EXPECT_NE(owners.body.find(project_), std::string::npos) << owners.body;
  EXPECT_EQ(owners.body.find(bobs.id), std::string::npos) << "the owner left it: " << owners.body;

  size_t walked = 0;
  for (const Route& r : app_->routes().routes()) {
    if (!ProjectScoped(r.auth)) continue;
    ++walked;
    std::string path = r.path;
    if (path.ends_with("*")) path.back() = 'x';
    const std::string id = r.method + " " + r.path;
    const bool body_ok = r.method != "GET";
    // Bob's session, the owner's project: as if it did not exist.
    for (const std::string& target :
         {path + "?project_id=" + project_, path + "?project_id=" + project_ + "&user_id=u_x"}) {
      auto res = Api(bob, r.method, target, R"({"project_id":")" + project_ + R"("})");
      EXPECT_EQ(res.status, 404) << id << " " << target << ": " << res.body;
      EXPECT_NE(res.body.find("no project " + project_), std::string::npos) << id << res.body;
    }
    if (body_ok) {
      // Named only in the body: the same.
      auto res = Api(bob, r.method, path, R"({"project_id":")" + project_ + R"("})");
      EXPECT_EQ(res.status, 404) << id << " (body): " << res.body;
      // His project in the query, the other in the body: one request, one project.
      auto mixed = Api(bob, r.method, path + "?project_id=" + bobs.id,
                       R"({"project_id":")" + project_ + R"("})");
      EXPECT_EQ(mixed.status, 403) << id << " (mixed): " << mixed.body;
    }
    // Bob's read token on the owner's project.
    auto tok = Req(r.method, path + "?project_id=" + project_, "{}",
                   {{"Authorization", "Bearer " + bobs.read_token}});
    EXPECT_EQ(tok.status, 401) << id << " (token): " << tok.body;
    // The owner's session on Bob's project.
    auto back = Api(owner, r.method, path + "?project_id=" + bobs.id);
    EXPECT_EQ(back.status, 404) << id << " (owner on Bob's): " << back.body;
    const bool csrf = r.auth == AuthPolicy::kMemberCsrf || r.auth == AuthPolicy::kOwnerCsrf;
    if (csrf) {
      // His own project, without the CSRF token or from another site: refused.
      auto no_token = Req(r.method, path + "?project_id=" + bobs.id, "{}",
                          {{"Cookie", bob.cookie}, {"Content-Type", "application/json"}});
      EXPECT_EQ(no_token.status, 403) << id << " without CSRF: " << no_token.body;
      auto foreign = Api(bob, r.method, path + "?project_id=" + bobs.id, "{}",
                         {{"Origin", "https://attacker.test"}});
      EXPECT_EQ(foreign.status, 403) << id << " from another site: " << foreign.body;
    }
    EXPECT_TRUE(r.method == "GET" || csrf || r.auth == AuthPolicy::kRead)
        << id << " changes state without CSRF";
  }
  EXPECT_GE(walked, 30u);

  // A member, not an owner: every owner route is refused on the owner's project.
  auto add = Api(owner, "POST", "/api/members",
                 R"({"project_id":")" + project_ + R"(","email":"bob@example.com"})");
  ASSERT_EQ(add.status, 200) << add.body;
  size_t owner_routes = 0;
  for (const Route& r : app_->routes().routes()) {
    if (r.auth != AuthPolicy::kOwner && r.auth != AuthPolicy::kOwnerCsrf) continue;
    ++owner_routes;
    auto res = Api(bob, r.method, r.path + "?project_id=" + project_, "{}");
    EXPECT_EQ(res.status, 403) << r.method << " " << r.path << ": " << res.body;
  }
  EXPECT_GE(owner_routes, 8u);
  EXPECT_EQ(Api(bob, "GET", "/api/overview?project_id=" + project_).status, 200)
      << "a member reads";
}

TEST_F(ProjectsTest, OwnersRunProjectsMembersSettingsAndTheAuditLog) {
  Start();
  const Browser owner = SignedIn("owner@example.com");
  // Create, rename.
  auto made = Api(owner, "POST", "/api/projects",
                  R"({"name":"Shop","allowed_origins":["https://Shop.example/"]})");
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string shop = Str(made.body, "id");
  EXPECT_NE(made.body.find(R"("allowed_origins":["https://shop.example"])"), std::string::npos)
      << made.body;
  EXPECT_EQ(Api(owner, "POST", "/api/projects", R"({"name":""})").status, 400);
  auto renamed =
      Api(owner, "PUT", "/api/project", R"({"project_id":")" + shop + R"(","name":"Shop EU"})");
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(Str(renamed.body, "name"), "Shop EU");
  // Settings: valid changes land, an invalid one changes nothing.
  auto put =
      Api(owner, "PUT", "/api/settings",
          R"({"project_id":")" + shop +
              R"(","replay_sample_rate":0.5,"respect_dnt":true,"replay_mask_selectors":[".pii"]})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_NE(
      put.body.find(R"("changed":["replay_sample_rate","respect_dnt","replay_mask_selectors"])"),
      std::string::npos)
      << put.body;
  for (const char* bad : {R"("replay_sample_rate":2)", R"("retention_days":0)",
                          R"("allowed_origins":["shop.example/path"])", R"("colour":"red")",
                          R"("respect_dnt":"yes")"}) {
    auto r = Api(owner, "PUT", "/api/settings",
                 R"({"project_id":")" + shop + R"(","respect_gpc":true,)" + bad + "}");
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
  auto got = Api(owner, "GET", "/api/settings?project_id=" + shop);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_NE(got.body.find(R"("replay_sample_rate":0.5)"), std::string::npos) << got.body;
  EXPECT_NE(got.body.find(R"("respect_gpc":false)"), std::string::npos)
      << "nothing of a refused patch";
  EXPECT_NE(got.body.find(R"("role":"owner")"), std::string::npos) << got.body;
  // Members: an invitation is mailed; the member sees the project and cannot change it.
  const size_t mails = mailer_.Count();
  auto add = Api(owner, "POST", "/api/members",
                 R"({"project_id":")" + shop + R"(","email":"Ann@Example.com"})");
  ASSERT_EQ(add.status, 200) << add.body;
  EXPECT_NE(add.body.find(R"("new_user":true)"), std::string::npos) << add.body;
  auto invite = mailer_.WaitFor(mails + 1);
  ASSERT_EQ(invite.size(), mails + 1);
  EXPECT_EQ(invite.back().to, "ann@example.com");
  EXPECT_NE(invite.back().text.find("https://analytics.example.com/auth/signin"), std::string::npos)
      << invite.back().text;
  EXPECT_EQ(invite.back().text.find("/auth/confirm"), std::string::npos) << "no link in it";
  EXPECT_EQ(Api(owner, "POST", "/api/members",
                R"({"project_id":")" + shop + R"(","email":"x@example.com","role":"admin"})")
                .status,
            400);
  const Browser ann = SignedIn("ann@example.com");
  auto anns = Api(ann, "GET", "/api/projects");
  EXPECT_NE(anns.body.find(shop), std::string::npos) << anns.body;
  EXPECT_NE(anns.body.find(R"("role":"member")"), std::string::npos) << anns.body;
  EXPECT_EQ(anns.body.find(project_), std::string::npos) << anns.body;
  EXPECT_EQ(
      Api(ann, "PUT", "/api/settings", R"({"project_id":")" + shop + R"(","respect_dnt":false})")
          .status,
      403);
  auto members = Api(ann, "GET", "/api/members?project_id=" + shop);
  ASSERT_EQ(members.status, 200) << members.body;
  EXPECT_NE(members.body.find("owner@example.com"), std::string::npos) << members.body;
  const std::string ann_id =
      Str(members.body, "user_id",
          members.body.rfind("\"user_id\"", members.body.find("ann@example.com")));
  // The last owner cannot leave; a removed member loses the project at once.
  const std::string owner_id = UserId(owner);
  EXPECT_EQ(Api(owner, "DELETE", "/api/members?project_id=" + shop + "&user_id=" + owner_id).status,
            409);
  auto removed = Api(owner, "DELETE", "/api/members?project_id=" + shop + "&user_id=" + ann_id);
  ASSERT_EQ(removed.status, 200) << removed.body << " " << ann_id;
  EXPECT_EQ(Api(ann, "GET", "/api/overview?project_id=" + shop).status, 404);
  // Keys.
  auto rotated = Api(owner, "POST", "/api/keys/rotate", R"({"project_id":")" + shop + R"("})");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  // Read tokens: named, with an expiry, listed without their secret, revoked one by one.
  auto tok = Api(owner, "POST", "/api/tokens",
                 R"({"project_id":")" + shop + R"(","name":"CI export","expires_days":30})");
  ASSERT_EQ(tok.status, 201) << tok.body;
  const std::string secret = Str(tok.body, "token"), tok_id = Str(tok.body, "id");
  EXPECT_EQ(Api(owner, "POST", "/api/tokens",
                R"({"project_id":")" + shop + R"(","name":"x","expires_days":9999})")
                .status,
            400);
  auto with = [&](const std::string& t) {
    return Req("GET", "/api/overview?project_id=" + shop, "", {{"Authorization", "Bearer " + t}})
        .status;
  };
  EXPECT_EQ(with(secret), 200);
  auto tokens = Api(owner, "GET", "/api/tokens?project_id=" + shop);
  ASSERT_EQ(tokens.status, 200) << tokens.body;
  EXPECT_NE(tokens.body.find(R"("name":"CI export")"), std::string::npos) << tokens.body;
  EXPECT_EQ(tokens.body.find("rt_"), std::string::npos) << "never a secret: " << tokens.body;
  ASSERT_EQ(Api(owner, "DELETE", "/api/tokens?project_id=" + shop + "&id=" + tok_id).status, 200);
  EXPECT_EQ(with(secret), 401);
  EXPECT_EQ(Api(owner, "DELETE", "/api/tokens?project_id=" + shop + "&id=" + tok_id).status, 404);
  // The audit log: every change, newest first, with who did it; as CSV too.
  auto audit = Api(owner, "GET", "/api/audit?project_id=" + shop);
  ASSERT_EQ(audit.status, 200) << audit.body;
  std::vector<std::string> actions;
  for (size_t at = audit.body.find("\"action\":\""); at != std::string::npos;
       at = audit.body.find("\"action\":\"", at + 1)) {
    actions.push_back(Str(audit.body, "action", at));
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"token.revoke", "token.create", "key.rotate",
                                               "member.remove", "member.add", "settings.update",
                                               "project.rename", "project.create"}))
      << audit.body;
  EXPECT_NE(audit.body.find(R"("actor_email":"owner@example.com")"), std::string::npos);
  EXPECT_NE(audit.body.find(R"("respect_dnt":{"from":false,"to":true})"), std::string::npos)
      << audit.body;
  auto csv = Api(owner, "GET", "/api/audit?project_id=" + shop + "&format=csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_TRUE(csv.body.starts_with("id,ts_ms,actor,actor_email,action,details\r\n")) << csv.body;
  EXPECT_NE(csv.body.find(",project.create,"), std::string::npos) << csv.body;
  // Delete: the project is gone for everyone.
  auto gone = Api(owner, "DELETE", "/api/project?project_id=" + shop);
  ASSERT_EQ(gone.status, 200) << gone.body;
  EXPECT_EQ(Api(owner, "GET", "/api/settings?project_id=" + shop).status, 404);
  EXPECT_EQ(Api(owner, "GET", "/api/projects").body.find(shop), std::string::npos);
}

TEST_F(ProjectsTest, SettingsChangedInTheDashboardReachIngestionWithinFiveSeconds) {
  Start();
  const Browser owner = SignedIn("owner@example.com");
  const Headers site = {{"Origin", "https://example.com"}};
  ASSERT_EQ(Post(Batch({Event(1)}), site).status, 200);
  auto put =
      Api(owner, "PUT", "/api/settings",
          R"({"project_id":")" + project_ + R"(","allowed_origins":["https://other.example"]})");
  ASSERT_EQ(put.status, 200) << put.body;
  const auto start = std::chrono::steady_clock::now();
  int status = 200;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(7)) {
    status = Post(Batch({Event(2)}), site).status;
    if (status == 403) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  EXPECT_EQ(status, 403) << "the old origin is refused";
  EXPECT_LE(took, 5500) << "within the key cache's 5 s";
  EXPECT_EQ(Post(Batch({Event(3)}), {{"Origin", "https://other.example"}}).status, 200);
}

// Consent by default, event sampling and path rules, set in the dashboard, hold in ingestion
// within the key cache's 5 s, and the answers tell the SDK what to do.
TEST_F(ProjectsTest, ConsentSamplingAndPathRulesReachIngestion) {
  Start();
  const Browser owner = SignedIn("owner@example.com");
  auto put = Api(owner, "PUT", "/api/settings",
                 R"({"project_id":")" + project_ +
                     R"(","require_consent":true,"event_sample_rate":0.5,)"
                     R"("path_rules":["/product/:id","/blog/*"]})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_NE(put.body.find(R"("path_rules":["/product/:id","/blog/*"])"), std::string::npos)
      << put.body;
  // A rule that is not a stored path with a placeholder is refused, naming the key.
  auto bad = Api(owner, "PUT", "/api/settings",
                 R"({"project_id":")" + project_ + R"(","path_rules":["/Product/42"]})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("path_rules"), std::string::npos) << bad.body;
  const Headers site = {{"Origin", "https://example.com"}};
  auto consented = [](std::string batch) {
    return batch.replace(batch.find(R"("events":)"), 0, R"("consent":1,)");
  };
  // the SDK's session hash: 0f8f… is at 0.245 (in a 0.5 sample), the fixture's 2b1d… at 0.828
  auto in_sample = [](std::string e) {
    const std::string sess = "2b1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef1";
    return e.replace(e.find(sess), sess.size(), "0f8fad5b-d9cb-469f-a165-70867728950e");
  };

  // Without consent: nothing stored, and the SDK told to wait for it — within 5 s.
  TestResponse r;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 30; ++i) {
    r = Post(Batch({in_sample(Event(1))}), site);
    if (r.body.find("consent_required") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_LE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(5500));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("accepted":0,"dropped":"consent_required")"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"("config":{"requireConsent":true,"sampleRate":0.5})"), std::string::npos)
      << r.body;
  // With consent: the sampled session's events are stored, the other session's are not, and
  // the paths are named by the rules.
  r = Post(consented(Batch({in_sample(Event(2, "page_view", "/product/42")),
                            in_sample(Event(3, "page_view", "/blog/2026/12/hello")),
                            in_sample(Event(4, "page_view", "/product")),
                            Event(5, "page_view", "/product/43")})),
           site);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("accepted":3,)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("unsampled":1)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("replay":{"rate":0.3,)"), std::string::npos) << r.body;
  // A batch of unsampled sessions only: nothing stored, not an error.
  r = Post(consented(Batch({Event(6)})), site);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("accepted":0,)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("unsampled":1)"), std::string::npos) << r.body;

  auto events = Get("/api/events?project_id=" + project_);
  ASSERT_EQ(events.status, 200) << events.body;
  std::multiset<std::string> paths;
  for (size_t at = events.body.find("\"path\":\""); at != std::string::npos;
       at = events.body.find("\"path\":\"", at + 1)) {
    paths.insert(Str(events.body, "path", at));
  }
  EXPECT_EQ(paths, (std::multiset<std::string>{"/product/:id", "/blog/*", "/product"}))
      << events.body;
  EXPECT_EQ(events.body.find("2b1d0c6e"), std::string::npos) << "unsampled: " << events.body;
  EXPECT_NE(events.body.find("https://example.com/product/42"), std::string::npos)
      << "the stored URL stays the real one: " << events.body;
  // The install check names the refusal.
  auto st = Api(owner, "GET", "/api/install/status?project_id=" + project_);
  EXPECT_NE(st.body.find(R"({"reason":"consent_required","origin":"https://example.com")"),
            std::string::npos)
      << st.body;
}

TEST_F(ProjectsTest, CookielessModeNamesVisitorsOnTheServerAndTellsTheSdk) {
  Start();
  const Browser owner = SignedIn("owner@example.com");
  auto put = Api(owner, "PUT", "/api/settings",
                 R"({"project_id":")" + project_ + R"(","cookieless":true})");
  ASSERT_EQ(put.status, 200) << put.body;
  // A page load: the SDK's fresh ids (cookieless, it stores none), from one browser.
  auto load = [&](int n, const std::string& ua) {
    std::string e = Event(n);
    const std::string anon = "91d3a1b2-c3d4-4e5f-8a9b-0c1d2e3f4aaa";
    const std::string sess = "2b1d0c6e-9a7f-4f4e-8d1c-1a2b3c4d5ef1";
    e.replace(e.find(anon), anon.size(),
              "91d3a1b2-c3d4-4e5f-8a9b-" + std::string(9, '0') + std::to_string(100 + n));
    e.replace(e.find(sess), sess.size(),
              "2b1d0c6e-9a7f-4f4e-8d1c-" + std::string(9, '0') + std::to_string(100 + n));
    return Post(Batch({e}),
                {{"Origin", "https://example.com"}, {"User-Agent", ua}, {"Accept-Language", "en"}});
  };
  // The key cache follows within 5 s: the answer says so.
  TestResponse first;
  for (int i = 0; i < 30; ++i) {
    first = load(1, kBrowserUa);
    if (first.body.find(R"("persistence":"none")") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_NE(first.body.find(R"("persistence":"none")"), std::string::npos) << first.body;
  EXPECT_NE(first.body.find(R"("replay":{"rate":0,)"), std::string::npos)
      << "no replay: " << first.body;
  // Visitors before cookieless took effect are deleted from the count by starting over.
  auto gone = Api(owner, "POST", "/api/dsar/delete",
                  R"({"project_id":")" + project_ +
                      R"(","anonymous_id":"91d3a1b2-c3d4-4e5f-8a9b-000000000101"})");
  ASSERT_EQ(gone.status, 200) << gone.body;
  ASSERT_EQ(load(2, kBrowserUa).status, 200);
  ASSERT_EQ(load(3, kBrowserUa).status, 200);
  const std::string other_ua =
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 "
      "(KHTML, like Gecko) Version/17.0 Safari/605.1.15";
  ASSERT_EQ(load(4, other_ua).status, 200);
  // Loads 2 and 3 (and 1, if it was after the switch) are one visitor in one session; the other
  // browser is another.
  auto events = Get("/api/events?project_id=" + project_);
  ASSERT_EQ(events.status, 200) << events.body;
  for (int n = 2; n <= 4; ++n) {
    EXPECT_EQ(events.body.find("000000000" + std::to_string(100 + n)), std::string::npos)
        << "the browser's id " << n << " is not stored: " << events.body;
  }
  std::set<std::string> anons, sessions;
  for (size_t at = events.body.find("\"anonymous_id\":\""); at != std::string::npos;
       at = events.body.find("\"anonymous_id\":\"", at + 1)) {
    anons.insert(Str(events.body, "anonymous_id", at));
  }
  for (size_t at = events.body.find("\"session_id\":\""); at != std::string::npos;
       at = events.body.find("\"session_id\":\"", at + 1)) {
    sessions.insert(Str(events.body, "session_id", at));
  }
  EXPECT_EQ(anons.size(), 2u) << events.body;
  EXPECT_EQ(sessions.size(), 2u) << events.body;
}

TEST_F(ProjectsTest, VerifyInstallationNamesWhatTheServerSaw) {
  Start();
  const Browser owner = SignedIn("owner@example.com");
  auto status = [&] {
    auto r = Api(owner, "GET", "/api/install/status?project_id=" + project_);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  };
  EXPECT_EQ(status(), R"({"last_event_ms":0,"last_origin":"","recent":[],"problems":[]})");
  ASSERT_EQ(Post(Batch({Event(1), Event(2)}), {{"Origin", "https://example.com"}}).status, 200);
  // Refused: a foreign origin, an unknown key from the site, a body with no valid event.
  EXPECT_EQ(Post(Batch({Event(3)}), {{"Origin", "https://evil.example"}}).status, 403);
  EXPECT_EQ(Post(Batch({Event(4)}), {{"Origin", "https://example.com"},
                                     {"X-Project-Key", "pk_000000000000000000000000"}})
                .status,
            401);
  EXPECT_EQ(Post(Batch({R"({"type":"nope"})"}), {{"Origin", "https://example.com"}}).status, 400);
  // Another site's unknown key is not this project's business.
  EXPECT_EQ(
      Post(Batch({Event(5)}), {{"Origin", "https://elsewhere.example"}, {"X-Project-Key", "pk_1"}})
          .status,
      401);
  const std::string body = status();
  EXPECT_NE(body.find(R"("last_origin":"https://example.com")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("origin":"https://example.com","accepted":2)"), std::string::npos) << body;
  EXPECT_NE(
      body.find(R"({"reason":"origin_not_allowed","origin":"https://evil.example","count":1)"),
      std::string::npos)
      << body;
  EXPECT_NE(body.find(R"({"reason":"unknown_key","origin":"https://example.com","count":1)"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find(R"({"reason":"no_valid_events","origin":"https://example.com")"),
            std::string::npos)
      << body;
  EXPECT_EQ(body.find("elsewhere.example"), std::string::npos) << body;
}

}  // namespace
}  // namespace tapistry
