#include "ingest/pii.h"

#include "common/ascii.h"

namespace tapistry {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsAlnum(char c) { return ascii::IsAlnum(c); }
bool IsEmailLocal(char c) {
  return IsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool IsEmailDomain(char c) { return IsAlnum(c) || c == '.' || c == '-'; }

// Length of an '@' marker at i: 1 for '@', 3 for "%40", 0 otherwise.
size_t AtLen(std::string_view s, size_t i) {
  if (s[i] == '@') return 1;
  if (s[i] == '%' && i + 2 < s.size() && s[i + 1] == '4' && s[i + 2] == '0') return 3;
  return 0;
}

// An email whose '@' marker starts at `at`: sets [*b, *e) and returns true.
bool MatchEmail(std::string_view s, size_t at, size_t at_len, size_t* b, size_t* e) {
  size_t l = at;
  while (l > 0 && IsEmailLocal(s[l - 1])) --l;
  if (l == at) return false;
  size_t r = at + at_len;
  size_t last_dot = std::string_view::npos;
  while (r < s.size() && IsEmailDomain(s[r])) {
    if (s[r] == '.') last_dot = r;
    ++r;
  }
  while (r > at + at_len && (s[r - 1] == '.' || s[r - 1] == '-')) --r;  // trailing punctuation
  if (last_dot == std::string_view::npos || last_dot >= r || last_dot == at + at_len) return false;
  size_t tld = 0;
  for (size_t k = last_dot + 1; k < r; ++k) {
    if (!ascii::IsAlpha(s[k])) return false;
    ++tld;
  }
  if (tld < 2) return false;
  *b = l;
  *e = r;
  return true;
}

bool LuhnOk(const char* digits, size_t n) {
  int sum = 0;
  bool dbl = false;
  for (size_t i = n; i-- > 0;) {
    int d = digits[i] - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

// Issuer prefixes of the major card networks (Visa 4, Mastercard 51-55 and 2221-2720, Amex 34/37,
// Diners 30/36/38, Discover/UnionPay 6, JCB 35). Requiring one keeps millisecond timestamps
// (13 digits starting with 1) and most order numbers from being taken for cards.
bool CardPrefix(const char* d, size_t n) {
  if (n < 4) return false;
  int two = (d[0] - '0') * 10 + (d[1] - '0');
  int four = two * 100 + (d[2] - '0') * 10 + (d[3] - '0');
  return d[0] == '4' || (two >= 51 && two <= 55) || (four >= 2221 && four <= 2720) || two == 34 ||
         two == 37 || two == 30 || two == 36 || two == 38 || two == 35 || d[0] == '6';
}

// A card number starting at i (digits with optional single ' ' or '-' separators, 14..19
// digits, a card network prefix, Luhn-valid, not glued to other digits). Sets *e past the match.
bool MatchCard(std::string_view s, size_t i, size_t* e) {
  if (i > 0 && IsDigit(s[i - 1])) return false;
  char digits[19];
  size_t n = 0, k = i, best_end = 0, best_n = 0;
  while (k < s.size()) {
    if (IsDigit(s[k])) {
      if (n == 19) break;
      digits[n++] = s[k++];
      if (n >= 14 && (k >= s.size() || !IsDigit(s[k])) && CardPrefix(digits, n) &&
          LuhnOk(digits, n)) {
        best_end = k;
        best_n = n;
      }
    } else if ((s[k] == ' ' || s[k] == '-') && k + 1 < s.size() && IsDigit(s[k + 1]) && n > 0) {
      ++k;
    } else {
      break;
    }
  }
  if (best_n == 0) return false;
  if (best_end < s.size() && IsDigit(s[best_end])) return false;
  *e = best_end;
  return true;
}

// ddd-dd-dddd with no digit on either side.
bool MatchSsn(std::string_view s, size_t i, size_t* e) {
  if (i > 0 && IsDigit(s[i - 1])) return false;
  if (i + 11 > s.size()) return false;
  static constexpr char kShape[] = "ddd-dd-dddd";
  for (size_t k = 0; k < 11; ++k) {
    char c = s[i + k];
    if (kShape[k] == 'd' ? !IsDigit(c) : c != '-') return false;
  }
  if (i + 11 < s.size() && IsDigit(s[i + 11])) return false;
  *e = i + 11;
  return true;
}

// CCdd + 11..30 alphanumerics (spaces allowed between groups), mod-97 == 1.
bool MatchIban(std::string_view s, size_t i, size_t* e) {
  if (i > 0 && IsAlnum(s[i - 1])) return false;
  if (i + 15 > s.size()) return false;
  if (!IsUpper(s[i]) || !IsUpper(s[i + 1]) || !IsDigit(s[i + 2]) || !IsDigit(s[i + 3]))
    return false;
  char buf[34];
  size_t n = 0, k = i;
  while (k < s.size() && n < 34) {
    char c = s[k];
    if (IsDigit(c) || IsUpper(c)) {
      buf[n++] = c;
      ++k;
    } else if (c == ' ' && k + 1 < s.size() && (IsDigit(s[k + 1]) || IsUpper(s[k + 1]))) {
      ++k;
    } else {
      break;
    }
  }
  if (n < 15 || (k < s.size() && IsAlnum(s[k]))) return false;
  // Rearranged: BBAN then country + check digits; letters count as two digits (A=10).
  int rem = 0;
  auto feed = [&rem](char c) {
    if (IsDigit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else {
      int v = c - 'A' + 10;
      rem = (rem * 100 + v) % 97;
    }
  };
  for (size_t j = 4; j < n; ++j) feed(buf[j]);
  for (size_t j = 0; j < 4; ++j) feed(buf[j]);
  if (rem != 1) return false;
  *e = k;
  return true;
}

// Finds the first PII match at or after `from`. Returns false when there is none.
bool FindNext(std::string_view s, size_t from, size_t* b, size_t* e, const char** label) {
  for (size_t i = from; i < s.size(); ++i) {
    char c = s[i];
    if (size_t al = AtLen(s, i)) {
      size_t eb, ee;
      if (MatchEmail(s, i, al, &eb, &ee)) {
        *b = eb;
        *e = ee;
        *label = "[email]";
        return true;
      }
    } else if (IsDigit(c)) {
      size_t ee;
      if (MatchSsn(s, i, &ee)) {
        *b = i;
        *e = ee;
        *label = "[ssn]";
        return true;
      }
      if (MatchCard(s, i, &ee)) {
        *b = i;
        *e = ee;
        *label = "[card]";
        return true;
      }
    } else if (IsUpper(c)) {
      size_t ee;
      if (MatchIban(s, i, &ee)) {
        *b = i;
        *e = ee;
        *label = "[iban]";
        return true;
      }
    }
  }
  return false;
}

// Cheap pre-check: PII needs an '@'/'%40' or a run of digits; most strings have neither.
bool MayContainPii(std::string_view s) {
  int digits = 0;
  for (char c : s) {
    if (c == '@' || c == '%') return true;
    if (IsDigit(c)) {
      if (++digits >= 9) return true;
    }
  }
  return false;
}

}  // namespace

bool ContainsPii(std::string_view s) {
  if (!MayContainPii(s)) return false;
  size_t b, e;
  const char* label;
  return FindNext(s, 0, &b, &e, &label);
}

bool RedactPii(std::string* s) {
  if (!MayContainPii(*s)) return false;
  std::string_view in(*s);
  size_t b, e, pos = 0;
  const char* label;
  if (!FindNext(in, 0, &b, &e, &label)) return false;
  std::string out;
  out.reserve(s->size());
  do {
    out.append(in.substr(pos, b - pos));
    out.append(label);
    pos = e;
  } while (FindNext(in, pos, &b, &e, &label));
  out.append(in.substr(pos));
  *s = std::move(out);
  return true;
}

}  // namespace tapistry
