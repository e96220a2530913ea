// Runs the BlobStore conformance suite (blob_store_conformance.h) on every backend built here:
// the file-system store, and the in-memory test double (mem_blob_store.h) that the honesty test
// builds its wrong stores from — it must pass, or their failures would prove nothing.
#include "blob_store_conformance.h"

#include "common/temp_dir.h"
#include "mem_blob_store.h"

namespace tapistry::conformance {
namespace {

class FsFactory {
 public:
  static constexpr const char* kName = "Fs";
  std::unique_ptr<BlobStore> Open() {
    auto b = OpenFsBlobStore(dir_.Sub("blobs"));
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? std::move(b).value() : nullptr;
  }

 private:
  TempDir dir_{"tap-blob-conformance"};
};

class MemFactory {
 public:
  static constexpr const char* kName = "InMemoryTestDouble";
  std::unique_ptr<BlobStore> Open() { return std::make_unique<MemBlobStore>(storage_); }

 private:
  std::shared_ptr<MemBlobStorage> storage_ = std::make_shared<MemBlobStorage>();
};

using Backends = ::testing::Types<FsFactory, MemFactory>;

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Blob, BlobStoreConformanceTest, Backends, BackendName);

}  // namespace tapistry::conformance
