// ReplayAssets: the stylesheets, images and fonts a recorded session shows, fetched once by the
// server's asset cache (assetcache/asset_cache.h: address guard, redirect, time, size and
// content-type limits, CSS rewriting) and kept in the BlobStore, so a replay still renders after
// the site changed or removed them (docs/replay.md "Assets").
//
// When a chunk is stored (ReplayOptions::on_stored), Prefetch reads the asset URLs it refers to —
// <link rel=stylesheet> and SVG <image>/<use> href, src, srcset, poster and background
// attributes, style="" and <style> text, a link's recorded _cssText (their CSS url(), @import and
// image-set() targets, found by the cache's own CSS tokenizer) — and fetches each through the
// cache with the project's policy, then what each fetched stylesheet loads (the proxy URLs the
// rewriter put in it), to the cache's @import depth. The player asks for the very same
// (URL, depth) pairs at GET /api/replay-asset; Get serves the kept copy, or fetches it then
// (an asset the prefetch missed: a queue full at ingest, an upstream down) and keeps it.
//
// Storage: bodies content-addressed, replay-assets/sha256/<hex of the body> (one copy however many
// sessions or projects show it; a stylesheet's body holds its project's proxy path, so a sheet is
// shared by the sessions of one project); per project an index entry,
// replay-assets/index/<project>/<hex of "depth canonical-url">, holding the content type, the
// body's hash and the final URL. A failed fetch is not kept (the cache remembers it for a minute).
//
// Thread-safety: every method may be called concurrently (BlobStore and AssetCache are
// thread-safe; two concurrent fetches of one asset both store the same bytes).
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "assetcache/asset_cache.h"
#include "ops/metrics.h"
#include "tapistry/blob_store.h"
#include "tapistry/meta_store.h"

namespace tapistry {

// The player's asset route (docs/api.md): stylesheets come back with their URLs pointing here.
inline constexpr char kReplayAssetPath[] = "/api/replay-asset";
// Assets one chunk may make the server fetch (its own and its stylesheets' together).
inline constexpr size_t kMaxReplayAssetsPerChunk = 200;

struct ReplayAssetRef {
  std::string url;  // absolute http(s), as recorded or as the rewriter wrote it
  int depth = 0;    // the @import depth the player asks for (&d=)
  bool operator==(const ReplayAssetRef&) const = default;
};

// The asset URLs a stored chunk's content (a header line, then one rrweb event per line) makes
// the player load, in order of first appearance, without duplicates. Lines that are not JSON are
// skipped.
std::vector<ReplayAssetRef> ReplayAssetUrls(std::string_view content);

// The assets a stylesheet rewritten for `base_path` loads: its `<base_path>&url=…[&d=N]` URLs.
std::vector<ReplayAssetRef> ProxiedAssetUrls(std::string_view css, std::string_view base_path);

class ReplayAssets {
 public:
  ReplayAssets(BlobStore* blobs, MetaStore* meta, assetcache::AssetCache* cache,
               MetricsRegistry* metrics);

  // Fetches and keeps what a just-stored chunk of `project_id` shows (what is kept already is not
  // fetched again). Blocks on fetches: call it off the I/O threads.
  void Prefetch(const std::string& project_id, std::string_view content);

  // The asset at (url, depth) for the project's player: the kept copy, else fetched now and kept.
  // Errors as AssetCache::Get (InvalidArgument, PermissionDenied, NotFound, TooLarge,
  // Unavailable).
  Result<assetcache::Asset> Get(const std::string& project_id, const std::string& url, int depth);

  // Makes a running Prefetch return after the fetch in progress (server shutdown).
  void Stop() { stopping_ = true; }

  // Where the project's proxy lives: "/api/replay-asset?project_id=<id>".
  static std::string BasePath(const std::string& project_id);

 private:
  Result<assetcache::Asset> Kept(const std::string& index_key);
  Result<assetcache::Asset> FetchAndKeep(const std::string& project_id,
                                         const std::vector<std::string>& allowed_origins,
                                         const std::string& url, int depth,
                                         const std::string& index_key);

  BlobStore* blobs_;
  MetaStore* meta_;
  assetcache::AssetCache* cache_;
  Counter* stored_;
  Counter* failed_;
  Counter* served_kept_;
  std::atomic<bool> stopping_{false};
};

}  // namespace tapistry
