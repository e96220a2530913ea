#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <numeric>

#include "common/crc32c.h"
#include "common/event_testing.h"
#include "store/embedded/file_util.h"
#include "store/embedded/row_batch.h"
#include "store/embedded/segment_reader.h"
#include "store/embedded/segment_writer.h"
#include "store/embedded/test_util.h"

namespace tapistry::store {
namespace {

using testing::kDay;
using testing::kT0;
using testing::MakeEvent;
using testing::TempDir;
using testing::U;

// Plain write: the corruption sweep writes a file per byte, and fsync would make it take seconds.
void WriteQuick(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

std::vector<uint32_t> AllRows(size_t n) {
  std::vector<uint32_t> v(n);
  std::iota(v.begin(), v.end(), 0u);
  return v;
}

Event Rich(int i) {
  Event e = MakeEvent("p1", kT0 + 1000 * (50 - i), U(10 + i % 3, 7), U(100 + i % 2),
                      EventType::kClick, "/page/" + std::to_string(i % 4));
  e.user_id = i % 2 ? "user-1" : "";
  e.title = "Title";
  e.referrer = "https://ref.example/";
  e.utm_source = "news";
  e.device_class = DeviceClass::kMobile;
  e.browser = "Firefox";
  e.os = "Android";
  e.country[0] = 'D';
  e.country[1] = 'E';
  e.viewport_w = static_cast<uint16_t>(360 + i);
  e.viewport_h = 640;
  if (i % 3 != 0) {
    e.x = 0.25f + i * 0.01f;
    e.y = 0.5f;
    e.ex = 0.1f;
    e.ey = 0.9f;
  }
  e.selector_hash = 0xabcdef0000ULL + i;
  e.selector = "div > a";
  e.flags = static_cast<uint8_t>(i % 4);
  e.depth_pct = static_cast<uint8_t>(i % 101);
  e.bot_score = 3;
  e.props = "{\"k\":" + std::to_string(i) + "}";
  return e;
}

class SegmentTest : public ::testing::Test {
 protected:
  void WriteRich(int n, std::vector<Event>* events) {
    RowBatch batch;
    for (int i = 0; i < n; ++i) {
      events->push_back(Rich(i));
      batch.Append(events->back());
    }
    uint64_t size = 0;
    SegmentFooter footer;
    ASSERT_TRUE(
        WriteSegmentFile(batch.raw(), AllRows(batch.rows()), {"p1", kDay, 3}, path_, &footer, &size)
            .ok());
    EXPECT_EQ(footer.rows, static_cast<uint64_t>(n));
  }
  TempDir dir_;
  std::string path_ = dir_.path() + "/a.seg";
};

TEST_F(SegmentTest, RoundTripsEveryColumnSortedBySessionThenTime) {
  std::vector<Event> events;
  WriteRich(40, &events);
  auto seg = Segment::Open(path_);
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  Columns cols;
  ASSERT_TRUE((*seg)->Load(kAllColumns, &cols).ok());
  ASSERT_EQ(cols.rows, 40u);
  EXPECT_EQ((*seg)->footer().project_id, "p1");
  EXPECT_EQ((*seg)->footer().day, kDay);
  EXPECT_EQ(cols.session.dict.size(), 3u);
  EXPECT_EQ(cols.anonymous.dict.size(), 2u);
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return std::tie(a.session_id, a.ts_ms) < std::tie(b.session_id, b.ts_ms);
  });
  for (size_t r = 0; r < cols.rows; ++r) ExpectSameEvent(cols.ToEvent(r, "p1"), events[r]);
  uint32_t total = 0;
  for (uint32_t n : cols.session.runs) total += n;
  EXPECT_EQ(total, 40u);
}

TEST_F(SegmentTest, LoadsOnlyRequestedColumns) {
  std::vector<Event> events;
  WriteRich(10, &events);
  auto seg = Segment::Open(path_);
  ASSERT_TRUE(seg.ok());
  Columns cols;
  ASSERT_TRUE((*seg)->Load(Bit(ColumnId::kType) | Bit(ColumnId::kPath), &cols).ok());
  EXPECT_EQ(cols.type.size(), 10u);
  EXPECT_EQ(cols.str[kStrPath].codes.size(), 10u);
  EXPECT_TRUE(cols.ts.empty());
  EXPECT_TRUE(cols.str[kStrUrl].codes.empty());
  std::vector<Uuid> dict;
  ASSERT_TRUE((*seg)->LoadUuidDict(ColumnId::kAnonymous, &dict).ok());
  EXPECT_EQ(dict, (std::vector<Uuid>{U(100), U(101)}));
}

TEST_F(SegmentTest, SelectedRowsOnly) {
  RowBatch batch;
  for (int i = 0; i < 10; ++i) batch.Append(Rich(i));
  std::vector<uint32_t> rows = {0, 3, 4};  // sessions 10, 10, 11
  std::string bytes;
  SegmentFooter footer;
  ASSERT_TRUE(EncodeSegment(batch.raw(), rows, {"p1", kDay, 1}, &bytes, &footer).ok());
  EXPECT_EQ(footer.rows, 3u);
  EXPECT_EQ(footer.Find(ColumnId::kSession)->dict_size, 2u);
}

TEST_F(SegmentTest, RejectsRowsOutsideTheDay) {
  RowBatch batch;
  batch.Append(MakeEvent("p1", kT0 - 1, U(1), U(1)));
  std::string bytes;
  SegmentFooter footer;
  EXPECT_FALSE(EncodeSegment(batch.raw(), AllRows(1), {"p1", kDay, 1}, &bytes, &footer).ok());
}

// Flipping a byte of the file must give an error, never a crash or silent garbage. Every byte
// of the footer and trailer is tried; data streams (each CRC-guarded alike) are sampled.
TEST_F(SegmentTest, EveryCorruptByteIsDetected) {
  std::vector<Event> events;
  WriteRich(12, &events);
  std::string good;
  ASSERT_TRUE(ReadWholeFile(path_, &good).ok());
  const std::string bad_path = dir_.path() + "/bad.seg";
  const size_t footer_start = good.size() > 600 ? good.size() - 600 : 0;
  for (size_t i = 0; i < good.size(); i += i < footer_start ? 5 : 1) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    WriteQuick(bad_path, bad);
    auto seg = Segment::Open(bad_path);
    if (!seg.ok()) continue;
    Columns cols;
    PageviewAggregates agg;
    EXPECT_FALSE((*seg)->Load(kAllColumns, &cols).ok() &&
                 (*seg)->LoadPageviewAggregates(&agg).ok() && (*seg)->CheckRollups().ok())
        << "byte " << i;
  }
  for (size_t len : {size_t{0}, size_t{11}, good.size() / 2, good.size() - 1}) {
    WriteQuick(bad_path, good.substr(0, len));
    EXPECT_FALSE(Segment::Open(bad_path).ok()) << "truncated to " << len;
  }
}

}  // namespace
}  // namespace tapistry::store
