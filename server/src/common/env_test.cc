// PosixEnv: the error codes callers branch on, and the helpers' durability recipes.
#include "common/env.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "common/temp_dir.h"

namespace tapistry {
namespace {

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }
  Env* env_ = PosixEnv();
  TempDir dir_{"tap-env"};
};

TEST_F(EnvTest, FilesWriteReadSyncTruncate) {
  const std::string p = dir_.Sub("f");
  auto f = env_->Open(p, OpenMode::kCreateNew);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE((*f)->Write(0, "hello world").ok());
  ASSERT_TRUE((*f)->Write(6, "WORLD!").ok());
  ASSERT_TRUE((*f)->DataSync().ok());
  EXPECT_EQ(*(*f)->Size(), 12u);
  char buf[32];
  auto n = (*f)->Read(3, buf, sizeof buf);  // asks past the end: gets what there is
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "lo WORLD!");
  ASSERT_TRUE((*f)->Truncate(5).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE((*f)->Close().ok());
  ASSERT_TRUE((*f)->Close().ok());  // idempotent
  std::string all;
  ASSERT_TRUE(ReadFileToString(env_, p, &all).ok());
  EXPECT_EQ(all, "hello");
}

TEST_F(EnvTest, ErrorsCarryTheCodesCallersBranchOn) {
  ASSERT_TRUE(WriteFileSynced(env_, dir_.Sub("file"), "x").ok());
  EXPECT_EQ(env_->Open(dir_.Sub("nope"), OpenMode::kReadOnly).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(env_->Open(dir_.Sub("file/below"), OpenMode::kReadOnly).status().code(),
            StatusCode::kNotFound);  // ENOTDIR
  EXPECT_EQ(env_->Open(dir_.Sub("file"), OpenMode::kCreateNew).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(env_->Open(dir_.path(), OpenMode::kReadOnly).status().code(),
            StatusCode::kInvalidArgument);  // a directory is no File
  EXPECT_EQ(env_->CreateDir(dir_.Sub("file")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(env_->Unlink(dir_.Sub("nope")).code(), StatusCode::kNotFound);
  EXPECT_EQ(env_->Stat(dir_.Sub("nope")).status().code(), StatusCode::kNotFound);
  const Status s = env_->Unlink(dir_.Sub("nope"));
  EXPECT_NE(s.message().find(dir_.Sub("nope")), std::string::npos) << s.message();
  EXPECT_GT(*env_->FreeSpace(dir_.path()), 0u);
}

TEST_F(EnvTest, RenameNoReplaceHasExactlyOneWinner) {
  constexpr int kThreads = 6;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(WriteFileSynced(env_, dir_.Sub("tmp" + std::to_string(t)), std::to_string(t)).ok());
  }
  std::atomic<int> wins{0}, exists{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Status s = env_->RenameNoReplace(dir_.Sub("tmp" + std::to_string(t)), dir_.Sub("target"));
      if (s.ok()) ++wins;
      if (s.code() == StatusCode::kAlreadyExists) ++exists;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(exists.load(), kThreads - 1);
  // Rename does replace.
  ASSERT_TRUE(WriteFileSynced(env_, dir_.Sub("new"), "new").ok());
  ASSERT_TRUE(env_->Rename(dir_.Sub("new"), dir_.Sub("target")).ok());
  std::string got;
  ASSERT_TRUE(ReadFileToString(env_, dir_.Sub("target"), &got).ok());
  EXPECT_EQ(got, "new");
  ASSERT_TRUE(WriteFileSynced(env_, dir_.Sub("src"), "src").ok());
  EXPECT_EQ(env_->Link(dir_.Sub("src"), dir_.Sub("target")).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(env_->Link(dir_.Sub("src"), dir_.Sub("second name")).ok());
  ASSERT_TRUE(ReadFileToString(env_, dir_.Sub("second name"), &got).ok());
  EXPECT_EQ(got, "src");
}

TEST_F(EnvTest, CreateDirsReportsWhatItMadeAndRemoveAllTakesTrees) {
  std::vector<std::string> created;
  ASSERT_TRUE(CreateDirs(env_, dir_.Sub("a/b/c"), &created).ok());
  EXPECT_EQ(created, (std::vector<std::string>{dir_.Sub("a"), dir_.Sub("a/b"), dir_.Sub("a/b/c")}));
  created.clear();
  ASSERT_TRUE(CreateDirs(env_, dir_.Sub("a/b/d"), &created).ok());
  EXPECT_EQ(created, std::vector<std::string>{dir_.Sub("a/b/d")});
  EXPECT_TRUE(SyncCreatedDirs(env_, created).ok());
  ASSERT_TRUE(WriteFileSynced(env_, dir_.Sub("a/b/c/f"), "x").ok());
  EXPECT_EQ(CreateDirs(env_, dir_.Sub("a/b/c/f")).code(), StatusCode::kAlreadyExists);
  auto list = env_->ListDir(dir_.Sub("a/b"));
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
  ASSERT_TRUE(RemoveAll(env_, dir_.Sub("a")).ok());
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("a")));
  EXPECT_TRUE(RemoveAll(env_, dir_.Sub("a")).ok());  // missing is fine
  EXPECT_EQ(ParentDir("x"), ".");
  EXPECT_EQ(ParentDir("/x"), "/");
  EXPECT_EQ(ParentDir("a/b/c"), "a/b");
}

}  // namespace
}  // namespace tapistry
