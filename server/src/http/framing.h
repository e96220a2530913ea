// Request framing: whether the bytes of an HTTP/1.x request say unambiguously where it ends.
// A request whose length two parsers could read differently (Content-Length and
// Transfer-Encoding together, two lengths, an unknown transfer coding, bare LF line endings) is
// how a request is smuggled past a proxy in front of us (security review, issue 14 item 6), so
// such a request is refused with a JSON reason and its connection closed, never guessed at.
//
// Three checks, in the order the server makes them:
//   1. HeaderScanner sees the raw header bytes as they arrive, before Beast does: bare LF or CR,
//      NUL, obsolete line folding, an HTTP/0.9 request line, a version other than 1.0 or 1.1.
//   2. VerdictForParseError maps what Beast itself refuses (http::error) to a reply.
//   3. CheckFraming judges the parsed header: Content-Length and Transfer-Encoding.
// All are pure; http_request_fuzzer.cc runs them on arbitrary bytes.
// Thread-safety: functions are pure; a HeaderScanner belongs to one connection.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tapistry {

// What to answer a request whose framing cannot be trusted: `status` with the JSON body
// {"error": error, "reason": reason}, then close the connection. status 0 = nothing wrong.
struct FramingVerdict {
  int status = 0;          // 0, or 400, 431, 413, 501
  std::string_view error;  // "bad_request", "not_implemented", ...
  std::string reason;

  bool ok() const { return status == 0; }
};

// Checks a request header's bytes incrementally, up to and including the blank line that ends it
// (bytes after it are the body and are not looked at). Feed it each chunk as it arrives: a verdict
// comes as soon as the offending byte is seen, so a client that ends its lines in bare LF (which
// Beast would wait on for a CRLFCRLF until the header timeout) hears 400 at once.
class HeaderScanner {
 public:
  // Scans `more`, the bytes following those fed before. Once it has failed it keeps failing.
  [[nodiscard]] FramingVerdict Feed(std::string_view more);
  // The blank line ending the header has been seen (and nothing before it was wrong).
  bool complete() const { return complete_; }
  // Bytes of the header, CRLFCRLF included, once complete().
  size_t header_bytes() const { return scanned_; }

 private:
  FramingVerdict failed_;
  std::string request_line_;  // bounded: the header limit applies long before it matters
  size_t scanned_ = 0;
  size_t lines_ = 0;     // lines ended so far
  size_t line_len_ = 0;  // bytes of the current line, CR excluded
  char prev_ = 0;
  bool complete_ = false;
};

// Where a parse error came from: the header, or the body (chunk framing and the trailer, whose
// fields Beast checks like header fields: "Transfer-Encoding" there is a bad chunked body, not
// a second transfer coding).
enum class ParsePhase { kHeader, kBody };

// The reply for a Beast parse error, given the header fields parsed before it (Beast reports
// Content-Length + Transfer-Encoding as a bad value of whichever came second).
// std::nullopt when the error is the connection's, not the request's (end of stream, timeout,
// reset): there is nobody or nothing to answer, just close.
std::optional<FramingVerdict> VerdictForParseError(
    const boost::beast::error_code& ec, const boost::beast::http::request_header<>& partial,
    ParsePhase phase);

// Judges a header Beast accepted. Refused (400): Content-Length with Transfer-Encoding, more than
// one Content-Length (even equal ones, or a list "4, 4"), Transfer-Encoding in HTTP/1.0, a version
// other than 1.0 / 1.1. Refused (501): any Transfer-Encoding other than one field whose value is
// exactly "chunked" (any case).
[[nodiscard]] FramingVerdict CheckFraming(const boost::beast::http::request_header<>& header);

}  // namespace tapistry
