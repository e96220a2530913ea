// bench/loadgen: posts realistic POST /i batches (spec Appendix A, docs/wire-format.md) of 25-50
// events over N keep-alive connections, flat out or at a target event rate, for a bounded time,
// and prints what the server accepted, request latency percentiles, status codes, and the
// server's RSS and CPU% sampled from /proc/<pid>.
//
//   loadgen --url http://127.0.0.1:8080/i --key pk_... [--key pk_...] [--connections 8]
//           [--rate EVENTS_PER_S | 0 = flat out] [--duration 30] [--pid SERVER_PID]
//           [--batch 25-50] [--max-requests N] [--seed 1] [--content-type text/plain] [--dry-run]
//
// Loopback only: the target must be 127.0.0.0/8 or ::1. Every loop is bounded by --duration
// (at most 600 s) and --max-requests.
//
// Bodies come from a pool of pre-rendered batches (bench/model.h sessions, so paths, clicks,
// scrolls and custom events look like real traffic); before each send the event ids (a hash of a
// random run nonce and a counter: unique, and as incompressible as real ones), session ids, ts
// and sent_at are patched in place, so formatting JSON costs the client almost nothing.
//
// Latency is measured per request from the moment it was due (its slot in the --rate schedule,
// or when it was sent when flat out) to the end of the response, so a client or server that
// falls behind shows up in the percentiles instead of silently lowering the rate.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "model.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::string target = "/i";
  std::vector<std::string> keys;
  int connections = 8;
  double rate = 0;  // events/s; 0 = flat out
  double duration_s = 30;
  int pid = 0;
  int batch_min = 25, batch_max = 50;
  uint64_t max_requests = 100000000;
  uint64_t seed = 1;
  int templates = 2048;
  std::string content_type = "application/json";
  bool dry_run = false;
};

[[noreturn]] void Usage(const std::string& msg) {
  std::fprintf(stderr,
               "loadgen: %s\nusage: loadgen --url http://127.0.0.1:PORT/i --key PUBLIC_KEY [--key ...] "
               "[--connections N] [--rate EVENTS_PER_S] [--duration S] [--pid SERVER_PID] [--batch MIN-MAX] "
               "[--max-requests N] [--seed S] [--content-type T] [--dry-run]\n",
               msg.c_str());
  std::exit(2);
}

// A batch body with the byte offsets of the fields patched per send.
struct Template {
  std::string body;
  std::vector<uint32_t> id_off, ts_off, session_off;
  std::vector<uint16_t> session_slot;  // which of the batch's sessions each session_off belongs to
  uint32_t sent_at_off = 0;
  int events = 0;
};

constexpr int64_t kPlaceholderTs = 1700000000000;  // 13 digits, like every ts until 2286

std::vector<Template> BuildTemplates(const Options& opt) {
  std::vector<bench::Site> sites;
  for (const char* name : {"shop", "docs", "blog"}) {
    bench::SiteOptions so;
    so.name = name;
    so.origin = std::string("https://") + name + ".example";
    so.seed = bench::Mix(opt.seed, 0x517E, sites.size());
    sites.emplace_back(so);
  }
  bench::Rng rng(bench::Mix(opt.seed, 0x10AD));
  std::vector<Template> out;
  uint64_t session_no = 0;
  std::vector<std::string> events;
  std::vector<uint64_t> event_session;
  for (int t = 0; t < opt.templates; ++t) {
    const size_t key_index = static_cast<size_t>(t) % opt.keys.size();
    const bench::Site& site = sites[key_index % sites.size()];
    bench::SessionSim sim(site);
    const int want = opt.batch_min + static_cast<int>(rng.Below(static_cast<uint64_t>(opt.batch_max - opt.batch_min + 1)));
    events.clear();
    event_session.clear();
    uint16_t sessions_in_batch = 0;
    while (static_cast<int>(events.size()) < want) {
      bench::SessionPlan plan;
      plan.key = bench::Mix(opt.seed, 0x5E55, session_no);
      plan.visitor_key = bench::Mix(opt.seed, 0x7000, session_no / 3);  // visitors come back
      plan.visit_index = static_cast<uint32_t>(session_no % 3);
      plan.start_ms = kPlaceholderTs;
      plan.limit = static_cast<uint32_t>(want - static_cast<int>(events.size()));
      ++session_no;
      sim.Run(plan, [&](const bench::EventRec& e) {
        std::string s;
        bench::AppendJson(s, e, false);
        events.push_back(std::move(s));
        event_session.push_back(sessions_in_batch);
      });
      ++sessions_in_batch;
    }
    Template tpl;
    tpl.body = "{\"k\":\"" + opt.keys[key_index] +
               "\",\"sdk\":{\"ver\":\"bench-1.0.0\"},\"client\":{\"tz\":\"UTC\",\"lang\":\"en-US\"},\"sent_at\":";
    tpl.sent_at_off = static_cast<uint32_t>(tpl.body.size());
    tpl.body += std::to_string(kPlaceholderTs);
    tpl.body += ",\"events\":[";
    for (size_t i = 0; i < events.size(); ++i) {
      if (i) tpl.body += ',';
      const uint32_t base = static_cast<uint32_t>(tpl.body.size());
      const std::string& ev = events[i];
      // AppendJson starts every event with {"id":"<36>","ts":<13 digits>.
      tpl.id_off.push_back(base + 7);
      tpl.ts_off.push_back(base + 50);
      const size_t sp = ev.find("\"session_id\":\"");
      tpl.session_off.push_back(base + static_cast<uint32_t>(sp + 14));
      tpl.session_slot.push_back(static_cast<uint16_t>(event_session[i]));
      tpl.body += ev;
    }
    tpl.body += "]}";
    tpl.events = static_cast<int>(events.size());
    out.push_back(std::move(tpl));
  }
  return out;
}

