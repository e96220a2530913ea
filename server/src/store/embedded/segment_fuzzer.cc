// libFuzzer target for the embedded store's on-disk parsers: segment files (footer, every
// column stream, aggregates and rollups) and the manifest. Whatever the bytes, they must produce
// a Status, never a crash, a hang or an absurd allocation.
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "store/embedded/manifest.h"
#include "store/embedded/segment_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tapistry::store;
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    Manifest m;
    (void)DecodeManifest(bytes, &m);
    return 0;
  }
  static const std::string path = "/tmp/tap-segment-fuzz-" + std::to_string(::getpid()) + ".seg";
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  auto seg = Segment::Open(path);
  if (!seg.ok()) return 0;
  Columns cols;
  (void)(*seg)->Load(kAllColumns, &cols);
  PageviewAggregates agg;
  (void)(*seg)->LoadPageviewAggregates(&agg);
  std::vector<uint32_t> runs;
  (void)(*seg)->LoadSessionRuns(&runs);
  (void)(*seg)->CheckRollups();
  return 0;
}
