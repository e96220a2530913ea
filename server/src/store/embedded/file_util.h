// The few file-system operations the embedded store needs, with the durability steps spelled
// out: atomic publish is write temp -> fsync -> rename -> fsync directory, so a crash leaves
// either the old file or the new one, never a torn one.
// Thread-safety: functions are thread-safe; a RandomAccessFile may be read from many threads
// (pread has no shared cursor).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tapistry/status.h"

namespace tapistry::store {

// Suffix of files being written; recovery deletes any it finds.
inline constexpr std::string_view kTempSuffix = ".tmp";

// Writes `data` to `path` atomically (temp file in the same directory, fsync, rename, fsync dir).
Status WriteFileAtomic(const std::string& path, std::string_view data);
// Writes `data` to `path` (creating it) and fsyncs it; no rename.
Status WriteFileSynced(const std::string& path, std::string_view data);
Status RenameFile(const std::string& from, const std::string& to);
Status FsyncDir(const std::string& dir);
Status ReadWholeFile(const std::string& path, std::string* out);
// mkdir -p.
Status CreateDirs(const std::string& dir);
// Removes a file or a whole tree; missing is fine.
Status RemoveAll(const std::string& path);

class RandomAccessFile {
 public:
  static Result<std::unique_ptr<RandomAccessFile>> Open(const std::string& path);
  ~RandomAccessFile();
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;

  uint64_t size() const { return size_; }
  // Reads exactly n bytes at offset into *out; a short file is corruption.
  Status Read(uint64_t offset, size_t n, std::string* out) const;

 private:
  RandomAccessFile(int fd, uint64_t size, std::string path) : fd_(fd), size_(size), path_(std::move(path)) {}
  int fd_;
  uint64_t size_;
  std::string path_;
};

}  // namespace tapistry::store
