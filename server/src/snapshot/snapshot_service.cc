#include "snapshot/snapshot_service.h"

#include <simdjson.h>

#include "common/crypto.h"
#include "common/gzip.h"
#include "common/json_writer.h"
#include "ingest/url.h"
#include "tapistry/event.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

// Snapshots are refreshed now and then; these limits only stop floods.
constexpr double kProjectPerSecond = 20;
constexpr double kIpPerSecond = 1;
constexpr double kIpBurst = 5;
// GET /s is one small lookup per qualifying page view (at most one per path a day per browser).
constexpr double kQueryIpPerSecond = 5;
constexpr double kQueryIpBurst = 30;

// The blob's JSON object fields as int64 (absent or not integers: 0).
int64_t IntField(simdjson::dom::element doc, const char* name) {
  auto v = doc[name];
  return !v.error() && v.is_int64() ? int64_t(v.value_unsafe()) : 0;
}

}  // namespace

SnapshotService::SnapshotService(BlobStore* blobs, ProjectCache* projects, RateLimiter* limiter,
                                 MetricsRegistry* metrics, Clock* clock)
    : blobs_(blobs), projects_(projects), limiter_(limiter), metrics_(metrics), clock_(clock) {}

std::string SnapshotService::Key(const std::string& project_id, const std::string& path, uint8_t bucket) {
  return "snapshots/" + project_id + "/" + Sha256Hex(path).substr(0, 32) + "/" + std::to_string(bucket) + ".json";
}

std::string SnapshotService::MetaKey(const std::string& project_id, const std::string& path, uint8_t bucket) {
  return "snapshots/" + project_id + "/" + Sha256Hex(path).substr(0, 32) + "/" + std::to_string(bucket) + ".meta.json";
}

bool SnapshotService::WantSnapshot(const std::optional<Stored>& stored, int64_t now_ms, int64_t hash) {
  if (!stored) return true;
  const int64_t age = now_ms - stored->captured_at;
  return age >= kRefreshMs || (stored->hash != hash && age >= kChangedMs);
}

std::optional<Reply> SnapshotService::Admit(const std::string& key, const std::string& origin,
                                            const std::string& client_ip, std::shared_ptr<const Project>* project,
                                            bool query) {
  auto reject = [this](int status, const char* code, const std::string& reason) {
    metrics_->GetCounter("tapistry_snapshot_rejections_total", "Refused snapshots by reason",
                         std::string("reason=\"") + code + "\"")->Inc();
    return JsonError(status, code, reason);
  };
  if (key.empty()) return reject(401, "missing_key", "no project key: send \"k\" in the body or ?k=");
  auto p = projects_->ByKey(key);
  if (!p.ok()) return reject(401, "unknown_key", "unknown project key");
  if (!origin.empty() && !OriginAllowed(**p, origin)) {
    return reject(403, "origin_not_allowed", "origin " + origin + " is not in the project's allowed origins");
  }
  int retry = 1;
  const bool allowed =
      query ? client_ip.empty() || limiter_->Allow("snapq:ip:" + client_ip, kQueryIpPerSecond, kQueryIpBurst, 1, &retry)
            : limiter_->Allow("snap:p:" + (*p)->id, kProjectPerSecond, kProjectPerSecond, 1, &retry) &&
                  (client_ip.empty() || limiter_->Allow("snap:ip:" + client_ip, kIpPerSecond, kIpBurst, 1, &retry));
  if (!allowed) {
    Reply r = reject(429, "rate_limited", "too many snapshots");
    r.AddHeader("Retry-After", std::to_string(retry));
    return r;
  }
  *project = *p;
  return std::nullopt;
}

Reply SnapshotService::Wanted(const HttpRequest& req, const std::string& client_ip) {
  std::string key = std::string(req.Header("x-project-key"));
  if (key.empty()) key = req.Query("k");
  const std::string origin(req.Header("origin"));
  std::shared_ptr<const Project> project;
  if (auto refused = Admit(key, origin, client_ip, &project, /*query=*/true)) return std::move(*refused);
  auto bad = [](const std::string& reason) { return JsonError(400, "invalid_argument", reason); };
  const std::string url = req.Query("u");
  ParsedUrl pu;
  if (!ParseHttpUrl(url, &pu)) return bad("u must be the page's absolute http(s) URL");
  int64_t w = 0, h = 0;
  try {
    size_t used = 0;
    const std::string ws = req.Query("w"), hs = req.Query("h");
    w = std::stoll(ws, &used);
    if (used != ws.size()) throw std::invalid_argument("w");
    h = std::stoll(hs, &used);
    if (used != hs.size()) throw std::invalid_argument("h");
  } catch (const std::exception&) {
    return bad("w (viewport width) and h (structure hash) must be integers");
  }
  if (w < 1 || w > limits::kMaxViewport) return bad("w must be 1..20000");
  const std::string path = RoutePath(pu);
  const uint8_t bucket = ViewportBucket(static_cast<uint16_t>(w));
  std::optional<Stored> stored;
  if (auto meta = blobs_->Get(MetaKey(project->id, path, bucket)); meta.ok()) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (!parser.parse(*meta).get(doc) && doc.is_object()) stored = Stored{IntField(doc, "captured_at"), IntField(doc, "h")};
  }
  const bool want = WantSnapshot(stored, clock_->NowMs(), h);
  metrics_->GetCounter("tapistry_snapshot_queries_total", "GET /s answers", want ? "want=\"true\"" : "want=\"false\"")->Inc();
  Reply r;
  r.body = want ? "{\"want\":true}" : "{\"want\":false}";
  if (!origin.empty()) {
    r.AddHeader("Access-Control-Allow-Origin", origin);
    r.AddHeader("Vary", "Origin");
  }
  return r;
}

