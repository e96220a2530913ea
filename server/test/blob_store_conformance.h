// The BlobStore conformance suite: what every backend (files, S3) must do, as checks that take a
// way to open the backend. A backend plugs in with a factory type and one line:
//
//   struct MyFactory {
//     MyFactory();                          // fresh, empty storage for one test
//     std::unique_ptr<BlobStore> Open();    // a store over that storage; called again after the
//                                           // previous store was destroyed (reopen)
//     static constexpr const char* kName;   // test name part, e.g. "S3"
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, BlobStoreConformanceTest, ::testing::Types<MyFactory>);
//
// The checks are plain functions listed in BlobChecks() so blob_store_honesty_test.cc can run
// each one against wrong stores and prove it fails them; a check that a do-nothing store passes
// would be worthless. Thread-safety: test code; checks start their own threads.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "conformance_util.h"
#include "tapistry/blob_store.h"

namespace tapistry::conformance {

// Opens the backend under test over one storage; each call is a fresh store (a reopen).
using BlobStoreOpener = std::function<std::unique_ptr<BlobStore>()>;

namespace blob_checks {

// The value or "!<status>", so a failed read shows why in the assertion message.
template <typename T>
std::string Text(const Result<T>& r) {
  if (!r.ok()) return "!" + r.status().ToString();
  if constexpr (std::is_same_v<T, std::string>) {
    return r.value();
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    return std::to_string(r.value());
  } else {
    std::string out;
    for (const std::string& k : r.value()) out += k + ",";
    return out;
  }
}
inline StatusCode Code(const Status& s) { return s.code(); }
template <typename T>
StatusCode Code(const Result<T>& r) {
  return r.status().code();
}

inline std::string List(BlobStore& b, const std::string& prefix) { return Text(b.List(prefix)); }

inline void PutGetListDelete(const BlobStoreOpener& open) {
  auto b = open();
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(Code(b->Put("s/p1/a.json", "one")), StatusCode::kOk);
  ASSERT_EQ(Code(b->Put("s/p1/b.json", "two!")), StatusCode::kOk);
  ASSERT_EQ(Code(b->Put("s/p2/a.json", "three")), StatusCode::kOk);
  EXPECT_EQ(Text(b->Get("s/p1/a.json")), "one");
  EXPECT_EQ(Text(b->Get("s/p2/a.json")), "three");
  EXPECT_EQ(Text(b->Size("s/p1/b.json")), "4");
  EXPECT_EQ(List(*b, ""), "s/p1/a.json,s/p1/b.json,s/p2/a.json,");
  EXPECT_EQ(List(*b, "s/p1/"), "s/p1/a.json,s/p1/b.json,");
  EXPECT_EQ(List(*b, "s/p"), "s/p1/a.json,s/p1/b.json,s/p2/a.json,");  // not only at a '/'
  EXPECT_EQ(List(*b, "s/p1/b"), "s/p1/b.json,");
  EXPECT_EQ(List(*b, "s/p1/a.json"), "s/p1/a.json,");
  EXPECT_EQ(List(*b, "t/"), "");
  ASSERT_EQ(Code(b->Delete("s/p1/a.json")), StatusCode::kOk);
  EXPECT_EQ(Code(b->Get("s/p1/a.json")), StatusCode::kNotFound);
  EXPECT_EQ(List(*b, "s/"), "s/p1/b.json,s/p2/a.json,");
  EXPECT_EQ(Code(b->Delete("s/p1/a.json")), StatusCode::kOk);  // deletes are retried
  EXPECT_EQ(Text(b->Get("s/p1/b.json")), "two!");
}

inline void OverwriteAndEmptyObjects(const BlobStoreOpener& open) {
  auto b = open();
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(Code(b->Put("k", "a longer first version")), StatusCode::kOk);
  ASSERT_EQ(Code(b->Put("k", "short")), StatusCode::kOk);
  EXPECT_EQ(Text(b->Get("k")), "short");
  EXPECT_EQ(Text(b->Size("k")), "5");
  // An empty object is an object: listed, sized 0, not NotFound.
  ASSERT_EQ(Code(b->Put("k", "")), StatusCode::kOk);
  EXPECT_EQ(Text(b->Get("k")), "");
  EXPECT_EQ(Text(b->Size("k")), "0");
  EXPECT_EQ(List(*b, ""), "k,");
  EXPECT_EQ(Code(b->PutIfAbsent("k", "x")), StatusCode::kAlreadyExists);
}

inline void ArbitraryBytesRoundTrip(const BlobStoreOpener& open) {
  auto b = open();
  ASSERT_NE(b, nullptr);
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  ASSERT_EQ(Code(b->Put("bytes", all)), StatusCode::kOk);
  ASSERT_EQ(Code(b->PutIfAbsent("big", big)), StatusCode::kOk);
  EXPECT_TRUE(Text(b->Get("bytes")) == all);
  EXPECT_TRUE(Text(b->Get("big")) == big);
  EXPECT_TRUE(Text(b->GetRange("bytes", 0, 1)) == std::string(1, '\0'));
  EXPECT_TRUE(Text(b->GetRange("big", 777777, 1000)) == big.substr(777777, 1000));
}

inline void MissingKeys(const BlobStoreOpener& open) {
  auto b = open();
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(Code(b->Put("k/a", "here")), StatusCode::kOk);
  EXPECT_EQ(Text(b->Get("k/a")), "here");
  for (const std::string key : {"k/b", "k", "k/a/deeper", "other"}) {
    SCOPED_TRACE(key);
    EXPECT_EQ(Code(b->Get(key)), StatusCode::kNotFound);
    EXPECT_EQ(Code(b->GetRange(key, 0, 1)), StatusCode::kNotFound);
    EXPECT_EQ(Code(b->Size(key)), StatusCode::kNotFound);
    EXPECT_EQ(Code(b->Delete(key)), StatusCode::kOk);
  }
  EXPECT_EQ(List(*b, "k/b"), "");
  EXPECT_EQ(List(*b, ""), "k/a,");
}

inline void RangedReadsAtTheEdges(const BlobStoreOpener& open) {
  auto b = open();
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(Code(b->Put("r", "0123456789")), StatusCode::kOk);
  ASSERT_EQ(Code(b->Put("empty", "")), StatusCode::kOk);
  EXPECT_EQ(Text(b->GetRange("r", 0, 10)), "0123456789");
  EXPECT_EQ(Text(b->GetRange("r", 3, 4)), "3456");
  EXPECT_EQ(Text(b->GetRange("r", 9, 1)), "9");
  EXPECT_EQ(Text(b->GetRange("r", 7, 100)), "789");              // length past the end
  EXPECT_EQ(Text(b->GetRange("r", 2, UINT64_MAX)), "23456789");  // offset + length overflows
  EXPECT_EQ(Text(b->GetRange("r", 10, 5)), "");                  // offset at the end
  EXPECT_EQ(Text(b->GetRange("r", 4, 0)), "");                   // zero length
  EXPECT_EQ(Code(b->GetRange("r", 11, 0)), StatusCode::kInvalidArgument);  // past the end
  EXPECT_EQ(Code(b->GetRange("r", UINT64_MAX, 1)), StatusCode::kInvalidArgument);
  EXPECT_EQ(Text(b->GetRange("empty", 0, 10)), "");
  EXPECT_EQ(Code(b->GetRange("empty", 1, 0)), StatusCode::kInvalidArgument);
  // A streaming reader: fixed-size ranges until a short one.
  std::string streamed;
  for (uint64_t off = 0;; off += 3) {
    auto part = b->GetRange("r", off, 3);
    ASSERT_TRUE(part.ok()) << part.status().ToString();
    streamed += *part;
    if (part->size() < 3) break;
  }
  EXPECT_EQ(streamed, "0123456789");
}

inline void PutIfAbsentNeverReplaces(const BlobStoreOpener& open) {
  auto b = open();
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(Code(b->PutIfAbsent("r/s1/0", "first")), StatusCode::kOk);
  EXPECT_EQ(Code(b->PutIfAbsent("r/s1/0", "retry with other bytes")), StatusCode::kAlreadyExists);
  EXPECT_EQ(Text(b->Get("r/s1/0")), "first");
  EXPECT_EQ(Code(b->PutIfAbsent("r/s1/1", "second")), StatusCode::kOk);
  EXPECT_EQ(List(*b, "r/s1/"), "r/s1/0,r/s1/1,");
  // Put still replaces; after a delete the key is free again.
  ASSERT_EQ(Code(b->Put("r/s1/0", "replaced")), StatusCode::kOk);
  EXPECT_EQ(Text(b->Get("r/s1/0")), "replaced");
  ASSERT_EQ(Code(b->Delete("r/s1/0")), StatusCode::kOk);
  EXPECT_EQ(Code(b->PutIfAbsent("r/s1/0", "again")), StatusCode::kOk);
  EXPECT_EQ(Text(b->Get("r/s1/0")), "again");
}

// Retried replay uploads race: of several PutIfAbsent calls on one key exactly one wins, and the
// object holds the winner's bytes whole.
inline void PutIfAbsentRaceHasOneWinner(const BlobStoreOpener& open) {
  auto b = open();
  ASSERT_NE(b, nullptr);
  constexpr int kKeys = 24, kThreads = 4;
  std::vector<std::atomic<int>> wins(kKeys), winner(kKeys);
  std::atomic<int> other_errors{0};
  RunTogether(kThreads, [&](int t) {
    for (int k = 0; k < kKeys; ++k) {
      const Status s = b->PutIfAbsent("race/" + std::to_string(k),
                                      "thread " + std::to_string(t) + std::string(4096, 'x'));
      if (s.ok()) {
        wins[k].fetch_add(1);
        winner[k].store(t);
      } else if (s.code() != StatusCode::kAlreadyExists) {
        other_errors.fetch_add(1);
      }
    }
  });
  EXPECT_EQ(other_errors.load(), 0);
  for (int k = 0; k < kKeys; ++k) {
    SCOPED_TRACE(k);
    EXPECT_EQ(wins[k].load(), 1);
    EXPECT_EQ(Text(b->Get("race/" + std::to_string(k))),
              "thread " + std::to_string(winner[k].load()) + std::string(4096, 'x'));
  }
}

// Readers racing writers see no object or a whole one, never a torn or partial one.
inline void ReadersNeverSeePartialObjects(const BlobStoreOpener& open) {
  auto b = open();
  ASSERT_NE(b, nullptr);
  const std::string a(256 << 10, 'a'), z(256 << 10, 'z');
  ASSERT_EQ(Code(b->Put("obj", a)), StatusCode::kOk);
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  RunTogether(2, [&](int t) {
    if (t == 0) {
      for (int i = 0; i < 40; ++i) {
        if (!b->Put("obj", i % 2 ? a : z).ok()) bad.fetch_add(1);
        if (!b->PutIfAbsent("new/" + std::to_string(i), z).ok()) bad.fetch_add(1);
      }
      done = true;
      return;
    }
    do {  // at least one pass, however fast the writer was
      auto r = b->Get("obj");
      if (!r.ok() || (*r != a && *r != z)) bad.fetch_add(1);
      for (int i = 0; i < 40; i += 7) {
        auto n = b->Get("new/" + std::to_string(i));
        if (n.ok() ? *n != z : n.status().code() != StatusCode::kNotFound) bad.fetch_add(1);
      }
    } while (!done.load());
  });
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(Text(b->Size("new/39")), std::to_string(z.size()));
}

// Every method refuses an invalid key with InvalidArgument (never maps or truncates it); every
// valid key, however odd, round-trips under its own name.
inline void OddKeysRejectedOrRoundTripped(const BlobStoreOpener& open) {
  auto b = open();
  ASSERT_NE(b, nullptr);
  std::string longest;
  while (longest.size() + kMaxBlobKeySegment + 1 <= kMaxBlobKeyBytes) {
    longest += std::string(kMaxBlobKeySegment, 'L') + "/";
  }
  longest += std::string(kMaxBlobKeyBytes - longest.size(), 'e');
  const std::vector<std::string> good = {
      "x",           "a-b_c.D/e.F-1_",      "...",   ".hidden/x",
      "UPPER/lower", "0/1/2/3/4/5/6/7/8/9", longest, std::string(kMaxBlobKeySegment, 's')};
  for (const std::string& key : good) {
    SCOPED_TRACE(key.substr(0, 40));
    ASSERT_EQ(Code(b->Put(key, "v:" + key)), StatusCode::kOk);
    EXPECT_EQ(Text(b->Get(key)), "v:" + key);
    EXPECT_EQ(List(*b, key), key + ",");
  }
  const std::vector<std::string> bad = {"",
                                        "/a",
                                        "a/",
                                        "a//b",
                                        "..",
                                        ".",
                                        "a/../b",
                                        "a/./b",
                                        "a b",
                                        "a\\b",
                                        std::string("a\0b", 3),
                                        "\xc3\xbc",
                                        "a%2Fb",
                                        "a?b",
                                        "a*b",
                                        "~",
                                        "a:b",
                                        longest + "e",
                                        std::string(kMaxBlobKeySegment + 1, 's')};
  for (const std::string& key : bad) {
    SCOPED_TRACE(key.substr(0, 40));
    EXPECT_EQ(Code(b->Put(key, "x")), StatusCode::kInvalidArgument);
    EXPECT_EQ(Code(b->PutIfAbsent(key, "x")), StatusCode::kInvalidArgument);
    EXPECT_EQ(Code(b->Get(key)), StatusCode::kInvalidArgument);
    EXPECT_EQ(Code(b->GetRange(key, 0, 1)), StatusCode::kInvalidArgument);
    EXPECT_EQ(Code(b->Size(key)), StatusCode::kInvalidArgument);
    EXPECT_EQ(Code(b->Delete(key)), StatusCode::kInvalidArgument);
  }
  auto all = b->List("");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), good.size());  // nothing was written under a mapped name
}

