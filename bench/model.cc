#include "model.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace bench {

const char* const kCustomNames[] = {"search",   "video_play", "add_to_cart", "download",
                                    "newsletter_subscribe", "share", "signup_submitted"};

Zipf::Zipf(size_t n, double s) : cdf_(n) {
  double sum = 0;
  for (size_t k = 0; k < n; ++k) {
    sum += 1.0 / std::pow(static_cast<double>(k + 1), s);
    cdf_[k] = sum;
  }
  for (auto& c : cdf_) c /= sum;
}

size_t Zipf::Sample(Rng& rng) const {
  const double u = rng.Uniform();
  const size_t k = static_cast<size_t>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  return k < cdf_.size() ? k : cdf_.size() - 1;
}

size_t PickWeighted(Rng& rng, const double* weights, size_t n) {
  double total = 0;
  for (size_t i = 0; i < n; ++i) total += weights[i];
  double u = rng.Uniform() * total;
  for (size_t i = 0; i < n; ++i) {
    if (u < weights[i]) return i;
    u -= weights[i];
  }
  return n - 1;
}

static const char kHex[] = "0123456789abcdef";

void WriteUuid(char* o, Uuid128 u) {
  int pos = 0;
  for (int i = 0; i < 16; ++i) {
    const uint8_t b = static_cast<uint8_t>(i < 8 ? u.hi >> (56 - 8 * i) : u.lo >> (56 - 8 * (i - 8)));
    if (i == 4 || i == 6 || i == 8 || i == 10) o[pos++] = '-';
    o[pos++] = kHex[b >> 4];
    o[pos++] = kHex[b & 15];
  }
}

void AppendUuid(std::string& out, Uuid128 u) {
  char buf[36];
  WriteUuid(buf, u);
  out.append(buf, 36);
}

const char* TypeName(uint8_t type) {
  switch (type) {
    case kPageView: return "page_view";
    case kClick: return "click";
    case kScroll: return "scroll";
    case kScrollMilestone: return "scroll_milestone";
    case kCustom: return "custom";
  }
  return "custom";
}

const char* DeviceName(uint8_t device) {
  switch (device) {
    case kDesktop: return "desktop";
    case kMobile: return "mobile";
    case kTablet: return "tablet";
  }
  return "unknown";
}

static uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  return h;
}

namespace {

const char* const kWords[] = {
    "alpha",  "amber",  "anchor", "apex",   "arc",    "aspen",  "atlas",  "aurora", "beacon", "birch",
    "blaze",  "bloom",  "bolt",   "breeze", "brook",  "canyon", "cedar",  "cinder", "cliff",  "cloud",
    "comet",  "coral",  "cosmos", "crest",  "delta",  "dune",   "echo",   "ember",  "fern",   "field",
    "flint",  "forest", "frost",  "galaxy", "garden", "glacier","grove",  "harbor", "hazel",  "horizon",
    "island", "jade",   "juniper","lagoon", "lake",   "lantern","ledge",  "lilac",  "lotus",  "lunar",
    "maple",  "marble", "meadow", "mesa",   "mist",   "nova",   "oak",    "ocean",  "onyx",   "orbit",
    "pebble", "pine",   "pixel",  "plume",  "prairie","prism",  "quartz", "rapid",  "raven",  "reef",
    "ridge",  "river",  "rocket", "sage",   "sierra", "solar",  "spark",  "spruce", "stone",  "summit",
    "swift",  "tide",   "timber", "topaz",  "trail",  "tundra", "valley", "vertex", "violet", "wave",
    "willow", "zenith"};
constexpr size_t kWordCount = sizeof(kWords) / sizeof(kWords[0]);

std::string TitleCase(std::string_view slug) {
  std::string t;
  bool up = true;
  for (char c : slug) {
    if (c == '-' || c == '/') {
      t += ' ';
      up = true;
    } else {
      t += up && c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
      up = false;
    }
  }
  return t;
}

enum SelKind : uint8_t { kNav, kFooter, kCta, kContent };

}  // namespace

