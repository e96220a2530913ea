// BlobStore: named immutable-ish byte objects (heatmap snapshots now; replay segments and
// manifests later). Implementations: FsBlobStore (files under the data dir, the embedded default)
// and, for scale-out, an S3-compatible store. Every backend passes the typed conformance suite in
// server/test/blob_store_conformance.h, which is the executable form of this contract.
//
// Keys are '/'-separated ASCII paths of [A-Za-z0-9._-] segments, each 1..kMaxBlobKeySegment
// bytes, the whole key at most kMaxBlobKeyBytes; no "." or ".." segment, no leading, trailing or
// doubled '/'. Any other key is refused with InvalidArgument by every method (never mapped,
// escaped or truncated), so a key means the same object on every backend.
//
// A key and a key below it ("a" and "a/b") may not both exist on every backend (a file system
// cannot hold both): a Put that would need that may fail; it never damages the existing object.
//
// Thread-safety: every method may be called concurrently. Put and PutIfAbsent are atomic: a
// reader sees no object, the old one or the new one whole, never a part; an acknowledged write
// survives a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tapistry/status.h"

namespace tapistry {

class Env;  // server/src/common/env.h

inline constexpr size_t kMaxBlobKeyBytes = 512;
// Below a file system's 255-byte name limit with room for a temp-file suffix.
inline constexpr size_t kMaxBlobKeySegment = 200;

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Creates or replaces the object.
  virtual Status Put(const std::string& key, const std::string& bytes) = 0;
  // Creates the object only when no object has `key`: AlreadyExists otherwise, and the existing
  // object is left as it was. Of concurrent PutIfAbsent calls on one key exactly one succeeds
  // (replay chunks are keyed by (project, session, chunk index): a retried upload must not
  // replace the chunk that was acknowledged).
  virtual Status PutIfAbsent(const std::string& key, const std::string& bytes) = 0;

  // The whole object; NotFound when absent.
  virtual Result<std::string> Get(const std::string& key) = 0;
  // Bytes [offset, offset + length) of the object, cut at its end: offset == size (or length 0)
  // gives "", so a reader can loop until a short read. offset > size is InvalidArgument (like an
  // HTTP 416), a missing object NotFound.
  virtual Result<std::string> GetRange(const std::string& key, uint64_t offset,
                                       uint64_t length) = 0;
  // The object's size in bytes; NotFound when absent.
  virtual Result<uint64_t> Size(const std::string& key) = 0;

  // Removes the object; a missing one is fine (deletes are retried by retention and DSAR jobs).
  virtual Status Delete(const std::string& key) = 0;
  // Keys starting with `prefix` (any string; "" lists everything), sorted bytewise.
  virtual Result<std::vector<std::string>> List(const std::string& prefix) = 0;
};

// True when `key` is a valid blob key (see above).
bool ValidBlobKey(const std::string& key);

// Opens (creating if needed) a FsBlobStore rooted at `dir`, doing its file-system calls through
// `env` (nullptr = the real file system; tests inject faults).
Result<std::unique_ptr<BlobStore>> OpenFsBlobStore(const std::string& dir, Env* env = nullptr);

}  // namespace tapistry
