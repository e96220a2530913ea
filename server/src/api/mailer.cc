#include "api/mailer.h"

#include <curl/curl.h>

#include <cstring>
#include <ctime>

#include "common/crypto.h"
#include "tapistry/meta_store.h"

namespace tapistry {
namespace {

struct Upload {
  std::string data;
  size_t pos = 0;
};

size_t ReadBody(char* buf, size_t size, size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const size_t want = size * n;
  const size_t left = u->data.size() - u->pos;
  const size_t take = want < left ? want : left;
  std::memcpy(buf, u->data.data() + u->pos, take);
  u->pos += take;
  return take;
}

class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(SmtpOptions o) : o_(std::move(o)) {}

  Status Send(const MailMessage& m) override {
    CURL* c = curl_easy_init();
    if (c == nullptr) return Status::Internal("curl_easy_init failed");
    const std::string url = std::string(o_.tls == "tls" ? "smtps://" : "smtp://") + o_.host + ":" +
                            std::to_string(o_.port);
    const std::string from = "<" + o_.from + ">";
    const std::string to = "<" + m.to + ">";
    Upload body{FormatMail(o_.from, m, NowMs(), RandomHex(16) + "@tapistry"), 0};
    curl_slist* rcpt = curl_slist_append(nullptr, to.c_str());
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (o_.tls == "starttls") curl_easy_setopt(c, CURLOPT_USE_SSL, long{CURLUSESSL_ALL});
    if (!o_.user.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, o_.user.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, o_.password.c_str());
    }
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(c, CURLOPT_READDATA, &body);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o_.timeout_ms));
    const CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
      return Status::Unavailable(std::string("sending mail via ") + url + ": " +
                                 curl_easy_strerror(rc));
    return Status::Ok();
  }

 private:
  static int64_t NowMs() { return static_cast<int64_t>(std::time(nullptr)) * 1000; }
  SmtpOptions o_;
};

}  // namespace

std::string FormatMail(const std::string& from, const MailMessage& m, int64_t now_ms,
                       const std::string& message_id) {
  char date[64];
  const std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::string out = "Date: " + std::string(date) + "\r\nFrom: Tapistry <" + from + ">\r\nTo: <" +
                    m.to + ">\r\nSubject: " + m.subject + "\r\nMessage-ID: <" + message_id +
                    ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    "Content-Transfer-Encoding: 8bit\r\n\r\n";
  for (char ch : m.text) {
    if (ch == '\n') out += "\r\n";
    else if (ch != '\r') out.push_back(ch);
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

Result<std::unique_ptr<Mailer>> NewSmtpMailer(const SmtpOptions& opts) {
  if (opts.tls != "starttls" && opts.tls != "tls" && opts.tls != "none")
    return Status::InvalidArgument("--smtp-tls must be starttls, tls or none, got '" + opts.tls +
                                   "'");
  if (opts.from.empty())
    return Status::InvalidArgument(
        "--smtp-from is required with --smtp-host (the address sign-in mails come from)");
  if (!NormalizeEmail(opts.from).ok())
    return Status::InvalidArgument("--smtp-from must be an address (tapistry@example.com)");
  if (opts.port <= 0 || opts.port > 65535)
    return Status::InvalidArgument("--smtp-port must be 1..65535");
  return std::unique_ptr<Mailer>(new SmtpMailer(opts));
}

}  // namespace tapistry
