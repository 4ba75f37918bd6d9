// Prometheus-style metrics: label series per family, text exposition format 0.0.4.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "vigil/metrics.h"

namespace vigil {
namespace {

std::string EscapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string FormatNumber(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string LabelText(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += (out.empty() ? "" : ",") + names[i] + "=\"" + EscapeLabel(values[i]) + "\"";
  }
  if (!extra_name.empty()) out += (out.empty() ? "" : ",") + extra_name + "=\"" + extra_value + "\"";
  return out.empty() ? "" : "{" + out + "}";
}

}  // namespace

MetricFamily::MetricFamily(std::string name, std::string help, Type type,
                           std::vector<std::string> label_names, std::vector<double> buckets)
    : name_(std::move(name)), help_(std::move(help)), type_(type),
      label_names_(std::move(label_names)), bounds_(std::move(buckets)) {
  std::sort(bounds_.begin(), bounds_.end());
}

void MetricFamily::Add(const std::vector<std::string>& labels, double value) {
  if (labels.size() != label_names_.size()) return;  // programmer error: ignore, never crash
  std::lock_guard<std::mutex> lock(mutex_);
  series_[labels].value += value;
}

void MetricFamily::Set(const std::vector<std::string>& labels, double value) {
  if (labels.size() != label_names_.size()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  series_[labels].value = value;
}

void MetricFamily::Observe(const std::vector<std::string>& labels, double value) {
  if (labels.size() != label_names_.size()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  Series& s = series_[labels];
  if (s.buckets.empty()) s.buckets.assign(bounds_.size(), 0);
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (value <= bounds_[i]) ++s.buckets[i];
  }
  ++s.count;
  s.sum += value;
}

double MetricFamily::Value(const std::vector<std::string>& labels) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = series_.find(labels);
  if (it == series_.end()) return 0;
  return type_ == Type::kHistogram ? double(it->second.count) : it->second.value;
}

void MetricFamily::Render(std::string* out) const {
  static const char* kTypeNames[] = {"counter", "gauge", "histogram"};
  *out += "# HELP " + name_ + " " + help_ + "\n";
  *out += "# TYPE " + name_ + " " + kTypeNames[int(type_)] + "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [labels, s] : series_) {
    if (type_ != Type::kHistogram) {
      *out += name_ + LabelText(label_names_, labels) + " " + FormatNumber(s.value) + "\n";
      continue;
    }
    for (size_t i = 0; i < bounds_.size(); ++i) {
      *out += name_ + "_bucket" + LabelText(label_names_, labels, "le", FormatNumber(bounds_[i])) +
              " " + std::to_string(s.buckets[i]) + "\n";
    }
    *out += name_ + "_bucket" + LabelText(label_names_, labels, "le", "+Inf") + " " +
            std::to_string(s.count) + "\n";
    *out += name_ + "_sum" + LabelText(label_names_, labels) + " " + FormatNumber(s.sum) + "\n";
    *out += name_ + "_count" + LabelText(label_names_, labels) + " " + std::to_string(s.count) + "\n";
  }
}

MetricFamily& MetricsRegistry::Get(const std::string& name, const std::string& help,
                                   MetricFamily::Type type, std::vector<std::string> label_names,
                                   std::vector<double> buckets) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = families_[name];
  if (!slot) {
    slot = std::make_unique<MetricFamily>(name, help, type, std::move(label_names), std::move(buckets));
  }
  return *slot;
}

MetricFamily& MetricsRegistry::Counter(const std::string& name, const std::string& help,
                                       std::vector<std::string> label_names) {
  return Get(name, help, MetricFamily::Type::kCounter, std::move(label_names), {});
}

MetricFamily& MetricsRegistry::Gauge(const std::string& name, const std::string& help,
                                     std::vector<std::string> label_names) {
  return Get(name, help, MetricFamily::Type::kGauge, std::move(label_names), {});
}

MetricFamily& MetricsRegistry::Histogram(const std::string& name, const std::string& help,
                                         std::vector<std::string> label_names,
                                         std::vector<double> buckets) {
  return Get(name, help, MetricFamily::Type::kHistogram, std::move(label_names), std::move(buckets));
}

std::string MetricsRegistry::Render() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [name, family] : families_) family->Render(&out);
  return out;
}

std::vector<double> MetricsRegistry::LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace vigil
