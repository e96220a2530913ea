// EventStore: where analytics events live and how the product's numbers are computed from them.
// Two implementations (DESIGN §2): EmbeddedEventStore (columnar segments under the data dir) and,
// later, ClickHouseEventStore. Both pass server/test/event_store_conformance_test.cc and must
// return identical results for every query (DESIGN §5 defines each number).
//
// Every query is pure virtual: there is no default answer to inherit. The numbers are defined by
// the comments here and by DESIGN §5; server/test/reference_event_store.h computes them by brute
// force over the test's own events, and server/test/golden/ holds hand-reasoned cases that both
// the reference and every backend must reproduce.
//
// Durability contract: the pipeline writes events to the WAL and fsyncs before it calls Append,
// passing the WAL sequence number of the last record in the batch. The store reports, through
// PersistedSeq(), the highest sequence whose events are in its own durable storage; the pipeline
// may drop WAL records at or below it and replays the rest into Append after a restart.
//
// Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tapistry/clock.h"
#include "tapistry/event.h"
#include "tapistry/status.h"

namespace tapistry {

struct FunnelQuery;   // tapistry/funnel.h
struct FunnelResult;
struct FunnelMembersQuery;
struct FunnelMembersResult;
class Env;  // server/src/common/env.h: tests put a fault-injecting one under the embedded store

// Which events a query looks at. Days are UTC day numbers (DayOf), inclusive on both ends.
struct EventFilter {
  std::string project_id;
  int32_t from_day = 0;
  int32_t to_day = 0;
  std::optional<std::string> path;          // normalized path, exact match
  std::optional<DeviceClass> device_class;  // exact match
  std::optional<uint8_t> viewport_bucket;   // ViewportBucket(viewport_w)
  // Bots: events with bot_score >= kBotScoreThreshold (event.h; docs/glossary.md). By default a
  // query sees only the other events, exactly as if the bots' were not stored; with include_bots
  // it sees every event. Per event, not per session or visitor: a session whose later requests
  // were scored as a bot keeps its earlier events in the default view.
  bool include_bots = false;
};

// The buckets of OverviewResult::series: UTC days, or UTC hours, of ts_ms.
enum class Interval : uint8_t { kDay = 0, kHour = 1 };
// The widest range an hourly series may span (Overview answers InvalidArgument past it).
inline constexpr int32_t kMaxHourlyDays = 7;

// GET /api/overview (issue 2). Visitors = distinct anonymous_id; sessions = distinct session_id;
// pageviews = number of page_view events. Each counted over the events the filter selects.
struct OverviewQuery {
  EventFilter filter;
  int top_pages_limit = 10;
  Interval interval = Interval::kDay;  // of the series; totals and top pages do not depend on it
};
struct OverviewTotals {
  uint64_t pageviews = 0;
  uint64_t sessions = 0;
  uint64_t visitors = 0;
  // Sessions with at least one page_view, and those with exactly one (bounce rate = bounced /
  // sessions_with_pageviews). Counted over the selected events: a session's page views in the
  // range (or in that day or hour, in the series).
  uint64_t sessions_with_pageviews = 0;
  uint64_t bounced_sessions = 0;
  // Sum over sessions of (last event ts - first event ts) within the selection; the average
  // session duration is total_duration_ms / sessions.
  uint64_t total_duration_ms = 0;
  bool operator==(const OverviewTotals&) const = default;
};
// One entry of the series: the totals above over only the selected events whose ts_ms falls in
// the entry's UTC day (Interval::kDay) or UTC hour (kHour). So sessions and visitors are the
// distinct ids with an event in it; a session with events in several days or hours counts in
// each of them (once in the range's totals), with the page views, bounce and duration (last -
// first ts) of its events in that entry alone. Every day of the range is present (kHour: its 24
// hours each, so 24 x days entries), zeros included, ascending.
struct OverviewDay {
  int32_t day = 0;
  OverviewTotals totals;
  int32_t hour = -1;  // kHour: the UTC hour of `day` (0..23); -1 in a daily series
  bool operator==(const OverviewDay&) const = default;
};
struct TopPage {
  std::string path;
  uint64_t pageviews = 0;  // page_view events with this path
  uint64_t sessions = 0;   // distinct sessions with a page_view of this path
  bool operator==(const TopPage&) const = default;
};
struct OverviewResult {
  OverviewTotals totals;
  std::vector<OverviewDay> series;
  std::vector<TopPage> top_pages;  // pageviews desc, then path asc; at most top_pages_limit
  bool operator==(const OverviewResult&) const = default;
};

// GET /api/heatmap: clicks on one path in 64x64 document tiles (DESIGN §5):
// i = min(63, floor(x*64)), j = min(63, floor(y*64)) over `click` events with a point.
enum class ClickKind : uint8_t { kAll = 0, kRage = 1, kDead = 2 };  // kRage/kDead: flag set
struct HeatmapQuery {
  EventFilter filter;  // filter.path is required
  ClickKind kind = ClickKind::kAll;
};
struct HeatmapTile {
  uint8_t i = 0, j = 0;
  uint64_t count = 0;
  bool operator==(const HeatmapTile&) const = default;
};
struct HeatmapResult {
  std::vector<HeatmapTile> tiles;  // non-zero tiles, ascending by (i, j)
  uint64_t total = 0;              // sum of tile counts
  uint64_t pageviews = 0;          // page_view events of the path (same filter)
  bool operator==(const HeatmapResult&) const = default;
};

// GET /api/scrollmap: the `scroll` events (one per page view, depth_pct = deepest point reached).
// Only scroll events with a depth of 0..100 are counted (ingest requires one; other rows are noise).
struct ScrollMapResult {
  std::vector<uint64_t> histogram = std::vector<uint64_t>(101, 0);  // index = depth_pct
  uint64_t views = 0;  // number of scroll events
  // The average fold: of those scroll events, the ones with a viewport height (> 0), and the sum
  // of their heights in CSS px. avg fold = fold_px_sum / fold_views (the API rounds it).
  uint64_t fold_views = 0;
  uint64_t fold_px_sum = 0;
  bool operator==(const ScrollMapResult&) const = default;
};

// GET /api/elements: clicks grouped by selector_hash (clicks with selector_hash 0 count in
// total_clicks only).
struct ElementStat {
  uint64_t selector_hash = 0;
  std::string selector;  // the smallest non-empty selector string seen for the hash ("" if none)
  uint64_t clicks = 0, rage = 0, dead = 0;
  // Mean element-relative position over the clicks that have one (0 if none). The sum behind it
  // is floating-point, so its last bits depend on the order clicks are added in, which is not
  // part of the contract: a backend agrees with the reference when each mean is within a
  // relative 1e-9 of the reference's (the conformance suite's SameElements). The API rounds
  // them to 4 decimals. Every other field is exact.
  double ex = 0, ey = 0;
  bool operator==(const ElementStat&) const =
      default;  // bitwise; see SameElements for the contract
};
struct ElementsResult {
  std::vector<ElementStat> elements;  // clicks desc, then selector_hash asc; at most `limit`
  uint64_t total_clicks = 0;          // every click event of the selection
  bool operator==(const ElementsResult&) const = default;
};

// GET /api/heatmap/elements (issue 13): each click drawn on the element it hit. Over the `click`
// events of q.filter (filter.path required) and q.kind (as Heatmap), a click is *attributed*
// when selector_hash != 0 and ex, ey are both finite: it counts in its element's 16x16 grid at
// cell gy * 16 + gx, gx = min(15, floor(clamp(ex, 0, 1) * 16)) computed in float (gy likewise
// from ey; so ex = 1.0 and ex > 1 are column 15, ex < 0 column 0). Every other click that has a
// point (x, y) counts in `unattached`, in Heatmap's 64x64 document tiles; a click that is
// neither counts nowhere.
inline constexpr int kElementGrid = 16;
struct ElementGridCell {
  uint8_t index = 0;  // gy * 16 + gx
  uint64_t count = 0;
  bool operator==(const ElementGridCell&) const = default;
};
struct ElementGrid {
  uint64_t selector_hash = 0;
  // The smallest non-empty selector among the selection's clicks with this hash, of any kind,
  // attributed or not: the name TopElements gives it under the same filter ("" if none).
  std::string selector;
  uint64_t count = 0;                  // attributed clicks (> 0)
  std::vector<ElementGridCell> cells;  // non-zero cells, ascending by index
  bool operator==(const ElementGrid&) const = default;
};
struct ElementHeatmapResult {
  std::vector<ElementGrid> elements;    // count desc, then selector_hash asc; at most `limit`
  std::vector<HeatmapTile> unattached;  // as HeatmapResult::tiles, over the unattributed clicks
  uint64_t total = 0;                   // attributed + unattached clicks, whatever the limit cuts
  uint64_t attributed = 0;  // attributed clicks, those of elements past the limit included
  uint64_t pageviews = 0;   // as HeatmapResult::pageviews
  bool operator==(const ElementHeatmapResult&) const = default;
};

// GET /api/layouts: one row per (device_class, ViewportBucket(viewport_w)) with any selected
// event (255 = unknown width is a bucket of its own): its page_view and click events.
struct LayoutCount {
  DeviceClass device_class = DeviceClass::kUnknown;
  uint8_t viewport_bucket = 255;
  uint64_t pageviews = 0, clicks = 0;
  bool operator==(const LayoutCount&) const = default;
};

// GET /api/breakdown. Event-level dimensions (page, device, browser, os, country): a row's
// visitors = distinct anonymous_id among the selected events with that value, pageviews =
// page_view events with that value. Session-level dimensions (entry_page, referrer, utm_*): each
// session is attributed to the value on its first page_view in the selection (earliest ts, then
// smallest event_id); visitors = distinct anonymous_id of those sessions; pageviews = all
// page_views of those sessions. Sessions without a page_view are not attributed. Referrer value =
// the referrer URL's host ("" = none/direct).
enum class Dimension : uint8_t {
  kPage, kEntryPage, kReferrer, kUtmSource, kUtmMedium, kUtmCampaign, kDevice, kBrowser, kOs, kCountry
};
const char* DimensionName(Dimension d);
bool ParseDimension(std::string_view s, Dimension* out);
struct BreakdownRow {
  std::string value;  // device: "desktop"...; country: ISO-2 or ""
  uint64_t visitors = 0;
  uint64_t pageviews = 0;
  bool operator==(const BreakdownRow&) const = default;
};
struct BreakdownResult {
  std::vector<BreakdownRow> rows;  // visitors desc, then value asc; at most `limit`
  uint64_t total_visitors = 0;     // distinct anonymous_id of the whole selection
  bool operator==(const BreakdownResult&) const = default;
};

// GET /api/paths: page_view counts per path containing `contains`.
struct PathCount {
  std::string path;
  uint64_t pageviews = 0;
  bool operator==(const PathCount&) const = default;
};

struct EventStoreStats {
  uint64_t rows_total = 0;        // rows in segments + memtable
  uint64_t rows_in_memtable = 0;
  uint64_t segments = 0;
  uint64_t bytes_on_disk = 0;
  uint64_t flushes = 0;
  uint64_t compactions = 0;
  double last_flush_ms = 0;
  double last_compaction_ms = 0;
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Makes the events visible to queries (within 1 s at most) and schedules them for persistence.
  // All or nothing: on error none of the events were added (the pipeline retries whole batches).
  // `last_seq` is the WAL sequence of the batch (0 when the caller has no WAL, e.g. import).
  virtual Status Append(std::span<const Event> events, uint64_t last_seq) = 0;
  // Persists everything appended so far; on return PersistedSeq() covers it.
  virtual Status Flush() = 0;
  // Highest WAL sequence whose events are durable in the store's own files.
  virtual uint64_t PersistedSeq() const = 0;