Site::Site(const SiteOptions& opts) : opts_(opts) {
  Rng rng(Mix(opts.seed, 0x5173));

  // Selectors: a pool of ~300 shared by every page of the site.
  std::vector<SelKind> kinds;
  auto add = [&](std::string text, SelKind kind, bool rage = false, bool dead = false) {
    Selector s;
    s.hash = Fnv1a64(text);
    s.text = std::move(text);
    s.rage_prone = rage;
    s.dead_prone = dead;
    selectors_.push_back(std::move(s));
    kinds.push_back(kind);
  };
  for (int i = 1; i <= 8; ++i) add("header nav a:nth-child(" + std::to_string(i) + ")", kNav);
  add("header .logo", kNav);
  add("header button.menu-toggle", kNav);
  for (int i = 1; i <= 10; ++i) add("footer a:nth-child(" + std::to_string(i) + ")", kFooter);
  add("footer .newsletter input[name=email]", kFooter);
  add("footer .newsletter button", kFooter);
  for (const char* s : {"#cta", "#cta-secondary", "button.signup", "a.btn-primary", "a.btn-secondary",
                        "form#signup button[type=submit]", "button.buy-now", "button.add-to-cart",
                        "a.download", "button.play"}) {
    add(s, kCta);
  }
  for (int s = 1; s <= 6; ++s)
    for (int c = 1; c <= 8; ++c)
      add("main section:nth-child(" + std::to_string(s) + ") .card:nth-child(" + std::to_string(c) + ") a",
          kContent);
  for (int s = 1; s <= 8; ++s) add("main section:nth-child(" + std::to_string(s) + ") h2", kContent, false, true);
  for (int s = 1; s <= 8; ++s) add("main section:nth-child(" + std::to_string(s) + ") img", kContent, false, true);
  for (int s = 1; s <= 6; ++s)
    for (int p = 1; p <= 5; ++p)
      add("main section:nth-child(" + std::to_string(s) + ") p:nth-child(" + std::to_string(p) + ")", kContent,
          false, true);
  add("main .carousel button.next", kContent, true);
  add("main .carousel button.prev", kContent, true);
  for (int i = 1; i <= 12; ++i) add(".accordion-item:nth-child(" + std::to_string(i) + ") button", kContent);
  for (int i = 1; i <= 10; ++i) add("table.pricing tr:nth-child(" + std::to_string(i) + ") td", kContent, false, true);
  add("form input[name=email]", kContent);
  add("form input[name=name]", kContent);
  for (int i = 1; i <= 6; ++i) add(".tabs button:nth-child(" + std::to_string(i) + ")", kContent);
  for (int i = 1; i <= 10; ++i) add(".pagination a:nth-child(" + std::to_string(i) + ")", kContent, i == 1);
  for (int i = 1; i <= 40; ++i) add("aside .toc a:nth-child(" + std::to_string(i) + ")", kContent);
  for (int i = 1; i <= 40; ++i) add("article a:nth-child(" + std::to_string(i) + ")", kContent);
  add("#search-input", kContent);
  add("button.close", kContent);
  add(".cookie-banner button.accept", kContent);
  add(".cookie-banner button.reject", kContent);
  add("div.price-tag", kContent, true, true);
  add("span.disabled-button", kContent, true, true);
  add("button.loading", kContent, true);
  add("img.product-zoom", kContent, true, true);
  std::vector<uint32_t> nav, footer, cta, content;
  for (uint32_t i = 0; i < selectors_.size(); ++i) {
    (kinds[i] == kNav ? nav : kinds[i] == kFooter ? footer : kinds[i] == kCta ? cta : content).push_back(i);
  }

  // Pages: well-known ones first (their order is their popularity rank), then generated ones.
  static const char* const kSpecial[] = {
      "/",        "/features", "/pricing",  "/blog",      "/docs",     "/about",   "/login",
      "/signup",  "/dashboard", "/contact", "/faq",       "/changelog", "/integrations", "/customers",
      "/careers", "/security", "/privacy",  "/terms",     "/search",   "/status",  "/onboarding"};
  const std::string site_title = TitleCase(opts.name);
  std::vector<std::string> paths;
  for (const char* p : kSpecial) paths.push_back(p);
  while (static_cast<int>(paths.size()) < opts.pages) {
    const std::string a = kWords[rng.Below(kWordCount)], b = kWords[rng.Below(kWordCount)];
    const std::string n = std::to_string(paths.size());
    std::string p;
    if (opts.name == "shop") {
      p = rng.Chance(0.8) ? "/products/" + a + "-" + b + "-" + n : "/category/" + a + "/" + b + "-" + n;
    } else if (opts.name == "docs") {
      p = "/docs/" + a + "/" + b + "-" + n;
    } else {
      p = "/blog/" + std::to_string(2019 + rng.Below(6)) + "/" + a + "-" + b + "-" + n;
    }
    paths.push_back(std::move(p));
  }
  for (size_t i = 0; i < paths.size(); ++i) {
    Page page;
    page.path = paths[i];
    const size_t slash = page.path.find_last_of('/');
    page.title = (page.path == "/" ? std::string("Home") : TitleCase(page.path.substr(slash + 1))) + " | " + site_title;
    page.screens = page.path == "/" ? 5.0 : 1.5 + std::min(12.0, rng.Exponential(3.0));
    const double doc_px = page.screens * 900.0;
    auto box = [&](uint32_t sel, double x0, double y_px, double w, double h_px, double weight) {
      Element el;
      el.selector = sel;
      el.x0 = static_cast<float>(x0);
      el.w = static_cast<float>(w);
      el.y0 = static_cast<float>(std::min(y_px, doc_px - h_px) / doc_px);
      el.h = static_cast<float>(h_px / doc_px);
      el.weight = weight;
      page.elements.push_back(el);
    };
    for (int k = 0; k < 7; ++k) box(nav[k], 0.30 + 0.08 * k, 18, 0.06, 36, 2.0);
    box(nav[8], 0.03, 12, 0.12, 48, 1.5);
    const uint32_t primary = cta[rng.Below(cta.size())];
    box(primary, 0.38 + 0.1 * rng.Uniform(), 380 + 200 * rng.Uniform(), 0.16, 56, 8.0);
    const int n_content = 6 + static_cast<int>(rng.Below(11));
    for (int k = 0; k < n_content; ++k) {
      const uint32_t sel = content[rng.Below(content.size())];
      const double y = 600 + (doc_px - 1000) * rng.Uniform();
      const double w = 0.08 + 0.32 * rng.Uniform();
      const double weight = (selectors_[sel].dead_prone ? 0.5 : 1.0) * 2.0 / (1.0 + 2.0 * y / doc_px);
      box(sel, 0.05 + (0.9 - w) * rng.Uniform(), y, w, 30 + 270 * rng.Uniform(), weight);
    }
    if (rng.Chance(0.3)) box(cta[rng.Below(cta.size())], 0.4, doc_px * 0.6, 0.2, 56, 3.0);
    for (int k = 0; k < 4; ++k) {
      box(footer[rng.Below(footer.size())], 0.1 + 0.2 * k, doc_px - 280 + 60 * rng.Below(4), 0.12, 28, 0.3);
    }
    std::sort(page.elements.begin(), page.elements.end(),
              [](const Element& a, const Element& b) { return a.y0 < b.y0; });
    pages_.push_back(std::move(page));
  }
  funnel_pages_[0] = 2;   // /pricing
  funnel_pages_[1] = 7;   // /signup
  funnel_pages_[2] = 20;  // /onboarding
  funnel_pages_[3] = 8;   // /dashboard

  // Popularity: the special pages keep their rank, generated pages are shuffled behind them
  // (except /onboarding, which only the journey reaches: it goes last).
  const size_t n_special = sizeof(kSpecial) / sizeof(kSpecial[0]);
  for (size_t i = 0; i + 1 < n_special; ++i) page_order_.push_back(i);
  std::vector<size_t> rest;
  for (size_t i = n_special; i < pages_.size(); ++i) rest.push_back(i);
  for (size_t i = rest.size(); i > 1; --i) std::swap(rest[i - 1], rest[rng.Below(i)]);
  page_order_.insert(page_order_.end(), rest.begin(), rest.end());
  page_order_.push_back(n_special - 1);
  page_zipf_ = Zipf(page_order_.size(), 1.05);

  // Referrers: 4 search engines, 5 social sites, then referring pages.
  for (const char* r : {"https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/",
                        "https://www.ecosia.org/", "https://t.co/", "https://www.facebook.com/",
                        "https://www.linkedin.com/", "https://www.reddit.com/", "https://news.ycombinator.com/",
                        "https://github.com/", "https://dev.to/", "https://stackoverflow.com/"}) {
    referrers_.push_back(r);
  }
  for (int i = 0; i < 40; ++i) {
    referrers_.push_back("https://blog" + std::to_string(i) + ".example.org/posts/" +
                         kWords[rng.Below(kWordCount)] + "-" + kWords[rng.Below(kWordCount)]);
  }

  auto campaign = [&](std::string source, std::string medium, std::string name, std::string term,
                      std::string content_) {
    Utm u{std::move(source), std::move(medium), std::move(name), std::move(term), std::move(content_), ""};
    u.query = "?utm_source=" + u.source + "&utm_medium=" + u.medium + "&utm_campaign=" + u.campaign;
    if (!u.term.empty()) u.query += "&utm_term=" + u.term;
    if (!u.content.empty()) u.query += "&utm_content=" + u.content;
    campaigns_.push_back(std::move(u));
  };
  for (int i = 1; i <= 12; ++i) campaign("newsletter", "email", "weekly-" + std::to_string(i), "", "");
  for (const char* t : {"analytics", "heatmap", "session-replay", "privacy-analytics", "funnels"}) {
    campaign("google", "cpc", "generic", t, "");
  }
  campaign("google", "cpc", "brand", opts.name, "");
  campaign("twitter", "social", "launch", "", "");
  campaign("facebook", "paid_social", "retargeting", "", "variant-a");
  campaign("facebook", "paid_social", "retargeting", "", "variant-b");
  for (int i = 1; i <= 5; ++i) campaign("partner-" + std::to_string(i), "referral", "partner", "", "");
  campaign("producthunt", "referral", "launch-day", "", "");
}

