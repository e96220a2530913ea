#include "assetcache/asset_url.h"

#include <curl/curl.h>

#include <memory>

#include "assetcache/asset_limits.h"
#include "assetcache/ip_address.h"
#include "common/ascii.h"

namespace tapistry::assetcache {
namespace {

struct CurlUrlDeleter {
  void operator()(CURLU* h) const { curl_url_cleanup(h); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;

// One part of a parsed URL; nullopt when absent.
std::optional<std::string> Part(CURLU* h, CURLUPart part, unsigned flags = 0) {
  char* out = nullptr;
  if (curl_url_get(h, part, &out, flags) != CURLUE_OK || out == nullptr) return std::nullopt;
  std::string s(out);
  curl_free(out);
  return s;
}

bool HasControlOrSpace(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

bool PlainHost(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (host.front() == '[') {
    auto ip = IpAddress::Parse(host);
    return host.back() == ']' && ip && ip->family == AF_INET6;
  }
  for (char c : host) {
    if (!(ascii::IsAlnum(c) || c == '.' || c == '-' || c == '_')) return false;
  }
  return true;
}

// Parses `url` (absolute, or relative to what `h` already holds) into an AssetUrl.
Result<AssetUrl> ParseInto(CURLU* h, std::string_view url) {
  auto bad = [](const std::string& why) { return Status::InvalidArgument("asset url: " + why); };
  if (url.empty() || url.size() > kMaxUrlLength) return bad("empty or longer than 4096 bytes");
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return bad("control character");
  }
  const std::string in(url);
  // URLENCODE: spaces and non-ASCII bytes in path and query are percent-encoded, as browsers do.
  if (curl_url_set(h, CURLUPART_URL, in.c_str(), CURLU_URLENCODE) != CURLUE_OK) {
    return bad("not a valid absolute URL");
  }
  AssetUrl out;
  out.scheme = Part(h, CURLUPART_SCHEME).value_or("");
  for (char& c : out.scheme) c = ascii::ToLower(c);
  if (out.scheme != "http" && out.scheme != "https") return bad("only http and https are fetched");
  if (Part(h, CURLUPART_USER) || Part(h, CURLUPART_PASSWORD) || Part(h, CURLUPART_OPTIONS)) {
    return bad("credentials in the URL");
  }
  if (Part(h, CURLUPART_ZONEID)) return bad("IPv6 zone id");
  out.host = Part(h, CURLUPART_HOST).value_or("");
  for (char& c : out.host) c = ascii::ToLower(c);
  if (!PlainHost(out.host)) return bad("host must be a plain DNS name or IP address");
  const std::string port = Part(h, CURLUPART_PORT, CURLU_DEFAULT_PORT).value_or("");
  out.port = 0;
  for (char c : port) {
    if (!ascii::IsDigit(c) || out.port > 65535) return bad("bad port");
    out.port = out.port * 10 + (c - '0');
  }
  if (out.port < 1 || out.port > 65535) return bad("bad port");
  const int default_port = out.scheme == "https" ? 443 : 80;
  if (curl_url_set(h, CURLUPART_HOST, out.host.c_str(), 0) != CURLUE_OK ||
      curl_url_set(h, CURLUPART_FRAGMENT, nullptr, 0) != CURLUE_OK ||
      (out.port == default_port && curl_url_set(h, CURLUPART_PORT, nullptr, 0) != CURLUE_OK)) {
    return bad("cannot normalize");
  }
  out.url = Part(h, CURLUPART_URL).value_or("");
  if (out.url.empty() || out.url.size() > kMaxUrlLength) return bad("longer than 4096 bytes");
  out.origin = out.scheme + "://" + out.host;
  if (out.port != default_port) out.origin += ":" + std::to_string(out.port);
  return out;
}

}  // namespace

Result<AssetUrl> ParseAssetUrl(std::string_view url) {
  CurlUrl h(curl_url());
  if (!h) return Status::Internal("curl_url: out of memory");
  return ParseInto(h.get(), url);
}

std::optional<std::string> ResolveAssetUrl(std::string_view base, std::string_view ref) {
  while (!ref.empty() && static_cast<unsigned char>(ref.front()) <= 0x20) ref.remove_prefix(1);
  while (!ref.empty() && static_cast<unsigned char>(ref.back()) <= 0x20) ref.remove_suffix(1);
  if (ref.empty() || ref.size() > kMaxUrlLength) return std::nullopt;
  std::string cleaned;
  cleaned.reserve(ref.size());
  bool in_query = false;
  for (char c : ref) {
    if (c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '?' || c == '#') in_query = true;
    cleaned.push_back(c == '\\' && !in_query ? '/' : c);
  }
  CurlUrl h(curl_url());
  if (!h) return std::nullopt;
  const std::string b(base);
  if (curl_url_set(h.get(), CURLUPART_URL, b.c_str(), 0) != CURLUE_OK) return std::nullopt;
  // Setting a URL on a handle that holds one resolves it as a reference (RFC 3986 §5).
  auto resolved = ParseInto(h.get(), cleaned);
  if (!resolved.ok()) return std::nullopt;
  return std::move(resolved->url);
}

std::string NormalizeOrigin(std::string_view origin) {
  if (origin.ends_with('/')) origin.remove_suffix(1);
  if (origin.empty() || HasControlOrSpace(origin)) return "";
  auto u = ParseAssetUrl(std::string(origin) + "/");
  if (!u.ok() || u->url != u->origin + "/") return "";
  return u->origin;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (char c : s) {
    if (ascii::IsAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      const auto u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

std::string ProxyUrl(std::string_view base_path, std::string_view absolute_url, int depth) {
  std::string out(base_path);
  out += base_path.find('?') == std::string_view::npos ? "?url=" : "&url=";
  out += PercentEncode(absolute_url);
  if (depth > 0) out += "&d=" + std::to_string(depth);
  return out;
}

}  // namespace tapistry::assetcache
