// ApiService: the read API (spec §6.2) over EventStore and MetaStore. Every endpoint needs
// `Authorization: Bearer <read_token>` for the project it names (the dashboard session cookie is
// added by the accounts work and goes through the same Authorize()).
// Endpoints: GET /api/overview, GET /api/events. Responses are JSON; errors are
// {"error","reason"} with 400/401/403/404.
// Thread-safety: Handle may be called concurrently.
#pragma once

#include "common/reply.h"
#include "common/request.h"
#include "ops/metrics.h"
#include "tapistry/clock.h"
#include "tapistry/event_store.h"
#include "tapistry/meta_store.h"

namespace tapistry {

class ApiService {
 public:
  ApiService(MetaStore* meta, EventStore* events, Clock* clock, MetricsRegistry* metrics);

  // True when the path belongs to the API (then *reply is set).
  bool Handle(const HttpRequest& req, Reply* reply);

 private:
  // The project the request may read, or the error reply to send.
  Status Authorize(const HttpRequest& req, const std::string& project_id);
  Status ParseFilter(const HttpRequest& req, EventFilter* f);
  Reply Overview(const HttpRequest& req);
  Reply Events(const HttpRequest& req);

  MetaStore* meta_;
  EventStore* events_;
  Clock* clock_;
  MetricsRegistry* metrics_;
};

// An event as API JSON: the wire-format keys plus the server-side fields.
void WriteEventJson(const Event& e, class JsonWriter* w);

// "YYYY-MM-DD" or a ms timestamp -> UTC day number.
bool ParseDayParam(std::string_view s, int32_t* day);

}  // namespace tapistry
