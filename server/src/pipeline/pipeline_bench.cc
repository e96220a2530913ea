// pipeline_bench: prints ingest figures for the durable path (docs/formats/wal.md cites them).
//   codec    encode / decode events per second
//   dedupe   inserts per second and bytes per million ids
//   pipeline events per second through Submit with 25-50-event batches from N threads, each
//            keeping up to `inflight` batches outstanding (like HTTP connections), into a no-op
//            store; fsync latency p50/p99 and submit-to-ack latency p50/p99.
// Usage: pipeline_bench [--dir DIR] [--seconds S] [--threads N] [--inflight K]
// Asserts nothing; the WAL lands in DIR (default: a temp dir on the same disk as /tmp).
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/dedupe_set.h"
#include "pipeline/event_codec.h"
#include "pipeline/latency_histogram.h"
#include "pipeline/pipeline.h"
#include "pipeline/test_util.h"

namespace tapistry {
namespace {

using Clk = std::chrono::steady_clock;

double SecondsSince(Clk::time_point t) {
  return std::chrono::duration<double>(Clk::now() - t).count();
}

// Takes everything and reports it durable at once, so the figures are the pipeline's own.
class NoopSink final : public EventSink {
 public:
  Status Append(std::span<const Event>, uint64_t last_seq) override {
    seq_.store(last_seq, std::memory_order_relaxed);
    return Status::Ok();
  }
  Status Flush() override { return Status::Ok(); }
  uint64_t PersistedSeq() const override { return seq_.load(std::memory_order_relaxed); }
  Status ScanEventIds(int64_t, const std::function<void(const Uuid&, int64_t)>&) override {
    return Status::Ok();
  }

 private:
  std::atomic<uint64_t> seq_{0};
};

void BenchCodec() {
  TestEvents gen(1);
  const auto events = gen.Batch(100000, 1723718400000);
  std::string buf;
  buf.reserve(64 << 20);
  auto t0 = Clk::now();
  for (const Event& e : events) EncodeEvent(e, &buf);
  const double enc = SecondsSince(t0);
  std::string_view in = buf;
  Event out;
  t0 = Clk::now();
  size_t decoded = 0;
  while (!in.empty() && DecodeEvent(&in, &out).ok()) ++decoded;
  const double dec = SecondsSince(t0);
  std::printf("codec     encode %.2f M events/s, decode %.2f M events/s, %.0f bytes/event\n",
              events.size() / enc / 1e6, decoded / dec / 1e6,
              static_cast<double>(buf.size()) / events.size());
}

void BenchDedupe() {
  DedupeSet set;
  std::mt19937_64 rng(2);
  constexpr int kIds = 2000000;
  std::vector<Uuid> ids(kIds);
  for (Uuid& u : ids) u = Uuid{rng(), rng()};
  auto t0 = Clk::now();
  for (const Uuid& u : ids) set.Insert(u, 1723718400000);
  const double ins = SecondsSince(t0);
  t0 = Clk::now();
  size_t dups = 0;
  for (const Uuid& u : ids) dups += !set.Insert(u, 1723718400001);
  const double look = SecondsSince(t0);
  const DedupeSetStats s = set.Stats();
  std::printf(
      "dedupe    insert %.2f M ids/s, duplicate check %.2f M ids/s (%zu found), "
      "%.1f MB per million ids at %d ids\n",
      kIds / ins / 1e6, kIds / look / 1e6, dups,
      static_cast<double>(s.memory_bytes) / 1e6 / (kIds / 1e6), kIds);
}

void BenchPipeline(const std::string& dir, double seconds, int threads, int inflight) {
  std::filesystem::remove_all(dir);
  NoopSink store;
  PipelineOptions o;
  o.wal_dir = dir;
  o.sink = &store;
  o.maintenance_interval_ms = 100;
  auto opened = Pipeline::Open(o);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    std::exit(1);
  }
  Pipeline* p = opened.value().get();
  LatencyHistogram ack_latency;
  std::atomic<uint64_t> events{0}, batches{0}, errors{0};
  std::atomic<bool> stop{false};

  auto worker = [&](int t) {
    TestEvents gen(static_cast<uint64_t>(t) + 10);
    std::mt19937 rng(t);
    const auto pool = gen.Batch(50, 1723718400000);
    std::mutex mu;
    std::condition_variable cv;
    int outstanding = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return outstanding < inflight; });
        ++outstanding;
      }
      const size_t n = 25 + rng() % 26;
      std::vector<Event> batch(pool.begin(), pool.begin() + static_cast<long>(n));
      for (Event& e : batch) e.event_id = gen.RandomUuid();
      const auto start = Clk::now();
      p->Submit(std::move(batch), [&, start, n](Status s, SubmitResult) {
        ack_latency.Record(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clk::now() - start).count()));
        if (s.ok()) {
          events.fetch_add(n, std::memory_order_relaxed);
          batches.fetch_add(1, std::memory_order_relaxed);
        } else {
          errors.fetch_add(1, std::memory_order_relaxed);
        }
        std::lock_guard lock(mu);
        --outstanding;
        cv.notify_one();
      });
    }
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return outstanding == 0; });
  };

  const auto t0 = Clk::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : pool) t.join();
  const double elapsed = SecondsSince(t0);
  const PipelineStats s = p->Stats();
  const LatencySnapshot ack = ack_latency.Snapshot();
  std::printf(
      "pipeline  %d threads x %d in flight: %.0f events/s, %.0f batches/s, "
      "%.1f batches per fsync, %.1f MB/s to the WAL, errors %llu\n",
      threads, inflight, events / elapsed, batches / elapsed,
      s.wal_fsyncs ? static_cast<double>(s.wal_records) / s.wal_fsyncs : 0.0,
      s.wal_bytes_written / elapsed / 1e6, static_cast<unsigned long long>(errors.load()));
  std::printf(
      "          fsync p50 %.0f us, p99 %.0f us, mean %.0f us (%llu fsyncs); "
      "ack p50 %.0f us, p99 %.0f us\n",
      s.fsync_latency.PercentileUs(0.5), s.fsync_latency.PercentileUs(0.99),
      s.fsync_latency.MeanUs(), static_cast<unsigned long long>(s.wal_fsyncs),
      ack.PercentileUs(0.5), ack.PercentileUs(0.99));
  (void)p->Close();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tapistry

int main(int argc, char** argv) {
  std::string dir;
  double seconds = 3;
  int threads = 4;
  int inflight = 32;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--inflight")) inflight = std::atoi(argv[i + 1]);
  }
  tapistry::TempDir tmp;
  if (dir.empty()) dir = tmp.Sub("wal");
  tapistry::BenchCodec();
  tapistry::BenchDedupe();
  tapistry::BenchPipeline(dir, seconds, threads, 1);
  tapistry::BenchPipeline(dir, seconds, threads, inflight);
  return 0;
}
