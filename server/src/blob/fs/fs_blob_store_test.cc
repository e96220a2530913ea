// FsBlobStore's file-system specifics: where objects live, what a crash leaves behind, and keys
// that collide with directories. What every backend must do is in blob_store_conformance.h.
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/fault_injection_env.h"
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

// The names under the root that are not objects (temp files a failed write left behind).
std::vector<std::string> Strays(const std::string& root) {
  std::vector<std::string> out;
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().filename().string().find('~') != std::string::npos) out.push_back(e.path());
  }
  return out;
}

// A Put the disk refuses at any step reports it, leaves no temp file, and leaves the old object
// whole — or, when only the final directory sync failed, the new one whole.
TEST(FsBlobStoreFaultTest, ARefusedPutLeavesTheOldObjectAndNoTempFile) {
  TempDir dir("tap-blob-fault");
  FaultInjectionEnv env;
  auto blobs = OpenFsBlobStore(dir.Sub("b"), &env);
  ASSERT_TRUE(blobs.ok());
  const std::vector<FaultInjectionEnv::Fault> faults = {
      {.op = FaultOp::kWrite, .err = ENOSPC},
      {.op = FaultOp::kWrite, .err = ENOSPC, .short_bytes = 3},
      {.op = FaultOp::kSync, .err = EIO},
      {.op = FaultOp::kRename, .err = EIO},
      {.op = FaultOp::kSyncDir, .err = EIO},
  };
  for (bool if_absent : {false, true}) {
    for (const auto& fault : faults) {
      SCOPED_TRACE(std::to_string(static_cast<int>(fault.op)) +
                   (if_absent ? " PutIfAbsent" : " Put"));
      const std::string key = if_absent ? "new/" + std::to_string(static_cast<int>(fault.op)) : "k";
      if (!if_absent) {
        ASSERT_TRUE((*blobs)->Put(key, "old bytes").ok());
      }
      env.Inject(fault);
      const Status s =
          if_absent ? (*blobs)->PutIfAbsent(key, "new bytes") : (*blobs)->Put(key, "new bytes");
      EXPECT_EQ(s.code(), StatusCode::kIOError);
      auto got = (*blobs)->Get(key);
      if (fault.op == FaultOp::kSyncDir) {
        EXPECT_EQ(*got, "new bytes");  // published, not yet durable: reported as failed
      } else if (if_absent) {
        EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
      } else {
        EXPECT_EQ(*got, "old bytes");
      }
      EXPECT_TRUE(Strays(dir.Sub("b")).empty());
    }
  }
}

// A power cut after each file-system call of a Put over an object and of a PutIfAbsent below
// new directories: afterwards each key holds its old bytes or its new bytes whole (the new ones
// if the call had returned ok), List shows no temp file, and the store takes writes again.
TEST(FsBlobStoreFaultTest, APowerCutAnywhereInAPutLeavesOldOrNewWhole) {
  TempDir dir("tap-blob-crash");
  FaultInjectionEnv env;
  const std::string root = dir.Sub("b");
  auto setup = [&] {
    fs::remove_all(root);
    auto b = OpenFsBlobStore(root, &env);
    EXPECT_TRUE(b.ok());
    EXPECT_TRUE((*b)->Put("snap/p1/page.html", "old").ok());
    return std::move(b).value();
  };
  auto writes = [](BlobStore* b, bool* put_ok, bool* pia_ok) {
    *put_ok = b->Put("snap/p1/page.html", std::string(5000, 'n')).ok();
    *pia_ok = b->PutIfAbsent("replay/s1/0/chunk-0", "chunk").ok();
  };
  std::map<FaultOp, int> calls;
  {
    auto b = setup();
    env.SetHook([&](FaultOp op, const std::string&) {
      ++calls[op];
      return Status::Ok();
    });
    bool put_ok = false, pia_ok = false;
    writes(b.get(), &put_ok, &pia_ok);
    env.SetHook(nullptr);
    ASSERT_TRUE(put_ok && pia_ok);
  }
  int crashes = 0;
  for (const auto& [op, count] : calls) {
    for (int k = 0; k < count; ++k) {
      SCOPED_TRACE("crash after call " + std::to_string(k) + " of kind " +
                   std::to_string(static_cast<int>(op)));
      bool put_ok = false, pia_ok = false;
      {
        auto b = setup();
        env.CrashAfter(op, "", k);
        writes(b.get(), &put_ok, &pia_ok);
      }
      ASSERT_TRUE(env.crashed());
      ++crashes;
      ASSERT_TRUE(env.SimulateCrash().ok());
      auto b = OpenFsBlobStore(root, &env);
      ASSERT_TRUE(b.ok());
      auto page = (*b)->Get("snap/p1/page.html");
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      if (put_ok) {
        EXPECT_EQ(*page, std::string(5000, 'n'));
      } else {
        EXPECT_TRUE(*page == "old" || *page == std::string(5000, 'n')) << page->size() << " bytes";
      }
      auto chunk = (*b)->Get("replay/s1/0/chunk-0");
      if (pia_ok) {
        EXPECT_EQ(*chunk, "chunk");
      } else if (chunk.ok()) {
        EXPECT_EQ(*chunk, "chunk");
      } else {
        EXPECT_EQ(chunk.status().code(), StatusCode::kNotFound);
      }
      auto keys = (*b)->List("");
      ASSERT_TRUE(keys.ok());
      for (const std::string& key : *keys) EXPECT_EQ(key.find('~'), std::string::npos);
      EXPECT_TRUE((*b)->PutIfAbsent("replay/s1/0/chunk-1", "next").ok());
    }
  }
  EXPECT_GT(crashes, 10);
}

}  // namespace
}  // namespace tapistry
