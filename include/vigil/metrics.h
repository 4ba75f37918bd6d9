// MetricsRegistry: counters, gauges and histograms with labels, rendered in the Prometheus text
// exposition format (version 0.0.4). Used by the serving core and the HTTP server's /metrics.
// Thread-safety: every method is thread-safe; metric handles stay valid for the registry's life.
//
//   vigil::MetricsRegistry registry;
//   auto& requests = registry.Counter("vigil_http_requests_total", "HTTP requests",
//                                     {"route", "status"});
//   requests.Add({"/v1/images:classify", "200"});
//   std::string text = registry.Render();
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace vigil {

class MetricFamily {
 public:
  enum class Type { kCounter, kGauge, kHistogram };
  MetricFamily(std::string name, std::string help, Type type, std::vector<std::string> label_names,
               std::vector<double> buckets);

  // Counter: adds `value` (>= 0). Gauge: adds (may be negative). Label values in label_names order.
  void Add(const std::vector<std::string>& labels, double value = 1);
  // Gauge: sets the value.
  void Set(const std::vector<std::string>& labels, double value);
  // Histogram: records one observation.
  void Observe(const std::vector<std::string>& labels, double value);
  // Current value of a counter/gauge series (0 if absent), or a histogram's observation count.
  double Value(const std::vector<std::string>& labels) const;

  void Render(std::string* out) const;

 private:
  struct Series {
    double value = 0;               // counter / gauge
    std::vector<uint64_t> buckets;  // histogram: cumulative counts per upper bound
    uint64_t count = 0;
    double sum = 0;
  };
  std::string name_;
  std::string help_;
  Type type_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, Series> series_;
};

class MetricsRegistry {
 public:
  // Returns the family with this name, creating it on first use (later calls ignore the rest).
  MetricFamily& Counter(const std::string& name, const std::string& help,
                        std::vector<std::string> label_names = {});
  MetricFamily& Gauge(const std::string& name, const std::string& help,
                      std::vector<std::string> label_names = {});
  MetricFamily& Histogram(const std::string& name, const std::string& help,
                          std::vector<std::string> label_names, std::vector<double> buckets);
  // All families, sorted by name, in Prometheus text format.
  std::string Render() const;

  // Latency buckets in seconds (1 ms .. 10 s).
  static std::vector<double> LatencyBuckets();

 private:
  MetricFamily& Get(const std::string& name, const std::string& help, MetricFamily::Type type,
                    std::vector<std::string> label_names, std::vector<double> buckets);
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<MetricFamily>> families_;
};

}  // namespace vigil
