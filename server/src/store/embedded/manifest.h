// The manifest: the one file that says which segments are live and how far the WAL is covered.
// It is rewritten atomically (temp + fsync + rename + fsync dir) after every flush, compaction,
// DSAR rewrite and retention pass, so a crash at any point leaves a manifest that names complete
// segments only; files it does not name are leftovers and recovery deletes them.
// Format (docs/formats/segment.md §Manifest): magic, version, varint body, CRC-32C.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tapistry/status.h"

namespace tapistry::store {

inline constexpr char kManifestMagic[8] = {'T', 'A', 'P', 'M', 'A', 'N', 'I', 'F'};
inline constexpr uint32_t kManifestVersion = 1;
inline constexpr const char* kManifestName = "MANIFEST";

struct ManifestSegment {
  uint64_t file_id = 0;
  std::string project_id;
  int32_t day = 0;
  uint64_t rows = 0;
  uint64_t file_size = 0;
  bool operator==(const ManifestSegment&) const = default;
};

struct Manifest {
  uint64_t persisted_seq = 0;
  uint64_t next_file_id = 1;
  std::vector<ManifestSegment> segments;
  bool operator==(const Manifest&) const = default;
};

std::string EncodeManifest(const Manifest& m);
Status DecodeManifest(std::string_view bytes, Manifest* m);

// Where a segment lives under the store directory: p_<hex project>/<YYYY-MM-DD>/<id>.seg.
// Hex keeps any project id a safe file name; one directory per day makes retention an rmdir.
std::string ProjectDirName(std::string_view project_id);
std::string DayDirName(int32_t day);
std::string SegmentRelPath(std::string_view project_id, int32_t day, uint64_t file_id);

}  // namespace tapistry::store
