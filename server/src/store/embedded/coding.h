// Byte-level encoding helpers for the segment and manifest formats (docs/formats/segment.md):
// little-endian fixed-width integers, LEB128 varints, zigzag, and byte shuffling.
// Readers take a bounded cursor and report failure instead of reading past the end, because the
// bytes come from disk and may be corrupt.
// Thread-safety: stateless functions; a ByteReader is used by one thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tapistry::store {

inline void PutFixed8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
inline void PutFixed16(std::string* out, uint16_t v) {
  char b[2] = {static_cast<char>(v), static_cast<char>(v >> 8)};
  out->append(b, 2);
}
inline void PutFixed32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 4);
}
inline void PutFixed64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 8);
}
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

inline void PutVarint64(std::string* out, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}
// Writes into a caller buffer with room for 10 bytes; returns the bytes written.
inline int EncodeVarint64(char* buf, uint64_t v) {
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  return n;
}
inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

inline void PutLengthPrefixed(std::string* out, std::string_view s) {
  PutVarint64(out, s.size());
  out->append(s);
}

// A bounds-checked cursor over untrusted bytes. Every getter returns false (and leaves the
// output unspecified) when the input is too short or malformed.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const char* position() const { return p_; }
  bool Skip(size_t n) {
    if (remaining() < n) return false;
    p_ += n;
    return true;
  }

  bool GetFixed8(uint8_t* v) {
    if (remaining() < 1) return false;
    *v = static_cast<uint8_t>(*p_++);
    return true;
  }
  bool GetFixed16(uint16_t* v) {
    if (remaining() < 2) return false;
    *v = static_cast<uint16_t>(static_cast<uint8_t>(p_[0]) | (static_cast<uint8_t>(p_[1]) << 8));
    p_ += 2;
    return true;
  }
  bool GetFixed32(uint32_t* v) {
    if (remaining() < 4) return false;
    *v = DecodeFixed32(p_);
    p_ += 4;
    return true;
  }
  bool GetFixed64(uint64_t* v) {
    if (remaining() < 8) return false;
    *v = DecodeFixed64(p_);
    p_ += 8;
    return true;
  }
  bool GetVarint64(uint64_t* v) {
    if (p_ < end_ && static_cast<uint8_t>(*p_) < 0x80) {  // most varints here are one byte
      *v = static_cast<uint8_t>(*p_++);
      return true;
    }
    if (remaining() >= 10) {  // room for the longest varint: no per-byte bounds checks
      const auto* q = reinterpret_cast<const uint8_t*>(p_);
      uint64_t result = 0;
      for (int i = 0; i < 10; ++i) {
        result |= static_cast<uint64_t>(q[i] & 0x7f) << (7 * i);
        if (q[i] < 0x80) {
          p_ += i + 1;
          *v = result;
          return true;
        }
      }
      return false;
    }
    uint64_t result = 0;
    for (int shift = 0; shift <= 63 && p_ < end_; shift += 7) {
      uint64_t byte = static_cast<uint8_t>(*p_++);
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool GetBytes(size_t n, std::string_view* out) {
    if (remaining() < n) return false;
    *out = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool GetLengthPrefixed(std::string_view* out) {
    uint64_t n = 0;
    return GetVarint64(&n) && n <= remaining() && GetBytes(static_cast<size_t>(n), out);
  }

 private:
  const char* p_;
  const char* end_;
};

// Byte shuffling (as in Blosc): groups byte k of every `width`-byte value together so that the
// slowly varying bytes (exponents, high bytes) form long runs zstd can compress. Used for float
// and 64-bit columns whose values are not delta friendly.
void ShuffleBytes(const char* in, size_t count, size_t width, char* out);
void UnshuffleBytes(const char* in, size_t count, size_t width, char* out);

}  // namespace tapistry::store