  // InvalidArgument when filter.from_day > filter.to_day, or for Interval::kHour over more
  // than kMaxHourlyDays days.
  virtual Result<OverviewResult> Overview(const OverviewQuery& q) = 0;

  // Every query below returns InvalidArgument when filter.from_day > filter.to_day.
  virtual Result<HeatmapResult> Heatmap(const HeatmapQuery& q) = 0;
  virtual Result<ScrollMapResult> ScrollMap(const EventFilter& f) = 0;
  virtual Result<ElementsResult> TopElements(const EventFilter& f, size_t limit) = 0;
  // At most `limit` elements; InvalidArgument without filter.path.
  virtual Result<ElementHeatmapResult> ElementHeatmap(const HeatmapQuery& q, size_t limit) = 0;
  // Ordered by pageviews desc, clicks desc, device_class asc (its number), viewport_bucket asc.
  virtual Result<std::vector<LayoutCount>> Layouts(const EventFilter& f) = 0;
  virtual Result<BreakdownResult> Breakdown(const EventFilter& f, Dimension d, size_t limit) = 0;
  // pageviews desc, then path asc; at most `limit`.
  virtual Result<std::vector<PathCount>> Paths(const EventFilter& f, const std::string& contains,
                                               size_t limit) = 0;
  // Units through the query's steps, exactly as tapistry/funnel.h defines them; InvalidArgument
  // for a query ValidateFunnelQuery refuses.
  virtual Result<FunnelResult> Funnel(const FunnelQuery& q) = 0;
  // The units behind one bar of that funnel (funnel.h); InvalidArgument as
  // ValidateFunnelMembersQuery says.
  virtual Result<FunnelMembersResult> FunnelMembers(const FunnelMembersQuery& q) = 0;
  // Distinct anonymous_id of the project with any event whose ts_ms >= since_ms (on any day);
  // bots' events count only with include_bots (as in EventFilter).
  virtual Result<uint64_t> LiveVisitors(const std::string& project_id, int64_t since_ms,
                                        bool include_bots) = 0;

