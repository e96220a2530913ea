#include "pipeline/event_codec.h"

#include <cmath>
#include <cstring>

namespace tapistry {
namespace {

// Presence bits (byte 5 of an encoded event).
constexpr uint8_t kHasPoint = 1;         // x, y follow
constexpr uint8_t kHasElementPoint = 2;  // ex, ey follow
constexpr uint8_t kHasSelectorHash = 4;  // selector_hash follows
constexpr uint8_t kKnownPresenceBits = kHasPoint | kHasElementPoint | kHasSelectorHash;

constexpr size_t kMaxVarint64Bytes = 10;
constexpr size_t kStringFieldCount = 17;

// The string fields, in wire order. Encode and decode share this table so they cannot drift.
constexpr std::string Event::*kStringFields[kStringFieldCount] = {
    &Event::project_id, &Event::user_id,      &Event::name,     &Event::url,
    &Event::path,       &Event::title,        &Event::referrer, &Event::utm_source,
    &Event::utm_medium, &Event::utm_campaign, &Event::utm_term, &Event::utm_content,
    &Event::browser,    &Event::os,           &Event::ua,       &Event::selector,
    &Event::props};

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

inline char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}
inline char* PutFixed64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) *p++ = static_cast<char>(v >> (8 * i));
  return p;
}
inline char* PutFixed32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) *p++ = static_cast<char>(v >> (8 * i));
  return p;
}
inline char* PutFloat(char* p, float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return PutFixed32(p, bits);
}
inline char* PutUuid(char* p, const Uuid& u) { return PutFixed64(PutFixed64(p, u.hi), u.lo); }

