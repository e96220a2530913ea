// PII redaction: emails, payment card numbers (Luhn-checked), IBANs and US SSNs never reach
// storage in titles, URLs, selectors or property values (DESIGN §7). Runs on the ingest hot path,
// so it is a hand-written scanner, not a regex engine.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace tapistry {

// Replaces each PII match with "[email]", "[card]", "[iban]" or "[ssn]". Returns true when anything
// was replaced.
bool RedactPii(std::string* s);

// True when `s` contains something RedactPii would replace.
bool ContainsPii(std::string_view s);

}  // namespace tapistry
