// store_bench: the embedded EventStore end to end on synthetic but realistic traffic.
// Generates N events in-process (3 projects, 30 days, sessions of 3-10 events, Zipf paths over
// 1000 distinct, returning visitors, --bots % of the sessions a bot's), appends them with inline
// flushes (one core does the encoding), compacts, then times the queries. Prints figures;
// asserts nothing.
//
//   store_bench [--events N] [--dir PATH] [--runs R] [--keep 1] [--reuse 1] [--queries 4|5]
//               [--only SUBSTR] [--leave N] [--bots PCT]
// --queries 4 times the overviews; 5 also every other dashboard query (heatmap, element heatmap,
// layouts, scroll map, elements, each breakdown dimension, path autocomplete, filtered, hourly and
// bots-included overviews, and funnels). --bots (default 3): the share of sessions whose events score 85-95
// (headless browsers, crawlers); chosen from the session id, so every other field is the same at
// any value.
// --keep leaves the store on disk; --reuse times queries on a store a --keep run left.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "store/embedded/embedded_event_store.h"
#include "tapistry/event_store.h"
#include "tapistry/funnel.h"

namespace tapistry {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double PeakRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

// User + system CPU of the whole process (all threads), in ms: robust to other load on the box.
double CpuMs() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

// CPU time of the calling thread, in ms: with inline flushes all append work runs here.
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double CurrentRssMb() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long pages = 0, resident = 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<double>(resident) * 4096 / (1024.0 * 1024.0);
}

class Generator {
 public:
  static constexpr int kProjects = 3;
  static constexpr int kDays = 30;
  static constexpr int kPaths = 1000;
  static constexpr int32_t kFirstDay = 19950;

  Generator(uint64_t events, int bots_pct) : rng_(7), events_(events), bots_pct_(bots_pct) {
    double sum = 0;
    for (int i = 1; i <= kPaths; ++i) sum += 1.0 / i;
    double acc = 0;
    for (int i = 1; i <= kPaths; ++i) {
      acc += 1.0 / i / sum;
      path_cdf_.push_back(acc);
      paths_.push_back(i == 1 ? "/" : "/section-" + std::to_string(i % 37) + "/page-" + std::to_string(i));
    }
    // ~600k visitors over all projects for 10M events, scaled with N.
    visitors_per_project_[0] = std::max<uint64_t>(10, events * 6 / 100 * 6 / 10);
    visitors_per_project_[1] = std::max<uint64_t>(10, events * 6 / 100 * 3 / 10);
    visitors_per_project_[2] = std::max<uint64_t>(10, events * 6 / 100 * 1 / 10);
  }

  // Fills *out with the events of the next few sessions; false when N events were made.
  bool Next(std::vector<Event>* out) {
    out->clear();
    while (out->size() < 500 && made_ < events_) Session(out);
    return !out->empty();
  }
  static std::string Project(int p) { return "project-" + std::to_string(p); }

 private:
  uint64_t R() { return rng_(); }
  double U() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  Uuid RandomUuid() { return Uuid{R(), R()}; }
  // A visitor id drawn from a per-project pool (so visitors return on other days).
  Uuid Visitor(int p, uint64_t* index) {
    // Skewed: a quarter of the pool makes most of the visits.
    uint64_t pool = visitors_per_project_[p];
    uint64_t i = U() < 0.6 ? R() % std::max<uint64_t>(1, pool / 4) : R() % pool;
    *index = i;
    return Uuid{0x5eed000000000000ULL ^ (static_cast<uint64_t>(p) << 56) ^ (i * 0x9E3779B97F4A7C15ULL),
                i * 0xC2B2AE3D27D4EB4FULL + static_cast<uint64_t>(p)};
  }
  const std::string& Path() {
    double u = U();
    size_t i = std::lower_bound(path_cdf_.begin(), path_cdf_.end(), u) - path_cdf_.begin();
    return paths_[std::min<size_t>(i, kPaths - 1)];
  }