inline void PersistsAcrossReopen(const BlobStoreOpener& open) {
  {
    auto b = open();
    ASSERT_NE(b, nullptr);
    ASSERT_EQ(Code(b->Put("keep/a", "A")), StatusCode::kOk);
    ASSERT_EQ(Code(b->PutIfAbsent("keep/b", "B")), StatusCode::kOk);
    ASSERT_EQ(Code(b->Put("gone", "x")), StatusCode::kOk);
    ASSERT_EQ(Code(b->Delete("gone")), StatusCode::kOk);
  }
  auto b = open();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Text(b->Get("keep/a")), "A");
  EXPECT_EQ(Text(b->GetRange("keep/b", 0, 1)), "B");
  EXPECT_EQ(Code(b->Get("gone")), StatusCode::kNotFound);
  EXPECT_EQ(List(*b, ""), "keep/a,keep/b,");
  EXPECT_EQ(Code(b->PutIfAbsent("keep/a", "other")), StatusCode::kAlreadyExists);
}

// Writers of distinct keys under shared new prefixes (directories made concurrently on a file
// system) all succeed and are all listed.
inline void ConcurrentWritersOfDistinctKeys(const BlobStoreOpener& open) {
  auto b = open();
  ASSERT_NE(b, nullptr);
  constexpr int kThreads = 4, kEach = 30;
  std::atomic<int> failed{0};
  RunTogether(kThreads, [&](int t) {
    for (int i = 0; i < kEach; ++i) {
      const std::string key =
          "c/" + std::to_string(i % 5) + "/" + std::to_string(i) + "/" + std::to_string(t);
      Status s = (i % 2) ? b->Put(key, key) : b->PutIfAbsent(key, key);
      if (!s.ok()) failed.fetch_add(1);
    }
  });
  EXPECT_EQ(failed.load(), 0);
  auto keys = b->List("c/");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), static_cast<size_t>(kThreads * kEach));
  for (const std::string& k : *keys) EXPECT_EQ(Text(b->Get(k)), k);
}

}  // namespace blob_checks

