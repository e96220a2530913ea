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
// Three roles, one object. The write side is EventSink (event_sink.h: Append, Flush,
// PersistedSeq, ScanEventIds and the durability contract), which EventStore derives from: the
// ingest pipeline depends on EventSink alone, so its test doubles implement four methods and no
// query. Derived rather than composed (a Sink() accessor returning a second object) because a
// backend's write and read sides share its state (the embedded memtable is both where Append
// puts rows and what queries read), so one class implements both and a caller that needs both
// (the server, the importer) holds one pointer. Below: the product queries (the read side), then
// the operator's calls (DSAR deletes, retention, gauges, Close).
//
// Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tapistry/event.h"
#include "tapistry/event_sink.h"
#include "tapistry/status.h"

namespace tapistry {

struct FunnelQuery;  // tapistry/funnel.h
struct FunnelResult;
struct FunnelMembersQuery;
struct FunnelMembersResult;

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
// Only scroll events with a depth of 0..100 are counted (ingest requires one; other rows are
// noise).
struct ScrollMapResult {
  std::vector<uint64_t> histogram = std::vector<uint64_t>(101, 0);  // index = depth_pct
  uint64_t views = 0;                                               // number of scroll events
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
// kVisitorType is a funnel breakdown only (funnel.h: "first" / "returning"); Breakdown refuses it
// and ParseDimension does not read it (ParseFunnelBreakdown does).
enum class Dimension : uint8_t {
  kPage,
  kEntryPage,
  kReferrer,
  kUtmSource,
  kUtmMedium,
  kUtmCampaign,
  kDevice,
  kBrowser,
  kOs,
  kCountry,
  kVisitorType
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

// A figure a backend reports about itself, for GET /metrics (exported as "tapistry_" + name, a
// gauge) and status output. Which figures exist is the backend's business (the embedded store
// reports memtable rows, segments, flushes, compactions...), except kStoreRowsGauge, which every
// backend reports and the conformance suite checks.
struct StoreGauge {
  std::string name;  // Prometheus-style, without the "tapistry_" prefix: "store_rows"
  std::string help;  // one line, for the # HELP line
  double value = 0;
};
// Events stored, of every project, bots included (each event once, wherever it sits).
inline constexpr std::string_view kStoreRowsGauge = "store_rows";
// The value of the gauge named `name` in `gauges`; nullopt when absent.
std::optional<double> FindGauge(const std::vector<StoreGauge>& gauges, std::string_view name);

class EventStore : public EventSink {
 public:
  // The write side (Append, Flush, PersistedSeq, ScanEventIds) is EventSink's; the read side,
  // the product's queries, follows.

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

  // The operator's calls: privacy requests, retention, monitoring, shutdown.

  // DSAR: removes every event of the project whose anonymous_id (or user_id) matches.
  // Returns the number of rows removed.
  virtual Result<uint64_t> DeleteSubject(const std::string& project_id,
                                         const std::optional<Uuid>& anonymous_id,
                                         const std::optional<std::string>& user_id) = 0;
  // DSAR: the distinct session ids, ascending, of the project's events whose anonymous_id (or
  // user_id) matches — what else a DSAR delete must reach (recordings are keyed by session).
  // Bots' events included. InvalidArgument as DeleteSubject.
  virtual Result<std::vector<Uuid>> SubjectSessions(const std::string& project_id,
                                                    const std::optional<Uuid>& anonymous_id,
                                                    const std::optional<std::string>& user_id) = 0;
  // DSAR export: every stored event of the project whose anonymous_id (or user_id) matches, bots'
  // included, oldest first (equal ts_ms: smaller event_id first). InvalidArgument as
  // DeleteSubject.
  virtual Result<std::vector<Event>> SubjectEvents(const std::string& project_id,
                                                   const std::optional<Uuid>& anonymous_id,
                                                   const std::optional<std::string>& user_id) = 0;
  // Drops the project's events of every UTC day d < today - keep_days (keep_days = 0 keeps
  // only today's), bots' included. Returns the number of rows removed. InvalidArgument when
  // keep_days < 0.
  virtual Result<uint64_t> ApplyRetention(const std::string& project_id, int32_t today,
                                          int keep_days) = 0;

  // The backend's figures (StoreGauge), kStoreRowsGauge among them; the same names on every
  // call, so /metrics can register them once at start-up. Cheap: read at every scrape.
  virtual std::vector<StoreGauge> Gauges() const = 0;
  // Stops background work after persisting what was appended (Flush).
  virtual Status Close() = 0;
};

}  // namespace tapistry
