// libFuzzer target: arbitrary bytes as the start of a connection, judged the way HttpServer judges
// them (framing.h) with the server's limits. Never crash, hang or leak; the verdict must not
// depend on how the bytes were split across reads; the scanner and Beast must agree where a
// header ends; and a header CheckFraming lets through must frame its body one way only.
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <string_view>

#include <boost/beast/http.hpp>

#include "http/framing.h"
#include "tapistry/limits.h"

namespace http = boost::beast::http;
using tapistry::FramingVerdict;
using tapistry::HeaderScanner;

namespace {

void Require(bool invariant) {
  if (!invariant) std::abort();
}

size_t Count(const http::request_header<>& h, http::field f) {
  auto [first, last] = h.equal_range(f);
  return static_cast<size_t>(std::distance(first, last));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // 1. The scanner, fed at once and in two reads split where the first byte says.
  HeaderScanner whole, pieces;
  FramingVerdict v = whole.Feed(bytes);
  size_t split = size ? data[0] % (size + 1) : 0;
  FramingVerdict vp = pieces.Feed(bytes.substr(0, split));
  if (vp.ok()) vp = pieces.Feed(bytes.substr(split));
  Require(v.status == vp.status && v.reason == vp.reason && whole.complete() == pieces.complete());
  Require(whole.header_bytes() == pieces.header_bytes());
  if (!v.ok()) {
    Require(v.status == 400 && v.error == "bad_request");
    return 0;
  }
  // The server reads more until the header is complete or over the limit.
  if (!whole.complete() && size <= tapistry::limits::kMaxHeaderBytes) return 0;

  // 2. Beast parses the header, given to it in one piece as the server does.
  http::request_parser<http::string_body> parser;
  parser.header_limit(tapistry::limits::kMaxHeaderBytes);
  parser.body_limit(boost::none);
  boost::beast::error_code ec;
  size_t n = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  Require(ec != http::error::need_more);  // the scanner saw the end of the header: so must Beast
  if (ec) {
    auto verdict = tapistry::VerdictForParseError(ec, parser.get(), tapistry::ParsePhase::kHeader);
    Require(verdict &&
            (verdict->status == 400 || verdict->status == 431 || verdict->status == 501));
    return 0;
  }
  Require(whole.complete() && n == whole.header_bytes());

  // 3. The framing of a header Beast accepted.
  const auto& h = parser.get();
  FramingVerdict f = tapistry::CheckFraming(h);
  if (!f.ok()) {
    Require(f.status == 400 || f.status == 501);
    return 0;
  }
  const size_t lengths = Count(h, http::field::content_length);
  const size_t codings = Count(h, http::field::transfer_encoding);
  Require(h.version() == 10 || h.version() == 11);
  Require(lengths <= 1 && codings <= 1 && !(lengths && codings));
  Require(parser.chunked() == (codings == 1));
  Require(parser.content_length().has_value() == (lengths == 1));

  // 4. The body, with the /i limit (the server's smallest body limit on a POST route).
  const size_t limit = tapistry::limits::kMaxIngestBody;
  if (parser.content_length() && *parser.content_length() > limit) return 0;  // an early 413
  parser.body_limit(limit);
  parser.eager(true);
  if (parser.is_done()) return 0;
  std::string_view body = bytes.substr(n);
  parser.put(boost::asio::buffer(body.data(), body.size()), ec);
  if (ec && ec != http::error::need_more) {
    auto verdict = tapistry::VerdictForParseError(ec, h, tapistry::ParsePhase::kBody);
    Require(verdict && (verdict->status == 400 || verdict->status == 413));
  }
  return 0;
}
