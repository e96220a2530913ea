#include "store/embedded/scratch.h"

#include <vector>

namespace tapistry::store {
namespace {

std::vector<std::unique_ptr<std::string>>& Pool() {
  thread_local std::vector<std::unique_ptr<std::string>> pool;
  return pool;
}

}  // namespace

ScratchString::ScratchString() {
  auto& pool = Pool();
  if (pool.empty()) {
    s_ = std::make_unique<std::string>();
  } else {
    s_ = std::move(pool.back());
    pool.pop_back();
    s_->clear();
  }
}

ScratchString::~ScratchString() { Release(); }

ScratchString& ScratchString::operator=(ScratchString&& other) noexcept {
  if (this != &other) {
    Release();
    s_ = std::move(other.s_);
  }
  return *this;
}

void ScratchString::Release() {
  if (s_ == nullptr) return;
  auto& pool = Pool();
  if (pool.size() < kMaxPooled && s_->capacity() <= kMaxPooledBytes) pool.push_back(std::move(s_));
  s_.reset();
}

}  // namespace tapistry::store
