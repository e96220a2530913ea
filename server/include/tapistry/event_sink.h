// EventSink: where the ingest pipeline (server/src/pipeline) hands events once they are durable in
// its write-ahead log, and what it asks back to keep that log short and its dedupe window whole.
// It is the write side of an EventStore (event_store.h), which derives from it: one backend object
// serves both, the pipeline sees only this interface, and its test doubles implement only this.
//
// Durability contract: the pipeline writes events to the WAL and fsyncs before it calls Append,
// passing the WAL sequence number of the last record in the batch. The sink reports, through
// PersistedSeq(), the highest sequence whose events are in its own durable storage; the pipeline
// may drop WAL records at or below it and replays the rest into Append after a restart.
//
// One node's WAL: PersistedSeq and ScanEventIds answer for the pipeline that feeds this object,
// i.e. for the WAL of this process. With several `tapistry serve` nodes on one shared backend
// (ClickHouse, DESIGN §2) each node has its own WAL, its own sequence numbers and its own sink
// object: PersistedSeq is then this node's watermark — the highest of *its* sequences whose
// inserts the backend acknowledged as durable — kept by the node (e.g. in memory, 0 after a
// restart, so the node replays its whole WAL and the backend's event_id dedupe absorbs the
// repeats), never a number shared across nodes. ScanEventIds may answer with every node's
// events (a superset only makes this node's dedupe stricter, never wrong) or with this node's
// alone; cross-node dedupe is the shared dedupe state's job (Redis, DESIGN §2), not this call's.
//
// Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "tapistry/event.h"
#include "tapistry/status.h"

namespace tapistry {

class EventSink {
 public:
  virtual ~EventSink() = default;

  // Makes the events visible to queries (within 1 s at most) and schedules them for persistence.
  // All or nothing: on error none of the events were added (the pipeline retries whole batches).
  // `last_seq` is the WAL sequence of the batch (0 when the caller has no WAL, e.g. import).
  // A permanent refusal (InvalidArgument, TooLarge: these events will never be taken) is not
  // retried by the pipeline; any other error is, in seq order.
  virtual Status Append(std::span<const Event> events, uint64_t last_seq) = 0;
  // Persists everything appended so far; on return PersistedSeq() covers it.
  virtual Status Flush() = 0;
  // Highest WAL sequence whose events are durable in the sink's own storage (see above).
  virtual uint64_t PersistedSeq() const = 0;

  // Calls fn for the event_id and ingest time of every stored event with ingest_ms >= since_ms
  // (any order), used to rebuild the dedupe window after a restart: the window runs from when an
  // event was accepted, and ingest accepts events whose own ts is days old.
  virtual Status ScanEventIds(int64_t since_ms,
                              const std::function<void(const Uuid&, int64_t ingest_ms)>& fn) = 0;
};

}  // namespace tapistry
