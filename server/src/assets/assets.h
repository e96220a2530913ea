// Static assets compiled into the binary: the SDK builds (sdk/dist) at /v1.js, /v1.mjs and
// /v1/manifest.json, and the dashboard (dashboard/dist) under /app/. Generated at build time by
// embed.cmake from whatever the JS builds left in those folders.
// Thread-safety: immutable data.
#pragma once

#include <string_view>

namespace tapistry {

struct Asset {
  std::string_view path;  // URL path
  std::string_view content_type;
  std::string_view data;
  std::string_view etag;  // quoted, from a hash of data
  bool immutable;         // versioned URL: cache for a year
};

// nullptr when no asset has that path.
const Asset* FindAsset(std::string_view path);
// Number of embedded assets (0 when the JS builds had not run before the server was built).
size_t AssetCount();

}  // namespace tapistry
