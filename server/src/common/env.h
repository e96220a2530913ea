// Env: the file system behind one narrow interface (LevelDB's Env), so the WAL, the embedded
// store's file_util and the fs blob store share one errno / fsync / rename stack, and a test can
// slide a fault-injecting Env (fault_injection_env.h) under any of them.
//
// Errors are Statuses naming the operation, the path and the OS's reason. Codes: NotFound for a
// missing path (ENOENT, or ENOTDIR: a component is a file), AlreadyExists when a name is taken
// (EEXIST, ENOTEMPTY), InvalidArgument where a directory stands in for a file (EISDIR), IOError
// for everything else (EIO, ENOSPC, EDQUOT, ...). EINTR and short writes are retried inside.
//
// Durability is the caller's: a written file needs Sync/DataSync, and a created, renamed,
// linked or unlinked name needs SyncDir of its directory, before a crash cannot undo it.
//
// Thread-safety: Env methods may be called concurrently. A File's Read may run on many threads
// (positional, no shared cursor); its writes, syncs and truncates are serialized by the caller.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tapistry/status.h"

namespace tapistry {

class File {
 public:
  virtual ~File() = default;  // closes; use Close() to see an error
  // Writes all of `data` at `offset`.
  virtual Status Write(uint64_t offset, std::string_view data) = 0;
  // Reads up to `n` bytes at `offset` into `buf`; fewer only at the end of the file.
  virtual Result<size_t> Read(uint64_t offset, char* buf, size_t n) const = 0;
  virtual Status Sync() = 0;      // fsync: the bytes and the metadata
  virtual Status DataSync() = 0;  // fdatasync: the bytes (and the size when it changed)
  virtual Status Truncate(uint64_t size) = 0;
  virtual Result<uint64_t> Size() const = 0;
  virtual Status Close() = 0;  // idempotent
  virtual const std::string& path() const = 0;
};

enum class OpenMode {
  kReadOnly,          // an existing file
  kReadWrite,         // an existing file, to cut or patch
  kCreateNew,         // a new file; AlreadyExists when the name is taken
  kCreateOrTruncate,  // a new or emptied file
};

struct FileInfo {
  bool is_dir = false;
  uint64_t size = 0;
};

struct DirEntry {
  std::string name;
  bool is_dir = false;
};

class Env {
 public:
  virtual ~Env() = default;

  // Regular files only: a directory is InvalidArgument.
  virtual Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) = 0;
  virtual Result<FileInfo> Stat(const std::string& path) = 0;
  // Entries of `dir` (no "." and ".."), in no particular order; symlinks and other special files
  // are left out.
  virtual Result<std::vector<DirEntry>> ListDir(const std::string& dir) = 0;
  // One level; AlreadyExists when the name is taken (by a directory or not).
  virtual Status CreateDir(const std::string& dir) = 0;
  virtual Status RemoveDir(const std::string& dir) = 0;  // an empty one
  // Atomically points `to` at `from`'s file, replacing whatever `to` was.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // Like Rename, but AlreadyExists instead of replacing: of racing callers exactly one wins.
  virtual Status RenameNoReplace(const std::string& from, const std::string& to) = 0;
  // A second name `to` for `from`'s file; AlreadyExists instead of replacing.
  virtual Status Link(const std::string& from, const std::string& to) = 0;
  virtual Status Unlink(const std::string& path) = 0;
  virtual Status SyncDir(const std::string& dir) = 0;
  // Bytes an unprivileged writer may still use on the file system holding `path`.
  virtual Result<uint64_t> FreeSpace(const std::string& path) = 0;
};

// The real file system. Never null; lives for the whole process.
Env* PosixEnv();

// --- Helpers over any Env: how each durability recipe is spelled once. ---

// The Status for an OS error number, with the codes listed at the top.
Status ErrnoStatus(const std::string& what, const std::string& path, int err);

// The directory part of `path` ("." when there is none).
std::string ParentDir(const std::string& path);
// Reads the whole file.
Status ReadFileToString(Env* env, const std::string& path, std::string* out);
// Creates (or empties) `path`, writes `data` and fsyncs it; removes it again on failure. No
// directory sync: the caller publishes it (rename) or syncs the directory.
Status WriteFileSynced(Env* env, const std::string& path, std::string_view data,
                       OpenMode mode = OpenMode::kCreateOrTruncate);
// mkdir -p. Each directory it made is appended to *created (outermost first) when given, so
// the caller can SyncCreatedDirs once the new file below them is in place.
Status CreateDirs(Env* env, const std::string& dir, std::vector<std::string>* created = nullptr);
// Makes the entries of new directories durable: fsyncs the parent of each, innermost first.
Status SyncCreatedDirs(Env* env, const std::vector<std::string>& created);
// Removes a file or a whole tree; a missing path is fine.
Status RemoveAll(Env* env, const std::string& path);

}  // namespace tapistry
