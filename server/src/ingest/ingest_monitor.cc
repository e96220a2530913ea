#include "ingest/ingest_monitor.h"

#include <algorithm>
#include <vector>

#include "common/json_writer.h"
#include "ingest/project_cache.h"

namespace tapistry {

template <typename K>
void IngestMonitor::Trim(std::map<K, Problem>* m, size_t cap) {
  while (m->size() > cap) {
    auto oldest = std::min_element(m->begin(), m->end(), [](const auto& a, const auto& b) {
      return a.second.last_ms < b.second.last_ms;
    });
    m->erase(oldest);
  }
}

void IngestMonitor::Accepted(const std::string& project_id, std::string_view origin,
                             uint64_t events) {
  const int64_t now = clock_->NowMs();
  std::lock_guard lock(mu_);
  std::deque<Seen>& recent = projects_[project_id].recent;
  // Requests of one origin within a second are one line.
  if (!recent.empty() && recent.front().origin == origin && now - recent.front().ts_ms < 1000) {
    recent.front().accepted += events;
    recent.front().ts_ms = now;
    return;
  }
  recent.push_front({now, std::string(origin.substr(0, 256)), events});
  if (recent.size() > kRecent) recent.pop_back();
}

void IngestMonitor::Refused(const std::string& project_id, std::string_view origin,
                            std::string_view reason) {
  const int64_t now = clock_->NowMs();
  ProblemKey key{std::string(reason), std::string(origin.substr(0, 256))};
  std::lock_guard lock(mu_);
  std::map<ProblemKey, Problem>& m = project_id.empty() ? unknown_ : projects_[project_id].problems;
  Problem& p = m[key];
  ++p.count;
  p.last_ms = now;
  Trim(&m, project_id.empty() ? kUnknownOrigins : kProblems);
}

std::string IngestMonitor::StatusJson(const Project& p) const {
  std::lock_guard lock(mu_);
  static const PerProject kNone;
  auto it = projects_.find(p.id);
  const PerProject& mine = it == projects_.end() ? kNone : it->second;
  // Problems, with the unknown-key refusals from an origin this project owns: one it allows, or,
  // without an allowlist, one its events came from.
  std::vector<std::pair<ProblemKey, Problem>> problems(mine.problems.begin(), mine.problems.end());
  for (const auto& [key, prob] : unknown_) {
    const std::string& origin = key.second;
    if (origin.empty()) continue;
    bool ours = !p.allowed_origins.empty() && OriginAllowed(p, origin);
    for (const Seen& s : mine.recent) ours |= p.allowed_origins.empty() && s.origin == origin;
    if (ours) problems.emplace_back(key, prob);
  }
  std::sort(problems.begin(), problems.end(),
            [](const auto& a, const auto& b) { return a.second.last_ms > b.second.last_ms; });
  JsonWriter w;
  w.BeginObject()
      .Key("last_event_ms")
      .Int(mine.recent.empty() ? 0 : mine.recent.front().ts_ms)
      .Key("last_origin")
      .String(mine.recent.empty() ? "" : mine.recent.front().origin)
      .Key("recent")
      .BeginArray();
  for (const Seen& s : mine.recent) {
    w.BeginObject().Key("ts_ms").Int(s.ts_ms).Key("origin").String(s.origin);
    w.Key("accepted").Uint(s.accepted).EndObject();
  }
  w.EndArray().Key("problems").BeginArray();
  for (const auto& [key, prob] : problems) {
    w.BeginObject().Key("reason").String(key.first).Key("origin").String(key.second);
    w.Key("count").Uint(prob.count).Key("last_ms").Int(prob.last_ms).EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

}  // namespace tapistry
