#include "assetcache/css_rewriter.h"

#include <cstdint>

#include "assetcache/asset_limits.h"
#include "assetcache/asset_url.h"
#include "common/ascii.h"

namespace tapistry::assetcache {
namespace {

constexpr int kEof = -1;
constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

bool IsNewline(int c) { return c == '\n' || c == '\r' || c == '\f'; }
bool IsWhitespace(int c) { return IsNewline(c) || c == '\t' || c == ' '; }
bool IsHex(int c) { return c != kEof && ascii::HexValue(static_cast<char>(c)) >= 0; }
bool IsDigit(int c) { return c >= '0' && c <= '9'; }
// NUL is U+FFFD after the spec's preprocessing, so it counts as non-ASCII.
bool IsIdentStart(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80 || c == 0;
}
bool IsIdentChar(int c) { return IsIdentStart(c) || IsDigit(c) || c == '-'; }
bool IsNonPrintable(int c) {
  return (c >= 0x01 && c <= 0x08) || c == 0x0b || (c >= 0x0e && c <= 0x1f) || c == 0x7f;
}
bool ValidEscape(int c1, int c2) { return c1 == '\\' && !IsNewline(c2); }
bool StartsIdent(int c1, int c2, int c3) {
  if (c1 == '-') return IsIdentStart(c2) || c2 == '-' || ValidEscape(c2, c3);
  if (IsIdentStart(c1)) return true;
  return ValidEscape(c1, c2);
}
bool StartsNumber(int c1, int c2, int c3) {
  if (c1 == '+' || c1 == '-') return IsDigit(c2) || (c2 == '.' && IsDigit(c3));
  if (c1 == '.') return IsDigit(c2);
  return IsDigit(c1);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii::ToLower(a[i]) != ascii::ToLower(b[i])) return false;
  }
  return true;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

enum class Tok {
  kEof,
  kWhitespace,
  kString,
  kBadString,
  kUrl,
  kBadUrl,
  kFunction,
  kAtKeyword,
  kOpenParen,
  kCloseParen,
  kOpenSquare,
  kCloseSquare,
  kOpenCurly,
  kCloseCurly,
  kOther,  // ident, hash, number, dimension, delim, CDO, CDC, ...
};

struct Token {
  Tok type = Tok::kEof;
  size_t begin = 0;
  size_t end = 0;
  std::string value;  // strings and url tokens: the decoded value; functions, at-keywords: name
};

// CSS Syntax Level 3 §4.3 ("Tokenizer algorithms"), over bytes. Only the token boundaries and
// the values of strings, url tokens, function and at-keyword names are kept.
class Tokenizer {
 public:
  explicit Tokenizer(std::string_view s, size_t start) : s_(s), pos_(start) {}

  Token Next() {
    SkipComments();
    Token t;
    t.begin = pos_;
    t.type = Consume(&t.value);
    t.end = pos_;
    return t;
  }

 private:
  std::string_view s_;
  size_t pos_;

  int Peek(size_t k = 0) const {
    return pos_ + k < s_.size() ? static_cast<unsigned char>(s_[pos_ + k]) : kEof;
  }

  void SkipComments() {
    while (Peek() == '/' && Peek(1) == '*') {
      const size_t close = s_.find("*/", pos_ + 2);
      pos_ = close == std::string_view::npos ? s_.size() : close + 2;
    }
  }

  // One newline; CR LF counts as one (the spec's preprocessing).
  void ConsumeNewline() { pos_ += (Peek() == '\r' && Peek(1) == '\n') ? 2 : 1; }
  void ConsumeWhitespace() {
    while (IsWhitespace(Peek())) ConsumeNewlineOrOne();
  }
  void ConsumeNewlineOrOne() {
    if (IsNewline(Peek())) {
      ConsumeNewline();
    } else {
      ++pos_;
    }
  }

  // After the backslash of a valid escape.
  void ConsumeEscape(std::string* out) {
    const int c = Peek();
    if (IsHex(c)) {
      uint32_t cp = 0;
      for (int i = 0; i < 6 && IsHex(Peek()); ++i) {
        cp = cp * 16 + static_cast<uint32_t>(ascii::HexValue(static_cast<char>(Peek())));
        ++pos_;
      }
      if (IsWhitespace(Peek())) ConsumeNewlineOrOne();
      if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
        out->append(kReplacementChar);
      } else {
        AppendUtf8(cp, out);
      }
    } else if (c == kEof) {
      out->append(kReplacementChar);
    } else {
      AppendChar(c, out);
      ++pos_;
    }
  }

