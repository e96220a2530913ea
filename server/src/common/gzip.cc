#include "common/gzip.h"

#include <zlib.h>

#include <algorithm>

namespace tapistry {

Status GunzipBounded(std::string_view in, size_t limit, size_t max_ratio, std::string* out) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return Status::Internal("zlib init failed");
  out->clear();
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  size_t ratio_cap = std::max<size_t>(in.size(), 1) * max_ratio;
  size_t cap = std::min(limit, std::max<size_t>(ratio_cap, 64 * 1024));
  char buf[64 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Status::InvalidArgument("body is not valid gzip");
    }
    size_t produced = sizeof buf - zs.avail_out;
    if (out->size() + produced > cap) {
      inflateEnd(&zs);
      if (cap < limit)
        return Status::TooLarge("gzip body expands more than " + std::to_string(max_ratio) + "x");
      return Status::TooLarge("body larger than " + std::to_string(limit) +
                              " bytes after decompression");
    }
    out->append(buf, produced);
    if (rc == Z_OK && produced == 0 && zs.avail_in == 0) {
      inflateEnd(&zs);
      return Status::InvalidArgument("truncated gzip body");
    }
  }
  inflateEnd(&zs);
  return Status::Ok();
}

Status GzipCompress(std::string_view in, int level, std::string* out) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer; memLevel 8 is zlib's default.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Internal("zlib deflate init failed");
  }
  out->assign(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out->data());
  zs.avail_out = static_cast<uInt>(out->size());
  const int rc = deflate(&zs, Z_FINISH);
  out->resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::Internal("zlib deflate did not finish");
  return Status::Ok();
}

}  // namespace tapistry
