// FsBlobStore's file-system specifics: where objects live, what a crash leaves behind, and keys
// that collide with directories. What every backend must do is in blob_store_conformance.h.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/temp_dir.h"
#include "tapistry/blob_store.h"

namespace tapistry {
namespace {

namespace fs = std::filesystem;

class FsBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto bs = OpenFsBlobStore(Root());
    ASSERT_TRUE(bs.ok()) << bs.status().ToString();
    blobs_ = std::move(bs).value();
  }
  std::string Root() const { return dir_.Sub("blobs"); }
  void WriteRaw(const std::string& rel, const std::string& bytes) {
    fs::create_directories(fs::path(Root() + "/" + rel).parent_path());
    std::ofstream(Root() + "/" + rel, std::ios::binary) << bytes;
  }
  TempDir dir_{"tap-blob"};
  std::unique_ptr<BlobStore> blobs_;
};

TEST(BlobKeyTest, RejectsTraversalAndOddCharacters) {
  EXPECT_TRUE(ValidBlobKey("snapshots/p_1/abc/4.json"));
  EXPECT_TRUE(ValidBlobKey("..."));  // only "." and ".." are special
  EXPECT_TRUE(ValidBlobKey(std::string(kMaxBlobKeySegment, 'a')));
  EXPECT_FALSE(ValidBlobKey(std::string(kMaxBlobKeySegment + 1, 'a')));
  EXPECT_FALSE(ValidBlobKey("../etc/passwd"));
  EXPECT_FALSE(ValidBlobKey("a/../b"));
  EXPECT_FALSE(ValidBlobKey("a/./b"));
  EXPECT_FALSE(ValidBlobKey("/abs"));
  EXPECT_FALSE(ValidBlobKey("a/"));
  EXPECT_FALSE(ValidBlobKey("a//b"));
  EXPECT_FALSE(ValidBlobKey("a b"));
  EXPECT_FALSE(ValidBlobKey("a~1"));  // the temp-file mark
  EXPECT_FALSE(ValidBlobKey(""));
}

TEST_F(FsBlobStoreTest, AnObjectIsOneFileAtItsKey) {
  ASSERT_TRUE(blobs_->Put("s/p1/a.json", "one").ok());
  std::ifstream in(Root() + "/s/p1/a.json");
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, "one");
  // Nothing else is left next to it (the temp file was renamed, not copied).
  EXPECT_EQ(std::distance(fs::directory_iterator(Root() + "/s/p1"), fs::directory_iterator()), 1);
}

// A crash between writing the temp file and publishing it leaves the temp file: it is no object,
// is never listed, and does not stop the key from being written.
TEST_F(FsBlobStoreTest, ATempFileLeftByACrashIsInvisible) {
  WriteRaw("r/s1/0~0123456789ab", "partial");
  EXPECT_TRUE(blobs_->List("")->empty());
  EXPECT_EQ(blobs_->Get("r/s1/0").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(blobs_->PutIfAbsent("r/s1/0", "whole").ok());
  EXPECT_EQ(*blobs_->Get("r/s1/0"), "whole");
  EXPECT_EQ(*blobs_->List("r/"), std::vector<std::string>{"r/s1/0"});
}

// "a" and "a/b" cannot both be files: the second write is refused, the first stays readable,
// and reading the directory as an object answers NotFound, not an I/O error.
TEST_F(FsBlobStoreTest, AKeyThatCollidesWithADirectoryIsRefusedCleanly) {
  ASSERT_TRUE(blobs_->Put("a/b", "below").ok());
  EXPECT_EQ(blobs_->Put("a", "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(blobs_->PutIfAbsent("a", "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(blobs_->Get("a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(blobs_->Size("a").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(blobs_->Delete("a").ok());
  ASSERT_TRUE(blobs_->Put("f", "file").ok());
  EXPECT_EQ(blobs_->Put("f/g", "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(blobs_->Get("f/g").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*blobs_->Get("a/b"), "below");
  EXPECT_EQ(*blobs_->Get("f"), "file");
}

// List walks only below the prefix's directory, so a prefix must never lead it out of the root.
TEST_F(FsBlobStoreTest, ListNeverLeavesTheRoot) {
  WriteRaw("../outside/x", "secret");
  ASSERT_TRUE(blobs_->Put("in/x", "1").ok());
  EXPECT_TRUE(blobs_->List("../outside/")->empty());
  EXPECT_TRUE(blobs_->List("/")->empty());
  EXPECT_TRUE(blobs_->List("in//")->empty());
  EXPECT_EQ(*blobs_->List("i"), std::vector<std::string>{"in/x"});
}

TEST(FsBlobStoreOpenTest, RefusesAnEmptyDirectoryName) {
  EXPECT_EQ(OpenFsBlobStore("").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tapistry
