#include "app/server_app.h"

#include <atomic>

#include "api/api_routes.h"
#include "api/mailer.h"
#include "api/session_auth.h"
#include "app/data_dir.h"
#include "app/ingest_routes.h"
#include "app/retention.h"
#include "app/store_factory.h"
#include "assetcache/asset_cache.h"
#include "common/env.h"
#include "common/work_queue.h"
#include "http/http_server.h"
#include "http/router.h"
#include "ingest/enrich.h"
#include "ingest/ingest_service.h"
#include "ingest/project_cache.h"
#include "ingest/rate_limiter.h"
#include "ops/logging.h"
#include "ops/metrics.h"
#include "pipeline/pipeline.h"
#include "replay/replay_routes.h"
#include "replay/replay_service.h"
#include "snapshot/snapshot_service.h"
#include "store/embedded/embedded_event_store.h"
#include "tapistry/blob_store.h"
#include "tapistry/event_store.h"
#include "tapistry/limits.h"
#include "tapistry/meta_store.h"

namespace tapistry {

struct ServerApp::Impl {
  Config cfg;
  std::unique_ptr<DataDir> dir;
  MetricsRegistry metrics;
  std::unique_ptr<MetaStore> meta;
  std::unique_ptr<EventStore> store;
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<GeoIpResolver> geo;
  std::unique_ptr<RateLimiter> limiter;
  std::unique_ptr<ProjectCache> projects;
  std::unique_ptr<IngestMonitor> ingest_monitor;
  std::unique_ptr<CookielessIds> cookieless;
  std::unique_ptr<Admission> admission;
  std::unique_ptr<IngestService> ingest;
  std::unique_ptr<BlobStore> blobs;
  std::unique_ptr<SnapshotService> snapshots;
  std::unique_ptr<ReplayService> replay;
  std::unique_ptr<WorkQueue> replay_writes;  // chunk writes wait for fsync: off the I/O threads
  std::unique_ptr<SessionAuth> auth;
  std::unique_ptr<Mailer> smtp;
  std::unique_ptr<RouteAuth> route_auth;
  std::unique_ptr<assetcache::AssetCache> assets;
  std::unique_ptr<WorkQueue> slow_work;  // asset fetches: off the I/O threads
  std::unique_ptr<ReplayAssets> replay_assets;
  std::unique_ptr<WorkQueue> replay_prefetch;  // a stored chunk's assets, fetched in the background
  RouteTable routes;
  std::unique_ptr<Router> router;
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<RetentionJob> retention;
  std::atomic<bool> ready{false};
  bool stopped = false;
};

namespace {

// The demo project behind /demo/ (issue 4: "try it in a minute"): created on the first start of a
// data directory, remembered in the meta store so renaming or deleting other projects never
// brings it back twice.
// Returns the demo project (id empty when it was removed on purpose: no demo site).
Result<Project> EnsureDemoProject(MetaStore* meta) {
  auto id = meta->GetValue(kDemoProjectKey);
  if (!id.ok()) return id.status();
  if (id->has_value()) {
    auto p = meta->GetProject(**id);
    if (p.ok()) return p;
    return Project();
  }
  auto c = meta->CreateProject("Demo", {});
  if (!c.ok()) return c.status();
  TAP_RETURN_IF_ERROR(meta->PutValue(kDemoProjectKey, c->project.id));
  return c->project;
}

// The owner (created on the first start) and, with --owner-email, their address. A project
// without members (made before projects had members, or by `tapistry project create` on a data
// dir without an owner yet) gets the owner as its owner, so no project is out of everyone's reach.
Status EnsureOwner(MetaStore* meta, SessionAuth* auth, const std::string& email) {
  auto owner = auth->OwnerUserId();
  if (!owner.ok()) return owner.status();
  auto projects = meta->ListProjects();
  if (!projects.ok()) return projects.status();
  for (const Project& p : *projects) {
    auto members = meta->ListMembers(p.id);
    if (!members.ok()) return members.status();
    if (members->empty()) TAP_RETURN_IF_ERROR(meta->SetMember(p.id, *owner, Role::kOwner));
  }
  if (email.empty()) return Status::Ok();
  auto want = NormalizeEmail(email);
  if (!want.ok()) return Status::InvalidArgument("--owner-email: " + want.status().message());
  auto user = meta->GetUser(*owner);
  if (!user.ok()) return user.status();
  if (user->email == *want) return Status::Ok();
  Status s = meta->SetUserEmail(*owner, *want);
  if (s.code() == StatusCode::kAlreadyExists)
    return Status::InvalidArgument("--owner-email: another user already has " + *want);
  return s;
}

}  // namespace

ServerApp::ServerApp() : impl_(std::make_unique<Impl>()) {}
ServerApp::~ServerApp() { Stop(); }

Result<std::unique_ptr<ServerApp>> ServerApp::Open(const Config& cfg, const ServerAppHooks& hooks) {
  std::unique_ptr<ServerApp> app(new ServerApp());
  Impl& m = *app->impl_;
  m.cfg = cfg;
  auto dir = DataDir::Open(cfg.data);
  if (!dir.ok()) return dir.status();
  m.dir = std::move(dir).value();

  // Every store comes from its URL (--event-store, --meta-store, --blob-store); by default they
  // are the files under --data, as before the URLs existed.
  auto meta = OpenMetaStore(cfg.MetaStoreUrl());
  if (!meta.ok()) return meta.status();
  m.meta = std::move(meta).value();

  EmbeddedStoreOptions so;
  so.memtable_rows = static_cast<size_t>(cfg.memtable_rows);
  so.memtable_max_age_ms = cfg.memtable_max_age_ms;
  auto store = OpenEventStore(cfg.EventStoreUrl(), so);
  if (!store.ok())
    return Status(store.status().code(), "opening event store: " + store.status().message());
  m.store = std::move(store).value();

  PipelineOptions po;
  po.wal_dir = m.dir->WalDir();
  po.sink = m.store.get();
  po.max_pending_bytes = static_cast<size_t>(cfg.max_pending_mb) << 20;
  po.min_free_disk_bytes = static_cast<uint64_t>(cfg.min_free_disk_mb) << 20;
  auto pipeline = Pipeline::Open(po);
  if (!pipeline.ok())
    return Status(pipeline.status().code(), "opening WAL: " + pipeline.status().message());
  m.pipeline = std::move(pipeline).value();

  m.geo = std::make_unique<GeoIpResolver>(cfg.geoip_dir);
  if (!m.geo->Loaded()) {
    Log(LogLevel::kWarn, "GeoIP database not found: countries will be unknown",
        {{"dir", cfg.geoip_dir}});
  }
  m.limiter = std::make_unique<RateLimiter>(SystemClock());
  m.projects = std::make_unique<ProjectCache>(m.meta.get(), SystemClock());
  IngestLimits lim;
  lim.project_rps = cfg.rate_project_rps;
  lim.ip_rps = cfg.rate_ip_rps;
  lim.session_eps = cfg.rate_session_eps;
  m.ingest_monitor = std::make_unique<IngestMonitor>(SystemClock());
  m.admission = std::make_unique<Admission>(m.projects.get(), m.meta.get(), m.limiter.get(),
                                            &m.metrics, lim, m.ingest_monitor.get());
  m.cookieless = std::make_unique<CookielessIds>(m.meta.get(), SystemClock());
  m.ingest =
      std::make_unique<IngestService>(m.admission.get(), m.pipeline.get(), m.limiter.get(),
                                      m.geo.get(), &m.metrics, SystemClock(), m.cookieless.get());
  auto blobs = OpenBlobStore(cfg.BlobStoreUrl());
  if (!blobs.ok()) return blobs.status();
  m.blobs = std::move(blobs).value();
  SnapshotOptions sno;
  // Only a local blob store can fill the disk this server watches.
  if (auto url = ParseStoreUrl(cfg.BlobStoreUrl()); url.ok() && url->scheme == "file") {
    sno.free_bytes = [blobs_dir = url->path]() -> uint64_t {
      auto free = PosixEnv()->FreeSpace(blobs_dir);
      return free.ok() ? *free : UINT64_MAX;
    };
  }
  sno.min_free_bytes = static_cast<uint64_t>(cfg.min_free_disk_mb) << 20;
  m.snapshots = std::make_unique<SnapshotService>(m.blobs.get(), m.admission.get(), &m.metrics,
                                                  SystemClock(), sno);
  // The asset cache behind the snapshot view and the replay player (docs/assets.md). A stored
  // replay chunk's assets are fetched once, in the background, and kept (replay/replay_assets.h):
  // one worker, 16 chunks waiting at most; past that the player fetches them on first play.
  m.assets = std::make_unique<assetcache::AssetCache>();
  m.replay_assets =
      std::make_unique<ReplayAssets>(m.blobs.get(), m.meta.get(), m.assets.get(), &m.metrics);
  m.replay_prefetch = std::make_unique<WorkQueue>(1, 16);
  ReplayOptions rpo;
  rpo.free_bytes = sno.free_bytes;
  rpo.min_free_bytes = sno.min_free_bytes;
  {
    ReplayAssets* ra = m.replay_assets.get();
    WorkQueue* q = m.replay_prefetch.get();
    rpo.on_stored = [ra, q](const std::string& project_id, const std::string& content) {
      q->Submit([ra, project_id, content] { ra->Prefetch(project_id, content); });
    };
  }
  rpo.funnel_members = [events = m.store.get()](const FunnelMembersQuery& q) {
    return events->FunnelMembers(q);
  };
  m.replay = std::make_unique<ReplayService>(m.blobs.get(), m.meta.get(), m.limiter.get(),
                                             &m.metrics, SystemClock(), rpo);
  // Two writers: fsyncs of different sessions overlap; 256 waiting chunks, then 503 + Retry-After.
  m.replay_writes = std::make_unique<WorkQueue>(2, 256);
  SessionOptions so_auth;
  so_auth.idle_ms = cfg.session_idle_minutes * 60 * 1000;
  so_auth.absolute_ms = cfg.session_max_hours * 3600 * 1000;
  auto auth =
      SessionAuth::Open(m.meta.get(), hooks.auth_clock ? hooks.auth_clock : SystemClock(), so_auth);
  if (!auth.ok()) return auth.status();
  m.auth = std::move(auth).value();
  Mailer* mailer = hooks.mailer;
  if (mailer == nullptr && !cfg.smtp_host.empty()) {
    SmtpOptions smtp;
    smtp.host = cfg.smtp_host;
    smtp.port = static_cast<int>(cfg.smtp_port);
    smtp.user = cfg.smtp_user;
    smtp.password = cfg.smtp_password;
    smtp.tls = cfg.smtp_tls;
    smtp.from = cfg.smtp_from;
    auto sm = NewSmtpMailer(smtp);
    if (!sm.ok()) return sm.status();
    m.smtp = std::move(sm).value();
    mailer = m.smtp.get();
  }
  if (m.smtp && cfg.smtp_tls == "none" && cfg.smtp_host != "127.0.0.1" &&
      cfg.smtp_host != "localhost" && cfg.smtp_host != "::1") {
    Log(LogLevel::kWarn,
        "--smtp-tls none sends sign-in links and the SMTP password in plain text to another host",
        {{"smtp_host", cfg.smtp_host}});
  }
  if (mailer != nullptr && cfg.public_url.empty()) {
    Log(LogLevel::kWarn,
        "--smtp-host is set but --public-url is not: sign-in links are logged, not mailed (a link "
        "is never built from a request's Host header)");
  }
  m.route_auth = std::make_unique<RouteAuth>(m.meta.get(), m.auth.get());
  RouterOptions ro;
  ro.trusted_proxies = cfg.trusted_proxies;
  ro.country_header = cfg.country_header;
  if (cfg.demo) {
    auto demo = EnsureDemoProject(m.meta.get());
    if (!demo.ok()) return demo.status();
    ro.demo_key = demo->public_key;
    ro.demo_project_id = demo->id;
  }
  TAP_RETURN_IF_ERROR(EnsureOwner(m.meta.get(), m.auth.get(), cfg.owner_email));
  m.router = std::make_unique<Router>(ro, &m.routes, m.route_auth.get(), m.admission.get(),
                                      &m.metrics, [&m] { return m.ready.load(); });
  // The route table: every route the server answers, with its auth policy and body limit.
  m.slow_work = std::make_unique<WorkQueue>(4, 256);
  ApiDeps api;
  api.meta = m.meta.get();
  api.events = m.store.get();
  api.auth = m.auth.get();
  api.snapshots = m.snapshots.get();
  api.install_status = [mon = m.ingest_monitor.get()](const Project& p) {
    return mon->StatusJson(p);
  };
  api.assets = m.assets.get();
  WorkQueue* slow = m.slow_work.get();
  api.run_blocking = [slow](std::function<void()> job) { return slow->Submit(std::move(job)); };
  api.clock = hooks.auth_clock ? hooks.auth_clock : SystemClock();
  api.metrics = &m.metrics;
  ReplayService* replay = m.replay.get();
  api.delete_recording = [replay](const std::string& project, const std::string& session) {
    return replay->DeleteSession(project, session);
  };
  api.purge_deleted = [pl = m.pipeline.get(), meta = m.meta.get()]() -> Status {
    TAP_RETURN_IF_ERROR(pl->RetireWal());
    return meta->PurgeDeleted();
  };
  api.mailer = mailer;
  api.public_url = cfg.public_url;
  ServerApp* self = app.get();
  api.log_base_url = [self] { return self->BaseUrl(); };
  RateLimiter* limiter = m.limiter.get();
  api.allow = [limiter](std::string_view key, double rate, double burst, int* retry) {
    return limiter->Allow(key, rate, burst, 1, retry);
  };
  ReplayIngest replay_ingest;
  replay_ingest.service = m.replay.get();
  WorkQueue* replay_writes = m.replay_writes.get();
  replay_ingest.run_blocking = [replay_writes](std::function<void()> job) {
    return replay_writes->Submit(std::move(job));
  };
  for (Status s : {AddIngestRoutes(&m.routes, m.admission.get(), m.ingest.get(), m.snapshots.get(),
                                   replay_ingest),
                   AddReplayReadRoutes(&m.routes, m.replay.get()),
                   AddReplayAssetRoute(&m.routes, m.replay_assets.get(), api.run_blocking),
                   AddAuthRoutes(&m.routes, api), AddAnalyticsRoutes(&m.routes, api),
                   AddSnapshotRoutes(&m.routes, api), AddPrivacyRoutes(&m.routes, api),
                   AddFunnelRoutes(&m.routes, api), AddProjectRoutes(&m.routes, api),
                   m.router->AddOpsAndStaticRoutes(&m.routes)}) {
    if (!s.ok()) return s;
  }

  // Gauges read at scrape time. The event store's are whichever its backend reports
  // (EventStore::Gauges: the same names on every call, so they are registered once here).
  EventStore* st = m.store.get();
  Pipeline* pl = m.pipeline.get();
  for (const StoreGauge& g : st->Gauges()) {
    m.metrics.AddGauge("tapistry_" + g.name, g.help,
                       [st, name = g.name] { return FindGauge(st->Gauges(), name).value_or(0); });
  }
  m.metrics.AddGauge("tapistry_wal_bytes", "Bytes in WAL files",
                     [pl] { return double(pl->Stats().wal_bytes); });
  m.metrics.AddGauge("tapistry_wal_fsyncs", "WAL group commits (fsyncs) since start",
                     [pl] { return double(pl->Stats().wal_fsyncs); });
  m.metrics.AddGauge("tapistry_wal_fsync_p50_seconds", "WAL fsync latency, median",
                     [pl] { return pl->Stats().fsync_latency.PercentileUs(0.5) / 1e6; });
  m.metrics.AddGauge("tapistry_wal_fsync_p99_seconds", "WAL fsync latency, 99th percentile",
                     [pl] { return pl->Stats().fsync_latency.PercentileUs(0.99) / 1e6; });
  m.metrics.AddGauge("tapistry_pipeline_pending_bytes", "Bytes waiting for the WAL fsync",
                     [pl] { return double(pl->Stats().pending_bytes); });
  m.metrics.AddGauge("tapistry_dedupe_ids", "Event ids in the 48 h dedupe set",
                     [pl] { return double(pl->Stats().dedupe_ids); });
  m.metrics.AddGauge("tapistry_dedupe_memory_bytes", "Memory of the dedupe set",
                     [pl] { return double(pl->Stats().dedupe_memory_bytes); });
  m.metrics.AddGauge("tapistry_pipeline_backpressure_total",
                     "Batches refused with 503 (any reason)", [pl] {
                       double n = 0;
                       for (uint64_t v : pl->Stats().rejected) n += double(v);
                       return n;
                     });

  HttpServerOptions ho;
  ho.host = cfg.Host();
  ho.port = cfg.Port();
  ho.threads = cfg.threads;
  ho.header_timeout_ms = cfg.header_timeout_ms;
  ho.body_timeout_ms = cfg.body_timeout_ms;
  ho.max_conns_per_ip = static_cast<size_t>(cfg.max_conns_per_ip);
  ho.trusted_peers = cfg.trusted_proxies;  // a proxy carries every client's connections
  const RouteTable* table = &m.routes;
  ho.body_limit = [table](std::string_view path) -> size_t {
    const size_t limit = table->BodyLimit(path);
    return limit ? limit : limits::kMaxApiBody;  // no route: the router answers 404
  };
  ho.route_label = [table](std::string_view path) { return table->Label(path); };
  Router* router = m.router.get();
  m.http = std::make_unique<HttpServer>(
      ho,
      [router](HttpRequest&& req, Responder respond) {
        router->Handle(std::move(req), std::move(respond));
      },
      &m.metrics);
  return app;
}

Status ServerApp::Start() {
  TAP_RETURN_IF_ERROR(impl_->http->Start());
  impl_->retention =
      std::make_unique<RetentionJob>(impl_->meta.get(), impl_->store.get(), impl_->snapshots.get(),
                                     impl_->replay.get(), SystemClock(), &impl_->metrics);
  impl_->retention->Start();
  impl_->ready = true;
  return Status::Ok();
}

uint16_t ServerApp::port() const { return impl_->http->port(); }

const RouteTable& ServerApp::routes() const { return impl_->routes; }

std::string ServerApp::BaseUrl() const {
  if (!impl_->cfg.public_url.empty()) return impl_->cfg.public_url;
  std::string host = impl_->cfg.Host();
  if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port());
}

Result<std::string> ServerApp::SignInLink() {
  auto token = impl_->auth->IssueSignInToken();
  if (!token.ok()) return token.status();
  return BaseUrl() + "/auth/signin?token=" + *token;
}

void ServerApp::Stop() {
  Impl& m = *impl_;
  if (m.stopped) return;
  m.stopped = true;
  m.ready = false;
  if (m.http) m.http->Stop(m.cfg.drain_ms);
  m.slow_work.reset();      // after the listener: no new fetches; waits for the running ones
  m.replay_writes.reset();  // likewise: a chunk being written finishes (and its answer is dropped)
  if (m.replay_assets) m.replay_assets->Stop();
  m.replay_prefetch.reset();  // the prefetch in progress ends after its current fetch
  if (m.retention) m.retention->Stop();
  if (m.pipeline) {
    Status s = m.pipeline->Close();
    if (!s.ok()) Log(LogLevel::kError, "closing pipeline", {{"error", s.ToString()}});
  }
  if (m.store) {
    Status s = m.store->Close();
    if (!s.ok()) Log(LogLevel::kError, "closing event store", {{"error", s.ToString()}});
  }
}

}  // namespace tapistry
