// Issue 12 acceptance, "DSAR delete leaves no trace": after POST /api/dsar/delete, a scan of every
// byte of every file under the data dir (event store segments and rollups, WAL files, blobs, the
// meta store with its -wal/-shm) finds none of the subject's ids or event contents, while the
// other subjects' data is intact; a restart does not bring the subject back.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "app/server_app_fixture.h"
#include "common/temp_dir.h"
#include "tapistry/event.h"

namespace tapistry {
namespace {

using testing::TestClient;
using testing::TestResponse;
using Headers = std::vector<std::pair<std::string, std::string>>;

struct Subject {
  std::string anon, session, user, canary;
  std::vector<std::string> event_ids;
};

std::string SubjectUuid(int kind, int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-5d6e-4f70-8a1b-%012d", 0x3c4d5e6f + kind, 700 + i);
  return buf;
}

// The needles one id leaves: its text and its 16 bytes, in both byte orders.
std::vector<std::string> UuidNeedles(const std::string& text) {
  std::vector<std::string> out{text};
  Uuid u;
  if (!Uuid::Parse(text, &u)) {
    ADD_FAILURE() << text;
    return out;
  }
  std::string hex;
  for (char c : text) {
    if (c != '-') hex += c;
  }
  std::string raw;
  for (size_t i = 0; i < 32; i += 2)
    raw += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  out.push_back(raw);
  out.emplace_back(raw.rbegin(), raw.rend());
  return out;
}

class DsarTest : public ServerAppTest {
 protected:
  TestResponse Req(const std::string& method, const std::string& target,
                   const std::string& body = "", const Headers& h = {}) {
    return TestClient(app_->port()).Request(method, target, body, h);
  }
  Subject MakeSubject(int i, bool with_user) {
    Subject s;
    s.anon = SubjectUuid(0, i);
    s.session = SubjectUuid(1, i);
    s.user = with_user ? "user-" + std::to_string(i) + "-k2v9q" : "";
    s.canary = "canary" + std::to_string(i) + "zq7w";
    for (int k = 0; k < 4; ++k) s.event_ids.push_back(SubjectUuid(2 + k, i));
    return s;
  }
  std::string Ev(const Subject& s, int k, const std::string& type, const std::string& extra) {
    std::string e = R"({"id":")" + s.event_ids[static_cast<size_t>(k)] + R"(","ts":)" + NowMs() +
                    R"(,"type":")" + type + R"(","session_id":")" + s.session +
                    R"(","anonymous_id":")" + s.anon + R"(",)";
    if (!s.user.empty()) e += R"("user_id":")" + s.user + R"(",)";
    return e + R"("url":"https://example.com/)" + s.canary + R"(-page","title":"T )" + s.canary +
           R"(","viewport":{"w":1440,"h":900})" + extra + "}";
  }
  void Ingest(const Subject& s) {
    auto r = Post(
        Batch({Ev(s, 0, "page_view", ""),
               Ev(s, 1, "click", R"(,"x":0.5,"y":0.25,"selector":"#buy-)" + s.canary + "\""),
               Ev(s, 2, "custom", R"(,"name":"signup","props":{"plan":"p-)" + s.canary + "\"}"),
               Ev(s, 3, "page_view", "")}));
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_NE(r.body.find("\"accepted\":4"), std::string::npos) << r.body;
    auto rec = Req("POST", "/r?k=" + key_, ReplayChunkBody(0, 0, "", s.session),
                   {{"Content-Type", "application/json"}, {"Origin", "https://example.com"}});
    ASSERT_EQ(rec.status, 200) << rec.body;
  }
  std::string PathOverview(const Subject& s) {
    auto r = Get("/api/overview?project_id=" + project_ + "&path=/" + s.canary + "-page");
    EXPECT_EQ(r.status, 200) << r.body;
    // The totals: the series and live_visitors move with the clock.
    return r.body.substr(0, r.body.find(",\"series\""));
  }
  // Every byte of every file under the data dir.
  std::vector<std::pair<std::string, std::string>> ReadDataDir() {
    std::vector<std::pair<std::string, std::string>> files;
    for (auto& e : std::filesystem::recursive_directory_iterator(cfg_.data)) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      files.emplace_back(e.path().string(), std::string(std::istreambuf_iterator<char>(in), {}));
    }
    return files;
  }
  // The files holding any needle of the subject, as "file: needle" lines.
  std::vector<std::string> Traces(const Subject& s) {
    std::vector<std::string> needles{s.canary};
    for (const std::string& id : {s.anon, s.session}) {
      for (std::string& n : UuidNeedles(id)) needles.push_back(std::move(n));
    }
    for (const std::string& id : s.event_ids) {
      for (std::string& n : UuidNeedles(id)) needles.push_back(std::move(n));
    }
    if (!s.user.empty()) needles.push_back(s.user);
    std::vector<std::string> found;
    for (const auto& [path, bytes] : ReadDataDir()) {
      for (size_t i = 0; i < needles.size(); ++i) {
        if (bytes.find(needles[i]) != std::string::npos)
          found.push_back(path + ": needle " + std::to_string(i));
      }
    }
    return found;
  }
  bool CanaryOnDisk(const Subject& s) {
    for (const auto& [path, bytes] : ReadDataDir()) {
      if (bytes.find(s.canary) != std::string::npos) return true;
    }
    return false;
  }
  TestResponse Dsar(const std::string& body) {
    return Req("POST", "/api/dsar/delete", body,
               {{"Cookie", session_.first}, {"X-CSRF-Token", session_.second}});
  }
  std::pair<std::string, std::string> session_;
};

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += s + "\n";
  return out;
}

