#include "ingest/project_cache.h"

namespace tapistry {

bool OriginAllowed(const Project& p, const std::string& origin) {
  if (p.allowed_origins.empty()) return true;
  for (const std::string& a : p.allowed_origins) {
    if (a == origin || a == "*") return true;
    // "https://*.example.com" allows https://shop.example.com
    size_t star = a.find("://*.");
    if (star != std::string::npos) {
      std::string scheme = a.substr(0, star + 3);
      std::string suffix = a.substr(star + 4);  // ".example.com"
      if (origin.starts_with(scheme) && origin.ends_with(suffix) &&
          origin.size() > scheme.size() + suffix.size()) {
        return true;
      }
    }
  }
  return false;
}

Result<std::shared_ptr<const Project>> ProjectCache::ByKey(const std::string& key) {
  int64_t now = clock_->NowMs();
  {
    std::lock_guard lock(mu_);
    auto it = by_key_.find(key);
    if (it != by_key_.end() && it->second.expires_ms > now) {
      if (!it->second.project) return Status::Unauthenticated("unknown project key");
      return it->second.project;
    }
  }
  auto r = meta_->FindProjectByKey(key);
  std::shared_ptr<const Project> p;
  if (r.ok()) {
    p = std::make_shared<const Project>(std::move(r).value());
  } else if (r.status().code() != StatusCode::kNotFound) {
    return r.status();
  }
  std::lock_guard lock(mu_);
  if (by_key_.size() > 100000) by_key_.clear();  // bound memory against key-guessing floods
  by_key_[key] = Entry{p, now + ttl_ms_};
  if (!p) return Status::Unauthenticated("unknown project key");
  return p;
}

bool ProjectCache::AnyProjectAllowsOrigin(const std::string& origin) {
  int64_t now = clock_->NowMs();
  {
    std::lock_guard lock(mu_);
    auto it = origins_.find(origin);
    if (it != origins_.end() && it->second.second > now) return it->second.first;
  }
  bool allowed = false;
  auto list = meta_->ListProjects();
  if (list.ok()) {
    for (const Project& p : *list) {
      if (OriginAllowed(p, origin)) {
        allowed = true;
        break;
      }
    }
  }
  std::lock_guard lock(mu_);
  if (origins_.size() > 10000) origins_.clear();
  origins_[origin] = {allowed, now + ttl_ms_};
  return allowed;
}

void ProjectCache::Invalidate() {
  std::lock_guard lock(mu_);
  by_key_.clear();
  origins_.clear();
}

}  // namespace tapistry
