// The fault-injecting Env itself: its rules hit exactly the calls they name, and its crash model
// loses what a power cut loses and nothing else — the WAL, segment and blob crash tests rely on
// both.
#include "common/fault_injection_env.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>

#include "common/temp_dir.h"

namespace tapistry {
namespace {

class FaultInjectionEnvTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }
  std::string Read(const std::string& name) {
    std::string out;
    Status s = ReadFileToString(PosixEnv(), dir_.Sub(name), &out);
    return s.ok() ? out : "!" + std::string(StatusCodeName(s.code()));
  }
  std::unique_ptr<File> Create(const std::string& name) {
    auto f = env_.Open(dir_.Sub(name), OpenMode::kCreateNew);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    return f.ok() ? std::move(f).value() : nullptr;
  }
  TempDir dir_{"tap-faultenv"};
  FaultInjectionEnv env_;
};

TEST_F(FaultInjectionEnvTest, RulesFailOnlyTheCallsTheyName) {
  auto a = Create("a");
  auto b = Create("b");
  ASSERT_TRUE(a && b);
  env_.Inject({.op = FaultOp::kSync, .err = EIO, .path_part = "/b", .skip = 1, .times = 1});
  EXPECT_TRUE(a->Sync().ok());
  EXPECT_TRUE(b->Sync().ok());      // skipped
  EXPECT_TRUE(b->DataSync().ok());  // fdatasync is another call
  const Status failed = b->Sync();
  EXPECT_EQ(failed.code(), StatusCode::kIOError);
  EXPECT_NE(failed.message().find("Input/output error"), std::string::npos) << failed.message();
  EXPECT_TRUE(b->Sync().ok());  // times = 1: spent
  env_.Inject({.op = FaultOp::kWrite, .err = ENOSPC});
  const Status full = a->Write(0, "x");
  EXPECT_NE(full.message().find("No space left"), std::string::npos) << full.message();
  EXPECT_TRUE(a->Write(0, "x").ok());
  EXPECT_EQ(env_.faults_injected(), 2);
}

TEST_F(FaultInjectionEnvTest, AShortWriteStoresAPrefixAndFails) {
  auto f = Create("f");
  ASSERT_TRUE(f);
  env_.Inject({.op = FaultOp::kWrite, .err = ENOSPC, .short_bytes = 3});
  EXPECT_EQ(f->Write(0, "abcdef").code(), StatusCode::kIOError);
  EXPECT_EQ(Read("f"), "abc");
}

TEST_F(FaultInjectionEnvTest, TheHookSeesEveryCallAndCanFailIt) {
  std::vector<FaultOp> seen;
  env_.SetHook([&](FaultOp op, const std::string& path) {
    seen.push_back(op);
    return path.ends_with("/locked") ? Status::IOError("hooked") : Status::Ok();
  });
  EXPECT_EQ(env_.Open(dir_.Sub("locked"), OpenMode::kCreateNew).status().message(), "hooked");
  ASSERT_TRUE(WriteFileSynced(&env_, dir_.Sub("ok"), "v").ok());
  EXPECT_EQ(seen, (std::vector<FaultOp>{FaultOp::kOpen, FaultOp::kOpen, FaultOp::kWrite,
                                        FaultOp::kSync}));
}

// A power cut keeps synced bytes and names whose directory was synced; nothing else.
TEST_F(FaultInjectionEnvTest, ACrashLosesWhatWasNotDurable) {
  auto durable = Create("durable");
  ASSERT_TRUE(durable);
  ASSERT_TRUE(durable->Write(0, "one").ok());
  ASSERT_TRUE(durable->Sync().ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(durable->Write(3, "+two").ok());  // never synced
  ASSERT_TRUE(WriteFileSynced(&env_, dir_.Sub("fresh"), "synced bytes, unsynced name").ok());
  ASSERT_TRUE(env_.CreateDir(dir_.Sub("newdir")).ok());
  ASSERT_TRUE(WriteFileSynced(&env_, dir_.Sub("newdir/f"), "x").ok());
  ASSERT_TRUE(env_.SyncDir(dir_.Sub("newdir")).ok());  // f's name is durable, newdir's is not
  ASSERT_TRUE(WriteFileSynced(PosixEnv(), dir_.Sub("untouched"), "old").ok());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_EQ(Read("durable"), "one");
  EXPECT_EQ(Read("fresh"), "!not_found");
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("newdir")));
  EXPECT_EQ(Read("untouched"), "old");
}

TEST_F(FaultInjectionEnvTest, ACrashRightAfterARenameUndoesIt) {
  ASSERT_TRUE(WriteFileSynced(PosixEnv(), dir_.Sub("target"), "old").ok());
  for (bool dir_synced : {false, true}) {
    SCOPED_TRACE(dir_synced ? "dir synced" : "dir not synced");
    ASSERT_TRUE(WriteFileSynced(&env_, dir_.Sub("tmp"), "new").ok());
    env_.CrashAfter(dir_synced ? FaultOp::kSyncDir : FaultOp::kRename);
    ASSERT_TRUE(env_.Rename(dir_.Sub("tmp"), dir_.Sub("target")).ok());
    if (dir_synced) {
      ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
    }
    EXPECT_TRUE(env_.crashed());
    EXPECT_EQ(env_.SyncDir(dir_.path()).code(), StatusCode::kIOError);  // the process is gone
    ASSERT_TRUE(env_.SimulateCrash().ok());
    EXPECT_FALSE(env_.crashed());
    EXPECT_EQ(Read("target"), dir_synced ? "new" : "old");
    EXPECT_EQ(Read("tmp"), "!not_found");  // its name was never durable either
  }
}

TEST_F(FaultInjectionEnvTest, FilesOfADeadProcessStayDead) {
  auto f = Create("f");
  ASSERT_TRUE(f);
  env_.CrashAfter(FaultOp::kWrite);
  ASSERT_TRUE(f->Write(0, "a").ok());
  EXPECT_FALSE(f->Write(1, "b").ok());
  ASSERT_TRUE(env_.SimulateCrash().ok());
  EXPECT_FALSE(f->Write(1, "b").ok());  // a zombie handle must not write after the "reboot"
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("f")));  // created, never dir-synced
  EXPECT_TRUE(Create("g") != nullptr);
}

}  // namespace
}  // namespace tapistry
