#include "app/store_factory.h"

#include <cctype>

#include "store/embedded/embedded_event_store.h"

namespace tapistry {
namespace {

bool SchemeChar(char c, bool first) {
  if (std::isalpha(static_cast<unsigned char>(c))) return true;
  return !first &&
         (std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.');
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    const int hi = i + 2 < s.size() ? HexValue(s[i + 1]) : -1;
    const int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return Status::InvalidArgument("file: URL has a bad %-escape (write a plain path instead)");
    }
    if (hi == 0 && lo == 0) return Status::InvalidArgument("file: URL contains %00");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// The rest of a "file:" URL after the scheme's colon.
Result<StoreUrl> ParseFile(std::string_view rest) {
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Status::InvalidArgument(
        "file: URLs take no query or fragment (write a plain path instead)");
  }
  if (rest.starts_with("//")) {
    rest.remove_prefix(2);
    const size_t slash = rest.find('/');
    const std::string_view host = rest.substr(0, slash);
    if (!host.empty() && Lower(host) != "localhost") {
      return Status::InvalidArgument(
          "file:// URLs name a local absolute path (file:///var/lib/tapistry) or, without the "
          "slashes, a relative one (file:data)");
    }
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  auto path = PercentDecode(rest);
  if (!path.ok()) return path.status();
  if (path->empty()) return Status::InvalidArgument("file: URL names no path");
  return StoreUrl{"file", std::move(path).value()};
}

// Kinds of store, for messages.
enum class Kind { kEvent, kMeta, kBlob };

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kEvent:
      return "event store";
    case Kind::kMeta:
      return "meta store";
    case Kind::kBlob:
      return "blob store";
  }
  return "store";
}

// The file path to open, or why this URL cannot be opened as a `kind` here.
Result<std::string> FilePathFor(const std::string& url, Kind kind) {
  auto parsed = ParseStoreUrl(url);
  if (!parsed.ok()) {
    return Status(parsed.status().code(),
                  std::string(KindName(kind)) + ": " + parsed.status().message());
  }
  const std::string& scheme = parsed->scheme;
  if (scheme == "file") return parsed->path;
  // The scale-out backend meant for this kind of store (DESIGN §2), if this scheme is one.
  const char* planned = nullptr;
  if (scheme == "clickhouse" || scheme == "clickhouses")
    planned = kind == Kind::kEvent ? "event" : nullptr;
  else if (scheme == "postgres" || scheme == "postgresql")
    planned = kind == Kind::kMeta ? "meta" : nullptr;
  else if (scheme == "s3") planned = kind == Kind::kBlob ? "blob" : nullptr;
  else {
    return Status::InvalidArgument(std::string(KindName(kind)) + ": unknown URL scheme '" + scheme +
                                   "://' (this binary opens file: URLs and plain paths)");
  }
  if (planned) {
    return Status::InvalidArgument(scheme + ":// " + KindName(kind) +
                                   "s are not built into this binary yet; use a file: URL or a "
                                   "plain path (the default keeps it under --data)");
  }
  const char* fits = kind == Kind::kEvent  ? "file: or clickhouse://"
                     : kind == Kind::kMeta ? "file: or postgres://"
                                           : "file: or s3://";
  return Status::InvalidArgument(scheme + ":// cannot hold the " + KindName(kind) + " (it takes " +
                                 fits + ")");
}

}  // namespace

Result<StoreUrl> ParseStoreUrl(std::string_view url) {
  if (url.empty()) return Status::InvalidArgument("empty store URL");
  const size_t sep = url.find("://");
  bool scheme_ok = sep != std::string_view::npos && sep > 0;
  for (size_t i = 0; scheme_ok && i < sep; ++i) scheme_ok = SchemeChar(url[i], i == 0);
  if (scheme_ok) {
    const std::string scheme = Lower(url.substr(0, sep));
    if (scheme == "file") return ParseFile(url.substr(5));
    return StoreUrl{scheme, ""};
  }
  if (Lower(url.substr(0, 5)) == "file:") return ParseFile(url.substr(5));
  return StoreUrl{"file", std::string(url)};
}

Result<std::unique_ptr<EventStore>> OpenEventStore(const std::string& url,
                                                   const EmbeddedStoreOptions& options) {
  auto path = FilePathFor(url, Kind::kEvent);
  if (!path.ok()) return path.status();
  EmbeddedStoreOptions embedded = options;
  embedded.dir = std::move(path).value();
  return OpenEmbeddedEventStore(embedded);
}

Result<std::unique_ptr<MetaStore>> OpenMetaStore(const std::string& url) {
  auto path = FilePathFor(url, Kind::kMeta);
  if (!path.ok()) return path.status();
  return OpenSqliteMetaStore(*path);
}

Result<std::unique_ptr<BlobStore>> OpenBlobStore(const std::string& url) {
  auto path = FilePathFor(url, Kind::kBlob);
  if (!path.ok()) return path.status();
  return OpenFsBlobStore(*path);
}

}  // namespace tapistry
