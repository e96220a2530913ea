#include "store/embedded/interner.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace tapistry::store {
namespace {

constexpr uint32_t kEmpty = UINT32_MAX;
constexpr size_t kChunk = 64 * 1024;

inline uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

std::string_view Arena::Copy(std::string_view s) {
  if (s.empty()) return {};
  if (s.size() > left_) {
    size_t n = std::max(kChunk, s.size());
    chunks_.push_back(std::make_unique<char[]>(n));
    cur_ = chunks_.back().get();
    left_ = n;
  }
  std::memcpy(cur_, s.data(), s.size());
  std::string_view out(cur_, s.size());
  cur_ += s.size();
  left_ -= s.size();
  bytes_ += s.size();
  return out;
}

StringInterner::StringInterner(std::vector<std::string_view>* values, std::shared_ptr<Arena> arena)
    : values_(values), arena_(std::move(arena)), table_(64, kEmpty) {
  values_->clear();
  values_->push_back(std::string_view());
}

uint32_t StringInterner::Intern(std::string_view s) {
  if (s.empty()) return 0;
  if ((*values_)[last_] == s) return last_;
  if ((values_->size() + 1) * 2 > table_.size()) Grow();
  const size_t mask = table_.size() - 1;
  size_t i = Mix(std::hash<std::string_view>()(s)) & mask;
  while (true) {
    uint32_t c = table_[i];
    if (c == kEmpty) {
      uint32_t code = static_cast<uint32_t>(values_->size());
      values_->push_back(arena_->Copy(s));
      table_[i] = code;
      last_ = code;
      return code;
    }
    if ((*values_)[c] == s) {
      last_ = c;
      return c;
    }
    i = (i + 1) & mask;
  }
}

void StringInterner::Grow() {
  std::vector<uint32_t> t(table_.size() * 2, kEmpty);
  const size_t mask = t.size() - 1;
  for (uint32_t c = 1; c < values_->size(); ++c) {
    size_t i = Mix(std::hash<std::string_view>()((*values_)[c])) & mask;
    while (t[i] != kEmpty) i = (i + 1) & mask;
    t[i] = c;
  }
  table_.swap(t);
}

UuidInterner::UuidInterner(std::vector<Uuid>* values) : values_(values), table_(64, kEmpty) {
  values_->clear();
}

uint32_t UuidInterner::Intern(const Uuid& u) {
  if (last_ != UINT32_MAX && (*values_)[last_] == u) return last_;
  if ((values_->size() + 1) * 2 > table_.size()) Grow();
  const size_t mask = table_.size() - 1;
  size_t i = Mix(u.hi ^ (u.lo * 0x9E3779B97F4A7C15ULL)) & mask;
  while (true) {
    uint32_t c = table_[i];
    if (c == kEmpty) {
      uint32_t code = static_cast<uint32_t>(values_->size());
      values_->push_back(u);
      table_[i] = code;
      last_ = code;
      return code;
    }
    if ((*values_)[c] == u) {
      last_ = c;
      return c;
    }
    i = (i + 1) & mask;
  }
}

void UuidInterner::Grow() {
  std::vector<uint32_t> t(table_.size() * 2, kEmpty);
  const size_t mask = t.size() - 1;
  for (uint32_t c = 0; c < values_->size(); ++c) {
    const Uuid& u = (*values_)[c];
    size_t i = Mix(u.hi ^ (u.lo * 0x9E3779B97F4A7C15ULL)) & mask;
    while (t[i] != kEmpty) i = (i + 1) & mask;
    t[i] = c;
  }
  table_.swap(t);
}

}  // namespace tapistry::store
