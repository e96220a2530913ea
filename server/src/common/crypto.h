// Small crypto helpers over OpenSSL: random tokens, SHA-256, HMAC-SHA256, constant-time compare.
// Thread-safety: pure functions (OpenSSL's RNG is thread-safe).
#pragma once

#include <string>
#include <string_view>

namespace tapistry {

// `bytes` random bytes as lowercase hex.
std::string RandomHex(size_t bytes);
std::string Sha256Hex(std::string_view data);
std::string HmacSha256Hex(std::string_view key, std::string_view data);
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace tapistry
