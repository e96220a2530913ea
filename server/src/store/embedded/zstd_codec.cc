#include "store/embedded/zstd_codec.h"

#include <zstd.h>

#include <memory>

namespace tapistry::store {
namespace {

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> ctx(ZSTD_createCCtx());
  return ctx.get();
}
ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> ctx(ZSTD_createDCtx());
  return ctx.get();
}

}  // namespace

void CompressStream(std::string_view raw, int level, uint8_t* codec, std::string* out) {
  // Tiny streams gain nothing from a zstd frame header.
  if (raw.size() >= 32) {
    out->resize(ZSTD_compressBound(raw.size()));
    size_t n =
        ZSTD_compressCCtx(ThreadCCtx(), out->data(), out->size(), raw.data(), raw.size(), level);
    if (!ZSTD_isError(n) && n < raw.size()) {
      out->resize(n);
      *codec = kCompressionZstd;
      return;
    }
  }
  out->assign(raw.data(), raw.size());
  *codec = kCompressionNone;
}

Status DecompressStream(std::string_view stored, uint8_t codec, uint64_t raw_len,
                        std::string* out) {
  if (codec == kCompressionNone) {
    if (stored.size() != raw_len) return Status::Corruption("raw stream length mismatch");
    out->assign(stored.data(), stored.size());
    return Status::Ok();
  }
  if (codec != kCompressionZstd) return Status::Corruption("unknown stream compression");
  unsigned long long frame = ZSTD_getFrameContentSize(stored.data(), stored.size());
  if (frame == ZSTD_CONTENTSIZE_ERROR || (frame != ZSTD_CONTENTSIZE_UNKNOWN && frame != raw_len)) {
    return Status::Corruption("zstd frame size mismatch");
  }
  out->resize(raw_len);
  size_t n =
      ZSTD_decompressDCtx(ThreadDCtx(), out->data(), out->size(), stored.data(), stored.size());
  if (ZSTD_isError(n) || n != raw_len) return Status::Corruption("zstd stream does not decode");
  return Status::Ok();
}

}  // namespace tapistry::store
