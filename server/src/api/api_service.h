// ApiService: the read API (spec §6.2) over EventStore and MetaStore, and the dashboard sign-in.
// A request is authorized by a dashboard session cookie (SessionAuth; any project until accounts
// exist) or by `Authorization: Bearer <read_token>` for the project it names.
// Endpoints: GET /api/overview, /api/events, /api/me, /api/projects; GET /auth/signin?token=,
// POST /auth/signout. Responses are JSON; errors are {"error","reason"} with 400/401/403/404.
// Thread-safety: Handle may be called concurrently.
#pragma once

#include "common/reply.h"
#include "common/request.h"
#include "api/session_auth.h"
#include "ops/metrics.h"
#include "tapistry/clock.h"
#include "tapistry/event_store.h"
#include "tapistry/meta_store.h"

namespace tapistry {

class ApiService {
 public:
  ApiService(MetaStore* meta, EventStore* events, SessionAuth* auth, class SnapshotService* snapshots,
             Clock* clock, MetricsRegistry* metrics);

  // True when the path belongs to the API (then *reply is set).
  bool Handle(const HttpRequest& req, Reply* reply);

 private:
  // Whether the request may read `project_id`.
  Status Authorize(const HttpRequest& req, const std::string& project_id);
  // The dashboard session of the request, if any (sets its CSRF token).
  bool HasSession(const HttpRequest& req, std::string* csrf) const;
  Reply SignIn(const HttpRequest& req);
  Reply Me(const HttpRequest& req);
  Reply Projects(const HttpRequest& req);
  Reply Snapshot(const HttpRequest& req, bool status_only);
  Reply BookmarkletToken(const HttpRequest& req);
  Reply DsarDelete(const HttpRequest& req);
  // The session's CSRF check for state-changing requests; Ok or the error to reply with.
  Status CheckSessionWrite(const HttpRequest& req);
  Status ParseFilter(const HttpRequest& req, EventFilter* f);
  Reply Overview(const HttpRequest& req);
  Reply Heatmap(const HttpRequest& req);
  Reply ScrollMap(const HttpRequest& req);
  Reply Elements(const HttpRequest& req);
  Reply Breakdown(const HttpRequest& req);
  Reply Paths(const HttpRequest& req);
  Reply Events(const HttpRequest& req);

  MetaStore* meta_;
  EventStore* events_;
  SessionAuth* auth_;
  class SnapshotService* snapshots_;
  Clock* clock_;
  MetricsRegistry* metrics_;
};

// An event as API JSON: the wire-format keys plus the server-side fields.
void WriteEventJson(const Event& e, class JsonWriter* w);

// "YYYY-MM-DD" or a ms timestamp -> UTC day number.
bool ParseDayParam(std::string_view s, int32_t* day);

}  // namespace tapistry
