// ASCII character classes without the C locale's function calls (<cctype> goes through the
// locale tables on every call, which showed up at ~6 % of ingest CPU). Bytes >= 0x80 are never
// letters or digits here, which is what URL, header and PII scanning want.
// Thread-safety: pure functions.
#pragma once

namespace tapistry::ascii {

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
constexpr bool IsAlpha(char c) { return IsUpper(c) || IsLower(c); }
constexpr bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
constexpr char ToLower(char c) { return IsUpper(c) ? static_cast<char>(c + ('a' - 'A')) : c; }
constexpr char ToUpper(char c) { return IsLower(c) ? static_cast<char>(c - ('a' - 'A')) : c; }
// 0..15 for a hex digit, -1 otherwise.
constexpr int HexValue(char c) {
  return IsDigit(c)               ? c - '0'
         : (c >= 'a' && c <= 'f') ? c - 'a' + 10
         : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                  : -1;
}

}  // namespace tapistry::ascii
