// FitPolicy: scores each category's labelled items through a one-category Moderator (so the fit
// sees exactly the scores the policy will), splits them, calibrates (Platt), picks thresholds on the
// fit split and measures them on the held-out split with bootstrap intervals. Report writers at the end.
#include "vigil/policy_fit.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "eval/svg_plot.h"
#include "vigil/eval.h"
#include "vigil/moderation.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

struct Item {
  double raw = 0;
  bool positive = false;
};

bool IsImageFile(const fs::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  for (const char* e : {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}) {
    if (ext == e) return true;
  }
  return false;
}

Result<std::vector<std::string>> ListImages(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file() && IsImageFile(it->path())) out.push_back(it->path().string());
  }
  if (ec) return UnavailableError("cannot list " + dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

// Platt scaling (Platt 1999, with the smoothed targets of Lin, Lin & Weng 2007), by Newton's method.
std::optional<PlattCalibration> FitPlatt(const std::vector<Item>& items) {
  double n_pos = 0, n_neg = 0;
  for (const Item& it : items) (it.positive ? n_pos : n_neg) += 1;
  if (n_pos == 0 || n_neg == 0) return std::nullopt;
  const double hi = (n_pos + 1) / (n_pos + 2), lo = 1 / (n_neg + 2);
  double a = 0, b = std::log((n_pos + 1) / (n_neg + 1));  // start at the prior
  auto nll = [&](double A, double B) {
    double f = 0;
    for (const Item& it : items) {
      const double t = it.positive ? hi : lo;
      const double z = A * it.raw + B;
      // log(1 + exp(-z)) and log(1 + exp(z)) computed stably
      const double lp = z >= 0 ? -std::log1p(std::exp(-z)) : z - std::log1p(std::exp(z));   // log p
      const double lq = z >= 0 ? -z - std::log1p(std::exp(-z)) : -std::log1p(std::exp(z));  // log(1-p)
      f -= t * lp + (1 - t) * lq;
    }
    return f;
  };
  double f = nll(a, b);
  for (int iter = 0; iter < 100; ++iter) {
    double g1 = 0, g2 = 0, h11 = 1e-12, h22 = 1e-12, h21 = 0;
    for (const Item& it : items) {
      const double t = it.positive ? hi : lo;
      const double p = 1 / (1 + std::exp(-(a * it.raw + b)));
      const double d = p - t, w = p * (1 - p);
      g1 += d * it.raw;
      g2 += d;
      h11 += w * it.raw * it.raw;
      h22 += w;
      h21 += w * it.raw;
    }
    if (std::fabs(g1) < 1e-9 && std::fabs(g2) < 1e-9) break;
    const double det = h11 * h22 - h21 * h21;
    if (!(std::fabs(det) > 1e-300)) break;
    const double da = -(h22 * g1 - h21 * g2) / det, db = -(-h21 * g1 + h11 * g2) / det;
    double step = 1;
    bool improved = false;
    while (step > 1e-10) {
      const double fn = nll(a + step * da, b + step * db);
      if (fn < f + 1e-4 * step * (g1 * da + g2 * db)) {
        a += step * da;
        b += step * db;
        f = fn;
        improved = true;
        break;
      }
      step /= 2;
    }
    if (!improved) break;
  }
  if (!(a > 0) || !std::isfinite(a) || !std::isfinite(b)) return std::nullopt;
  return PlattCalibration{a, b};
}

double Calibrated(const std::optional<PlattCalibration>& c, double raw) {
  return c ? 1 / (1 + std::exp(-(c->a * raw + c->b))) : raw;
}

struct Point {
  double recall = 0, precision = 0, f2 = 0, block_recall = 0, block_precision = 0, review_rate = 0, auprc = 0;
};

Point Measure(const std::vector<Item>& items, const std::vector<size_t>& idx, const std::optional<PlattCalibration>& cal,
              double review_at, const std::optional<double>& block_at) {
  int tp = 0, fp = 0, pos = 0, btp = 0, bfp = 0, review = 0;
  std::vector<bool> labels;
  std::vector<double> scores;
  for (size_t i : idx) {
    const Item& it = items[i];
    const double s = Calibrated(cal, it.raw);
    labels.push_back(it.positive);
    scores.push_back(s);
    pos += it.positive;
    const bool flagged = s >= review_at;
    const bool blocked = block_at && s >= *block_at;
    if (flagged) (it.positive ? tp : fp) += 1;
    if (blocked) (it.positive ? btp : bfp) += 1;
    if (flagged && !blocked) review += 1;
  }
  Point p;
  p.recall = pos ? double(tp) / pos : 0;
  p.precision = tp + fp ? double(tp) / (tp + fp) : 1;
  p.f2 = FBeta(p.precision, p.recall, 2);
  p.block_recall = pos ? double(btp) / pos : 0;
  p.block_precision = btp + bfp ? double(btp) / (btp + bfp) : 1;
  p.review_rate = idx.empty() ? 0 : double(review) / idx.size();
  p.auprc = AveragePrecision(PrecisionRecallCurve(labels, scores));
  return p;
}

Interval Percentiles(double value, std::vector<double> samples) {
  Interval iv{value, value, value};
  samples.erase(std::remove_if(samples.begin(), samples.end(), [](double v) { return std::isnan(v); }), samples.end());
  if (samples.empty()) return iv;
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    const double pos = q * (samples.size() - 1);
    const size_t i = size_t(pos);
    const double f = pos - i;
    return i + 1 < samples.size() ? samples[i] * (1 - f) + samples[i + 1] * f : samples[i];
  };
  iv.low = std::min(value, at(0.025));
  iv.high = std::max(value, at(0.975));
  return iv;
}