  void Session(std::vector<Event>* out) {
    // Sessions arrive in time order over the 30 days, as an import of history would.
    const double progress = static_cast<double>(made_) / static_cast<double>(events_);
    const int32_t day = kFirstDay + std::min(kDays - 1, static_cast<int>(progress * kDays));
    const double pu = U();
    const int p = pu < 0.6 ? 0 : pu < 0.9 ? 1 : 2;
    uint64_t vindex;
    const Uuid visitor = Visitor(p, &vindex);
    const Uuid session = RandomUuid();
    // From the id, not from rng_: the rest of the data does not depend on --bots.
    const uint8_t bot_score =
        session.lo % 100 < static_cast<uint64_t>(bots_pct_) ? static_cast<uint8_t>(85 + session.hi % 11) : 0;
    static const char* kCountries[] = {"US", "DE", "FR", "GB", "IN", "BR", "JP", "CA", "NL", "ES"};
    static const char* kBrowsers[] = {"Chrome", "Safari", "Firefox", "Edge", "Other"};
    static const char* kReferrers[] = {"", "", "https://www.google.com/", "https://news.ycombinator.com/",
                                       "https://t.co/", "https://duckduckgo.com/"};
    const double du = U();
    const DeviceClass device = du < 0.6 ? DeviceClass::kDesktop : du < 0.95 ? DeviceClass::kMobile : DeviceClass::kTablet;
    const uint16_t vw = device == DeviceClass::kDesktop ? (U() < 0.5 ? 1920 : 1440)
                        : device == DeviceClass::kMobile ? 390 : 820;
    const uint16_t vh = device == DeviceClass::kDesktop ? 1000 : device == DeviceClass::kMobile ? 844 : 1180;
    const char* country = kCountries[R() % 10];
    const char* browser = kBrowsers[R() % 5];
    const char* os = device == DeviceClass::kDesktop ? (U() < 0.7 ? "Windows" : "macOS") : (U() < 0.5 ? "iOS" : "Android");
    const char* referrer = kReferrers[R() % 6];
    const bool utm = U() < 0.2;
    const std::string user = vindex % 20 == 0 ? "user-" + std::to_string(vindex) : std::string();
    const std::string project = Project(p);
    int64_t ts = int64_t{day} * kDayMs + static_cast<int64_t>(R() % static_cast<uint64_t>(kDayMs));
    const int n = 3 + static_cast<int>(R() % 8);
    const std::string* path = &Path();
    for (int k = 0; k < n && made_ < events_; ++k) {
      Event e;
      e.ts_ms = ts;
      e.ingest_ms = ts + 40 + static_cast<int64_t>(R() % 2000);
      e.event_id = RandomUuid();
      e.session_id = session;
      e.anonymous_id = visitor;
      e.project_id = project;
      e.user_id = user;
      const double tu = U();
      e.type = k == 0 || tu < 0.45 ? EventType::kPageView
               : tu < 0.80        ? EventType::kClick
               : tu < 0.92        ? EventType::kScroll
                                  : EventType::kCustom;
      if (e.type == EventType::kPageView && k > 0) path = &Path();
      e.path = *path;
      e.url = "https://site" + std::to_string(p) + ".example" + *path;
      e.title = "Page " + *path;
      e.referrer = k == 0 ? referrer : "";
      if (utm && k == 0) {
        e.utm_source = "newsletter";
        e.utm_medium = "email";
        e.utm_campaign = "autumn";
      }
      e.device_class = device;
      e.browser = browser;
      e.os = os;
      e.country[0] = country[0];
      e.country[1] = country[1];
      e.viewport_w = vw;
      e.viewport_h = vh;
      e.bot_score = bot_score;
      if (e.type == EventType::kClick) {
        e.x = static_cast<float>(R() % vw) / static_cast<float>(vw);
        e.y = static_cast<float>(R() % 4000) / 4000.0f;
        e.ex = static_cast<float>(R() % 200) / 200.0f;
        e.ey = static_cast<float>(R() % 40) / 40.0f;
        e.selector_hash = (std::hash<std::string>()(*path) * 31 + R() % 40) | 1;
        e.flags = R() % 50 == 0 ? kFlagRage : (R() % 30 == 0 ? kFlagDead : 0);
      }
      if (e.type == EventType::kScroll) {
        e.depth_pct = static_cast<uint8_t>(R() % 101);
        e.props = "{\"max_depth_pct\":" + std::to_string(e.depth_pct) + "}";
      } else if (e.type == EventType::kCustom) {
        e.name = R() % 2 ? "signup" : "add_to_cart";
        e.props = "{\"plan\":\"pro\"}";
      } else {
        e.props = "{}";
      }
      out->push_back(std::move(e));
      ++made_;
      ts += 2000 + static_cast<int64_t>(R() % 120000);
    }
  }

