// The synthetic traffic model shared by bench/gen (NDJSON import files) and bench/loadgen (POST /i
// batches): three sites with ~1,000 Zipf-popular paths each, visitors who come back across days,
// sessions of page views with clicks on a few hundred selectors (some rage/dead prone), one scroll
// event per page view plus milestones, custom events and a /pricing -> /signup -> /onboarding ->
// /dashboard journey with drop-off.
//
// Determinism: everything is drawn from xoshiro256** streams seeded by splitmix64 of (seed, ids);
// no <random> distributions (their output differs between standard libraries). The same seed gives
// the same bytes on the same libm.
//
// Thread-safety: a Site is immutable after construction and may be shared; Rng and SessionSim are
// per-thread values.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

inline uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
// A well-mixed 64-bit key from a few integers (stream seeds for sessions, visitors, ...).
inline uint64_t Mix(uint64_t a, uint64_t b, uint64_t c = 0) {
  uint64_t x = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL);
  uint64_t h = SplitMix64(x);
  x ^= c * 0xD6E8FEB86659FD93ULL;
  return h ^ SplitMix64(x);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& w : s_) w = SplitMix64(seed);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  int Between(int lo, int hi) { return lo + static_cast<int>(Below(static_cast<uint64_t>(hi - lo + 1))); }
  bool Chance(double p) { return Uniform() < p; }
  double Exponential(double mean) { return -mean * std::log1p(-Uniform()); }
  double Normal() {
    double u1 = Uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * Uniform());
  }
  int Poisson(double lambda) {
    const double l = std::exp(-lambda);
    int k = 0;
    double p = Uniform();
    while (p > l && k < 1000) {
      ++k;
      p *= Uniform();
    }
    return k;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Samples ranks 0..n-1 with P(k) ~ 1/(k+1)^s.
class Zipf {
 public:
  Zipf() = default;
  Zipf(size_t n, double s);
  size_t Sample(Rng& rng) const;
  size_t size() const { return cdf_.size(); }

 private:
  std::vector<double> cdf_;
};

// Index into `weights` chosen with probability proportional to the weight.
size_t PickWeighted(Rng& rng, const double* weights, size_t n);

struct Uuid128 {
  uint64_t hi = 0, lo = 0;
};
// A random version-4 UUID.
inline Uuid128 RandomUuid(Rng& rng) {
  Uuid128 u{rng.Next(), rng.Next()};
  u.hi = (u.hi & ~0xF000ULL) | 0x4000ULL;
  u.lo = (u.lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  return u;
}
// Writes the 36-character 8-4-4-4-12 form.
void AppendUuid(std::string& out, Uuid128 u);
void WriteUuid(char* out36, Uuid128 u);

// Event types, numbered like tapistry::EventType (server/include/tapistry/event.h).
enum : uint8_t { kPageView = 1, kClick = 2, kScroll = 3, kScrollMilestone = 4, kCustom = 5 };
const char* TypeName(uint8_t type);
// Device classes, numbered like tapistry::DeviceClass.
enum : uint8_t { kDesktop = 1, kMobile = 2, kTablet = 3 };
const char* DeviceName(uint8_t device);
inline constexpr uint8_t kFlagRage = 1, kFlagDead = 2;

struct Element {
  uint32_t selector = 0;                  // index into Site::selectors
  float x0 = 0, y0 = 0, w = 0, h = 0;     // document-relative box, 0..1
  double weight = 1;                      // click popularity
};
struct Page {
  std::string path;
  std::string title;
  double screens = 2;                     // document height in desktop viewports
  std::vector<Element> elements;          // ordered by y0
};
struct Selector {
  std::string text;
  uint64_t hash = 0;                      // FNV-1a 64 of text
  bool rage_prone = false;
  bool dead_prone = false;
};
struct Utm {
  std::string source, medium, campaign, term, content;
  std::string query;                      // "?utm_source=...&..." for the landing URL
};

struct SiteOptions {
  std::string name;                       // project name: "shop", "docs", "blog"
  std::string origin;                     // "https://shop.example"
  int pages = 1000;
  double journey_share = 0.08;            // sessions that try the signup funnel
  uint64_t seed = 1;
};

// One project's site: pages, selectors, referrer and campaign pools.
class Site {
 public:
  explicit Site(const SiteOptions& opts);
  const SiteOptions& options() const { return opts_; }
  const std::vector<Page>& pages() const { return pages_; }
  const std::vector<Selector>& selectors() const { return selectors_; }
  const std::vector<Utm>& campaigns() const { return campaigns_; }
  const std::vector<std::string>& referrers() const { return referrers_; }
  // Popular-first page rank for a random landing or next page.
  size_t SamplePage(Rng& rng) const { return page_order_[page_zipf_.Sample(rng)]; }
  size_t funnel_page(int step) const { return funnel_pages_[step]; }

 private:
  SiteOptions opts_;
  std::vector<Page> pages_;
  std::vector<size_t> page_order_;        // rank -> page index
  Zipf page_zipf_;
  std::vector<Selector> selectors_;
  std::vector<Utm> campaigns_;
  std::vector<std::string> referrers_;
  size_t funnel_pages_[4] = {0, 0, 0, 0};  // /pricing /signup /onboarding /dashboard
};

// Stable per-visitor attributes, derived from the visitor's key.
struct Visitor {
  Uuid128 anonymous_id;
  uint8_t device = kDesktop;
  uint16_t vw = 0, vh = 0;
  char country[2] = {'U', 'S'};
  uint8_t bot_score = 0;
  bool identified = false;                // sends user_id after its first session
};
Visitor MakeVisitor(uint64_t visitor_key);

// One event as the generator emits it. Views point into the Site or the simulator's buffers and
// are valid only during the sink call.
struct EventRec {
  int64_t ts = 0;
  Uuid128 id, session_id, anonymous_id;
  uint8_t type = kPageView;
  std::string_view name;                  // custom events
  std::string_view origin, path, query, title;  // url = origin + path + query
  std::string_view referrer;
  const Utm* utm = nullptr;
  std::string_view user_id;
  uint8_t device = kDesktop;
  char country[2] = {'U', 'S'};
  uint16_t vw = 0, vh = 0;
  int32_t x = -1, y = -1, ex = -1, ey = -1;  // 1e-4 units (0..10000); -1 = none
  uint64_t selector_hash = 0;
  std::string_view selector;
  uint8_t flags = 0;
  int depth = -1;                         // scroll / scroll_milestone: 0..100
  uint8_t bot_score = 0;
  std::string_view props;                 // compact JSON object
};

struct SessionPlan {
  uint64_t key = 0;                       // seeds the session's stream
  uint64_t visitor_key = 0;
  int64_t start_ms = 0;
  uint32_t visit_index = 0;               // 0 = the visitor's first session
  uint32_t limit = UINT32_MAX;            // emit at most this many events
};

// Runs one session. `emit` is called for each event in time order. Returns the number of events
// and writes the offset of the last event from start_ms to *duration_ms (when not null).
class SessionSim {
 public:
  explicit SessionSim(const Site& site) : site_(site) {}
  template <typename Fn>
  uint32_t Run(const SessionPlan& plan, Fn&& emit, int64_t* duration_ms = nullptr);

 private:
  struct Pending {
    int64_t t;
    uint8_t type;
    uint32_t element;                     // click: index into page elements
    int32_t x, y, ex, ey;
    uint8_t flags;
    int depth;
    int custom;                           // custom event kind
  };
  // Lays out one page view's events from t0 over `dwell` ms: page_view, milestones, clicks,
  // custom events (`forced_custom` >= 0 adds that one at the end), and the closing scroll.
  void PlanPage(Rng& rng, const Page& page, const Visitor& v, int64_t t0, int64_t dwell,
                int forced_custom, std::vector<Pending>& out);
  const Site& site_;
  std::vector<Pending> pending_;
  std::string props_;
  std::string ref_;
  std::string user_id_;
};

// Custom event names; the first kCustomRandom are sprinkled at random, the last marks a signup.
extern const char* const kCustomNames[];
inline constexpr int kCustomRandom = 6;
inline constexpr int kSignupSubmitted = 6;

// Appends one NDJSON line (wire format v1, docs/wire-format.md) without the trailing newline.
// `import_fields` adds device_class, country and bot_score (tapistry import only).
void AppendJson(std::string& out, const EventRec& e, bool import_fields);
// Appends the UTC date of a timestamp as YYYY-MM-DD.
void AppendDate(std::string& out, int64_t ts_ms);
// Appends one TabSeparated row + '\n' in the column order of bench/ch/schema.sql.
void AppendTsv(std::string& out, const EventRec& e, std::string_view project);

// ---- implementation of the template ----

template <typename Fn>
uint32_t SessionSim::Run(const SessionPlan& plan, Fn&& emit, int64_t* duration_ms) {
  Rng rng(plan.key);
  const Visitor v = MakeVisitor(plan.visitor_key);
  const auto& pages = site_.pages();

  // Acquisition: the channel decides referrer and campaign for the whole session.
  const Utm* utm = nullptr;
  std::string_view entry_ref;
  {
    static constexpr double kChannel[] = {35, 30, 12, 10, 13};  // direct search social referral campaign
    const double direct_bias = plan.visit_index > 0 ? 20 : 0;
    double w[5] = {kChannel[0] + direct_bias, kChannel[1], kChannel[2], kChannel[3], kChannel[4]};
    const auto& refs = site_.referrers();
    switch (PickWeighted(rng, w, 5)) {
      case 0: break;
      case 1: entry_ref = refs[rng.Below(4)]; break;                 // search engines first
      case 2: entry_ref = refs[4 + rng.Below(5)]; break;             // social next
      case 3: entry_ref = refs[9 + rng.Below(refs.size() - 9)]; break;
      default: {
        const auto& c = site_.campaigns();
        utm = &c[rng.Below(c.size())];
        if (utm->medium == "cpc") entry_ref = refs[0];
        else if (utm->medium == "social" || utm->medium == "paid_social") entry_ref = refs[4 + rng.Below(2)];
      }
    }
  }
  user_id_.clear();
  if (v.identified && plan.visit_index > 0) {
    user_id_ = "user_" + site_.options().name + "_" + std::to_string(plan.visitor_key % 100000000);
  }

  // The page sequence: a funnel journey or a Zipf walk.
  size_t seq[16];
  int n = 0;
  if (rng.Chance(site_.options().journey_share)) {
    if (rng.Chance(0.4)) seq[n++] = site_.SamplePage(rng);
    static constexpr double kContinue[] = {1.0, 0.45, 0.6, 0.75};
    for (int step = 0; step < 4 && n < 12; ++step) {
      if (!rng.Chance(kContinue[step])) break;
      if (step > 0 && rng.Chance(0.1)) seq[n++] = site_.SamplePage(rng);  // a detour
      seq[n++] = site_.funnel_page(step);
    }
    if (rng.Chance(0.3)) seq[n++] = site_.SamplePage(rng);
  } else {
    int count = 1 + rng.Poisson(0.38);
    if (count > 12) count = 12;
    for (int i = 0; i < count; ++i) seq[n++] = site_.SamplePage(rng);
  }

  uint32_t emitted = 0;
  int64_t t = plan.start_ms;
  int64_t last_ts = t;
  EventRec e;
  e.session_id = RandomUuid(rng);
  e.anonymous_id = v.anonymous_id;
  e.origin = site_.options().origin;
  e.utm = utm;
  e.user_id = user_id_;
  e.device = v.device;
  e.country[0] = v.country[0];
  e.country[1] = v.country[1];
  e.vw = v.vw;
  e.vh = v.vh;
  e.bot_score = v.bot_score;

  const Page* prev = nullptr;
  for (int i = 0; i < n && emitted < plan.limit; ++i) {
    const Page& page = pages[seq[i]];
    // Time on page: log-normal around 25 s, 2 s .. 15 min.
    double dwell_s = std::exp(std::log(25.0) + 1.0 * rng.Normal());
    if (dwell_s < 2) dwell_s = 2;
    if (dwell_s > 900) dwell_s = 900;
    const int64_t dwell = static_cast<int64_t>(dwell_s * 1000);
    pending_.clear();
    const bool submits_signup =
        seq[i] == site_.funnel_page(1) && i + 1 < n && seq[i + 1] == site_.funnel_page(2);
    PlanPage(rng, page, v, t, dwell, submits_signup ? kSignupSubmitted : -1, pending_);

    e.path = page.path;
    e.title = page.title;
    e.query = (i == 0 && utm) ? std::string_view(utm->query) : std::string_view();
    for (const Pending& p : pending_) {
      if (emitted >= plan.limit) break;
      e.ts = p.t;
      e.id = RandomUuid(rng);
      e.type = p.type;
      e.name = {};
      e.referrer = {};
      e.x = e.y = e.ex = e.ey = -1;
      e.selector_hash = 0;
      e.selector = {};
      e.flags = 0;
      e.depth = -1;
      props_.clear();
      switch (p.type) {
        case kPageView:
          if (i == 0) {
            e.referrer = entry_ref;
          } else {
            ref_ = e.origin;  // internal navigation: the previous page
            ref_ += prev->path;
            e.referrer = ref_;
            props_ = "{\"prev_path\":\"";
            props_ += prev->path;
            props_ += "\"}";
          }
          break;
        case kClick: {
          const Element& el = page.elements[p.element];
          const Selector& s = site_.selectors()[el.selector];
          e.x = p.x;
          e.y = p.y;
          e.ex = p.ex;
          e.ey = p.ey;
          e.selector_hash = s.hash;
          e.selector = s.text;
          e.flags = p.flags;
          props_ = "{\"button\":0";
          if (p.flags & kFlagRage) props_ += ",\"rage\":true";
          if (p.flags & kFlagDead) props_ += ",\"dead\":true";
          props_ += '}';
          break;
        }
        case kScroll:
          e.depth = p.depth;
          props_ = "{\"max_depth_pct\":" + std::to_string(p.depth) + "}";
          break;
        case kScrollMilestone:
          e.depth = p.depth;
          props_ = "{\"depth\":" + std::to_string(p.depth) + "}";
          break;
        case kCustom:
          e.name = kCustomNames[p.custom];
          props_ = "{\"value\":" + std::to_string(1 + (p.t % 97)) + "}";
          break;
      }
      e.props = props_.empty() ? std::string_view("{}") : std::string_view(props_);
      emit(static_cast<const EventRec&>(e));
      ++emitted;
      last_ts = p.t;
    }
    prev = &page;
    t += dwell + 300 + static_cast<int64_t>(rng.Below(2500));  // navigation gap
  }
  if (duration_ms) *duration_ms = last_ts - plan.start_ms;
  return emitted;
}

}  // namespace bench