SplitMetrics Metrics(const std::vector<Item>& items, const std::vector<size_t>& idx,
                     const std::optional<PlattCalibration>& cal, double review_at, const std::optional<double>& block_at,
                     int bootstrap, std::mt19937_64* rng) {
  SplitMetrics m;
  std::vector<size_t> pos_idx, neg_idx;
  for (size_t i : idx) (items[i].positive ? pos_idx : neg_idx).push_back(i);
  m.positives = int(pos_idx.size());
  m.negatives = int(neg_idx.size());
  const Point p = Measure(items, idx, cal, review_at, block_at);
  std::vector<bool> labels;
  std::vector<double> scores;
  for (size_t i : idx) {
    labels.push_back(items[i].positive);
    scores.push_back(Calibrated(cal, items[i].raw));
  }
  m.roc_auc = RocAuc(RocCurveOf(labels, scores));
  std::vector<double> r, pr, f2, br, bp, rr, ap;
  // Stratified bootstrap: positives and negatives resampled separately (the class sizes stay).
  for (int b = 0; b < bootstrap; ++b) {
    std::vector<size_t> sample;
    for (const auto* group : {&pos_idx, &neg_idx}) {
      if (group->empty()) continue;
      std::uniform_int_distribution<size_t> pick(0, group->size() - 1);
      for (size_t k = 0; k < group->size(); ++k) sample.push_back((*group)[pick(*rng)]);
    }
    const Point q = Measure(items, sample, cal, review_at, block_at);
    r.push_back(q.recall);
    pr.push_back(q.precision);
    f2.push_back(q.f2);
    br.push_back(q.block_recall);
    bp.push_back(q.block_precision);
    rr.push_back(q.review_rate);
    ap.push_back(q.auprc);
  }
  m.recall = Percentiles(p.recall, r);
  m.precision = Percentiles(p.precision, pr);
  m.f2 = Percentiles(p.f2, f2);
  m.block_recall = Percentiles(p.block_recall, br);
  m.block_precision = Percentiles(p.block_precision, bp);
  m.review_rate = Percentiles(p.review_rate, rr);
  m.auprc = Percentiles(p.auprc, ap);
  return m;
}

