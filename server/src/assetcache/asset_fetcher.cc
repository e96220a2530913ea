#include "assetcache/asset_fetcher.h"

#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>

#include "common/ascii.h"

namespace tapistry::assetcache {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
using CurlList = std::unique_ptr<curl_slist, CurlDeleter>;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii::ToLower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsTokenChar(char c) { return ascii::IsAlnum(c) || std::strchr("!#$&^_.+-", c) != nullptr; }

// The value of parameter `name` in a Content-Type header, lowercase, quotes removed.
std::string Param(std::string_view content_type, std::string_view name) {
  size_t semi = content_type.find(';');
  while (semi != std::string_view::npos) {
    std::string_view rest = content_type.substr(semi + 1);
    const size_t next = rest.find(';');
    std::string_view param = Trim(rest.substr(0, next));
    const size_t eq = param.find('=');
    if (eq != std::string_view::npos && Lower(Trim(param.substr(0, eq))) == name) {
      std::string_view v = Trim(param.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return Lower(v);
    }
    semi = next == std::string_view::npos ? next : semi + 1 + next;
  }
  return "";
}

// Encodings in which every byte < 0x80 is that ASCII character and no byte sequence swallows
// one: UTF-8 and the single-byte encodings. Shift_JIS, Big5, GBK, EUC-KR (trail bytes in the
// ASCII range), ISO-2022-* (escape sequences) and UTF-16 are not.
bool AsciiCompatibleCharset(std::string_view label) {
  static constexpr std::string_view kExact[] = {
      "utf-8",  "utf8",   "unicode-1-1-utf-8", "us-ascii",    "ascii", "latin1", "l1", "koi8-r",
      "koi8-u", "ibm866", "macintosh",         "iso-8859-8-i"};
  for (std::string_view e : kExact) {
    if (label == e) return true;
  }
  auto numbered = [&](std::string_view prefix, int lo, int hi) {
    if (!label.starts_with(prefix)) return false;
    std::string_view n = label.substr(prefix.size());
    if (n.empty() || n.size() > 2 || !std::all_of(n.begin(), n.end(), ascii::IsDigit)) return false;
    const int v = std::stoi(std::string(n));
    return v >= lo && v <= hi;
  };
  return numbered("iso-8859-", 1, 16) || numbered("iso8859-", 1, 16) ||
         numbered("windows-125", 0, 8) || numbered("cp125", 0, 8);
}

// The label of a leading `@charset "...";` rule (CSS Syntax §3.2 looks for exactly these bytes).
std::string CharsetRule(std::string_view body) {
  constexpr std::string_view kStart = "@charset \"";
  if (!body.starts_with(kStart)) return "";
  const size_t end = body.find("\";", kStart.size());
  if (end == std::string_view::npos || end - kStart.size() > 40) return "";
  return Lower(body.substr(kStart.size(), end - kStart.size()));
}

// One hop's state, shared with libcurl's callbacks.
struct Hop {
  CURL* curl = nullptr;
  size_t max_body = kMaxAssetBytes;
  std::string body;
  bool checked = false;   // the write callback looked at status and type
  bool redirect = false;  // a 3xx body: read (libcurl only reports the Location of a
                          // completed transfer) but not kept
  size_t discarded = 0;
  bool type_refused = false;
  std::string refused_type;
  bool too_large = false;
  // The guard's decision, enforced again where libcurl connects.
  std::vector<IpAddress> approved;
  int port = 0;
  bool socket_refused = false;
  std::string refused_address;
  int connections = 0;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* hop = static_cast<Hop*>(user);
  const size_t len = size * n;
  if (!hop->checked) {
    hop->checked = true;
    long code = 0;
    curl_easy_getinfo(hop->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 300 && code < 400) {
      hop->redirect = true;
    } else if (code != 200) {
      return 0;  // an error page: its status is all we need
    } else {
      const char* type = nullptr;
      curl_easy_getinfo(hop->curl, CURLINFO_CONTENT_TYPE, &type);
      if (!AllowedMediaType(type ? type : "")) {  // stop before reading a refused body
        hop->type_refused = true;
        hop->refused_type = type ? type : "";
        return 0;
      }
    }
  }
  const size_t have = hop->redirect ? hop->discarded : hop->body.size();
  if (len > hop->max_body - have) {
    hop->too_large = true;
    return 0;
  }
  if (hop->redirect) {
    hop->discarded += len;
  } else {
    hop->body.append(data, len);
  }
  return len;
}

curl_socket_t OnOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* hop = static_cast<Hop*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN || address == nullptr) return CURL_SOCKET_BAD;
  auto ip = IpAddress::FromSockaddr(&address->addr, address->addrlen);
  int port = 0;
  if (ip && ip->family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, &address->addr, sizeof(in));
    port = ntohs(in.sin_port);
  } else if (ip) {
    sockaddr_in6 in6;
    std::memcpy(&in6, &address->addr, sizeof(in6));
    port = ntohs(in6.sin6_port);
  }
  if (!ip || port != hop->port ||
      std::find(hop->approved.begin(), hop->approved.end(), *ip) == hop->approved.end()) {
    hop->socket_refused = true;
    hop->refused_address = ip ? ip->ToString() : "?";
    return CURL_SOCKET_BAD;
  }
  ++hop->connections;
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

