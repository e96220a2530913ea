#include "ops/metrics.h"

#include <gtest/gtest.h>

namespace tapistry {
namespace {

TEST(MetricsTest, RendersCountersAndHistograms) {
  MetricsRegistry r;
  r.GetCounter("tap_rejections_total", "Rejected", "reason=\"bad_json\"")->Inc(3);
  r.GetCounter("tap_rejections_total", "Rejected", "reason=\"bad_json\"")->Inc();
  Histogram* h = r.GetHistogram("tap_latency_seconds", "Latency");
  h->Observe(0.003);
  h->Observe(0.2);
  r.AddGauge("tap_rows", "Rows", [] { return 42.0; });
  std::string text = r.RenderPrometheus();
  EXPECT_NE(text.find("tap_rejections_total{reason=\"bad_json\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tap_latency_seconds_bucket{le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tap_latency_seconds_count 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("tap_rows 42\n"), std::string::npos) << text;
  EXPECT_DOUBLE_EQ(h->Quantile(0.5), 0.005);
}

}  // namespace
}  // namespace tapistry