inline void Write13(char* p, int64_t v) {
  for (int i = 12; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct ProcSample {
  double cpu_s = 0;  // utime + stime
  uint64_t rss = 0;  // bytes
  bool ok = false;
};
ProcSample ReadProc(int pid) {
  ProcSample s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return s;
  // Fields after the ")" that closes the command name: state is field 3; utime 14, stime 15.
  const size_t close = line.rfind(')');
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  s.cpu_s = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss = std::stoull(line.substr(6)) * 1024;
  }
  s.ok = true;
  return s;
}

struct Stats {
  std::vector<uint32_t> latency_us;      // whole run
  std::vector<uint32_t> second_latency;  // current reporting second
  std::map<int, uint64_t> status;        // 0 = connection error / timeout
  uint64_t requests = 0, events_sent = 0, accepted = 0, duplicates = 0, rejected = 0;
  uint64_t second_requests = 0, second_accepted = 0;
  uint64_t bytes_sent = 0;
  uint64_t reconnects = 0;
};

uint64_t JsonCount(const std::string& body, const char* key) {
  const size_t at = body.find(key);
  if (at == std::string::npos) return 0;
  return std::strtoull(body.c_str() + at + std::strlen(key), nullptr, 10);
}

double Percentile(std::vector<uint32_t>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()))) - (p > 0 ? 1 : 0));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k] / 1000.0;
}

struct Shared {
  Options opt;
  std::vector<Template> templates;
  Stats stats;
  Clock::time_point start, end;
  double events_scheduled = 0;  // the --rate schedule, shared by all connections
  uint64_t next_template = 0;
  uint64_t uses = 0;
  uint64_t nonce = 0;
  uint64_t id_counter = 0;
  bool done = false;
  Clock::time_point finished;                 // when the last connection stopped
  asio::steady_timer* report_timer = nullptr;  // cancelled when done
  tcp::resolver::results_type endpoints;
};

