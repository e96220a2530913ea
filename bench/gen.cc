// bench/gen: writes a deterministic synthetic data set as tapistry import files (NDJSON, wire
// format v1 plus the import-only fields) and, with --tsv, the same events as one TabSeparated file
// for ClickHouse and DuckDB (columns of bench/ch/schema.sql).
//
//   gen --out DIR [--events 10M] [--seed 42] [--end 2024-08-31] [--days 30] [--threads 2] [--tsv]
//
// Writes DIR/<project>.ndjson for the projects shop (70 %), docs (20 %) and blog (10 %),
// DIR/events.tsv with --tsv, and DIR/manifest.json (parameters and per-project counts).
//
// Two passes. Planning walks visitors per project (in parallel, one stream per project): each
// visitor gets a first visit and returns after exponential gaps; each session is simulated once
// to learn its event count and duration, until the project's event budget is met exactly (the
// last session is cut short). Rendering sorts sessions by start time and formats them in chunks
// on worker threads; chunks are written in order, so the output does not depend on --threads.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "model.h"

namespace {

using bench::Mix;
using bench::Rng;

constexpr int64_t kDayMs = 86400000;

struct Options {
  std::string out;
  uint64_t events = 1000000;
  uint64_t seed = 42;
  std::string end = "2024-08-31";
  int days = 30;
  int threads = 2;
  bool tsv = false;
};

struct ProjectSpec {
  const char* name;
  const char* origin;
  double share;
  double journey_share;
};
constexpr ProjectSpec kProjects[] = {
    {"shop", "https://shop.example", 0.70, 0.10},
    {"docs", "https://docs.example", 0.20, 0.04},
    {"blog", "https://blog.example", 0.10, 0.03},
};
constexpr int kProjectCount = 3;

struct ProjectPlan {
  std::vector<bench::SessionPlan> sessions;
  uint64_t events = 0;
  uint64_t visitors = 0;
  uint64_t pageviews = 0;
  uint64_t bytes = 0;
};

[[noreturn]] void Usage(const char* msg) {
  std::fprintf(stderr,
               "gen: %s\nusage: gen --out DIR [--events N|1M|10M] [--seed S] [--end YYYY-MM-DD] "
               "[--days D] [--threads T] [--tsv]\n",
               msg);
  std::exit(2);
}

uint64_t ParseCount(const char* s) {
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  double mult = 1;
  if (*end == 'k' || *end == 'K') mult = 1e3;
  else if (*end == 'm' || *end == 'M') mult = 1e6;
  else if (*end != 0) Usage("bad count");
  if (v <= 0 || v * mult > 1e10) Usage("count out of range");
  return static_cast<uint64_t>(v * mult);
}

// Days since 1970-01-01 of a YYYY-MM-DD date (Howard Hinnant's days_from_civil).
int64_t ParseDate(const std::string& s) {
  int y, m, d;
  if (std::sscanf(s.c_str(), "%d-%d-%d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31) {
    Usage("bad --end date");
  }
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string FormatDate(int64_t day) {
  std::string s;
  bench::AppendDate(s, day * kDayMs);
  return s;
}

// A start time in [from, to) with more traffic in the (UTC) afternoon and on weekdays.
int64_t DiurnalTime(Rng& rng, int64_t from_ms, int64_t to_ms) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    const int64_t t = from_ms + static_cast<int64_t>(rng.Uniform() * static_cast<double>(to_ms - from_ms));
    const double hour = static_cast<double>(t % kDayMs) / 3600000.0;
    const int64_t weekday = (t / kDayMs + 4) % 7;  // 1970-01-01 was a Thursday; 0 = Sunday
    double w = 0.3 + 0.7 * (1 + std::cos(6.283185307179586 * (hour - 14) / 24)) / 2;
    if (weekday == 0 || weekday == 6) w *= 0.75;
    if (rng.Uniform() < w) return t;
  }
  return from_ms;
}

void PlanProject(const Options& opt, int p, const bench::Site& site, int64_t from_ms, int64_t to_ms,
                 uint64_t budget, ProjectPlan* plan) {
  Rng rng(Mix(opt.seed, 0x9A11 + static_cast<uint64_t>(p)));
  bench::SessionSim sim(site);
  auto noop = [](const bench::EventRec&) {};
  uint64_t visitor_no = 0, session_no = 0;
  while (plan->events < budget) {
    const uint64_t visitor_key = Mix(opt.seed, 0x7000 + static_cast<uint64_t>(p), visitor_no++);
    // Sessions per visitor over its life: most come once, some are regulars.
    int sessions = rng.Chance(0.45) ? 1 : 2 + static_cast<int>(rng.Exponential(3.0));
    if (sessions > 60) sessions = 60;
    // First visit up to 14 days before the window, so early days already see returning visitors.
    int64_t t = DiurnalTime(rng, from_ms - 14 * kDayMs, to_ms);
    const double gap_mean_ms = static_cast<double>(kDayMs) * (0.5 + 4.0 * rng.Uniform());
    bool counted = false;
    for (int s = 0; s < sessions && t < to_ms && plan->events < budget; ++s) {
      bench::SessionPlan sp;
      sp.key = Mix(opt.seed, 0x5E55 + static_cast<uint64_t>(p), session_no++);
      sp.visitor_key = visitor_key;
      sp.start_ms = t;
      sp.visit_index = static_cast<uint32_t>(s);
      int64_t duration = 0;
      const uint32_t n = sim.Run(sp, noop, &duration);
      if (t >= from_ms && t + duration < to_ms) {
        if (plan->events + n > budget) sp.limit = static_cast<uint32_t>(budget - plan->events);
        plan->events += std::min<uint64_t>(n, sp.limit);
        plan->sessions.push_back(sp);
        counted = true;
      }
      // The next visit starts at least 45 min after this one ends (a new session, spec §3.4).
      t += duration + 45 * 60000 + static_cast<int64_t>(rng.Exponential(gap_mean_ms));
    }
    if (counted) ++plan->visitors;
  }
  std::sort(plan->sessions.begin(), plan->sessions.end(), [](const auto& a, const auto& b) {
    return a.start_ms != b.start_ms ? a.start_ms < b.start_ms : a.key < b.key;
  });
}

struct Chunk {
  int project = 0;
  size_t begin = 0, end = 0;
};
struct Rendered {
  std::string json, tsv;
  uint64_t pageviews = 0;
  bool ready = false;
};

FILE* OpenOut(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
  return f;
}

void WriteAll(FILE* f, const std::string& s) {
  if (!s.empty() && std::fwrite(s.data(), 1, s.size(), f) != s.size()) {
    std::perror("write");
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--out") opt.out = value();
    else if (a == "--events") opt.events = ParseCount(value());
    else if (a == "--seed") opt.seed = std::strtoull(value(), nullptr, 10);
    else if (a == "--end") opt.end = value();
    else if (a == "--days") opt.days = std::atoi(value());
    else if (a == "--threads") opt.threads = std::max(1, std::atoi(value()));
    else if (a == "--tsv") opt.tsv = true;
    else if (a == "--help" || a == "-h") Usage("help");
    else Usage(("unknown flag " + a).c_str());
  }
  if (opt.out.empty()) Usage("--out is required");
  if (opt.days < 1 || opt.days > 3660) Usage("--days out of range");
  std::string mkdir = "mkdir -p '" + opt.out + "'";
  if (std::system(mkdir.c_str()) != 0) Usage("cannot create --out");

  const auto t_start = std::chrono::steady_clock::now();
  const int64_t last_day = ParseDate(opt.end);
  const int64_t first_day = last_day - opt.days + 1;
  const int64_t from_ms = first_day * kDayMs, to_ms = (last_day + 1) * kDayMs;

  std::vector<bench::Site> sites;
  for (int p = 0; p < kProjectCount; ++p) {
    bench::SiteOptions so;
    so.name = kProjects[p].name;
    so.origin = kProjects[p].origin;
    so.journey_share = kProjects[p].journey_share;
    so.seed = Mix(opt.seed, 0x517E, static_cast<uint64_t>(p));
    sites.emplace_back(so);
  }

  // Pass 1: plan (one thread per project).
  std::vector<ProjectPlan> plans(kProjectCount);
  {
    uint64_t assigned = 0;
    std::vector<uint64_t> budgets(kProjectCount);
    for (int p = 0; p < kProjectCount; ++p) {
      budgets[p] = p + 1 == kProjectCount ? opt.events - assigned
                                          : static_cast<uint64_t>(static_cast<double>(opt.events) * kProjects[p].share);
      assigned += budgets[p];
    }
    std::vector<std::thread> planners;
    for (int p = 0; p < kProjectCount; ++p) {
      planners.emplace_back(PlanProject, std::cref(opt), p, std::cref(sites[p]), from_ms, to_ms, budgets[p], &plans[p]);
      if (static_cast<int>(planners.size()) >= opt.threads) {
        for (auto& t : planners) t.join();
        planners.clear();
      }
    }
    for (auto& t : planners) t.join();
  }
  const auto t_planned = std::chrono::steady_clock::now();

  // Pass 2: render chunks in parallel, write them in order.
  std::vector<Chunk> chunks;
  constexpr size_t kChunkSessions = 4096;
  for (int p = 0; p < kProjectCount; ++p) {
    for (size_t b = 0; b < plans[p].sessions.size(); b += kChunkSessions) {
      chunks.push_back({p, b, std::min(b + kChunkSessions, plans[p].sessions.size())});
    }
  }
  const size_t slots = static_cast<size_t>(opt.threads) * 3;
  std::vector<Rendered> ring(slots);
  std::mutex mu;
  std::condition_variable cv;
  size_t written = 0;  // chunks written so far (guarded by mu)
  std::atomic<size_t> next{0};
  auto worker = [&]() {
    std::vector<bench::SessionSim> sims;
    for (int p = 0; p < kProjectCount; ++p) sims.emplace_back(sites[p]);
    std::string json, tsv;
    for (;;) {
      const size_t c = next.fetch_add(1);
      if (c >= chunks.size()) return;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return c < written + slots; });
      }
      const Chunk& ch = chunks[c];
      json.clear();
      tsv.clear();
      uint64_t pageviews = 0;
      const std::string_view project = kProjects[ch.project].name;
      for (size_t s = ch.begin; s < ch.end; ++s) {
        sims[ch.project].Run(plans[ch.project].sessions[s], [&](const bench::EventRec& e) {
          bench::AppendJson(json, e, true);
          json += '\n';
          if (opt.tsv) bench::AppendTsv(tsv, e, project);
          pageviews += e.type == bench::kPageView;
        });
      }
      {
        std::unique_lock lock(mu);
        Rendered& r = ring[c % slots];
        r.json.swap(json);
        r.tsv.swap(tsv);
        r.pageviews = pageviews;
        r.ready = true;
      }
      cv.notify_all();
    }
  };
  std::vector<std::thread> workers;
  for (int t = 0; t < opt.threads; ++t) workers.emplace_back(worker);

  std::vector<FILE*> files(kProjectCount);
  for (int p = 0; p < kProjectCount; ++p) files[p] = OpenOut(opt.out + "/" + kProjects[p].name + ".ndjson");
  FILE* tsv_file = opt.tsv ? OpenOut(opt.out + "/events.tsv") : nullptr;
  uint64_t tsv_bytes = 0;
  std::string json, tsv;
  for (size_t c = 0; c < chunks.size(); ++c) {
    uint64_t pageviews;
    {
      std::unique_lock lock(mu);
      Rendered& r = ring[c % slots];
      cv.wait(lock, [&] { return r.ready; });
      json.swap(r.json);
      tsv.swap(r.tsv);
      pageviews = r.pageviews;
      r.ready = false;
    }
    WriteAll(files[chunks[c].project], json);
    plans[chunks[c].project].bytes += json.size();
    plans[chunks[c].project].pageviews += pageviews;
    if (tsv_file) {
      WriteAll(tsv_file, tsv);
      tsv_bytes += tsv.size();
    }
    {
      std::unique_lock lock(mu);
      ++written;
    }
    cv.notify_all();
  }
  for (auto& t : workers) t.join();
  for (FILE* f : files) std::fclose(f);
  if (tsv_file) std::fclose(tsv_file);
  const auto t_done = std::chrono::steady_clock::now();

  const double plan_s = std::chrono::duration<double>(t_planned - t_start).count();
  const double total_s = std::chrono::duration<double>(t_done - t_start).count();
  uint64_t events = 0, sessions = 0, visitors = 0, bytes = 0;
  std::string manifest = "{\n  \"seed\": " + std::to_string(opt.seed) + ",\n  \"events\": " +
                         std::to_string(opt.events) + ",\n  \"from\": \"" + FormatDate(first_day) +
                         "\",\n  \"to\": \"" + FormatDate(last_day) + "\",\n  \"tsv\": " +
                         (opt.tsv ? "\"events.tsv\"" : "null") + ",\n  \"projects\": [\n";
  for (int p = 0; p < kProjectCount; ++p) {
    const ProjectPlan& pl = plans[p];
    std::printf("%-5s %10llu events %9zu sessions %8llu visitors %9llu pageviews %7.1f MB  %s/%s.ndjson\n",
                kProjects[p].name, static_cast<unsigned long long>(pl.events), pl.sessions.size(),
                static_cast<unsigned long long>(pl.visitors), static_cast<unsigned long long>(pl.pageviews),
                static_cast<double>(pl.bytes) / 1e6, opt.out.c_str(), kProjects[p].name);
    events += pl.events;
    sessions += pl.sessions.size();
    visitors += pl.visitors;
    bytes += pl.bytes;
    manifest += std::string("    {\"name\": \"") + kProjects[p].name + "\", \"file\": \"" + kProjects[p].name +
                ".ndjson\", \"events\": " + std::to_string(pl.events) + ", \"sessions\": " +
                std::to_string(pl.sessions.size()) + ", \"visitors\": " + std::to_string(pl.visitors) +
                ", \"pageviews\": " + std::to_string(pl.pageviews) + ", \"bytes\": " + std::to_string(pl.bytes) +
                "}" + (p + 1 < kProjectCount ? ",\n" : "\n");
  }
  manifest += "  ]\n}\n";
  FILE* mf = OpenOut(opt.out + "/manifest.json");
  WriteAll(mf, manifest);
  std::fclose(mf);
  std::printf("total %10llu events %9llu sessions %8llu visitors  %.1f events/session  %.0f B/event (ndjson)\n",
              static_cast<unsigned long long>(events), static_cast<unsigned long long>(sessions),
              static_cast<unsigned long long>(visitors), static_cast<double>(events) / static_cast<double>(sessions),
              static_cast<double>(bytes) / static_cast<double>(events));
  if (tsv_file) std::printf("tsv   %.1f MB  %s/events.tsv\n", static_cast<double>(tsv_bytes) / 1e6, opt.out.c_str());
  std::printf("days  %s .. %s (%d)  seed %llu  threads %d\n", FormatDate(first_day).c_str(),
              FormatDate(last_day).c_str(), opt.days, static_cast<unsigned long long>(opt.seed), opt.threads);
  std::printf("time  %.2f s (plan %.2f s)  %.0f events/s  %.0f MB/s\n", total_s, plan_s,
              static_cast<double>(events) / total_s,
              static_cast<double>(bytes + tsv_bytes) / 1e6 / total_s);
  return 0;
}
