#include "app/ingest_routes.h"

#include <charconv>

#include "tapistry/limits.h"

namespace tapistry {
namespace {

bool BodyEncoded(const HttpRequest& req) {
  const std::string_view enc = req.Header("content-encoding");
  return (!enc.empty() && enc != "identity") || req.Query("gz") == "1";
}

std::function<std::optional<Reply>(RouteCall*)> Admit(Admission* admission, IngestChannel ch) {
  return [admission, ch](RouteCall* call) {
    return admission->Admit(call->req, call->client_ip, ch, BodyEncoded(call->req), &call->project);
  };
}

}  // namespace

Status AddIngestRoutes(RouteTable* t, Admission* admission, IngestService* ingest,
                       SnapshotService* snapshots, ReplayIngest replay) {
  if (replay.service != nullptr) {
    // JSON or JSONL (spec §4.1); text/plain is what sendBeacon sends without a preflight.
    TAP_RETURN_IF_ERROR(t->Add(Route{
        "POST", "/r", AuthPolicy::kPublicIngest, limits::kMaxReplayBodySent, limits::kMaxReplayBody,
        true, CorsPolicy::kIngest, "replay",
        [replay](RouteCall&& call, Responder respond) {
          const std::string_view ctype = call.req.Header("content-type");
          if (!ctype.empty() && !ctype.starts_with("application/json") &&
              !ctype.starts_with("text/plain") && !ctype.starts_with("application/x-ndjson") &&
              !ctype.starts_with("application/octet-stream")) {
            return respond(JsonError(415, "unsupported_media_type",
                                     "Content-Type must be application/json, application/x-ndjson, "
                                     "application/octet-stream or text/plain"));
          }
          auto shared = std::make_shared<RouteCall>(std::move(call));
          auto job = [service = replay.service, shared, respond]() {
            respond(service->Ingest(*shared));
          };
          if (!replay.run_blocking(std::move(job))) {
            Reply busy =
                JsonError(503, "unavailable", "too many replay chunks being written; try again");
            busy.AddHeader("Retry-After", "1");
            respond(std::move(busy));
          }
        },
        Admit(admission, IngestChannel::kReplay)}));
  }
  TAP_RETURN_IF_ERROR(t->Add(
      Route{"POST", "/i", AuthPolicy::kPublicIngest, limits::kMaxIngestBody, limits::kMaxIngestBody,
            true, CorsPolicy::kIngest, "ingest",
            [ingest](RouteCall&& call, Responder respond) {
              std::string_view ctype = call.req.Header("content-type");
              if (!ctype.empty() && !ctype.starts_with("application/json") &&
                  !ctype.starts_with("text/plain")) {
                return respond(JsonError(415, "unsupported_media_type",
                                         "Content-Type must be application/json or text/plain"));
              }
              IngestRequest in;
              in.project = std::move(call.project);
              in.body = std::move(call.req.body);
              in.origin = std::string(call.req.Header("origin"));
              in.user_agent = std::string(call.req.Header("user-agent"));
              in.has_accept_language = !call.req.Header("accept-language").empty();
              in.client_ip = call.client_ip;
              in.country_hint = call.country_hint;
              std::string_view ct = call.req.Header("x-client-time");
              if (!ct.empty()) std::from_chars(ct.data(), ct.data() + ct.size(), in.client_time_ms);
              ingest->HandleEvents(std::move(in), std::move(respond));
            },
            Admit(admission, IngestChannel::kEvents)}));
  if (snapshots == nullptr) return Status::Ok();
  TAP_RETURN_IF_ERROR(t->Add(
      Route{"POST", "/s", AuthPolicy::kPublicIngest, limits::kMaxSnapshotBody,
            limits::kMaxSnapshotHtml, true, CorsPolicy::kIngest, "ingest",
            [snapshots](RouteCall&& call, Responder respond) { respond(snapshots->Ingest(call)); },
            Admit(admission, IngestChannel::kSnapshot)}));
  return t->Add(
      Route{"GET", "/s", AuthPolicy::kPublicIngest, limits::kMaxApiBody, 0, false,
            CorsPolicy::kIngest, "ingest",
            [snapshots](RouteCall&& call, Responder respond) { respond(snapshots->Wanted(call)); },
            Admit(admission, IngestChannel::kSnapshotQuery)});
}

}  // namespace tapistry
