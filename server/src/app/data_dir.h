// DataDir: the layout of --data (events/, wal/, blobs/, meta.db, LOCK) and the exclusive lock that
// keeps a second process (a server or an import) from writing the same files at once.
// Thread-safety: construct and destroy from one thread.
#pragma once

#include <memory>
#include <string>

#include "tapistry/status.h"

namespace tapistry {

class DataDir {
 public:
  // Creates the directory tree if needed and takes the lock (flock on DIR/LOCK).
  static Result<std::unique_ptr<DataDir>> Open(const std::string& dir);
  ~DataDir();

  std::string EventsDir() const { return dir_ + "/events"; }
  std::string WalDir() const { return dir_ + "/wal"; }
  std::string MetaPath() const { return dir_ + "/meta.db"; }
  std::string BlobsDir() const { return dir_ + "/blobs"; }
  const std::string& path() const { return dir_; }

 private:
  DataDir(std::string dir, int fd) : dir_(std::move(dir)), lock_fd_(fd) {}
  std::string dir_;
  int lock_fd_;
};

}  // namespace tapistry