Visitor MakeVisitor(uint64_t visitor_key) {
  Rng rng(Mix(visitor_key, 0x7157));
  Visitor v;
  v.anonymous_id = RandomUuid(rng);
  static constexpr double kDevice[] = {55, 40, 5};
  v.device = static_cast<uint8_t>(1 + PickWeighted(rng, kDevice, 3));
  static constexpr uint16_t kDesktopVp[][2] = {{1920, 1080}, {1536, 864}, {1440, 900}, {1366, 768},
                                               {1280, 720},  {2560, 1440}, {1680, 1050}};
  static constexpr double kDesktopW[] = {30, 15, 15, 12, 8, 10, 10};
  static constexpr uint16_t kMobileVp[][2] = {{390, 844}, {414, 896}, {375, 667}, {360, 800},
                                              {412, 915}, {393, 873}};
  static constexpr double kMobileW[] = {25, 15, 15, 20, 15, 10};
  static constexpr uint16_t kTabletVp[][2] = {{768, 1024}, {810, 1080}, {820, 1180}, {1024, 1366}};
  static constexpr double kTabletW[] = {40, 25, 20, 15};
  const uint16_t* vp;
  if (v.device == kDesktop) vp = kDesktopVp[PickWeighted(rng, kDesktopW, 7)];
  else if (v.device == kMobile) vp = kMobileVp[PickWeighted(rng, kMobileW, 6)];
  else vp = kTabletVp[PickWeighted(rng, kTabletW, 4)];
  v.vw = vp[0];
  // Browser chrome takes a varying bite out of the screen height.
  v.vh = static_cast<uint16_t>(vp[1] - rng.Below(120));
  static const char kCountries[][3] = {"US", "DE", "GB", "FR", "IN", "BR", "CA", "NL", "JP", "ES",
                                       "IT", "PL", "SE", "AU", "CH", "AT", "MX", "KR", "NG", "ZA"};
  static constexpr double kCountryW[] = {28, 10, 8, 6, 8, 5, 4, 3, 3, 3, 3, 2, 2, 2, 1.5, 1.5, 2, 1.5, 1, 1};
  const char* c = kCountries[PickWeighted(rng, kCountryW, 20)];
  v.country[0] = c[0];
  v.country[1] = c[1];
  if (rng.Chance(0.01)) v.bot_score = static_cast<uint8_t>(85 + rng.Below(16));
  else if (rng.Chance(0.1)) v.bot_score = static_cast<uint8_t>(1 + rng.Below(30));
  v.identified = rng.Chance(0.12);
  return v;
}

