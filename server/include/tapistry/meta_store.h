// MetaStore: projects, keys, allowed origins, read tokens, settings, saved funnels, the replay
// index, and dashboard users with their sign-in links and sessions (spec §5.2).
// Implementations: SqliteMetaStore (embedded default), PostgresMetaStore (scale-out, later); every
// one passes the typed suite in server/test/meta_store_conformance.h, the executable contract.
// Secrets (read tokens, sign-in link tokens and their browser nonces, session tokens) are stored as
// SHA-256 hashes; the plain token is returned once at creation.
// Names, origins and settings strings are text and come back byte for byte; GetValue/PutValue
// values may hold any bytes. A method given an unknown project id answers NotFound (except
// CheckReadToken: false), and changes nothing.
// Thread-safety: every method may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tapistry/status.h"

namespace tapistry {

struct ProjectSettings {
  int retention_days = 180;
  bool store_raw_ua = false;  // keep the raw user agent (off: families only)
  // Privacy signals enforced by the server (docs/privacy.md): drop every request (/i, /s, /r)
  // from a browser that sends `DNT: 1` / `Sec-GPC: 1`. Off by default: the SDK already honours
  // DNT itself unless the site sets respectDNT:false; these make it hold for any client.
  bool respect_dnt = false;
  bool respect_gpc = false;
  // Cookieless mode (docs/privacy.md): the SDK stores no identifier in the browser (told so with
  // the first /i answer), the server names visitors by a daily-salted hash of IP and user agent
  // (ingest/cookieless.h), and replay is off.
  bool cookieless = false;
  // Consent by default (docs/privacy.md "Consent"): the server stores only events from batches
  // sent after the visitor's consent (the SDK marks them, `"consent":1`), and the SDK is told to
  // wait for `setConsent` with the first /i answer.
  bool require_consent = false;
  // The share of sessions whose events are stored (0..1; docs/privacy.md "Sampling"): the server
  // keeps a session when hash(session id) is below it — the SDK's test, so a sampled-out browser
  // stops sending once told — and the recorder's rate is never above it.
  double event_sample_rate = 1.0;
  // Session replay (docs/replay.md): the share of sessions recorded (0..1), the compressed bytes
  // one session may store, and the recorder's masking rules — CSS selectors whose text is shown
  // (allow), masked even when text is shown (mask), and not recorded at all (ignore). The SDK
  // gets them with the first /i answer.
  double replay_sample_rate = 0.30;
  int replay_session_kb = 3072;
  int replay_retention_days = 60;  // recorded sessions older than this are deleted
  std::vector<std::string> replay_allow_selectors;
  std::vector<std::string> replay_mask_selectors;
  std::vector<std::string> replay_ignore_selectors;
  // Query parameters kept in stored URLs and paths (spec §9).
  std::vector<std::string> query_allowlist = {"utm_source", "utm_medium", "utm_campaign",
                                              "utm_term", "utm_content"};
  // Path rules (docs/settings.md "Path rules"): patterns like "/product/:id" or "/blog/*" that
  // name many stored paths as one, applied at ingestion after spec §9's normalization.
  std::vector<std::string> path_rules;
  // Rate-limit overrides; 0 = server default (spec §18).
  int rate_project_rps = 0;
  int rate_ip_rps = 0;
  int rate_session_eps = 0;
  bool operator==(const ProjectSettings&) const = default;
};

struct Project {
  std::string id;  // "p_" + 16 hex
  std::string name;
  std::string public_key;                    // "pk_" + 24 hex: goes in the snippet
  std::vector<std::string> allowed_origins;  // "https://example.com"; empty = any origin
  ProjectSettings settings;
  int64_t created_ms = 0;
};

// A funnel saved in the dashboard (issue 11; spec §5.2 `funnels`): a name and the definition as
// the API wrote it (api/funnel_json.h). The store keeps the definition as text, byte for byte; the
// API validates it before it is stored.
struct SavedFunnel {
  std::string id;  // "f_" + 16 hex
  std::string project_id;
  std::string name;        // 1..200 bytes
  std::string definition;  // JSON text
  int64_t created_ms = 0;
  int64_t updated_ms = 0;  // >= created_ms; the time of the last update
  bool operator==(const SavedFunnel&) const = default;
};

// One stored replay chunk, as the replay index knows it (server/src/replay, docs/replay.md).
struct ReplayChunkInfo {
  std::string session_id;
  int64_t chunk_index = 0;
  int64_t first_ts = 0;  // client clock, ms: the chunk's first and last event
  int64_t last_ts = 0;
  int64_t bytes = 0;  // stored (compressed) bytes
  int64_t events = 0;
  bool truncated = false;   // carries the recorder's "truncated" marker
  int64_t received_ms = 0;  // server clock, when it was stored
  bool operator==(const ReplayChunkInfo&) const = default;
};

// A recorded session: the sum of its indexed chunks.
struct ReplaySession {
  std::string session_id;
  int64_t first_ts = 0;  // min / max over its chunks (client clock)
  int64_t last_ts = 0;
  int64_t chunks = 0;
  int64_t bytes = 0;
  int64_t events = 0;
  // The recorder stopped at its byte cap, or the server refused a chunk for the session's cap.
  bool truncated = false;
  int64_t first_received_ms = 0;  // server clock: first and latest chunk stored
  int64_t last_received_ms = 0;
  bool operator==(const ReplaySession&) const = default;
};

// The order of a replay list: newest first (first_ts), longest first (last_ts - first_ts), or
// largest first (stored bytes); ties newest first, then by session id.
enum class ReplayOrder : uint8_t { kNewest, kLongest, kLargest };

struct ReplayListOptions {
  size_t limit = 100;
  ReplayOrder order = ReplayOrder::kNewest;
  // Sessions whose first_ts lies in [from_ms, to_ms] (inclusive).
  int64_t from_ms = INT64_MIN;
  int64_t to_ms = INT64_MAX;
};

// A dashboard user (spec §5.2 users; issue 12). The email is stored in lower case; it is empty only
// for the owner created at first start before an email was given (--owner-email): that user signs
// in with the printed one-time link.
struct User {
  std::string id;  // "u_" + 16 hex
  std::string email;
  int64_t created_ms = 0;
  bool operator==(const User&) const = default;
};

// A signed-in dashboard browser. Its credential (the cookie's token) is stored only as a hash;
// `id` names the session in the user's list and is not a credential.
struct DashboardSession {
  std::string id;  // "s_" + 16 hex
  std::string user_id;
  int64_t created_ms = 0;
  int64_t last_seen_ms = 0;  // slides the idle timeout (TouchDashboardSession)
  int64_t expires_ms = 0;    // the absolute end, fixed at creation
  std::string user_agent;    // as sent at sign-in, cut to limits::kMaxSessionUserAgentBytes
  bool operator==(const DashboardSession&) const = default;
};

struct CreatedSession {
  DashboardSession session;
  std::string token;  // "v2." + 64 hex, shown once: the cookie value
};

struct CreatedProject {
  Project project;
  std::string read_token;  // "rt_" + 32 hex, shown once
};

// A read token as listed (never its secret): GET /api/tokens.
struct ReadTokenInfo {
  std::string id;  // "tk_" + 16 hex: names the token for revocation; not a credential
  std::string project_id;
  std::string name;  // "" for tokens made before tokens had names
  int64_t created_ms = 0;
  int64_t expires_ms = 0;  // 0: never
  bool operator==(const ReadTokenInfo&) const = default;
};

struct CreatedReadToken {
  ReadTokenInfo info;
  std::string token;  // "rt_" + 32 hex, shown once
};

// A user's role in one project (spec §6.3 "project scoping via per-project role"). A member reads
// the project and saves funnels; an owner also changes its settings, keys and members, answers
// privacy requests, reads its audit log, renames and deletes it.
enum class Role { kMember = 1, kOwner = 2 };
std::string_view RoleName(Role r);                     // "member" / "owner"
std::optional<Role> ParseRole(std::string_view name);  // nullopt for anything else

struct Membership {
  std::string project_id;
  std::string user_id;
  Role role = Role::kMember;
  int64_t created_ms = 0;  // when the user was added (a role change keeps it)
  bool operator==(const Membership&) const = default;
};

// One administrative action (spec §5.2 audit_logs): who did what to which project, when.
// `details` is a JSON object as text, kept byte for byte; it never holds a secret or a DSAR
// subject's identifiers (the caller's rule: docs/accounts.md "Audit log").
struct AuditEntry {
  int64_t id = 0;          // assigned by the store, ascending in insertion order
  std::string project_id;  // the project acted on
  std::string actor;       // the user id, or "cli" for the command line
  std::string action;      // "settings.update", "member.add", ... (docs/accounts.md)
  std::string details;     // JSON object text ("{}" when none)
  int64_t ts_ms = 0;       // server clock
  bool operator==(const AuditEntry&) const = default;
};

class MetaStore {
 public:
  virtual ~MetaStore() = default;

