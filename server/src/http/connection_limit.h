// ConnectionLimit: open TCP connections per remote IP, with a cap (security review, issue 14 item
// 8): one client holding thousands of idle sockets must not use up the process's file
// descriptors for everyone. Peers in `exempt` (the load balancers in front, --trusted-proxies)
// carry everyone's traffic and are never counted.
// Thread-safety: Acquire and Release may be called from any thread (one mutex).
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace tapistry {

class ConnectionLimit {
 public:
  enum class Admission {
    kExempt,    // not counted: no cap, a trusted peer, or no known address
    kAdmitted,  // counted; call Release when the connection ends
    kOverCap,   // counted too (it holds a socket until its refusal is written); call Release
  };

  // `max_per_ip` 0 = no cap. `exempt` holds addresses as the server prints them ("10.0.0.2").
  ConnectionLimit(size_t max_per_ip, std::vector<std::string> exempt);

  Admission Acquire(const std::string& ip);
  void Release(const std::string& ip);
  // Open connections counted for `ip` (tests, metrics).
  size_t Open(const std::string& ip) const;

 private:
  const size_t max_per_ip_;
  const std::vector<std::string> exempt_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, size_t> open_;  // guarded by mu_; no zero entries
};

}  // namespace tapistry
