// Opens the three stores from URLs in config, so code above the interfaces never names a backend
// (STYLE "Interfaces"). Built into this binary: `file:` — `file:///abs/path`, `file:rel/path`,
// or a plain path — for the event store (a directory of segments), the meta store (a SQLite
// file) and the blob store (a directory). `clickhouse://`, `postgres://` and `s3://` are the
// scale-out backends of DESIGN §2: they are recognised and answered with an InvalidArgument that
// says they are not built in yet, never a crash or a file named "clickhouse:".
// Error messages name the scheme only: a URL may carry a password.
// Thread-safety: pure functions; each opened store documents its own.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tapistry/blob_store.h"
#include "tapistry/event_store.h"
#include "tapistry/meta_store.h"
#include "tapistry/status.h"

namespace tapistry {

struct EmbeddedStoreOptions;  // store/embedded/embedded_event_store.h

struct StoreUrl {
  std::string scheme;  // lowercase: "file", "clickhouse", "postgres", "s3", ...
  std::string path;    // for "file": the local path, percent-decoded; else empty
};

// Splits a store URL. A string without "scheme://" and not starting with "file:" is a plain
// path (so `--data ./data` and paths containing ':' keep working).
Result<StoreUrl> ParseStoreUrl(std::string_view url);

// `options` tunes the embedded store (a `file:` URL); its `dir` is taken from the URL.
Result<std::unique_ptr<EventStore>> OpenEventStore(const std::string& url,
                                                   const EmbeddedStoreOptions& options);
Result<std::unique_ptr<MetaStore>> OpenMetaStore(const std::string& url);
Result<std::unique_ptr<BlobStore>> OpenBlobStore(const std::string& url);

}  // namespace tapistry
