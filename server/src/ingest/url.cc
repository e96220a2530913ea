#include "ingest/url.h"

#include <algorithm>
#include <cctype>

#include "ingest/pii.h"

namespace tapistry {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsUnreserved(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
}

}  // namespace

bool ParseHttpUrl(std::string_view url, ParsedUrl* out) {
  if (url.empty() || url.size() > 8192 || HasControl(url)) return false;
  size_t colon = url.find("://");
  if (colon == std::string_view::npos || colon > 5) return false;
  std::string scheme;
  for (char c : url.substr(0, colon)) scheme.push_back(Lower(c));
  if (scheme != "http" && scheme != "https") return false;
  std::string_view rest = url.substr(colon + 3);
  size_t auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return false;
  for (char c : authority) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']' || c == '_')) {
      return false;
    }
  }
  std::string host;
  for (char c : authority) host.push_back(Lower(c));
  if ((scheme == "http" && host.ends_with(":80")) || (scheme == "https" && host.ends_with(":443"))) {
    host.resize(host.rfind(':'));
  }
  std::string_view after = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
  size_t hash = after.find('#');
  std::string route;
  if (hash != std::string_view::npos) {
    std::string_view frag = after.substr(hash + 1);
    if (frag.starts_with("!")) frag.remove_prefix(1);
    if (frag.starts_with("/")) route = std::string(frag.substr(0, frag.find('?')));
    after = after.substr(0, hash);
  }
  size_t q = after.find('?');
  std::string_view path = after.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : after.substr(q + 1);
  out->scheme = std::move(scheme);
  out->host = std::move(host);
  out->path = path.empty() ? "/" : std::string(path);
  out->query = std::string(query);
  out->route = std::move(route);
  return true;
}

bool SanitizeUrl(std::string_view url, const std::vector<std::string>& allowlist, std::string* out) {
  ParsedUrl u;
  if (!ParseHttpUrl(url, &u)) return false;
  std::string kept;
  std::string_view q(u.query);
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (pair.empty()) continue;
    std::string_view key = pair.substr(0, pair.find('='));
    if (std::find(allowlist.begin(), allowlist.end(), key) == allowlist.end()) continue;
    if (!kept.empty()) kept.push_back('&');
    kept.append(pair);
  }
  std::string path = u.path;
  RedactPii(&path);
  RedactPii(&kept);
  out->clear();
  out->append(u.scheme).append("://").append(u.host).append(path);
  if (!kept.empty()) out->append("?").append(kept);
  if (!u.route.empty()) {
    std::string route = u.route;
    RedactPii(&route);
    out->append("#").append(route);
  }
  return true;
}

std::string RoutePath(const ParsedUrl& u) {
  std::string p = NormalizePath(u.path);
  if (!u.route.empty()) {
    std::string r = NormalizePath(u.route);
    if (r != "/") p += "#" + r;
  }
  return p;
}

std::string NormalizePath(std::string_view raw) {
  std::string p;
  p.reserve(raw.size() + 1);
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%' && i + 2 < raw.size() && Hex(raw[i + 1]) >= 0 && Hex(raw[i + 2]) >= 0) {
      char d = static_cast<char>(Hex(raw[i + 1]) * 16 + Hex(raw[i + 2]));
      if (IsUnreserved(d)) {
        p.push_back(Lower(d));
      } else {
        p.push_back('%');
        p.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(raw[i + 1]))));
        p.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(raw[i + 2]))));
      }
      i += 2;
      continue;
    }
    if (c == '/' && !p.empty() && p.back() == '/') continue;  // collapse "//"
    p.push_back(Lower(c));
  }
  if (p.empty() || p[0] != '/') p = "/" + p;
  // Appendix D order: trailing slash first, then the index file name.
  if (p.size() > 1 && p.back() == '/') p.pop_back();
  for (std::string_view idx : {"/index.html", "/index.htm", "/index"}) {
    if (p.ends_with(idx)) {
      p.resize(p.size() - idx.size());
      break;
    }
  }
  if (p.empty()) p = "/";
  RedactPii(&p);
  return p;
}

std::string UrlHost(std::string_view url) {
  ParsedUrl u;
  if (!ParseHttpUrl(url, &u)) return "";
  return u.host;
}

}  // namespace tapistry
