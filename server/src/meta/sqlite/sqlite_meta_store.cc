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
)sql";

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
    Stmt tok(db_, "INSERT INTO read_tokens(token_hash,project_id,created_ms) VALUES(?,?,?)");
    tok.Bind(1, Sha256Hex(c.read_token)).Bind(2, c.project.id).Bind(3, c.project.created_ms);
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
    Stmt s(db_, "SELECT project_id FROM read_tokens WHERE token_hash=?");
    s.Bind(1, Sha256Hex(token));
    int rc = s.Step();
    if (rc == SQLITE_DONE) return false;
    if (rc != SQLITE_ROW) return Status::IOError(sqlite3_errmsg(db_));
    return ConstantTimeEquals(s.Text(0), project_id);
  }

  Result<std::string> CreateReadToken(const std::string& project_id) override {
    std::string token = "rt_" + RandomHex(16);
    std::lock_guard lock(mu_);
    Stmt s(db_,
           "INSERT INTO read_tokens(token_hash,project_id,created_ms) SELECT ?,id,? FROM projects "
           "WHERE id=?");
    s.Bind(1, Sha256Hex(token)).Bind(2, SystemClock()->NowMs()).Bind(3, project_id);
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    if (sqlite3_changes(db_) == 0) return Status::NotFound("no project " + project_id);
    return token;
  }

  Result<int> RevokeReadTokens(const std::string& project_id, const std::string& keep) override {
    if (Result<Project> p = GetProject(project_id); !p.ok()) return p.status();
    std::lock_guard lock(mu_);
    Stmt s(db_, "DELETE FROM read_tokens WHERE project_id=? AND token_hash<>?");
    s.Bind(1, project_id).Bind(2, keep.empty() ? std::string() : Sha256Hex(keep));
    if (s.Step() != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return sqlite3_changes(db_);
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
    Stmt s(db_, (std::string("SELECT ") + kSessionColumns +
                 " FROM replay_sessions WHERE project_id=? AND first_ts>=? AND first_ts<=? "
                 "ORDER BY first_ts DESC, session_id LIMIT ?")
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
      store->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  TAP_RETURN_IF_ERROR(store->Exec(kSchema));
  return std::unique_ptr<MetaStore>(std::move(store));
}

}  // namespace tapistry