// Bounds-checked reader over untrusted bytes; every Get returns false instead of over-reading.
class Reader {
 public:
  explicit Reader(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const char* position() const { return p_; }

  bool GetByte(uint8_t* v) {
    if (p_ == end_) return false;
    *v = static_cast<uint8_t>(*p_++);
    return true;
  }
  bool GetFixed64(uint64_t* v) {
    if (remaining() < 8) return false;
    uint64_t r = 0;
    for (int i = 0; i < 8; ++i) r |= static_cast<uint64_t>(static_cast<uint8_t>(p_[i])) << (8 * i);
    p_ += 8;
    *v = r;
    return true;
  }
  bool GetFixed32(uint32_t* v) {
    if (remaining() < 4) return false;
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i) r |= static_cast<uint32_t>(static_cast<uint8_t>(p_[i])) << (8 * i);
    p_ += 4;
    *v = r;
    return true;
  }
  bool GetFloat(float* f) {
    uint32_t bits;
    if (!GetFixed32(&bits)) return false;
    std::memcpy(f, &bits, 4);
    return true;
  }
  bool GetUuid(Uuid* u) { return GetFixed64(&u->hi) && GetFixed64(&u->lo); }
  bool GetVarint(uint64_t* v) {
    uint64_t r = 0;
    for (size_t i = 0; i < kMaxVarint64Bytes; ++i) {
      if (p_ == end_) return false;
      const auto b = static_cast<uint8_t>(*p_++);
      // The tenth byte may only carry the top bit of a 64-bit value.
      if (i == kMaxVarint64Bytes - 1 && b > 1) return false;
      r |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if (b < 0x80) {
        *v = r;
        return true;
      }
    }
    return false;
  }
  bool GetString(std::string* s) {
    uint64_t n;
    if (!GetVarint(&n) || n > remaining()) return false;
    s->assign(p_, static_cast<size_t>(n));
    p_ += n;
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

Status Corrupt(const char* what) { return Status::Corruption(std::string("event codec: ") + what); }

}  // namespace

void EncodeEvent(const Event& e, std::string* out) {
  uint8_t presence = 0;
  if (!std::isnan(e.x) || !std::isnan(e.y)) presence |= kHasPoint;
  if (!std::isnan(e.ex) || !std::isnan(e.ey)) presence |= kHasElementPoint;
  if (e.selector_hash != 0) presence |= kHasSelectorHash;

  // Upper bound: 8 single bytes, 2 zigzag varints, 3 UUIDs, 2 viewport varints, 4 floats, the
  // selector hash, and a length varint plus bytes per string.
  size_t bound = 8 + 2 * kMaxVarint64Bytes + 48 + 2 * 3 + 16 + 8;
  for (auto field : kStringFields) bound += kMaxVarint64Bytes + (e.*field).size();

  const size_t start = out->size();
  out->resize(start + bound);
  char* p = out->data() + start;
  *p++ = static_cast<char>(e.type);
  *p++ = static_cast<char>(e.device_class);
  *p++ = static_cast<char>(e.flags);
  *p++ = static_cast<char>(e.depth_pct);
  *p++ = static_cast<char>(e.bot_score);
  *p++ = static_cast<char>(presence);
  *p++ = e.country[0];
  *p++ = e.country[1];
  p = PutVarint(p, ZigZag(e.ts_ms));
  // ingest_ms is within minutes of ts_ms for live traffic: store the difference (wrapping, so any
  // pair of values round-trips).
  p = PutVarint(p, ZigZag(static_cast<int64_t>(static_cast<uint64_t>(e.ingest_ms) -
                                               static_cast<uint64_t>(e.ts_ms))));
  p = PutUuid(p, e.event_id);
  p = PutUuid(p, e.session_id);
  p = PutUuid(p, e.anonymous_id);
  p = PutVarint(p, e.viewport_w);
  p = PutVarint(p, e.viewport_h);
  if (presence & kHasPoint) p = PutFloat(PutFloat(p, e.x), e.y);
  if (presence & kHasElementPoint) p = PutFloat(PutFloat(p, e.ex), e.ey);
  if (presence & kHasSelectorHash) p = PutFixed64(p, e.selector_hash);
  for (auto field : kStringFields) {
    const std::string& s = e.*field;
    p = PutVarint(p, s.size());
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  out->resize(static_cast<size_t>(p - out->data()));
}

Status DecodeEvent(std::string_view* in, Event* out) {
  Reader r(*in);
  uint8_t type, device, presence;
  if (!r.GetByte(&type) || !r.GetByte(&device) || !r.GetByte(&out->flags) ||
      !r.GetByte(&out->depth_pct) || !r.GetByte(&out->bot_score) || !r.GetByte(&presence)) {
    return Corrupt("truncated header");
  }
  if (type < static_cast<uint8_t>(EventType::kPageView) ||
      type > static_cast<uint8_t>(EventType::kMouseMove)) {
    return Corrupt("unknown event type");
  }
  if (device > static_cast<uint8_t>(DeviceClass::kTablet)) return Corrupt("unknown device class");
  if (presence & ~kKnownPresenceBits) return Corrupt("unknown presence bits");
  out->type = static_cast<EventType>(type);
  out->device_class = static_cast<DeviceClass>(device);

  uint8_t c0, c1;
  uint64_t ts, ingest_delta, vw, vh;
  if (!r.GetByte(&c0) || !r.GetByte(&c1) || !r.GetVarint(&ts) || !r.GetVarint(&ingest_delta) ||
      !r.GetUuid(&out->event_id) || !r.GetUuid(&out->session_id) ||
      !r.GetUuid(&out->anonymous_id) || !r.GetVarint(&vw) || !r.GetVarint(&vh)) {
    return Corrupt("truncated fixed fields");
  }
  if (vw > UINT16_MAX || vh > UINT16_MAX) return Corrupt("viewport out of range");
  out->country[0] = static_cast<char>(c0);
  out->country[1] = static_cast<char>(c1);
  out->ts_ms = UnZigZag(ts);
  out->ingest_ms = static_cast<int64_t>(static_cast<uint64_t>(out->ts_ms) +
                                        static_cast<uint64_t>(UnZigZag(ingest_delta)));
  out->viewport_w = static_cast<uint16_t>(vw);
  out->viewport_h = static_cast<uint16_t>(vh);

  out->x = out->y = out->ex = out->ey = NAN;
  out->selector_hash = 0;
  if ((presence & kHasPoint) && !(r.GetFloat(&out->x) && r.GetFloat(&out->y))) {
    return Corrupt("truncated point");
  }
  if ((presence & kHasElementPoint) && !(r.GetFloat(&out->ex) && r.GetFloat(&out->ey))) {
    return Corrupt("truncated element point");
  }
  if ((presence & kHasSelectorHash) && !r.GetFixed64(&out->selector_hash)) {
    return Corrupt("truncated selector hash");
  }
  for (auto field : kStringFields) {
    if (!r.GetString(&(out->*field))) return Corrupt("bad string length");
  }
  in->remove_prefix(static_cast<size_t>(r.position() - in->data()));
  return Status::Ok();
}

void StartEventBatch(int64_t accept_ms, std::string* out) {
  const size_t start = out->size();
  out->resize(start + kEventBatchHeaderBytes);
  PutFixed64(out->data() + start, static_cast<uint64_t>(accept_ms));
}

void SetEventBatchAcceptMs(int64_t accept_ms, std::string* payload) {
  if (payload->size() >= kEventBatchHeaderBytes) {
    PutFixed64(payload->data(), static_cast<uint64_t>(accept_ms));
  }
}

Status DecodeEventBatch(std::string_view payload, int64_t* accept_ms, std::vector<Event>* events) {
  Reader header(payload);
  uint64_t accept;
  if (!header.GetFixed64(&accept)) return Corrupt("truncated batch header");
  *accept_ms = static_cast<int64_t>(accept);
  payload.remove_prefix(kEventBatchHeaderBytes);
  events->clear();
  while (!payload.empty()) {
    events->emplace_back();
    TAP_RETURN_IF_ERROR(DecodeEvent(&payload, &events->back()));
  }
  return Status::Ok();
}

}  // namespace tapistry
