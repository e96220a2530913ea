#include "app/importer.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "ingest/event_parser.h"
#include "tapistry/clock.h"

namespace tapistry {
namespace {

constexpr size_t kBlockBytes = 4 << 20;  // lines are handed to workers in blocks of about this size
constexpr size_t kAppendRows = 16384;

struct Block {
  std::string file;
  uint64_t first_line = 0;
  std::string text;  // whole lines
};

class BlockQueue {
 public:
  explicit BlockQueue(size_t cap) : cap_(cap) {}
  void Push(Block b) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return q_.size() < cap_; });
    q_.push_back(std::move(b));
    not_empty_.notify_one();
  }
  bool Pop(Block* b) {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return false;
    *b = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  size_t cap_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Block> q_;
  bool closed_ = false;
};

}  // namespace

Result<ImportStats> ImportFiles(const std::vector<std::string>& files, const ImportOptions& opts,
                                EventStore* store) {
  if (opts.project_id.empty()) return Status::InvalidArgument("--project is required");
  int threads = opts.threads > 0
                    ? opts.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  BlockQueue queue(static_cast<size_t>(threads) * 2);
  std::atomic<uint64_t> lines{0}, imported{0}, rejected{0}, too_old{0};
  // Same rule as EventStore::ApplyRetention: day d is dropped when d < today - retention_days.
  const int32_t oldest_kept_day = DayOf(SystemClock()->NowMs()) - opts.retention_days;
  std::mutex err_mu;
  ImportStats stats;
  Status worker_status;
  std::atomic<bool> failed{false};
  auto t0 = std::chrono::steady_clock::now();

  auto work = [&] {
    EventParser parser;
    ParseOptions po;
    po.import_mode = true;
    po.now_ms = SystemClock()->NowMs();
    po.query_allowlist = &opts.query_allowlist;
    std::vector<Event> batch;
    batch.reserve(kAppendRows);
    uint64_t local_too_old = 0;
    Block b;
    auto flush = [&] {
      if (batch.empty()) return;
      Status s = store->Append(batch, 0);
      if (!s.ok() && !failed.exchange(true)) {
        std::lock_guard lock(err_mu);
        worker_status = s;
      }
      imported += batch.size();
      batch.clear();
    };
    while (queue.Pop(&b)) {
      std::string_view text(b.text);
      uint64_t lineno = b.first_line;
      size_t unknown = 0;
      while (!text.empty()) {
        size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++lineno;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        ++lines;
        Event ev;
        EventError err;
        if (parser.ParseOne(line, po, &ev, &err, &unknown)) {
          ev.project_id = opts.project_id;
          if (DayOf(ev.ts_ms) < oldest_kept_day) ++local_too_old;
          batch.push_back(std::move(ev));
          if (batch.size() >= kAppendRows) flush();
        } else {
          ++rejected;
          std::lock_guard lock(err_mu);
          if (stats.first_errors.size() < 20) {
            stats.first_errors.push_back(b.file + ":" + std::to_string(lineno) + ": " +
                                         (err.field.empty() ? "" : err.field + ": ") + err.reason);
          }
        }
      }
      flush();
    }
    flush();
    too_old += local_too_old;
  };
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) workers.emplace_back(work);

  std::atomic<bool> done{false};
  std::thread reporter([&] {
    while (!done) {
      for (int i = 0; i < 10 && !done; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (done || !opts.progress) continue;
      ImportStats s;
      s.lines = lines;
      s.imported = imported;
      s.rejected = rejected;
      s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      opts.progress(s);
    }
  });

  Status read_status;
  for (const std::string& file : files) {
    int fd = file == "-" ? STDIN_FILENO : ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      read_status = Status::IOError("cannot open " + file + ": " + std::strerror(errno));
      break;
    }
    std::string carry;
    uint64_t line_base = 0;
    std::string buf(kBlockBytes, '\0');
    while (true) {
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        read_status = Status::IOError("reading " + file + ": " + std::strerror(errno));
        break;
      }
      if (n == 0) break;
      std::string_view chunk(buf.data(), static_cast<size_t>(n));
      size_t last_nl = chunk.rfind('\n');
      if (last_nl == std::string_view::npos) {
        carry.append(chunk);
        continue;
      }
      Block b;
      b.file = file;
      b.first_line = line_base;
      b.text = std::move(carry);
      b.text.append(chunk.substr(0, last_nl + 1));
      carry = std::string(chunk.substr(last_nl + 1));
      line_base += static_cast<uint64_t>(std::count(b.text.begin(), b.text.end(), '\n'));
      queue.Push(std::move(b));
    }
    if (!carry.empty()) queue.Push(Block{file, line_base, std::move(carry)});
    if (fd != STDIN_FILENO) ::close(fd);
    if (!read_status.ok()) break;
  }
  queue.Close();
  for (auto& w : workers) w.join();
  done = true;
  reporter.join();
  if (!read_status.ok()) return read_status;
  if (failed) return worker_status;
  TAP_RETURN_IF_ERROR(store->Flush());
  stats.lines = lines;
  stats.imported = imported;
  stats.rejected = rejected;
  stats.older_than_retention = too_old;
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

}  // namespace tapistry