struct BlobCheck {
  const char* name;
  void (*run)(const BlobStoreOpener&);
};

inline const std::vector<BlobCheck>& BlobChecks() {
  using namespace blob_checks;
  static const std::vector<BlobCheck> kChecks = {
      {"PutGetListDelete", PutGetListDelete},
      {"OverwriteAndEmptyObjects", OverwriteAndEmptyObjects},
      {"ArbitraryBytesRoundTrip", ArbitraryBytesRoundTrip},
      {"MissingKeys", MissingKeys},
      {"RangedReadsAtTheEdges", RangedReadsAtTheEdges},
      {"PutIfAbsentNeverReplaces", PutIfAbsentNeverReplaces},
      {"PutIfAbsentRaceHasOneWinner", PutIfAbsentRaceHasOneWinner},
      {"ReadersNeverSeePartialObjects", ReadersNeverSeePartialObjects},
      {"OddKeysRejectedOrRoundTripped", OddKeysRejectedOrRoundTripped},
      {"PersistsAcrossReopen", PersistsAcrossReopen},
      {"ConcurrentWritersOfDistinctKeys", ConcurrentWritersOfDistinctKeys},
  };
  return kChecks;
}

template <typename Factory>
class BlobStoreConformanceTest : public ::testing::Test {
 protected:
  // Each test gets fresh storage; the opener reopens that same storage.
  void Check(void (*check)(const BlobStoreOpener&)) {
    Factory factory;
    check([&factory] { return factory.Open(); });
  }
};

