// URL sanitizing and path normalization (spec §9, Appendix D). The server never trusts the
// client's `path`: it recomputes it from the URL it has just sanitized.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tapistry/status.h"

namespace tapistry {

struct ParsedUrl {
  std::string scheme;  // lowercase "http" / "https"
  std::string host;    // lowercase, with ":port" when not the default
  std::string path;    // raw path, starts with '/'
  std::string query;   // without '?'
  std::string route;   // a hash route ("#/settings", "#!/a"): its path, else ""
};

// Splits an absolute http(s) URL. Returns false for anything else (relative, javascript:, data:,
// credentials in the authority, control characters).
bool ParseHttpUrl(std::string_view url, ParsedUrl* out);

// Keeps only the query parameters whose key is in `allowlist` (order kept), drops the fragment
// unless it is a hash route ("#/..." or "#!/...", whose own query is dropped), drops any
// user:password, and redacts PII (emails, card numbers, ...) in path, route and kept values.
// Returns false when `url` is not an absolute http(s) URL.
bool SanitizeUrl(std::string_view url, const std::vector<std::string>& allowlist, std::string* out);
// The same for a URL already parsed by ParseHttpUrl (the ingest path parses each URL once).
void SanitizeParsedUrl(const ParsedUrl& u, const std::vector<std::string>& allowlist,
                       std::string* out);

// spec §9: lowercase, collapse "//", strip a trailing slash (not for "/"), drop "/index",
// "/index.html", "/index.htm", percent-decoding of unreserved characters, PII segments redacted.
// Input is the raw path component (no query, no fragment).
std::string NormalizePath(std::string_view raw_path);

// The normalized path of a parsed URL, with its hash route appended ("/app#/settings") when the
// page routes by fragment, so hash-routed single-page apps get one path per screen.
std::string RoutePath(const ParsedUrl& u);

// Path rules (ProjectSettings::path_rules, docs/settings.md "Path rules"): a rule is a
// normalized path whose segments may be placeholders — ":name" matches any one segment, "*" as
// the last segment matches one or more — and a path it matches is stored as the rule's text
// ("/product/:id" for "/product/42"). At least one placeholder; at most kMaxPathRuleBytes.
inline constexpr size_t kMaxPathRules = 50;
inline constexpr size_t kMaxPathRuleBytes = 200;
// Ok, or InvalidArgument saying what is wrong with `rule`.
Status ValidatePathRule(std::string_view rule);
// The first rule matching the part of `path` before any '#' replaces that part (a hash route
// stays as it is); `path` unchanged when none matches. Rules must be valid.
void ApplyPathRules(const std::vector<std::string>& rules, std::string* path);

// The host of an http(s) URL ("" when it isn't one), used for referrer domains.
std::string UrlHost(std::string_view url);

}  // namespace tapistry
