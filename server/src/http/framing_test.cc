#include "http/framing.h"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>
#include <string>

#include "tapistry/limits.h"

namespace tapistry {
namespace {

namespace http = boost::beast::http;
using namespace std::string_literals;  // "...\0..."s keeps the NUL bytes, sized by the compiler

// What the server does with a request's bytes up to its body: scan, parse once the header is
// complete, judge the parsed header. Fed in `step`-byte pieces, as a slow client sends them.
FramingVerdict Judge(const std::string& bytes, size_t step = 0) {
  HeaderScanner scan;
  if (step == 0) step = bytes.size();
  for (size_t at = 0; at < bytes.size() && !scan.complete(); at += step) {
    FramingVerdict v = scan.Feed(std::string_view(bytes).substr(at, step));
    if (!v.ok()) return v;
  }
  if (!scan.complete()) return {-1, "incomplete", ""};
  http::request_parser<http::string_body> p;
  p.header_limit(limits::kMaxHeaderBytes);
  p.body_limit(boost::none);
  boost::beast::error_code ec;
  size_t n = p.put(boost::asio::buffer(bytes), ec);
  if (!ec) {
    EXPECT_EQ(n, scan.header_bytes()) << "the parser and the scanner agree where the header ends";
  }
  if (ec) {
    auto v = VerdictForParseError(ec, p.get(), ParsePhase::kHeader);
    return v ? *v : FramingVerdict{-2, "closed", ec.message()};
  }
  return CheckFraming(p.get());
}

struct Case {
  const char* name;
  std::string bytes;
  int status;
  const char* reason_part;
};

const std::string kPost = "POST /i HTTP/1.1\r\nHost: x\r\n";

TEST(FramingTest, RefusesAmbiguousFramingWithAReason) {
  const Case cases[] = {
      {"xchunked", kPost + "Transfer-Encoding: xchunked\r\n\r\n", 501, "exactly 'chunked'"},
      {"chunked, identity", kPost + "Transfer-Encoding: chunked, identity\r\n\r\n", 501,
       "exactly 'chunked'"},
      {"gzip, chunked", kPost + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501,
       "exactly 'chunked'"},
      {"two TE fields", kPost + "Transfer-Encoding: x\r\nTransfer-Encoding: chunked\r\n\r\n", 501,
       "exactly"},
      {"TE chunked twice",
       kPost + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501, "exactly"},
      {"empty TE", kPost + "Transfer-Encoding: \r\n\r\n", 501, "exactly"},
      {"CL then TE", kPost + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
       "both Content-Length and Transfer-Encoding"},
      {"TE then CL", kPost + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n", 400,
       "both Content-Length and Transfer-Encoding"},
      {"unknown TE then CL", kPost + "Transfer-Encoding: xchunked\r\nContent-Length: 4\r\n\r\n",
       400, "both Content-Length and Transfer-Encoding"},
      {"two CL", kPost + "Content-Length: 4\r\nContent-Length: 5\r\n\r\n", 400,
       "more than one Content-Length"},
      {"two equal CL", kPost + "Content-Length: 4\r\nContent-Length: 4\r\n\r\n", 400,
       "more than one"},
      {"CL list", kPost + "Content-Length: 4, 4\r\n\r\n", 400,
       "Content-Length must be one decimal number"},
      {"CL sign", kPost + "Content-Length: +4\r\n\r\n", 400,
       "Content-Length must be one decimal number"},
      {"bare LF everywhere", "GET /healthz HTTP/1.1\nHost: x\n\n", 400, "bare LF"},
      {"bare LF in a field", "GET /healthz HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", 400, "bare LF"},
      {"bare LF ending the header", "GET /healthz HTTP/1.1\r\nHost: x\r\n\n", 400, "bare LF"},
      {"bare CR", "GET /healthz HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", 400, "bare CR"},
      {"NUL in target", "GET /heal\0thz HTTP/1.1\r\nHost: x\r\n\r\n"s, 400, "NUL"},
      {"NUL in a value", "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n"s, 400, "NUL"},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: x\r\n chunked\r\n\r\n", 400,
       "folding"},
      {"HTTP/0.9", "GET /healthz\r\n\r\n", 400, "HTTP/0.9"},
      {"h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, "HTTP version must be 1.0 or 1.1"},
      {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", 400, "HTTP version must be 1.0 or 1.1"},
      {"lower-case version", "GET / http/1.1\r\nHost: x\r\n\r\n", 400, "HTTP version"},
      {"TE in HTTP/1.0", "POST /i HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0"},
      {"space before colon", kPost + "Transfer-Encoding : chunked\r\n\r\n", 400,
       "malformed request"},
      {"empty line first", "\r\nGET / HTTP/1.1\r\n\r\n", 400, "empty request line"},
  };
  for (const Case& c : cases) {
    for (size_t step : {size_t{0}, size_t{1}, size_t{7}}) {
      FramingVerdict v = Judge(c.bytes, step);
      EXPECT_EQ(v.status, c.status) << c.name << " (step " << step << "): " << v.reason;
      EXPECT_EQ(v.error, c.status == 501 ? "not_implemented" : "bad_request") << c.name;
      EXPECT_NE(v.reason.find(c.reason_part), std::string::npos) << c.name << ": " << v.reason;
    }
  }
}

TEST(FramingTest, AcceptsSoundRequests) {
  const std::string ok[] = {
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /healthz HTTP/1.0\r\n\r\n",
      kPost + "Content-Length: 4\r\n\r\nabcd",
      kPost + "Content-Length: 0004\r\n\r\nabcd",
      kPost + "Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n",
      kPost + "Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n",
      kPost + "Transfer-Encoding:\tchunked \r\n\r\n0\r\n\r\n",
      "GET /a?b=%20c HTTP/1.1\r\nHost: x\r\nX-Tab: a\tb\r\n\r\n",
  };
  for (const std::string& bytes : ok) {
    for (size_t step : {size_t{0}, size_t{1}}) {
      FramingVerdict v = Judge(bytes, step);
      EXPECT_TRUE(v.ok()) << bytes << ": " << v.status << " " << v.reason;
    }
  }
}

TEST(FramingTest, ScannerStopsAtTheEndOfTheHeader) {
  HeaderScanner scan;
  const std::string head = "POST /i HTTP/1.1\r\nContent-Length: 5\r\n\r\n";
  // The body is binary: a NUL or bare LF there is none of the scanner's business.
  ASSERT_TRUE(scan.Feed(head + "a\0\nb\r"s).ok());
  EXPECT_TRUE(scan.complete());
  EXPECT_EQ(scan.header_bytes(), head.size());
}

TEST(FramingTest, ScannerWaitsForMoreAndKeepsFailing) {
  HeaderScanner scan;
  EXPECT_TRUE(scan.Feed("GET / HTTP/1.1\r").ok());
  EXPECT_FALSE(scan.complete());
  EXPECT_TRUE(scan.Feed("\nHost: x\r\n").ok());
  EXPECT_FALSE(scan.complete());
  EXPECT_EQ(scan.Feed("\n").status, 400);
  EXPECT_EQ(scan.Feed("\r\n").status, 400) << "a failed scanner stays failed";
}

TEST(FramingTest, SocketErrorsAreNotAnswered) {
  http::request_header<> none;
  for (ParsePhase phase : {ParsePhase::kHeader, ParsePhase::kBody}) {
    EXPECT_FALSE(VerdictForParseError(http::error::end_of_stream, none, phase));
    EXPECT_FALSE(VerdictForParseError(http::error::partial_message, none, phase));
    EXPECT_FALSE(VerdictForParseError(boost::asio::error::connection_reset, none, phase));
    EXPECT_FALSE(VerdictForParseError(boost::beast::error::timeout, none, phase));
  }
  EXPECT_EQ(VerdictForParseError(http::error::header_limit, none, ParsePhase::kHeader)->status,
            431);
  EXPECT_EQ(VerdictForParseError(http::error::bad_chunk, none, ParsePhase::kBody)->status, 400);
}

// Found by http_request_fuzzer: Beast checks trailer fields like header fields, so a
// Transfer-Encoding in the trailer came back as bad_transfer_encoding and was answered 501 with a
// reason about the header's transfer coding.
TEST(FramingTest, TransferEncodingInTheTrailerIsAMalformedBody) {
  const std::string bytes =
      kPost + "Transfer-Encoding: chunked\r\n\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n";
  http::request_parser<http::string_body> p;
  boost::beast::error_code ec;
  p.eager(true);
  p.put(boost::asio::buffer(bytes), ec);
  ASSERT_EQ(ec, http::error::bad_transfer_encoding);
  auto v = VerdictForParseError(ec, p.get(), ParsePhase::kBody);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, 400);
  EXPECT_EQ(v->reason, "malformed chunked body (bad Transfer-Encoding)");
}

TEST(FramingTest, OversizedHeaderIsA431) {
  std::string big =
      "GET / HTTP/1.1\r\nX: " + std::string(limits::kMaxHeaderBytes, 'a') + "\r\n\r\n";
  EXPECT_EQ(Judge(big).status, 431);
}

}  // namespace
}  // namespace tapistry