  std::mt19937_64 rng_;
  uint64_t events_;
  int bots_pct_;
  uint64_t made_ = 0;
  uint64_t visitors_per_project_[kProjects];
  std::vector<double> path_cdf_;
  std::vector<std::string> paths_;
};

void Percentiles(std::vector<double> v, double* p50, double* p95) {
  std::sort(v.begin(), v.end());
  *p50 = v[v.size() / 2];
  *p95 = v[std::min(v.size() - 1, static_cast<size_t>(std::ceil(v.size() * 0.95)) - 1)];
}

int Main(int argc, char** argv) {
  uint64_t events = 10'000'000;
  int runs = 20;
  bool keep = false, reuse = false;
  int query_kinds = 4;
  bool background = false;
  std::string only;
  uint64_t leave = 0;
  int bots_pct = 3;
  std::string dir = (std::filesystem::temp_directory_path() / "tapistry-store-bench").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--events")) events = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
    if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--keep")) keep = std::atoi(argv[i + 1]) != 0;
    if (!std::strcmp(argv[i], "--reuse")) reuse = std::atoi(argv[i + 1]) != 0;
    if (!std::strcmp(argv[i], "--queries")) query_kinds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--background")) background = std::atoi(argv[i + 1]) != 0;
    if (!std::strcmp(argv[i], "--only")) only = argv[i + 1];
    if (!std::strcmp(argv[i], "--leave")) leave = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--bots")) bots_pct = std::atoi(argv[i + 1]);
  }
  if (!reuse) std::filesystem::remove_all(dir);
  EmbeddedStoreOptions opts;
  opts.dir = dir;
  // By default flushes run inside Append, so the append figure includes encoding on one core;
  // --background 1 runs the server's configuration (flush and compaction threads).
  opts.background = background;
  opts.memtable_max_age_ms = background ? 5000 : int64_t{1} << 60;
  auto opened = store::EmbeddedEventStore::Open(opts);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  auto& st = **opened;

  // --leave N: N more events (the end of the last day) appended after the compaction and left in
  // the memtable, as a live server has them: queries then also scan rows.
  Generator gen(reuse ? 0 : events + leave, bots_pct);
  if (reuse) events = st.Stats().rows_total;
  std::vector<Event> batch;
  Clock::duration append_time{};
  double append_cpu_ms = 0;
  uint64_t seq = 0;
  const auto gen_start = Clock::now();
  uint64_t appended = 0;
  while (appended < events && gen.Next(&batch)) {
    appended += batch.size();
    auto t = Clock::now();
    const double c0 = ThreadCpuMs();
    Status s = st.Append(batch, ++seq);
    append_cpu_ms += ThreadCpuMs() - c0;
    append_time += Clock::now() - t;
    if (!s.ok()) {
      std::fprintf(stderr, "append: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  if (!reuse) events = appended;
  auto t = Clock::now();
  const double c0 = ThreadCpuMs();
  if (Status s = st.Flush(); !s.ok()) {
    std::fprintf(stderr, "flush: %s\n", s.ToString().c_str());
    return 1;
  }
  append_cpu_ms += ThreadCpuMs() - c0;
  append_time += Clock::now() - t;
  const double total_ms = Ms(Clock::now() - gen_start);
  store::EmbeddedStoreStats before = st.Stats();
  t = Clock::now();
  if (Status s = st.CompactAll(); !s.ok()) {
    std::fprintf(stderr, "compact: %s\n", s.ToString().c_str());
    return 1;
  }
  const double compact_ms = Ms(Clock::now() - t);
  for (uint64_t left = 0; left < leave && gen.Next(&batch); left += batch.size()) {
    if (Status s = st.Append(batch, ++seq); !s.ok()) {
      std::fprintf(stderr, "append: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  store::EmbeddedStoreStats after = st.Stats();
  const double rss_after_import = CurrentRssMb();

  std::printf("events                     %" PRIu64 " (%" PRIu64 " in the memtable)\n",
              after.rows_total, after.rows_in_memtable);
  std::printf("append+flush               %.0f events/s wall (%.1f s in Append/Flush; %.1f s incl. generation)\n",
              static_cast<double>(events) / (Ms(append_time) / 1000), Ms(append_time) / 1000, total_ms / 1000);
  if (!background) {
    std::printf("append+flush on one core   %.0f events/s of CPU (%.1f s thread CPU, fsyncs excluded)\n",
                static_cast<double>(events) / (append_cpu_ms / 1000), append_cpu_ms / 1000);
  }
  std::printf("segments before/after      %" PRIu64 " / %" PRIu64 " (compaction %.1f s, %.0f events/s)\n",
              before.segments, after.segments, compact_ms / 1000, static_cast<double>(events) / (compact_ms / 1000));
  std::printf("bytes/event flushed        %.1f\n", static_cast<double>(before.bytes_on_disk) / static_cast<double>(events));
  std::printf("bytes/event compacted      %.1f (%.1f MB on disk)\n",
              static_cast<double>(after.bytes_on_disk) / static_cast<double>(events), after.bytes_on_disk / 1e6);

  // Every query kind the dashboard sends, each timed `runs` times after one untimed warm-up run:
  // wall p50/p95 and process CPU (both cores) p50/p95. `--only SUBSTR` times the matching labels.
  auto time_query = [&](const std::string& label, const std::function<std::string()>& run) {
    if (!only.empty() && label.find(only) == std::string::npos) return;
    const auto first_t0 = Clock::now();
    std::string summary = run();
    const double first_ms = Ms(Clock::now() - first_t0);
    if (summary.empty()) return;
    std::vector<double> ms, cpu;
    for (int i = 0; i < runs; ++i) {
      const auto q0 = Clock::now();
      const double c0 = CpuMs();
      summary = run();
      ms.push_back(Ms(Clock::now() - q0));
      cpu.push_back(CpuMs() - c0);
    }
    double p50, p95, c50, c95;
    Percentiles(ms, &p50, &p95);
    Percentiles(cpu, &c50, &c95);
    std::printf(
        "%-30s wall p50 %7.1f p95 %7.1f ms (first %6.1f) | cpu p50 %7.1f p95 %7.1f ms | %s\n",
        label.c_str(), p50, p95, first_ms, c50, c95, summary.c_str());
    std::fflush(stdout);
  };
  auto failed = [](const char* what, const Status& s) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    return std::string();
  };
  EventFilter f;
  f.from_day = Generator::kFirstDay;
  f.to_day = Generator::kFirstDay + Generator::kDays - 1;
  f.project_id = Generator::Project(0);
  uint64_t project_rows = 0;
  {
    auto r = st.Overview(OverviewQuery{f, 10});
    if (r.ok()) {
      for (const auto& d : r->series) project_rows += d.totals.pageviews;
    }
  }
  std::printf("largest project            %s (60%% of events, %" PRIu64 " page views)\n", f.project_id.c_str(),
              project_rows);
  EventFilter mobile = f;
  mobile.device_class = DeviceClass::kMobile;
  EventFilter home = f;
  home.path = "/";
  EventFilter rare = f;
  rare.path = "/section-11/page-381";  // a long-tail page (Zipf rank 381 of 1000)
  EventFilter wide = f;
  wide.viewport_bucket = 4;  // 1440+
  EventFilter week = f;
  week.from_day = week.to_day - 6;
  auto overview = [&](const EventFilter& filter, Interval interval = Interval::kDay) {
    return [&st, &failed, filter, interval] {
      auto r = st.Overview(OverviewQuery{filter, 10, interval});
      if (!r.ok()) return failed("overview", r.status());
      char buf[200];
      std::snprintf(
          buf, sizeof buf,
          "pv=%" PRIu64 " sessions=%" PRIu64 " visitors=%" PRIu64 " bounced=%" PRIu64 " top=%s",
          r->totals.pageviews, r->totals.sessions, r->totals.visitors, r->totals.bounced_sessions,
          r->top_pages.empty() ? "-" : r->top_pages[0].path.c_str());
      return std::string(buf);
    };
  };
  const std::pair<const char*, EventFilter> overviews[] = {{"overview 30d", f},
                                                           {"overview 7d", week},
                                                           {"overview 30d mobile", mobile},
                                                           {"overview 30d path=/", home},
                                                           {"overview 30d vw=1440+", wide},
                                                           {"overview 30d path=rare", rare}};
  for (int i = 0; i < std::min<int>(query_kinds, 4); ++i)
    time_query(overviews[i].first, overview(overviews[i].second));
  if (query_kinds > 4) {
    for (int i = 4; i < 6; ++i) time_query(overviews[i].first, overview(overviews[i].second));
    auto heatmap = [&](EventFilter filter, ClickKind kind) {
      return [&st, &failed, filter, kind] {
        auto r = st.Heatmap(HeatmapQuery{filter, kind});
        if (!r.ok()) return failed("heatmap", r.status());
        return "tiles=" + std::to_string(r->tiles.size()) + " total=" + std::to_string(r->total) +
               " pv=" + std::to_string(r->pageviews);
      };
    };
    time_query("heatmap 30d path=/", heatmap(home, ClickKind::kAll));
    time_query("heatmap 30d path=/ rage", heatmap(home, ClickKind::kRage));
    EventFilter home_mobile = home;
    home_mobile.device_class = DeviceClass::kMobile;
    time_query("heatmap 30d path=/ mobile", heatmap(home_mobile, ClickKind::kAll));
    time_query("heatmap 30d path=rare", heatmap(rare, ClickKind::kAll));
    // Issue 13: clicks on each element's 16x16 grid (the dashboard's default limit), and the
    // layouts the viewer offers as tabs.
    auto element_heatmap = [&](EventFilter filter, ClickKind kind) {
      return [&st, &failed, filter, kind] {
        auto r = st.ElementHeatmap(HeatmapQuery{filter, kind}, 200);
        if (!r.ok()) return failed("element heatmap", r.status());
        return "elements=" + std::to_string(r->elements.size()) +
               " attributed=" + std::to_string(r->attributed) +
               " total=" + std::to_string(r->total) + " pv=" + std::to_string(r->pageviews);
      };
    };
    time_query("element heatmap 30d path=/", element_heatmap(home, ClickKind::kAll));
    time_query("element heatmap 30d path=/ rage", element_heatmap(home, ClickKind::kRage));
    time_query("element heatmap 30d path=/ mobile", element_heatmap(home_mobile, ClickKind::kAll));
    time_query("element heatmap 30d path=rare", element_heatmap(rare, ClickKind::kAll));
    auto layouts = [&](const EventFilter& filter) {
      return [&st, &failed, filter] {
        auto r = st.Layouts(filter);
        if (!r.ok()) return failed("layouts", r.status());
        return "rows=" + std::to_string(r->size()) + " top=" +
               (r->empty() ? std::string("-")
                           : std::string(DeviceClassName((*r)[0].device_class)) + "/" +
                                 ViewportBucketName((*r)[0].viewport_bucket) + ":" +
                                 std::to_string((*r)[0].pageviews));
      };
    };
    time_query("layouts 30d path=/", layouts(home));
    time_query("layouts 30d path=rare", layouts(rare));
    auto scroll = [&](const EventFilter& filter) {
      return [&st, &failed, filter] {
        auto r = st.ScrollMap(filter);
        if (!r.ok()) return failed("scrollmap", r.status());
        return "views=" + std::to_string(r->views);
      };
    };
    time_query("scrollmap 30d", scroll(f));
    time_query("scrollmap 30d path=/", scroll(home));
    auto elements = [&](const EventFilter& filter) {
      return [&st, &failed, filter] {
        auto r = st.TopElements(filter, 20);
        if (!r.ok()) return failed("elements", r.status());
        return "clicks=" + std::to_string(r->total_clicks) + " top=" +
               (r->elements.empty() ? std::string("-") : std::to_string(r->elements[0].clicks));
      };
    };
    time_query("top elements 30d", elements(f));
    time_query("top elements 30d path=/", elements(home));
    for (int d = 0; d <= static_cast<int>(Dimension::kCountry); ++d) {
      const Dimension dim = static_cast<Dimension>(d);
      time_query(std::string("breakdown ") + DimensionName(dim) + " 30d", [&st, &failed, &f, dim] {
        auto r = st.Breakdown(f, dim, 10);
        if (!r.ok()) return failed("breakdown", r.status());
        return "rows=" + std::to_string(r->rows.size()) + " top=" +
               (r->rows.empty() ? std::string("-")
                                : r->rows[0].value + ":" + std::to_string(r->rows[0].visitors)) +
               " total=" + std::to_string(r->total_visitors);
      });
    }
    time_query("breakdown page 30d mobile", [&st, &failed, &mobile] {
      auto r = st.Breakdown(mobile, Dimension::kPage, 10);
      if (!r.ok()) return failed("breakdown", r.status());
      return "rows=" + std::to_string(r->rows.size()) +
             " total=" + std::to_string(r->total_visitors);
    });
    auto paths = [&](const std::string& q) {
      return [&st, &failed, &f, q] {
        auto r = st.Paths(f, q, 20);
        if (!r.ok()) return failed("paths", r.status());
        return "n=" + std::to_string(r->size()) +
               " top=" + (r->empty() ? std::string("-") : (*r)[0].path);
      };
    };
    time_query("paths 30d q=\"\"", paths(""));
    time_query("paths 30d q=\"section-1\"", paths("section-1"));
    // Issue 13: the hourly series ("Today", the last 7 days by hour) and bots included.
    EventFilter today = f;
    today.from_day = today.to_day;
    time_query("overview 1d hourly", overview(today, Interval::kHour));
    time_query("overview 7d hourly", overview(week, Interval::kHour));
    EventFilter with_bots = f;
    with_bots.include_bots = true;
    time_query("overview 30d bots=include", overview(with_bots));
    EventFilter week_bots = week;
    week_bots.include_bots = true;
    time_query("overview 7d bots=include", overview(week_bots));
    time_query("heatmap 30d path=/ bots=include", [&st, &failed, &home] {
      EventFilter h = home;
      h.include_bots = true;
      auto r = st.Heatmap(HeatmapQuery{h, ClickKind::kAll});
      if (!r.ok()) return failed("heatmap", r.status());
      return "total=" + std::to_string(r->total) + " pv=" + std::to_string(r->pageviews);
    });
    // What GET /api/overview asks the store: the overview, then the other way for "bots".
    time_query("api overview 30d (+bots)", [&st, &failed, &f, &with_bots] {
      auto r = st.Overview(OverviewQuery{f, 10});
      auto o = st.Overview(OverviewQuery{with_bots, 0});
      if (!r.ok() || !o.ok()) return failed("overview", r.ok() ? o.status() : r.status());
      return "pv=" + std::to_string(r->totals.pageviews) +
             " bots pv=" + std::to_string(o->totals.pageviews - r->totals.pageviews) +
             " bots visitors=" + std::to_string(o->totals.visitors - r->totals.visitors);
    });
    // Issue 11: funnels over the 30 days — 4 busy pages in order (session, 1-day window),
    // broken down, per visitor, strict, any order, and 10 steps.
    auto funnel = [&](size_t nsteps, FunnelMode mode, FunnelUnit unit, std::optional<Dimension> by) {
      FunnelQuery q;
      q.project_id = f.project_id;
      q.from_day = f.from_day;
      q.to_day = f.to_day;
      q.mode = mode;
      q.unit = unit;
      q.breakdown = by;
      for (size_t i = 0; i < nsteps; ++i) {
        FunnelStep s;
        s.path = i == 0 ? "/" : "/section-" + std::to_string((i + 1) % 37) + "/page-" + std::to_string(i + 1);
        q.steps.push_back(s);
      }
      return [&st, &failed, q] {
        auto r = st.Funnel(q);
        if (!r.ok()) return failed("funnel", r.status());
        std::string out = "units=";
        for (const FunnelStepResult& s : r->steps) out += std::to_string(s.units) + (&s == &r->steps.back() ? "" : "/");
        if (!r->breakdown.empty()) out += " rows=" + std::to_string(r->breakdown.size());
        return out;
      };
    };
    time_query("funnel 4 pages 30d", funnel(4, FunnelMode::kSequential, FunnelUnit::kSession, std::nullopt));
    time_query("funnel 4 pages 30d by device", funnel(4, FunnelMode::kSequential, FunnelUnit::kSession, Dimension::kDevice));
    time_query("funnel 4 pages 30d by country", funnel(4, FunnelMode::kSequential, FunnelUnit::kSession, Dimension::kCountry));
    time_query("funnel 4 pages 30d visitor", funnel(4, FunnelMode::kSequential, FunnelUnit::kVisitor, std::nullopt));
    time_query("funnel 4 pages 30d strict", funnel(4, FunnelMode::kStrict, FunnelUnit::kSession, std::nullopt));
    time_query("funnel 4 pages 30d any order", funnel(4, FunnelMode::kAnyOrder, FunnelUnit::kSession, std::nullopt));
    time_query("funnel 10 pages 30d", funnel(10, FunnelMode::kSequential, FunnelUnit::kSession, std::nullopt));
  }
  std::printf("rss after import           %.0f MB\n", rss_after_import);
  std::printf("peak rss                   %.0f MB\n", PeakRssMb());
  (void)st.Close();
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace tapistry

int main(int argc, char** argv) { return tapistry::Main(argc, argv); }