// Scores every image of one category as the policy would (raw scores, calibration ignored).
Result<std::vector<Item>> ScoreCategory(const Policy& policy, const PolicyCategory& category,
                                        const PolicyFitOptions& o, const fs::path& dir) {
  Policy one = policy;
  one.categories = {category};
  one.categories[0].calibration.reset();
  ModeratorOptions mo;
  mo.policy = one;
  mo.common = o.models;
  mo.workers = 1;
  mo.deadline_ms = 600000;
  VIGIL_ASSIGN_OR_RETURN(auto moderator, Moderator::Create(mo));
  std::vector<std::pair<std::string, bool>> files;
  for (const auto& [sub, positive] : {std::pair<const char*, bool>{"positive", true}, {"negative", false}}) {
    if (!fs::is_directory(dir / sub)) {
      return InvalidArgumentError("policy fit: " + (dir / sub).string() + " is missing (want " + category.name +
                                  "/positive and " + category.name + "/negative)");
    }
    VIGIL_ASSIGN_OR_RETURN(std::vector<std::string> list, ListImages(dir / sub));
    for (std::string& f : list) files.emplace_back(std::move(f), positive);
  }
  std::vector<Item> items(files.size());
  std::vector<Status> errors(files.size());
  std::atomic<size_t> next{0};
  int workers = o.workers > 0 ? o.workers : int(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (size_t i = next++; i < files.size(); i = next++) {
        Result<Decision> d = moderator->ModerateFile(files[i].first);
        if (!d.ok()) {
          errors[i] = d.status().WithContext(files[i].first);
        } else if (d->categories[0].model_error) {
          errors[i] = UnavailableError(files[i].first + ": " + d->categories[0].reason);
        } else {
          items[i] = {d->categories[0].raw_score, files[i].second};
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& s : errors) VIGIL_RETURN_IF_ERROR(s);
  return items;
}

Result<CategoryFit> FitCategory(const Policy& policy, PolicyCategory* category, const PolicyFitOptions& o,
                                std::mt19937_64* rng) {
  CategoryFit fit;
  fit.category = category->name;
  const fs::path dir = fs::path(o.data_dir) / category->name;
  fit.target = o.target ? *o.target : category->target ? *category->target : PolicyTarget{};
  if (!fs::is_directory(dir)) {
    fit.note = "no folder " + dir.string() + ": thresholds kept";
    fit.review_at = category->review_at;
    fit.block_at = category->block_at;
    fit.calibration = category->calibration;
    return fit;
  }
  VIGIL_ASSIGN_OR_RETURN(std::vector<Item> items, ScoreCategory(policy, *category, o, dir));
  // Stratified split.
  std::vector<size_t> pos, neg, fit_idx, test_idx;
  for (size_t i = 0; i < items.size(); ++i) (items[i].positive ? pos : neg).push_back(i);
  for (auto* group : {&pos, &neg}) {
    std::shuffle(group->begin(), group->end(), *rng);
    const size_t n_test = size_t(std::lround(group->size() * o.test_fraction));
    if (int(n_test) < o.min_items || int(group->size() - n_test) < o.min_items) {
      return InvalidArgumentError("policy fit: category " + category->name + " has " + std::to_string(group->size()) + " " +
                                  (group == &pos ? "positive" : "negative") + " items; each split needs at least " +
                                  std::to_string(o.min_items));
    }
    test_idx.insert(test_idx.end(), group->begin(), group->begin() + long(n_test));
    fit_idx.insert(fit_idx.end(), group->begin() + long(n_test), group->end());
  }
  std::vector<Item> fit_items;
  for (size_t i : fit_idx) fit_items.push_back(items[i]);
  fit.calibration = FitPlatt(fit_items);
  if (!fit.calibration) fit.note = "no calibration: the signal does not rank positives above negatives; ";
  std::vector<bool> labels;
  std::vector<double> scores;
  for (const Item& it : fit_items) {
    labels.push_back(it.positive);
    scores.push_back(Calibrated(fit.calibration, it.raw));
  }
  const PrCurve curve = PrecisionRecallCurve(labels, scores);
  char buf[160];
  if (fit.target.metric == PolicyTarget::Metric::kRecall) {
    const ThresholdPoint r = ThresholdsForRecall(curve, {fit.target.value})[0];
    fit.review_at = r.found ? r.threshold : 0;
    const ThresholdPoint b = ThresholdsForPrecision(curve, {o.block_precision})[0];
    if (b.found) {
      fit.block_at = std::max(b.threshold, fit.review_at);
    } else {
      std::snprintf(buf, sizeof buf, "no threshold reaches precision %.2f on the fit split: no auto-block; ",
                    o.block_precision);
      fit.note += buf;
    }
  } else {
    const ThresholdPoint b = ThresholdsForPrecision(curve, {fit.target.value})[0];
    const ThresholdPoint r = ThresholdsForRecall(curve, {o.review_recall})[0];
    fit.review_at = r.found ? r.threshold : 0;
    if (b.found) {
      fit.block_at = std::max(b.threshold, fit.review_at);
    } else {
      std::snprintf(buf, sizeof buf, "no threshold reaches precision %.2f on the fit split: no auto-block; ",
                    fit.target.value);
      fit.note += buf;
    }
  }
  fit.review_at = std::min(1.0, std::max(0.0, fit.review_at));
  fit.fit = Metrics(items, fit_idx, fit.calibration, fit.review_at, fit.block_at, 0, rng);
  fit.test = Metrics(items, test_idx, fit.calibration, fit.review_at, fit.block_at, o.bootstrap, rng);
  const Interval& measured = fit.target.metric == PolicyTarget::Metric::kRecall
                                 ? fit.test.recall
                                 : (fit.block_at ? fit.test.block_precision : fit.test.precision);
  fit.target_met = measured.value >= fit.target.value;
  fit.target_in_interval = fit.target.value <= measured.high;
  std::vector<bool> test_labels;
  std::vector<double> test_scores;
  for (size_t i : test_idx) {
    test_labels.push_back(items[i].positive);
    test_scores.push_back(Calibrated(fit.calibration, items[i].raw));
  }
  const PrCurve test_curve = PrecisionRecallCurve(test_labels, test_scores);
  fit.pr_recall = test_curve.recall;
  fit.pr_precision = test_curve.precision;
  fit.fitted = true;
  category->calibration = fit.calibration;
  category->review_at = fit.review_at;
  category->block_at = fit.block_at;
  category->target = fit.target;
  return fit;
}

}  // namespace

Result<PolicyTarget> ParsePolicyTarget(const std::string& text) {
  PolicyTarget t;
  std::string rest;
  if (text.rfind("recall>=", 0) == 0) {
    t.metric = PolicyTarget::Metric::kRecall;
    rest = text.substr(8);
  } else if (text.rfind("precision>=", 0) == 0) {
    t.metric = PolicyTarget::Metric::kPrecision;
    rest = text.substr(11);
  } else {
    return InvalidArgumentError("target must be recall>=R or precision>=P, got '" + text + "'");
  }
  char* end = nullptr;
  t.value = std::strtod(rest.c_str(), &end);
  if (rest.empty() || end == nullptr || *end != 0 || !(t.value > 0 && t.value <= 1)) {
    return InvalidArgumentError("target value must be in (0, 1], got '" + text + "'");
  }
  return t;
}

Result<PolicyFit> FitPolicy(const Policy& policy, const PolicyFitOptions& o) {
  if (o.data_dir.empty() || !fs::is_directory(o.data_dir)) {
    return InvalidArgumentError("policy fit: data folder '" + o.data_dir + "' does not exist");
  }
  if (!(o.test_fraction >= 0.05 && o.test_fraction <= 0.9)) return InvalidArgumentError("policy fit: test_fraction must be in [0.05, 0.9]");
  if (o.bootstrap < 0 || o.bootstrap > 100000) return InvalidArgumentError("policy fit: bootstrap must be 0..100000");
  if (!(o.block_precision > 0 && o.block_precision <= 1) || !(o.review_recall > 0 && o.review_recall <= 1)) {
    return InvalidArgumentError("policy fit: block_precision and review_recall must be in (0, 1]");
  }
  PolicyFit out;
  out.data_dir = o.data_dir;
  out.policy = policy;
  std::mt19937_64 rng(o.seed);
  bool any = false;
  for (PolicyCategory& c : out.policy.categories) {
    VIGIL_ASSIGN_OR_RETURN(CategoryFit f, FitCategory(policy, &c, o, &rng));
    any = any || f.fitted;
    out.categories.push_back(std::move(f));
  }
  if (!any) return InvalidArgumentError("policy fit: no category of policy " + policy.name + " has a folder in " + o.data_dir);
  // The fitted policy is a new version.
  VIGIL_ASSIGN_OR_RETURN(out.policy, ParsePolicy(NormalizedPolicyYaml(out.policy), "fitted policy"));
  return out;
}

namespace {

nlohmann::ordered_json IntervalJson(const Interval& i) { return {{"value", i.value}, {"low", i.low}, {"high", i.high}}; }

nlohmann::ordered_json SplitJson(const SplitMetrics& m) {
  return {{"positives", m.positives},
          {"negatives", m.negatives},
          {"recall", IntervalJson(m.recall)},
          {"precision", IntervalJson(m.precision)},
          {"f2", IntervalJson(m.f2)},
          {"block_recall", IntervalJson(m.block_recall)},
          {"block_precision", IntervalJson(m.block_precision)},
          {"review_rate", IntervalJson(m.review_rate)},
          {"auprc", IntervalJson(m.auprc)},
          {"roc_auc", std::isnan(m.roc_auc) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(m.roc_auc)}};
}

std::string TargetText(const PolicyTarget& t) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s>=%.3g", t.metric == PolicyTarget::Metric::kRecall ? "recall" : "precision", t.value);
  return buf;
}

std::string Iv(const Interval& i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f [%.3f, %.3f]", i.value, i.low, i.high);
  return buf;
}

}  // namespace

