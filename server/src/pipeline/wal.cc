#include "pipeline/wal.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "common/crc32c.h"

namespace tapistry {
namespace {

constexpr char kMagic[4] = {'T', 'W', 'A', 'L'};
constexpr std::string_view kFilePrefix = "wal-";
constexpr std::string_view kFileSuffix = ".log";
constexpr size_t kSeqDigits = 20;

void PutFixed32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void PutFixed64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint32_t GetFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
uint64_t GetFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

// Cuts `path` to `length` and makes the cut durable.
Status TruncateFile(Env* env, const std::string& path, uint64_t length) {
  auto file = env->Open(path, OpenMode::kReadWrite);
  if (!file.ok()) return file.status();
  Status s = (*file)->Truncate(length);
  if (s.ok()) s = (*file)->DataSync();
  if (Status c = (*file)->Close(); s.ok()) s = c;
  return s;
}

// Parses "wal-<20 digits>.log"; false for any other name (left alone by recovery).
bool ParseSegmentName(const std::string& name, uint64_t* first_seq) {
  if (name.size() != kFilePrefix.size() + kSeqDigits + kFileSuffix.size() ||
      !name.starts_with(kFilePrefix) || !name.ends_with(kFileSuffix)) {
    return false;
  }
  uint64_t v = 0;
  for (size_t i = kFilePrefix.size(); i < kFilePrefix.size() + kSeqDigits; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(name[i] - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *first_seq = v;
  return true;
}

// Validates a file header; on success *first_seq is the seq it declares.
bool ParseFileHeader(std::string_view data, uint64_t* first_seq) {
  if (data.size() < kWalFileHeaderBytes) return false;
  if (std::memcmp(data.data(), kMagic, 4) != 0) return false;
  if (GetFixed32(data.data() + 4) != kWalFormatVersion) return false;
  if (GetFixed32(data.data() + 20) != crc32c::Value(data.data(), 20)) return false;
  *first_seq = GetFixed64(data.data() + 8);
  return true;
}

}  // namespace

Wal::Wal(const WalOptions& options)
    : options_(options), env_(options.env ? options.env : PosixEnv()) {}

Wal::~Wal() { (void)Close(); }

std::string Wal::SegmentPath(uint64_t first_seq) const {
  char name[64];
  std::snprintf(name, sizeof name, "wal-%020llu.log", static_cast<unsigned long long>(first_seq));
  return options_.dir + "/" + name;
}

Result<std::unique_ptr<Wal>> Wal::Open(const WalOptions& options, uint64_t min_next_seq,
                                       const ReplayFn& replay, WalRecoveryStats* recovery) {
  if (options.dir.empty()) return Status::InvalidArgument("wal: empty directory");
  std::unique_ptr<Wal> wal(new Wal(options));
  std::vector<std::string> created;
  TAP_RETURN_IF_ERROR(CreateDirs(wal->env_, options.dir, &created));
  TAP_RETURN_IF_ERROR(SyncCreatedDirs(wal->env_, created));
  WalRecoveryStats local;
  TAP_RETURN_IF_ERROR(wal->Recover(min_next_seq, replay, recovery ? recovery : &local));
  std::lock_guard lock(wal->write_mu_);
  TAP_RETURN_IF_ERROR(wal->OpenSegmentLocked(wal->next_seq_));
  return Result<std::unique_ptr<Wal>>(std::move(wal));
}

Status Wal::Recover(uint64_t min_next_seq, const ReplayFn& replay, WalRecoveryStats* recovery) {
  std::vector<std::pair<uint64_t, std::string>> files;
  auto entries = env_->ListDir(options_.dir);
  if (!entries.ok()) return entries.status();
  for (const DirEntry& entry : *entries) {
    uint64_t first_seq = 0;
    if (!entry.is_dir && ParseSegmentName(entry.name, &first_seq)) {
      files.emplace_back(first_seq, options_.dir + "/" + entry.name);
    }
  }
  std::sort(files.begin(), files.end());

  uint64_t last_seq = 0;
  bool removed_any = false;
  std::string data;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& [name_seq, path] = files[i];
    const bool newest = i + 1 == files.size();
    TAP_RETURN_IF_ERROR(ReadFileToString(env_, path, &data));
    ++recovery->files;

    Segment seg;
    size_t valid_end = 0;
    uint64_t header_seq = 0;
    if (ParseFileHeader(data, &header_seq) && header_seq == name_seq) {
      seg.first_seq = header_seq;
      valid_end = kWalFileHeaderBytes;
      // Records until the first one that fails a check: a torn write, a flipped bit, a length
      // past the end, or a seq that does not increase.
      while (data.size() - valid_end >= kWalRecordHeaderBytes) {
        const char* h = data.data() + valid_end;
        const uint32_t length = GetFixed32(h + 4);
        if (length > kWalMaxPayloadBytes ||
            length > data.size() - valid_end - kWalRecordHeaderBytes) {
          break;
        }
        if (GetFixed32(h) != crc32c::Value(h + 4, kWalRecordHeaderBytes - 4 + length)) break;
        WalRecord rec;
        rec.seq = GetFixed64(h + 8);
        rec.type = static_cast<uint8_t>(h[16]);
        rec.payload = std::string_view(h + kWalRecordHeaderBytes, length);
        if (rec.seq <= last_seq || rec.seq < seg.first_seq) break;
        TAP_RETURN_IF_ERROR(replay(rec));
        last_seq = rec.seq;
        seg.last_seq = rec.seq;
        ++recovery->records;
        valid_end += kWalRecordHeaderBytes + length;
      }
    }

    const uint64_t tail = data.size() - valid_end;
    if (seg.last_seq == 0) {
      // Nothing replayable (a file created just before a crash, or unreadable): it only hides
      // the seq space, so it goes.
      TAP_RETURN_IF_ERROR(env_->Unlink(path));
      ++recovery->removed_files;
      if (newest) recovery->truncated_bytes += tail;
      else recovery->skipped_bytes += tail;
      removed_any = true;
      continue;
    }
    if (tail > 0) {
      if (newest) {
        // A torn tail of the newest file: cut it so the bytes can never be mistaken for records.
        TAP_RETURN_IF_ERROR(TruncateFile(env_, path, valid_end));
        recovery->truncated_bytes += tail;
      } else {
        // Older files were synced whole before the next one was created, so damage here is
        // media corruption: read no further in this file, keep it for inspection until dropped.
        recovery->skipped_bytes += tail;
      }
    }
    seg.bytes = newest ? valid_end : data.size();
    segments_.push_back(seg);
  }
  if (removed_any) TAP_RETURN_IF_ERROR(env_->SyncDir(options_.dir));

  recovery->last_seq = last_seq;
  last_seq_.store(last_seq, std::memory_order_release);
  next_seq_ = std::max(last_seq + 1, std::max<uint64_t>(min_next_seq, 1));
  return Status::Ok();
}

Status Wal::OpenSegmentLocked(uint64_t first_seq) {
  const std::string path = SegmentPath(first_seq);
  auto file = env_->Open(path, OpenMode::kCreateNew);
  if (!file.ok()) return file.status();

  char header[kWalFileHeaderBytes];
  std::memcpy(header, kMagic, 4);
  PutFixed32(header + 4, kWalFormatVersion);
  PutFixed64(header + 8, first_seq);
  PutFixed32(header + 16, 0);
  PutFixed32(header + 20, crc32c::Value(header, 20));
  // fsync (not fdatasync) and then the directory: the file's existence must be durable before
  // any record in it is acknowledged.
  Status s = (*file)->Write(0, std::string_view(header, sizeof header));
  if (s.ok()) s = (*file)->Sync();
  if (s.ok()) s = env_->SyncDir(options_.dir);
  if (!s.ok()) {
    (void)(*file)->Close();
    (void)env_->Unlink(path);
    return s;
  }
  file_ = std::move(file).value();
  active_bytes_ = kWalFileHeaderBytes;
  bytes_written_.fetch_add(kWalFileHeaderBytes, std::memory_order_relaxed);
  std::lock_guard lock(files_mu_);
  Segment seg;
  seg.first_seq = first_seq;
  seg.bytes = kWalFileHeaderBytes;
  segments_.push_back(seg);
  active_open_ = true;
  return Status::Ok();
}

Status Wal::Append(std::span<const std::string_view> payloads, uint8_t type, uint64_t* first_seq) {
  std::lock_guard lock(write_mu_);
  if (closed_) return Status::Unavailable("wal: closed");
  if (!failed_.ok()) return failed_;
  *first_seq = next_seq_;
  if (payloads.empty()) return Status::Ok();
  size_t total = 0;
  for (std::string_view p : payloads) {
    if (p.size() > kWalMaxPayloadBytes) return Status::TooLarge("wal: record over 32 MiB");
    total += kWalRecordHeaderBytes + p.size();
  }

  if (!file_ || active_bytes_ >= options_.segment_bytes) {
    // Rotate. The old file was fdatasync'd by the Append that wrote its last record.
    if (file_) {
      (void)file_->Close();
      file_.reset();
      std::lock_guard files_lock(files_mu_);
      active_open_ = false;
    }
    TAP_RETURN_IF_ERROR(OpenSegmentLocked(next_seq_));
  }

  buffer_.resize(total);
  char* p = buffer_.data();
  uint64_t seq = next_seq_;
  for (std::string_view payload : payloads) {
    PutFixed32(p + 4, static_cast<uint32_t>(payload.size()));
    PutFixed64(p + 8, seq++);
    p[16] = static_cast<char>(type);
    std::memcpy(p + kWalRecordHeaderBytes, payload.data(), payload.size());
    PutFixed32(p, crc32c::Value(p + 4, kWalRecordHeaderBytes - 4 + payload.size()));
    p += kWalRecordHeaderBytes + payload.size();
  }
  // The numbers are spent even if the write fails: a seq is never written twice.
  const uint64_t first = next_seq_;
  next_seq_ = seq;

  Status s = file_->Write(active_bytes_, buffer_);
  if (s.ok()) {
    const auto start = std::chrono::steady_clock::now();
    s = file_->DataSync();
    fsync_latency_.Record(
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now() - start)
                                  .count()));
    fsyncs_.fetch_add(1, std::memory_order_relaxed);
  }
  if (!s.ok()) {
    write_failures_.fetch_add(1, std::memory_order_relaxed);
    // Take the unsynced bytes back, or they might be replayed after a restart although the
    // caller reports failure (and the client retries: counted twice). After a failed fdatasync
    // the kernel may have dropped dirty pages, so only a successful cut-and-sync is trusted.
    Status cut = file_->Truncate(active_bytes_);
    if (cut.ok()) cut = file_->DataSync();
    if (!cut.ok()) {
      failed_ =
          Status::IOError("wal: failed after " + s.message() + "; rollback: " + cut.message());
      failed_flag_.store(true, std::memory_order_release);
    }
    return s;
  }

