// event_codec: the compact binary form of an Event inside a WAL record, and of the event-batch
// record payload (docs/formats/wal.md §4-5). It is on the ingest hot path (every accepted event is
// encoded once and decoded only on recovery), so encoding sizes the output once and writes
// through a pointer.
//
// Decoding treats its input as untrusted: truncated, oversized or out-of-range bytes give
// Status::Corruption, never a crash, an over-read or an unbounded allocation (every length is
// checked against the bytes that remain before anything is allocated).
//
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tapistry/event.h"
#include "tapistry/status.h"

namespace tapistry {

// WAL record type of an event batch (docs/formats/wal.md §4); the payload layout is versioned by
// this number: a new layout gets a new type.
inline constexpr uint8_t kWalRecordEventBatchV1 = 1;

// Appends the encoding of `e` to `out`. Every field round-trips exactly, except that a NaN
// coordinate pair is restored as the default quiet NaN.
void EncodeEvent(const Event& e, std::string* out);

// Decodes one event from the front of `*in` and advances `*in` past it.
// On error `*out` and `*in` hold unspecified (but valid) values.
Status DecodeEvent(std::string_view* in, Event* out);

// Event-batch payload: accept_ms (the pipeline's clock when the batch was accepted; the dedupe
// window is measured from it) followed by the events, back to back, to the end of the payload.
// StartEventBatch writes the header; append events with EncodeEvent.
void StartEventBatch(int64_t accept_ms, std::string* out);
inline constexpr size_t kEventBatchHeaderBytes = 8;
// Rewrites accept_ms in a payload started with StartEventBatch.
void SetEventBatchAcceptMs(int64_t accept_ms, std::string* payload);
Status DecodeEventBatch(std::string_view payload, int64_t* accept_ms, std::vector<Event>* events);

}  // namespace tapistry
