// Status and Result<T>: how every fallible operation in Tapistry reports failure.
// Untrusted input never throws; it returns a Status that maps to an HTTP code and a JSON reason.
// Thread-safety: value types, no shared state.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace tapistry {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // 400: malformed or invalid input
  kUnauthenticated,     // 401: unknown key or token
  kPermissionDenied,    // 403: origin not allowed, wrong project
  kNotFound,            // 404
  kAlreadyExists,       // 409: duplicate replay chunk, duplicate name
  kFailedPrecondition,  // 409: the state forbids it (removing a project's last owner)
  kTooLarge,            // 413: body, batch or string over its limit
  kRateLimited,         // 429
  kUnavailable,         // 503: backpressure, disk nearly full, shutting down
  kCorruption,          // on-disk bytes that fail their checks
  kIOError,             // the OS said no
  kInternal,            // a broken invariant
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status Unauthenticated(std::string m) {
    return {StatusCode::kUnauthenticated, std::move(m)};
  }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status TooLarge(std::string m) { return {StatusCode::kTooLarge, std::move(m)}; }
  static Status RateLimited(std::string m) { return {StatusCode::kRateLimited, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// The HTTP status a Status maps to (200 for ok).
int HttpStatusFor(StatusCode code);
// A short machine-readable name: "invalid_argument", "rate_limited", ...
const char* StatusCodeName(StatusCode code);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

#define TAP_RETURN_IF_ERROR(expr)       \
  do {                                  \
    ::tapistry::Status tap_s_ = (expr); \
    if (!tap_s_.ok()) return tap_s_;    \
  } while (0)

}  // namespace tapistry
