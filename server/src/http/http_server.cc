#include "http/http_server.h"

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <ctime>
#include <optional>

#include "common/crypto.h"
#include "http/connection_limit.h"
#include "http/framing.h"
#include "ops/logging.h"
#include "tapistry/limits.h"

namespace tapistry {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// "Wed, 21 Oct 2015 07:28:00 GMT", cached per second (the SDK reads it for clock skew).
std::string HttpDate() {
  thread_local std::time_t last = 0;
  thread_local std::string cached;
  std::time_t now = std::time(nullptr);
  if (now != last) {
    char buf[64];
    std::tm tm;
    gmtime_r(&now, &tm);
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached = buf;
    last = now;
  }
  return cached;
}

// accept(2) backoff after an error such as EMFILE: first wait, and the most it doubles to.
constexpr int kAcceptBackoffMinMs = 50;
constexpr int kAcceptBackoffMaxMs = 1000;

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions opts;
  HttpHandler handler;
  MetricsRegistry* metrics;
  ConnectionLimit conn_limit;  // before ioc: sessions destroyed with ioc release their slot here
  net::io_context ioc;
  // The accept chain (accept, backoff timer, Stop's close) runs on one strand.
  tcp::acceptor acceptor;
  net::steady_timer accept_timer;
  int accept_backoff_ms = 0;  // 0 = accepting normally; touched only by the accept chain
  uint64_t accept_failures = 0;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::shared_ptr<std::atomic<size_t>> in_flight;
  std::atomic<uint64_t> next_id{0};
  std::string id_prefix = RandomHex(3);
  Counter* conn_total;
  Counter* conn_refused;
  Counter* accept_errors;

  Impl(HttpServerOptions o, HttpHandler h, MetricsRegistry* m,
       std::shared_ptr<std::atomic<size_t>> f)
      : opts(std::move(o)), handler(std::move(h)), metrics(m),
        conn_limit(opts.max_conns_per_ip, opts.trusted_peers), ioc(opts.threads),
        acceptor(net::make_strand(ioc)), accept_timer(acceptor.get_executor()),
        in_flight(std::move(f)) {
    conn_total = metrics->GetCounter("tapistry_http_connections_total", "Accepted TCP connections");
    conn_refused = metrics->GetCounter("tapistry_http_connections_refused_total",
                                       "Connections refused with 503: over --max-conns-per-ip");
    accept_errors = metrics->GetCounter("tapistry_http_accept_errors_total",
                                        "Failed accept(2) calls (EMFILE: out of file descriptors)");
  }

  std::string NewRequestId() { return id_prefix + "-" + std::to_string(next_id.fetch_add(1)); }

  size_t BodyLimit(std::string_view path) const {
    return opts.body_limit ? opts.body_limit(path) : limits::kMaxApiBody;
  }