  // InvalidArgument unless the name is 1..200 bytes.
  virtual Result<CreatedProject> CreateProject(const std::string& name,
                                               const std::vector<std::string>& origins) = 0;
  virtual Result<Project> GetProject(const std::string& project_id) = 0;
  virtual Result<Project> FindProjectByKey(const std::string& public_key) = 0;
  // Oldest first (created_ms, then id).
  virtual Result<std::vector<Project>> ListProjects() = 0;
  virtual Status SetAllowedOrigins(const std::string& project_id,
                                   const std::vector<std::string>& origins) = 0;
  virtual Status UpdateSettings(const std::string& project_id, const ProjectSettings& s) = 0;
  // True when `token` is a live read token of the project.
  virtual Result<bool> CheckReadToken(const std::string& project_id, const std::string& token) = 0;
  // Issues an additional read token (returned in plain once).
  virtual Result<std::string> CreateReadToken(const std::string& project_id) = 0;
  // Revokes every read token of the project except `keep` (may be empty: revoke all); returns how
  // many were revoked. NotFound for an unknown project.
  virtual Result<int> RevokeReadTokens(const std::string& project_id, const std::string& keep) = 0;
  // InvalidArgument unless the name is 1..200 bytes; NotFound for an unknown project.
  virtual Status RenameProject(const std::string& project_id, const std::string& name) = 0;
  // Removes the project with its read tokens, saved funnels, members and replay index (its
  // events and blobs are the caller's to delete; its audit entries stay). NotFound when unknown.
  virtual Status DeleteProject(const std::string& project_id) = 0;
  // Named read tokens (Settings → Keys). CreateNamedReadToken: InvalidArgument unless the name
  // is 1..100 bytes; NotFound for an unknown project. A token past expires_ms (when not 0) is no
  // longer valid (CheckReadToken: false). ListReadTokens: oldest first (created_ms, then id),
  // expired ones included. RevokeReadToken: NotFound when the project has no such token.
  virtual Result<CreatedReadToken> CreateNamedReadToken(const std::string& project_id,
                                                        const std::string& name,
                                                        int64_t expires_ms) = 0;
  virtual Result<std::vector<ReadTokenInfo>> ListReadTokens(const std::string& project_id) = 0;
  virtual Status RevokeReadToken(const std::string& project_id, const std::string& token_id) = 0;
  // Gives the project a new public key; the old one stops being a key at once (ingest caches a
  // key for a few seconds). Returns the new key.
  virtual Result<std::string> RotatePublicKey(const std::string& project_id) = 0;

