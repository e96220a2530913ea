#include "http/connection_limit.h"

#include <algorithm>
#include <utility>

namespace tapistry {

ConnectionLimit::ConnectionLimit(size_t max_per_ip, std::vector<std::string> exempt)
    : max_per_ip_(max_per_ip), exempt_(std::move(exempt)) {}

ConnectionLimit::Admission ConnectionLimit::Acquire(const std::string& ip) {
  if (max_per_ip_ == 0 || ip.empty()) return Admission::kExempt;
  if (std::find(exempt_.begin(), exempt_.end(), ip) != exempt_.end()) return Admission::kExempt;
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = ++open_[ip];
  return n <= max_per_ip_ ? Admission::kAdmitted : Admission::kOverCap;
}

void ConnectionLimit::Release(const std::string& ip) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = open_.find(ip);
  if (it == open_.end()) return;
  if (--it->second == 0) open_.erase(it);
}

size_t ConnectionLimit::Open(const std::string& ip) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = open_.find(ip);
  return it == open_.end() ? 0 : it->second;
}

}  // namespace tapistry