TYPED_TEST_SUITE_P(BlobStoreConformanceTest);

#define TAP_BLOB_CHECK(name) \
  TYPED_TEST_P(BlobStoreConformanceTest, name) { this->Check(&blob_checks::name); }
TAP_BLOB_CHECK(PutGetListDelete)
TAP_BLOB_CHECK(OverwriteAndEmptyObjects)
TAP_BLOB_CHECK(ArbitraryBytesRoundTrip)
TAP_BLOB_CHECK(MissingKeys)
TAP_BLOB_CHECK(RangedReadsAtTheEdges)
TAP_BLOB_CHECK(PutIfAbsentNeverReplaces)
TAP_BLOB_CHECK(PutIfAbsentRaceHasOneWinner)
TAP_BLOB_CHECK(ReadersNeverSeePartialObjects)
TAP_BLOB_CHECK(OddKeysRejectedOrRoundTripped)
TAP_BLOB_CHECK(PersistsAcrossReopen)
TAP_BLOB_CHECK(ConcurrentWritersOfDistinctKeys)
#undef TAP_BLOB_CHECK

REGISTER_TYPED_TEST_SUITE_P(BlobStoreConformanceTest, PutGetListDelete, OverwriteAndEmptyObjects,
                            ArbitraryBytesRoundTrip, MissingKeys, RangedReadsAtTheEdges,
                            PutIfAbsentNeverReplaces, PutIfAbsentRaceHasOneWinner,
                            ReadersNeverSeePartialObjects, OddKeysRejectedOrRoundTripped,
                            PersistsAcrossReopen, ConcurrentWritersOfDistinctKeys);

}  // namespace tapistry::conformance