  static void AppendChar(int c, std::string* out) {
    if (c == 0) {
      out->append(kReplacementChar);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }

  void ConsumeName(std::string* out) {
    for (;;) {
      const int c = Peek();
      if (IsIdentChar(c)) {
        AppendChar(c, out);
        ++pos_;
      } else if (ValidEscape(c, Peek(1))) {
        ++pos_;
        ConsumeEscape(out);
      } else {
        return;
      }
    }
  }

  void ConsumeNumber() {
    if (Peek() == '+' || Peek() == '-') ++pos_;
    while (IsDigit(Peek())) ++pos_;
    if (Peek() == '.' && IsDigit(Peek(1))) {
      pos_ += 2;
      while (IsDigit(Peek())) ++pos_;
    }
    if ((Peek() == 'e' || Peek() == 'E') &&
        (IsDigit(Peek(1)) || ((Peek(1) == '+' || Peek(1) == '-') && IsDigit(Peek(2))))) {
      pos_ += 2;
      while (IsDigit(Peek())) ++pos_;
    }
  }

  Tok ConsumeNumeric() {
    ConsumeNumber();
    if (StartsIdent(Peek(), Peek(1), Peek(2))) {
      std::string unit;
      ConsumeName(&unit);
    } else if (Peek() == '%') {
      ++pos_;
    }
    return Tok::kOther;
  }

  // After the opening quote.
  Tok ConsumeString(int quote, std::string* out) {
    for (;;) {
      const int c = Peek();
      if (c == kEof) return Tok::kString;  // unterminated at EOF: still a string
      if (c == quote) {
        ++pos_;
        return Tok::kString;
      }
      if (IsNewline(c)) return Tok::kBadString;  // the newline is not part of it
      if (c == '\\') {
        ++pos_;
        if (Peek() == kEof) continue;
        if (IsNewline(Peek())) {
          ConsumeNewline();  // an escaped newline continues the string
        } else {
          ConsumeEscape(out);
        }
        continue;
      }
      AppendChar(c, out);
      ++pos_;
    }
  }

  void ConsumeBadUrlRemnants() {
    for (;;) {
      const int c = Peek();
      if (c == kEof) return;
      if (c == ')') {
        ++pos_;
        return;
      }
      if (ValidEscape(c, Peek(1))) {
        ++pos_;
        std::string ignored;
        ConsumeEscape(&ignored);
      } else {
        ++pos_;
      }
    }
  }

  // After "url(" when no quote follows.
  Tok ConsumeUrl(std::string* out) {
    ConsumeWhitespace();
    for (;;) {
      const int c = Peek();
      if (c == ')') {
        ++pos_;
        return Tok::kUrl;
      }
      if (c == kEof) return Tok::kUrl;  // unterminated at EOF: still a url token
      if (IsWhitespace(c)) {
        ConsumeWhitespace();
        if (Peek() == ')') {
          ++pos_;
          return Tok::kUrl;
        }
        if (Peek() == kEof) return Tok::kUrl;
        ConsumeBadUrlRemnants();
        return Tok::kBadUrl;
      }
      if (c == '"' || c == '\'' || c == '(' || IsNonPrintable(c)) {
        ConsumeBadUrlRemnants();
        return Tok::kBadUrl;
      }
      if (c == '\\') {
        if (!ValidEscape(c, Peek(1))) {
          ConsumeBadUrlRemnants();
          return Tok::kBadUrl;
        }
        ++pos_;
        ConsumeEscape(out);
        continue;
      }
      AppendChar(c, out);
      ++pos_;
    }
  }

  Tok ConsumeIdentLike(std::string* out) {
    ConsumeName(out);
    if (Peek() != '(') return Tok::kOther;
    ++pos_;
    if (!EqualsIgnoreCase(*out, "url")) return Tok::kFunction;
    while (IsWhitespace(Peek()) && IsWhitespace(Peek(1))) ConsumeNewlineOrOne();
    const auto quote = [](int c) { return c == '"' || c == '\''; };
    if (quote(Peek()) || (IsWhitespace(Peek()) && quote(Peek(1)))) return Tok::kFunction;
    out->clear();
    return ConsumeUrl(out);
  }

  Tok Consume(std::string* out) {
    const int c = Peek();
    if (c == kEof) return Tok::kEof;
    if (IsWhitespace(c)) {
      ConsumeWhitespace();
      return Tok::kWhitespace;
    }
    if (c == '"' || c == '\'') {
      ++pos_;
      return ConsumeString(c, out);
    }
    if (IsDigit(c)) return ConsumeNumeric();
    if (IsIdentStart(c)) return ConsumeIdentLike(out);
    switch (c) {
      case '(':
        ++pos_;
        return Tok::kOpenParen;
      case ')':
        ++pos_;
        return Tok::kCloseParen;
      case '[':
        ++pos_;
        return Tok::kOpenSquare;
      case ']':
        ++pos_;
        return Tok::kCloseSquare;
      case '{':
        ++pos_;
        return Tok::kOpenCurly;
      case '}':
        ++pos_;
        return Tok::kCloseCurly;
      case '#':
        ++pos_;
        if (IsIdentChar(Peek()) || ValidEscape(Peek(), Peek(1))) {
          std::string name;
          ConsumeName(&name);
        }
        return Tok::kOther;
      case '+':
      case '.':
        if (StartsNumber(c, Peek(1), Peek(2))) return ConsumeNumeric();
        ++pos_;
        return Tok::kOther;
      case '-':
        if (StartsNumber(c, Peek(1), Peek(2))) return ConsumeNumeric();
        if (Peek(1) == '-' && Peek(2) == '>') {
          pos_ += 3;  // CDC
          return Tok::kOther;
        }
        if (StartsIdent(c, Peek(1), Peek(2))) return ConsumeIdentLike(out);
        ++pos_;
        return Tok::kOther;
      case '<':
        pos_ += (Peek(1) == '!' && Peek(2) == '-' && Peek(3) == '-') ? 4 : 1;  // CDO or delim
        return Tok::kOther;
      case '@':
        ++pos_;
        if (StartsIdent(Peek(), Peek(1), Peek(2))) {
          ConsumeName(out);
          return Tok::kAtKeyword;
        }
        return Tok::kOther;
      case '\\':
        if (ValidEscape(c, Peek(1))) return ConsumeIdentLike(out);
        ++pos_;
        return Tok::kOther;
      default:
        ++pos_;
        return Tok::kOther;
    }
  }
};

// A block the scanner is inside of; strings directly inside some functions are URLs.
struct Frame {
  Tok opener;           // kOpenParen / kOpenSquare / kOpenCurly / kFunction
  bool url_string;      // url( / src( / image-set( / -webkit-image-set( / image(
  bool import = false;  // the url( right after an @import
};

bool UrlStringFunction(std::string_view name) {
  for (std::string_view f :
       {"url", "src", "image-set", "-webkit-image-set", "image", "-webkit-image"}) {
    if (EqualsIgnoreCase(name, f)) return true;
  }
  return false;
}

// The site for a URL value, or false when the value is kept as written.
bool MakeSite(const Token& t, bool import, bool url_token, std::string_view base,
              CssUrlSite* site) {
  std::string cleaned;
  cleaned.reserve(t.value.size());
  for (char c : t.value) {
    if (c != '\t' && c != '\n' && c != '\r') cleaned.push_back(c);
  }
  std::string_view v = cleaned;
  while (!v.empty() && static_cast<unsigned char>(v.front()) <= 0x20) v.remove_prefix(1);
  if (!import) {
    // A fragment-only reference names an element of the document; data: loads nothing else.
    if (v.starts_with('#')) return false;
    if (v.size() >= 5 && EqualsIgnoreCase(v.substr(0, 5), "data:")) return false;
  }
  site->begin = t.begin;
  site->end = t.end;
  site->import = import;
  site->url_token = url_token;
  // An imported "#x" would be the importing sheet itself (libcurl resolves it to the directory).
  site->target = v.starts_with('#') ? "" : ResolveAssetUrl(base, v).value_or("");
  return true;
}

void AppendCssString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (c == '\n' || c == '\r' || c == '\f') {
      out->append("\\a ");
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

}  // namespace

Result<std::vector<CssUrlSite>> FindCssUrls(std::string_view css, std::string_view stylesheet_url) {
  if (css.starts_with("\xFE\xFF") || css.starts_with("\xFF\xFE")) {
    return Status::InvalidArgument("UTF-16 stylesheets are not proxied");
  }
  Tokenizer tok(css, css.starts_with("\xEF\xBB\xBF") ? 3 : 0);
  std::vector<CssUrlSite> sites;
  std::vector<Frame> stack;
  bool after_import = false;  // the next significant token is an @import's target
  auto add = [&](const Token& t, bool import, bool url_token) -> Status {
    CssUrlSite site;
    if (!MakeSite(t, import, url_token, stylesheet_url, &site)) return Status::Ok();
    if (sites.size() >= kMaxCssUrls) {
      return Status::TooLarge("stylesheet has more than " + std::to_string(kMaxCssUrls) + " URLs");
    }
    sites.push_back(std::move(site));
    return Status::Ok();
  };
  for (Token t = tok.Next(); t.type != Tok::kEof; t = tok.Next()) {
    if (t.type == Tok::kWhitespace) continue;
    const bool import = after_import;
    after_import = false;
    switch (t.type) {
      case Tok::kAtKeyword:
        after_import = EqualsIgnoreCase(t.value, "import");
        break;
      case Tok::kUrl:
        TAP_RETURN_IF_ERROR(add(t, import, /*url_token=*/true));
        break;
      case Tok::kString:
        if (import) {
          TAP_RETURN_IF_ERROR(add(t, true, false));
        } else if (!stack.empty() && stack.back().url_string) {
          TAP_RETURN_IF_ERROR(add(t, stack.back().import, false));
        }
        break;
      case Tok::kFunction:
        stack.push_back({Tok::kFunction, UrlStringFunction(t.value),
                         import && EqualsIgnoreCase(t.value, "url")});
        break;
      case Tok::kOpenParen:
      case Tok::kOpenSquare:
      case Tok::kOpenCurly:
        stack.push_back({t.type, false});
        break;
      // A closer ends the innermost block only when it matches it (CSS Syntax §5.4.8/§5.4.9:
      // other closers are ordinary tokens inside the block).
      case Tok::kCloseParen:
        if (!stack.empty() &&
            (stack.back().opener == Tok::kOpenParen || stack.back().opener == Tok::kFunction)) {
          stack.pop_back();
        }
        break;
      case Tok::kCloseSquare:
        if (!stack.empty() && stack.back().opener == Tok::kOpenSquare) stack.pop_back();
        break;
      case Tok::kCloseCurly:
        if (!stack.empty() && stack.back().opener == Tok::kOpenCurly) stack.pop_back();
        break;
      default:
        break;  // bad strings and bad urls load nothing and are kept as written
    }
  }
  return sites;
}

Result<std::string> RenderCss(std::string_view css, const std::vector<CssUrlSite>& sites,
                              std::string_view base_path, int depth) {
  std::string out;
  out.reserve(css.size() + sites.size() * (base_path.size() + 64));
  size_t at = 0;
  for (const CssUrlSite& site : sites) {
    if (site.begin < at || site.end < site.begin || site.end > css.size()) {
      return Status::Internal("css url sites out of order");
    }
    out.append(css.substr(at, site.begin - at));
    std::string target = "about:invalid";
    if (!site.target.empty() && (!site.import || depth + 1 <= kMaxImportDepth)) {
      target = ProxyUrl(base_path, site.target, site.import ? depth + 1 : 0);
    }
    if (site.url_token) out.append("url(");
    AppendCssString(target, &out);
    if (site.url_token) out.push_back(')');
    at = site.end;
    if (out.size() > kMaxRewrittenCssBytes) {
      return Status::TooLarge("rewritten stylesheet over " + std::to_string(kMaxRewrittenCssBytes) +
                              " bytes");
    }
  }
  out.append(css.substr(at));
  if (out.size() > kMaxRewrittenCssBytes) {
    return Status::TooLarge("rewritten stylesheet over " + std::to_string(kMaxRewrittenCssBytes) +
                            " bytes");
  }
  return out;
}

Result<std::string> RewriteCss(std::string_view css, std::string_view stylesheet_url,
                               std::string_view base_path, int depth) {
  auto sites = FindCssUrls(css, stylesheet_url);
  if (!sites.ok()) return sites.status();
  return RenderCss(css, *sites, base_path, depth);
}

}  // namespace tapistry::assetcache
