// Runs the MetaStore conformance suite (meta_store_conformance.h) on every backend built here.
#include "meta_store_conformance.h"

#include "common/temp_dir.h"

namespace tapistry::conformance {
namespace {

class SqliteFactory {
 public:
  static constexpr const char* kName = "Sqlite";
  std::unique_ptr<MetaStore> Open() {
    auto m = OpenSqliteMetaStore(dir_.Sub("meta.db"));
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(m).value() : nullptr;
  }

 private:
  TempDir dir_{"tap-meta-conformance"};
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(Meta, MetaStoreConformanceTest, ::testing::Types<SqliteFactory>,
                               BackendName);

}  // namespace tapistry::conformance
