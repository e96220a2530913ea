#include "common/fault_injection_env.h"

#include <algorithm>
#include <filesystem>

namespace tapistry {
namespace {

// One spelling per path, so "d/x" written and "d/" synced are seen as the same directory.
std::string Norm(const std::string& path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

const char* OpName(FaultOp op) {
  switch (op) {
    case FaultOp::kOpen:
      return "open";
    case FaultOp::kRead:
      return "read";
    case FaultOp::kWrite:
      return "write";
    case FaultOp::kSync:
      return "fsync";
    case FaultOp::kDataSync:
      return "fdatasync";
    case FaultOp::kTruncate:
      return "truncate";
    case FaultOp::kStat:
      return "stat";
    case FaultOp::kList:
      return "list";
    case FaultOp::kCreateDir:
      return "mkdir";
    case FaultOp::kRemoveDir:
      return "rmdir";
    case FaultOp::kRename:
      return "rename";
    case FaultOp::kLink:
      return "link";
    case FaultOp::kUnlink:
      return "unlink";
    case FaultOp::kSyncDir:
      return "fsync dir";
    case FaultOp::kFreeSpace:
      return "statvfs";
  }
  return "op";
}

}  // namespace

// A File whose calls go through the Env's rules and keep the crash model's node up to date.
class FaultFile final : public File {
 public:
  FaultFile(FaultInjectionEnv* env, std::unique_ptr<File> base,
            std::shared_ptr<FaultInjectionEnv::Node> node, uint64_t epoch)
      : env_(env), base_(std::move(base)), node_(std::move(node)), epoch_(epoch) {}

  Status Write(uint64_t offset, std::string_view data) override {
    int64_t short_bytes = -1;
    Status s = Check(FaultOp::kWrite, &short_bytes);
    if (!s.ok()) {
      if (short_bytes >= 0) {
        const size_t n = std::min(data.size(), static_cast<size_t>(short_bytes));
        (void)base_->Write(offset, data.substr(0, n));
      }
      return s;
    }
    TAP_RETURN_IF_ERROR(base_->Write(offset, data));
    env_->After(FaultOp::kWrite, path());
    return Status::Ok();
  }
  Result<size_t> Read(uint64_t offset, char* buf, size_t n) const override {
    TAP_RETURN_IF_ERROR(const_cast<FaultFile*>(this)->Check(FaultOp::kRead, nullptr));
    auto got = base_->Read(offset, buf, n);
    env_->After(FaultOp::kRead, path());
    return got;
  }
  Status Sync() override { return DoSync(false); }
  Status DataSync() override { return DoSync(true); }
  Status Truncate(uint64_t size) override {
    TAP_RETURN_IF_ERROR(Check(FaultOp::kTruncate, nullptr));
    TAP_RETURN_IF_ERROR(base_->Truncate(size));
    {
      std::lock_guard lock(env_->mu_);
      node_->synced_size = std::min(node_->synced_size, size);
    }
    env_->After(FaultOp::kTruncate, path());
    return Status::Ok();
  }
  Result<uint64_t> Size() const override { return base_->Size(); }
  Status Close() override { return base_->Close(); }
  const std::string& path() const override { return base_->path(); }

 private:
  Status Check(FaultOp op, int64_t* short_bytes) {
    if (env_->epoch() != epoch_) {
      return Status::IOError("simulated crash: " + path() + " was opened by a dead process");
    }
    return env_->Before(op, path(), short_bytes);
  }
  Status DoSync(bool data_only) {
    const FaultOp op = data_only ? FaultOp::kDataSync : FaultOp::kSync;
    TAP_RETURN_IF_ERROR(Check(op, nullptr));
    TAP_RETURN_IF_ERROR(data_only ? base_->DataSync() : base_->Sync());
    auto size = base_->Size();
    if (!size.ok()) return size.status();
    {
      std::lock_guard lock(env_->mu_);
      node_->synced_size = *size;
    }
    env_->After(op, path());
    return Status::Ok();
  }

