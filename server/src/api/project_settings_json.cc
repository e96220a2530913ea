#include "api/project_settings_json.h"

#include <simdjson.h>

#include <cmath>

#include "common/ascii.h"
#include "common/json_writer.h"
#include "ingest/url.h"
#include "tapistry/limits.h"

namespace tapistry {
namespace {

struct IntSetting {
  const char* key;
  int ProjectSettings::*field;
  int64_t min, max;
  const char* meaning;
};

constexpr IntSetting kIntSettings[] = {
    {"retention_days", &ProjectSettings::retention_days, 1, 3650, "days of events kept"},
    {"replay_retention_days", &ProjectSettings::replay_retention_days, 1, 3650,
     "days recordings are kept"},
    {"replay_session_kb", &ProjectSettings::replay_session_kb, 64, 65536,
     "compressed KB one recorded session may store"},
    {"rate_project_rps", &ProjectSettings::rate_project_rps, 0, 1000000,
     "requests per second for the project (0: the server default)"},
    {"rate_ip_rps", &ProjectSettings::rate_ip_rps, 0, 1000000,
     "requests per second per client address (0: the server default)"},
    {"rate_session_eps", &ProjectSettings::rate_session_eps, 0, 1000000,
     "events per second per session (0: the server default)"},
};

struct BoolSetting {
  const char* key;
  bool ProjectSettings::*field;
};

constexpr BoolSetting kBoolSettings[] = {
    {"store_raw_ua", &ProjectSettings::store_raw_ua},
    {"respect_dnt", &ProjectSettings::respect_dnt},
    {"respect_gpc", &ProjectSettings::respect_gpc},
    {"cookieless", &ProjectSettings::cookieless},
    {"require_consent", &ProjectSettings::require_consent},
};

struct RateSetting {
  const char* key;
  double ProjectSettings::*field;
  const char* meaning;
};

constexpr RateSetting kRateSettings[] = {
    {"event_sample_rate", &ProjectSettings::event_sample_rate,
     "0.5 stores the events of half the sessions"},
    {"replay_sample_rate", &ProjectSettings::replay_sample_rate, "0.3 records 30% of sessions"},
};

struct ListSetting {
  const char* key;
  std::vector<std::string> ProjectSettings::*field;
  size_t max_items, max_bytes;
  Status (*check)(std::string_view item);  // more than the size, or null
};

constexpr ListSetting kListSettings[] = {
    {"replay_allow_selectors", &ProjectSettings::replay_allow_selectors,
     limits::kMaxReplaySelectors, limits::kMaxReplaySelectorBytes, nullptr},
    {"replay_mask_selectors", &ProjectSettings::replay_mask_selectors, limits::kMaxReplaySelectors,
     limits::kMaxReplaySelectorBytes, nullptr},
    {"replay_ignore_selectors", &ProjectSettings::replay_ignore_selectors,
     limits::kMaxReplaySelectors, limits::kMaxReplaySelectorBytes, nullptr},
    {"query_allowlist", &ProjectSettings::query_allowlist, 50, 64, nullptr},
    {"path_rules", &ProjectSettings::path_rules, kMaxPathRules, kMaxPathRuleBytes,
     &ValidatePathRule},
};

constexpr size_t kMaxAllowedOrigins = 100;

bool HostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '[' ||
         c == ']' || c == ':';
}

}  // namespace

Result<std::string> NormalizeAllowedOrigin(std::string_view origin) {
  const Status bad = Status::InvalidArgument(
      "allowed_origins: \"" + std::string(origin.substr(0, 100)) +
      "\" is not an origin; write scheme://host[:port] like https://example.com, "
      "https://*.example.com for its subdomains, or * for any site");
  std::string o(origin);
  for (char& c : o) c = ascii::ToLower(c);
  while (!o.empty() && o.back() == '/') o.pop_back();
  if (o == "*") return o;
  size_t rest = 0;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (std::string_view(o).starts_with(scheme)) rest = scheme.size();
  }
  if (rest == 0 || o.size() == rest || o.size() > 256) return bad;
  std::string_view host(o);
  host.remove_prefix(rest);
  if (host.starts_with("*.")) host.remove_prefix(2);
  if (host.empty() || host.front() == '.' || host.front() == ':') return bad;
  for (char c : host) {
    if (!HostChar(c)) return bad;
  }
  return o;
}