std::string PolicyFitToJson(const PolicyFit& fit) {
  nlohmann::ordered_json j;
  j["policy"] = fit.policy.name;
  j["policy_version"] = fit.policy.version;
  j["data"] = fit.data_dir;
  nlohmann::ordered_json cats = nlohmann::ordered_json::array();
  for (const CategoryFit& c : fit.categories) {
    nlohmann::ordered_json cj;
    cj["category"] = c.category;
    cj["fitted"] = c.fitted;
    cj["target"] = TargetText(c.target);
    cj["review_at"] = c.review_at;
    cj["block_at"] = c.block_at ? nlohmann::ordered_json(*c.block_at) : nlohmann::ordered_json(nullptr);
    if (c.calibration) cj["calibration"] = {{"method", "platt"}, {"a", c.calibration->a}, {"b", c.calibration->b}};
    if (c.fitted) {
      cj["fit"] = SplitJson(c.fit);
      cj["test"] = SplitJson(c.test);
      cj["target_met"] = c.target_met;
      cj["target_in_interval"] = c.target_in_interval;
    }
    cj["note"] = c.note;
    cats.push_back(std::move(cj));
  }
  j["categories"] = std::move(cats);
  return j.dump();
}

std::string PolicyFitToText(const PolicyFit& fit) {
  std::ostringstream s;
  s << "policy " << fit.policy.name << " fitted on " << fit.data_dir << ", new version " << fit.policy.version << "\n";
  for (const CategoryFit& c : fit.categories) {
    s << "\n" << c.category << " (" << TargetText(c.target) << ")";
    if (!c.fitted) {
      s << ": " << c.note << "\n";
      continue;
    }
    char buf[200];
    std::snprintf(buf, sizeof buf, ": review_at %.4f, block_at %s\n", c.review_at,
                  c.block_at ? std::to_string(*c.block_at).c_str() : "none");
    s << buf;
    s << "  held out (" << c.test.positives << " positive, " << c.test.negatives << " negative; 95% bootstrap CI):\n";
    s << "    flagged recall    " << Iv(c.test.recall) << "   precision " << Iv(c.test.precision) << "\n";
    s << "    F2                " << Iv(c.test.f2) << "   AUPRC     " << Iv(c.test.auprc) << "\n";
    s << "    blocked recall    " << Iv(c.test.block_recall) << "   precision " << Iv(c.test.block_precision) << "\n";
    s << "    review rate       " << Iv(c.test.review_rate) << "\n";
    s << "    target " << (c.target_met ? "met" : c.target_in_interval ? "within the interval" : "NOT met") << "\n";
    if (!c.note.empty()) s << "    note: " << c.note << "\n";
  }
  return s.str();
}

