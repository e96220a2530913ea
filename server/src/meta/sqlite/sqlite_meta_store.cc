// SqliteMetaStore: the embedded MetaStore. One connection guarded by a mutex: metadata traffic is
// tiny (project lookups are cached by ingest/ProjectCache), so serializing is simpler than pooling.
#include <simdjson.h>
#include <sqlite3.h>

#include <mutex>

#include "common/crypto.h"
#include "common/json_writer.h"
#include "tapistry/clock.h"
#include "tapistry/limits.h"
#include "tapistry/meta_store.h"

namespace tapistry {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS projects (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  public_key TEXT NOT NULL UNIQUE,
  allowed_origins TEXT NOT NULL DEFAULT '[]',
  settings TEXT NOT NULL DEFAULT '{}',
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS read_tokens (
  token_hash TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS funnels (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  definition TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS funnels_by_project ON funnels(project_id, created_ms, id);
CREATE TABLE IF NOT EXISTS replay_chunks (
  project_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  chunk_index INTEGER NOT NULL,
  first_ts INTEGER NOT NULL,
  last_ts INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  events INTEGER NOT NULL,
  truncated INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  PRIMARY KEY (project_id, session_id, chunk_index)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS replay_sessions (
  project_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  first_ts INTEGER NOT NULL,
  last_ts INTEGER NOT NULL,
  chunks INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  events INTEGER NOT NULL,
  truncated INTEGER NOT NULL,
  first_received_ms INTEGER NOT NULL,
  last_received_ms INTEGER NOT NULL,
  PRIMARY KEY (project_id, session_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS replay_sessions_newest ON replay_sessions(project_id, first_ts DESC, session_id);
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  email TEXT UNIQUE,
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS signin_links (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id),
  nonce_hash TEXT NOT NULL,
  expires_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS signin_links_expiry ON signin_links(expires_ms);
CREATE TABLE IF NOT EXISTS dashboard_sessions (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users(id),
  created_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  user_agent TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dashboard_sessions_by_user ON dashboard_sessions(user_id, created_ms);
CREATE TABLE IF NOT EXISTS project_members (
  project_id TEXT NOT NULL REFERENCES projects(id),
  user_id TEXT NOT NULL REFERENCES users(id),
  role INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (project_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS project_members_by_user ON project_members(user_id);
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  details TEXT NOT NULL,
  ts_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_by_project ON audit_log(project_id, id);
)sql";

constexpr const char* kUserColumns = "id,coalesce(email,''),created_ms";
constexpr const char* kDashboardSessionColumns =
    "id,user_id,created_ms,last_seen_ms,expires_ms,user_agent";

// The columns SessionRow reads, in its order.
constexpr const char* kSessionColumns =
    "session_id,first_ts,last_ts,chunks,bytes,events,truncated,first_received_ms,last_received_ms";

std::string StringsToJson(const std::vector<std::string>& v) {
  JsonWriter w;
  w.BeginArray();
  for (const auto& s : v) w.String(s);
  w.EndArray();
  return w.Take();
}

std::string SettingsToJson(const ProjectSettings& s) {
  JsonWriter w;
  w.BeginObject()
      .Key("retention_days")
      .Int(s.retention_days)
      .Key("store_raw_ua")
      .Bool(s.store_raw_ua)
      .Key("respect_dnt")
      .Bool(s.respect_dnt)
      .Key("respect_gpc")
      .Bool(s.respect_gpc)
      .Key("cookieless")
      .Bool(s.cookieless)
      .Key("require_consent")
      .Bool(s.require_consent)
      .Key("event_sample_rate")
      .Double(s.event_sample_rate)
      .Key("path_rules")
      .Raw(StringsToJson(s.path_rules))
      .Key("replay_sample_rate")
      .Double(s.replay_sample_rate)
      .Key("query_allowlist")
      .Raw(StringsToJson(s.query_allowlist))
      .Key("rate_project_rps")
      .Int(s.rate_project_rps)
      .Key("rate_ip_rps")
      .Int(s.rate_ip_rps)
      .Key("rate_session_eps")
      .Int(s.rate_session_eps)
      .Key("replay_session_kb")
      .Int(s.replay_session_kb)
      .Key("replay_retention_days")
      .Int(s.replay_retention_days)
      .Key("replay_allow_selectors")
      .Raw(StringsToJson(s.replay_allow_selectors))
      .Key("replay_mask_selectors")
      .Raw(StringsToJson(s.replay_mask_selectors))
      .Key("replay_ignore_selectors")
      .Raw(StringsToJson(s.replay_ignore_selectors))
      .EndObject();
  return w.Take();
}

// Settings written by an older version may lack keys: those keep their defaults.
ProjectSettings SettingsFromJson(const std::string& json) {
  ProjectSettings s;
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(json).get(doc) || !doc.is_object()) return s;
  for (auto f : doc.get_object()) {
    if (f.key == "retention_days" && f.value.is_int64())
      s.retention_days = static_cast<int>(int64_t(f.value));
    else if (f.key == "store_raw_ua" && f.value.is_bool()) s.store_raw_ua = bool(f.value);
    else if (f.key == "respect_dnt" && f.value.is_bool()) s.respect_dnt = bool(f.value);
    else if (f.key == "respect_gpc" && f.value.is_bool()) s.respect_gpc = bool(f.value);
    else if (f.key == "cookieless" && f.value.is_bool()) s.cookieless = bool(f.value);
    else if (f.key == "require_consent" && f.value.is_bool()) s.require_consent = bool(f.value);
    else if (f.key == "event_sample_rate" && f.value.is_number())
      s.event_sample_rate = f.value.get_double().value_unsafe();
    else if (f.key == "replay_sample_rate" && f.value.is_number())
      s.replay_sample_rate = f.value.get_double().value_unsafe();
    else if (f.key == "rate_project_rps" && f.value.is_int64())
      s.rate_project_rps = static_cast<int>(int64_t(f.value));
    else if (f.key == "rate_ip_rps" && f.value.is_int64())
      s.rate_ip_rps = static_cast<int>(int64_t(f.value));
    else if (f.key == "rate_session_eps" && f.value.is_int64())
      s.rate_session_eps = static_cast<int>(int64_t(f.value));
    else if (f.key == "replay_session_kb" && f.value.is_int64())
      s.replay_session_kb = static_cast<int>(int64_t(f.value));
    else if (f.key == "replay_retention_days" && f.value.is_int64())
      s.replay_retention_days = static_cast<int>(int64_t(f.value));
    else if (f.value.is_array()) {
      std::vector<std::string>* list =
          f.key == "query_allowlist"           ? &s.query_allowlist
          : f.key == "replay_allow_selectors"  ? &s.replay_allow_selectors
          : f.key == "replay_mask_selectors"   ? &s.replay_mask_selectors
          : f.key == "replay_ignore_selectors" ? &s.replay_ignore_selectors
          : f.key == "path_rules"              ? &s.path_rules
                                               : nullptr;
      if (list == nullptr) continue;
      list->clear();
      for (auto v : f.value.get_array()) {
        if (v.is_string()) list->emplace_back(std::string_view(v));
      }
    }
  }
  return s;
}

std::vector<std::string> StringsFromJson(const std::string& json) {
  std::vector<std::string> out;
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (p.parse(json).get(doc) || !doc.is_array()) return out;
  for (auto v : doc.get_array()) {
    if (v.is_string()) out.emplace_back(std::string_view(v));
  }
  return out;
}

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  int Step() { return sqlite3_step(s_); }
  std::string Text(int col) {
    const unsigned char* t = sqlite3_column_text(s_, col);
    return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(s_, col)) : "";
  }
  int64_t Int(int col) { return sqlite3_column_int64(s_, col); }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

class SqliteMetaStore final : public MetaStore {
 public:
  explicit SqliteMetaStore(sqlite3* db) : db_(db) {}
  ~SqliteMetaStore() override { sqlite3_close(db_); }

  Result<CreatedProject> CreateProject(const std::string& name,
                                       const std::vector<std::string>& origins) override {
    if (name.empty() || name.size() > 200)
      return Status::InvalidArgument("project name must be 1..200 bytes");
    CreatedProject c;
    c.project.id = "p_" + RandomHex(8);
    c.project.name = name;
    c.project.public_key = "pk_" + RandomHex(12);
    c.project.allowed_origins = origins;
    c.project.created_ms = SystemClock()->NowMs();
    c.read_token = "rt_" + RandomHex(16);
    std::lock_guard lock(mu_);
    TAP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Stmt ins(db_,
             "INSERT INTO projects(id,name,public_key,allowed_origins,settings,created_ms) "
             "VALUES(?,?,?,?,?,?)");
    ins.Bind(1, c.project.id)
        .Bind(2, name)
        .Bind(3, c.project.public_key)
        .Bind(4, StringsToJson(origins))
        .Bind(5, SettingsToJson(c.project.settings))
        .Bind(6, c.project.created_ms);
    Stmt tok(db_,
             "INSERT INTO read_tokens(token_hash,project_id,created_ms,id,name,expires_ms) "
             "VALUES(?,?,?,?,'',0)");
    tok.Bind(1, Sha256Hex(c.read_token))
        .Bind(2, c.project.id)
        .Bind(3, c.project.created_ms)
        .Bind(4, "tk_" + RandomHex(8));
    if (ins.Step() != SQLITE_DONE || tok.Step() != SQLITE_DONE) {
      (void)Exec("ROLLBACK");
      return Status::IOError(std::string("creating project: ") + sqlite3_errmsg(db_));
    }
    TAP_RETURN_IF_ERROR(Exec("COMMIT"));
    return c;
  }

  Result<Project> GetProject(const std::string& id) override {
    return FindOne(
        "SELECT id,name,public_key,allowed_origins,settings,created_ms FROM projects WHERE id=?",
        id);
  }

  Result<Project> FindProjectByKey(const std::string& key) override {
    return FindOne(
        "SELECT id,name,public_key,allowed_origins,settings,created_ms FROM projects WHERE "
        "public_key=?",
        key);
  }

  Result<std::vector<Project>> ListProjects() override {
    std::lock_guard lock(mu_);
    Stmt s(db_,
           "SELECT id,name,public_key,allowed_origins,settings,created_ms FROM projects ORDER BY "
           "created_ms, id");
    std::vector<Project> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(Row(s));
    if (rc != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return out;
  }

  Status SetAllowedOrigins(const std::string& id,
                           const std::vector<std::string>& origins) override {
    return Update("UPDATE projects SET allowed_origins=? WHERE id=?", StringsToJson(origins), id);
  }

  Status UpdateSettings(const std::string& id, const ProjectSettings& s) override {
    return Update("UPDATE projects SET settings=? WHERE id=?", SettingsToJson(s), id);
  }

  Result<bool> CheckReadToken(const std::string& project_id, const std::string& token) override {
    if (token.empty()) return false;
    std::lock_guard lock(mu_);
    Stmt s(db_,
           "SELECT project_id FROM read_tokens WHERE token_hash=? AND (expires_ms=0 OR "
           "expires_ms>?)");
    s.Bind(1, Sha256Hex(token)).Bind(2, SystemClock()->NowMs());
    int rc = s.Step();
    if (rc == SQLITE_DONE) return false;
    if (rc != SQLITE_ROW) return Status::IOError(sqlite3_errmsg(db_));
    return ConstantTimeEquals(s.Text(0), project_id);
  }

  Result<std::string> CreateReadToken(const std::string& project_id) override {
    auto c = InsertReadToken(project_id, "", 0);
    if (!c.ok()) return c.status();
    return c->token;
  }

  Result<CreatedReadToken> CreateNamedReadToken(const std::string& project_id,
                                                const std::string& name,
                                                int64_t expires_ms) override {
    if (name.empty() || name.size() > 100)
      return Status::InvalidArgument("a token's name must be 1..100 bytes");
    return InsertReadToken(project_id, name, expires_ms);
  }

  Result<std::vector<ReadTokenInfo>> ListReadTokens(const std::string& project_id) override {
    std::lock_guard lock(mu_);
    TAP_RETURN_IF_ERROR(ProjectExistsLocked(project_id));
    Stmt s(db_,
           "SELECT id,project_id,name,created_ms,expires_ms FROM read_tokens WHERE project_id=? "
           "ORDER BY created_ms, id");
    s.Bind(1, project_id);
    std::vector<ReadTokenInfo> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      out.push_back(ReadTokenInfo{s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Int(4)});
    }
    if (rc != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return out;
  }

  Status RevokeReadToken(const std::string& project_id, const std::string& token_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "DELETE FROM read_tokens WHERE project_id=? AND id=?");
    s.Bind(1, project_id).Bind(2, token_id);
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    if (sqlite3_changes(db_) == 0)
      return Status::NotFound("no token " + token_id + " in project " + project_id);
    return Status::Ok();
  }

  // Adds the columns named tokens brought (id, name, expires_ms) to a store made before them.
  Status MigrateReadTokens() {
    bool has_id = false;
    {
      Stmt s(db_, "SELECT name FROM pragma_table_info('read_tokens')");
      while (s.Step() == SQLITE_ROW) has_id |= s.Text(0) == "id";
    }
    if (has_id) return Status::Ok();
    return Exec(
        "ALTER TABLE read_tokens ADD COLUMN id TEXT; "
        "ALTER TABLE read_tokens ADD COLUMN name TEXT NOT NULL DEFAULT ''; "
        "ALTER TABLE read_tokens ADD COLUMN expires_ms INTEGER NOT NULL DEFAULT 0; "
        "UPDATE read_tokens SET id='tk_'||lower(hex(randomblob(8))) WHERE id IS NULL; "
        "CREATE UNIQUE INDEX IF NOT EXISTS read_tokens_id ON read_tokens(project_id, id);");
  }

  Result<int> RevokeReadTokens(const std::string& project_id, const std::string& keep) override {
    if (Result<Project> p = GetProject(project_id); !p.ok()) return p.status();
    std::lock_guard lock(mu_);
    Stmt s(db_, "DELETE FROM read_tokens WHERE project_id=? AND token_hash<>?");
    s.Bind(1, project_id).Bind(2, keep.empty() ? std::string() : Sha256Hex(keep));
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return sqlite3_changes(db_);
  }

  Status RenameProject(const std::string& project_id, const std::string& name) override {
    if (name.empty() || name.size() > 200)
      return Status::InvalidArgument("project name must be 1..200 bytes");
    return Update("UPDATE projects SET name=? WHERE id=?", name, project_id);
  }

  Status DeleteProject(const std::string& project_id) override {
    std::lock_guard lock(mu_);
    TAP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status s = [&]() -> Status {
      TAP_RETURN_IF_ERROR(ProjectExistsLocked(project_id));
      for (const char* sql :
           {"DELETE FROM read_tokens WHERE project_id=?", "DELETE FROM funnels WHERE project_id=?",
            "DELETE FROM project_members WHERE project_id=?",
            "DELETE FROM replay_chunks WHERE project_id=?",
            "DELETE FROM replay_sessions WHERE project_id=?", "DELETE FROM projects WHERE id=?"}) {
        Stmt d(db_, sql);
        d.Bind(1, project_id);
        if (d.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
      }
      return Status::Ok();
    }();
    if (!s.ok()) {
      (void)Exec("ROLLBACK");
      return s;
    }
    return Exec("COMMIT");
  }

  Result<std::string> RotatePublicKey(const std::string& project_id) override {
    std::string key = "pk_" + RandomHex(12);
    if (Status s = Update("UPDATE projects SET public_key=? WHERE id=?", key, project_id); !s.ok())
      return s;
    return key;
  }

  Result<std::vector<SavedFunnel>> ListFunnels(const std::string& project_id) override {
    if (Result<Project> p = GetProject(project_id); !p.ok()) return p.status();
    std::lock_guard lock(mu_);
    Stmt s(db_,
           "SELECT id,project_id,name,definition,created_ms,updated_ms FROM funnels WHERE "
           "project_id=? "
           "ORDER BY created_ms, id");
    s.Bind(1, project_id);
    std::vector<SavedFunnel> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(FunnelRow(s));
    if (rc != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return out;
  }

  Result<SavedFunnel> GetFunnel(const std::string& project_id,
                                const std::string& funnel_id) override {
    std::lock_guard lock(mu_);
    return FindFunnel(project_id, funnel_id);
  }

  Result<SavedFunnel> CreateFunnel(const std::string& project_id, const std::string& name,
                                   const std::string& definition) override {
    if (name.empty() || name.size() > limits::kMaxFunnelNameBytes) {
      return Status::InvalidArgument("a funnel's name must be 1.." +
                                     std::to_string(limits::kMaxFunnelNameBytes) + " bytes");
    }
    SavedFunnel f;
    f.id = "f_" + RandomHex(8);
    f.project_id = project_id;
    f.name = name;
    f.definition = definition;
    f.created_ms = f.updated_ms = SystemClock()->NowMs();
    std::lock_guard lock(mu_);
    TAP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    // The project's existence and the cap are read in the same write transaction as the insert.
    int64_t projects = 0, funnels = 0;
    {
      Stmt count(db_,
                 "SELECT (SELECT COUNT(*) FROM projects WHERE id=?1), (SELECT COUNT(*) FROM "
                 "funnels WHERE project_id=?1)");
      count.Bind(1, project_id);
      if (count.Step() != SQLITE_ROW) {
        (void)Exec("ROLLBACK");
        return Status::IOError(sqlite3_errmsg(db_));
      }
      projects = count.Int(0);
      funnels = count.Int(1);
    }
    if (projects == 0) {
      (void)Exec("ROLLBACK");
      return Status::NotFound("no project " + project_id);
    }
    if (funnels >= static_cast<int64_t>(limits::kMaxSavedFunnelsPerProject)) {
      (void)Exec("ROLLBACK");
      return Status::TooLarge("a project keeps at most " +
                              std::to_string(limits::kMaxSavedFunnelsPerProject) +
                              " saved funnels; delete one first");
    }
    {
      Stmt ins(db_,
               "INSERT INTO funnels(id,project_id,name,definition,created_ms,updated_ms) "
               "VALUES(?,?,?,?,?,?)");
      ins.Bind(1, f.id)
          .Bind(2, project_id)
          .Bind(3, name)
          .Bind(4, definition)
          .Bind(5, f.created_ms)
          .Bind(6, f.updated_ms);
      if (ins.Step() != SQLITE_DONE) {
        (void)Exec("ROLLBACK");
        return Status::IOError(std::string("saving funnel: ") + sqlite3_errmsg(db_));
      }
    }
    TAP_RETURN_IF_ERROR(Exec("COMMIT"));
    return f;
  }

  Result<SavedFunnel> UpdateFunnel(const std::string& project_id, const std::string& funnel_id,
                                   const std::string& name,
                                   const std::string& definition) override {
    if (name.empty() || name.size() > limits::kMaxFunnelNameBytes) {
      return Status::InvalidArgument("a funnel's name must be 1.." +
                                     std::to_string(limits::kMaxFunnelNameBytes) + " bytes");
    }
    std::lock_guard lock(mu_);
    // max(): a clock stepped back never puts the update before the creation.
    Stmt s(db_,
           "UPDATE funnels SET name=?, definition=?, updated_ms=max(created_ms, ?) WHERE "
           "project_id=? AND id=?");
    s.Bind(1, name)
        .Bind(2, definition)
        .Bind(3, SystemClock()->NowMs())
        .Bind(4, project_id)
        .Bind(5, funnel_id);
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    if (sqlite3_changes(db_) == 0)
      return Status::NotFound("no funnel " + funnel_id + " in project " + project_id);
    return FindFunnel(project_id, funnel_id);
  }

  Status DeleteFunnel(const std::string& project_id, const std::string& funnel_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "DELETE FROM funnels WHERE project_id=? AND id=?");
    s.Bind(1, project_id).Bind(2, funnel_id);
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    if (sqlite3_changes(db_) == 0)
      return Status::NotFound("no funnel " + funnel_id + " in project " + project_id);
    return Status::Ok();
  }

  Status AddReplayChunk(const std::string& project_id, const ReplayChunkInfo& c) override {
    std::lock_guard lock(mu_);
    TAP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status s = AddChunkLocked(project_id, c);
    if (!s.ok()) {
      (void)Exec("ROLLBACK");
      return s;
    }
    return Exec("COMMIT");
  }

  Status MarkReplayTruncated(const std::string& project_id,
                             const std::string& session_id) override {
    std::lock_guard lock(mu_);
    TAP_RETURN_IF_ERROR(ProjectExistsLocked(project_id));
    Stmt s(db_,
           "INSERT INTO "
           "replay_sessions(project_id,session_id,first_ts,last_ts,chunks,bytes,events,truncated,"
           "first_received_ms,last_received_ms) VALUES(?,?,0,0,0,0,0,1,0,0) "
           "ON CONFLICT(project_id,session_id) DO UPDATE SET truncated=1");
    s.Bind(1, project_id).Bind(2, session_id);
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return Status::Ok();
  }

  Result<std::optional<ReplaySession>> GetReplaySession(const std::string& project_id,
                                                        const std::string& session_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, (std::string("SELECT ") + kSessionColumns +
                 " FROM replay_sessions WHERE project_id=? AND session_id=?")
                    .c_str());
    s.Bind(1, project_id).Bind(2, session_id);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<ReplaySession>();
    if (rc != SQLITE_ROW) return Status::IOError(sqlite3_errmsg(db_));
    return std::optional<ReplaySession>(SessionRow(s));
  }

  Result<std::vector<ReplaySession>> ListReplaySessions(const std::string& project_id,
                                                        const ReplayListOptions& opts) override {
    std::lock_guard lock(mu_);
    const char* order = opts.order == ReplayOrder::kLongest   ? "last_ts-first_ts DESC, "
                        : opts.order == ReplayOrder::kLargest ? "bytes DESC, "
                                                              : "";
    Stmt s(db_, (std::string("SELECT ") + kSessionColumns +
                 " FROM replay_sessions WHERE project_id=? AND first_ts>=? AND first_ts<=? "
                 "ORDER BY " +
                 order + "first_ts DESC, session_id LIMIT ?")
                    .c_str());
    s.Bind(1, project_id)
        .Bind(2, opts.from_ms)
        .Bind(3, opts.to_ms)
        .Bind(4, static_cast<int64_t>(opts.limit));
    std::vector<ReplaySession> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(SessionRow(s));
    if (rc != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return out;
  }

  Result<bool> DeleteReplaySession(const std::string& project_id,
                                   const std::string& session_id) override {
    std::lock_guard lock(mu_);
    TAP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    auto done = [&]() -> Result<bool> {
      TAP_RETURN_IF_ERROR(ProjectExistsLocked(project_id));
      bool any = false;
      for (const char* sql : {"DELETE FROM replay_chunks WHERE project_id=? AND session_id=?",
                              "DELETE FROM replay_sessions WHERE project_id=? AND session_id=?"}) {
        Stmt d(db_, sql);
        d.Bind(1, project_id).Bind(2, session_id);
        if (d.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
        any |= sqlite3_changes(db_) > 0;
      }
      return any;
    }();
    if (!done.ok()) {
      (void)Exec("ROLLBACK");
      return done.status();
    }
    TAP_RETURN_IF_ERROR(Exec("COMMIT"));
    return *done;
  }

  Result<std::vector<ReplayChunkInfo>> ListReplayChunks(const std::string& project_id,
                                                        const std::string& session_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_,
           "SELECT session_id,chunk_index,first_ts,last_ts,bytes,events,truncated,received_ms FROM "
           "replay_chunks "
           "WHERE project_id=? AND session_id=? ORDER BY chunk_index");
    s.Bind(1, project_id).Bind(2, session_id);
    std::vector<ReplayChunkInfo> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      ReplayChunkInfo c;
      c.session_id = s.Text(0);
      c.chunk_index = s.Int(1);
      c.first_ts = s.Int(2);
      c.last_ts = s.Int(3);
      c.bytes = s.Int(4);
      c.events = s.Int(5);
      c.truncated = s.Int(6) != 0;
      c.received_ms = s.Int(7);
      out.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return out;
  }

  Result<std::optional<std::string>> GetValue(const std::string& key) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT value FROM kv WHERE key=?");
    s.Bind(1, key);
    int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    if (rc != SQLITE_ROW) return Status::IOError(sqlite3_errmsg(db_));
    return std::optional<std::string>(s.Text(0));
  }

  Status PutValue(const std::string& key, const std::string& value) override {
    std::lock_guard lock(mu_);
    Stmt s(db_,
           "INSERT INTO kv(key,value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET "
           "value=excluded.value");
    s.Bind(1, key).Bind(2, value);
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return Status::Ok();
  }

  Status SetMember(const std::string& project_id, const std::string& user_id, Role role) override {
    std::lock_guard lock(mu_);
    TAP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status s = [&]() -> Status {
      TAP_RETURN_IF_ERROR(ProjectExistsLocked(project_id));
      {
        Stmt u(db_, "SELECT 1 FROM users WHERE id=?");
        u.Bind(1, user_id);
        const int rc = u.Step();
        if (rc == SQLITE_DONE) return Status::NotFound("no user " + user_id);
        if (rc != SQLITE_ROW) return Status::IOError(sqlite3_errmsg(db_));
      }
      if (role != Role::kOwner) TAP_RETURN_IF_ERROR(KeepsAnOwnerLocked(project_id, user_id));
      Stmt up(db_,
              "INSERT INTO project_members(project_id,user_id,role,created_ms) VALUES(?,?,?,?) "
              "ON CONFLICT(project_id,user_id) DO UPDATE SET role=excluded.role");
      up.Bind(1, project_id)
          .Bind(2, user_id)
          .Bind(3, static_cast<int64_t>(role))
          .Bind(4, SystemClock()->NowMs());
      if (up.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
      return Status::Ok();
    }();
    if (!s.ok()) {
      (void)Exec("ROLLBACK");
      return s;
    }
    return Exec("COMMIT");
  }

  Result<bool> RemoveMember(const std::string& project_id, const std::string& user_id) override {
    std::lock_guard lock(mu_);
    TAP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Result<bool> r = [&]() -> Result<bool> {
      TAP_RETURN_IF_ERROR(KeepsAnOwnerLocked(project_id, user_id));
      Stmt d(db_, "DELETE FROM project_members WHERE project_id=? AND user_id=?");
      d.Bind(1, project_id).Bind(2, user_id);
      if (d.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
      return sqlite3_changes(db_) > 0;
    }();
    if (!r.ok()) {
      (void)Exec("ROLLBACK");
      return r.status();
    }
    TAP_RETURN_IF_ERROR(Exec("COMMIT"));
    return *r;
  }

  Result<std::optional<Role>> GetRole(const std::string& project_id,
                                      const std::string& user_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT role FROM project_members WHERE project_id=? AND user_id=?");
    s.Bind(1, project_id).Bind(2, user_id);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return std::optional<Role>();
    if (rc != SQLITE_ROW) return Status::IOError(sqlite3_errmsg(db_));
    return std::optional<Role>(s.Int(0) == static_cast<int64_t>(Role::kOwner) ? Role::kOwner
                                                                              : Role::kMember);
  }

  Result<std::vector<Membership>> ListMembers(const std::string& project_id) override {
    std::lock_guard lock(mu_);
    TAP_RETURN_IF_ERROR(ProjectExistsLocked(project_id));
    return Memberships(
        "SELECT project_id,user_id,role,created_ms FROM project_members WHERE project_id=? "
        "ORDER BY created_ms, user_id",
        project_id);
  }

  Result<std::vector<Membership>> ListMemberships(const std::string& user_id) override {
    std::lock_guard lock(mu_);
    return Memberships(
        "SELECT m.project_id,m.user_id,m.role,m.created_ms FROM project_members m JOIN projects p "
        "ON p.id=m.project_id WHERE m.user_id=? ORDER BY p.created_ms, p.id",
        user_id);
  }

  Result<AuditEntry> AppendAudit(const AuditEntry& entry) override {
    AuditEntry e = entry;
    if (e.ts_ms == 0) e.ts_ms = SystemClock()->NowMs();
    if (e.details.empty()) e.details = "{}";
    std::lock_guard lock(mu_);
    Stmt s(db_, "INSERT INTO audit_log(project_id,actor,action,details,ts_ms) VALUES(?,?,?,?,?)");
    s.Bind(1, e.project_id).Bind(2, e.actor).Bind(3, e.action).Bind(4, e.details).Bind(5, e.ts_ms);
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    e.id = sqlite3_last_insert_rowid(db_);
    return e;
  }

  Result<std::vector<AuditEntry>> ListAudit(const std::string& project_id, size_t limit,
                                            int64_t before_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_,
           "SELECT id,project_id,actor,action,details,ts_ms FROM audit_log WHERE project_id=? AND "
           "id<? ORDER BY id DESC LIMIT ?");
    s.Bind(1, project_id).Bind(2, before_id).Bind(3, static_cast<int64_t>(limit));
    std::vector<AuditEntry> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      out.push_back(AuditEntry{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Int(5)});
    }
    if (rc != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return out;
  }

  Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "sqlite error";
      sqlite3_free(err);
      return Status::IOError(m);
    }
    return Status::Ok();
  }

 private:
  static Project Row(Stmt& s) {
    Project p;
    p.id = s.Text(0);
    p.name = s.Text(1);
    p.public_key = s.Text(2);
    p.allowed_origins = StringsFromJson(s.Text(3));
    p.settings = SettingsFromJson(s.Text(4));
    p.created_ms = s.Int(5);
    return p;
  }

  static SavedFunnel FunnelRow(Stmt& s) {
    SavedFunnel f;
    f.id = s.Text(0);
    f.project_id = s.Text(1);
    f.name = s.Text(2);
    f.definition = s.Text(3);
    f.created_ms = s.Int(4);
    f.updated_ms = s.Int(5);
    return f;
  }

  // Called with mu_ held.
  Result<SavedFunnel> FindFunnel(const std::string& project_id, const std::string& funnel_id) {
    Stmt s(db_,
           "SELECT id,project_id,name,definition,created_ms,updated_ms FROM funnels WHERE "
           "project_id=? AND id=?");
    s.Bind(1, project_id).Bind(2, funnel_id);
    int rc = s.Step();
    if (rc == SQLITE_DONE)
      return Status::NotFound("no funnel " + funnel_id + " in project " + project_id);
    if (rc != SQLITE_ROW) return Status::IOError(sqlite3_errmsg(db_));
    return FunnelRow(s);
  }

  static ReplaySession SessionRow(Stmt& s) {
    ReplaySession r;
    r.session_id = s.Text(0);
    r.first_ts = s.Int(1);
    r.last_ts = s.Int(2);
    r.chunks = s.Int(3);
    r.bytes = s.Int(4);
    r.events = s.Int(5);
    r.truncated = s.Int(6) != 0;
    r.first_received_ms = s.Int(7);
    r.last_received_ms = s.Int(8);
    return r;
  }

  Status ProjectExistsLocked(const std::string& project_id) {
    Stmt s(db_, "SELECT 1 FROM projects WHERE id=?");
    s.Bind(1, project_id);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return Status::NotFound("no project " + project_id);
    if (rc != SQLITE_ROW) return Status::IOError(sqlite3_errmsg(db_));
    return Status::Ok();
  }

  // In a transaction: the chunk row decides whether this chunk is new, and only a new one is
  // added to its session's sums (a session row made by MarkReplayTruncated has no chunks yet:
  // its times come from the first chunk).
  Status AddChunkLocked(const std::string& project_id, const ReplayChunkInfo& c) {
    TAP_RETURN_IF_ERROR(ProjectExistsLocked(project_id));
    Stmt ins(db_,
             "INSERT OR IGNORE INTO "
             "replay_chunks(project_id,session_id,chunk_index,first_ts,last_ts,bytes,events,"
             "truncated,received_ms) VALUES(?,?,?,?,?,?,?,?,?)");
    ins.Bind(1, project_id)
        .Bind(2, c.session_id)
        .Bind(3, c.chunk_index)
        .Bind(4, c.first_ts)
        .Bind(5, c.last_ts)
        .Bind(6, c.bytes)
        .Bind(7, c.events)
        .Bind(8, int64_t{c.truncated})
        .Bind(9, c.received_ms);
    if (ins.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    if (sqlite3_changes(db_) == 0) return Status::Ok();
    Stmt up(
        db_,
        "INSERT INTO "
        "replay_sessions(project_id,session_id,first_ts,last_ts,chunks,bytes,events,truncated,"
        "first_received_ms,last_received_ms) VALUES(?1,?2,?3,?4,1,?5,?6,?7,?8,?8) "
        "ON CONFLICT(project_id,session_id) DO UPDATE SET "
        "first_ts=CASE WHEN chunks=0 THEN excluded.first_ts ELSE min(first_ts,excluded.first_ts) "
        "END,"
        "last_ts=CASE WHEN chunks=0 THEN excluded.last_ts ELSE max(last_ts,excluded.last_ts) END,"
        "first_received_ms=CASE WHEN chunks=0 THEN excluded.first_received_ms "
        "ELSE min(first_received_ms,excluded.first_received_ms) END,"
        "last_received_ms=max(last_received_ms,excluded.last_received_ms),"
        "chunks=chunks+1,bytes=bytes+excluded.bytes,events=events+excluded.events,"
        "truncated=max(truncated,excluded.truncated)");
    up.Bind(1, project_id)
        .Bind(2, c.session_id)
        .Bind(3, c.first_ts)
        .Bind(4, c.last_ts)
        .Bind(5, c.bytes)
        .Bind(6, c.events)
        .Bind(7, int64_t{c.truncated})
        .Bind(8, c.received_ms);
    if (up.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return Status::Ok();
  }

  Result<User> CreateUser(const std::string& email) override {
    std::string norm;
    if (!email.empty()) {
      auto n = NormalizeEmail(email);
      if (!n.ok()) return n.status();
      norm = *n;
    }
    User u;
    u.id = "u_" + RandomHex(8);
    u.email = norm;
    u.created_ms = SystemClock()->NowMs();
    std::lock_guard lock(mu_);
    Stmt s(db_, "INSERT INTO users(id,email,created_ms) VALUES(?,?,?)");
    s.Bind(1, u.id).Bind(3, u.created_ms);
    if (!norm.empty()) s.Bind(2, norm);  // NULL: the owner before an email is given
    const int rc = s.Step();
    if (rc == SQLITE_CONSTRAINT) return Status::AlreadyExists("a user already has " + norm);
    if (rc != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return u;
  }

  Result<User> GetUser(const std::string& user_id) override {
    std::lock_guard lock(mu_);
    return FindUser(std::string("SELECT ") + kUserColumns + " FROM users WHERE id=?", user_id);
  }

  Result<User> FindUserByEmail(const std::string& email) override {
    auto n = NormalizeEmail(email);
    if (!n.ok()) return Status::NotFound("no such user");
    std::lock_guard lock(mu_);
    return FindUser(std::string("SELECT ") + kUserColumns + " FROM users WHERE email=?", *n);
  }

  Status SetUserEmail(const std::string& user_id, const std::string& email) override {
    auto n = NormalizeEmail(email);
    if (!n.ok()) return n.status();
    std::lock_guard lock(mu_);
    Stmt s(db_, "UPDATE users SET email=? WHERE id=?");
    s.Bind(1, *n).Bind(2, user_id);
    const int rc = s.Step();
    if (rc == SQLITE_CONSTRAINT) return Status::AlreadyExists("a user already has " + *n);
    if (rc != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    if (sqlite3_changes(db_) == 0) return Status::NotFound("no user " + user_id);
    return Status::Ok();
  }

  Result<std::vector<User>> ListUsers() override {
    std::lock_guard lock(mu_);
    const std::string sql =
        std::string("SELECT ") + kUserColumns + " FROM users ORDER BY created_ms, id";
    Stmt s(db_, sql.c_str());
    std::vector<User> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(User{s.Text(0), s.Text(1), s.Int(2)});
    if (rc != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return out;
  }

  Result<std::string> CreateSignInLink(const std::string& user_id, const std::string& browser_nonce,
                                       int64_t expires_ms) override {
    if (browser_nonce.empty())
      return Status::InvalidArgument("a sign-in link is bound to a browser nonce");
    std::string token = "sl_" + RandomHex(32);
    std::lock_guard lock(mu_);
    // Links that expired long ago are of no use to anyone: swept here, where they are made.
    Stmt sweep(db_, "DELETE FROM signin_links WHERE expires_ms<?");
    sweep.Bind(1, SystemClock()->NowMs() - 24LL * 3600 * 1000);
    if (sweep.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    Stmt s(db_,
           "INSERT INTO signin_links(token_hash,user_id,nonce_hash,expires_ms) "
           "SELECT ?,id,?,? FROM users WHERE id=?");
    s.Bind(1, Sha256Hex(token)).Bind(2, Sha256Hex(browser_nonce)).Bind(3, expires_ms);
    s.Bind(4, user_id);
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    if (sqlite3_changes(db_) == 0) return Status::NotFound("no user " + user_id);
    return token;
  }

  Result<std::string> ConsumeSignInLink(const std::string& token, const std::string& browser_nonce,
                                        int64_t now_ms) override {
    if (token.empty() || token.size() > limits::kMaxSignInTokenBytes)
      return Status::Unauthenticated("this sign-in link was already used or never existed");
    const std::string hash = Sha256Hex(token);
    std::lock_guard lock(mu_);
    TAP_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Stmt q(db_, "SELECT user_id,nonce_hash,expires_ms FROM signin_links WHERE token_hash=?");
    q.Bind(1, hash);
    const int rc = q.Step();
    if (rc != SQLITE_ROW) {
      (void)Exec("ROLLBACK");
      if (rc != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
      return Status::Unauthenticated("this sign-in link was already used or never existed");
    }
    const std::string user_id = q.Text(0);
    const std::string nonce_hash = q.Text(1);
    const int64_t expires = q.Int(2);
    const bool expired = expires < now_ms;
    if (!expired && !ConstantTimeEquals(nonce_hash, Sha256Hex(browser_nonce))) {
      (void)Exec("ROLLBACK");
      return Status::PermissionDenied(
          "this sign-in link was requested from another browser: open it in the browser where "
          "you asked for it");
    }
    Stmt del(db_, "DELETE FROM signin_links WHERE token_hash=?");
    del.Bind(1, hash);
    if (del.Step() != SQLITE_DONE) {
      (void)Exec("ROLLBACK");
      return Status::IOError(sqlite3_errmsg(db_));
    }
    TAP_RETURN_IF_ERROR(Exec("COMMIT"));
    if (expired) return Status::Unauthenticated("this sign-in link has expired");
    return user_id;
  }

  Result<CreatedSession> CreateDashboardSession(const std::string& user_id,
                                                const std::string& user_agent, int64_t now_ms,
                                                int64_t expires_ms) override {
    CreatedSession c;
    c.session.id = "s_" + RandomHex(8);
    c.session.user_id = user_id;
    c.session.created_ms = c.session.last_seen_ms = now_ms;
    c.session.expires_ms = expires_ms;
    c.session.user_agent = user_agent.substr(0, limits::kMaxSessionUserAgentBytes);
    c.token = "v2." + RandomHex(32);
    std::lock_guard lock(mu_);
    // Sessions past their absolute end are swept here, where new ones are made.
    Stmt sweep(db_, "DELETE FROM dashboard_sessions WHERE expires_ms<?");
    sweep.Bind(1, now_ms);
    if (sweep.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    Stmt s(db_,
           "INSERT INTO dashboard_sessions(id,token_hash,user_id,created_ms,last_seen_ms,"
           "expires_ms,user_agent) SELECT ?,?,id,?,?,?,? FROM users WHERE id=?");
    s.Bind(1, c.session.id).Bind(2, Sha256Hex(c.token)).Bind(3, now_ms).Bind(4, now_ms);
    s.Bind(5, expires_ms).Bind(6, c.session.user_agent).Bind(7, user_id);
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    if (sqlite3_changes(db_) == 0) return Status::NotFound("no user " + user_id);
    return c;
  }

  Result<DashboardSession> FindDashboardSession(const std::string& token) override {
    if (token.empty()) return Status::NotFound("no such session");
    std::lock_guard lock(mu_);
    return FindSession(std::string("SELECT ") + kDashboardSessionColumns +
                           " FROM dashboard_sessions WHERE token_hash=?",
                       Sha256Hex(token));
  }

  Result<DashboardSession> GetDashboardSession(const std::string& session_id) override {
    std::lock_guard lock(mu_);
    return FindSession(
        std::string("SELECT ") + kDashboardSessionColumns + " FROM dashboard_sessions WHERE id=?",
        session_id);
  }

  Status TouchDashboardSession(const std::string& session_id, int64_t now_ms) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "UPDATE dashboard_sessions SET last_seen_ms=max(last_seen_ms,?) WHERE id=?");
    s.Bind(1, now_ms).Bind(2, session_id);
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    if (sqlite3_changes(db_) == 0) return Status::NotFound("no session " + session_id);
    return Status::Ok();
  }

  Result<std::vector<DashboardSession>> ListDashboardSessions(const std::string& user_id) override {
    std::lock_guard lock(mu_);
    const std::string sql = std::string("SELECT ") + kDashboardSessionColumns +
                            " FROM dashboard_sessions WHERE user_id=? ORDER BY created_ms DESC, id";
    Stmt s(db_, sql.c_str());
    s.Bind(1, user_id);
    std::vector<DashboardSession> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(DashboardSessionRow(s));
    if (rc != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return out;
  }

  Status RevokeDashboardSession(const std::string& user_id,
                                const std::string& session_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, "DELETE FROM dashboard_sessions WHERE id=? AND user_id=?");
    s.Bind(1, session_id).Bind(2, user_id);
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    if (sqlite3_changes(db_) == 0) return Status::NotFound("no session " + session_id);
    return Status::Ok();
  }

  Result<int> RevokeDashboardSessions(const std::string& user_id) override {
    std::lock_guard lock(mu_);
    Stmt s(db_, user_id.empty() ? "DELETE FROM dashboard_sessions"
                                : "DELETE FROM dashboard_sessions WHERE user_id=?");
    if (!user_id.empty()) s.Bind(1, user_id);
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return sqlite3_changes(db_);
  }

  // mu_ held.
  Result<User> FindUser(const std::string& sql, const std::string& arg) {
    Stmt s(db_, sql.c_str());
    s.Bind(1, arg);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return Status::NotFound("no such user");
    if (rc != SQLITE_ROW) return Status::IOError(sqlite3_errmsg(db_));
    return User{s.Text(0), s.Text(1), s.Int(2)};
  }

  Result<CreatedReadToken> InsertReadToken(const std::string& project_id, const std::string& name,
                                           int64_t expires_ms) {
    CreatedReadToken c;
    c.token = "rt_" + RandomHex(16);
    c.info =
        ReadTokenInfo{"tk_" + RandomHex(8), project_id, name, SystemClock()->NowMs(), expires_ms};
    std::lock_guard lock(mu_);
    Stmt s(db_,
           "INSERT INTO read_tokens(token_hash,project_id,created_ms,id,name,expires_ms) SELECT "
           "?,id,?,?,?,? FROM projects WHERE id=?");
    s.Bind(1, Sha256Hex(c.token))
        .Bind(2, c.info.created_ms)
        .Bind(3, c.info.id)
        .Bind(4, name)
        .Bind(5, expires_ms)
        .Bind(6, project_id);
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    if (sqlite3_changes(db_) == 0) return Status::NotFound("no project " + project_id);
    return c;
  }

  // mu_ held, in a transaction: FailedPrecondition when `user_id` is the project's only owner (so
  // removing or demoting them would leave it ownerless).
  Status KeepsAnOwnerLocked(const std::string& project_id, const std::string& user_id) {
    Stmt s(db_,
           "SELECT (SELECT role FROM project_members WHERE project_id=?1 AND user_id=?2), "
           "(SELECT COUNT(*) FROM project_members WHERE project_id=?1 AND role=?3)");
    s.Bind(1, project_id).Bind(2, user_id).Bind(3, static_cast<int64_t>(Role::kOwner));
    if (s.Step() != SQLITE_ROW) return Status::IOError(sqlite3_errmsg(db_));
    if (s.Int(0) == static_cast<int64_t>(Role::kOwner) && s.Int(1) <= 1)
      return Status::FailedPrecondition("a project keeps at least one owner");
    return Status::Ok();
  }

  // mu_ held.
  Result<std::vector<Membership>> Memberships(const char* sql, const std::string& arg) {
    Stmt s(db_, sql);
    s.Bind(1, arg);
    std::vector<Membership> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      out.push_back(Membership{
          s.Text(0), s.Text(1),
          s.Int(2) == static_cast<int64_t>(Role::kOwner) ? Role::kOwner : Role::kMember, s.Int(3)});
    }
    if (rc != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return out;
  }

  static DashboardSession DashboardSessionRow(Stmt& s) {
    return DashboardSession{s.Text(0), s.Text(1), s.Int(2), s.Int(3), s.Int(4), s.Text(5)};
  }

  // mu_ held.
  Result<DashboardSession> FindSession(const std::string& sql, const std::string& arg) {
    Stmt s(db_, sql.c_str());
    s.Bind(1, arg);
    const int rc = s.Step();
    if (rc == SQLITE_DONE) return Status::NotFound("no such session");
    if (rc != SQLITE_ROW) return Status::IOError(sqlite3_errmsg(db_));
    return DashboardSessionRow(s);
  }

  Result<Project> FindOne(const char* sql, const std::string& arg) {
    std::lock_guard lock(mu_);
    Stmt s(db_, sql);
    s.Bind(1, arg);
    int rc = s.Step();
    if (rc == SQLITE_DONE) return Status::NotFound("no such project");
    if (rc != SQLITE_ROW) return Status::IOError(sqlite3_errmsg(db_));
    return Row(s);
  }

  Status Update(const char* sql, const std::string& value, const std::string& id) {
    std::lock_guard lock(mu_);
    Stmt s(db_, sql);
    s.Bind(1, value).Bind(2, id);
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    if (sqlite3_changes(db_) == 0) return Status::NotFound("no project " + id);
    return Status::Ok();
  }

  Status PurgeDeleted() override {
    std::lock_guard lock(mu_);
    int log_frames = -1, checkpointed = -1;
    const int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log_frames,
                                             &checkpointed);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
      return Status::Unavailable("meta store: another connection holds the WAL; retry");
    if (rc != SQLITE_OK) return Status::IOError(sqlite3_errmsg(db_));
    return Status::Ok();
  }

  sqlite3* db_;
  std::mutex mu_;
};

}  // namespace

Result<std::unique_ptr<MetaStore>> OpenSqliteMetaStore(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::IOError("opening meta store " + path + ": " + m);
  }
  sqlite3_busy_timeout(db, 5000);
  auto store = std::make_unique<SqliteMetaStore>(db);
  TAP_RETURN_IF_ERROR(
      store->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                  "PRAGMA secure_delete=ON;"));
  TAP_RETURN_IF_ERROR(store->Exec(kSchema));
  TAP_RETURN_IF_ERROR(store->MigrateReadTokens());
  return std::unique_ptr<MetaStore>(std::move(store));
}

}  // namespace tapistry
