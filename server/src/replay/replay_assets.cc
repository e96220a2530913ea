#include "replay/replay_assets.h"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <set>
#include <utility>

#include "assetcache/asset_limits.h"
#include "assetcache/asset_url.h"
#include "assetcache/css_rewriter.h"
#include "common/crypto.h"
#include "common/request.h"
#include "ops/logging.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr int kMaxWalkDepth = 512;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool HasToken(std::string_view list, std::string_view token) {
  const std::string l = Lower(list);
  size_t i = 0;
  while (i < l.size()) {
    while (i < l.size() && std::isspace(static_cast<unsigned char>(l[i]))) ++i;
    size_t j = i;
    while (j < l.size() && !std::isspace(static_cast<unsigned char>(l[j]))) ++j;
    if (l.substr(i, j - i) == token) return true;
    i = j;
  }
  return false;
}

// Collects refs in order of first appearance.
class Collector {
 public:
  void Url(std::string_view raw, int depth = 0) {
    // as the player does (dashboard/src/lib/snapshot.ts assetUrl): against the page, no fragment
    std::optional<std::string> abs = assetcache::ResolveAssetUrl(base_, raw);
    if (!abs) return;
    auto parsed = assetcache::ParseAssetUrl(*abs);
    if (!parsed.ok()) return;
    ReplayAssetRef ref{parsed->url, depth};
    if (seen_.insert(std::to_string(depth) + " " + ref.url).second) out_.push_back(std::move(ref));
  }
  void Css(std::string_view css) {
    auto sites = assetcache::FindCssUrls(css, base_);
    if (!sites.ok()) return;
    // an inline sheet's @import is asked for at depth 0 (the player writes no &d= for it)
    for (const auto& s : *sites)
      if (!s.target.empty()) Url(s.target);
  }
  void Srcset(std::string_view v) {
    // candidates: a URL (no spaces; trailing commas end it), then descriptors up to a comma
    size_t i = 0;
    while (i < v.size()) {
      while (i < v.size() && (std::isspace(static_cast<unsigned char>(v[i])) || v[i] == ',')) ++i;
      size_t j = i;
      while (j < v.size() && !std::isspace(static_cast<unsigned char>(v[j]))) ++j;
      std::string_view u = v.substr(i, j - i);
      while (!u.empty() && u.back() == ',') u.remove_suffix(1);
      if (!u.empty()) Url(u);
      if (j < v.size() && v[j - 1] != ',') {
        const size_t comma = v.find(',', j);
        j = comma == std::string_view::npos ? v.size() : comma + 1;
      }
      i = j;
    }
  }
  void SetBase(std::string_view href) {
    if (assetcache::ParseAssetUrl(href).ok()) base_ = std::string(href);
  }
  std::vector<ReplayAssetRef> Take() { return std::move(out_); }

 private:
  std::string base_ = "http://invalid./";
  std::set<std::string> seen_;
  std::vector<ReplayAssetRef> out_;
};

std::string_view StringAt(object o, std::string_view key) {
  std::string_view v;
  if (o.at_key(key).get_string().get(v)) return {};
  return v;
}

// One attribute of an element `tag` ("" when not known: a mutation's attribute change).
void Attribute(Collector* c, const std::string& tag, std::string_view name, element value,
               bool stylesheet_link) {
  std::string_view v;
  if (value.get_string().get(v)) return;
  const std::string n = Lower(name);
  if (n == "style" || n == "_csstext") {
    c->Css(v);
  } else if (n == "srcset") {
    c->Srcset(v);
  } else if (n == "src" || n == "poster" || n == "background") {
    c->Url(v);
  } else if (n == "href" || n == "xlink:href") {
    // links (<a>, <area>) load nothing; a stylesheet or icon <link> and SVG references do
    if (tag == "link" || tag == "image" || tag == "use" || tag == "feimage") c->Url(v);
    (void)stylesheet_link;
  }
}

