#include "common/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tapistry {

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  std::string m = what + " " + path + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return Status::NotFound(std::move(m));
    case EEXIST:
    case ENOTEMPTY:
      return Status::AlreadyExists(std::move(m));
    case EISDIR:
      return Status::InvalidArgument(std::move(m));
    default:
      return Status::IOError(std::move(m));
  }
}

namespace {

Status Errno(const char* what, const std::string& path, int err) {
  return ErrnoStatus(what, path, err);
}

class PosixFile final : public File {
 public:
  PosixFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFile() override { (void)Close(); }

  Status Write(uint64_t offset, std::string_view data) override {
    while (!data.empty()) {
      const ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Errno("write", path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  Result<size_t> Read(uint64_t offset, char* buf, size_t n) const override {
    size_t done = 0;
    while (done < n) {
      const ssize_t r = ::pread(fd_, buf + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return Errno("read", path_, errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    return done;
  }

  Status Sync() override { return ::fsync(fd_) == 0 ? Status::Ok() : Errno("fsync", path_, errno); }
  Status DataSync() override {
    return ::fdatasync(fd_) == 0 ? Status::Ok() : Errno("fdatasync", path_, errno);
  }
  Status Truncate(uint64_t size) override {
    return ::ftruncate(fd_, static_cast<off_t>(size)) == 0 ? Status::Ok()
                                                           : Errno("truncate", path_, errno);
  }
  Result<uint64_t> Size() const override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return Errno("stat", path_, errno);
    return static_cast<uint64_t>(st.st_size);
  }
  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? Status::Ok() : Errno("close", path_, errno);
  }
  const std::string& path() const override { return path_; }

 private:
  int fd_;
  const std::string path_;
};

class Posix final : public Env {
 public:
  Result<std::unique_ptr<File>> Open(const std::string& path, OpenMode mode) override {
    int flags = O_CLOEXEC;
    switch (mode) {
      case OpenMode::kReadOnly:
        flags |= O_RDONLY;
        break;
      case OpenMode::kReadWrite:
        flags |= O_RDWR;
        break;
      case OpenMode::kCreateNew:
        flags |= O_RDWR | O_CREAT | O_EXCL;
        break;
      case OpenMode::kCreateOrTruncate:
        flags |= O_RDWR | O_CREAT | O_TRUNC;
        break;
    }
    const int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return Errno("open", path, errno);
    // open(O_RDONLY) succeeds on a directory; a File is a regular file.
    struct stat st;
    int err = 0;
    if (::fstat(fd, &st) != 0) err = errno;
    else if (S_ISDIR(st.st_mode)) err = EISDIR;
    else if (!S_ISREG(st.st_mode)) err = EINVAL;
    if (err != 0) {
      ::close(fd);
      return Errno("open", path, err);
    }
    return std::unique_ptr<File>(new PosixFile(fd, path));
  }

  Result<FileInfo> Stat(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return Errno("stat", path, errno);
    return FileInfo{S_ISDIR(st.st_mode), static_cast<uint64_t>(st.st_size)};
  }

  Result<std::vector<DirEntry>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return Errno("list", dir, errno);
    std::vector<DirEntry> out;
    errno = 0;
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      unsigned char type = e->d_type;
      if (type == DT_UNKNOWN) {  // some file systems do not fill d_type
        struct stat st;
        if (::lstat((dir + "/" + name).c_str(), &st) != 0) continue;  // gone meanwhile
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
      }
      if (type == DT_DIR || type == DT_REG) out.push_back({name, type == DT_DIR});
    }
    const int err = errno;
    ::closedir(d);
    if (err != 0) return Errno("list", dir, err);
    return out;
  }

  Status CreateDir(const std::string& dir) override {
    return ::mkdir(dir.c_str(), 0755) == 0 ? Status::Ok() : Errno("mkdir", dir, errno);
  }
  Status RemoveDir(const std::string& dir) override {
    return ::rmdir(dir.c_str()) == 0 ? Status::Ok() : Errno("rmdir", dir, errno);
  }
  Status Rename(const std::string& from, const std::string& to) override {
    return ::rename(from.c_str(), to.c_str()) == 0 ? Status::Ok()
                                                   : Errno("rename", from + " to " + to, errno);
  }
  Status RenameNoReplace(const std::string& from, const std::string& to) override {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
      return Status::Ok();
    }
    if (errno != EINVAL && errno != ENOSYS) return Errno("rename", from + " to " + to, errno);
    // No RENAME_NOREPLACE on this file system: link() never replaces either.
    TAP_RETURN_IF_ERROR(Link(from, to));
    return Unlink(from);
  }
  Status Link(const std::string& from, const std::string& to) override {
    return ::link(from.c_str(), to.c_str()) == 0 ? Status::Ok()
                                                 : Errno("link", from + " to " + to, errno);
  }
  Status Unlink(const std::string& path) override {
    return ::unlink(path.c_str()) == 0 ? Status::Ok() : Errno("unlink", path, errno);
  }
  Status SyncDir(const std::string& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Errno("open dir", dir, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    return rc == 0 ? Status::Ok() : Errno("fsync dir", dir, err);
  }
  Result<uint64_t> FreeSpace(const std::string& path) override {
    struct statvfs st;
    if (::statvfs(path.c_str(), &st) != 0) return Errno("statvfs", path, errno);
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  }
};

}  // namespace

Env* PosixEnv() {
  static Posix* env = new Posix();  // never destroyed: usable from static destructors
  return env;
}

std::string ParentDir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status ReadFileToString(Env* env, const std::string& path, std::string* out) {
  auto file = env->Open(path, OpenMode::kReadOnly);
  if (!file.ok()) return file.status();
  auto size = (*file)->Size();
  if (!size.ok()) return size.status();
  out->resize(static_cast<size_t>(*size));
  auto got = (*file)->Read(0, out->data(), out->size());
  if (!got.ok()) return got.status();
  out->resize(*got);  // shrank under us: what is there
  return Status::Ok();
}

Status WriteFileSynced(Env* env, const std::string& path, std::string_view data, OpenMode mode) {
  auto file = env->Open(path, mode);
  if (!file.ok()) return file.status();
  Status s = (*file)->Write(0, data);
  if (s.ok()) s = (*file)->Sync();
  if (Status c = (*file)->Close(); s.ok()) s = c;
  if (!s.ok()) (void)env->Unlink(path);
  return s;
}

Status CreateDirs(Env* env, const std::string& dir, std::vector<std::string>* created) {
  auto info = env->Stat(dir);
  if (info.ok()) {
    return info->is_dir ? Status::Ok() : Status::AlreadyExists(dir + " is a file, not a directory");
  }
  if (info.status().code() != StatusCode::kNotFound) return info.status();
  const std::string parent = ParentDir(dir);
  if (parent != dir && parent != "." && parent != "/") {
    TAP_RETURN_IF_ERROR(CreateDirs(env, parent, created));
  }
  Status s = env->CreateDir(dir);
  if (s.code() == StatusCode::kAlreadyExists) {
    // A concurrent creator won; fine if what it made is a directory.
    auto again = env->Stat(dir);
    if (again.ok() && again->is_dir) return Status::Ok();
    return s;
  }
  if (s.ok() && created) created->push_back(dir);
  return s;
}

Status SyncCreatedDirs(Env* env, const std::vector<std::string>& created) {
  for (auto it = created.rbegin(); it != created.rend(); ++it) {
    TAP_RETURN_IF_ERROR(env->SyncDir(ParentDir(*it)));
  }
  return Status::Ok();
}

Status RemoveAll(Env* env, const std::string& path) {
  auto info = env->Stat(path);
  if (!info.ok())
    return info.status().code() == StatusCode::kNotFound ? Status::Ok() : info.status();
  if (!info->is_dir) {
    Status s = env->Unlink(path);
    return s.code() == StatusCode::kNotFound ? Status::Ok() : s;
  }
  auto entries = env->ListDir(path);
  if (!entries.ok()) {
    return entries.status().code() == StatusCode::kNotFound ? Status::Ok() : entries.status();
  }
  for (const DirEntry& e : *entries) TAP_RETURN_IF_ERROR(RemoveAll(env, path + "/" + e.name));
  Status s = env->RemoveDir(path);
  return s.code() == StatusCode::kNotFound ? Status::Ok() : s;
}

}  // namespace tapistry
