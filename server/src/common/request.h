// HttpRequest: a parsed, size-checked HTTP request as handlers see it (transport-neutral, so
// ingest/ and api/ do not depend on Beast).
// Thread-safety: plain value type.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapistry {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path?query
  std::string path;    // percent-decoded path without the query
  std::string query;   // raw query string without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;  // inflated when Content-Encoding was gzip
  std::string remote_ip;
  std::string request_id;

  std::string_view Header(std::string_view lower_name) const;
  // The first value of a query parameter, percent-decoded; "" when absent.
  std::string Query(std::string_view name) const;
  bool HasQuery(std::string_view name) const;
};

// Percent-decodes `s` ('+' is a space when `plus_is_space`).
std::string PercentDecode(std::string_view s, bool plus_is_space);

}  // namespace tapistry
