// CRC-32C (Castagnoli), the checksum on every stream, footer and manifest of the embedded store.
// Uses the SSE4.2 instruction when the CPU has it, a table otherwise; both give the same value.
// Thread-safety: stateless, callable from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tapistry::store {

// Extends `crc` (the value of a previous call, or 0 to start) over data[0, n).
uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n);
inline uint32_t Crc32c(std::string_view s) { return Crc32cExtend(0, s.data(), s.size()); }

}  // namespace tapistry::store
