// FsBlobStore: one file per key under a directory. Put writes a temp file, fsyncs it, renames it
// over the key and fsyncs the directory, so a crash leaves the old or the new object.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/crypto.h"
#include "tapistry/blob_store.h"

namespace tapistry {

bool ValidBlobKey(const std::string& key) {
  if (key.empty() || key.size() > 512 || key.front() == '/' || key.back() == '/') return false;
  size_t start = 0;
  while (start <= key.size()) {
    size_t slash = key.find('/', start);
    std::string seg = key.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    for (char c : seg) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

namespace {

Status Errno(const std::string& what) { return Status::IOError(what + ": " + std::strerror(errno)); }

Status FsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Errno("open " + path);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Errno("fsync " + path);
}

class FsBlobStore final : public BlobStore {
 public:
  explicit FsBlobStore(std::string dir) : dir_(std::move(dir)) {}

  Status Put(const std::string& key, const std::string& bytes) override {
    if (!ValidBlobKey(key)) return Status::InvalidArgument("invalid blob key");
    std::filesystem::path p = std::filesystem::path(dir_) / key;
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) return Status::IOError("mkdir " + p.parent_path().string() + ": " + ec.message());
    std::string tmp = p.string() + ".tmp-" + RandomHex(6);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Errno("open " + tmp);
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        Status s = Errno("write " + tmp);
        ::close(fd);
        ::unlink(tmp.c_str());
        return s;
      }
      off += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) {
      Status s = Errno("fsync " + tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), p.c_str()) != 0) {
      Status s = Errno("rename " + tmp);
      ::unlink(tmp.c_str());
      return s;
    }
    return FsyncPath(p.parent_path().string(), O_RDONLY | O_DIRECTORY);
  }

  Result<std::string> Get(const std::string& key) override {
    if (!ValidBlobKey(key)) return Status::InvalidArgument("invalid blob key");
    std::string path = dir_ + "/" + key;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound("no blob " + key);
      return Errno("open " + path);
    }
    std::string out;
    char buf[65536];
    while (true) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        Status s = Errno("read " + path);
        ::close(fd);
        return s;
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  }

  Status Delete(const std::string& key) override {
    if (!ValidBlobKey(key)) return Status::InvalidArgument("invalid blob key");
    std::string path = dir_ + "/" + key;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("unlink " + path);
    return Status::Ok();
  }

  Result<std::vector<std::string>> List(const std::string& prefix) override {
    std::vector<std::string> out;
    std::error_code ec;
    std::filesystem::recursive_directory_iterator it(dir_, ec), end;
    if (ec) return out;
    for (; it != end; it.increment(ec)) {
      if (ec) break;
      if (!it->is_regular_file()) continue;
      std::string rel = std::filesystem::relative(it->path(), dir_).string();
      if (rel.find(".tmp-") != std::string::npos) continue;
      if (rel.starts_with(prefix)) out.push_back(rel);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::string dir_;
};

}  // namespace

Result<std::unique_ptr<BlobStore>> OpenFsBlobStore(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  return std::unique_ptr<BlobStore>(new FsBlobStore(dir));
}

}  // namespace tapistry