void WriteProjectSettingsJson(const Project& p, JsonWriter* w) {
  const ProjectSettings& s = p.settings;
  w->BeginObject();
  w->Key("allowed_origins").BeginArray();
  for (const std::string& o : p.allowed_origins) w->String(o);
  w->EndArray();
  for (const IntSetting& i : kIntSettings) w->Key(i.key).Int(s.*i.field);
  for (const BoolSetting& b : kBoolSettings) w->Key(b.key).Bool(s.*b.field);
  for (const RateSetting& r : kRateSettings) w->Key(r.key).Double(s.*r.field);
  for (const ListSetting& l : kListSettings) {
    w->Key(l.key).BeginArray();
    for (const std::string& v : s.*l.field) w->String(v);
    w->EndArray();
  }
  w->EndObject();
}

Status ApplyProjectSettingsPatch(const simdjson::dom::element& patch, Project* p,
                                 std::vector<SettingChange>* changed) {
  if (!patch.is_object()) return Status::InvalidArgument("settings must be a JSON object");
  Project next = *p;
  ProjectSettings& s = next.settings;
  std::vector<std::string> keys;
  for (auto f : patch.get_object()) {
    const std::string key(f.key);
    if (key == "project_id") continue;
    keys.push_back(key);
    const simdjson::dom::element v = f.value;
    bool known = false;
    for (const IntSetting& i : kIntSettings) {
      if (key != i.key) continue;
      known = true;
      int64_t n = 0;
      if (!v.is_int64() || (n = int64_t(v)) < i.min || n > i.max) {
        return Status::InvalidArgument(key + " must be a whole number " + std::to_string(i.min) +
                                       ".." + std::to_string(i.max) + " (" + i.meaning + ")");
      }
      s.*i.field = static_cast<int>(n);
    }
    for (const BoolSetting& b : kBoolSettings) {
      if (key != b.key) continue;
      known = true;
      if (!v.is_bool()) return Status::InvalidArgument(key + " must be true or false");
      s.*b.field = bool(v);
    }
    for (const ListSetting& l : kListSettings) {
      if (key != l.key) continue;
      known = true;
      const Status bad = Status::InvalidArgument(key + " must be a list of at most " +
                                                 std::to_string(l.max_items) + " strings of 1.." +
                                                 std::to_string(l.max_bytes) + " bytes");
      if (!v.is_array()) return bad;
      std::vector<std::string> list;
      for (auto item : v.get_array()) {
        if (!item.is_string()) return bad;
        std::string_view text = item;
        if (text.empty() || text.size() > l.max_bytes || list.size() >= l.max_items) return bad;
        if (l.check != nullptr) {
          if (Status c = l.check(text); !c.ok()) return c;
        }
        list.emplace_back(text);
      }
      s.*l.field = std::move(list);
    }
    for (const RateSetting& rs : kRateSettings) {
      if (key != rs.key) continue;
      known = true;
      double r = -1;
      if (v.is_number()) r = v.get_double().value_unsafe();
      if (!(r >= 0 && r <= 1))
        return Status::InvalidArgument(key + " must be a number 0..1 (" + rs.meaning + ")");
      s.*rs.field = r;
    }
    if (key == "allowed_origins") {
      known = true;
      if (!v.is_array()) return Status::InvalidArgument("allowed_origins must be a list");
      std::vector<std::string> origins;
      for (auto item : v.get_array()) {
        if (!item.is_string()) return Status::InvalidArgument("allowed_origins must be strings");
        auto o = NormalizeAllowedOrigin(std::string_view(item));
        if (!o.ok()) return o.status();
        if (origins.size() >= kMaxAllowedOrigins)
          return Status::InvalidArgument("allowed_origins holds at most 100 entries");
        origins.push_back(*o);
      }
      // "*" alone is the same as no list: any site.
      if (origins.size() == 1 && origins[0] == "*") origins.clear();
      next.allowed_origins = std::move(origins);
    }
    if (!known) return Status::InvalidArgument("unknown setting \"" + key.substr(0, 64) + "\"");
  }
  // A key changed when its value, as written back, differs.
  JsonWriter before, after;
  WriteProjectSettingsJson(*p, &before);
  WriteProjectSettingsJson(next, &after);
  simdjson::dom::parser pa, pb;
  simdjson::dom::element a, b;
  if (pa.parse(before.str()).get(a) || pb.parse(after.str()).get(b))
    return Status::Internal("settings do not serialize");
  for (const std::string& k : keys) {
    std::string from = simdjson::minify(a[k]), to = simdjson::minify(b[k]);
    if (from != to) changed->push_back({k, std::move(from), std::move(to)});
  }
  *p = std::move(next);
  return Status::Ok();
}

}  // namespace tapistry
