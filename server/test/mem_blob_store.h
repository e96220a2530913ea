// MemBlobStore: the BlobStore contract in memory, with no file system — a second backend that
// passes the conformance suite (so the suite does not encode file-system accidents), and the
// base of the wrong stores blob_store_honesty_test.cc feeds the suite. Each MemBlobBug is one
// plausible backend mistake. State lives in a MemBlobStorage that outlives the stores opened
// over it, so a reopen sees earlier writes.
// Thread-safety: every method may be called concurrently (one mutex per storage).
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tapistry/blob_store.h"

namespace tapistry::conformance {

struct MemBlobStorage {
  std::mutex mu;
  std::map<std::string, std::string> objects;
};

enum class MemBlobBug {
  kNone,
  kPutIfAbsentReplaces,      // PutIfAbsent is a Put
  kPutIfAbsentCheckThenAct,  // looks, lets go of the lock, then writes: racing calls all win
  kRangePastEndIsEmpty,      // offset > size answers "" instead of InvalidArgument
  kAcceptsAnyKey,            // no key validation
  kTornPut,                  // Put shows the first half of the bytes before the whole
};

class MemBlobStore final : public BlobStore {
 public:
  explicit MemBlobStore(std::shared_ptr<MemBlobStorage> storage, MemBlobBug bug = MemBlobBug::kNone)
      : s_(std::move(storage)), bug_(bug) {}

  Status Put(const std::string& key, const std::string& bytes) override {
    if (!KeyOk(key)) return Status::InvalidArgument("invalid blob key");
    if (bug_ == MemBlobBug::kTornPut) {
      {
        std::lock_guard lock(s_->mu);
        s_->objects[key] = bytes.substr(0, bytes.size() / 2);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::lock_guard lock(s_->mu);
    s_->objects[key] = bytes;
    return Status::Ok();
  }

  Status PutIfAbsent(const std::string& key, const std::string& bytes) override {
    if (!KeyOk(key)) return Status::InvalidArgument("invalid blob key");
    if (bug_ == MemBlobBug::kPutIfAbsentReplaces) return Put(key, bytes);
    if (bug_ == MemBlobBug::kPutIfAbsentCheckThenAct) {
      {
        std::lock_guard lock(s_->mu);
        if (s_->objects.count(key)) return Status::AlreadyExists(key);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::lock_guard lock(s_->mu);
      s_->objects[key] = bytes;
      return Status::Ok();
    }
    std::lock_guard lock(s_->mu);
    if (!s_->objects.emplace(key, bytes).second) return Status::AlreadyExists(key);
    return Status::Ok();
  }

  Result<std::string> Get(const std::string& key) override { return GetRange(key, 0, UINT64_MAX); }

  Result<std::string> GetRange(const std::string& key, uint64_t offset, uint64_t length) override {
    if (!KeyOk(key)) return Status::InvalidArgument("invalid blob key");
    std::lock_guard lock(s_->mu);
    auto it = s_->objects.find(key);
    if (it == s_->objects.end()) return Status::NotFound(key);
    if (offset > it->second.size()) {
      if (bug_ == MemBlobBug::kRangePastEndIsEmpty) return std::string();
      return Status::InvalidArgument("offset past the end");
    }
    return it->second.substr(static_cast<size_t>(offset),
                             static_cast<size_t>(std::min<uint64_t>(length, SIZE_MAX)));
  }

  Result<uint64_t> Size(const std::string& key) override {
    if (!KeyOk(key)) return Status::InvalidArgument("invalid blob key");
    std::lock_guard lock(s_->mu);
    auto it = s_->objects.find(key);
    if (it == s_->objects.end()) return Status::NotFound(key);
    return static_cast<uint64_t>(it->second.size());
  }

  Status Delete(const std::string& key) override {
    if (!KeyOk(key)) return Status::InvalidArgument("invalid blob key");
    std::lock_guard lock(s_->mu);
    s_->objects.erase(key);
    return Status::Ok();
  }

  Result<std::vector<std::string>> List(const std::string& prefix) override {
    std::lock_guard lock(s_->mu);
    std::vector<std::string> out;
    for (auto it = s_->objects.lower_bound(prefix);
         it != s_->objects.end() && it->first.starts_with(prefix); ++it) {
      out.push_back(it->first);
    }
    return out;
  }

 private:
  bool KeyOk(const std::string& key) const {
    return bug_ == MemBlobBug::kAcceptsAnyKey || ValidBlobKey(key);
  }

  const std::shared_ptr<MemBlobStorage> s_;
  const MemBlobBug bug_;
};

}  // namespace tapistry::conformance
