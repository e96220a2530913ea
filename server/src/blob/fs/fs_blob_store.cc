// FsBlobStore: one file per key under a root directory (key "a/b" is the file ROOT/a/b).
//
// Writes go to a temp file beside the object, which is fsync'd and then published: Put renames
// it over the key, PutIfAbsent publishes it without replacing (renameat2 RENAME_NOREPLACE, or
// link() where the file system lacks it), so a reader never sees a partial object and of two
// racing PutIfAbsent calls the kernel lets exactly one win. Then the directory is fsync'd, and
// so is the parent of every directory the write created, so the name survives a crash too.
//
// Temp names contain '~', which no key may contain: List skips them without ever hiding a key.
// Thread-safety: no shared mutable state; the file system orders concurrent calls.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/crypto.h"
#include "tapistry/blob_store.h"

namespace tapistry {
namespace {

constexpr char kTempMark = '~';

Status Errno(const std::string& what, const std::string& path, int err = errno) {
  return Status::IOError(what + " " + path + ": " + std::strerror(err));
}

// A key that collides with a directory (or a directory with a file) on the way: no such object
// for reads, a refused key for writes (blob_store.h: "a" and "a/b" may not both exist).
bool NameConflict(int err) { return err == ENOTDIR || err == EISDIR; }

Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open dir", dir);
  Status s;
  if (::fsync(fd) != 0) s = Errno("fsync dir", dir);
  ::close(fd);
  return s;
}

Status WriteSynced(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create", path);
  Status s;
  size_t off = 0;
  while (s.ok() && off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = Errno("write", path);
    else off += static_cast<size_t>(n);
  }
  if (s.ok() && ::fsync(fd) != 0) s = Errno("fsync", path);
  if (::close(fd) != 0 && s.ok()) s = Errno("close", path);
  if (!s.ok()) ::unlink(path.c_str());
  return s;
}

// Moves `tmp` to `path` unless `path` exists: errno EEXIST when it does.
int PublishNoReplace(const std::string& tmp, const std::string& path) {
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return errno;
  // No RENAME_NOREPLACE on this file system: link() never replaces either.
  if (::link(tmp.c_str(), path.c_str()) != 0) return errno;
  ::unlink(tmp.c_str());
  return 0;
}

class FsBlobStore final : public BlobStore {
 public:
  explicit FsBlobStore(std::string root) : root_(std::move(root)) {}

  Status Put(const std::string& key, const std::string& bytes) override {
    return Write(key, bytes, /*replace=*/true);
  }

  Status PutIfAbsent(const std::string& key, const std::string& bytes) override {
    return Write(key, bytes, /*replace=*/false);
  }

  Result<std::string> Get(const std::string& key) override {
    return Read(key, 0, UINT64_MAX);
  }

  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override {
    return Read(key, offset, length);
  }

