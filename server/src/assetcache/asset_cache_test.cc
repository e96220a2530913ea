#include "assetcache/asset_cache.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "assetcache/asset_url.h"
#include "tapistry/clock.h"

namespace tapistry::assetcache {
namespace {

// An HTTP/1.1 server on 127.0.0.1:<ephemeral> (or [::1]) answering canned responses by request
// target, one thread per connection, every connection closed after one answer.
class TestServer {
 public:
  explicit TestServer(bool ipv6 = false) : ipv6_(ipv6) {
    fd_ = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_storage storage{};
    socklen_t len = 0;
    if (ipv6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      len = sizeof(*a);
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&storage);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof(*a);
    }
    auto* addr = reinterpret_cast<sockaddr*>(&storage);
    if (fd_ < 0 || bind(fd_, addr, len) != 0 || listen(fd_, 64) != 0 ||
        getsockname(fd_, addr, &len) != 0) {
      if (!ipv6) ADD_FAILURE() << "test server cannot listen";
      return;
    }
    port_ = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                       : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~TestServer() {
    stop_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mu_);
      workers.swap(workers_);
    }
    for (std::thread& t : workers) t.join();
    if (fd_ >= 0) close(fd_);
  }

  bool listening() const { return port_ != 0; }
  int port() const { return port_; }
  std::string Origin() const {
    return (ipv6_ ? "http://[::1]:" : "http://127.0.0.1:") + std::to_string(port_);
  }
  std::string Url(const std::string& target) const { return Origin() + target; }

  // `raw`: the whole response, status line to body; "" = hang until the client gives up.
  void Set(const std::string& target, std::string raw) {
    std::lock_guard lock(mu_);
    responses_[target] = std::move(raw);
  }
  int Requests(const std::string& target) {
    std::lock_guard lock(mu_);
    return hits_[target];
  }
  int Connections() const { return connections_; }
  // The request heads received, in order.
  std::vector<std::string> Heads() {
    std::lock_guard lock(mu_);
    return heads_;
  }

 private:
  bool ipv6_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::map<std::string, std::string> responses_;
  std::map<std::string, int> hits_;
  std::vector<std::string> heads_;

  void AcceptLoop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++connections_;
      std::lock_guard lock(mu_);
      workers_.emplace_back([this, c] { Serve(c); });
    }
  }

  // Waits for `fd` to be readable; false on stop or after ~5 s.
  bool WaitReadable(int fd) {
    for (int i = 0; i < 250 && !stop_; ++i) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  void Serve(int c) {
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536 && WaitReadable(c)) {
      const ssize_t n = recv(c, buf, sizeof(buf), 0);
      if (n <= 0) break;
      head.append(buf, static_cast<size_t>(n));
    }
    const size_t sp1 = head.find(' ');
    const size_t sp2 = head.find(' ', sp1 + 1);
    const std::string target = sp1 == std::string::npos || sp2 == std::string::npos
                                   ? ""
                                   : head.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string response;
    {
      std::lock_guard lock(mu_);
      heads_.push_back(head);
      ++hits_[target];
      auto it = responses_.find(target);
      response = it == responses_.end()
                     ? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                     : it->second;
    }
    if (response.empty()) {  // hang: hold the connection until the client closes it
      while (WaitReadable(c) && recv(c, buf, sizeof(buf), 0) > 0) {
      }
    } else {
      for (size_t sent = 0; sent < response.size();) {
        const ssize_t n = send(c, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the client gave up (over the size limit, refused type)
        sent += static_cast<size_t>(n);
      }
      shutdown(c, SHUT_WR);
    }
    close(c);
  }
};

std::string Http(int code, const std::string& type, const std::string& body,
                 const std::string& extra_headers = "") {
  std::string r = "HTTP/1.1 " + std::to_string(code) + " X\r\n";
  if (!type.empty()) r += "Content-Type: " + type + "\r\n";
  return r + "Content-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers +
         "Connection: close\r\n\r\n" + body;
}

std::string Redirect(int code, const std::string& location) {
  // With a body, as most servers send: the fetcher must not need it.
  return Http(code, "text/html", "<a href=\"" + location + "\">moved</a>",
              "Location: " + location + "\r\n");
}

// A loopback port nothing listens on (bound, never listened, closed).
int UnusedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  return ntohs(addr.sin_port);
}

const std::string kPng("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01", 20);

class AssetCacheTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  TestServer server_;

  AssetCacheOptions Options() {
    AssetCacheOptions o;
    o.clock = &clock_;
    return o;
  }
  AssetPolicy Allowed() { return AssetPolicy{{server_.Origin()}, "/api/asset"}; }
  static AssetPolicy Nothing() { return AssetPolicy{{}, "/api/asset"}; }
};

TEST_F(AssetCacheTest, FetchesStylesheetFromAllowedOriginAndRewritesUrlsAndImports) {
  server_.Set("/css/site.css", Http(200, "text/css",
                                    "@import \"sub.css\";\n"
                                    "body{background:URL( ../img/a.png )}\n"
                                    "@font-face{src:url('/f/x.woff2') format('woff2')}\n"
                                    ".d{background:url(data:image/gif;base64,R0lG)}\n"
                                    ".j{background:url(\"javascript:alert(1)\")}\n"));
  server_.Set("/css/sub.css",
              Http(200, "text/css; charset=ISO-8859-1", "@import url(deeper.css);"));
  AssetCache cache(Options());

  auto site = cache.Get(server_.Url("/css/site.css"), Allowed());
  ASSERT_TRUE(site.ok()) << site.status().ToString();
  EXPECT_EQ(site->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(site->final_url, server_.Url("/css/site.css"));
  const std::string enc = "http%3A%2F%2F127.0.0.1%3A" + std::to_string(server_.port());
  EXPECT_EQ(site->body, "@import \"/api/asset?url=" + enc +
                            "%2Fcss%2Fsub.css&d=1\";\n"
                            "body{background:url(\"/api/asset?url=" +
                            enc +
                            "%2Fimg%2Fa.png\")}\n"
                            "@font-face{src:url(\"/api/asset?url=" +
                            enc +
                            "%2Ff%2Fx.woff2\") format('woff2')}\n"
                            ".d{background:url(data:image/gif;base64,R0lG)}\n"
                            ".j{background:url(\"about:invalid\")}\n");

  // The import, fetched through the proxy one level down, points its own import one further.
  auto sub = cache.Get(server_.Url("/css/sub.css"), Allowed(), 1);
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  EXPECT_EQ(sub->content_type, "text/css; charset=iso-8859-1");
  EXPECT_EQ(sub->body, "@import url(\"/api/asset?url=" + enc + "%2Fcss%2Fdeeper.css&d=2\");");
  // Deepest level: imports become about:invalid; past it the proxy refuses.
  auto deepest = cache.Get(server_.Url("/css/sub.css"), Allowed(), 3);
  ASSERT_TRUE(deepest.ok());
  EXPECT_EQ(deepest->body, "@import url(\"about:invalid\");");
  EXPECT_EQ(cache.Get(server_.Url("/css/sub.css"), Allowed(), 4).status().code(),
            StatusCode::kInvalidArgument);

  // What the upstream saw: a plain GET with our User-Agent, no cookie, no referrer.
  const std::vector<std::string> heads = server_.Heads();
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_TRUE(heads[0].starts_with("GET /css/site.css HTTP/1.1\r\n")) << heads[0];
  EXPECT_NE(heads[0].find("\r\nUser-Agent: TapistryAssetFetcher/1\r\n"), std::string::npos)
      << heads[0];
  EXPECT_EQ(heads[0].find("Cookie"), std::string::npos);
  EXPECT_EQ(heads[0].find("Referer"), std::string::npos);
}

TEST_F(AssetCacheTest, FetchesImagesAndFontsByteForByte) {
  server_.Set("/a.png", Http(200, "image/png", kPng));
  server_.Set("/f.woff2", Http(200, "font/woff2", "wOF2\0\x01", ""));
  server_.Set("/f.woff", Http(200, "application/font-woff", "wOFF"));
  server_.Set("/f.eot", Http(200, "application/vnd.ms-fontobject", "eot"));
  server_.Set("/empty.gif", Http(200, "image/gif", ""));
  AssetCache cache(Options());
  auto png = cache.Get(server_.Url("/a.png"), Allowed());
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  EXPECT_EQ(png->content_type, "image/png");
  EXPECT_EQ(png->body, kPng);
  EXPECT_EQ(cache.Get(server_.Url("/f.woff2"), Allowed())->content_type, "font/woff2");
  EXPECT_EQ(cache.Get(server_.Url("/f.woff"), Allowed())->content_type, "application/font-woff");
  EXPECT_EQ(cache.Get(server_.Url("/f.eot"), Allowed())->content_type,
            "application/vnd.ms-fontobject");
  auto empty = cache.Get(server_.Url("/empty.gif"), Allowed());
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->body, "");
}

