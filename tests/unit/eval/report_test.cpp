// HTML report (one well-formed <svg> per plot, no scripts or remote resources), metrics.json
// round trip, and the MLflow file-store layout.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "vigil/eval.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path TempDir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() /
                 ("vigil_eval_" + name + "_" + std::to_string(std::random_device{}()));
  fs::remove_all(dir);
  return dir;
}

// Seeded synthetic predictions over five classes with three slices; class 4 is often confused
// with class 3, and the "scan" slice is harder than the others.
Evaluation MakeEvaluation() {
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0, 1);
  const std::vector<std::string> slice_names = {"camera", "screenshot", "scan"};
  std::vector<int> truth;
  std::vector<std::vector<float>> probs;
  std::vector<std::string> slices;
  for (int i = 0; i < 1500; ++i) {
    const int t = (i * 7 + i / 5) % 5;
    const int slice = i % 3;
    std::vector<double> z(5);
    for (double& v : z) v = noise(rng);
    z[t] += slice == 2 ? 1.6 : 2.8;
    if (t == 4) z[3] += 1.8;
    double s = 0;
    for (double& v : z) s += (v = std::exp(1.6 * v));
    std::vector<float> row;
    for (double v : z) row.push_back(static_cast<float>(v / s));
    truth.push_back(t);
    probs.push_back(row);
    slices.push_back(slice_names[slice]);
  }
  auto e = Evaluate(truth, probs, {"Drawing", "Hentai", "Neutral", "Porn", "Sexy & <suggestive>"},
                    {}, &slices);
  EXPECT_TRUE(e.ok());
  auto t = FitTemperature(truth, probs);
  EXPECT_TRUE(t.ok());
  Evaluation out = *e;
  out.temperature = *t;
  return out;
}

// Checks that opening and closing tags nest properly inside `xml` (self-closing tags allowed).
bool BalancedTags(const std::string& xml, std::string* error) {
  std::vector<std::string> stack;
  size_t pos = 0;
  while ((pos = xml.find('<', pos)) != std::string::npos) {
    const size_t end = xml.find('>', pos);
    if (end == std::string::npos) {
      *error = "unterminated tag";
      return false;
    }
    std::string tag = xml.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (tag.empty()) continue;
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) {
        *error = "unexpected </" + name + ">";
        return false;
      }
      stack.pop_back();
    } else if (tag.back() != '/') {
      stack.push_back(tag.substr(0, tag.find_first_of(" \t\n")));
    }
  }
  if (!stack.empty()) *error = "unclosed <" + stack.back() + ">";
  return stack.empty();
}

TEST(EvalReport, WritesSelfContainedHtmlWithOneSvgPerPlot) {
  Evaluation e = MakeEvaluation();
  // VIGIL_EVAL_REPORT_DIR keeps the report there (tests/e2e/report_screenshot.sh renders it).
  const char* keep = std::getenv("VIGIL_EVAL_REPORT_DIR");
  const fs::path dir = keep ? fs::path(keep) : TempDir("report");
  ReportOptions options;
  options.details = {{"model", "synthetic"}, {"data", "seeded <test>"}};
  ASSERT_TRUE(WriteHtmlReport(e, options, dir.string()).ok());
  const std::string html = ReadAll(dir / "report.html");
  ASSERT_FALSE(html.empty());
  // Plots: confusion heat-map, PR, ROC, reliability diagram.
  std::vector<std::string> svgs;
  for (size_t pos = 0; (pos = html.find("<svg", pos)) != std::string::npos;) {
    const size_t end = html.find("</svg>", pos);
    ASSERT_NE(end, std::string::npos);
    svgs.push_back(html.substr(pos, end + 6 - pos));
    pos = end;
  }
  ASSERT_EQ(svgs.size(), 4u);
  for (const std::string& s : svgs) {
    std::string error;
    EXPECT_TRUE(BalancedTags(s, &error)) << error;
    EXPECT_NE(s.find("<text"), std::string::npos);  // axes, labels or counts
  }
  EXPECT_NE(svgs[1].find("<polyline"), std::string::npos);
  EXPECT_NE(svgs[2].find("false positive rate"), std::string::npos);
  // Escaping: the class name "Sexy & <suggestive>" must not open a tag.
  EXPECT_EQ(html.find("<suggestive>"), std::string::npos);
  EXPECT_NE(html.find("Sexy &amp; &lt;suggestive&gt;"), std::string::npos);
  EXPECT_NE(html.find("seeded &lt;test&gt;"), std::string::npos);
  // Self-contained: no script, no remote resources (the SVG namespace is only an identifier).
  EXPECT_EQ(html.find("<script"), std::string::npos);
  std::string without_ns = std::regex_replace(html, std::regex("xmlns=\"http://www.w3.org/2000/svg\""), "");
  EXPECT_EQ(without_ns.find("http://"), std::string::npos);
  EXPECT_EQ(without_ns.find("https://"), std::string::npos);
  // The tables are there.
  EXPECT_NE(html.find("Operating thresholds"), std::string::npos);
  EXPECT_NE(html.find("Largest gap"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "metrics.json"));
  if (!keep) fs::remove_all(dir);
}

