#include "app/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/env.h"

namespace tapistry {

Result<std::unique_ptr<DataDir>> DataDir::Open(const std::string& dir) {
  // Durably: a directory whose entry a crash can take back would take the stores with it.
  std::vector<std::string> created;
  for (const char* sub : {"", "/events", "/wal"}) {
    Status s = CreateDirs(PosixEnv(), dir + sub, &created);
    if (!s.ok()) return Status::IOError("cannot create " + dir + sub + ": " + s.message());
  }
  TAP_RETURN_IF_ERROR(SyncCreatedDirs(PosixEnv(), created));
  std::string lock = dir + "/LOCK";
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot open " + lock + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {0};
    ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    std::string who = n > 0 ? std::string(pid, static_cast<size_t>(n)) : "another process";
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    return Status::Unavailable(
        "data directory " + dir + " is in use by pid " + who +
        " (a running `tapistry serve` or import); stop it first or use another --data");
  }
  std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
    // The pid is informational only; the flock is what protects the directory.
  }
  return std::unique_ptr<DataDir>(new DataDir(dir, fd));
}

DataDir::~DataDir() {
  ::flock(lock_fd_, LOCK_UN);
  ::close(lock_fd_);
}

}  // namespace tapistry
