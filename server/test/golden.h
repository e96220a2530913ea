// Golden cases (golden/README.md): small files of input events, queries and the answers worked
// out by hand, in the spirit of ClickHouse's .sql/.reference and DuckDB's sqllogictest. This is
// the loader and the pieces the runner (golden_test.cc) and the honesty test share: parsing a
// file, parsing a query, asking a store, comparing JSON.
//
// A file:
//   -- events                 then one event per line, the import wire form of
//   {...}                     docs/wire-format.md with the shorthands of golden/README.md
//   -- query                  then one JSON object (may span lines)
//   -- expect                 then the expected answer (JSON, may span lines) with at least one
//   # why: ...                '#' comment saying why it is what it is
//   (more query/expect pairs)
// Lines starting with '#' are comments everywhere.
//
// Thread-safety: functions are pure apart from reading files; test code.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tapistry/event_store.h"
#include "tapistry/funnel.h"
#include "tapistry/status.h"

namespace tapistry::golden {

struct Case {
  int line = 0;                       // of its "-- query" marker, for messages
  std::string query;                  // JSON object
  std::string expect;                 // JSON value
  std::vector<std::string> comments;  // '#' lines of its query and expect blocks
};

struct File {
  std::string name;  // file name without directory
  std::vector<Event> events;
  std::vector<Case> cases;
};

// The *.golden files of `dir`, sorted by name.
std::vector<std::string> ListFiles(const std::string& dir);
// Reads and parses one file (events through ingest's EventParser in import mode).
Status Load(const std::string& path, File* out);
Status Parse(std::string_view text, const std::string& name, File* out);

enum class QueryKind {
  kOverview,
  kHeatmap,
  kScrollMap,
  kElements,
  kBreakdown,
  kPaths,
  kLiveVisitors,
  kListEvents,
  kFunnel,
  kFunnelMembers,
  kFunnelTimes,
  kElementHeatmap,
  kLayouts
};

struct Query {
  QueryKind kind = QueryKind::kOverview;
  EventFilter filter;
  size_t limit = 0;  // overview: top pages (10); elements, breakdown, paths: 100; list: 1000;
                     // element_heatmap: 200 (the API's default)
  Interval interval = Interval::kDay;  // overview: "interval": "day" | "hour"
  ClickKind click_kind = ClickKind::kAll;
  Dimension dimension = Dimension::kPage;
  std::string contains;
  int64_t since_ms = 0;
  std::optional<EventType> type;
  FunnelQuery funnel;
  size_t furthest = 0;  // funnel_members
};

// Parses a case's query (golden/README.md lists the keys of each kind).
Status ParseQuery(std::string_view json, Query* out);

// The store's answer as result JSON (result_json.h); nullopt for a query kind it cannot ask.
std::optional<std::string> Answer(EventStore& store, const Query& q);

// Structural JSON equality: objects as key sets, arrays in order, integers exact, other numbers
// within 1e-6 (element positions are float averages), strings and literals exact. The failure
// message names the first differing place and prints both documents.
::testing::AssertionResult SameJson(std::string_view got, std::string_view want);

// Parses "YYYY-MM-DD HH:MM:SS[.mmm]" (UTC; a 'T' for the space and a trailing 'Z' are allowed).
bool ParseTimestamp(std::string_view s, int64_t* ms);

}  // namespace tapistry::golden