Reply SnapshotService::Ingest(const HttpRequest& req, const std::string& client_ip) {
  auto reject = [this](int status, const char* code, const std::string& reason) {
    metrics_->GetCounter("tapistry_snapshot_rejections_total", "Refused snapshots by reason",
                         std::string("reason=\"") + code + "\"")->Inc();
    return JsonError(status, code, reason);
  };
  std::string inflated;
  std::string_view body = req.body;
  if (req.Query("gz") == "1") {
    Status s = GunzipBounded(req.body, kMaxSnapshotHtml, limits::kMaxGzipRatio, &inflated);
    if (!s.ok()) return reject(HttpStatusFor(s.code()), StatusCodeName(s.code()), s.message());
    body = inflated;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(body.data(), body.size()).get(doc); err || !doc.is_object()) {
    return reject(400, "invalid_argument", "body must be a JSON object");
  }
  std::string key = std::string(req.Header("x-project-key"));
  if (key.empty()) key = req.Query("k");
  std::string_view url, html;
  int64_t vw = 0, vh = 0, dw = 0, dh = 0, hash = 0;
  for (auto f : doc.get_object()) {
    if (f.key == "k" && f.value.is_string() && key.empty()) key = std::string(std::string_view(f.value));
    else if (f.key == "url" && f.value.is_string()) url = std::string_view(f.value);
    else if (f.key == "html" && f.value.is_string()) html = std::string_view(f.value);
    else if (f.key == "h" && f.value.is_int64()) hash = int64_t(f.value);
    else if ((f.key == "viewport" || f.key == "doc") && f.value.is_object()) {
      for (auto d : f.value.get_object()) {
        if (!d.value.is_int64()) continue;
        int64_t v = int64_t(d.value);
        if (d.key == "w") (f.key == "viewport" ? vw : dw) = v;
        if (d.key == "h") (f.key == "viewport" ? vh : dh) = v;
      }
    }
  }
  const std::string origin(req.Header("origin"));
  std::shared_ptr<const Project> project;
  if (auto refused = Admit(key, origin, client_ip, &project, /*query=*/false)) return std::move(*refused);
  ParsedUrl pu;
  std::string clean_url;
  if (!ParseHttpUrl(url, &pu) || !SanitizeUrl(url, project->settings.query_allowlist, &clean_url)) {
    return reject(400, "invalid_argument", "url must be an absolute http(s) URL");
  }
  if (html.empty()) return reject(400, "invalid_argument", "html is required");
  auto in_range = [](int64_t v) { return v > 0 && v <= 200000; };
  if (!in_range(vw) || !in_range(vh) || vw > limits::kMaxViewport || vh > limits::kMaxViewport) {
    return reject(400, "invalid_argument", "viewport {w,h} must be integers 1..20000");
  }
  if (!in_range(dw) || !in_range(dh)) return reject(400, "invalid_argument", "doc {w,h} must be integers 1..200000");
  std::string path = RoutePath(pu);
  uint8_t bucket = ViewportBucket(static_cast<uint16_t>(vw));
  const int64_t now = clock_->NowMs();
  JsonWriter w;
  w.BeginObject()
      .Key("url").String(clean_url)
      .Key("path").String(path)
      .Key("captured_at").Int(now)
      .Key("viewport").BeginObject().Key("w").Int(vw).Key("h").Int(vh).EndObject()
      .Key("doc").BeginObject().Key("w").Int(dw).Key("h").Int(dh).EndObject()
      .Key("vw_bucket").String(ViewportBucketName(bucket))
      .Key("html").String(html)
      .EndObject();
  Status s = blobs_->Put(Key(project->id, path, bucket), w.str());
  if (s.ok()) {
    // What GET /s compares against; written second, so it never describes a snapshot not stored.
    JsonWriter meta;
    meta.BeginObject().Key("captured_at").Int(now).Key("h").Int(hash).EndObject();
    s = blobs_->Put(MetaKey(project->id, path, bucket), meta.str());
  }
  if (!s.ok()) return reject(503, "unavailable", "could not store the snapshot: " + s.message());
  metrics_->GetCounter("tapistry_snapshots_stored_total", "Snapshots stored")->Inc();
  Reply r;
  r.body = "{\"stored\":true,\"path\":";
  AppendJsonString(&r.body, path);
  r.body += "}";
  if (!origin.empty()) {
    r.AddHeader("Access-Control-Allow-Origin", origin);
    r.AddHeader("Vary", "Origin");
  }
  return r;
}

Result<std::string> SnapshotService::Get(const std::string& project_id, const std::string& path,
                                         std::optional<uint8_t> bucket) {
  if (bucket) return blobs_->Get(Key(project_id, path, *bucket));
  for (int b = 4; b >= 0; --b) {
    auto r = blobs_->Get(Key(project_id, path, static_cast<uint8_t>(b)));
    if (r.ok() || r.status().code() != StatusCode::kNotFound) return r;
  }
  return Status::NotFound("no snapshot of " + path + " yet: it is captured by the SDK on the next visit");
}

std::string SnapshotService::StatusJson(const std::string& project_id, const std::string& path,
                                    std::optional<uint8_t> bucket) {
  auto r = Get(project_id, path, bucket);
  if (!r.ok()) return "{\"exists\":false}";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  int64_t at = 0;
  if (!parser.parse(*r).get(doc) && doc.is_object()) {
    auto v = doc["captured_at"];
    if (!v.error() && v.is_int64()) at = int64_t(v.value_unsafe());
  }
  return "{\"exists\":true,\"captured_at\":" + std::to_string(at) + "}";
}

}  // namespace tapistry