  active_bytes_ += buffer_.size();
  bytes_written_.fetch_add(buffer_.size(), std::memory_order_relaxed);
  records_written_.fetch_add(payloads.size(), std::memory_order_relaxed);
  {
    std::lock_guard files_lock(files_mu_);
    segments_.back().last_seq = seq - 1;
    segments_.back().bytes = active_bytes_;
  }
  last_seq_.store(seq - 1, std::memory_order_release);
  *first_seq = first;
  // Keep a burst's buffer from pinning memory forever.
  if (buffer_.capacity() > (4u << 20)) std::string().swap(buffer_);
  return Status::Ok();
}

Status Wal::DropThrough(uint64_t seq) {
  std::lock_guard lock(files_mu_);
  while (!segments_.empty()) {
    if (active_open_ && segments_.size() == 1) break;
    const Segment& seg = segments_.front();
    if (seg.last_seq > seq) break;
    const std::string path = SegmentPath(seg.first_seq);
    if (Status s = env_->Unlink(path); !s.ok() && s.code() != StatusCode::kNotFound) return s;
    segments_.pop_front();
    files_dropped_.fetch_add(1, std::memory_order_relaxed);
  }
  return Status::Ok();
}

Result<uint64_t> Wal::Seal() {
  std::lock_guard lock(write_mu_);
  if (closed_) return Status::Unavailable("wal: closed");
  if (!failed_.ok()) return failed_;
  if (file_) {
    bool has_records = false;
    {
      std::lock_guard files_lock(files_mu_);
      has_records = !segments_.empty() && segments_.back().last_seq != 0;
    }
    if (has_records) {
      // Every Append synced what it wrote; the next Append opens a new file (see Append).
      Status s = file_->Close();
      file_.reset();
      std::lock_guard files_lock(files_mu_);
      active_open_ = false;
      if (!s.ok()) return s;
    }
  }
  return last_seq_.load(std::memory_order_acquire);
}