  void Accept();
  void BackOffAccept(const beast::error_code& ec);
  void EndAcceptBackoff();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl* srv) : stream_(std::move(socket)), srv_(srv) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ip_ = ep.address().to_string();
    admission_ = srv_->conn_limit.Acquire(remote_ip_);
  }

  ~Session() {
    if (admission_ != ConnectionLimit::Admission::kExempt) srv_->conn_limit.Release(remote_ip_);
  }

  void Run() {
    if (admission_ == ConnectionLimit::Admission::kOverCap) {
      return net::dispatch(stream_.get_executor(),
                           beast::bind_front_handler(&Session::RefuseOverCap, shared_from_this()));
    }
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::ReadHeader, shared_from_this()));
  }

 private:
  // One connection too many from this client IP: say so and close, without reading a request.
  void RefuseOverCap() {
    srv_->conn_refused->Inc();
    Fail(503, "too_many_connections",
         "more than " + std::to_string(srv_->opts.max_conns_per_ip) +
             " open connections from this address; close some and retry");
  }

  void ReadHeader() {
    if (srv_->stopping) return Close();
    parser_.emplace();
    parser_->header_limit(limits::kMaxHeaderBytes);
    // Beast checks Content-Length against body_limit while parsing the header; the real limit
    // depends on the path, so it is set (and an early 413 sent) in OnHeader.
    parser_->body_limit(boost::none);
    scanner_ = HeaderScanner();
    scanned_ = 0;
    stream_.expires_after(std::chrono::milliseconds(srv_->opts.header_timeout_ms));
    ParseHeader();
  }

  // http::async_read_header by hand, so that each header byte passes HeaderScanner (framing.h)
  // before Beast sees it: Beast waits for a CRLFCRLF until the header timeout when a client ends
  // its lines in bare LF, and unfolds obs-fold. Beast gets the header in one piece once it is
  // complete (or over the limit, for the 431).
  void ParseHeader() {
    std::string_view bytes(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    FramingVerdict v = scanner_.Feed(bytes.substr(scanned_));
    scanned_ = bytes.size();
    if (!v.ok()) return Fail(v);
    if (scanner_.complete() || bytes.size() > limits::kMaxHeaderBytes) {
      beast::error_code ec;
      size_t n = parser_->put(buffer_.data(), ec);
      buffer_.consume(n);
      // The whole header was there: Beast wanting more would mean it reads the bytes differently.
      if (ec == http::error::need_more) return Fail(400, "bad_request", "malformed request header");
      return OnHeader(ec, n);
    }
    auto more = buffer_.prepare(beast::read_size(buffer_, 65536));
    stream_.async_read_some(more, [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->buffer_.commit(n);
      if (ec == net::error::eof) {
        ec = self->buffer_.size() == 0 ? http::error::end_of_stream : http::error::partial_message;
      }
      if (ec) return self->OnHeader(ec, 0);
      self->ParseHeader();
    });
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return OnParseError(ec, ParsePhase::kHeader);
    if (FramingVerdict v = CheckFraming(parser_->get()); !v.ok()) return Fail(v);
    start_ = std::chrono::steady_clock::now();
    auto& req = parser_->get();
    std::string_view target(req.target().data(), req.target().size());
    path_ = PercentDecode(target.substr(0, target.find('?')), false);
    limit_ = srv_->BodyLimit(path_);
    if (parser_->content_length() && *parser_->content_length() > limit_) {
      return Fail(413, "too_large", "body larger than " + std::to_string(limit_) + " bytes");
    }
    parser_->body_limit(limit_);
    stream_.expires_after(std::chrono::milliseconds(srv_->opts.body_timeout_ms));
    auto expect = req[http::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code e, size_t) {
                          if (e) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == http::error::body_limit) {
      return Fail(413, "too_large", "body larger than " + std::to_string(limit_) + " bytes");
    }
    if (ec) return OnParseError(ec, ParsePhase::kBody);
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    size_t q = req.target.find('?');
    req.path = path_;
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    req.headers.reserve(16);
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    req.remote_ip = remote_ip_;
    std::string_view rid = req.Header("x-request-id");
    if (!rid.empty() && rid.size() <= 64 && std::all_of(rid.begin(), rid.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
        })) {
      req.request_id = std::string(rid);
    } else {
      req.request_id = srv_->NewRequestId();
    }
    request_id_ = req.request_id;
    route_ = srv_->opts.route_label ? srv_->opts.route_label(req.path) : "other";
    // The body stays as sent: the router inflates it after the route's admission / auth step.
    req.body = std::move(msg.body());
    srv_->in_flight->fetch_add(1);
    counted_ = true;
    stream_.expires_never();
    auto self = shared_from_this();
    srv_->handler(std::move(req), [self](Reply r) {
      net::post(self->stream_.get_executor(),
                [self, r = std::move(r)]() mutable { self->Respond(std::move(r)); });
    });
  }

  void Respond(Reply r) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "tapistry");
    res->set(http::field::date, HttpDate());
    res->set("X-Request-Id", request_id_);
    if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
    // A handler's header replaces one set before it, except Set-Cookie: a sign-in sets the session
    // cookie and clears the pre-session one in one response (RFC 6265 §3: one cookie per header).
    for (auto& [k, v] : r.headers) {
      if (boost::beast::iequals(k, "set-cookie")) res->insert(k, v);
      else res->set(k, v);
    }
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_ && !srv_->stopping);
    res->prepare_payload();
    status_ = r.status;
    stream_.expires_after(std::chrono::milliseconds(srv_->opts.body_timeout_ms));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        self->OnWritten(ec, res->keep_alive());
                      });
  }

  void OnWritten(beast::error_code ec, bool keep_alive) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string labels = std::string("route=\"") + route_ + "\"";
    srv_->metrics->GetHistogram("tapistry_http_request_seconds", "Request latency by route", labels)
        ->Observe(secs);
    srv_->metrics
        ->GetCounter("tapistry_http_requests_total", "Requests by route and status",
                     labels + ",code=\"" + std::to_string(status_) + "\"")
        ->Inc();
    // A refusal by Fail (over the connection cap, an unsupported transfer coding) is the client's
    // doing, not a server failure: not logged, so a flood of them cannot flood the log.
    if (status_ >= 500 && !lingering_) {
      Log(LogLevel::kWarn, "request failed",
          {{"request_id", request_id_}, {"path", path_}, {"status", std::to_string(status_)}});
    }
    if (counted_) {
      srv_->in_flight->fetch_sub(1);
      counted_ = false;
    }
    if (lingering_ && !ec) return LingerClose();
    if (ec || !keep_alive) return Close();
    ReadHeader();
  }

  // After an early error reply the client may still be sending its body. Closing with unread
  // bytes makes the kernel send RST, which can destroy our reply before the client reads it; so
  // half-close, discard what arrives for up to 2 s (at most 16 MB), then close.
  void LingerClose() {
    if (counted_) {
      srv_->in_flight->fetch_sub(1);
      counted_ = false;
    }
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    Drain();
  }

  void Drain() {
    if (drained_ > (16u << 20)) return Close();
    auto buf = std::make_shared<std::array<char, 16384>>();
    stream_.async_read_some(net::buffer(*buf),
                            [self = shared_from_this(), buf](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec) return self->Close();
                              self->Drain();
                            });
  }

  // Replies and closes: used when the rest of the request cannot be read safely.
  void Fail(int status, std::string_view code, const std::string& reason) {
    keep_alive_ = false;
    lingering_ = true;
    route_ = "other";
    request_id_ = srv_->NewRequestId();  // the request (if any) was never parsed: no id of its own
    start_ = std::chrono::steady_clock::now();
    Respond(JsonError(status, code, reason));
  }
  void Fail(const FramingVerdict& v) { Fail(v.status, v.error, v.reason); }

  // A read that failed: a client that broke HTTP's rules hears why (framing.h); one that went
  // away or timed out is just closed.
  void OnParseError(beast::error_code ec, ParsePhase phase) {
    std::optional<FramingVerdict> v = VerdictForParseError(ec, parser_->get(), phase);
    if (!v) return Close();
    Fail(*v);
  }

  void Close() {
    if (counted_) {
      srv_->in_flight->fetch_sub(1);
      counted_ = false;
    }
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HeaderScanner scanner_;
  size_t scanned_ = 0;  // bytes at the front of buffer_ the scanner has seen
  HttpServer::Impl* srv_;
  std::string remote_ip_;
  ConnectionLimit::Admission admission_ = ConnectionLimit::Admission::kExempt;
  std::string path_;
  std::string request_id_;
  const char* route_ = "other";
  size_t limit_ = 0;
  bool keep_alive_ = false;
  bool counted_ = false;
  bool lingering_ = false;
  size_t drained_ = 0;
  int status_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!stopping && ec != net::error::operation_aborted) BackOffAccept(ec);
      return;
    }
    if (accept_backoff_ms) EndAcceptBackoff();
    conn_total->Inc();
    socket.set_option(tcp::no_delay(true), ec);
    std::make_shared<Session>(std::move(socket), this)->Run();
    if (!stopping) Accept();
  });
}

