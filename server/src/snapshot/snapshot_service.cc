#include "snapshot/snapshot_service.h"

#include <simdjson.h>

#include "common/crypto.h"
#include "common/json_writer.h"
#include "common/params.h"
#include "ingest/url.h"
#include "tapistry/event.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

// The blob's JSON object fields as int64 (absent or not integers: 0).
int64_t IntField(simdjson::dom::element doc, const char* name) {
  auto v = doc[name];
  return !v.error() && v.is_int64() ? int64_t(v.value_unsafe()) : 0;
}

constexpr std::string_view kHtml = ".html";
constexpr std::string_view kMeta = ".meta.json";
constexpr std::string_view kLegacy = ".json";  // before the HTML was kept apart: meta + html in one

std::string OriginOf(const ParsedUrl& u) { return u.scheme + "://" + u.host; }

// A page's path as its events store it: normalized, then named by the project's path rules.
std::string StoredPath(const Project& project, const ParsedUrl& pu) {
  std::string path = RoutePath(pu);
  ApplyPathRules(project.settings.path_rules, &path);
  return path;
}

}  // namespace

SnapshotService::SnapshotService(BlobStore* blobs, Admission* admission, MetricsRegistry* metrics,
                                 Clock* clock, SnapshotOptions opts)
    : blobs_(blobs), admission_(admission), metrics_(metrics), clock_(clock),
      opts_(std::move(opts)) {
  if (opts_.max_per_project == 0) opts_.max_per_project = limits::kMaxSnapshotsPerProject;
  if (opts_.max_bytes_per_project == 0)
    opts_.max_bytes_per_project = limits::kMaxSnapshotBytesPerProject;
}

std::string SnapshotService::Base(const std::string& project_id, const std::string& path,
                                  uint8_t bucket) const {
  return "snapshots/" + project_id + "/" + Sha256Hex(path).substr(0, 32) + "/" +
         std::to_string(bucket);
}

bool SnapshotService::WantSnapshot(const std::optional<Stored>& stored, int64_t now_ms,
                                   int64_t hash) {
  return !stored || stored->hash != hash || now_ms - stored->captured_at >= kRefreshMs;
}

bool SnapshotService::ShouldStore(const std::optional<Stored>& stored, int64_t now_ms,
                                  int64_t hash) {
  (void)hash;  // any structure: at most one store an hour per page and width
  return !stored || now_ms - stored->captured_at >= kChangedMs;
}

Reply SnapshotService::Refuse(int status, const char* code, const std::string& reason) {
  metrics_
      ->GetCounter("tapistry_ingest_rejections_total",
                   "Refused ingestion requests by channel and reason",
                   std::string("channel=\"snapshot\",reason=\"") + code + "\"")
      ->Inc();
  return JsonError(status, code, reason);
}

std::optional<SnapshotService::Stored> SnapshotService::ReadMeta(const std::string& base) {
  auto meta = blobs_->Get(base + std::string(kMeta));
  if (!meta.ok()) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(*meta).get(doc) || !doc.is_object()) return std::nullopt;
  return Stored{IntField(doc, "captured_at"), IntField(doc, "h"),
                static_cast<uint64_t>(IntField(doc, "bytes"))};
}

Result<SnapshotService::Usage> SnapshotService::UsageOf(const std::string& project_id) {
  {
    std::lock_guard lock(mu_);
    auto it = usage_.find(project_id);
    if (it != usage_.end()) return it->second;
  }
  auto keys = blobs_->List("snapshots/" + project_id + "/");
  if (!keys.ok()) return keys.status();
  Usage u;
  for (const std::string& k : *keys) {
    if (!k.ends_with(kMeta)) continue;
    ++u.pages;
    if (auto m = ReadMeta(k.substr(0, k.size() - kMeta.size()))) u.bytes += m->bytes;
  }
  std::lock_guard lock(mu_);
  return usage_.emplace(project_id, u).first->second;
}