  // Saved funnels, each of one project. A method given an unknown project id answers NotFound, as
  // does one given a funnel id of another project (a funnel is reached only through its own).
  // Oldest first (created_ms, then id).
  virtual Result<std::vector<SavedFunnel>> ListFunnels(const std::string& project_id) = 0;
  virtual Result<SavedFunnel> GetFunnel(const std::string& project_id,
                                        const std::string& funnel_id) = 0;
  // InvalidArgument unless the name is 1..200 bytes; TooLarge when the project already has
  // limits::kMaxSavedFunnelsPerProject funnels (checked atomically with the insert).
  virtual Result<SavedFunnel> CreateFunnel(const std::string& project_id, const std::string& name,
                                           const std::string& definition) = 0;
  // Replaces name and definition; updated_ms becomes now (never before created_ms).
  virtual Result<SavedFunnel> UpdateFunnel(const std::string& project_id,
                                           const std::string& funnel_id, const std::string& name,
                                           const std::string& definition) = 0;
  virtual Status DeleteFunnel(const std::string& project_id, const std::string& funnel_id) = 0;
  // The replay index. AddReplayChunk records a stored chunk in its session; a chunk is
  // identified by (project, session, chunk_index), and adding one again changes nothing (a
  // retried upload is counted once). MarkReplayTruncated sets the session's truncated flag
  // (creating an empty session row when none exists). Both answer NotFound for an unknown project.
  virtual Status AddReplayChunk(const std::string& project_id, const ReplayChunkInfo& chunk) = 0;
  virtual Status MarkReplayTruncated(const std::string& project_id,
                                     const std::string& session_id) = 0;
  // The session, or nullopt when none is indexed.
  virtual Result<std::optional<ReplaySession>> GetReplaySession(const std::string& project_id,
                                                                const std::string& session_id) = 0;
  // The project's sessions in opts.order (newest: first_ts descending, then session_id).
  virtual Result<std::vector<ReplaySession>> ListReplaySessions(const std::string& project_id,
                                                                const ReplayListOptions& opts) = 0;
  // A session's chunks in chunk_index order (empty when none).
  virtual Result<std::vector<ReplayChunkInfo>> ListReplayChunks(const std::string& project_id,
                                                                const std::string& session_id) = 0;
  // Removes a session and its chunks from the index (retention, DSAR); false when none was
  // indexed. NotFound for an unknown project. The chunks' blobs are the caller's to delete.
  virtual Result<bool> DeleteReplaySession(const std::string& project_id,
                                           const std::string& session_id) = 0;