std::string WithBrackets(const IpAddress& ip) {
  return ip.family == AF_INET6 ? "[" + ip.ToString() + "]" : ip.ToString();
}

struct HopResult {
  Status status;
  std::string redirect;  // absolute URL when the answer was a redirect
  FetchedAsset asset;
};

HopResult Request(const AssetUrl& url, const std::vector<IpAddress>& approved, int64_t timeout_ms,
                  FetchTrace* trace) {
  HopResult r;
  CurlHandle curl(curl_easy_init());
  if (!curl) {
    r.status = Status::Internal("curl_easy_init failed");
    return r;
  }
  Hop hop;
  hop.curl = curl.get();
  hop.approved = approved;
  hop.port = url.port;
  CurlList resolve;
  if (!IpAddress::Parse(url.host)) {
    std::string entry = url.host + ":" + std::to_string(url.port) + ":";
    for (size_t i = 0; i < approved.size(); ++i)
      entry += (i ? "," : "") + WithBrackets(approved[i]);
    resolve.reset(curl_slist_append(nullptr, entry.c_str()));
  }
  CurlList headers(curl_slist_append(
      nullptr, "Accept: text/css,image/avif,image/webp,image/*;q=0.8,font/*;q=0.8,*/*;q=0.1"));
  char error[CURL_ERROR_SIZE] = {};
  CURL* c = curl.get();
  // Fail closed: without these the guard, the pinning or a limit would not be in force.
  if (curl_easy_setopt(c, CURLOPT_URL, url.url.c_str()) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||  // hops go through the guard
      curl_easy_setopt(c, CURLOPT_PROXY, "") != CURLE_OK ||  // never http_proxy & co: it resolves
      curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, OnOpenSocket) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &hop) != CURLE_OK ||
      (resolve && curl_easy_setopt(c, CURLOPT_RESOLVE, resolve.get()) != CURLE_OK) ||
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms)) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(hop.max_body)) !=
          CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody) != CURLE_OK ||
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &hop) != CURLE_OK) {
    r.status = Status::Internal("libcurl refused an option the asset fetcher needs");
    return r;
  }
  curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(c, CURLOPT_USERAGENT, kUserAgent);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // decoded bytes count against the limit
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  ++trace->requests;
  const CURLcode rc = curl_easy_perform(c);
  trace->connections += hop.connections;

  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  const std::string where = " (" + url.url + ")";
  if (hop.socket_refused) {
    trace->guard_refused = true;
    r.status = Status::PermissionDenied("connection to unchecked address " + hop.refused_address +
                                        " refused" + where);
    return r;
  }
  if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
    const char* location = nullptr;
    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location);
    if (location == nullptr) {
      r.status = Status::NotFound("redirect without a usable Location" + where);
    } else {
      r.redirect = location;
    }
    return r;
  }
  if (hop.type_refused) {
    r.status = Status::PermissionDenied("content type '" + hop.refused_type.substr(0, 100) +
                                        "' is not served by the asset proxy" + where);
    return r;
  }
  if (hop.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    r.status = Status::TooLarge("asset over " + std::to_string(kMaxAssetBytes) + " bytes" + where);
    return r;
  }
  if (code != 200 && code != 0) {
    const std::string what = "upstream answered " + std::to_string(code) + where;
    r.status = code >= 500 ? Status::Unavailable(what) : Status::NotFound(what);
    return r;
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    r.status = Status::Unavailable("timed out" + where);
    return r;
  }
  if (rc != CURLE_OK) {
    r.status = Status::Unavailable(std::string("fetch failed: ") +
                                   (error[0] ? error : curl_easy_strerror(rc)) + where);
    return r;
  }
  const char* type = nullptr;
  curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
  const std::string header = type ? type : "";
  auto media = AllowedMediaType(header);
  if (!media) {  // an empty body never reached the write callback's check
    r.status = Status::PermissionDenied("content type '" + header.substr(0, 100) +
                                        "' is not served by the asset proxy" + where);
    return r;
  }
  r.asset.content_type = ServedContentType(*media, header, hop.body);
  r.asset.body = std::move(hop.body);
  r.asset.final_url = url.url;
  return r;
}

}  // namespace

