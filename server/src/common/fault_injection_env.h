// FaultInjectionEnv: an Env for tests that passes every call to a real Env (normally PosixEnv()
// over a temp dir) and can make chosen calls fail the way disks fail — EIO on fsync, ENOSPC on
// write, a short write — or "kill the process" right after a chosen call and then lose what a
// power cut would lose.
//
// The crash model (what SimulateCrash undoes, LevelDB's FaultInjectionTestEnv in spirit):
//  - file bytes past the size at the file's last successful Sync/DataSync are cut off;
//  - a file, directory, rename or link made through this Env whose directory was not SyncDir'd
//    since is undone: new names vanish (with their contents), renames move back and a file they
//    replaced comes back with the bytes it had.
// Unlinks and truncations count as durable at once (the model cannot bring bytes back that it
// never saved); files the Env never touched are durable.
// After a crash point every call fails with IOError until SimulateCrash, so the code under test
// (destructors included) cannot write past its own death; Files opened before SimulateCrash stay
// dead after it.
//
// Thread-safety: every method may be called concurrently (one mutex; the hook and I/O run outside
// it). Fault rules apply to calls in the order they reach the Env.
#pragma once

#include <cerrno>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/env.h"

namespace tapistry {

enum class FaultOp {
  kOpen,
  kRead,
  kWrite,
  kSync,
  kDataSync,  // kSync: fsync, kDataSync: fdatasync
  kTruncate,
  kStat,
  kList,
  kCreateDir,
  kRemoveDir,
  kRename,  // kRename: both kinds
  kLink,
  kUnlink,
  kSyncDir,
  kFreeSpace,
};

class FaultInjectionEnv final : public Env {
 public:
  explicit FaultInjectionEnv(Env* base = PosixEnv());
  ~FaultInjectionEnv() override;

  struct Fault {
    FaultOp op;
    int err = EIO;             // errno reported
    std::string path_part;     // only calls whose path contains this ("" = any)
    int skip = 0;              // let this many matching calls through first
    int times = 1;             // then fail this many
    int64_t short_bytes = -1;  // kWrite: store this many bytes, then fail (a short write)
  };
  void Inject(const Fault& fault);
  // After the next matching call (past `skip`) completes, the process is dead (see above).
  void CrashAfter(FaultOp op, const std::string& path_part = "", int skip = 0);
  // Called before every operation (e.g. to add latency); a non-ok Status fails the operation.
  void SetHook(std::function<Status(FaultOp, const std::string& path)> hook);
  // Power loss now: undoes what was not durable (the model above), drops the remaining fault
  // rules and crash points, and lets calls through again.
  Status SimulateCrash();
  // Forgets rules and crash points without a crash.
  void ClearFaults();

  bool crashed() const;
  int faults_injected() const;  // failures it caused so far

  // Env
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override;
  Result<FileInfo> Stat(const std::string& path) override;
  Result<std::vector<DirEntry>> ListDir(const std::string& dir) override;
  Status CreateDir(const std::string& dir) override;
  Status RemoveDir(const std::string& dir) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status RenameNoReplace(const std::string& from, const std::string& to) override;
  Status Link(const std::string& from, const std::string& to) override;
  Status Unlink(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;
  Result<uint64_t> FreeSpace(const std::string& path) override;

 private:
  friend class FaultFile;
  // What the crash model knows of one file (shared by its open Files and its pending renames).
  struct Node {
    uint64_t synced_size = 0;
    bool entry_durable = true;
  };
  struct PendingRename {
    std::string from, to;
    std::shared_ptr<Node> node;
    std::shared_ptr<Node> replaced;             // the node `to` had, if any
    std::optional<std::string> replaced_bytes;  // and its bytes, to bring back
  };
  struct Rule {
    Fault fault;
    bool crash = false;
  };

  // Before an operation: a crash, the hook or a matching rule may fail it. *short_bytes is set
  // when a short-write rule matched.
  Status Before(FaultOp op, const std::string& path, int64_t* short_bytes = nullptr);
  // After a successful operation: arms a matching crash point.
  void After(FaultOp op, const std::string& path);
  std::shared_ptr<Node> NodeFor(const std::string& path, uint64_t size_if_new);
  Status DoRename(const std::string& from, const std::string& to, bool replace);
  uint64_t epoch() const;

  Env* const base_;
  mutable std::mutex mu_;
  std::function<Status(FaultOp, const std::string&)> hook_;
  std::vector<Rule> rules_;
  bool crashed_ = false;
  uint64_t epoch_ = 0;  // SimulateCrash count: Files from an older epoch are dead
  int injected_ = 0;
  std::map<std::string, std::shared_ptr<Node>> files_;  // by current path
  std::map<std::string, bool> new_dirs_;                // created here -> entry durable
  std::vector<PendingRename> renames_;
};

}  // namespace tapistry