  // Users. An email is trimmed and lower-cased before it is stored or looked up; CreateUser and
  // SetUserEmail answer InvalidArgument unless it is empty (CreateUser only) or looks like
  // local@domain within limits::kMaxEmailBytes, and AlreadyExists when another user has it.
  virtual Result<User> CreateUser(const std::string& email) = 0;
  virtual Result<User> GetUser(const std::string& user_id) = 0;
  // NotFound for an unknown or empty email.
  virtual Result<User> FindUserByEmail(const std::string& email) = 0;
  virtual Status SetUserEmail(const std::string& user_id, const std::string& email) = 0;
  // Oldest first (created_ms, then id).
  virtual Result<std::vector<User>> ListUsers() = 0;

  // One-time sign-in links (issue 12). CreateSignInLink stores a new link of a user, bound to the
  // browser that holds `browser_nonce` (non-empty), valid until `expires_ms`, and returns its
  // token ("sl_" + 64 hex = 256 random bits) in plain, once; NotFound for an unknown user.
  // ConsumeSignInLink answers the user id and deletes the link, atomically, so that of any
  // number of concurrent calls with one token at most one succeeds. It refuses, with
  // Unauthenticated, a token never issued or already used, and one expired at `now_ms` (deleting
  // it); with PermissionDenied, a live token presented with another browser's nonce (the link
  // stays usable by its own browser).
  virtual Result<std::string> CreateSignInLink(const std::string& user_id,
                                               const std::string& browser_nonce,
                                               int64_t expires_ms) = 0;
  virtual Result<std::string> ConsumeSignInLink(const std::string& token,
                                                const std::string& browser_nonce,
                                                int64_t now_ms) = 0;