TEST(EvalReport, MetricsJsonRoundTrips) {
  Evaluation e = MakeEvaluation();
  const fs::path dir = TempDir("json");
  ASSERT_TRUE(WriteHtmlReport(e, {}, dir.string()).ok());
  const std::string json = ReadAll(dir / "metrics.json");
  auto back = EvaluationFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->count, e.count);
  EXPECT_DOUBLE_EQ(back->accuracy, e.accuracy);
  EXPECT_EQ(back->class_names, e.class_names);
  EXPECT_EQ(back->confusion, e.confusion);
  ASSERT_EQ(back->classes.size(), e.classes.size());
  for (size_t c = 0; c < e.classes.size(); ++c) {
    EXPECT_DOUBLE_EQ(back->classes[c].f1, e.classes[c].f1);
    EXPECT_DOUBLE_EQ(back->classes[c].average_precision, e.classes[c].average_precision);
    EXPECT_EQ(back->curves[c].roc.fpr, e.curves[c].roc.fpr);
    EXPECT_TRUE(std::isinf(back->curves[c].roc.thresholds[0]));
  }
  EXPECT_DOUBLE_EQ(back->calibration.ece, e.calibration.ece);
  ASSERT_TRUE(back->temperature.has_value());
  EXPECT_DOUBLE_EQ(back->temperature->temperature, e.temperature->temperature);
  ASSERT_TRUE(back->slices.has_value() && back->slices->largest.has_value());
  EXPECT_EQ(back->slices->largest->metric, e.slices->largest->metric);
  // Writing what was read gives the same text.
  EXPECT_EQ(EvaluationToJson(*back), json);
  EXPECT_FALSE(EvaluationFromJson("{\"count\": 1}").ok());
  EXPECT_FALSE(EvaluationFromJson("not json").ok());
  fs::remove_all(dir);
}

TEST(EvalReport, UndefinedMetricsAreNullInJson) {
  auto e = Evaluate({0, 1}, {{0.9f, 0.05f, 0.05f}, {0.2f, 0.7f, 0.1f}}, {"a", "b", "c"});
  ASSERT_TRUE(e.ok());
  const std::string json = EvaluationToJson(*e);
  EXPECT_NE(json.find("\"roc_auc\": null"), std::string::npos);
  auto back = EvaluationFromJson(json);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(std::isnan(back->classes[2].roc_auc));
}

TEST(EvalReport, ManyClassesKeepTheLegendBounded) {
  // 30 classes: the curve legends list 15 classes and a "+15 more" line; every class gets a line.
  const int k = 30;
  std::vector<int> truth;
  std::vector<std::vector<float>> probs;
  std::vector<std::string> names;
  for (int c = 0; c < k; ++c) names.push_back("class" + std::to_string(c));
  for (int i = 0; i < 300; ++i) {
    truth.push_back(i % k);
    std::vector<float> row(k, 0.5f / (k - 1));
    row[(i % 7 == 0) ? (i + 1) % k : i % k] = 0.5f;
    probs.push_back(row);
  }
  auto e = Evaluate(truth, probs, names);
  ASSERT_TRUE(e.ok());
  const fs::path dir = TempDir("many");
  ASSERT_TRUE(WriteHtmlReport(*e, {}, dir.string()).ok());
  const std::string html = ReadAll(dir / "report.html");
  size_t more = 0, lines = 0;
  for (size_t pos = 0; (pos = html.find("+15 more", pos)) != std::string::npos; ++pos) ++more;
  for (size_t pos = 0; (pos = html.find("<polyline", pos)) != std::string::npos; ++pos) ++lines;
  EXPECT_EQ(more, 2u);         // PR and ROC legends
  EXPECT_EQ(lines, 2u * k);    // one line per class in each plot
  fs::remove_all(dir);
}