void SessionSim::PlanPage(Rng& rng, const Page& page, const Visitor& v, int64_t t0, int64_t dwell,
                          int forced_custom, std::vector<Pending>& out) {
  // Deepest point reached, as a fraction of the document: at least the first screen.
  const double screens = page.screens * (v.device == kMobile ? 1.9 : v.device == kTablet ? 1.3 : 1.0);
  const double first = std::min(1.0, 1.0 / screens);
  const double reach = rng.Chance(0.10) ? 1.0 : first + (1.0 - first) * std::pow(rng.Uniform(), 2.6);
  const int max_depth = std::clamp(static_cast<int>(std::lround(reach * 100)), 0, 100);
  const int64_t end = t0 + dwell;

  out.push_back({t0, kPageView, 0, -1, -1, -1, -1, 0, -1, -1});
  for (int m : {25, 50, 75, 90, 100}) {
    if (m > max_depth) break;
    const int64_t at = m <= first * 100 ? t0 + 300 + static_cast<int64_t>(rng.Below(1200))
                                        : t0 + static_cast<int64_t>(dwell * 0.85 * m / max_depth);
    out.push_back({std::min(at, end - 1), kScrollMilestone, 0, -1, -1, -1, -1, 0, m, -1});
  }

  const int clicks = v.bot_score >= 85 ? 0 : rng.Poisson(0.75);
  if (clicks > 0) {
    double weights[64];
    size_t visible = 0;
    for (const Element& el : page.elements) {
      if (visible == 64 || el.y0 > reach) break;
      weights[visible++] = el.weight;
    }
    for (int c = 0; c < clicks && visible > 0; ++c) {
      const uint32_t idx = static_cast<uint32_t>(PickWeighted(rng, weights, visible));
      const Element& el = page.elements[idx];
      const Selector& s = site_.selectors()[el.selector];
      auto coord = [&]() { return std::clamp(0.5 + 0.18 * rng.Normal(), 0.02, 0.98); };
      const double ex = coord(), ey = coord();
      const int32_t x = std::clamp(static_cast<int32_t>((el.x0 + ex * el.w) * 10000), 0, 9999);
      const int32_t y = std::clamp(static_cast<int32_t>((el.y0 + ey * el.h) * 10000), 0, 9999);
      const uint8_t dead = s.dead_prone ? kFlagDead : 0;
      const bool rage = (s.rage_prone && rng.Chance(0.35)) || (s.dead_prone && rng.Chance(0.05));
      const int burst = rage ? rng.Between(3, 5) : 1;
      int64_t at = t0 + 800 + static_cast<int64_t>(rng.Uniform() * std::max<int64_t>(1, dwell - 2600));
      for (int b = 0; b < burst; ++b) {
        const int32_t jx = rage ? static_cast<int32_t>(rng.Below(41)) - 20 : 0;
        const int32_t jy = rage ? static_cast<int32_t>(rng.Below(41)) - 20 : 0;
        out.push_back({std::min(at, end - 1), kClick, idx, std::clamp(x + jx, 0, 9999),
                       std::clamp(y + jy, 0, 9999), static_cast<int32_t>(ex * 10000),
                       static_cast<int32_t>(ey * 10000), static_cast<uint8_t>(dead | (rage ? kFlagRage : 0)),
                       -1, -1});
        at += 120 + static_cast<int64_t>(rng.Below(180));
      }
    }
  }
  if (v.bot_score < 85 && rng.Chance(0.04)) {
    const int64_t at = t0 + 500 + static_cast<int64_t>(rng.Uniform() * std::max<int64_t>(1, dwell - 1000));
    out.push_back({std::min(at, end - 1), kCustom, 0, -1, -1, -1, -1, 0, -1,
                   static_cast<int>(rng.Below(kCustomRandom))});
  }
  if (forced_custom >= 0) {
    out.push_back({end - 1, kCustom, 0, -1, -1, -1, -1, 0, -1, forced_custom});
  }
  out.push_back({end, kScroll, 0, -1, -1, -1, -1, 0, max_depth, -1});
  std::stable_sort(out.begin(), out.end(), [](const Pending& a, const Pending& b) { return a.t < b.t; });
}

