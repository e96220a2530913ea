// Mailer: sends the sign-in links (issue 12). SmtpMailer speaks SMTP through libcurl: plain (a
// local relay only), STARTTLS (the default, port 587) or implicit TLS (port 465), with optional
// AUTH. Without an SMTP host the server has no Mailer and logs links instead (docs/accounts.md).
// Thread-safety: Send may be called concurrently (one curl handle per call); it blocks for the
// SMTP exchange (at most SmtpOptions::timeout_ms), so callers run it off the HTTP I/O threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "tapistry/status.h"

namespace tapistry {

struct MailMessage {
  std::string to;  // a NormalizeEmail'd address (no header-breaking characters)
  std::string subject;
  std::string text;  // plain text, '\n' line ends
};

class Mailer {
 public:
  virtual ~Mailer() = default;
  virtual Status Send(const MailMessage& m) = 0;
};

struct SmtpOptions {
  std::string host;
  int port = 587;
  std::string user;  // empty: no AUTH
  std::string password;
  std::string tls = "starttls";  // "starttls" (required), "tls" (implicit), "none"
  std::string from;              // envelope and From: address
  int64_t timeout_ms = 30000;
};

// InvalidArgument for options an operator must fix (unknown tls mode, no from address).
Result<std::unique_ptr<Mailer>> NewSmtpMailer(const SmtpOptions& opts);

// The RFC 5322 message SmtpMailer uploads: headers, a blank line, the text, CRLF line ends.
std::string FormatMail(const std::string& from, const MailMessage& m, int64_t now_ms,
                       const std::string& message_id);

}  // namespace tapistry
