// A project's settings as the dashboard reads and writes them (GET/PUT /api/settings,
// docs/api.md "Settings"): one JSON shape, one validation, used by the API and the CLI
// (`tapistry project settings`), so a value refused by one is refused by the other.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tapistry/meta_store.h"
#include "tapistry/status.h"

namespace simdjson::dom {
class element;
}

namespace tapistry {

class JsonWriter;

// {"retention_days":…, …, "allowed_origins":[…]}: every setting the patch below accepts.
void WriteProjectSettingsJson(const Project& p, JsonWriter* w);

// One setting a patch changed: its key and its value before and after, as JSON text.
struct SettingChange {
  std::string key, from, to;
};

// Applies a JSON object of settings to *p (keys as WriteProjectSettingsJson writes them; any
// subset; "project_id" is ignored). InvalidArgument, naming the key and its allowed values, for
// an unknown key or a value out of range; *p is then unchanged. *changed gets the keys whose
// value differs from before.
Status ApplyProjectSettingsPatch(const simdjson::dom::element& patch, Project* p,
                                 std::vector<SettingChange>* changed);

// An allowed-origins entry as stored: "*", "http(s)://host[:port]" or "http(s)://*.domain",
// lower-cased, without a trailing slash; InvalidArgument (saying the form) for anything else.
Result<std::string> NormalizeAllowedOrigin(std::string_view origin);

}  // namespace tapistry