Status WritePolicyFitReport(const PolicyFit& fit, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return UnavailableError("cannot create " + dir + ": " + ec.message());
  {
    std::ofstream j(fs::path(dir) / "fit.json", std::ios::binary);
    j << PolicyFitToJson(fit) << "\n";
    if (!j) return UnavailableError("cannot write " + dir + "/fit.json");
  }
  std::ostringstream h;
  h << "<!doctype html><html><head><meta charset=\"utf-8\"><title>Policy fit: " << svg::Escape(fit.policy.name)
    << "</title><style>" << svg::ReportCss() << "</style></head><body>\n";
  h << "<h1>Policy fit: " << svg::Escape(fit.policy.name) << "</h1><p>Data " << svg::Escape(fit.data_dir)
    << "; fitted version <code>" << svg::Escape(fit.policy.version) << "</code>. Intervals: 95% stratified bootstrap "
    << "on the held-out split.</p>\n";
  for (const CategoryFit& c : fit.categories) {
    h << "<h2>" << svg::Escape(c.category) << " (" << svg::Escape(TargetText(c.target)) << ")</h2>\n";
    if (!c.fitted) {
      h << "<p>" << svg::Escape(c.note) << "</p>\n";
      continue;
    }
    h << "<table><tr><th>held out</th><th>value</th><th>95% CI</th></tr>";
    auto row = [&](const char* name, const Interval& i) {
      h << "<tr><td>" << name << "</td><td>" << svg::Fixed(i.value, 3) << "</td><td>" << svg::Fixed(i.low, 3) << " – "
        << svg::Fixed(i.high, 3) << "</td></tr>";
    };
    row("flagged recall (review or block)", c.test.recall);
    row("flagged precision", c.test.precision);
    row("F2", c.test.f2);
    row("blocked recall", c.test.block_recall);
    row("blocked precision", c.test.block_precision);
    row("review rate", c.test.review_rate);
    row("AUPRC", c.test.auprc);
    h << "</table><p>review_at " << svg::Fixed(c.review_at, 4) << ", block_at "
      << (c.block_at ? svg::Fixed(*c.block_at, 4) : std::string("none")) << "; target "
      << (c.target_met ? "met" : c.target_in_interval ? "within the interval" : "<b>not met</b>") << ". "
      << svg::Escape(c.note) << "</p>\n";
    svg::Series pr{"held-out PR", c.pr_recall, c.pr_precision, true};
    svg::LinePlotOptions po;
    po.title = c.category + ": precision-recall (held out)";
    po.x_label = "recall";
    po.y_label = "precision";
    h << svg::LinePlot({pr}, po) << "\n";
  }
  h << "</body></html>\n";
  std::ofstream out(fs::path(dir) / "report.html", std::ios::binary);
  out << h.str();
  if (!out) return UnavailableError("cannot write " + dir + "/report.html");
  return Status::Ok();
}

}  // namespace vigil
