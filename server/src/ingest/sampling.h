// Per-session sampling (ProjectSettings::event_sample_rate, docs/settings.md): the SDK's test
// (sdk/src/core/consent.ts `sampled`), reproduced here so the server keeps exactly the sessions a
// browser keeps — the high 32 bits of FNV-1a 64 over the session id's text, as a fraction of
// 2^32, below the rate. The same session is in or out on every page and every request.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

#include "tapistry/event.h"

namespace tapistry {

// FNV-1a 64 of the bytes of `s` (the SDK's fnv1a64, sdk/src/core/hash.ts).
uint64_t Fnv1a64(std::string_view s);

// True when the session is in a `rate` (0..1) sample; always for rate >= 1.
bool SessionSampled(const Uuid& session_id, double rate);

}  // namespace tapistry
