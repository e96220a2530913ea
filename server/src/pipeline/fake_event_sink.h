// FakeEventSink: an in-memory EventSink (tapistry/event_sink.h) for the pipeline's tests,
// modelling just what the pipeline relies on: Append in seq order, a memtable that a crash loses,
// and Flush making everything appended durable and advancing PersistedSeq. With a
// `persist_path`, Flush writes the durable part to that file (write to a temporary, then rename:
// atomic under kill -9, which is what the crash tests do; no fsync, so not under power loss) and
// Load reads it back, so a forked child's sink can be reopened by the parent. It answers no
// query: the pipeline sees only the sink (queries are the conformance suite's business,
// server/test/).
// Thread-safety: every method may be called concurrently (one mutex).
#pragma once

#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/event_codec.h"
#include "tapistry/event_sink.h"

namespace tapistry {

class FakeEventSink final : public EventSink {
 public:
  explicit FakeEventSink(std::string persist_path = "") : path_(std::move(persist_path)) {}

  // Reads what an earlier instance flushed to persist_path (a missing file is an empty store).
  Status Load() {
    std::lock_guard lock(mu_);
    std::FILE* f = std::fopen(path_.c_str(), "rb");
    if (f == nullptr) return Status::Ok();
    std::string data;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
    std::fclose(f);
    int64_t seq = 0;
    std::vector<Event> events;
    TAP_RETURN_IF_ERROR(DecodeEventBatch(data, &seq, &events));
    durable_ = std::move(events);
    persisted_seq_ = last_seq_ = static_cast<uint64_t>(seq);
    return Status::Ok();
  }

  Status Append(std::span<const Event> events, uint64_t last_seq) override {
    std::lock_guard lock(mu_);
    if (fail_appends_) return Status::IOError("FakeEventSink: appends are failing");
    if (reject_appends_) return Status::InvalidArgument("FakeEventSink: refusing these events");
    if (last_seq != 0 && last_seq <= last_seq_) out_of_order_ = true;
    if (last_seq != 0) last_seq_ = last_seq;
    appended_seqs_.push_back(last_seq);
    memtable_.insert(memtable_.end(), events.begin(), events.end());
    return Status::Ok();
  }

  Status Flush() override {
    std::lock_guard lock(mu_);
    if (!path_.empty()) {
      std::string data;
      StartEventBatch(static_cast<int64_t>(last_seq_), &data);
      for (const Event& e : durable_) EncodeEvent(e, &data);
      for (const Event& e : memtable_) EncodeEvent(e, &data);
      const std::string tmp = path_ + ".tmp";
      std::FILE* f = std::fopen(tmp.c_str(), "wb");
      if (f == nullptr) return Status::IOError("FakeEventSink: open " + tmp);
      const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
      if (std::fclose(f) != 0 || !ok) return Status::IOError("FakeEventSink: write " + tmp);
      if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
        return Status::IOError("FakeEventSink: rename " + tmp);
      }
    }
    durable_.insert(durable_.end(), memtable_.begin(), memtable_.end());
    memtable_.clear();
    persisted_seq_ = last_seq_;
    return Status::Ok();
  }

  uint64_t PersistedSeq() const override {
    std::lock_guard lock(mu_);
    return persisted_seq_;
  }

  Status ScanEventIds(int64_t since_ms,
                      const std::function<void(const Uuid&, int64_t)>& fn) override {
    std::lock_guard lock(mu_);
    for (const auto* part : {&durable_, &memtable_}) {
      for (const Event& e : *part) {
        if (e.ts_ms >= since_ms) fn(e.event_id, e.ts_ms);
      }
    }
    return Status::Ok();
  }

  // Test controls and views.
  void SetFailAppends(bool fail) {
    std::lock_guard lock(mu_);
    fail_appends_ = fail;
  }
  // Refuse appends for good (InvalidArgument), as a store does with events over its limits.
  void SetRejectAppends(bool reject) {
    std::lock_guard lock(mu_);
    reject_appends_ = reject;
  }
  // Durable events then memtable events, in append order.
  std::vector<Event> All() const {
    std::lock_guard lock(mu_);
    std::vector<Event> all = durable_;
    all.insert(all.end(), memtable_.begin(), memtable_.end());
    return all;
  }
  std::map<Uuid, int> IdCounts() const {
    std::map<Uuid, int> counts;
    for (const Event& e : All()) ++counts[e.event_id];
    return counts;
  }
  std::vector<uint64_t> AppendedSeqs() const {
    std::lock_guard lock(mu_);
    return appended_seqs_;
  }
  // True if Append ever saw a seq that did not increase.
  bool OutOfOrder() const {
    std::lock_guard lock(mu_);
    return out_of_order_;
  }

 private:
  const std::string path_;
  mutable std::mutex mu_;
  std::vector<Event> durable_;
  std::vector<Event> memtable_;
  std::vector<uint64_t> appended_seqs_;
  uint64_t last_seq_ = 0;
  uint64_t persisted_seq_ = 0;
  bool fail_appends_ = false;
  bool reject_appends_ = false;
  bool out_of_order_ = false;
};

}  // namespace tapistry