  FaultInjectionEnv* const env_;
  const std::unique_ptr<File> base_;
  const std::shared_ptr<FaultInjectionEnv::Node> node_;
  const uint64_t epoch_;
};

FaultInjectionEnv::FaultInjectionEnv(Env* base) : base_(base) {}
FaultInjectionEnv::~FaultInjectionEnv() = default;

void FaultInjectionEnv::Inject(const Fault& fault) {
  std::lock_guard lock(mu_);
  rules_.push_back({fault, false});
}

void FaultInjectionEnv::CrashAfter(FaultOp op, const std::string& path_part, int skip) {
  std::lock_guard lock(mu_);
  Fault f;
  f.op = op;
  f.path_part = path_part;
  f.skip = skip;
  rules_.push_back({f, true});
}

void FaultInjectionEnv::SetHook(std::function<Status(FaultOp, const std::string&)> hook) {
  std::lock_guard lock(mu_);
  hook_ = std::move(hook);
}

void FaultInjectionEnv::ClearFaults() {
  std::lock_guard lock(mu_);
  rules_.clear();
}

bool FaultInjectionEnv::crashed() const {
  std::lock_guard lock(mu_);
  return crashed_;
}

int FaultInjectionEnv::faults_injected() const {
  std::lock_guard lock(mu_);
  return injected_;
}

uint64_t FaultInjectionEnv::epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

Status FaultInjectionEnv::Before(FaultOp op, const std::string& path, int64_t* short_bytes) {
  std::function<Status(FaultOp, const std::string&)> hook;
  {
    std::lock_guard lock(mu_);
    if (crashed_) return Status::IOError("simulated crash: the process is gone (" + path + ")");
    hook = hook_;
  }
  if (hook) TAP_RETURN_IF_ERROR(hook(op, path));
  std::lock_guard lock(mu_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    Fault& f = it->fault;
    if (it->crash || f.op != op || path.find(f.path_part) == std::string::npos) continue;
    if (f.skip > 0) {
      --f.skip;
      continue;
    }
    const Fault hit = f;
    if (--f.times <= 0) rules_.erase(it);
    ++injected_;
    if (short_bytes && hit.short_bytes >= 0) *short_bytes = hit.short_bytes;
    return ErrnoStatus(std::string("injected ") + OpName(op), path, hit.err);
  }
  return Status::Ok();
}

void FaultInjectionEnv::After(FaultOp op, const std::string& path) {
  std::lock_guard lock(mu_);
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    Fault& f = it->fault;
    if (!it->crash || f.op != op || path.find(f.path_part) == std::string::npos) continue;
    if (f.skip > 0) {
      --f.skip;
      continue;
    }
    rules_.erase(it);
    crashed_ = true;
    return;
  }
}

std::shared_ptr<FaultInjectionEnv::Node> FaultInjectionEnv::NodeFor(const std::string& path,
                                                                    uint64_t size_if_new) {
  std::lock_guard lock(mu_);
  auto& node = files_[Norm(path)];
  if (!node) node = std::make_shared<Node>(Node{size_if_new, true});
  return node;
}

Result<std::unique_ptr<File>> FaultInjectionEnv::Open(const std::string& path, OpenMode mode) {
  TAP_RETURN_IF_ERROR(Before(FaultOp::kOpen, path));
  const bool creating = mode == OpenMode::kCreateNew || mode == OpenMode::kCreateOrTruncate;
  const bool existed = creating && base_->Stat(path).ok();
  auto file = base_->Open(path, mode);
  if (!file.ok()) return file.status();
  std::shared_ptr<Node> node;
  if (creating && !existed) {
    node = std::make_shared<Node>(Node{0, false});
    std::lock_guard lock(mu_);
    files_[Norm(path)] = node;
  } else {
    auto size = (*file)->Size();
    node = NodeFor(path, size.ok() ? *size : 0);
    if (mode == OpenMode::kCreateOrTruncate) {
      std::lock_guard lock(mu_);
      node->synced_size = 0;
    }
  }
  After(FaultOp::kOpen, path);
  return std::unique_ptr<File>(new FaultFile(this, std::move(file).value(), node, epoch()));
}

Result<FileInfo> FaultInjectionEnv::Stat(const std::string& path) {
  TAP_RETURN_IF_ERROR(Before(FaultOp::kStat, path));
  auto info = base_->Stat(path);
  After(FaultOp::kStat, path);  // a NotFound answer is an answer: the call happened
  return info;
}

Result<std::vector<DirEntry>> FaultInjectionEnv::ListDir(const std::string& dir) {
  TAP_RETURN_IF_ERROR(Before(FaultOp::kList, dir));
  auto entries = base_->ListDir(dir);
  After(FaultOp::kList, dir);
  return entries;
}

Status FaultInjectionEnv::CreateDir(const std::string& dir) {
  TAP_RETURN_IF_ERROR(Before(FaultOp::kCreateDir, dir));
  TAP_RETURN_IF_ERROR(base_->CreateDir(dir));
  {
    std::lock_guard lock(mu_);
    new_dirs_[Norm(dir)] = false;
  }
  After(FaultOp::kCreateDir, dir);
  return Status::Ok();
}

Status FaultInjectionEnv::RemoveDir(const std::string& dir) {
  TAP_RETURN_IF_ERROR(Before(FaultOp::kRemoveDir, dir));
  TAP_RETURN_IF_ERROR(base_->RemoveDir(dir));
  {
    std::lock_guard lock(mu_);
    new_dirs_.erase(Norm(dir));
  }
  After(FaultOp::kRemoveDir, dir);
  return Status::Ok();
}

Status FaultInjectionEnv::Rename(const std::string& from, const std::string& to) {
  return DoRename(from, to, true);
}

Status FaultInjectionEnv::RenameNoReplace(const std::string& from, const std::string& to) {
  return DoRename(from, to, false);
}

// Rules and hooks see a rename or link as the path "FROM -> TO".
Status FaultInjectionEnv::DoRename(const std::string& from, const std::string& to, bool replace) {
  const std::string both = from + " -> " + to;
  TAP_RETURN_IF_ERROR(Before(FaultOp::kRename, both));
  // What `to` holds now, to bring back if the rename does not survive a crash.
  std::optional<std::string> replaced_bytes;
  if (replace) {
    auto info = base_->Stat(to);
    std::string bytes;
    if (info.ok() && !info->is_dir && ReadFileToString(base_, to, &bytes).ok()) {
      replaced_bytes = std::move(bytes);
    }
  }
  auto from_info = base_->Stat(from);
  TAP_RETURN_IF_ERROR(replace ? base_->Rename(from, to) : base_->RenameNoReplace(from, to));
  {
    std::lock_guard lock(mu_);
    const std::string f = Norm(from), t = Norm(to);
    std::shared_ptr<Node> node = files_.count(f) ? files_[f] : nullptr;
    if (!node) node = std::make_shared<Node>(Node{from_info.ok() ? from_info->size : 0, true});
    std::shared_ptr<Node> replaced = files_.count(t) ? files_[t] : nullptr;
    if (!replaced && replaced_bytes) {
      replaced = std::make_shared<Node>(Node{replaced_bytes->size(), true});
    }
    files_.erase(f);
    files_[t] = node;
    renames_.push_back({f, t, node, replaced, std::move(replaced_bytes)});
  }
  After(FaultOp::kRename, both);
  return Status::Ok();
}

Status FaultInjectionEnv::Link(const std::string& from, const std::string& to) {
  const std::string both = from + " -> " + to;
  TAP_RETURN_IF_ERROR(Before(FaultOp::kLink, both));
  TAP_RETURN_IF_ERROR(base_->Link(from, to));
  {
    std::lock_guard lock(mu_);
    auto it = files_.find(Norm(from));
    auto size = base_->Stat(to);
    const uint64_t synced = it != files_.end() ? it->second->synced_size
                            : size.ok()        ? size->size
                                               : 0;
    files_[Norm(to)] = std::make_shared<Node>(Node{synced, false});
  }
  After(FaultOp::kLink, both);
  return Status::Ok();
}

Status FaultInjectionEnv::Unlink(const std::string& path) {
  TAP_RETURN_IF_ERROR(Before(FaultOp::kUnlink, path));
  TAP_RETURN_IF_ERROR(base_->Unlink(path));
  {
    std::lock_guard lock(mu_);
    files_.erase(Norm(path));
  }
  After(FaultOp::kUnlink, path);
  return Status::Ok();
}

Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  TAP_RETURN_IF_ERROR(Before(FaultOp::kSyncDir, dir));
  TAP_RETURN_IF_ERROR(base_->SyncDir(dir));
  {
    std::lock_guard lock(mu_);
    const std::string d = Norm(dir);
    for (auto& [path, node] : files_) {
      if (ParentDir(path) == d) node->entry_durable = true;
    }
    for (auto& [path, durable] : new_dirs_) {
      if (ParentDir(path) == d) durable = true;
    }
    std::erase_if(renames_, [&](const PendingRename& r) { return ParentDir(r.to) == d; });
  }
  After(FaultOp::kSyncDir, dir);
  return Status::Ok();
}

