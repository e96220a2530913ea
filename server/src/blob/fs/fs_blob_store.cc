// FsBlobStore: one file per key under a root directory (key "a/b" is the file ROOT/a/b).
//
// Writes go to a temp file beside the object, which is fsync'd and then published: Put renames
// it over the key, PutIfAbsent publishes it without replacing (Env::RenameNoReplace), so a
// reader never sees a partial object and of two racing PutIfAbsent calls the kernel lets
// exactly one win. Then the directory is fsync'd, and so is the parent of every directory the
// write created, so the name survives a crash too. Every call goes through an Env
// (common/env.h), shared with the WAL and the embedded store.
//
// Temp names contain '~', which no key may contain: List skips them without ever hiding a key.
// Thread-safety: no shared mutable state; the file system orders concurrent calls.
#include <algorithm>
#include <vector>

#include "common/crypto.h"
#include "common/env.h"
#include "tapistry/blob_store.h"

namespace tapistry {
namespace {

constexpr char kTempMark = '~';

// A path component that is a file (NotFound from ENOTDIR) or a directory where a file was meant
// (InvalidArgument from EISDIR): no such object for reads, a refused key for writes
// (blob_store.h: "a" and "a/b" may not both exist).
bool NoObject(const Status& s) {
  return s.code() == StatusCode::kNotFound || s.code() == StatusCode::kInvalidArgument;
}

class FsBlobStore final : public BlobStore {
 public:
  FsBlobStore(std::string root, Env* env) : root_(std::move(root)), env_(env) {}

  Status Put(const std::string& key, const std::string& bytes) override {
    return Write(key, bytes, /*replace=*/true);
  }

  Status PutIfAbsent(const std::string& key, const std::string& bytes) override {
    return Write(key, bytes, /*replace=*/false);
  }

  Result<std::string> Get(const std::string& key) override { return Read(key, 0, UINT64_MAX); }

  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override {
    return Read(key, offset, length);
  }

  Result<uint64_t> Size(const std::string& key) override {
    if (!ValidBlobKey(key)) return Status::InvalidArgument("invalid blob key");
    auto info = env_->Stat(Path(key));
    if (!info.ok())
      return NoObject(info.status()) ? Status::NotFound("no blob " + key) : info.status();
    if (info->is_dir) return Status::NotFound("no blob " + key);
    return info->size;
  }

  Status Delete(const std::string& key) override {
    if (!ValidBlobKey(key)) return Status::InvalidArgument("invalid blob key");
    const std::string path = Path(key);
    Status s = env_->Unlink(path);
    if (NoObject(s)) return Status::Ok();
    TAP_RETURN_IF_ERROR(s);
    // DSAR deletes must stay deleted after a crash.
    return env_->SyncDir(ParentDir(path));
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

  // AlreadyExists when `key` is an object, InvalidArgument when it is a directory of others.
  Status Occupied(const std::string& key) {
    auto info = env_->Stat(Path(key));
    if (!info.ok()) return Status::Ok();
    if (info->is_dir) return Status::InvalidArgument("blob key " + key + " names a directory");
    return Status::AlreadyExists("blob " + key + " exists");
  }

  Status Write(const std::string& key, const std::string& bytes, bool replace) {
    if (!ValidBlobKey(key)) return Status::InvalidArgument("invalid blob key");
    const std::string path = Path(key);
    const std::string dir = ParentDir(path);
    std::vector<std::string> created;
    if (Status s = CreateDirs(env_, dir, &created); !s.ok()) {
      if (s.code() == StatusCode::kNotFound || s.code() == StatusCode::kAlreadyExists) {
        return Status::InvalidArgument("blob key " + key + " runs through an existing object");
      }
      return s;
    }
    // Cheap early answer for the common retry; the publish below decides races.
    if (!replace) TAP_RETURN_IF_ERROR(Occupied(key));
    const std::string tmp = path + kTempMark + RandomHex(6);
    TAP_RETURN_IF_ERROR(WriteFileSynced(env_, tmp, bytes, OpenMode::kCreateNew));
    Status s = replace ? env_->Rename(tmp, path) : env_->RenameNoReplace(tmp, path);
    if (!s.ok()) {
      (void)env_->Unlink(tmp);
      if (s.code() == StatusCode::kAlreadyExists && !replace) {
        Status occupied = Occupied(key);
        return occupied.ok() ? Status::AlreadyExists("blob " + key + " exists") : occupied;
      }
      if (s.code() == StatusCode::kInvalidArgument) {
        return Status::InvalidArgument("blob key " + key + " names a directory");
      }
      return s;
    }
    TAP_RETURN_IF_ERROR(env_->SyncDir(dir));
    return SyncCreatedDirs(env_, created);
  }

  Result<std::string> Read(const std::string& key, uint64_t offset, uint64_t length) {
    if (!ValidBlobKey(key)) return Status::InvalidArgument("invalid blob key");
    // The open file pins one version: a concurrent Put replaces the name, not these bytes.
    auto file = env_->Open(Path(key), OpenMode::kReadOnly);
    if (!file.ok()) {
      return NoObject(file.status()) ? Status::NotFound("no blob " + key) : file.status();
    }
    auto size = (*file)->Size();
    if (!size.ok()) return size.status();
    if (offset > *size) return Status::InvalidArgument("blob " + key + ": offset past the end");
    std::string out(static_cast<size_t>(std::min(*size - offset, length)), '\0');
    auto got = (*file)->Read(offset, out.data(), out.size());
    if (!got.ok()) return got.status();
    out.resize(*got);
    return out;
  }

  // Appends to *out every key under directory `rel` ("" = root) that starts with `prefix`.
  Status Walk(const std::string& rel, const std::string& prefix, std::vector<std::string>* out) {
    auto entries = env_->ListDir(rel.empty() ? root_ : Path(rel));
    // Gone (a concurrent delete) or never made: nothing below it.
    if (!entries.ok()) return NoObject(entries.status()) ? Status::Ok() : entries.status();
    for (const DirEntry& e : *entries) {
      if (e.name.find(kTempMark) != std::string::npos) continue;
      const std::string key = rel.empty() ? e.name : rel + "/" + e.name;
      // Skip subtrees the prefix rules out.
      const size_t n = std::min(key.size(), prefix.size());
      if (key.compare(0, n, prefix, 0, n) != 0) continue;
      if (e.is_dir) {
        TAP_RETURN_IF_ERROR(Walk(key, prefix, out));
      } else if (key.size() >= prefix.size()) {
        out->push_back(key);
      }
    }
    return Status::Ok();
  }

  const std::string root_;
  Env* const env_;
};

}  // namespace

Result<std::unique_ptr<BlobStore>> OpenFsBlobStore(const std::string& dir, Env* env) {
  if (dir.empty()) return Status::InvalidArgument("blob store: empty directory");
  if (env == nullptr) env = PosixEnv();
  std::string root = dir;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  std::vector<std::string> created;
  TAP_RETURN_IF_ERROR(CreateDirs(env, root, &created));
  TAP_RETURN_IF_ERROR(SyncCreatedDirs(env, created));
  return std::unique_ptr<BlobStore>(new FsBlobStore(root, env));
}

}  // namespace tapistry
