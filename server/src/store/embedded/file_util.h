// The few file-system operations the embedded store needs, with the durability steps spelled
// out: atomic publish is write temp -> fsync -> rename -> fsync directory, so a crash leaves
// either the old file or the new one, never a torn one. Every call goes through an Env
// (common/env.h; nullptr = PosixEnv()), the one errno/fsync/rename stack the WAL and the blob
// store share, so tests can fail any step or cut the power (common/fault_injection_env.h).
// Thread-safety: functions are thread-safe; a RandomAccessFile may be read from many threads
// (pread has no shared cursor).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/env.h"
#include "tapistry/status.h"

namespace tapistry::store {

// Suffix of files being written; recovery deletes any it finds.
inline constexpr std::string_view kTempSuffix = ".tmp";

// Writes `data` to `path` atomically (temp file in the same directory, fsync, rename, fsync dir).
Status WriteFileAtomic(const std::string& path, std::string_view data, Env* env = nullptr);
// Writes `data` to `path` (creating it) and fsyncs it; no rename.
Status WriteFileSynced(const std::string& path, std::string_view data, Env* env = nullptr);
Status RenameFile(const std::string& from, const std::string& to, Env* env = nullptr);
Status FsyncDir(const std::string& dir, Env* env = nullptr);
Status ReadWholeFile(const std::string& path, std::string* out, Env* env = nullptr);
// mkdir -p, durably: the entry of each directory it creates is fsync'd into its parent, so a
// segment the manifest names cannot lose its directory in a crash.
Status CreateDirs(const std::string& dir, Env* env = nullptr);
// Removes a file or a whole tree; missing is fine.
Status RemoveAll(const std::string& path, Env* env = nullptr);
// Appends the path of every regular file below `dir` (any depth) to *out.
Status ListFilesRecursive(const std::string& dir, std::vector<std::string>* out,
                          Env* env = nullptr);

class RandomAccessFile {
 public:
  static Result<std::unique_ptr<RandomAccessFile>> Open(const std::string& path,
                                                        Env* env = nullptr);
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;

  uint64_t size() const { return size_; }
  // Reads exactly n bytes at offset into *out; a short file is corruption.
  Status Read(uint64_t offset, size_t n, std::string* out) const;

 private:
  RandomAccessFile(std::unique_ptr<File> file, uint64_t size)
      : file_(std::move(file)), size_(size) {}
  std::unique_ptr<File> file_;
  uint64_t size_;
};

}  // namespace tapistry::store
