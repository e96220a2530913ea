// The blob key rule shared by every BlobStore backend (blob_store.h): one definition, so a key
// that one backend takes is taken by all of them.
#include "tapistry/blob_store.h"

namespace tapistry {
namespace {

bool KeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

bool ValidBlobKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxBlobKeyBytes) return false;
  size_t start = 0;
  while (true) {
    const size_t slash = key.find('/', start);
    const size_t end = slash == std::string::npos ? key.size() : slash;
    const size_t len = end - start;
    // Also rejects a leading, trailing or doubled '/': each makes an empty segment.
    if (len == 0 || len > kMaxBlobKeySegment) return false;
    if ((len == 1 && key[start] == '.') || (len == 2 && key.compare(start, 2, "..") == 0)) {
      return false;
    }
    for (size_t i = start; i < end; ++i) {
      if (!KeyChar(key[i])) return false;
    }
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

}  // namespace tapistry