Result<uint64_t> FaultInjectionEnv::FreeSpace(const std::string& path) {
  TAP_RETURN_IF_ERROR(Before(FaultOp::kFreeSpace, path));
  auto free = base_->FreeSpace(path);
  After(FaultOp::kFreeSpace, path);
  return free;
}

Status FaultInjectionEnv::SimulateCrash() {
  std::lock_guard lock(mu_);
  Status first;
  auto note = [&first](const Status& s) {
    if (first.ok() && !s.ok()) first = s;
  };
  // Renames whose directory was never synced did not happen; newest first, so chains unwind.
  for (auto it = renames_.rbegin(); it != renames_.rend(); ++it) {
    if (base_->Stat(it->to).ok()) (void)base_->Rename(it->to, it->from);
    files_[it->from] = it->node;
    files_.erase(it->to);
    if (it->replaced) {
      files_[it->to] = it->replaced;
      if (it->replaced_bytes) note(WriteFileSynced(base_, it->to, *it->replaced_bytes));
    }
  }
  for (const auto& [path, node] : files_) {
    if (!node->entry_durable) {
      Status s = base_->Unlink(path);
      if (s.code() != StatusCode::kNotFound) note(s);
      continue;
    }
    auto info = base_->Stat(path);
    if (!info.ok() || info->is_dir || info->size <= node->synced_size) continue;
    auto file = base_->Open(path, OpenMode::kReadWrite);
    if (!file.ok()) {
      note(file.status());
      continue;
    }
    note((*file)->Truncate(node->synced_size));
    note((*file)->Sync());
  }
  for (const auto& [dir, durable] : new_dirs_) {
    if (!durable) note(RemoveAll(base_, dir));
  }
  files_.clear();
  new_dirs_.clear();
  renames_.clear();
  rules_.clear();
  crashed_ = false;
  ++epoch_;
  return first;
}

}  // namespace tapistry