// ---- formatting ----

namespace {

inline void AppendInt(std::string& out, int64_t v) {
  char buf[24];
  char* p = buf + sizeof(buf);
  const bool neg = v < 0;
  uint64_t u = neg ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
  do {
    *--p = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u);
  if (neg) *--p = '-';
  out.append(p, static_cast<size_t>(buf + sizeof(buf) - p));
}

inline void AppendUInt(std::string& out, uint64_t u) {
  char buf[24];
  char* p = buf + sizeof(buf);
  do {
    *--p = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u);
  out.append(p, static_cast<size_t>(buf + sizeof(buf) - p));
}

// 1e-4 units as "0.dddd".
inline void AppendFrac4(std::string& out, int32_t v) {
  char buf[6] = {'0', '.', static_cast<char>('0' + v / 1000), static_cast<char>('0' + v / 100 % 10),
                 static_cast<char>('0' + v / 10 % 10), static_cast<char>('0' + v % 10)};
  out.append(buf, 6);
}

inline void AppendHex64(std::string& out, uint64_t v) {
  char buf[16];
  for (int i = 15; i >= 0; --i, v >>= 4) buf[i] = kHex[v & 15];
  out.append(buf, 16);
}

}  // namespace

// Civil date of a day number (Howard Hinnant's algorithm), as YYYY-MM-DD.
void AppendDate(std::string& out, int64_t ts_ms) {
  thread_local int64_t cached_day = INT64_MIN;
  thread_local char cached[48];
  const int64_t day = ts_ms >= 0 ? ts_ms / 86400000 : (ts_ms - 86399999) / 86400000;
  if (day != cached_day) {
    int64_t z = day + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
    std::snprintf(cached, sizeof(cached), "%04d-%02d-%02d", static_cast<int>(y), static_cast<int>(m),
                  static_cast<int>(d));
    cached_day = day;
  }
  out.append(cached, 10);
}

