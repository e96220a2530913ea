#include <gtest/gtest.h>

#include "common/temp_dir.h"
#include "tapistry/blob_store.h"

namespace tapistry {
namespace {

TEST(BlobKeyTest, RejectsTraversalAndOddCharacters) {
  EXPECT_TRUE(ValidBlobKey("snapshots/p_1/abc/4.json"));
  EXPECT_FALSE(ValidBlobKey("../etc/passwd"));
  EXPECT_FALSE(ValidBlobKey("a/../b"));
  EXPECT_FALSE(ValidBlobKey("/abs"));
  EXPECT_FALSE(ValidBlobKey("a//b"));
  EXPECT_FALSE(ValidBlobKey("a b"));
  EXPECT_FALSE(ValidBlobKey(""));
}

TEST(FsBlobStoreTest, PutGetListDelete) {
  TempDir dir("tap-blob");
  ASSERT_FALSE(dir.path().empty());
  auto bs = OpenFsBlobStore(dir.Sub("blobs"));
  ASSERT_TRUE(bs.ok());
  ASSERT_TRUE((*bs)->Put("s/p1/a.json", "one").ok());
  ASSERT_TRUE((*bs)->Put("s/p1/a.json", "two").ok());
  ASSERT_TRUE((*bs)->Put("s/p2/b.json", "three").ok());
  EXPECT_EQ(*(*bs)->Get("s/p1/a.json"), "two");
  EXPECT_EQ((*bs)->Get("s/p1/missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*(*bs)->List("s/p1/"), std::vector<std::string>{"s/p1/a.json"});
  EXPECT_EQ((*bs)->List("s/")->size(), 2u);
  ASSERT_TRUE((*bs)->Delete("s/p1/a.json").ok());
  EXPECT_EQ((*bs)->Get("s/p1/a.json").status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*bs)->Put("../x", "y").code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tapistry