  Result<uint64_t> Size(const std::string& key) override {
    if (!ValidBlobKey(key)) return Status::InvalidArgument("invalid blob key");
    struct stat st;
    const std::string path = Path(key);
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || NameConflict(errno)) return Status::NotFound("no blob " + key);
      return Errno("stat", path);
    }
    if (!S_ISREG(st.st_mode)) return Status::NotFound("no blob " + key);
    return static_cast<uint64_t>(st.st_size);
  }

  Status Delete(const std::string& key) override {
    if (!ValidBlobKey(key)) return Status::InvalidArgument("invalid blob key");
    const std::string path = Path(key);
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT || NameConflict(errno)) return Status::Ok();
      return Errno("unlink", path);
    }
    // DSAR deletes must stay deleted after a crash.
    return SyncDir(Parent(path));
  }

  Result<std::vector<std::string>> List(const std::string& prefix) override {
    std::vector<std::string> out;
    // Walk only the directory the prefix names: listing one session's chunks must not read
    // every blob. A prefix whose directory part is no valid key matches no key.
    const size_t slash = prefix.rfind('/');
    const std::string base = slash == std::string::npos ? "" : prefix.substr(0, slash);
    if (!base.empty() && !ValidBlobKey(base)) return out;
    TAP_RETURN_IF_ERROR(Walk(base, prefix, &out));
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::string Path(const std::string& key) const { return root_ + "/" + key; }
  static std::string Parent(const std::string& path) { return path.substr(0, path.rfind('/')); }

  // mkdir -p of the key's directories below root_; *created gets each new one, outermost first.
  Status MakeParents(const std::string& key, std::vector<std::string>* created) {
    for (size_t slash = key.find('/'); slash != std::string::npos; slash = key.find('/', slash + 1)) {
      const std::string dir = Path(key.substr(0, slash));
      if (::mkdir(dir.c_str(), 0755) == 0) {
        created->push_back(dir);
        continue;
      }
      if (errno == EEXIST) {
        struct stat st;
        if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
        return Status::InvalidArgument("blob key " + key + " runs through an existing object");
      }
      if (NameConflict(errno)) {
        return Status::InvalidArgument("blob key " + key + " runs through an existing object");
      }
      return Errno("mkdir", dir);
    }
    return Status::Ok();
  }

  // AlreadyExists when `key` is an object, InvalidArgument when it is a directory of others.
  Status Occupied(const std::string& key) {
    struct stat st;
    if (::lstat(Path(key).c_str(), &st) != 0) return Status::Ok();
    if (S_ISDIR(st.st_mode)) return Status::InvalidArgument("blob key " + key + " names a directory");
    return Status::AlreadyExists("blob " + key + " exists");
  }

  Status Write(const std::string& key, const std::string& bytes, bool replace) {
    if (!ValidBlobKey(key)) return Status::InvalidArgument("invalid blob key");
    const std::string path = Path(key);
    std::vector<std::string> created;
    TAP_RETURN_IF_ERROR(MakeParents(key, &created));
    // Cheap early answer for the common retry; the publish below decides races.
    if (!replace) TAP_RETURN_IF_ERROR(Occupied(key));
    const std::string tmp = path + kTempMark + RandomHex(6);
    TAP_RETURN_IF_ERROR(WriteSynced(tmp, bytes));
    const int err = replace ? (::rename(tmp.c_str(), path.c_str()) == 0 ? 0 : errno)
                            : PublishNoReplace(tmp, path);
    if (err != 0) {
      ::unlink(tmp.c_str());
      if (err == EEXIST && !replace) {
        Status occupied = Occupied(key);
        return occupied.ok() ? Status::AlreadyExists("blob " + key + " exists") : occupied;
      }
      if (NameConflict(err)) return Status::InvalidArgument("blob key " + key + " names a directory");
      return Errno(replace ? "rename" : "publish", path, err);
    }
    TAP_RETURN_IF_ERROR(SyncDir(Parent(path)));
    // Innermost first: each new directory's own entry lives in its parent.
    for (auto it = created.rbegin(); it != created.rend(); ++it) {
      TAP_RETURN_IF_ERROR(SyncDir(Parent(*it)));
    }
    return Status::Ok();
  }

  Result<std::string> Read(const std::string& key, uint64_t offset, uint64_t length) {
    if (!ValidBlobKey(key)) return Status::InvalidArgument("invalid blob key");
    const std::string path = Path(key);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || NameConflict(errno)) return Status::NotFound("no blob " + key);
      return Errno("open", path);
    }
    // The fd pins one version: a concurrent Put replaces the name, not these bytes.
    struct stat st;
    Status s;
    std::string out;
    if (::fstat(fd, &st) != 0) {
      s = Errno("stat", path);
    } else if (!S_ISREG(st.st_mode)) {
      s = Status::NotFound("no blob " + key);
    } else if (offset > static_cast<uint64_t>(st.st_size)) {
      s = Status::InvalidArgument("blob " + key + ": offset past the end");
    } else {
      const uint64_t avail = static_cast<uint64_t>(st.st_size) - offset;
      out.resize(static_cast<size_t>(std::min(avail, length)));
      size_t done = 0;
      while (done < out.size()) {
        const ssize_t n = ::pread(fd, out.data() + done, out.size() - done,
                                  static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          s = Errno("read", path);
          break;
        }
        if (n == 0) break;  // cannot happen to a published (immutable) file; stay safe
        done += static_cast<size_t>(n);
      }
      out.resize(done);
    }
    ::close(fd);
    if (!s.ok()) return s;
    return out;
  }

  // Appends to *out every key under directory `rel` ("" = root) that starts with `prefix`.
  Status Walk(const std::string& rel, const std::string& prefix, std::vector<std::string>* out) {
    const std::string dir = rel.empty() ? root_ : Path(rel);
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
      // Gone (a concurrent delete of the last object) or never made: nothing below it.
      if (errno == ENOENT || errno == ENOTDIR) return Status::Ok();
      return Errno("list", dir);
    }
    std::vector<std::pair<std::string, bool>> entries;
    while (dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name == "." || name == ".." || name.find(kTempMark) != std::string::npos) continue;
      bool is_dir = e->d_type == DT_DIR;
      if (e->d_type == DT_UNKNOWN) {
        struct stat st;
        if (::stat((dir + "/" + name).c_str(), &st) != 0) continue;
        is_dir = S_ISDIR(st.st_mode);
      } else if (e->d_type != DT_DIR && e->d_type != DT_REG) {
        continue;
      }
      entries.emplace_back(name, is_dir);
    }
    ::closedir(d);
    for (const auto& [name, is_dir] : entries) {
      const std::string key = rel.empty() ? name : rel + "/" + name;
      // Skip subtrees the prefix rules out.
      const size_t n = std::min(key.size(), prefix.size());
      if (key.compare(0, n, prefix, 0, n) != 0) continue;
      if (is_dir) {
        TAP_RETURN_IF_ERROR(Walk(key, prefix, out));
      } else if (key.size() >= prefix.size()) {
        out->push_back(key);
      }
    }
    return Status::Ok();
  }

  const std::string root_;
};

}  // namespace

Result<std::unique_ptr<BlobStore>> OpenFsBlobStore(const std::string& dir) {
  if (dir.empty()) return Status::InvalidArgument("blob store: empty directory");
  std::string root = dir;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec) return Status::IOError("cannot create " + root + ": " + ec.message());
  return std::unique_ptr<BlobStore>(new FsBlobStore(root));
}

}  // namespace tapistry
