#include "store/embedded/file_util.h"

namespace tapistry::store {
namespace {

Env* Or(Env* env) { return env ? env : PosixEnv(); }

}  // namespace

Status WriteFileSynced(const std::string& path, std::string_view data, Env* env) {
  return tapistry::WriteFileSynced(Or(env), path, data);
}

Status RenameFile(const std::string& from, const std::string& to, Env* env) {
  return Or(env)->Rename(from, to);
}

Status FsyncDir(const std::string& dir, Env* env) { return Or(env)->SyncDir(dir); }

Status WriteFileAtomic(const std::string& path, std::string_view data, Env* env) {
  const std::string tmp = path + std::string(kTempSuffix);
  TAP_RETURN_IF_ERROR(WriteFileSynced(tmp, data, env));
  TAP_RETURN_IF_ERROR(RenameFile(tmp, path, env));
  return FsyncDir(ParentDir(path), env);
}

Status ReadWholeFile(const std::string& path, std::string* out, Env* env) {
  auto file = RandomAccessFile::Open(path, env);
  if (!file.ok()) return file.status();
  return (*file)->Read(0, static_cast<size_t>((*file)->size()), out);
}

Status CreateDirs(const std::string& dir, Env* env) {
  std::vector<std::string> created;
  TAP_RETURN_IF_ERROR(tapistry::CreateDirs(Or(env), dir, &created));
  return SyncCreatedDirs(Or(env), created);
}

Status RemoveAll(const std::string& path, Env* env) { return tapistry::RemoveAll(Or(env), path); }

Status ListFilesRecursive(const std::string& dir, std::vector<std::string>* out, Env* env) {
  auto entries = Or(env)->ListDir(dir);
  if (!entries.ok()) return entries.status();
  for (const DirEntry& e : *entries) {
    const std::string path = dir + "/" + e.name;
    if (e.is_dir) {
      TAP_RETURN_IF_ERROR(ListFilesRecursive(path, out, env));
    } else {
      out->push_back(path);
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<RandomAccessFile>> RandomAccessFile::Open(const std::string& path,
                                                                 Env* env) {
  auto file = Or(env)->Open(path, OpenMode::kReadOnly);
  if (!file.ok()) return file.status();
  auto size = (*file)->Size();
  if (!size.ok()) return size.status();
  return std::unique_ptr<RandomAccessFile>(new RandomAccessFile(std::move(file).value(), *size));
}

Status RandomAccessFile::Read(uint64_t offset, size_t n, std::string* out) const {
  if (offset > size_ || n > size_ - offset) {
    return Status::Corruption("read past end of " + file_->path());
  }
  out->resize(n);
  auto got = file_->Read(offset, out->data(), n);
  if (!got.ok()) return got.status();
  if (*got != n) return Status::Corruption("unexpected end of " + file_->path());
  return Status::Ok();
}

}  // namespace tapistry::store
