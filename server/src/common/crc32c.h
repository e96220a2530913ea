// CRC-32C (Castagnoli polynomial), the checksum of WAL headers and records (docs/formats/wal.md)
// and of segment streams, footers and the manifest (docs/formats/segment.md). Castagnoli rather
// than zlib's CRC-32 because it detects more error patterns in the record sizes we write and x86-64
// computes it in hardware (SSE4.2), which keeps checksumming far below the cost of the fdatasync it
// guards. Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tapistry::crc32c {

// Returns the CRC-32C of `data` appended to a message whose CRC-32C is `crc`:
// Extend(Value(a), b) == Value(a + b). Uses SSE4.2 when the CPU has it.
uint32_t Extend(uint32_t crc, const void* data, size_t n);

// CRC-32C of `data`.
inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// The table-driven implementation Extend falls back to; exposed so tests can check that both
// paths agree on every machine.
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n);

}  // namespace tapistry::crc32c
