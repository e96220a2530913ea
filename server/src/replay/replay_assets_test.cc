// What a stored chunk makes the player load (replay_assets.h): the URLs the prefetch fetches when
// the chunk arrives must be the (URL, depth) pairs the player then asks for. The fetch, the keeping
// and the route are tested end to end in app/security_test.cc.
#include "replay/replay_assets.h"

#include <gtest/gtest.h>

#include "assetcache/asset_url.h"

namespace tapistry {
namespace {

std::vector<std::string> Urls(const std::vector<ReplayAssetRef>& refs) {
  std::vector<std::string> out;
  for (const auto& r : refs)
    out.push_back(r.url + (r.depth ? " d=" + std::to_string(r.depth) : ""));
  return out;
}

// A stored chunk: the header line, then one event per line.
std::string Content(const std::vector<std::string>& events) {
  std::string c = R"J({"session_id":"s","chunk_index":0})J";
  for (std::string e : events) {
    std::erase(e, '\n');  // stored events are minified, one a line
    c += "\n" + e;
  }
  return c;
}

TEST(ReplayAssetUrls, FindsWhatTheRebuiltPageLoads) {
  const std::string full = R"J({"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[
    {"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[
      {"type":2,"id":3,"tagName":"link","attributes":{"rel":"stylesheet","href":"https://cdn.example/a.css#x"},"childNodes":[]},
      {"type":2,"id":4,"tagName":"link","attributes":{"rel":"stylesheet","_cssText":"@import url(https://cdn.example/i.css); p{background:url('bg.png')}"},"childNodes":[]},
      {"type":2,"id":5,"tagName":"style","attributes":{},"childNodes":[
        {"type":3,"id":6,"isStyle":true,"textContent":"@font-face{src:url(https://fonts.example/f.woff2)} b{background:url(data:image/png;base64,AA==)}"}]},
      {"type":2,"id":7,"tagName":"img","attributes":{"src":"/img/logo.png","srcset":"https://cdn.example/1x.png 1x, https://cdn.example/2x.png 2x"},"childNodes":[]},
      {"type":2,"id":8,"tagName":"a","attributes":{"href":"https://elsewhere.example/page"},"childNodes":[]},
      {"type":2,"id":9,"tagName":"div","attributes":{"style":"background-image:url(https://cdn.example/div.png)"},"childNodes":[]},
      {"type":2,"id":10,"tagName":"img","attributes":{"src":"javascript:alert(1)"},"childNodes":[]},
      {"type":2,"id":11,"tagName":"img","attributes":{"src":"https://cdn.example/1x.png"},"childNodes":[]}
    ]}]}},"timestamp":2})J";
  const std::string meta =
      R"J({"type":4,"data":{"href":"https://shop.example/p/1","width":1,"height":1},"timestamp":1})J";
  const std::string mutation =
      R"J({"type":3,"data":{"source":0,"texts":[],"removes":[],"adds":[{"parentId":2,"nextId":null,"node":{"type":2,"id":12,"tagName":"img","attributes":{"src":"https://cdn.example/later.png"},"childNodes":[]}}],"attributes":[{"id":9,"attributes":{"style":{"background":"url(https://cdn.example/changed.png)"},"href":"https://elsewhere.example/x"}},{"id":7,"attributes":{"src":"https://cdn.example/swapped.png"}}]},"timestamp":3})J";
  auto got = Urls(ReplayAssetUrls(Content({meta, full, "not json", mutation})));
  EXPECT_EQ(got, (std::vector<std::string>{
                     "https://cdn.example/a.css",  // the fragment dropped
                     "https://cdn.example/i.css",  // an inline sheet's @import: asked for at d=0
                     "https://shop.example/p/bg.png",  // relative: against the page
                     "https://fonts.example/f.woff2",
                     "https://shop.example/img/logo.png",
                     "https://cdn.example/1x.png",
                     "https://cdn.example/2x.png",
                     "https://cdn.example/div.png",
                     "https://cdn.example/later.png",
                     "https://cdn.example/changed.png",
                     "https://cdn.example/swapped.png",
                 }));
}

TEST(ReplayAssetUrls, NothingInAChunkWithoutAssets) {
  EXPECT_TRUE(
      ReplayAssetUrls(Content({R"J({"type":3,"data":{"source":1,"positions":[]},"timestamp":1})J"}))
          .empty());
  EXPECT_TRUE(ReplayAssetUrls("").empty());
  EXPECT_TRUE(ReplayAssetUrls("header only").empty());
}

TEST(ProxiedAssetUrls, ReadsBackWhatTheRewriterWrote) {
  const std::string base = ReplayAssets::BasePath("p_1");
  const std::string css =
      "@import url(\"" + assetcache::ProxyUrl(base, "https://cdn.example/more.css?a=1&b=2", 1) +
      "\"); b{background:url(\"" + assetcache::ProxyUrl(base, "https://cdn.example/x y.png", 0) +
      "\")} i{background:url(\"" + assetcache::ProxyUrl(base, "https://cdn.example/x y.png", 0) +
      "\")} u{background:url(\"/api/replay-asset?project_id=p_2&url=https%3A%2F%2Fother\")}";
  EXPECT_EQ(Urls(ProxiedAssetUrls(css, base)),
            (std::vector<std::string>{"https://cdn.example/more.css?a=1&b=2 d=1",
                                      "https://cdn.example/x y.png"}));
}

}  // namespace
}  // namespace tapistry