TEST_F(AssetCacheTest, RefusesContentTypesOutsideTheAllowlist) {
  const std::pair<std::string, std::string> refused[] = {
      {"/page.html", "text/html; charset=utf-8"},
      {"/icon.svg", "image/svg+xml"},
      {"/ICON.svg", "IMAGE/SVG+XML; charset=utf-8"},
      {"/app.js", "application/javascript"},
      {"/notes.txt", "text/plain"},
      {"/data.json", "application/json"},
      {"/none", ""},
      {"/empty.svg", "image/svg+xml"},  // no body at all: still checked
  };
  for (const auto& [target, type] : refused) {
    server_.Set(target, Http(200, type, target == "/empty.svg" ? "" : "<svg onload=alert(1)>"));
  }
  AssetCache cache(Options());
  for (const auto& [target, type] : refused) {
    auto r = cache.Get(server_.Url(target), Allowed());
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied)
        << target << " " << r.status().ToString();
  }
}

TEST_F(AssetCacheTest, RefusesBodiesOverTheLimit) {
  const std::string over(kMaxAssetBytes + 1, 'x');
  server_.Set("/declared.png", Http(200, "image/png", over));
  // No Content-Length: the transfer is cut when the limit is passed.
  server_.Set("/streamed.png",
              "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n" + over);
  server_.Set("/exact.png", Http(200, "image/png", std::string(kMaxAssetBytes, 'x')));
  AssetCache cache(Options());
  EXPECT_EQ(cache.Get(server_.Url("/declared.png"), Allowed()).status().code(),
            StatusCode::kTooLarge);
  EXPECT_EQ(cache.Get(server_.Url("/streamed.png"), Allowed()).status().code(),
            StatusCode::kTooLarge);
  auto exact = cache.Get(server_.Url("/exact.png"), Allowed());
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_EQ(exact->body.size(), kMaxAssetBytes);
}

