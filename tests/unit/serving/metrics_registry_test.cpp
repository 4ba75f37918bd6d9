// MetricsRegistry: Prometheus text exposition (HELP/TYPE lines, label escaping, cumulative buckets).
#include <gtest/gtest.h>

#include <thread>

#include "vigil/metrics.h"

namespace vigil {
namespace {

TEST(MetricsRegistry, RendersCountersGaugesAndCumulativeHistograms) {
  MetricsRegistry r;
  auto& c = r.Counter("t_requests_total", "Requests", {"route", "status"});
  c.Add({"/a", "200"});
  c.Add({"/a", "200"}, 2);
  c.Add({"/b\"x", "500"});
  r.Gauge("t_depth", "Depth").Set({}, 7);
  auto& h = r.Histogram("t_seconds", "Latency", {"m"}, {0.1, 1, 0.5});
  for (double v : {0.05, 0.2, 0.7, 3.0}) h.Observe({"x"}, v);
  const std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE t_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("t_requests_total{route=\"/a\",status=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_requests_total{route=\"/b\\\"x\",status=\"500\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE t_depth gauge\nt_depth 7\n"), std::string::npos) << text;
  // Buckets sorted and cumulative: <=0.1: 1, <=0.5: 2, <=1: 3, +Inf: 4.
  EXPECT_NE(text.find("t_seconds_bucket{m=\"x\",le=\"0.10000000000000001\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_seconds_bucket{m=\"x\",le=\"0.5\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_bucket{m=\"x\",le=\"1\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_bucket{m=\"x\",le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_count{m=\"x\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_sum{m=\"x\"} 3.9500000000000002\n"), std::string::npos) << text;
  EXPECT_EQ(h.Value({"x"}), 4);
  EXPECT_EQ(c.Value({"/a", "200"}), 3);
  // Wrong label arity is ignored, not a crash.
  c.Add({"only-one"});
  EXPECT_EQ(c.Value({"only-one"}), 0);
}

TEST(MetricsRegistry, ConcurrentUpdatesAreNotLost) {
  MetricsRegistry r;
  auto& c = r.Counter("t_total", "n", {"k"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.Add({"v"});
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Value({"v"}), 40000);
  EXPECT_EQ(&r.Counter("t_total", "ignored"), &c);
}

}  // namespace
}  // namespace vigil