namespace {

inline void Key(std::string& out, const char* key) {
  out += ",\"";
  out += key;
  out += "\":";
}
inline void StrField(std::string& out, const char* key, std::string_view v) {
  Key(out, key);
  out += '"';
  out += v;
  out += '"';
}

}  // namespace

// Generated strings never need JSON escaping (ASCII, no quotes or backslashes), so they are copied.
void AppendJson(std::string& out, const EventRec& e, bool import_fields) {
  out += "{\"id\":\"";
  AppendUuid(out, e.id);
  out += "\",\"ts\":";
  AppendInt(out, e.ts);
  StrField(out, "type", TypeName(e.type));
  if (!e.name.empty()) StrField(out, "name", e.name);
  Key(out, "session_id");
  out += '"';
  AppendUuid(out, e.session_id);
  out += "\",\"anonymous_id\":\"";
  AppendUuid(out, e.anonymous_id);
  out += '"';
  if (!e.user_id.empty()) StrField(out, "user_id", e.user_id);
  Key(out, "url");
  out += '"';
  out += e.origin;
  out += e.path;
  out += e.query;
  out += '"';
  StrField(out, "path", e.path);
  StrField(out, "title", e.title);
  if (!e.referrer.empty()) StrField(out, "referrer", e.referrer);
  if (e.utm) {
    out += ",\"utm\":{\"source\":\"";
    out += e.utm->source;
    out += "\",\"medium\":\"";
    out += e.utm->medium;
    out += "\",\"campaign\":\"";
    out += e.utm->campaign;
    out += '"';
    if (!e.utm->term.empty()) StrField(out, "term", e.utm->term);
    if (!e.utm->content.empty()) StrField(out, "content", e.utm->content);
    out += '}';
  }
  out += e.device == kDesktop ? ",\"device\":{\"mobile\":false,\"class\":\"desktop\"}"
         : e.device == kMobile ? ",\"device\":{\"mobile\":true,\"class\":\"mobile\"}"
                               : ",\"device\":{\"mobile\":false,\"class\":\"tablet\"}";
  out += ",\"viewport\":{\"w\":";
  AppendInt(out, e.vw);
  out += ",\"h\":";
  AppendInt(out, e.vh);
  out += '}';
  if (e.x >= 0) {
    Key(out, "x");
    AppendFrac4(out, e.x);
    Key(out, "y");
    AppendFrac4(out, e.y);
    Key(out, "ex");
    AppendFrac4(out, e.ex);
    Key(out, "ey");
    AppendFrac4(out, e.ey);
  }
  if (e.selector_hash) {
    Key(out, "selector_hash");
    out += '"';
    AppendHex64(out, e.selector_hash);
    out += '"';
    StrField(out, "selector", e.selector);
  }
  Key(out, "props");
  out += e.props;
  if (import_fields) {
    StrField(out, "device_class", DeviceName(e.device));
    Key(out, "country");
    out += '"';
    out.append(e.country, 2);
    out += '"';
    Key(out, "bot_score");
    AppendInt(out, e.bot_score);
  }
  out += '}';
}