std::optional<std::string> AllowedMediaType(std::string_view content_type) {
  const std::string media = Lower(Trim(content_type.substr(0, content_type.find(';'))));
  const size_t slash = media.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == media.size()) return std::nullopt;
  if (!std::all_of(media.begin(), media.end(), [](char c) { return IsTokenChar(c) || c == '/'; }) ||
      media.find('/', slash + 1) != std::string::npos) {
    return std::nullopt;
  }
  const std::string_view type = std::string_view(media).substr(0, slash);
  const std::string_view sub = std::string_view(media).substr(slash + 1);
  const bool allowed = media == "text/css" || (type == "image" && !sub.starts_with("svg")) ||
                       type == "font" || media.starts_with("application/font-woff") ||
                       media == "application/vnd.ms-fontobject" ||
                       media.starts_with("application/x-font-");
  if (!allowed) return std::nullopt;
  return media;
}

std::string ServedContentType(std::string_view media_type, std::string_view content_type,
                              std::string_view body) {
  if (media_type != "text/css") return std::string(media_type);
  std::string charset = Param(content_type, "charset");
  if (charset.empty()) charset = CharsetRule(body);
  if (!AsciiCompatibleCharset(charset)) charset = "utf-8";
  return "text/css; charset=" + charset;
}

Result<std::vector<IpAddress>> SystemResolve(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) return Status::Unavailable("cannot resolve " + host + ": " + gai_strerror(rc));
  std::vector<IpAddress> out;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    auto ip = IpAddress::FromSockaddr(ai->ai_addr, ai->ai_addrlen);
    if (ip && std::find(out.begin(), out.end(), *ip) == out.end()) out.push_back(*ip);
  }
  freeaddrinfo(res);
  return out;
}

AssetFetcher::AssetFetcher(FetcherOptions options) : options_(std::move(options)) {
  // curl_global_init is not thread-safe in every libcurl build; do it once, before any fetch.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (!options_.resolver) options_.resolver = SystemResolve;
}

Result<FetchedAsset> AssetFetcher::Fetch(const AssetUrl& first,
                                         const std::function<bool(const std::string&)>& exempt,
                                         FetchTrace* trace) const {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms);
  AssetUrl url = first;
  for (int hop = 0;; ++hop) {
    // The guard: every address the host has, checked before anything connects.
    std::vector<IpAddress> addresses;
    if (auto literal = IpAddress::Parse(url.host)) {
      addresses.push_back(*literal);
    } else {
      auto resolved = options_.resolver(url.host);
      if (!resolved.ok()) return resolved.status();
      addresses = std::move(*resolved);
    }
    if (addresses.empty()) return Status::Unavailable("no address for " + url.host);
    if (addresses.size() > kMaxResolvedAddresses) addresses.resize(kMaxResolvedAddresses);
    const bool exempt_origin = exempt(url.origin);
    bool needs_exemption = false;
    for (const IpAddress& a : addresses) {
      const AddressClass cls = Classify(a);
      if (cls == AddressClass::kPublic) continue;
      if (!exempt_origin) {
        trace->guard_refused = true;
        return Status::PermissionDenied(
            url.host + " is a " + AddressClassName(cls) + " address (" + a.ToString() +
            "); only public addresses are fetched unless the project allows the origin " +
            url.origin);
      }
      needs_exemption = true;
    }
    if (needs_exemption) trace->exempted_origins.push_back(url.origin);

    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return Status::Unavailable("timed out (" + url.url + ")");
    HopResult r = Request(url, addresses, left, trace);
    if (!r.status.ok()) return r.status;
    if (r.redirect.empty()) return std::move(r.asset);
    if (hop == kMaxRedirects) {
      return Status::NotFound("more than " + std::to_string(kMaxRedirects) + " redirects (" +
                              first.url + ")");
    }
    auto next = ParseAssetUrl(r.redirect);
    if (!next.ok()) {
      return Status::NotFound("redirect to a URL the proxy does not fetch: " +
                              next.status().message());
    }
    url = std::move(*next);
  }
}

}  // namespace tapistry::assetcache
