#include "ingest/url.h"

#include <algorithm>
#include "common/ascii.h"

#include "ingest/pii.h"

namespace tapistry {
namespace {

char Lower(char c) { return ascii::ToLower(c); }

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool IsUnreserved(char c) {
  return ascii::IsAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

}  // namespace

bool ParseHttpUrl(std::string_view url, ParsedUrl* out) {
  if (url.empty() || url.size() > 8192 || HasControl(url)) return false;
  size_t colon = url.find("://");
  if (colon == std::string_view::npos || colon > 5) return false;
  // Fields are assigned in place so a reused ParsedUrl keeps its buffers (hot path).
  out->scheme.assign(url.substr(0, colon));
  for (char& c : out->scheme) c = Lower(c);
  const bool https = out->scheme == "https";
  if (!https && out->scheme != "http") return false;
  std::string_view rest = url.substr(colon + 3);
  size_t auth_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, auth_end);
  if (authority.empty()) return false;
  for (char c : authority) {
    if (!(ascii::IsAlnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' ||
          c == '_')) {
      return false;  // also refuses '@' (credentials)
    }
  }
  if ((!https && authority.ends_with(":80")) || (https && authority.ends_with(":443"))) {
    authority = authority.substr(0, authority.rfind(':'));
  }
  out->host.assign(authority);
  for (char& c : out->host) c = Lower(c);
  std::string_view after =
      auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
  size_t hash = after.find('#');
  out->route.clear();
  if (hash != std::string_view::npos) {
    std::string_view frag = after.substr(hash + 1);
    if (frag.starts_with("!")) frag.remove_prefix(1);
    if (frag.starts_with("/")) out->route.assign(frag.substr(0, frag.find('?')));
    after = after.substr(0, hash);
  }
  size_t q = after.find('?');
  std::string_view path = after.substr(0, q);
  out->path.assign(path.empty() ? std::string_view("/") : path);
  out->query.assign(q == std::string_view::npos ? std::string_view() : after.substr(q + 1));
  return true;
}

bool SanitizeUrl(std::string_view url, const std::vector<std::string>& allowlist,
                 std::string* out) {
  ParsedUrl u;
  if (!ParseHttpUrl(url, &u)) return false;
  SanitizeParsedUrl(u, allowlist, out);
  return true;
}

void SanitizeParsedUrl(const ParsedUrl& u, const std::vector<std::string>& allowlist,
                       std::string* out) {
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
    if (c == '%' && i + 2 < raw.size() && ascii::HexValue(raw[i + 1]) >= 0 &&
        ascii::HexValue(raw[i + 2]) >= 0) {
      char d = static_cast<char>(ascii::HexValue(raw[i + 1]) * 16 + ascii::HexValue(raw[i + 2]));
      if (IsUnreserved(d)) {
        p.push_back(Lower(d));
      } else {
        p.push_back('%');
        p.push_back(ascii::ToUpper(raw[i + 1]));
        p.push_back(ascii::ToUpper(raw[i + 2]));
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

namespace {

// The segments of a path without its leading '/': "/a/b" → {"a","b"}, "/" → {}.
std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.starts_with('/')) path.remove_prefix(1);
  while (!path.empty()) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool RuleMatches(std::string_view rule, const std::vector<std::string_view>& path) {
  std::vector<std::string_view> want = Segments(rule);
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == "*") return i + 1 == want.size() && path.size() > i;
    if (i >= path.size()) return false;
    if (want[i].starts_with(':')) continue;
    if (want[i] != path[i]) return false;
  }
  return want.size() == path.size();
}

}  // namespace

Status ValidatePathRule(std::string_view rule) {
  const std::string shown(rule.substr(0, 100));
  if (rule.empty() || rule.size() > kMaxPathRuleBytes || rule.front() != '/') {
    return Status::InvalidArgument("path_rules: \"" + shown +
                                   "\" must start with / and be at most " +
                                   std::to_string(kMaxPathRuleBytes) + " bytes");
  }
  if (rule.find_first_of("#? \t") != std::string_view::npos || NormalizePath(rule) != rule) {
    return Status::InvalidArgument("path_rules: \"" + shown +
                                   "\" must be written as a stored path: lower case, no "
                                   "trailing slash, no query, fragment or spaces");
  }
  std::vector<std::string_view> segs = Segments(rule);
  bool placeholder = false;
  for (size_t i = 0; i < segs.size(); ++i) {
    if (segs[i] == "*") {
      if (i + 1 != segs.size()) {
        return Status::InvalidArgument("path_rules: \"" + shown +
                                       "\": * may only be the last segment");
      }
      placeholder = true;
    } else if (segs[i].starts_with(':')) {
      if (segs[i].size() < 2 || !std::all_of(segs[i].begin() + 1, segs[i].end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
          })) {
        return Status::InvalidArgument("path_rules: \"" + shown +
                                       "\": a placeholder is : and a name of a-z 0-9 _ -");
      }
      placeholder = true;
    } else if (segs[i].find_first_of(":*") != std::string_view::npos) {
      return Status::InvalidArgument(
          "path_rules: \"" + shown +
          "\": : and * stand for whole segments (/product/:id, /blog/*)");
    }
  }
  if (!placeholder) {
    return Status::InvalidArgument("path_rules: \"" + shown +
                                   "\" has no placeholder; write :name for one segment or * "
                                   "for the rest (/product/:id, /blog/*)");
  }
  return Status::Ok();
}

void ApplyPathRules(const std::vector<std::string>& rules, std::string* path) {
  if (rules.empty()) return;
  const size_t hash = path->find('#');
  const std::string_view head = std::string_view(*path).substr(0, hash);
  const std::vector<std::string_view> segs = Segments(head);
  for (const std::string& rule : rules) {
    if (!RuleMatches(rule, segs)) continue;
    path->replace(0, head.size(), rule);
    return;
  }
}

std::string UrlHost(std::string_view url) {
  ParsedUrl u;
  if (!ParseHttpUrl(url, &u)) return "";
  return u.host;
}

}  // namespace tapistry
