#include "store/embedded/manifest.h"

#include <cstdio>
#include <cstring>

#include "common/crc32c.h"
#include "store/embedded/coding.h"
#include "tapistry/event.h"

namespace tapistry::store {

std::string EncodeManifest(const Manifest& m) {
  std::string out(kManifestMagic, sizeof kManifestMagic);
  PutFixed32(&out, kManifestVersion);
  PutVarint64(&out, m.persisted_seq);
  PutVarint64(&out, m.next_file_id);
  PutVarint64(&out, m.segments.size());
  for (const ManifestSegment& s : m.segments) {
    PutVarint64(&out, s.file_id);
    PutLengthPrefixed(&out, s.project_id);
    PutVarint64(&out, ZigZag(s.day));
    PutVarint64(&out, s.rows);
    PutVarint64(&out, s.file_size);
  }
  PutFixed32(&out, crc32c::Value(out));
  return out;
}

Status DecodeManifest(std::string_view bytes, Manifest* m) {
  auto bad = [](const char* what) { return Status::Corruption(std::string("manifest: ") + what); };
  if (bytes.size() < sizeof kManifestMagic + 8) return bad("too short");
  if (std::memcmp(bytes.data(), kManifestMagic, sizeof kManifestMagic) != 0)
    return bad("bad magic");
  uint32_t crc = DecodeFixed32(bytes.data() + bytes.size() - 4);
  if (crc32c::Value(bytes.substr(0, bytes.size() - 4)) != crc) return bad("checksum mismatch");
  ByteReader r(bytes.substr(sizeof kManifestMagic, bytes.size() - sizeof kManifestMagic - 4));
  uint32_t version;
  uint64_t count;
  if (!r.GetFixed32(&version)) return bad("truncated");
  if (version != kManifestVersion) return bad("unsupported version");
  if (!r.GetVarint64(&m->persisted_seq) || !r.GetVarint64(&m->next_file_id) ||
      !r.GetVarint64(&count)) {
    return bad("truncated header");
  }
  if (count > r.remaining()) return bad("segment count out of range");
  m->segments.clear();
  m->segments.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    ManifestSegment s;
    std::string_view project;
    uint64_t day;
    if (!r.GetVarint64(&s.file_id) || !r.GetLengthPrefixed(&project) || !r.GetVarint64(&day) ||
        !r.GetVarint64(&s.rows) || !r.GetVarint64(&s.file_size)) {
      return bad("truncated segment entry");
    }
    int64_t d = UnZigZag(day);
    if (d < INT32_MIN || d > INT32_MAX) return bad("day out of range");
    if (s.file_id >= m->next_file_id) return bad("file id not below next_file_id");
    s.project_id.assign(project);
    s.day = static_cast<int32_t>(d);
    m->segments.push_back(std::move(s));
  }
  if (r.remaining() != 0) return bad("trailing bytes");
  return Status::Ok();
}

std::string ProjectDirName(std::string_view project_id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "p_";
  for (char c : project_id) {
    out.push_back(kHex[static_cast<uint8_t>(c) >> 4]);
    out.push_back(kHex[static_cast<uint8_t>(c) & 15]);
  }
  return out;
}

std::string DayDirName(int32_t day) { return FormatDay(day); }

std::string SegmentRelPath(std::string_view project_id, int32_t day, uint64_t file_id) {
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.seg", static_cast<unsigned long long>(file_id));
  return ProjectDirName(project_id) + "/" + DayDirName(day) + "/" + name;
}

}  // namespace tapistry::store
