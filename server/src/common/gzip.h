// Bounded gzip inflation for untrusted request bodies (gzip bombs are refused early), and gzip
// deflation of what the server stores (replay chunks).
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

#include "tapistry/status.h"

namespace tapistry {

// Inflates a gzip body into *out, refusing more than `limit` bytes (TooLarge) or more than
// `max_ratio` times the compressed size (TooLarge), and malformed input (InvalidArgument).
Status GunzipBounded(std::string_view in, size_t limit, size_t max_ratio, std::string* out);

// `in` as one gzip member (RFC 1952) at zlib `level` (1..9). Deterministic for a given zlib
// build, but callers comparing contents compare the inflated bytes, never the gzip bytes.
Status GzipCompress(std::string_view in, int level, std::string* out);

}  // namespace tapistry
