#include "store/embedded/coding.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace tapistry::store {

namespace {

// Fixed-width versions the compiler vectorizes; the generic loops below handle other widths.
template <size_t W>
void ShuffleFixed(const uint8_t* in, size_t count, uint8_t* out) {
  for (size_t i = 0; i < count; ++i) {
    for (size_t b = 0; b < W; ++b) out[b * count + i] = in[i * W + b];
  }
}

template <size_t W>
void UnshuffleFixed(const uint8_t* in, size_t count, uint8_t* out) {
  constexpr size_t kBlock = 256;  // bounded working set: W source rows stay in L1
  for (size_t i0 = 0; i0 < count; i0 += kBlock) {
    const size_t n = std::min(kBlock, count - i0);
    for (size_t i = 0; i < n; ++i) {
      uint8_t v[W];
      for (size_t b = 0; b < W; ++b) v[b] = in[b * count + i0 + i];
      std::memcpy(out + (i0 + i) * W, v, W);
    }
  }
}

}  // namespace

void ShuffleBytes(const char* in, size_t count, size_t width, char* out) {
  const auto* i = reinterpret_cast<const uint8_t*>(in);
  auto* o = reinterpret_cast<uint8_t*>(out);
  switch (width) {
    case 2:
      return ShuffleFixed<2>(i, count, o);
    case 4:
      return ShuffleFixed<4>(i, count, o);
    case 8:
      return ShuffleFixed<8>(i, count, o);
    default:
      break;
  }
  for (size_t b = 0; b < width; ++b) {
    char* dst = out + b * count;
    for (size_t k = 0; k < count; ++k) dst[k] = in[k * width + b];
  }
}

void UnshuffleBytes(const char* in, size_t count, size_t width, char* out) {
  const auto* i = reinterpret_cast<const uint8_t*>(in);
  auto* o = reinterpret_cast<uint8_t*>(out);
  switch (width) {
    case 2:
      return UnshuffleFixed<2>(i, count, o);
    case 4:
      return UnshuffleFixed<4>(i, count, o);
    case 8:
      return UnshuffleFixed<8>(i, count, o);
    default:
      break;
  }
  for (size_t b = 0; b < width; ++b) {
    const char* src = in + b * count;
    for (size_t k = 0; k < count; ++k) out[k * width + b] = src[k];
  }
}

}  // namespace tapistry::store