void Walk(Collector* c, element e, int depth) {
  if (depth > kMaxWalkDepth) return;
  simdjson::dom::array arr;
  if (!e.get_array().get(arr)) {
    for (element x : arr) Walk(c, x, depth + 1);
    return;
  }
  object o;
  if (e.get_object().get(o)) return;
  // a meta event: the page's URL, the base of what follows
  int64_t type = -1;
  if (!o.at_key("type").get_int64().get(type) && type == 4) {
    object data;
    if (!o.at_key("data").get_object().get(data)) {
      std::string_view href = StringAt(data, "href");
      if (!href.empty()) c->SetBase(href);
    }
  }
  std::string_view tag_name = StringAt(o, "tagName");
  object attrs;
  const bool has_attrs = !o.at_key("attributes").get_object().get(attrs);
  if (!tag_name.empty() && has_attrs) {
    // a serialized element
    const std::string tag = Lower(tag_name);
    object a = attrs;
    const bool sheet = tag == "link" && HasToken(StringAt(a, "rel"), "stylesheet");
    for (auto [k, v] : a) Attribute(c, tag, k, v, sheet);
  } else if (has_attrs) {
    // a mutation's attribute change {id, attributes}: the element is not named; a style may
    // come as a declaration object ({"color": "red"} or [value, priority])
    for (auto [k, v] : attrs) {
      object decl;
      if (Lower(k) == "style" && !v.get_object().get(decl)) {
        for (auto [prop, pv] : decl) {
          std::string_view s;
          if (!pv.get_string().get(s)) c->Css(s);
          simdjson::dom::array pair;
          if (!pv.get_array().get(pair)) {
            for (element x : pair)
              if (!x.get_string().get(s)) c->Css(s);
          }
          (void)prop;
        }
      } else {
        Attribute(c, "", k, v, false);
      }
    }
  }
  // a <style>'s text
  bool is_style = false;
  if (!o.at_key("isStyle").get_bool().get(is_style) && is_style) {
    std::string_view css = StringAt(o, "textContent");
    if (!css.empty()) c->Css(css);
  }
  for (auto [k, v] : o) {
    if (k == "attributes" && has_attrs) continue;  // read above
    if (v.is_object() || v.is_array()) Walk(c, v, depth + 1);
  }
}

}  // namespace

std::vector<ReplayAssetRef> ReplayAssetUrls(std::string_view content) {
  Collector c;
  simdjson::dom::parser parser;
  if (parser.allocate(64 * 1024, limits::kMaxReplayJsonDepth) != simdjson::SUCCESS) return {};
  size_t at = content.find('\n');  // the header line first
  while (at != std::string_view::npos && at < content.size()) {
    const size_t from = at + 1;
    size_t end = content.find('\n', from);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(from, end - from);
    at = end;
    if (line.empty()) continue;
    element ev;
    if (parser.parse(line.data(), line.size()).get(ev)) continue;
    Walk(&c, ev, 0);
  }
  return c.Take();
}

std::vector<ReplayAssetRef> ProxiedAssetUrls(std::string_view css, std::string_view base_path) {
  std::vector<ReplayAssetRef> out;
  const std::string marker =
      std::string(base_path) + (base_path.find('?') == std::string_view::npos ? "?url=" : "&url=");
  size_t at = 0;
  while ((at = css.find(marker, at)) != std::string_view::npos) {
    size_t from = at + marker.size();
    // ProxyUrl percent-encodes the URL: it ends at the first byte that is not unreserved or '%'
    size_t end = from;
    while (end < css.size() && (std::isalnum(static_cast<unsigned char>(css[end])) ||
                                std::string_view("-._~%").find(css[end]) != std::string_view::npos))
      ++end;
    ReplayAssetRef ref{PercentDecode(css.substr(from, end - from), false), 0};
    if (css.substr(end, 3) == "&d=" && end + 3 < css.size() &&
        std::isdigit(static_cast<unsigned char>(css[end + 3]))) {
      ref.depth = css[end + 3] - '0';
    }
    if (!ref.url.empty() && std::find(out.begin(), out.end(), ref) == out.end())
      out.push_back(std::move(ref));
    at = end;
  }
  return out;
}

ReplayAssets::ReplayAssets(BlobStore* blobs, MetaStore* meta, assetcache::AssetCache* cache,
                           MetricsRegistry* metrics)
    : blobs_(blobs), meta_(meta), cache_(cache) {
  const char* name = "tapistry_replay_assets_total";
  const char* help = "Replay assets: fetched and kept, failed, served from the kept copy";
  stored_ = metrics->GetCounter(name, help, "outcome=\"stored\"");
  failed_ = metrics->GetCounter(name, help, "outcome=\"failed\"");
  served_kept_ = metrics->GetCounter(name, help, "outcome=\"served_kept\"");
}

std::string ReplayAssets::BasePath(const std::string& project_id) {
  return std::string(kReplayAssetPath) + "?project_id=" + project_id;
}

