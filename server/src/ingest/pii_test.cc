#include "ingest/pii.h"

#include <gtest/gtest.h>

namespace tapistry {
namespace {

std::string Redacted(std::string s) {
  RedactPii(&s);
  return s;
}

TEST(PiiTest, RedactsEmails) {
  EXPECT_EQ(Redacted("contact jane.doe+x@example.co.uk now"), "contact [email] now");
  EXPECT_EQ(Redacted("/users/bob%40corp.com/profile"), "/users/[email]/profile");
  EXPECT_EQ(Redacted("a@b"), "a@b");  // no domain dot: not an email
  EXPECT_EQ(Redacted("@handle"), "@handle");
}

TEST(PiiTest, RedactsLuhnValidCardsOnly) {
  EXPECT_EQ(Redacted("card 4111 1111 1111 1111 ok"), "card [card] ok");
  EXPECT_EQ(Redacted("4111-1111-1111-1111"), "[card]");
  EXPECT_EQ(Redacted("order 4111111111111112"), "order 4111111111111112");  // fails Luhn
  EXPECT_EQ(Redacted("ts 1723718400456"), "ts 1723718400456");  // a ms timestamp, passes Luhn
  EXPECT_EQ(Redacted("amex 3782 822463 10005"), "amex [card]");
}

TEST(PiiTest, RedactsSsnAndIban) {
  EXPECT_EQ(Redacted("ssn 123-45-6789."), "ssn [ssn].");
  EXPECT_EQ(Redacted("IBAN DE89 3704 0044 0532 0130 00 end"), "IBAN [iban] end");
  EXPECT_EQ(Redacted("GB82WEST12345698765432"), "[iban]");
  EXPECT_EQ(Redacted("GB82WEST12345698765431"), "GB82WEST12345698765431");  // bad checksum
}

TEST(PiiTest, LeavesOrdinaryTextAlone) {
  std::string s = "Pricing - Acme (2024) /blog/2024/08/15/launch";
  EXPECT_FALSE(ContainsPii(s));
  EXPECT_EQ(Redacted(s), s);
}

}  // namespace
}  // namespace tapistry
