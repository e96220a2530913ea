// EmbeddedEventStore: compaction, DSAR deletes and retention — the operations that replace
// segments. Each one writes its new segments first, then publishes the change with one manifest
// write, then unlinks the files it replaced (queries still reading them keep their descriptors).
#include <algorithm>
#include <numeric>
#include <set>

#include "store/embedded/embedded_event_store.h"
#include "store/embedded/file_util.h"

namespace tapistry::store {

Status EmbeddedEventStore::CompactAll() {
  std::lock_guard<std::mutex> l(maint_mu_);
  return MaybeCompact(true);
}

Status EmbeddedEventStore::MaybeCompact(bool everything) {
  auto v = CurrentVersion();
  const int64_t now = clock_->NowMs();
  for (const auto& [key, list] : v->partitions) {
    // A segment holding both humans and bots (written before partitions were split by bot score)
    // is split first, alone: until then every query without bots copies its human rows.
    bool split = false;
    for (const SegEntry& s : list) {
      if (BotRowsOf(s.seg->footer()) != BotRows::kSome) continue;
      TAP_RETURN_IF_ERROR(CompactPartition(key, {s}));
      split = true;
    }
    if (split || list.size() < 2) continue;
    std::vector<SegEntry> inputs = list;
    std::sort(inputs.begin(), inputs.end(),
              [](const SegEntry& a, const SegEntry& b) { return a.meta.rows < b.meta.rows; });
    int64_t newest = 0;
    for (const SegEntry& s : inputs) newest = std::max(newest, s.created_ms);
    const bool cold = everything || now - newest >= kColdPartitionMs;
    if (!cold) {
      if (inputs.size() < kCompactionTrigger) continue;
      // While a day still receives rows, leave a dominant segment alone so it is rewritten
      // only when the small ones add up (keeps write amplification logarithmic).
      uint64_t rest = 0;
      for (size_t i = 0; i + 1 < inputs.size(); ++i) rest += inputs[i].meta.rows;
      if (inputs.back().meta.rows > 4 * rest) inputs.pop_back();
    }
    // Smallest first, up to the size cap.
    uint64_t rows = 0;
    size_t n = 0;
    while (n < inputs.size() && rows + inputs[n].meta.rows <= kMaxCompactedRows)
      rows += inputs[n++].meta.rows;
    inputs.resize(n);
    if (inputs.size() < 2) continue;
    TAP_RETURN_IF_ERROR(CompactPartition(key, inputs));
  }
  return Status::Ok();
}

Status EmbeddedEventStore::PublishReplacement(const Edit& e) {
  Status s;
  {
    std::lock_guard<std::mutex> l(manifest_mu_);
    s = LogAndApply(e, nullptr);
  }
  if (!s.ok()) DiscardAdded(e);
  return s;
}

void EmbeddedEventStore::DiscardAdded(const Edit& e) {
  // Best effort: a file left behind is named by no manifest, so no query ever reads it.
  for (const SegEntry& out : e.add) (void)RemoveAll(out.seg->path(), env_);
}

Status EmbeddedEventStore::CompactPartition(const PartitionKey& key,
                                            const std::vector<SegEntry>& inputs) {
  const int64_t start = clock_->MonoNs();
  RowBatch batch;
  std::vector<uint32_t> all;
  for (const SegEntry& in : inputs) {
    Columns cols;
    TAP_RETURN_IF_ERROR(in.seg->Load(kAllColumns, &cols));
    all.resize(cols.rows);
    std::iota(all.begin(), all.end(), 0u);
    batch.AppendRows(cols, all);
  }
  all.resize(batch.rows());
  std::iota(all.begin(), all.end(), 0u);
  Edit e;
  // One segment out, or two when the inputs held bots among humans (see MaybeCompact).
  TAP_RETURN_IF_ERROR(
      WriteSplit(batch.raw(), all, key.project_id, key.day, kCompactionZstdLevel, &e.add));
  for (const SegEntry& in : inputs) e.remove.emplace_back(key, in.meta.file_id);
  TAP_RETURN_IF_ERROR(PublishReplacement(e));
  for (const SegEntry& in : inputs) (void)RemoveAll(in.seg->path(), env_);
  compactions_++;
  last_compaction_ms_ = static_cast<double>(clock_->MonoNs() - start) / 1e6;
  return Status::Ok();
}

Result<std::vector<Uuid>> EmbeddedEventStore::SubjectSessions(
    const std::string& project_id, const std::optional<Uuid>& anonymous_id,
    const std::optional<std::string>& user_id) {
  const bool by_user = user_id.has_value() && !user_id->empty();
  if (!anonymous_id && !by_user)
    return Status::InvalidArgument("SubjectSessions needs an anonymous_id or user_id");
  EventFilter f;
  f.project_id = project_id;
  f.from_day = 0;
  f.to_day = INT32_MAX;
  f.include_bots = true;
  std::set<Uuid> sessions;
  TAP_RETURN_IF_ERROR(ScanSelected(
      f, std::nullopt,
      Bit(ColumnId::kSession) | Bit(ColumnId::kAnonymous) | Bit(StringColumnId(kStrUserId)),
      [&](const Source&, const SelectedRows& rows) {
        const Columns& c = rows.cols();
        for (size_t r = 0; r < c.rows; ++r) {
          if ((anonymous_id && c.anonymous.dict[c.anonymous.codes[r]] == *anonymous_id) ||
              (by_user && c.str[kStrUserId].Value(r) == *user_id)) {
            sessions.insert(c.session.dict[c.session.codes[r]]);
          }
        }
        return Status::Ok();
      }));
  return std::vector<Uuid>(sessions.begin(), sessions.end());
}

Result<std::vector<Event>> EmbeddedEventStore::SubjectEvents(
    const std::string& project_id, const std::optional<Uuid>& anonymous_id,
    const std::optional<std::string>& user_id) {
  const bool by_user = user_id.has_value() && !user_id->empty();
  if (!anonymous_id && !by_user)
    return Status::InvalidArgument("SubjectEvents needs an anonymous_id or user_id");
  EventFilter f;
  f.project_id = project_id;
  f.from_day = INT32_MIN;
  f.to_day = INT32_MAX;
  f.include_bots = true;
  std::vector<Event> out;
  TAP_RETURN_IF_ERROR(
      ScanSelected(f, std::nullopt, kAllColumns, [&](const Source& src, const SelectedRows& rows) {
        const Columns& c = rows.cols();
        for (size_t r = 0; r < c.rows; ++r) {
          if (!rows.selected(r)) continue;
          if ((anonymous_id && c.anonymous.dict[c.anonymous.codes[r]] == *anonymous_id) ||
              (by_user && c.str[kStrUserId].Value(r) == *user_id)) {
            out.push_back(c.ToEvent(r, src.project_id()));
          }
        }
        return Status::Ok();
      }));
  std::sort(out.begin(), out.end(), [](const Event& a, const Event& b) {
    return a.ts_ms != b.ts_ms ? a.ts_ms < b.ts_ms : a.event_id < b.event_id;
  });
  return out;
}

Result<uint64_t> EmbeddedEventStore::DeleteSubject(const std::string& project_id,
                                                   const std::optional<Uuid>& anonymous_id,
                                                   const std::optional<std::string>& user_id) {
  const bool by_user =
      user_id.has_value() && !user_id->empty();  // "" means "no user", never a subject
  if (!anonymous_id && !by_user)
    return Status::InvalidArgument("DeleteSubject needs an anonymous_id or user_id");
  auto matches = [&](const Columns& c, uint32_t r) {
    return (anonymous_id && c.anonymous.dict[c.anonymous.codes[r]] == *anonymous_id) ||
           (by_user && c.str[kStrUserId].Value(r) == *user_id);
  };
  std::lock_guard<std::mutex> maint(maint_mu_);
  std::lock_guard<std::mutex> flush(flush_mu_);
  // Persist first: a deleted row must not come back from a WAL replay after a crash.
  TAP_RETURN_IF_ERROR(FlushLocked());
  uint64_t removed = 0;
  {
    // Rows appended since that flush: in the active memtable, or in one the WAL writer handed to
    // the flush thread meanwhile (it waits for flush_mu_, which we hold).
    std::unique_lock l(mu_);
    ForEachMemtableLocked([&](Memtable& m) {
      for (auto it = m.partitions.lower_bound({project_id, INT32_MIN});
           it != m.partitions.end() && it->first.project_id == project_id;) {
        size_t n = it->second->RemoveIf(matches);
        removed += n;
        m.rows -= n;
        it = it->second->rows() == 0 ? m.partitions.erase(it) : std::next(it);
      }
      m.ResetCache();
    });
  }
  auto v = CurrentVersion();
  Edit e;
  std::vector<std::string> replaced;
  for (auto it = v->partitions.lower_bound({project_id, INT32_MIN});
       it != v->partitions.end() && it->first.project_id == project_id; ++it) {
    for (const SegEntry& s : it->second) {
      // The dictionaries answer "is this subject here at all?" without reading rows.
      bool hit = false;
      if (anonymous_id) {
        std::vector<Uuid> dict;
        TAP_RETURN_IF_ERROR(s.seg->LoadUuidDict(ColumnId::kAnonymous, &dict));
        hit = std::binary_search(dict.begin(), dict.end(), *anonymous_id);
      }
      if (!hit && by_user) {
        StringColumn users;
        TAP_RETURN_IF_ERROR(s.seg->LoadStringDict(ColumnId::kUserId, &users));
        hit = std::find(users.dict.begin(), users.dict.end(), *user_id) != users.dict.end();
      }
      if (!hit) continue;
      Columns cols;
      TAP_RETURN_IF_ERROR(s.seg->Load(kAllColumns, &cols));
      std::vector<uint32_t> keep;
      for (uint32_t r = 0; r < cols.rows; ++r) {
        if (!matches(cols, r)) keep.push_back(r);
      }
      removed += cols.rows - keep.size();
      if (!keep.empty()) {
        Status w = WriteSplit(cols, keep, it->first.project_id, it->first.day, kCompactionZstdLevel,
                              &e.add);
        if (!w.ok()) {
          DiscardAdded(e);
          return w;
        }
      }
      e.remove.emplace_back(it->first, s.meta.file_id);
      replaced.push_back(s.seg->path());
    }
  }
  if (e.remove.empty()) return removed;
  TAP_RETURN_IF_ERROR(PublishReplacement(e));
  for (const std::string& p : replaced) (void)RemoveAll(p, env_);
  return removed;
}

Result<uint64_t> EmbeddedEventStore::ApplyRetention(const std::string& project_id, int32_t today,
                                                    int keep_days) {
  if (keep_days < 0) return Status::InvalidArgument("keep_days is negative");
  // Days before `cutoff` go: with keep_days = 0 only today stays.
  const int64_t cutoff64 = static_cast<int64_t>(today) - keep_days;
  if (cutoff64 <= INT32_MIN) return uint64_t{0};
  uint64_t removed = 0;
  const int32_t cutoff = static_cast<int32_t>(cutoff64);
  std::lock_guard<std::mutex> maint(maint_mu_);
  std::lock_guard<std::mutex> flush(flush_mu_);  // no memtable is half-way into segments now
  {
    // The active memtable and any handed off but not yet flushed (or whose flush failed): an
    // expired day left in one would come back as a segment when it is flushed.
    std::unique_lock l(mu_);
    ForEachMemtableLocked([&](Memtable& m) {
      for (auto it = m.partitions.lower_bound({project_id, INT32_MIN});
           it != m.partitions.end() && it->first.project_id == project_id &&
           it->first.day < cutoff;) {
        m.rows -= it->second->rows();
        removed += it->second->rows();
        it = m.partitions.erase(it);
      }
      m.ResetCache();
    });
  }
  auto v = CurrentVersion();
  Edit e;
  std::vector<int32_t> days;
  for (auto it = v->partitions.lower_bound({project_id, INT32_MIN});
       it != v->partitions.end() && it->first.project_id == project_id && it->first.day < cutoff;
       ++it) {
    for (const SegEntry& s : it->second) {
      e.remove.emplace_back(it->first, s.meta.file_id);
      removed += s.meta.rows;
    }
    if (days.empty() || days.back() != it->first.day) days.push_back(it->first.day);  // bots' too
  }
  if (e.remove.empty()) return removed;
  {
    std::lock_guard<std::mutex> l(manifest_mu_);
    TAP_RETURN_IF_ERROR(LogAndApply(e, nullptr));
  }
  const std::string project_dir = opts_.dir + "/" + ProjectDirName(project_id) + "/";
  for (int32_t day : days) TAP_RETURN_IF_ERROR(RemoveAll(project_dir + DayDirName(day), env_));
  return removed;
}

}  // namespace tapistry::store
