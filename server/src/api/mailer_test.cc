#include "api/mailer.h"

#include <gtest/gtest.h>

namespace tapistry {
namespace {

TEST(FormatMailTest, HeadersThenTextWithCrlfLineEnds) {
  MailMessage m{"ann@example.com", "Your Tapistry sign-in link", "Hello,\n\nhttps://a.test/x\n"};
  const std::string out = FormatMail("tapistry@example.com", m, 1723718400000, "abc@tapistry");
  EXPECT_TRUE(out.starts_with("Date: Thu, 15 Aug 2024 10:40:00 +0000\r\n")) << out;
  EXPECT_NE(out.find("\r\nFrom: Tapistry <tapistry@example.com>\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nTo: <ann@example.com>\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nSubject: Your Tapistry sign-in link\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nMessage-ID: <abc@tapistry>\r\n"), std::string::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\nHello,\r\n\r\nhttps://a.test/x\r\n")) << out;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\n') {
      EXPECT_EQ(out[i - 1], '\r') << "bare LF at " << i;
    }
  }
}

TEST(SmtpMailerTest, OptionsAnOperatorMustFixAreRefusedAtStart) {
  SmtpOptions o;
  o.host = "smtp.example.com";
  EXPECT_EQ(NewSmtpMailer(o).status().code(), StatusCode::kInvalidArgument) << "no from";
  o.from = "tapistry@example.com";
  EXPECT_TRUE(NewSmtpMailer(o).ok());
  o.tls = "ssl";
  EXPECT_EQ(NewSmtpMailer(o).status().code(), StatusCode::kInvalidArgument);
  o.tls = "none";
  o.port = 70000;
  EXPECT_EQ(NewSmtpMailer(o).status().code(), StatusCode::kInvalidArgument);
}

// Nothing listens on the port: the failure is a Status naming the server, not a crash or a hang.
TEST(SmtpMailerTest, AnUnreachableServerIsAnUnavailableStatus) {
  SmtpOptions o;
  o.host = "127.0.0.1";
  o.port = 1;
  o.tls = "none";
  o.from = "tapistry@example.com";
  o.timeout_ms = 2000;
  auto m = NewSmtpMailer(o);
  ASSERT_TRUE(m.ok());
  Status s = (*m)->Send({"ann@example.com", "s", "t"});
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("smtp://127.0.0.1:1"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace tapistry