void AppendTsv(std::string& out, const EventRec& e, std::string_view project) {
  out += project;
  out += '\t';
  AppendDate(out, e.ts);
  out += '\t';
  AppendInt(out, e.ts);
  out += '\t';
  AppendUuid(out, e.id);
  out += '\t';
  AppendUuid(out, e.session_id);
  out += '\t';
  AppendUuid(out, e.anonymous_id);
  out += '\t';
  out += e.user_id;
  out += '\t';
  out += TypeName(e.type);
  out += '\t';
  out += e.name;
  out += '\t';
  out += e.origin;
  out += e.path;
  out += e.query;
  out += '\t';
  out += e.path;
  out += '\t';
  out += e.title;
  out += '\t';
  out += e.referrer;
  out += '\t';
  if (e.utm) {
    out += e.utm->source;
    out += '\t';
    out += e.utm->medium;
    out += '\t';
    out += e.utm->campaign;
    out += '\t';
    out += e.utm->term;
    out += '\t';
    out += e.utm->content;
    out += '\t';
  } else {
    out += "\t\t\t\t\t";
  }
  out += DeviceName(e.device);
  out += '\t';
  out.append(e.country, 2);
  out += '\t';
  AppendInt(out, e.vw);
  out += '\t';
  AppendInt(out, e.vh);
  out += '\t';
  if (e.x >= 0) {
    AppendFrac4(out, e.x);
    out += '\t';
    AppendFrac4(out, e.y);
    out += '\t';
    AppendFrac4(out, e.ex);
    out += '\t';
    AppendFrac4(out, e.ey);
    out += '\t';
  } else {
    out += "\\N\t\\N\t\\N\t\\N\t";
  }
  AppendUInt(out, e.selector_hash);
  out += '\t';
  out += e.selector;
  out += '\t';
  AppendInt(out, e.flags);
  out += '\t';
  if (e.depth >= 0) AppendInt(out, e.depth);
  else out += "\\N";
  out += '\t';
  AppendInt(out, e.bot_score);
  out += '\t';
  out += e.props;
  out += '\n';
}

}  // namespace bench
