// BlobStore: named immutable-ish byte objects (heatmap snapshots now; replay segments and
// manifests later). Implementations: FsBlobStore (files under the data dir, the embedded default)
// and, for scale-out, an S3-compatible store. Keys are '/'-separated ASCII paths of
// [A-Za-z0-9._-] segments; no "..", no leading '/'.
// Thread-safety: every method may be called concurrently. Put is atomic: a reader sees the old or
// the new object, never a mix.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tapistry/status.h"

namespace tapistry {

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  virtual Status Put(const std::string& key, const std::string& bytes) = 0;
  // NotFound when absent.
  virtual Result<std::string> Get(const std::string& key) = 0;
  virtual Status Delete(const std::string& key) = 0;
  // Keys starting with `prefix`, sorted.
  virtual Result<std::vector<std::string>> List(const std::string& prefix) = 0;
};

// True when `key` is a valid blob key.
bool ValidBlobKey(const std::string& key);

Result<std::unique_ptr<BlobStore>> OpenFsBlobStore(const std::string& dir);

}  // namespace tapistry