TEST_F(AssetCacheTest, FollowsRedirectsWithinTheirLimit) {
  server_.Set("/img.png", Http(200, "image/png", kPng));
  server_.Set("/r1", Redirect(302, "/r2"));
  server_.Set("/r2", Redirect(301, server_.Url("/r3")));
  server_.Set("/r3", Redirect(307, "r4"));
  server_.Set("/r4", Redirect(308, "/img.png"));
  server_.Set("/to-file", Redirect(302, "file:///etc/passwd"));
  AssetCache cache(Options());
  auto three = cache.Get(server_.Url("/r2"), Allowed());
  ASSERT_TRUE(three.ok()) << three.status().ToString();
  EXPECT_EQ(three->final_url, server_.Url("/img.png"));
  EXPECT_EQ(three->body, kPng);
  EXPECT_EQ(cache.Get(server_.Url("/r1"), Allowed()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(server_.Requests("/r4"), 2);  // the fourth redirect was not followed
  EXPECT_EQ(server_.Requests("/img.png"), 1);
  EXPECT_EQ(cache.Get(server_.Url("/to-file"), Allowed()).status().code(), StatusCode::kNotFound);
}

TEST_F(AssetCacheTest, RefusesRedirectToLoopbackOriginNotAllowed) {
  TestServer internal;  // another loopback service the project never allowed
  internal.Set("/secret.png", Http(200, "image/png", kPng));
  server_.Set("/hop", Redirect(302, internal.Url("/secret.png")));
  server_.Set("/hop-localhost",
              Redirect(302, "http://localhost:" + std::to_string(internal.port()) + "/secret.png"));
  AssetCache cache(Options());
  for (const char* target : {"/hop", "/hop-localhost"}) {
    auto r = cache.Get(server_.Url(target), Allowed());
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied)
        << target << " " << r.status().ToString();
  }
  EXPECT_EQ(internal.Connections(), 0);
  EXPECT_EQ(server_.Requests("/hop"), 1);
  // Refusals by the guard depend on the policy and are not remembered.
  EXPECT_EQ(cache.Get(server_.Url("/hop"), Allowed()).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(server_.Requests("/hop"), 2);
}

TEST_F(AssetCacheTest, RefusesLoopbackOriginNotAllowedWithoutConnecting) {
  server_.Set("/img.png", Http(200, "image/png", kPng));
  AssetCache cache(Options());
  auto r = cache.Get(server_.Url("/img.png"), Nothing());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  EXPECT_NE(r.status().message().find("loopback"), std::string::npos) << r.status().message();
  // Another port on the same host is another origin.
  AssetPolicy other_port{{"http://127.0.0.1:1"}, "/api/asset"};
  EXPECT_EQ(cache.Get(server_.Url("/img.png"), other_port).status().code(),
            StatusCode::kPermissionDenied);
  // Wildcards exempt nothing from the guard.
  AssetPolicy wildcards{{"*", "http://*.0.0.1:" + std::to_string(server_.port()), "http://*"},
                        "/api/asset"};
  EXPECT_EQ(cache.Get(server_.Url("/img.png"), wildcards).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(server_.Connections(), 0);
  EXPECT_EQ(cache.Stats().connections, 0u);
  EXPECT_EQ(cache.Stats().refused, 3u);
  // The origin, once allowed (in any spelling of it), is fetched.
  AssetPolicy spelled{{"HTTP://127.0.0.1:" + std::to_string(server_.port()) + "/"}, "/api/asset"};
  EXPECT_TRUE(cache.Get(server_.Url("/img.png"), spelled).ok());
}

TEST_F(AssetCacheTest, RefusesNonPublicHostsWithoutAnyConnectionAttempt) {
  const std::string port = std::to_string(server_.port());
  server_.Set("/img.png", Http(200, "image/png", kPng));
  const std::string urls[] = {
      "http://10.0.0.1/a.png",
      "http://169.254.169.254/latest/meta-data/",
      "http://[::1]:" + port + "/img.png",
      "http://0x7f.1:" + port + "/img.png",
      "http://2130706433:" + port + "/img.png",
      "http://127.1:" + port + "/img.png",
      "http://0177.0.0.1:" + port + "/img.png",
      "http://[::ffff:127.0.0.1]:" + port + "/img.png",
      "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
      "http://0.0.0.0:" + port + "/img.png",
      "http://100.64.0.1/a.png",
      "http://192.168.0.1/a.png",
      "http://172.16.0.1/a.png",
      "http://[fe80::1]/a.png",
      "http://[fd00::1]/a.png",
      "http://224.0.0.1/a.png",
      "http://localhost:" + port + "/img.png",
  };
  AssetCache cache(Options());
  for (const std::string& url : urls) {
    const auto start = std::chrono::steady_clock::now();
    auto r = cache.Get(url, Nothing());
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied)
        << url << " " << r.status().ToString();
    EXPECT_LT(ms, 1000) << url;
  }
  const AssetCacheStats stats = cache.Stats();
  EXPECT_EQ(stats.requests, 0u);
  EXPECT_EQ(stats.connections, 0u);
  EXPECT_EQ(stats.refused, std::size(urls));
  EXPECT_EQ(server_.Connections(), 0);
}

TEST_F(AssetCacheTest, RefusesUrlsThatAreNotPlainHttp) {
  AssetCache cache(Options());
  const std::string port = std::to_string(server_.port());
  const std::vector<std::string> bad = {"file:///etc/passwd",
                                        "ftp://example.com/a.png",
                                        "javascript:alert(1)",
                                        "gopher://x/",
                                        "data:image/png;base64,AAAA",
                                        "/relative.png",
                                        "//example.com/a.png",
                                        "",
                                        "http://user:pw@127.0.0.1:" + port + "/img.png",
                                        "http://[fe80::1%25eth0]/a.png",
                                        "http://exa\tmple.com/",
                                        "http://*.example.com/",
                                        "http://127.0.0.1:0/a.png",
                                        "http://example.com/" + std::string(kMaxUrlLength, 'a')};
  for (const std::string& url : bad) {
    EXPECT_EQ(cache.Get(url, Allowed()).status().code(), StatusCode::kInvalidArgument) << url;
  }
  for (const char* base :
       {"", "api/asset", "//evil.example/x", "https://evil.example/x", "/a\"b"}) {
    EXPECT_EQ(cache.Get(server_.Url("/img.png"), AssetPolicy{{}, base}).status().code(),
              StatusCode::kInvalidArgument)
        << base;
  }
  EXPECT_EQ(cache.Stats().requests, 0u);
}

TEST_F(AssetCacheTest, ServesRepeatedGetsFromTheCacheUntilTheTtl) {
  server_.Set("/img.png", Http(200, "image/png", kPng));
  AssetCache cache(Options());
  ASSERT_TRUE(cache.Get(server_.Url("/img.png"), Allowed()).ok());
  auto again = cache.Get(server_.Url("/img.png#fragment"), Allowed());  // same resource
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->body, kPng);
  EXPECT_EQ(server_.Requests("/img.png"), 1);
  EXPECT_EQ(cache.Stats().hits, 1u);
  EXPECT_EQ(cache.Stats().entries, 1u);
  clock_.AdvanceMs(kCacheTtlMs - 1);
  ASSERT_TRUE(cache.Get(server_.Url("/img.png"), Allowed()).ok());
  EXPECT_EQ(server_.Requests("/img.png"), 1);
  clock_.AdvanceMs(1);
  ASSERT_TRUE(cache.Get(server_.Url("/img.png"), Allowed()).ok());
  EXPECT_EQ(server_.Requests("/img.png"), 2);
}

TEST_F(AssetCacheTest, RemembersFailuresBriefly) {
  server_.Set("/gone.png", Http(404, "text/html", "<h1>gone</h1>"));
  server_.Set("/page.html", Http(200, "text/html", "<h1>hi</h1>"));
  AssetCache cache(Options());
  EXPECT_EQ(cache.Get(server_.Url("/gone.png"), Allowed()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cache.Get(server_.Url("/gone.png"), Allowed()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cache.Get(server_.Url("/page.html"), Allowed()).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(cache.Get(server_.Url("/page.html"), Allowed()).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(server_.Requests("/gone.png"), 1);
  EXPECT_EQ(server_.Requests("/page.html"), 1);
  EXPECT_EQ(cache.Stats().negative_hits, 2u);

  // A dead host (nothing listens on the allowed port) is asked once a minute at most.
  const std::string dead_origin = "http://127.0.0.1:" + std::to_string(UnusedPort());
  const std::string dead = dead_origin + "/a.png";
  AssetPolicy policy{{dead_origin}, "/api/asset"};
  const uint64_t before = cache.Stats().requests;
  EXPECT_EQ(cache.Get(dead, policy).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(cache.Get(dead, policy).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(cache.Stats().requests, before + 1);

  clock_.AdvanceMs(kNegativeTtlMs);
  EXPECT_EQ(cache.Get(server_.Url("/gone.png"), Allowed()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(server_.Requests("/gone.png"), 2);
}

TEST_F(AssetCacheTest, EvictsLeastRecentlyUsedPastTheByteBudget) {
  const std::string body(1000, 'x');
  for (const char* t : {"/a.png", "/b.png", "/c.png", "/d.png"})
    server_.Set(t, Http(200, "image/png", body));
  AssetCacheOptions o = Options();
  o.max_bytes = 3 * (body.size() + 600);  // three entries with their URLs and overhead
  AssetCache cache(o);
  for (const char* t : {"/a.png", "/b.png", "/c.png", "/a.png", "/d.png"}) {
    ASSERT_TRUE(cache.Get(server_.Url(t), Allowed()).ok()) << t;
  }
  EXPECT_EQ(cache.Stats().entries, 3u);
  EXPECT_LE(cache.Stats().bytes, o.max_bytes);
  ASSERT_TRUE(cache.Get(server_.Url("/a.png"), Allowed()).ok());  // kept: recently used
  ASSERT_TRUE(cache.Get(server_.Url("/b.png"), Allowed()).ok());  // evicted: fetched again
  EXPECT_EQ(server_.Requests("/a.png"), 1);
  EXPECT_EQ(server_.Requests("/b.png"), 2);
  // An asset bigger than the whole budget is served but not kept.
  AssetCacheOptions tiny = Options();
  tiny.max_bytes = 100;
  AssetCache small(tiny);
  ASSERT_TRUE(small.Get(server_.Url("/c.png"), Allowed()).ok());
  EXPECT_EQ(small.Stats().entries, 0u);
}

TEST_F(AssetCacheTest, ServesExemptResultsOnlyToPoliciesThatExemptThem) {
  server_.Set("/img.png", Http(200, "image/png", kPng));
  AssetCache cache(Options());
  ASSERT_TRUE(cache.Get(server_.Url("/img.png"), Allowed()).ok());
  EXPECT_EQ(cache.Get(server_.Url("/img.png"), Nothing()).status().code(),
            StatusCode::kPermissionDenied);
  ASSERT_TRUE(cache.Get(server_.Url("/img.png"), Allowed()).ok());  // still cached for its project
  EXPECT_EQ(server_.Requests("/img.png"), 1);
}

TEST_F(AssetCacheTest, OperatorAllowlistExemptsEveryProject) {
  server_.Set("/img.png", Http(200, "image/png", kPng));
  AssetCacheOptions o = Options();
  o.operator_allowed_origins = {server_.Origin()};
  AssetCache cache(o);
  EXPECT_TRUE(cache.Get(server_.Url("/img.png"), Nothing()).ok());
}

TEST_F(AssetCacheTest, ConnectsOnlyToTheAddressItChecked) {
  server_.Set("/img.png", Http(200, "image/png", kPng));
  // A name whose answer changes after the check (DNS rebinding): only the first answer is used,
  // and libcurl never asks DNS itself (rebind.test does not exist there).
  std::atomic<int> lookups{0};
  AssetCacheOptions o = Options();
  o.resolver = [&](const std::string& host) -> Result<std::vector<IpAddress>> {
    EXPECT_EQ(host, "rebind.test");
    return std::vector<IpAddress>{*IpAddress::Parse(lookups++ == 0 ? "127.0.0.1" : "10.0.0.1")};
  };
  AssetCache cache(o);
  const std::string origin = "http://rebind.test:" + std::to_string(server_.port());
  auto r = cache.Get(origin + "/img.png", AssetPolicy{{origin}, "/api/asset"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(lookups, 1);
  ASSERT_EQ(server_.Heads().size(), 1u);
  EXPECT_NE(server_.Heads()[0].find("\r\nHost: rebind.test:"), std::string::npos);

  // A name with one private address among public ones is refused outright.
  AssetCacheOptions mixed = Options();
  mixed.resolver = [](const std::string&) -> Result<std::vector<IpAddress>> {
    return std::vector<IpAddress>{*IpAddress::Parse("93.184.216.34"),
                                  *IpAddress::Parse("127.0.0.1")};
  };
  AssetCache guarded(mixed);
  auto refused =
      guarded.Get("http://mixed.test:" + std::to_string(server_.port()) + "/img.png", Nothing());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(guarded.Stats().connections, 0u);
}

TEST_F(AssetCacheTest, PinsIpv6AddressesToo) {
  TestServer v6(/*ipv6=*/true);
  if (!v6.listening()) GTEST_SKIP() << "no IPv6 loopback here";
  v6.Set("/img.png", Http(200, "image/png", kPng));
  AssetCacheOptions o = Options();
  o.resolver = [](const std::string&) -> Result<std::vector<IpAddress>> {
    return std::vector<IpAddress>{*IpAddress::Parse("::1")};
  };
  AssetCache cache(o);
  const std::string name = "http://v6.test:" + std::to_string(v6.port());
  auto by_name = cache.Get(name + "/img.png", AssetPolicy{{name}, "/api/asset"});
  ASSERT_TRUE(by_name.ok()) << by_name.status().ToString();
  auto literal = cache.Get(v6.Url("/img.png"), AssetPolicy{{v6.Origin()}, "/api/asset"});
  ASSERT_TRUE(literal.ok()) << literal.status().ToString();
  EXPECT_EQ(v6.Requests("/img.png"), 2);
}

TEST_F(AssetCacheTest, GivesUpOnSlowServers) {
  server_.Set("/slow.png", "");  // never answers
  AssetCacheOptions o = Options();
  o.fetch_timeout_ms = 300;
  AssetCache cache(o);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(cache.Get(server_.Url("/slow.png"), Allowed()).status().code(),
            StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(AssetCacheTest, ConcurrentGetsAreSafe) {
  for (int i = 0; i < 5; ++i) {
    server_.Set("/" + std::to_string(i) + ".css",
                Http(200, "text/css", "a{b:url(i" + std::to_string(i) + ".png)}"));
  }
  AssetCacheOptions o = Options();
  o.max_bytes = 4000;  // small enough to evict while others read
  AssetCache cache(o);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        auto r = cache.Get(server_.Url("/" + std::to_string((t + i) % 5) + ".css"), Allowed());
        if (!r.ok() || r->body.find("/api/asset?url=") == std::string::npos) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  const AssetCacheStats s = cache.Stats();
  EXPECT_EQ(s.hits + s.misses, 180u);
  EXPECT_LE(s.bytes, o.max_bytes);
}

}  // namespace
}  // namespace tapistry::assetcache
