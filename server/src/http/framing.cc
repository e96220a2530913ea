#include "http/framing.h"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>

#include "tapistry/limits.h"

namespace tapistry {

namespace http = boost::beast::http;

namespace {

constexpr std::string_view kBadRequest = "bad_request";
constexpr std::string_view kNotImplemented = "not_implemented";

FramingVerdict BadRequest(std::string reason) { return {400, kBadRequest, std::move(reason)}; }

FramingVerdict UnsupportedTransferEncoding() {
  return {501, kNotImplemented, "Transfer-Encoding must be exactly 'chunked'"};
}

FramingVerdict ContentLengthWithTransferEncoding() {
  return BadRequest("both Content-Length and Transfer-Encoding: the body's length is ambiguous");
}

// METHOD SP TARGET SP HTTP/1.x; Beast checks the method and target, this the version, so that an
// HTTP/0.9 line or an HTTP/2 preface gets a reason rather than "bad version".
FramingVerdict CheckRequestLine(std::string_view line) {
  if (line.empty()) return BadRequest("empty request line");
  size_t first = line.find(' ');
  size_t last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) {
    return BadRequest("HTTP/0.9 request line (no HTTP version): only HTTP/1.0 and 1.1 are served");
  }
  std::string_view version = line.substr(last + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return BadRequest("HTTP version must be 1.0 or 1.1");
  }
  return {};
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

size_t Count(const http::request_header<>& h, http::field f) {
  auto [first, last] = h.equal_range(f);
  return static_cast<size_t>(std::distance(first, last));
}

}  // namespace

FramingVerdict HeaderScanner::Feed(std::string_view more) {
  if (!failed_.ok()) return failed_;
  for (char c : more) {
    if (complete_) break;
    ++scanned_;
    if (c == '\0') return failed_ = BadRequest("NUL byte in the request line or header");
    if (prev_ == '\r' && c != '\n')
      return failed_ = BadRequest("bare CR: header lines must end in CRLF");
    if (c == '\n') {
      if (prev_ != '\r') return failed_ = BadRequest("bare LF: header lines must end in CRLF");
      if (lines_ == 0) {
        if (FramingVerdict v = CheckRequestLine(request_line_); !v.ok()) return failed_ = v;
        request_line_.clear();
        request_line_.shrink_to_fit();
      } else if (line_len_ == 0) {
        complete_ = true;
      }
      ++lines_;
      line_len_ = 0;
    } else if (c != '\r') {
      if (lines_ > 0 && line_len_ == 0 && (c == ' ' || c == '\t')) {
        return failed_ =
                   BadRequest("obsolete line folding: a header line starts with a space or tab");
      }
      if (lines_ == 0 && request_line_.size() < limits::kMaxHeaderBytes) request_line_.push_back(c);
      ++line_len_;
    }
    prev_ = c;
  }
  return {};
}

std::optional<FramingVerdict> VerdictForParseError(const boost::beast::error_code& ec,
                                                   const http::request_header<>& partial,
                                                   ParsePhase phase) {
  if (ec.category() != http::make_error_code(http::error::end_of_stream).category()) {
    return std::nullopt;  // the socket's: reset, timeout, ...
  }
  switch (static_cast<http::error>(ec.value())) {
    case http::error::end_of_stream:
    case http::error::partial_message:  // the client left mid-request
      return std::nullopt;
    case http::error::header_limit:
      return FramingVerdict{431, "headers_too_large", "request headers larger than 16 KB"};
    case http::error::body_limit:
      return FramingVerdict{413, "too_large", "body larger than the limit for this path"};
    default:
      break;
  }
  if (phase == ParsePhase::kBody)
    return BadRequest("malformed chunked body (" + ec.message() + ")");
  switch (static_cast<http::error>(ec.value())) {
    case http::error::bad_version:
      return BadRequest("HTTP version must be 1.0 or 1.1");
    case http::error::multiple_content_length:
      return BadRequest("more than one Content-Length");
    case http::error::bad_content_length:
      // Also Beast's word for a Content-Length after Transfer-Encoding: chunked.
      if (Count(partial, http::field::transfer_encoding) > 0)
        return ContentLengthWithTransferEncoding();
      return BadRequest("Content-Length must be one decimal number");
    case http::error::bad_transfer_encoding:
      // Beast's word for Transfer-Encoding after a Content-Length, or a second "chunked".
      if (Count(partial, http::field::content_length) > 0)
        return ContentLengthWithTransferEncoding();
      return UnsupportedTransferEncoding();
    default:
      return BadRequest("malformed request line or header (" + ec.message() + ")");
  }
}

FramingVerdict CheckFraming(const http::request_header<>& h) {
  if (h.version() != 10 && h.version() != 11) return BadRequest("HTTP version must be 1.0 or 1.1");
  const size_t lengths = Count(h, http::field::content_length);
  const size_t codings = Count(h, http::field::transfer_encoding);
  if (lengths > 0 && codings > 0) return ContentLengthWithTransferEncoding();
  if (lengths > 1) return BadRequest("more than one Content-Length");
  if (lengths == 1 && !AllDigits(h[http::field::content_length])) {
    return BadRequest("Content-Length must be one decimal number");
  }
  if (codings == 0) return {};
  // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
  if (h.version() == 10) return BadRequest("Transfer-Encoding in an HTTP/1.0 request");
  if (codings > 1 || !boost::beast::iequals(h[http::field::transfer_encoding], "chunked")) {
    return UnsupportedTransferEncoding();
  }
  return {};
}

}  // namespace tapistry