Status Wal::Close() {
  std::lock_guard lock(write_mu_);
  if (closed_) return Status::Ok();
  closed_ = true;
  Status s;
  if (file_) {
    // Every Append already synced what it wrote; this catches nothing new but costs nothing.
    if (failed_.ok()) s = file_->DataSync();
    if (Status c = file_->Close(); s.ok()) s = c;
    file_.reset();
  }
  std::lock_guard files_lock(files_mu_);
  active_open_ = false;
  return s;
}

WalStats Wal::Stats() const {
  WalStats s;
  {
    std::lock_guard lock(files_mu_);
    s.files = segments_.size();
    for (const Segment& seg : segments_) s.bytes_on_disk += seg.bytes;
  }
  s.bytes_written = bytes_written_.load(std::memory_order_relaxed);
  s.records_written = records_written_.load(std::memory_order_relaxed);
  s.fsyncs = fsyncs_.load(std::memory_order_relaxed);
  s.write_failures = write_failures_.load(std::memory_order_relaxed);
  s.files_dropped = files_dropped_.load(std::memory_order_relaxed);
  s.last_seq = LastSeq();
  s.failed = failed_flag_.load(std::memory_order_acquire);
  s.fsync_latency = fsync_latency_.Snapshot();
  return s;
}

}  // namespace tapistry