asio::awaitable<void> Connection(Shared& sh, int conn_no) {
  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream stream(executor);
  beast::flat_buffer buffer;
  std::string body;
  bool connected = false;
  asio::steady_timer timer(executor);
  Stats& st = sh.stats;

  while (!sh.done && Clock::now() < sh.end && st.requests < sh.opt.max_requests) {
    Template& tpl = sh.templates[sh.next_template++ % sh.templates.size()];
    Clock::time_point due = Clock::now();
    if (sh.opt.rate > 0) {
      due = sh.start + std::chrono::microseconds(static_cast<int64_t>(sh.events_scheduled / sh.opt.rate * 1e6));
      sh.events_scheduled += tpl.events;
      if (due >= sh.end) break;
      if (due > Clock::now()) {
        timer.expires_at(due);
        co_await timer.async_wait(asio::use_awaitable);
      }
    }
    ++st.requests;
    // Patch: fresh event ids and session ids, ts in the last seconds, sent_at = now.
    body = tpl.body;
    const int64_t now_ms = WallMs();
    const uint64_t use = ++sh.uses;
    for (int i = 0; i < tpl.events; ++i) {
      // Random-looking (not sequential) ids, so stores compress them like real ones.
      const uint64_t n = ++sh.id_counter;
      bench::Uuid128 id{(bench::Mix(sh.nonce, n, 1) & ~0xF000ULL) | 0x4000ULL,
                        (bench::Mix(sh.nonce, n, 2) & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL};
      bench::WriteUuid(body.data() + tpl.id_off[i], id);
      const uint64_t sn = (use << 16) | tpl.session_slot[i];
      bench::Uuid128 sid{(bench::Mix(sh.nonce, sn, 3) & ~0xF000ULL) | 0x4000ULL,
                         (bench::Mix(sh.nonce, sn, 4) & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL};
      bench::WriteUuid(body.data() + tpl.session_off[i], sid);
      Write13(body.data() + tpl.ts_off[i], now_ms - 200LL * (tpl.events - i));
    }
    Write13(body.data() + tpl.sent_at_off, now_ms);

    int status = 0;
    std::string response_body;
    try {
      if (!connected) {
        stream.expires_after(std::chrono::seconds(10));
        co_await stream.async_connect(sh.endpoints, asio::use_awaitable);
        stream.socket().set_option(tcp::no_delay(true));
        connected = true;
      }
      http::request<http::string_body> req{http::verb::post, sh.opt.target, 11};
      req.set(http::field::host, sh.opt.host + ":" + sh.opt.port);
      req.set(http::field::content_type, sh.opt.content_type);
      req.set(http::field::user_agent,
              "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36");
      req.set(http::field::origin, "https://shop.example");
      req.keep_alive(true);
      req.body() = std::move(body);
      req.prepare_payload();
      st.bytes_sent += req.body().size();
      stream.expires_after(std::chrono::seconds(30));
      co_await http::async_write(stream, req, asio::use_awaitable);
      http::response<http::string_body> res;
      co_await http::async_read(stream, buffer, res, asio::use_awaitable);
      status = res.result_int();
      response_body = std::move(res.body());
      if (!res.keep_alive()) {
        beast::error_code ec;
        stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream.close();
        connected = false;
        ++st.reconnects;
      }
    } catch (const std::exception&) {
      status = 0;
      if (connected) ++st.reconnects;
      beast::error_code ec;
      stream.socket().close(ec);
      connected = false;
      buffer.clear();
    }
    const auto lat = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - due).count();
    const uint32_t lat_us = static_cast<uint32_t>(std::min<int64_t>(lat, UINT32_MAX));
    st.latency_us.push_back(lat_us);
    st.second_latency.push_back(lat_us);
    ++st.status[status];
    st.events_sent += static_cast<uint64_t>(tpl.events);
    ++st.second_requests;
    if (status == 200 || status == 206) {
      const uint64_t acc = JsonCount(response_body, "\"accepted\":");
      st.accepted += acc;
      st.second_accepted += acc;
      st.duplicates += JsonCount(response_body, "\"duplicates\":");
      st.rejected += JsonCount(response_body, "\"rejected\":");
    }
    if (status == 0) {
      // Back off a little so a dead server does not turn this loop into a busy spin.
      timer.expires_after(std::chrono::milliseconds(50));
      co_await timer.async_wait(asio::use_awaitable);
    }
  }
  (void)conn_no;
  if (connected) {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  }
}

asio::awaitable<void> Reporter(Shared& sh) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  sh.report_timer = &timer;
  sh.finished = sh.end;
  Stats& st = sh.stats;
  ProcSample prev = sh.opt.pid ? ReadProc(sh.opt.pid) : ProcSample{};
  ProcSample self_prev = ReadProc(getpid());
  auto prev_t = Clock::now();
  double cpu_sum = 0;
  int cpu_samples = 0;
  uint64_t rss_max = 0;
  std::printf("%6s %9s %11s %9s %9s %12s %8s %10s\n", "t(s)", "req/s", "accepted/s", "p50(ms)", "p99(ms)",
              "server RSS", "srv CPU", "client CPU");
  int second = 0;
  while (!sh.done) {
    timer.expires_at(sh.start + std::chrono::seconds(++second));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    const auto now = Clock::now();
    const double dt = std::chrono::duration<double>(now - prev_t).count();
    if (sh.done && (st.second_requests == 0 || dt < 0.25)) break;  // no noisy sliver of a second
    prev_t = now;
    std::string server = "-", server_cpu = "-";
    if (sh.opt.pid) {
      const ProcSample cur = ReadProc(sh.opt.pid);
      if (cur.ok && prev.ok) {
        const double cpu = (cur.cpu_s - prev.cpu_s) / dt * 100;
        cpu_sum += cpu;
        ++cpu_samples;
        rss_max = std::max(rss_max, cur.rss);
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(cur.rss) / 1048576.0);
        server = buf;
        std::snprintf(buf, sizeof buf, "%.0f%%", cpu);
        server_cpu = buf;
      }
      prev = cur;
    }
    const ProcSample self = ReadProc(getpid());
    const double self_cpu = (self.cpu_s - self_prev.cpu_s) / dt * 100;
    self_prev = self;
    std::vector<uint32_t>& lat = st.second_latency;
    std::printf("%6.1f %9.0f %11.0f %9.2f %9.2f %12s %8s %9.0f%%\n",
                std::chrono::duration<double>(now - sh.start).count(),
                static_cast<double>(st.second_requests) / dt, static_cast<double>(st.second_accepted) / dt,
                Percentile(lat, 50), Percentile(lat, 99), server.c_str(), server_cpu.c_str(), self_cpu);
    std::fflush(stdout);
    lat.clear();
    st.second_requests = 0;
    st.second_accepted = 0;
  }
  if (cpu_samples) {
    std::printf("server: mean CPU %.0f%% over %d samples, max RSS %.1f MiB\n", cpu_sum / cpu_samples, cpu_samples,
                static_cast<double>(rss_max) / 1048576.0);
  }
}

