// HttpServer: the Boost.Beast/Asio HTTP/1.1 server every endpoint sits behind.
// Keep-alive, a header timeout (10 s) and a body timeout (30 s) against slow clients, named limits
// (limits.h) on headers and bodies (a body is handed on as sent: the router inflates it after the
// route's auth step), and a graceful stop (stop accepting, let in-flight requests finish, then
// return). Requests with ambiguous framing get 400/501 and a closed connection (framing.h); open
// connections are capped per client IP (connection_limit.h); when accept fails (EMFILE) the
// accept loop backs off instead of spinning.
// Thread-safety: Start/Stop from one controlling thread; the handler is called concurrently from
// the I/O threads and may complete its reply from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/reply.h"
#include "common/request.h"
#include "common/route.h"
#include "ops/metrics.h"
#include "tapistry/status.h"

namespace tapistry {

using HttpHandler = std::function<void(HttpRequest&&, Responder)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 = pick a free port (tests)
  int threads = 2;
  int header_timeout_ms = 10000;
  int body_timeout_ms = 30000;
  int idle_timeout_ms = 60000;
  // Open connections per remote IP; past it a connection gets 503 and is closed. 0 = no cap.
  size_t max_conns_per_ip = 256;
  // Peers exempt from that cap, as exact addresses: the load balancers in front
  // (--trusted-proxies).
  std::vector<std::string> trusted_peers;
  // Body limit (as sent) and metrics label by path: from the RouteTable (common/route.h).
  std::function<size_t(std::string_view path)> body_limit;
  std::function<const char*(std::string_view path)> route_label;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions opts, HttpHandler handler, MetricsRegistry* metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the I/O threads. Fails with a message an operator can act on.
  Status Start();
  uint16_t port() const { return bound_port_; }
  // Stops accepting, waits up to `drain_ms` for in-flight requests, then stops the I/O threads.
  void Stop(int drain_ms);
  size_t InFlight() const { return in_flight_->load(); }

  struct Impl;  // public so the connection class in http_server.cc can name it

 private:
  std::unique_ptr<Impl> impl_;
  uint16_t bound_port_ = 0;
  std::shared_ptr<std::atomic<size_t>> in_flight_;
};

}  // namespace tapistry
