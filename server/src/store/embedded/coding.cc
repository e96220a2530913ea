#include "store/embedded/coding.h"

namespace tapistry::store {

void ShuffleBytes(const char* in, size_t count, size_t width, char* out) {
  for (size_t b = 0; b < width; ++b) {
    char* dst = out + b * count;
    for (size_t i = 0; i < count; ++i) dst[i] = in[i * width + b];
  }
}

void UnshuffleBytes(const char* in, size_t count, size_t width, char* out) {
  for (size_t b = 0; b < width; ++b) {
    const char* src = in + b * count;
    for (size_t i = 0; i < count; ++i) out[i * width + b] = src[i];
  }
}

}  // namespace tapistry::store
