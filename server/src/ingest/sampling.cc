#include "ingest/sampling.h"

namespace tapistry {

uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

bool SessionSampled(const Uuid& session_id, double rate) {
  if (rate >= 1) return true;
  const double unit = static_cast<double>(Fnv1a64(session_id.ToString()) >> 32) / 4294967296.0;
  return unit < rate;
}

}  // namespace tapistry
