#include "store/embedded/rollup.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "store/embedded/coding.h"
#include "store/embedded/row_batch.h"
#include "store/embedded/scratch.h"
#include "store/embedded/segment_reader.h"
#include "store/embedded/segment_writer.h"
#include "store/embedded/test_util.h"
#include "store/embedded/zstd_codec.h"

namespace tapistry::store {
namespace {

using testing::MakeEvent;
using testing::TempDir;
using testing::U;

constexpr int32_t kDay = 19950;
constexpr int64_t kT0 = int64_t{kDay} * kDayMs;

TEST(RollupTest, BucketOfWidthIsViewportBucket) {
  for (uint32_t w = 0; w <= 0xffff; ++w) {
    ASSERT_EQ(BucketOfWidth(static_cast<uint16_t>(w)), ViewportBucket(static_cast<uint16_t>(w)))
        << w;
  }
}

TEST(RollupTest, TileOfFollowsTheDefinitionAndRefusesWhatHasNoTile) {
  bool ok = true;
  EXPECT_EQ(TileOf(0.0f, &ok), 0);
  EXPECT_EQ(TileOf(0.999f, &ok), 63);
  EXPECT_EQ(TileOf(1.0f, &ok), 63);
  EXPECT_EQ(TileOf(3.5f, &ok), 63);
  EXPECT_EQ(TileOf(1.0f / 64, &ok), 1);
  EXPECT_TRUE(ok);
  for (float v : {-0.25f, -0.0001f, 1e9f, std::numeric_limits<float>::infinity(), std::nanf("")}) {
    ok = true;
    TileOf(v, &ok);
    EXPECT_FALSE(ok) << v;
  }
}

TEST(RollupTest, ScratchStringsAreReusedWithTheirCapacity) {
  const char* data;
  {
    ScratchString a;
    a->assign(100000, 'x');
    data = a->data();
  }
  ScratchString b;
  EXPECT_TRUE(b->empty());
  EXPECT_EQ(b->data(), data);  // the same buffer, back from the pool
  ScratchString c = std::move(b);
  EXPECT_EQ(c->data(), data);
}

class RollupSegmentTest : public ::testing::Test {
 protected:
  // Writes `events` (one day) as a segment and opens it.
  std::shared_ptr<Segment> Write(const std::vector<Event>& events) {
    RowBatch batch;
    for (const Event& e : events) batch.Append(e);
    std::vector<uint32_t> rows(batch.rows());
    std::iota(rows.begin(), rows.end(), 0u);
    SegmentFooter footer;
    uint64_t size = 0;
    const std::string path = dir_.path() + "/s" + std::to_string(++n_) + ".seg";
    EXPECT_TRUE(WriteSegmentFile(batch.raw(), rows, {"p", kDay, 1}, path, &footer, &size).ok());
    auto seg = Segment::Open(path);
    EXPECT_TRUE(seg.ok());
    EXPECT_TRUE((*seg)->CheckRollups().ok()) << (*seg)->CheckRollups().ToString();
    return seg.ok() ? *seg : nullptr;
  }
  static ScratchString Load(const Segment& seg, StreamKind kind) {
    ScratchString raw;
    EXPECT_TRUE(seg.LoadAggregate(kind, raw.get()).ok());
    return raw;
  }
  static StringColumn Dict(const Segment& seg, ColumnId id) {
    StringColumn c;
    EXPECT_TRUE(seg.LoadStringDict(id, &c).ok());
    return c;
  }
  TempDir dir_;
  int n_ = 0;
};

std::vector<Event> Varied(uint64_t seed, int sessions) {
  std::mt19937_64 rng(seed);
  const char* paths[] = {"/", "/a", "/b"};
  std::vector<Event> v;
  for (int s = 0; s < sessions; ++s) {
    int64_t t = kT0 + static_cast<int64_t>(rng() % (kDayMs / 2));
    const DeviceClass dev = rng() % 2 ? DeviceClass::kMobile : DeviceClass::kDesktop;
    for (int k = 0, n = 1 + static_cast<int>(rng() % 8); k < n; ++k) {
      const uint64_t roll = rng() % 4;
      const EventType type = roll == 0   ? EventType::kPageView
                             : roll == 1 ? EventType::kClick
                             : roll == 2 ? EventType::kScroll
                                         : EventType::kCustom;
      Event e = MakeEvent("p", t, U(10 + s), U(100 + s % 7), type, paths[rng() % 3]);
      e.device_class = dev;
      e.viewport_w = dev == DeviceClass::kMobile ? 390 : 1280;
      e.referrer = rng() % 2 ? "https://r.example/" : "";
      if (type == EventType::kClick) {
        if (rng() % 4) {
          e.x = static_cast<float>(rng() % 64) / 64.0f;
          e.y = static_cast<float>(rng() % 128) / 64.0f;
        }
        if (rng() % 3) {
          e.ex = static_cast<float>(rng() % 8) / 8.0f;
          e.ey = static_cast<float>(rng() % 4) / 4.0f;
        }
        e.selector_hash = rng() % 4;
        e.selector = rng() % 3 ? (rng() % 2 ? "b" : "a") : "";
        e.flags = static_cast<uint8_t>(rng() % 4);
      }
      if (type == EventType::kScroll) e.depth_pct = static_cast<uint8_t>(rng() % 104);
      v.push_back(e);
      t += 1 + static_cast<int64_t>(rng() % 60000);
    }
  }
  return v;
}

// The cells, tiles, scroll and element rollups hold exactly what counting the events gives.
TEST_F(RollupSegmentTest, CellRollupsCountTheRows) {
  const std::vector<Event> events = Varied(3, 60);
  auto seg = Write(events);
  ASSERT_NE(seg, nullptr);
  const RollupBounds b = BoundsOf(seg->footer());
  CellTable cells;
  ASSERT_TRUE(DecodeCells(Load(*seg, StreamKind::kCells), &cells).ok());
  TileEntries tiles;
  ASSERT_TRUE(DecodeTiles(Load(*seg, StreamKind::kCellTiles), cells, &tiles).ok());
  ScrollEntries scroll;
  ASSERT_TRUE(DecodeScroll(Load(*seg, StreamKind::kCellScroll), cells, &scroll).ok());
  ElementEntries el;
  ASSERT_TRUE(DecodeElements(Load(*seg, StreamKind::kCellElements), cells, &el).ok());
  const StringColumn paths = Dict(*seg, ColumnId::kPath),
                     selectors = Dict(*seg, ColumnId::kSelector);
  ASSERT_TRUE(ValidateCells(cells, b).ok());

  using Key = std::tuple<std::string, int, int>;  // path, device, bucket
  std::map<Key, uint64_t> pageviews, rows;
  std::map<std::tuple<Key, int, int>, uint64_t> tile_counts;  // (cell, list, tile)
  std::map<std::pair<Key, int>, uint64_t> depths;
  struct Element {
    uint64_t clicks = 0, rage = 0, dead = 0, with_pos = 0;
    double sx = 0, sy = 0;
    std::string selector;
  };
  std::map<std::pair<Key, uint64_t>, Element> elements;
  for (const Event& e : events) {
    const Key k{e.path, static_cast<int>(e.device_class), ViewportBucket(e.viewport_w)};
    ++rows[k];
    if (e.type == EventType::kPageView) ++pageviews[k];
    if (e.type == EventType::kScroll && e.depth_pct <= 100) ++depths[{k, e.depth_pct}];
    if (e.type != EventType::kClick) continue;
    if (e.HasPoint()) {
      bool ok = true;
      const int tile = TileOf(e.x, &ok) * 64 + TileOf(e.y, &ok);
      ++tile_counts[{k, kTilesAll, tile}];
      if (e.flags & kFlagRage) ++tile_counts[{k, kTilesRage, tile}];
      if (e.flags & kFlagDead) ++tile_counts[{k, kTilesDead, tile}];
    }
    if (e.selector_hash == 0) continue;
    Element& x = elements[{k, e.selector_hash}];
    ++x.clicks;
    x.rage += (e.flags & kFlagRage) != 0;
    x.dead += (e.flags & kFlagDead) != 0;
    if (!std::isnan(e.ex) && !std::isnan(e.ey)) {
      ++x.with_pos;
      x.sx += e.ex;
      x.sy += e.ey;
    }
    if (!e.selector.empty() && (x.selector.empty() || e.selector < x.selector))
      x.selector = e.selector;
  }
  ASSERT_EQ(cells.size(), rows.size());
  size_t n_tiles = 0, n_depths = 0, n_elements = 0;
  for (size_t c = 0; c < cells.size(); ++c) {
    const Key k{std::string(paths.dict[cells.path[c]]), cells.device[c], cells.vb[c]};
    EXPECT_EQ(cells.rows[c], rows[k]);
    EXPECT_EQ(cells.pageviews[c], pageviews[k]);
    for (int l = 0; l < 3; ++l) {
      const auto [lo, hi] = cells.TileRange(c, l);
      for (uint32_t i = lo; i < hi; ++i, ++n_tiles) {
        EXPECT_EQ(tiles.count[i], (tile_counts[{k, l, tiles.tile[i]}])) << "tile " << tiles.tile[i];
      }
    }
    const auto [slo, shi] = cells.ScrollRange(c);
    for (uint32_t i = slo; i < shi; ++i, ++n_depths)
      EXPECT_EQ(scroll.count[i], (depths[{k, scroll.depth[i]}]));
    const auto [elo, ehi] = cells.ElementRange(c);
    for (uint32_t i = elo; i < ehi; ++i, ++n_elements) {
      const Element& x = elements[{k, el.hash[i]}];
      EXPECT_EQ(el.clicks[i], x.clicks);
      EXPECT_EQ(el.rage[i], x.rage);
      EXPECT_EQ(el.dead[i], x.dead);
      EXPECT_EQ(el.with_pos[i], x.with_pos);
      EXPECT_DOUBLE_EQ(el.sum_ex[i], x.sx);
      EXPECT_DOUBLE_EQ(el.sum_ey[i], x.sy);
      EXPECT_EQ(el.selector[i] == kNoSelector ? std::string()
                                              : std::string(selectors.dict[el.selector[i]]),
                x.selector);
    }
  }
  EXPECT_EQ(n_tiles, tile_counts.size());
  EXPECT_EQ(n_depths, depths.size());
  EXPECT_EQ(n_elements, elements.size());
}

TEST(RollupTest, GridCellOfFollowsTheDefinition) {
  EXPECT_EQ(GridCellOf(0.0f, 0.0f), 0);
  EXPECT_EQ(GridCellOf(1.0f, 0.0f), 15);  // the right edge is column 15
  EXPECT_EQ(GridCellOf(0.0f, 1.0f), 15 * 16);
  EXPECT_EQ(GridCellOf(1.0f / 16, 0.5f), 8 * 16 + 1);
  EXPECT_EQ(GridCellOf(0.0624f, 0.9999f), 15 * 16);
  EXPECT_EQ(GridCellOf(-0.01f, 1.01f), 15 * 16);  // clamped into the box
  EXPECT_EQ(GridCellOf(7.0f, -3.0f), 15);
  const float inf = std::numeric_limits<float>::infinity();
  for (float bad : {std::nanf(""), inf, -inf}) {
    EXPECT_EQ(GridCellOf(bad, 0.5f), -1) << bad;
    EXPECT_EQ(GridCellOf(0.5f, bad), -1) << bad;
  }
}

// The grid rollup, aligned with the element entries: per entry and list, the attributed clicks
// by grid cell; per cell and list, the tiles of the others that have a point. Checked on a small
// segment (one chunk) and on one large enough to be cut into several chunks.
TEST_F(RollupSegmentTest, GridRollupCountsTheClicksByElementCellAndTile) {
  for (int sessions : {60, 12000}) {
    SCOPED_TRACE(sessions);
    std::vector<Event> events = Varied(4, sessions);
    if (sessions > 1000) {  // many elements over many grid cells: enough for several chunks
      uint32_t i = 0;
      for (Event& e : events) {
        if (e.type != EventType::kClick || e.selector_hash == 0) continue;
        e.selector_hash = 1 + ++i % 997;
        if (!std::isnan(e.ex)) e.ex = static_cast<float>(i % 16) / 16;
      }
    }
    // Edges: ex = 1.0, outside [0, 1], infinite (not attributed: its tile instead).
    for (float ex : {1.0f, 1.25f, -0.5f, std::numeric_limits<float>::infinity()}) {
      Event e = MakeEvent("p", kT0 + 7, U(1), U(2), EventType::kClick, "/a");
      e.x = 0.5f;
      e.y = 0.25f;
      e.ex = ex;
      e.ey = 0.5f;
      e.selector_hash = 3;
      e.flags = kFlagDead;
      events.push_back(e);
    }
    auto seg = Write(events);
    ASSERT_NE(seg, nullptr);
    ASSERT_NE(seg->footer().FindAggregate(StreamKind::kCellGrid), nullptr);
    CellTable cells;
    ASSERT_TRUE(DecodeCells(Load(*seg, StreamKind::kCells), &cells).ok());
    ElementEntries el;
    ASSERT_TRUE(DecodeElements(Load(*seg, StreamKind::kCellElements), cells, &el).ok());
    CellGrid grid;
    ASSERT_TRUE(grid.Open(Load(*seg, StreamKind::kCellGrid), cells).ok());
    EXPECT_EQ(grid.size() > 1, sessions > 1000) << grid.size() << " chunks";
    const StringColumn paths = Dict(*seg, ColumnId::kPath);

    using Key = std::tuple<std::string, int, int>;                      // path, device, bucket
    std::map<std::tuple<Key, int, uint64_t, int>, uint64_t> want_grid;  // (cell, list, hash, g)
    std::map<std::tuple<Key, int, int>, uint64_t> want_tiles;           // (cell, list, tile)
    for (const Event& e : events) {
      if (e.type != EventType::kClick) continue;
      const Key k{e.path, static_cast<int>(e.device_class), ViewportBucket(e.viewport_w)};
      const bool in[3] = {true, (e.flags & kFlagRage) != 0, (e.flags & kFlagDead) != 0};
      const bool attributed = e.selector_hash != 0 && std::isfinite(e.ex) && std::isfinite(e.ey);
      for (int l = 0; l < 3; ++l) {
        if (!in[l]) continue;
        if (attributed) {
          const int gx =
              std::min(15, static_cast<int>(std::floor(std::clamp(e.ex, 0.0f, 1.0f) * 16)));
          const int gy =
              std::min(15, static_cast<int>(std::floor(std::clamp(e.ey, 0.0f, 1.0f) * 16)));
          ++want_grid[{k, l, e.selector_hash, gy * 16 + gx}];
        } else if (e.HasPoint()) {
          const int tile = std::min(63, static_cast<int>(e.x * 64)) * 64 +
                           std::min(63, static_cast<int>(e.y * 64));
          ++want_tiles[{k, l, tile}];
        }
      }
    }
    EXPECT_GT(want_grid.size(), 20u);
    EXPECT_GT(want_tiles.size(), 10u);
    size_t n_grid = 0, n_tiles = 0;
    CellGrid::Chunk x;
    for (size_t chunk = 0; chunk < grid.size(); ++chunk) {
      for (int l = 0; l < 3; ++l) {
        ASSERT_TRUE(grid.Load(chunk, l, &x).ok());
        for (uint32_t lc = 0; lc < x.cells; ++lc) {
          const uint32_t c = x.first_cell + lc;
          EXPECT_EQ(grid.ChunkOf(c), chunk);
          const Key k{std::string(paths.dict[cells.path[c]]), cells.device[c], cells.vb[c]};
          const auto [elo, ehi] = cells.ElementRange(c);
          for (uint32_t i = elo; i < ehi; ++i) {
            const uint32_t e = i - x.first_element;
            ASSERT_EQ(x.hash[e], el.hash[i]);
            const auto [lo, hi] = x.GridRange(e);
            for (uint32_t j = lo; j < hi; ++j, ++n_grid) {
              EXPECT_EQ(x.count[j], (want_grid[{k, l, el.hash[i], x.cell[j]}]))
                  << "list " << l << " hash " << el.hash[i] << " cell " << int{x.cell[j]};
            }
          }
          const auto [lo, hi] = x.TileRange(lc);
          for (uint32_t j = lo; j < hi; ++j, ++n_tiles) {
            EXPECT_EQ(x.tile_count[j], (want_tiles[{k, l, x.tile[j]}])) << "tile " << x.tile[j];
          }
        }
      }
    }
    EXPECT_EQ(n_grid, want_grid.size());
    EXPECT_EQ(n_tiles, want_tiles.size());
    EXPECT_TRUE(ValidateGrid(grid, el, cells).ok());
  }
}

TEST_F(RollupSegmentTest, UnattributedClicksOffThePageLeaveOutTheGrid) {
  std::vector<Event> events = Varied(6, 5);
  Event click = MakeEvent("p", kT0 + 5, U(1), U(2), EventType::kClick, "/");
  click.x = -0.5f;
  click.y = 0.5f;
  click.selector_hash = 9;
  click.ex = 0.5f;
  click.ey = 0.5f;
  events.push_back(click);
  auto seg = Write(events);
  EXPECT_EQ(seg->footer().FindAggregate(StreamKind::kCellTiles), nullptr);
  EXPECT_NE(seg->footer().FindAggregate(StreamKind::kCellGrid), nullptr)
      << "an attributed click needs no tile";
  click.event_id.lo ^= 1;
  click.ex = std::nanf("");  // now its tile is needed
  events.push_back(click);
  seg = Write(events);
  EXPECT_EQ(seg->footer().FindAggregate(StreamKind::kCellGrid), nullptr);
  EXPECT_NE(seg->footer().FindAggregate(StreamKind::kCellElements), nullptr);
}

// Per (session, path): page views and the first and last time of the session's rows there.
TEST_F(RollupSegmentTest, SessionPathStatsFollowTheSessionPaths) {
  const std::vector<Event> events = Varied(4, 40);
  auto seg = Write(events);
  ASSERT_NE(seg, nullptr);
  const RollupBounds b = BoundsOf(seg->footer());
  SessionPathLists viewed, extra;
  ASSERT_TRUE(DecodeSessionPathLists(*Load(*seg, StreamKind::kSessionPaths), b, &viewed).ok());
  ASSERT_TRUE(DecodeSessionPathLists(*Load(*seg, StreamKind::kSessionExtraPaths), b, &extra).ok());
  SessionPathStats stats;
  ASSERT_TRUE(
      stats
          .Open(Load(*seg, StreamKind::kSessionPathStats), viewed.codes.size() + extra.codes.size())
          .ok());
  using P = SessionPathStats;
  ASSERT_TRUE(stats.Load({P::kPageviews, P::kFirstOffset, P::kSpan}).ok());
  std::vector<Uuid> sessions;
  ASSERT_TRUE(seg->LoadUuidDict(ColumnId::kSession, &sessions).ok());
  const StringColumn paths = Dict(*seg, ColumnId::kPath);
  struct Want {
    uint64_t pv = 0;
    int64_t first = INT64_MAX, last = INT64_MIN;
  };
  std::map<std::pair<Uuid, std::string>, Want> want;
  std::map<Uuid, int64_t> start;
  std::map<Uuid, std::set<std::string>> pv_paths;
  for (const Event& e : events) {
    Want& w = want[{e.session_id, e.path}];
    w.pv += e.type == EventType::kPageView;
    w.first = std::min(w.first, e.ts_ms);
    w.last = std::max(w.last, e.ts_ms);
    auto [it, fresh] = start.try_emplace(e.session_id, e.ts_ms);
    if (!fresh) it->second = std::min(it->second, e.ts_ms);
    if (e.type == EventType::kPageView) pv_paths[e.session_id].insert(e.path);
  }
  size_t pairs = 0;
  for (size_t s = 0; s < sessions.size(); ++s) {
    size_t k = viewed.start[s];
    auto check = [&](uint32_t code, size_t at) {
      const Want& w = want[{sessions[s], std::string(paths.dict[code])}];
      EXPECT_EQ(stats.pageviews[at], w.pv);
      EXPECT_EQ(stats.first_offset[at], w.first - start[sessions[s]]);
      EXPECT_EQ(stats.span[at], w.last - w.first);
      ++pairs;
    };
    for (uint32_t code : viewed.Of(s)) {
      EXPECT_TRUE(pv_paths[sessions[s]].count(std::string(paths.dict[code])));
      check(code, k++);
    }
    k = viewed.codes.size() + extra.start[s];
    for (uint32_t code : extra.Of(s)) {
      EXPECT_FALSE(pv_paths[sessions[s]].count(std::string(paths.dict[code])));
      check(code, k++);
    }
  }
  EXPECT_EQ(pairs, want.size());  // every (session, path) of the rows, once
}

TEST_F(RollupSegmentTest, UniformFlagsSayWhichAttributesSessionsKeep) {
  auto flags = [&](const std::vector<Event>& events) {
    auto seg = Write(events);
    SessionAttributes attrs;
    EXPECT_TRUE(
        attrs.Open(Load(*seg, StreamKind::kSessionAttributes), BoundsOf(seg->footer())).ok());
    return attrs.uniform;
  };
  std::vector<Event> events = Varied(5, 10);
  const uint8_t all = kUniformVisitor | kUniformDevice | kUniformViewport | kUniformCountry |
                      kUniformBrowser | kUniformOs;
  EXPECT_EQ(flags(events), all);
  Event resized = events.back();
  resized.event_id.lo ^= 0xff;
  resized.ts_ms += 5;
  resized.viewport_w = resized.viewport_w == 390 ? 400 : 1300;  // another width, the same bucket
  events.push_back(resized);
  EXPECT_EQ(flags(events), all);
  resized.event_id.lo ^= 0xf00;
  resized.viewport_w = 1500;  // another bucket
  resized.browser = "Other";
  events.push_back(resized);
  EXPECT_EQ(flags(events), all & ~kUniformViewport & ~kUniformBrowser);
}

TEST_F(RollupSegmentTest, ClicksOffThePageLeaveOutTheTiles) {
  std::vector<Event> events = Varied(6, 5);
  Event click = MakeEvent("p", kT0 + 5, U(1), U(2), EventType::kClick, "/");
  click.x = -0.5f;
  click.y = 0.5f;
  events.push_back(click);
  auto seg = Write(events);
  EXPECT_EQ(seg->footer().FindAggregate(StreamKind::kCellTiles), nullptr);
  EXPECT_NE(seg->footer().FindAggregate(StreamKind::kCellElements), nullptr);
}

// Golden segments: the exact bytes the writer produces for a fixed day of traffic, so a change
// that was meant to leave the format alone (a refactoring of the rollup writer) is caught when
// it does not. A real format change bumps kSegmentVersion and re-derives the hashes below.
//
// The traffic reaches every branch of the rollup writer: more than 256 paths and visitors (codes
// of two bytes), sessions whose visitor, device, viewport, browser and country change, every
// event type, scrolls past 100 %, clicks without a point, off the page, off the element box,
// without an element, rage and dead, and enough elements for several grid chunks. Only raw
// mt19937_64 outputs are used (the standard distributions differ between libraries).
std::vector<Event> GoldenEvents(uint64_t seed, int sessions) {
  std::mt19937_64 rng(seed);
  auto pick = [&rng](uint64_t n) { return rng() % n; };
  static const char* const kSelectors[] = {"", "a", "b", "#buy", "nav > a"};
  static const char* const kBrowsers[] = {"Chrome", "Firefox", "Safari"};
  static const char* const kOses[] = {"Windows", "macOS", "iOS", "Android"};
  static const char* const kCountries[] = {"US", "DE", "FR"};
  static const uint16_t kWidths[] = {0, 390, 400, 800, 1280, 1300, 1600};
  std::vector<Event> v;
  uint64_t id = 0;
  for (int s = 0; s < sessions; ++s) {
    int64_t t = kT0 + static_cast<int64_t>(pick(kDayMs / 2));
    const Uuid session = U(0x5e5500000000ULL + static_cast<uint64_t>(s), pick(1u << 20));
    Uuid visitor = U(0xa1100000000ULL + static_cast<uint64_t>(s % 450));
    auto device = static_cast<DeviceClass>(pick(4));
    uint16_t width = kWidths[pick(7)];
    const uint16_t height = pick(3) ? static_cast<uint16_t>(500 + pick(600)) : 0;
    std::string browser = kBrowsers[pick(3)];
    const std::string os = kOses[pick(4)];
    const uint64_t country = pick(4);  // 3: unknown
    const std::string referrer = pick(2) ? "https://r" + std::to_string(pick(5)) + ".example/" : "";
    const std::string campaign = pick(3) ? "" : "c" + std::to_string(pick(300));
    for (int k = 0, n = 1 + static_cast<int>(pick(12)); k < n; ++k) {
      if (pick(60) == 0) visitor = U(0xb0b, pick(3));  // signed in: another anonymous id
      if (pick(80) == 0) device = static_cast<DeviceClass>(pick(4));
      if (pick(40) == 0) width = kWidths[pick(7)];
      if (pick(90) == 0) browser = "Other";
      const uint64_t roll = pick(10);
      const EventType type = roll < 3   ? EventType::kPageView
                             : roll < 6 ? EventType::kClick
                             : roll < 8 ? EventType::kScroll
                             : roll < 9 ? EventType::kCustom
                                        : EventType::kScrollMilestone;
      Event e;
      ++id;
      e.project_id = "p";
      e.ts_ms = t;
      e.ingest_ms = t + 120;
      e.event_id = Uuid{0xe000000000000000ULL | id, id * 0x9E3779B97F4A7C15ULL};
      e.session_id = session;
      e.anonymous_id = visitor;
      e.type = type;
      e.path = "/p" + std::to_string(pick(4) ? pick(40) : pick(400));
      e.url = "https://example.com" + e.path;
      e.props = "{}";
      e.referrer = referrer;
      e.utm_campaign = campaign;
      e.utm_source = campaign.empty() ? "" : "news";
      e.device_class = device;
      e.browser = browser;
      e.os = os;
      if (country < 3) std::memcpy(e.country, kCountries[country], 2);
      if (pick(200) == 0) std::memcpy(e.country, "NL", 2);
      e.viewport_w = width;
      e.viewport_h = height;
      if (type == EventType::kCustom) e.name = "signup";
      if (type == EventType::kScroll || type == EventType::kScrollMilestone)
        e.depth_pct = static_cast<uint8_t>(pick(112));
      if (type == EventType::kClick) {
        if (pick(5)) {
          e.x = static_cast<float>(pick(80)) / 64;  // up to 1.25: past the page's edge
          e.y = static_cast<float>(pick(200)) / 64;
        }
        if (pick(4)) {
          e.ex = static_cast<float>(static_cast<int>(pick(20)) - 2) / 16;  // -0.125 .. 1.0625
          e.ey = pick(8) ? static_cast<float>(pick(17)) / 16 : std::nanf("");
        }
        e.selector_hash = pick(4) ? (1 + pick(90)) * 0x9E3779B97F4A7C15ULL : 0;
        e.selector = kSelectors[pick(5)];
        e.flags = static_cast<uint8_t>(pick(4));
      }
      v.push_back(std::move(e));
      t += 1 + static_cast<int64_t>(pick(90000));
    }
  }
  return v;
}

uint64_t Fnv1a(std::string_view bytes, uint64_t h = 0xcbf29ce484222325ULL) {
  for (char c : bytes) h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ULL;
  return h;
}

// A field stream (rollup.h FieldStream) with its fields decompressed: what it holds, whatever
// bytes the zstd library chose to store it in.
std::string UnpackedFieldStream(std::string_view bytes) {
  ByteReader r(bytes);
  uint8_t count = 0;
  EXPECT_TRUE(r.GetFixed8(&count));
  std::vector<uint8_t> codec(count);
  std::vector<uint64_t> raw_len(count), stored_len(count);
  for (size_t f = 0; f < count; ++f) {
    EXPECT_TRUE(r.GetFixed8(&codec[f]) && r.GetVarint64(&raw_len[f]) &&
                r.GetVarint64(&stored_len[f]));
  }
  std::string out(1, static_cast<char>(count));
  for (size_t f = 0; f < count; ++f) {
    std::string_view stored;
    EXPECT_TRUE(r.GetBytes(static_cast<size_t>(stored_len[f]), &stored));
    std::string raw;
    EXPECT_TRUE(DecompressStream(stored, codec[f], raw_len[f], &raw).ok());
    PutVarint64(&out, raw.size());
    out += raw;
  }
  EXPECT_EQ(r.remaining(), 0u);
  return out;
}

// A rollup aggregate as its decoder sees it, with field streams unpacked (the grid's chunk
// sizes left out: they are sizes of compressed bytes).
std::string UnpackedAggregate(StreamKind kind, const std::string& raw) {
  if (kind == StreamKind::kSessionAttributes)
    return raw.substr(0, 1) + UnpackedFieldStream(std::string_view(raw).substr(1));
  if (kind == StreamKind::kSessionPathStats) return UnpackedFieldStream(raw);
  if (kind != StreamKind::kCellGrid) return raw;
  ByteReader r(raw);
  uint64_t elements = 0, cells = 0, chunks = 0;
  EXPECT_TRUE(r.GetVarint64(&elements) && r.GetVarint64(&cells) && r.GetVarint64(&chunks));
  std::string out;
  PutVarint64(&out, elements);
  PutVarint64(&out, cells);
  PutVarint64(&out, chunks);
  std::vector<uint64_t> size(chunks);
  for (uint64_t k = 0; k < chunks; ++k) {
    uint64_t end = 0;
    EXPECT_TRUE(r.GetVarint64(&end) && r.GetVarint64(&size[k]));
    PutVarint64(&out, end);
  }
  for (uint64_t k = 0; k < chunks; ++k) {
    std::string_view chunk;
    EXPECT_TRUE(r.GetBytes(static_cast<size_t>(size[k]), &chunk));
    ByteReader c(chunk);
    for (int i = 0; i < 6; ++i) {  // entries and tiles per list
      uint64_t n = 0;
      EXPECT_TRUE(c.GetVarint64(&n));
      PutVarint64(&out, n);
    }
    out += UnpackedFieldStream(chunk.substr(static_cast<size_t>(c.position() - chunk.data())));
  }
  EXPECT_EQ(r.remaining(), 0u);
  return out;
}

struct GoldenCase {
  const char* name;
  int variant;  // 0: every rollup; 1: no tile rollup; 2: no tile and no grid rollup
  int zstd_level;
  uint64_t content_hash;  // of the aggregates' content, field streams unpacked
  uint64_t file_hash;     // of the whole file, with kGoldenZstd
  size_t grid_chunks;
};
// The zstd the file hashes were derived with (its output is part of the file's bytes).
constexpr unsigned kGoldenZstd = 10504;
constexpr GoldenCase kGoldenCases[] = {
    {"flush", 0, 1, 0xda7890400cd14786, 0x5af2070d136bf28d, 3},
    {"compaction", 0, 9, 0xda7890400cd14786, 0xfe8374c46fa194d3, 3},
    {"no tiles", 1, 1, 0x34bedbca83e4c3f2, 0xf5eee2dcf2bf578b, 3},
    {"no tiles, no grid", 2, 1, 0x87db4ce1a4a773ca, 0x523eb8d842fc9764, 0},
};

class RollupGoldenTest : public RollupSegmentTest {
 protected:
  struct Written {
    std::string bytes;
    uint64_t content_hash = 0;
    size_t grid_chunks = 0;
  };
  Written WriteGolden(const GoldenCase& g) {
    std::vector<Event> events = GoldenEvents(20261207, 2500);
    if (g.variant > 0) {
      Event click = events.front();
      click.event_id.lo ^= 0x5a5a;
      click.type = EventType::kClick;
      click.x = -0.5f;  // off the page: no tile
      click.y = 0.5f;
      click.selector_hash = 77;
      click.ex = g.variant == 1 ? 0.5f : std::nanf("");  // attributed, or its tile is needed
      click.ey = 0.5f;
      events.push_back(click);
    }
    RowBatch batch;
    for (const Event& e : events) batch.Append(e);
    std::vector<uint32_t> rows(batch.rows());
    std::iota(rows.begin(), rows.end(), 0u);
    Written w;
    SegmentFooter footer;
    uint64_t size = 0;
    const std::string path = dir_.path() + "/golden" + std::to_string(++n_) + ".seg";
    EXPECT_TRUE(
        WriteSegmentFile(batch.raw(), rows, {"p", kDay, g.zstd_level}, path, &footer, &size).ok());
    std::ifstream in(path, std::ios::binary);
    w.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    auto seg = Segment::Open(path);
    EXPECT_TRUE(seg.ok());
    if (!seg.ok()) return w;
    EXPECT_TRUE((*seg)->CheckRollups().ok()) << (*seg)->CheckRollups().ToString();
    uint64_t h = Fnv1a("");
    for (const StreamMeta& a : (*seg)->footer().aggregates) {
      const std::string kind(1, static_cast<char>(a.kind));
      h = Fnv1a(kind + UnpackedAggregate(a.kind, *Load(**seg, a.kind)), h);
    }
    w.content_hash = h;
    if ((*seg)->footer().FindAggregate(StreamKind::kCellGrid) != nullptr) {
      CellTable cells;
      EXPECT_TRUE(DecodeCells(Load(**seg, StreamKind::kCells), &cells).ok());
      CellGrid grid;
      EXPECT_TRUE(grid.Open(Load(**seg, StreamKind::kCellGrid), cells).ok());
      w.grid_chunks = grid.size();
    }
    return w;
  }
};

TEST_F(RollupGoldenTest, RollupsHoldTheGoldenBytes) {
  for (const GoldenCase& g : kGoldenCases) {
    SCOPED_TRACE(g.name);
    const Written w = WriteGolden(g);
    EXPECT_EQ(w.content_hash, g.content_hash) << std::hex << "0x" << w.content_hash;
    EXPECT_EQ(w.grid_chunks, g.grid_chunks);
  }
}

// The whole file, compressed streams included. zstd's output is only stable for one version of
// the library, so another version checks the content above alone.
TEST_F(RollupGoldenTest, SegmentFilesHoldTheGoldenBytes) {
  if (ZSTD_versionNumber() != kGoldenZstd) {
    GTEST_SKIP() << "file hashes were derived with zstd " << kGoldenZstd << ", this is "
                 << ZSTD_versionNumber();
  }
  for (const GoldenCase& g : kGoldenCases) {
    SCOPED_TRACE(g.name);
    const Written w = WriteGolden(g);
    EXPECT_EQ(Fnv1a(w.bytes), g.file_hash) << std::hex << "0x" << Fnv1a(w.bytes);
  }
}

}  // namespace
}  // namespace tapistry::store