Reply SnapshotService::Wanted(const RouteCall& call) {
  const HttpRequest& req = call.req;
  auto bad = [](const std::string& reason) { return JsonError(400, "invalid_argument", reason); };
  const std::string url = req.Query("u");
  ParsedUrl pu;
  if (!ParseHttpUrl(url, &pu)) return bad("u must be the page's absolute http(s) URL");
  auto w = ParseIntStrict(req.Query("w"), 1, limits::kMaxViewport);
  auto h = ParseIntStrict(req.Query("h"), INT64_MIN, INT64_MAX);
  if (!w.ok() || !h.ok())
    return bad("w (viewport width, 1..20000) and h (structure hash) must be integers");
  const std::optional<Stored> stored = ReadMeta(Base(
      call.project->id, StoredPath(*call.project, pu), ViewportBucket(static_cast<uint16_t>(*w))));
  const bool want = WantSnapshot(stored, clock_->NowMs(), *h);
  metrics_
      ->GetCounter("tapistry_snapshot_queries_total", "GET /s answers",
                   want ? "want=\"true\"" : "want=\"false\"")
      ->Inc();
  Reply r;
  r.body = want ? "{\"want\":true}" : "{\"want\":false}";
  return r;
}

Reply SnapshotService::Ingest(const RouteCall& call) {
  const std::string_view body = call.req.body;
  const Project& project = *call.project;
  if (body.size() > limits::kMaxSnapshotHtml)
    return Refuse(413, "too_large", "snapshot larger than 16 MB");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(body.data(), body.size()).get(doc); err || !doc.is_object()) {
    return Refuse(400, "invalid_argument", "body must be a JSON object");
  }
  std::string_view url, html;
  int64_t vw = 0, vh = 0, dw = 0, dh = 0, hash = 0;
  for (auto f : doc.get_object()) {
    if (f.key == "url" && f.value.is_string()) url = std::string_view(f.value);
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
  ParsedUrl pu;
  std::string clean_url;
  if (!ParseHttpUrl(url, &pu) || !SanitizeUrl(url, project.settings.query_allowlist, &clean_url)) {
    return Refuse(400, "invalid_argument", "url must be an absolute http(s) URL");
  }
  // The page must be on the project's site: an allowed origin, or (no allowlist) the origin this
  // browser request comes from, when the project's events come from it too.
  const std::string page_origin = OriginOf(pu);
  const std::string origin(call.req.Header("origin"));
  if (!project.allowed_origins.empty()) {
    if (!OriginAllowed(project, page_origin)) {
      return Refuse(403, "origin_not_allowed",
                    "the page " + page_origin + " is not on the project's allowed origins");
    }
  } else if (origin != page_origin || !admission_->EventOriginSeen(project, origin)) {
    return Refuse(403, "origin_not_allowed",
                  "the page must be on the origin the request and the project's events come from "
                  "(or set allowed origins)");
  }
  if (html.empty()) return Refuse(400, "invalid_argument", "html is required");
  auto in_range = [](int64_t v) { return v > 0 && v <= 200000; };
  if (!in_range(vw) || !in_range(vh) || vw > limits::kMaxViewport || vh > limits::kMaxViewport) {
    return Refuse(400, "invalid_argument", "viewport {w,h} must be integers 1..20000");
  }
  if (!in_range(dw) || !in_range(dh))
    return Refuse(400, "invalid_argument", "doc {w,h} must be integers 1..200000");
  if (opts_.free_bytes && opts_.free_bytes() < opts_.min_free_bytes + html.size()) {
    Reply r = Refuse(503, "disk_full",
                     "the server's disk is nearly full; snapshots resume when space is freed");
    r.AddHeader("Retry-After", "60");
    return r;
  }
  const std::string path = StoredPath(project, pu);
  const uint8_t bucket = ViewportBucket(static_cast<uint16_t>(vw));
  const std::string base = Base(project.id, path, bucket);
  const int64_t now = clock_->NowMs();

  auto usage = UsageOf(project.id);
  if (!usage.ok())
    return Refuse(503, "unavailable",
                  "snapshots cannot be stored now: " + usage.status().message());
  std::lock_guard lock(mu_);  // one store at a time: the caps hold under concurrency
  const std::optional<Stored> stored = ReadMeta(base);
  Reply accepted;
  accepted.status = 202;
  accepted.body = "{\"accepted\":true,\"path\":";
  AppendJsonString(&accepted.body, path);
  accepted.body += "}";
  if (!ShouldStore(stored, now, hash)) return accepted;
  Usage& u = usage_[project.id];
  const uint64_t old_bytes = stored ? stored->bytes : 0;
  if (!stored && u.pages >= opts_.max_per_project) {
    return Refuse(507, "snapshot_quota",
                  "the project keeps " + std::to_string(opts_.max_per_project) +
                      " page snapshots at most; older ones expire after 30 days");
  }
  if (u.bytes - std::min(u.bytes, old_bytes) + html.size() > opts_.max_bytes_per_project) {
    return Refuse(507, "snapshot_quota",
                  "the project's snapshots use their whole storage allowance");
  }
  JsonWriter meta;
  meta.BeginObject()
      .Key("url")
      .String(clean_url)
      .Key("path")
      .String(path)
      .Key("captured_at")
      .Int(now)
      .Key("viewport")
      .BeginObject()
      .Key("w")
      .Int(vw)
      .Key("h")
      .Int(vh)
      .EndObject()
      .Key("doc")
      .BeginObject()
      .Key("w")
      .Int(dw)
      .Key("h")
      .Int(dh)
      .EndObject()
      .Key("vw_bucket")
      .String(ViewportBucketName(bucket))
      .Key("h")
      .Int(hash)
      .Key("bytes")
      .Uint(html.size())
      .EndObject();
  // The HTML first, the meta second: a meta never describes HTML that is not stored.
  Status s = blobs_->Put(base + std::string(kHtml), std::string(html));
  if (s.ok()) s = blobs_->Put(base + std::string(kMeta), meta.str());
  if (!s.ok()) return Refuse(503, "unavailable", "could not store the snapshot: " + s.message());
  (void)blobs_->Delete(base + std::string(kLegacy));
  if (!stored) ++u.pages;
  u.bytes = u.bytes - std::min(u.bytes, old_bytes) + html.size();
  metrics_->GetCounter("tapistry_snapshots_stored_total", "Snapshots stored")->Inc();
  return accepted;
}

