// Helpers shared by the API route files (api_routes.h): replies, CSV, event JSON, filters.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/reply.h"
#include "common/route.h"
#include "tapistry/event.h"
#include "tapistry/event_store.h"
#include "tapistry/status.h"

namespace tapistry {

class JsonWriter;

Reply ErrorReply(const Status& s);
Reply JsonReply(std::string body);
Reply CsvReply(std::string body, const std::string& filename);
// RFC 4180 field. A cell that a spreadsheet would read as a formula — starting with = + - @, tab
// or CR, also after leading spaces — gets a leading apostrophe.
std::string CsvField(std::string_view v);
// Adapts a synchronous handler to a RouteHandler.
RouteHandler Sync(std::function<Reply(const RouteCall&)> f);

// An event as API JSON: the wire-format keys plus the server-side fields.
void WriteEventJson(const Event& e, JsonWriter* w);

// The common filter of the read routes: the authorized project, from/to (common/params.h),
// path, device, vw, and bots (`include` | `exclude`, the default: EventFilter::include_bots).
Status ParseFilter(const RouteCall& call, int64_t now_ms, EventFilter* f);

}  // namespace tapistry