namespace {

std::string IndexKey(const std::string& project_id, const std::string& canonical, int depth) {
  return "replay-assets/index/" + project_id + "/" +
         Sha256Hex(std::to_string(depth) + " " + canonical);
}

std::string BodyKey(const std::string& hash) { return "replay-assets/sha256/" + hash; }

}  // namespace

Result<assetcache::Asset> ReplayAssets::Kept(const std::string& index_key) {
  auto entry = blobs_->Get(index_key);
  if (!entry.ok()) return entry.status();
  // "v1\n<content type>\n<body hash>\n<final url>"
  std::vector<std::string> f;
  size_t at = 0;
  while (f.size() < 3) {
    const size_t nl = entry->find('\n', at);
    if (nl == std::string::npos) return Status::NotFound("bad replay asset index entry");
    f.push_back(entry->substr(at, nl - at));
    at = nl + 1;
  }
  if (f[0] != "v1") return Status::NotFound("bad replay asset index entry");
  auto body = blobs_->Get(BodyKey(f[2]));
  if (!body.ok()) return body.status();
  assetcache::Asset a;
  a.content_type = f[1];
  a.body = std::move(body).value();
  a.final_url = entry->substr(at);
  return a;
}

Result<assetcache::Asset> ReplayAssets::FetchAndKeep(
    const std::string& project_id, const std::vector<std::string>& allowed_origins,
    const std::string& url, int depth, const std::string& index_key) {
  assetcache::AssetPolicy policy;
  policy.allowed_origins = allowed_origins;
  policy.base_path = BasePath(project_id);
  auto a = cache_->Get(url, policy, depth);
  if (!a.ok()) {
    failed_->Inc();
    return a.status();
  }
  const std::string hash = Sha256Hex(a->body);
  Status put = blobs_->PutIfAbsent(BodyKey(hash), a->body);
  if (put.ok() || put.code() == StatusCode::kAlreadyExists) {
    put = blobs_->Put(index_key, "v1\n" + a->content_type + "\n" + hash + "\n" + a->final_url);
  }
  if (!put.ok()) {
    // served all the same; kept next time
    Log(LogLevel::kWarn, "replay asset not kept",
        {{"project", project_id}, {"error", put.message()}});
  } else {
    stored_->Inc();
  }
  return a;
}

Result<assetcache::Asset> ReplayAssets::Get(const std::string& project_id, const std::string& url,
                                            int depth) {
  if (depth < 0 || depth > assetcache::kMaxImportDepth)
    return Status::InvalidArgument("d must be 0.." + std::to_string(assetcache::kMaxImportDepth));
  auto parsed = assetcache::ParseAssetUrl(url);
  if (!parsed.ok()) return parsed.status();
  const std::string key = IndexKey(project_id, parsed->url, depth);
  if (!ValidBlobKey(key)) return Status::InvalidArgument("bad project id");
  auto kept = Kept(key);
  if (kept.ok()) {
    served_kept_->Inc();
    return kept;
  }
  auto project = meta_->GetProject(project_id);
  if (!project.ok()) return project.status();
  return FetchAndKeep(project_id, project->allowed_origins, parsed->url, depth, key);
}

void ReplayAssets::Prefetch(const std::string& project_id, std::string_view content) {
  std::vector<ReplayAssetRef> first = ReplayAssetUrls(content);
  if (first.empty()) return;
  auto project = meta_->GetProject(project_id);
  if (!project.ok()) return;
  const std::string base = BasePath(project_id);
  std::deque<ReplayAssetRef> todo(first.begin(), first.end());
  std::set<std::string> seen;
  size_t fetched = 0;
  while (!todo.empty() && fetched < kMaxReplayAssetsPerChunk && !stopping_) {
    ReplayAssetRef ref = std::move(todo.front());
    todo.pop_front();
    auto parsed = assetcache::ParseAssetUrl(ref.url);
    if (!parsed.ok() || ref.depth > assetcache::kMaxImportDepth) continue;
    const std::string key = IndexKey(project_id, parsed->url, ref.depth);
    if (!seen.insert(key).second || !ValidBlobKey(key)) continue;
    if (blobs_->Size(key).ok()) continue;  // kept already (its stylesheet's assets with it)
    ++fetched;
    auto a = FetchAndKeep(project_id, project->allowed_origins, parsed->url, ref.depth, key);
    if (!a.ok() || !a->content_type.starts_with("text/css")) continue;
    for (ReplayAssetRef& next : ProxiedAssetUrls(a->body, base)) todo.push_back(std::move(next));
  }
}

}  // namespace tapistry