  // Raw events the filter selects (optionally of one type), oldest first (equal ts_ms: smaller
  // event_id first), at most `limit`.
  // Used by the raw-event API (end-to-end tests, DSAR export); not a hot path.
  virtual Result<std::vector<Event>> ListEvents(const EventFilter& filter,
                                                std::optional<EventType> type, size_t limit) = 0;

  // Calls fn for the event_id and ingest time of every stored event with ingest_ms >= since_ms
  // (any order), used to rebuild the dedupe window after a restart: the window runs from when an
  // event was accepted, and ingest accepts events whose own ts is days old.
  virtual Status ScanEventIds(int64_t since_ms,
                              const std::function<void(const Uuid&, int64_t ingest_ms)>& fn) = 0;
  // DSAR: removes every event of the project whose anonymous_id (or user_id) matches.
  // Returns the number of rows removed.
  virtual Result<uint64_t> DeleteSubject(const std::string& project_id,
                                         const std::optional<Uuid>& anonymous_id,
                                         const std::optional<std::string>& user_id) = 0;
  // Drops whole days older than `keep_days` before `today` for the project.
  virtual Status ApplyRetention(const std::string& project_id, int32_t today, int keep_days) = 0;

  virtual EventStoreStats Stats() const = 0;
  // Stops background work after persisting the memtable.
  virtual Status Close() = 0;
};

struct EmbeddedStoreOptions {
  std::string dir;                       // <data>/events
  size_t memtable_rows = 1 << 19;        // flush when the memtable holds this many rows
  int64_t memtable_max_age_ms = 5000;    // ... or when its oldest row is this old
  bool background = true;                // run flush/compaction threads
  // Run compaction at nice 10 so request threads keep the CPU (serve); a bulk import has
  // nothing else to protect. Flushes always run at normal priority: the WAL writer waits for
  // them once a second memtable fills, so a niced flush would stall every acknowledgement.
  bool low_priority_compaction = true;
  Clock* clock = nullptr;                // nullptr = SystemClock()
  Env* env = nullptr;                    // file system (common/env.h); nullptr = the real one
};

Result<std::unique_ptr<EventStore>> OpenEmbeddedEventStore(const EmbeddedStoreOptions& opts);

}  // namespace tapistry
