// zstd compression of segment streams. A stream is stored compressed only when that makes it
// smaller; otherwise raw, so random bytes (event ids) cost nothing to decode.
// Thread-safety: the functions keep one compression/decompression context per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tapistry/status.h"

namespace tapistry::store {

// On-disk compression codes (docs/formats/segment.md).
inline constexpr uint8_t kCompressionNone = 0;
inline constexpr uint8_t kCompressionZstd = 1;

// Compresses `raw` at `level`; sets *codec and fills *out with the bytes to store.
void CompressStream(std::string_view raw, int level, uint8_t* codec, std::string* out);

// Reverses CompressStream. `raw_len` is the size recorded in the footer; anything else is
// corruption. The result is written to *out (resized to raw_len).
Status DecompressStream(std::string_view stored, uint8_t codec, uint64_t raw_len, std::string* out);

}  // namespace tapistry::store