TEST_F(DsarTest, DeleteLeavesNoTraceInAnyFileAndKeepsEveryoneElse) {
  Start();
  std::vector<Subject> subjects;
  for (int i = 0; i < 4; ++i) subjects.push_back(MakeSubject(i, i % 2 == 1));
  for (const Subject& s : subjects) Ingest(s);
  // A heatmap snapshot of a page every subject saw: pages, never visitors.
  ASSERT_EQ(Req("POST", "/s?k=" + key_,
                R"({"url":"https://example.com/landing","viewport":{"w":1440,"h":900},)"
                R"("doc":{"w":1440,"h":3000},"h":1,"html":"<html><body>x</body></html>"})")
                .status,
            202);
  std::vector<std::string> before;
  for (const Subject& s : subjects) before.push_back(PathOverview(s));
  for (const Subject& s : subjects) {
    EXPECT_NE(before[&s - subjects.data()].find(R"("pageviews":2,"sessions":1,"visitors":1)"),
              std::string::npos)
        << before[&s - subjects.data()];
    // The scan sees what it looks for: every subject is on disk now.
    EXPECT_FALSE(Traces(s).empty()) << s.canary;
  }
  const std::string totals_before = OverviewTotals();
  EXPECT_EQ(totals_before, R"({"totals":{"pageviews":8,"sessions":4,"visitors":4},)");

  session_ = SignIn();
  auto by_anon =
      Dsar(R"({"project_id":")" + project_ + R"(","anonymous_id":")" + subjects[0].anon + R"("})");
  ASSERT_EQ(by_anon.status, 200) << by_anon.body;
  EXPECT_EQ(by_anon.body, R"({"deleted":4,"sessions":1,"recordings_deleted":1})");
  auto by_user =
      Dsar(R"({"project_id":")" + project_ + R"(","user_id":")" + subjects[1].user + R"("})");
  ASSERT_EQ(by_user.status, 200) << by_user.body;
  EXPECT_EQ(by_user.body, R"({"deleted":4,"sessions":1,"recordings_deleted":1})");

  auto check = [&](const char* when, const std::string& totals) {
    for (int i : {0, 1}) {
      EXPECT_EQ(Join(Traces(subjects[static_cast<size_t>(i)])), "")
          << when << ": subject " << i << " left traces";
      EXPECT_NE(PathOverview(subjects[static_cast<size_t>(i)])
                    .find(R"("pageviews":0,"sessions":0,"visitors":0)"),
                std::string::npos)
          << when;
    }
    for (int i : {2, 3}) {
      EXPECT_EQ(PathOverview(subjects[static_cast<size_t>(i)]), before[static_cast<size_t>(i)])
          << when;
      // Their bytes are still on disk (and the scan can see them where they are stored).
      EXPECT_TRUE(CanaryOnDisk(subjects[static_cast<size_t>(i)])) << when << ": subject " << i;
    }
    EXPECT_EQ(OverviewTotals(), totals) << when;
    auto list = Get("/api/replays?project_id=" + project_);
    EXPECT_EQ(list.body.find(subjects[0].session), std::string::npos) << when;
    EXPECT_NE(list.body.find(subjects[2].session), std::string::npos) << when;
  };
  const std::string kept = R"({"totals":{"pageviews":4,"sessions":2,"visitors":2},)";
  check("after the delete", kept);
  // The kept subjects' events are still stored in full: the WAL retired, they are in segments.
  auto events = Get("/api/events?project_id=" + project_ + "&limit=100");
  for (int i : {2, 3}) {
    EXPECT_NE(events.body.find(subjects[static_cast<size_t>(i)].canary), std::string::npos);
  }
  // What kill -9 right after the answer leaves: the files as they are while the server runs
  // (every write the delete made has returned), copied and opened by a new server below.
  TempDir crashed("tap-dsar-crash");
  std::filesystem::copy(
      dir_.path(), crashed.path(),
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  // A restart replays the WAL and reopens every store: nothing comes back.
  app_.reset();
  Start();
  check("after a restart", kept);
  ASSERT_EQ(Post(Batch({Event(90)})).status, 200);
  app_.reset();
  Start();
  check("after a second restart", R"({"totals":{"pageviews":5,"sessions":3,"visitors":3},)");
  // The crashed copy: recovery replays its WAL; the deleted subjects stay deleted.
  app_.reset();
  const std::string data = cfg_.data;
  cfg_.data = crashed.path();
  Start();
  check("after a crash", kept);
  app_.reset();
  cfg_.data = data;
}

TEST_F(DsarTest, ExportGivesEveryEventAndSessionOfTheSubjectToOwnersOnly) {
  Start();
  std::vector<Subject> subjects;
  for (int i = 0; i < 3; ++i) subjects.push_back(MakeSubject(i, true));
  for (const Subject& s : subjects) Ingest(s);
  // Subject 0 has a second session without a recording.
  Subject second = subjects[0];
  second.session = SubjectUuid(9, 0);
  second.event_ids = {SubjectUuid(10, 0)};
  ASSERT_EQ(Post(Batch({Ev(second, 0, "page_view", "")})).status, 200);
  session_ = SignIn();
  const Headers owner{{"Cookie", session_.first}};
  const std::string base = "/api/dsar/export?project_id=" + project_;
  EXPECT_EQ(Req("GET", base + "&anonymous_id=" + subjects[0].anon, "",
                {{"Authorization", "Bearer " + token_}})
                .status,
            401)
      << "a read token cannot export";
  EXPECT_EQ(Req("GET", base, "", owner).status, 400) << "no subject";
  EXPECT_EQ(Req("GET", base + "&anonymous_id=nope", "", owner).status, 400);
  EXPECT_EQ(
      Req("GET", base + "&anonymous_id=" + subjects[0].anon + "&format=xml", "", owner).status,
      400);

  auto json = Req("GET", base + "&anonymous_id=" + subjects[0].anon, "", owner);
  ASSERT_EQ(json.status, 200) << json.body;
  for (const std::string& id : subjects[0].event_ids)
    EXPECT_NE(json.body.find("\"id\":\"" + id + "\""), std::string::npos) << id;
  EXPECT_NE(json.body.find(second.event_ids[0]), std::string::npos);
  EXPECT_NE(json.body.find("p-" + subjects[0].canary), std::string::npos) << "props are exported";
  EXPECT_NE(json.body.find(R"("session_id":")" + subjects[0].session + R"(","recorded":true)"),
            std::string::npos)
      << json.body;
  EXPECT_NE(json.body.find(R"("session_id":")" + second.session + R"(","recorded":false)"),
            std::string::npos)
      << json.body;
  size_t n = 0;
  for (size_t at = 0; (at = json.body.find("\"ingest_ts\"", at)) != std::string::npos; ++at) ++n;
  EXPECT_EQ(n, 5u) << "the subject's five events, nobody else's";
  for (int i : {1, 2}) {
    EXPECT_EQ(json.body.find(subjects[static_cast<size_t>(i)].canary), std::string::npos);
  }

  auto csv = Req("GET", base + "&user_id=" + subjects[1].user + "&format=csv", "", owner);
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_NE(csv.Header("Content-Type").find("text/csv"), std::string::npos);
  EXPECT_EQ(csv.body.substr(0, csv.body.find("\r\n")),
            "id,ts,ingest_ts,type,name,session_id,session_recorded,anonymous_id,user_id,url,path,"
            "title,referrer,props,device_class,browser,os,country");
  size_t lines = 0;
  for (char c : csv.body) lines += c == '\n';
  EXPECT_EQ(lines, 5u) << csv.body;  // the header and four events
  for (const std::string& id : subjects[1].event_ids)
    EXPECT_NE(csv.body.find(id + ","), std::string::npos) << id;
  EXPECT_NE(csv.body.find(subjects[1].session + ",1,"), std::string::npos) << csv.body;
  EXPECT_EQ(csv.body.find(subjects[0].canary), std::string::npos);

  // Audited, without whose history it was.
  auto audit = Req("GET", "/api/audit?project_id=" + project_, "", owner);
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_NE(audit.body.find("dsar.export"), std::string::npos) << audit.body;
  for (const Subject& s : subjects) {
    EXPECT_EQ(audit.body.find(s.anon), std::string::npos);
    EXPECT_EQ(audit.body.find(s.user), std::string::npos);
  }
  // After a delete there is nothing left to export.
  ASSERT_EQ(
      Dsar(R"({"project_id":")" + project_ + R"(","anonymous_id":")" + subjects[0].anon + R"("})")
          .status,
      200);
  auto empty = Req("GET", base + "&anonymous_id=" + subjects[0].anon, "", owner);
  EXPECT_EQ(empty.body, R"({"events":[],"sessions":[],"recordings":[]})");
}

}  // namespace
}  // namespace tapistry