TEST(EvalMlflow, WritesFileStoreLayout) {
  Evaluation e = MakeEvaluation();
  const fs::path root = TempDir("mlruns");
  const fs::path report = TempDir("mlreport");
  ASSERT_TRUE(WriteHtmlReport(e, {}, report.string()).ok());
  MlflowRunOptions options;
  options.run_name = "nightly";
  options.artifact_files = {(report / "report.html").string()};
  auto run = WriteMlflowRun(e, {{"model", "nsfw_mobilenet_v2"}, {"version", "3"}}, root.string(),
                            "vigil-eval", options);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_TRUE(std::regex_match(run->run_id, std::regex("[0-9a-f]{32}")));

  // The default experiment and the named one.
  const std::string default_meta = ReadAll(root / "0" / "meta.yaml");
  EXPECT_NE(default_meta.find("name: 'Default'"), std::string::npos);
  EXPECT_NE(default_meta.find("experiment_id: '0'"), std::string::npos);
  const fs::path exp = root / run->experiment_id;
  const std::string exp_meta = ReadAll(exp / "meta.yaml");
  EXPECT_NE(exp_meta.find("name: 'vigil-eval'"), std::string::npos);
  EXPECT_NE(exp_meta.find("lifecycle_stage: active"), std::string::npos);
  EXPECT_TRUE(std::regex_search(exp_meta, std::regex("artifact_location: file:///\\S+")));
  EXPECT_TRUE(std::regex_search(exp_meta, std::regex("creation_time: \\d{13}\n")));

  const fs::path r = exp / run->run_id;
  EXPECT_EQ(run->run_dir, r.string());
  const std::string run_meta = ReadAll(r / "meta.yaml");
  for (const std::string& line :
       {"run_id: " + run->run_id, "run_uuid: " + run->run_id, std::string("status: 3"),
        std::string("lifecycle_stage: active"), "experiment_id: '" + run->experiment_id + "'",
        std::string("run_name: 'nightly'")}) {
    EXPECT_NE(run_meta.find(line + "\n"), std::string::npos) << line;
  }
  EXPECT_TRUE(std::regex_search(run_meta, std::regex("artifact_uri: file:///\\S+/artifacts\n")));

  // Metrics: one "timestamp value step" line each.
  const std::string accuracy = ReadAll(r / "metrics" / "accuracy");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(accuracy, m, std::regex("(\\d{13}) (\\S+) 0\n")));
  EXPECT_NEAR(std::stod(m[2]), e.accuracy, 1e-15);
  EXPECT_TRUE(fs::exists(r / "metrics" / "f1.Sexy____suggestive_"));  // sanitised name
  EXPECT_TRUE(fs::exists(r / "metrics" / "temperature"));
  EXPECT_EQ(ReadAll(r / "params" / "model"), "nsfw_mobilenet_v2");
  EXPECT_EQ(ReadAll(r / "params" / "version"), "3");
  EXPECT_EQ(ReadAll(r / "tags" / "mlflow.runName"), "nightly");
  EXPECT_TRUE(fs::exists(r / "artifacts" / "metrics.json"));
  EXPECT_TRUE(fs::exists(r / "artifacts" / "report.html"));

  // A second run lands in the same experiment; another name makes a new experiment.
  auto again = WriteMlflowRun(e, {}, root.string(), "vigil-eval");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->experiment_id, run->experiment_id);
  EXPECT_NE(again->run_id, run->run_id);
  auto other = WriteMlflowRun(e, {}, root.string(), "other");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->experiment_id, run->experiment_id);
  EXPECT_NE(other->experiment_id, "0");
  fs::remove_all(root);
  fs::remove_all(report);
}

}  // namespace
}  // namespace vigil
