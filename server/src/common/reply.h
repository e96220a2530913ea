// Reply: a transport-neutral HTTP response built by ingest/ and api/ handlers and written by http/.
// Thread-safety: plain value type.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapistry {

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  void AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// {"error": code, "reason": reason} with the given HTTP status.
Reply JsonError(int status, std::string_view code, std::string_view reason);

}  // namespace tapistry
