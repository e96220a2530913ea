// The MetaStore contract's shared helpers (include/tapistry/meta_store.h).
#include <string_view>

#include "tapistry/limits.h"
#include "tapistry/meta_store.h"

namespace tapistry {

std::string_view RoleName(Role r) { return r == Role::kOwner ? "owner" : "member"; }

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "owner") return Role::kOwner;
  if (name == "member") return Role::kMember;
  return std::nullopt;
}

Result<std::string> NormalizeEmail(std::string_view email) {
  while (!email.empty() && (email.front() == ' ' || email.front() == '\t')) email.remove_prefix(1);
  while (!email.empty() && (email.back() == ' ' || email.back() == '\t')) email.remove_suffix(1);
  if (email.empty() || email.size() > limits::kMaxEmailBytes)
    return Status::InvalidArgument("an email address is 1.." +
                                   std::to_string(limits::kMaxEmailBytes) + " bytes");
  std::string out;
  out.reserve(email.size());
  for (char c : email) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f ||
        std::string_view("<>()[],;:\\\"").find(c) != std::string_view::npos)
      return Status::InvalidArgument(
          "an email address has no spaces, control characters or <>()[],;:\\\"");
    out.push_back(u >= 'A' && u <= 'Z' ? static_cast<char>(u - 'A' + 'a') : c);
  }
  const size_t at = out.find('@');
  if (at == std::string::npos || at == 0 || out.find('@', at + 1) != std::string::npos ||
      out.find('.', at + 2) == std::string::npos || out.back() == '.')
    return Status::InvalidArgument("not an email address (expected name@example.com)");
  return out;
}

}  // namespace tapistry