// A failed accept(2) (EMFILE / ENFILE when out of descriptors, ENOBUFS) fails again at once while
// the connection waits in the backlog: retrying at once spun a core and starved /healthz. So wait
// 50 ms, doubling to 1 s, until an accept succeeds; one log line when the episode starts.
void HttpServer::Impl::BackOffAccept(const beast::error_code& ec) {
  accept_errors->Inc();
  ++accept_failures;
  if (accept_backoff_ms == 0) {
    Log(LogLevel::kWarn, "accept failed: retrying with backoff until it succeeds",
        {{"error", ec.message()},
         {"first_wait_ms", std::to_string(kAcceptBackoffMinMs)},
         {"max_wait_ms", std::to_string(kAcceptBackoffMaxMs)}});
    accept_backoff_ms = kAcceptBackoffMinMs;
  } else {
    accept_backoff_ms = std::min(accept_backoff_ms * 2, kAcceptBackoffMaxMs);
  }
  accept_timer.expires_after(std::chrono::milliseconds(accept_backoff_ms));
  accept_timer.async_wait([this](beast::error_code e) {
    if (!e && !stopping) Accept();
  });
}

void HttpServer::Impl::EndAcceptBackoff() {
  Log(LogLevel::kInfo, "accepting connections again",
      {{"failed_accepts", std::to_string(accept_failures)}});
  accept_backoff_ms = 0;
  accept_failures = 0;
}

HttpServer::HttpServer(HttpServerOptions opts, HttpHandler handler, MetricsRegistry* metrics)
    : in_flight_(std::make_shared<std::atomic<size_t>>(0)) {
  impl_ = std::make_unique<Impl>(std::move(opts), std::move(handler), metrics, in_flight_);
}

HttpServer::~HttpServer() { Stop(0); }

Status HttpServer::Start() {
  beast::error_code ec;
  auto addr = net::ip::make_address(impl_->opts.host, ec);
  if (ec)
    return Status::InvalidArgument("--listen: '" + impl_->opts.host + "' is not an IP address");
  tcp::endpoint ep(addr, impl_->opts.port);
  impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(ep, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + impl_->opts.host + ":" +
                           std::to_string(impl_->opts.port) + ": " + ec.message() +
                           " (is another server using the port? pick one with --listen)");
  }
  bound_port_ = impl_->acceptor.local_endpoint().port();
  impl_->Accept();
  for (int i = 0; i < std::max(1, impl_->opts.threads); ++i) {
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  }
  return Status::Ok();
}

void HttpServer::Stop(int drain_ms) {
  if (impl_->threads.empty()) return;
  impl_->stopping = true;
  net::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->accept_timer.cancel();
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(drain_ms);
  while (in_flight_->load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace tapistry