  // Dashboard sessions. The store keeps them; SessionAuth (api/session_auth.h) judges their idle
  // and absolute timeouts. CreateDashboardSession: NotFound for an unknown user.
  virtual Result<CreatedSession> CreateDashboardSession(const std::string& user_id,
                                                        const std::string& user_agent,
                                                        int64_t now_ms, int64_t expires_ms) = 0;
  // The session of a token (NotFound when unknown or revoked).
  virtual Result<DashboardSession> FindDashboardSession(const std::string& token) = 0;
  virtual Result<DashboardSession> GetDashboardSession(const std::string& session_id) = 0;
  // last_seen_ms = max(last_seen_ms, now_ms); NotFound when the session is gone.
  virtual Status TouchDashboardSession(const std::string& session_id, int64_t now_ms) = 0;
  // The user's sessions, newest first (created_ms descending, then id).
  virtual Result<std::vector<DashboardSession>> ListDashboardSessions(
      const std::string& user_id) = 0;
  // Ends one session of the user; NotFound when the user has no such session (another user's
  // session is not theirs to end).
  virtual Status RevokeDashboardSession(const std::string& user_id,
                                        const std::string& session_id) = 0;
  // Ends every session of the user, or of every user when user_id is empty (signout-all);
  // returns how many ended.
  virtual Result<int> RevokeDashboardSessions(const std::string& user_id) = 0;

  // Members: who may use a project through the dashboard (issue 12). SetMember adds the user with
  // `role`, or changes the role of a member (keeping created_ms); NotFound for an unknown project
  // or user. RemoveMember answers false when the user was not a member, and FailedPrecondition
  // (changing nothing) when it would leave the project without an owner; so does SetMember
  // demoting the last owner.
  virtual Status SetMember(const std::string& project_id, const std::string& user_id,
                           Role role) = 0;
  virtual Result<bool> RemoveMember(const std::string& project_id, const std::string& user_id) = 0;
  // The user's role in the project; nullopt when not a member (or either is unknown).
  virtual Result<std::optional<Role>> GetRole(const std::string& project_id,
                                              const std::string& user_id) = 0;
  // A project's members, oldest first (created_ms, then user id); NotFound for an unknown project.
  virtual Result<std::vector<Membership>> ListMembers(const std::string& project_id) = 0;
  // A user's memberships, oldest project first (the project's created_ms, then its id).
  virtual Result<std::vector<Membership>> ListMemberships(const std::string& user_id) = 0;

  // The audit log. AppendAudit stores the entry (its id and, when 0, ts_ms assigned) and returns
  // it; ListAudit answers a project's entries newest first (id descending) with id < before_id,
  // at most `limit`.
  virtual Result<AuditEntry> AppendAudit(const AuditEntry& entry) = 0;
  virtual Result<std::vector<AuditEntry>> ListAudit(const std::string& project_id, size_t limit,
                                                    int64_t before_id) = 0;

  // Small server-wide values (signing secrets, schema version, kDemoProjectKey).
  virtual Result<std::optional<std::string>> GetValue(const std::string& key) = 0;
  virtual Status PutValue(const std::string& key, const std::string& value) = 0;

  // Makes every delete so far final on disk (a DSAR delete, docs/api.md): no copy of a deleted
  // row may stay in the backend's own files — for SQLite the WAL is checkpointed into the main
  // file (where secure_delete has overwritten freed content) and truncated to zero bytes. The
  // data itself is unchanged. Unavailable when another connection holds the journal (retry).
  virtual Status PurgeDeleted() = 0;
};

// An email as the store keeps it: trimmed of spaces and tabs, ASCII lower case. InvalidArgument
// unless it is local@domain (one '@', both sides non-empty, a '.' in the domain), at most
// limits::kMaxEmailBytes, without spaces, control characters or any of <>()[],;:\" (so it can go
// into a mail header as it is).
Result<std::string> NormalizeEmail(std::string_view email);

// GetValue key: the id of the Demo project behind /demo/ (empty when it was removed on purpose).
inline constexpr char kDemoProjectKey[] = "demo_project_id";

// GetValue key prefix (+ project id): the retention job's last pass over the project, as JSON
// {"ran_ms","events_removed","recordings_removed","error"} (app/retention.h); Settings shows it.
inline constexpr char kRetentionRunKeyPrefix[] = "retention_last_run:";

// Opens (creating if needed) the SQLite meta store at `path`.
Result<std::unique_ptr<MetaStore>> OpenSqliteMetaStore(const std::string& path);

}  // namespace tapistry