bool IsLoopback(const tcp::resolver::results_type& eps) {
  for (const auto& e : eps) {
    if (!e.endpoint().address().is_loopback()) return false;
  }
  return !eps.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Shared sh;
  Options& opt = sh.opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage("missing value for " + a);
      return argv[++i];
    };
    if (a == "--url") {
      const std::string url = value();
      if (url.rfind("http://", 0) != 0) Usage("--url must be http://HOST:PORT/PATH");
      const std::string rest = url.substr(7);
      const size_t slash = rest.find('/');
      const std::string hostport = rest.substr(0, slash);
      opt.target = slash == std::string::npos ? "/i" : rest.substr(slash);
      const size_t colon = hostport.rfind(':');
      if (colon == std::string::npos) Usage("--url needs a port");
      opt.host = hostport.substr(0, colon);
      opt.port = hostport.substr(colon + 1);
      if (opt.host.size() > 2 && opt.host.front() == '[') opt.host = opt.host.substr(1, opt.host.size() - 2);
    } else if (a == "--key") opt.keys.push_back(value());
    else if (a == "--connections") opt.connections = std::atoi(value().c_str());
    else if (a == "--rate") opt.rate = std::atof(value().c_str());
    else if (a == "--duration") opt.duration_s = std::atof(value().c_str());
    else if (a == "--pid") opt.pid = std::atoi(value().c_str());
    else if (a == "--batch") {
      const std::string b = value();
      if (std::sscanf(b.c_str(), "%d-%d", &opt.batch_min, &opt.batch_max) != 2) {
        opt.batch_min = opt.batch_max = std::atoi(b.c_str());
      }
    } else if (a == "--max-requests") opt.max_requests = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--seed") opt.seed = std::strtoull(value().c_str(), nullptr, 10);
    else if (a == "--templates") opt.templates = std::atoi(value().c_str());
    else if (a == "--content-type") opt.content_type = value();
    else if (a == "--dry-run") opt.dry_run = true;
    else if (a == "-h" || a == "--help") Usage("help");
    else Usage("unknown flag " + a);
  }
  if (opt.keys.empty()) Usage("--key is required");
  if (opt.connections < 1 || opt.connections > 1024) Usage("--connections must be 1..1024");
  if (opt.duration_s <= 0 || opt.duration_s > 600) Usage("--duration must be in (0, 600] seconds");
  if (opt.batch_min < 1 || opt.batch_max < opt.batch_min || opt.batch_max > 500) Usage("--batch must be MIN-MAX within 1..500");
  if (opt.templates < 1 || opt.templates > 100000) Usage("--templates must be 1..100000");

  sh.templates = BuildTemplates(opt);
  sh.nonce = bench::Mix(static_cast<uint64_t>(WallMs()), static_cast<uint64_t>(getpid()), opt.seed);
  if (opt.dry_run) {
    Template& t = sh.templates[0];
    const int64_t now_ms = WallMs();
    for (int i = 0; i < t.events; ++i) Write13(t.body.data() + t.ts_off[i], now_ms - 200LL * (t.events - i));
    Write13(t.body.data() + t.sent_at_off, now_ms);
    std::fwrite(t.body.data(), 1, t.body.size(), stdout);
    std::printf("\n");
    return 0;
  }

  asio::io_context io(1);
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  sh.endpoints = resolver.resolve(opt.host, opt.port, ec);
  if (ec) Usage("cannot resolve " + opt.host + ": " + ec.message());
  if (!IsLoopback(sh.endpoints)) Usage("refusing a non-loopback target " + opt.host + " (127.0.0.0/8 or ::1 only)");

  double avg_events = 0, avg_bytes = 0;
  for (const auto& t : sh.templates) {
    avg_events += t.events;
    avg_bytes += static_cast<double>(t.body.size());
  }
  avg_events /= static_cast<double>(sh.templates.size());
  avg_bytes /= static_cast<double>(sh.templates.size());
  std::printf("loadgen: POST http://%s:%s%s  %d connections  %s  %g s  %zu keys  batches %d-%d events "
              "(mean %.1f, %.0f bytes)  server pid %d\n",
              opt.host.c_str(), opt.port.c_str(), opt.target.c_str(), opt.connections,
              opt.rate > 0 ? ("target " + std::to_string(static_cast<long long>(opt.rate)) + " events/s").c_str()
                           : "flat out",
              opt.duration_s, opt.keys.size(), opt.batch_min, opt.batch_max, avg_events, avg_bytes, opt.pid);

  sh.stats.latency_us.reserve(1 << 20);
  sh.start = Clock::now();
  sh.end = sh.start + std::chrono::microseconds(static_cast<int64_t>(opt.duration_s * 1e6));
  int running = opt.connections;
  for (int c = 0; c < opt.connections; ++c) {
    asio::co_spawn(io, Connection(sh, c), [&](std::exception_ptr) {
      if (--running == 0) {
        sh.done = true;
        sh.finished = Clock::now();
        if (sh.report_timer) sh.report_timer->cancel();
      }
    });
  }
  asio::co_spawn(io, Reporter(sh), asio::detached);
  io.run();
  const double elapsed = std::chrono::duration<double>(sh.finished - sh.start).count();

  Stats& st = sh.stats;
  std::printf("\nrequests %llu in %.2f s = %.0f req/s;  events sent %llu = %.0f events/s;  accepted %llu = %.0f "
              "events/s (duplicates %llu, rejected %llu);  %.1f MB/s of bodies;  reconnects %llu\n",
              static_cast<unsigned long long>(st.requests), elapsed, static_cast<double>(st.requests) / elapsed,
              static_cast<unsigned long long>(st.events_sent), static_cast<double>(st.events_sent) / elapsed,
              static_cast<unsigned long long>(st.accepted), static_cast<double>(st.accepted) / elapsed,
              static_cast<unsigned long long>(st.duplicates), static_cast<unsigned long long>(st.rejected),
              static_cast<double>(st.bytes_sent) / 1e6 / elapsed, static_cast<unsigned long long>(st.reconnects));
  std::vector<uint32_t>& lat = st.latency_us;
  std::printf("latency ms: p50 %.2f  p95 %.2f  p99 %.2f  max %.2f\n", Percentile(lat, 50), Percentile(lat, 95),
              Percentile(lat, 99), Percentile(lat, 100));
  std::printf("status:");
  for (const auto& [code, n] : st.status) {
    std::printf("  %s %llu", code == 0 ? "error" : std::to_string(code).c_str(), static_cast<unsigned long long>(n));
  }
  std::printf("\n");
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("client: %.2f s CPU, max RSS %.1f MiB\n",
              static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                  static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
              static_cast<double>(ru.ru_maxrss) / 1024.0);
  return 0;
}