Result<std::string> SnapshotService::Get(const std::string& project_id, const std::string& path,
                                         std::optional<uint8_t> bucket) {
  for (int b = bucket ? *bucket : 4; b >= (bucket ? *bucket : 0); --b) {
    const std::string base = Base(project_id, path, static_cast<uint8_t>(b));
    auto meta = blobs_->Get(base + std::string(kMeta));
    if (meta.ok()) {
      auto html = blobs_->Get(base + std::string(kHtml));
      if (!html.ok()) return html.status();
      std::string out = *meta;
      while (!out.empty() && out.back() != '}') out.pop_back();
      if (out.empty()) return Status::Internal("snapshot meta of " + path + " is damaged");
      out.pop_back();
      out += ",\"html\":";
      AppendJsonString(&out, *html);
      out += "}";
      return out;
    }
    if (meta.status().code() != StatusCode::kNotFound) return meta.status();
    auto legacy = blobs_->Get(base + std::string(kLegacy));
    if (legacy.ok() || legacy.status().code() != StatusCode::kNotFound) return legacy;
  }
  return Status::NotFound("no snapshot of " + path +
                          " yet: it is captured by the SDK on the next visit");
}

std::string SnapshotService::StatusJson(const std::string& project_id, const std::string& path,
                                        std::optional<uint8_t> bucket) {
  for (int b = bucket ? *bucket : 4; b >= (bucket ? *bucket : 0); --b) {
    const std::string base = Base(project_id, path, static_cast<uint8_t>(b));
    if (auto m = ReadMeta(base))
      return "{\"exists\":true,\"captured_at\":" + std::to_string(m->captured_at) + "}";
    auto legacy = blobs_->Get(base + std::string(kLegacy));
    if (!legacy.ok()) continue;
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    int64_t at = 0;
    if (!parser.parse(*legacy).get(doc) && doc.is_object()) at = IntField(doc, "captured_at");
    return "{\"exists\":true,\"captured_at\":" + std::to_string(at) + "}";
  }
  return "{\"exists\":false}";
}

Result<size_t> SnapshotService::Sweep() {
  auto keys = blobs_->List("snapshots/");
  if (!keys.ok()) return keys.status();
  const int64_t cutoff = clock_->NowMs() - limits::kSnapshotRetentionMs;
  size_t removed = 0;
  for (const std::string& k : *keys) {
    if (!k.ends_with(kMeta)) continue;
    const std::string base = k.substr(0, k.size() - kMeta.size());
    std::optional<Stored> m = ReadMeta(base);
    if (!m || m->captured_at >= cutoff) continue;
    std::lock_guard lock(mu_);
    for (std::string_view ext : {kHtml, kLegacy, kMeta})
      TAP_RETURN_IF_ERROR(blobs_->Delete(base + std::string(ext)));
    ++removed;
    // snapshots/<project>/...: the project's usage is recounted on its next store.
    const size_t a = std::string_view("snapshots/").size();
    usage_.erase(base.substr(a, base.find('/', a) - a));
  }
  if (removed)
    metrics_->GetCounter("tapistry_snapshots_expired_total", "Snapshots deleted by retention")
        ->Inc(removed);
  return removed;
}

}  // namespace tapistry
