// Runs the EventStore conformance suite (event_store_conformance.h) on every backend built here.
// The embedded store runs twice: with its background threads and with a tiny memtable and no
// threads, so queries see data spread over many segments and flushes happen inline.
#include "event_store_conformance.h"

#include "common/temp_dir.h"
#include "store/embedded/embedded_event_store.h"
#include "tapistry/event_store.h"

namespace tapistry::conformance {
namespace {

template <size_t kMemtableRows, bool kBackground>
class EmbeddedFactory {
 public:
  static constexpr bool kSupportsReopen = true;
  static constexpr const char* kName = kBackground ? "EmbeddedBackground" : "EmbeddedTinyMemtable";
  std::unique_ptr<EventStore> Open() {
    EmbeddedStoreOptions opts;
    opts.dir = dir_.Sub("events");
    opts.memtable_rows = kMemtableRows;
    opts.background = kBackground;
    opts.clock = &clock_;
    auto store = OpenEmbeddedEventStore(opts);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  FakeClock* clock() { return &clock_; }

 private:
  TempDir dir_{"tap-conformance"};
  FakeClock clock_;
};

using EmbeddedBackground = EmbeddedFactory<1 << 20, true>;
using EmbeddedTinyMemtable = EmbeddedFactory<7, false>;
using EmbeddedBackends = ::testing::Types<EmbeddedBackground, EmbeddedTinyMemtable>;

// Readable test names (ctest -R EmbeddedTinyMemtable) instead of the factory's template name.
struct FactoryName {
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Store, EventStoreConformanceTest, EmbeddedBackends, FactoryName);

}  // namespace tapistry::conformance
