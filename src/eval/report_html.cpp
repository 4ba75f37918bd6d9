// WriteHtmlReport: one self-contained HTML page (inline CSS and SVG, no scripts) with summary,
// per-class, threshold and slice tables and the confusion, PR, ROC and reliability plots; plus
// metrics.json beside it.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "eval/svg_plot.h"
#include "vigil/eval.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
using svg::Escape;
using svg::Fixed;

constexpr const char* kCss = R"css(
body{font-family:-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;
max-width:1180px;color:#1a1a1a;background:#fafafa;line-height:1.4}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;
padding-bottom:4px}
.details{color:#555;font-size:13px;margin:0 0 12px}.details span{margin-right:18px}
table{border-collapse:collapse;font-size:13px;background:#fff;margin:6px 0}
th,td{border:1px solid #ddd;padding:4px 9px;text-align:right}
th{background:#f0f3f7;font-weight:600}td:first-child,th:first-child{text-align:left}
.plots{display:flex;flex-wrap:wrap;gap:12px}.plot{background:#fff;border:1px solid #ddd}
.note{color:#666;font-size:12px;margin:4px 0 0}.warn{color:#b00020;font-weight:600}
.na{color:#aaa}td.t{text-align:left}
)css";

// A class name cut to fit a plot legend beside its score.
std::string Short(const std::string& name) { return svg::TruncateMiddle(name, 12); }

std::string Cell(double v, int digits = 3) {
  const std::string s = Fixed(v, digits);
  return s == "–" ? "<td class=\"na\">–</td>" : "<td>" + s + "</td>";
}

void SummaryTable(std::ostringstream& o, const Evaluation& e) {
  o << "<h2 id=\"summary\">Summary</h2><table><tr><th>metric</th><th>value</th></tr>";
  o << "<tr><td>items</td><td>" << e.count << "</td></tr>";
  o << "<tr><td>classes</td><td>" << e.class_names.size() << "</td></tr>";
  o << "<tr><td>accuracy</td>" << Cell(e.accuracy) << "</tr>";
  o << "<tr><td>expected calibration error (ECE, " << e.calibration.bins.size()
    << " bins)</td>" << Cell(e.calibration.ece) << "</tr>";
  o << "<tr><td>maximum calibration error (MCE)</td>" << Cell(e.calibration.mce) << "</tr>";
  o << "<tr><td>negative log-likelihood</td>" << Cell(e.calibration.nll) << "</tr>";
  o << "<tr><td>Brier score</td>" << Cell(e.calibration.brier) << "</tr>";
  if (e.temperature) {
    o << "<tr><td>fitted temperature T</td>" << Cell(e.temperature->temperature) << "</tr>";
    o << "<tr><td>NLL before / after temperature</td><td>" << Fixed(e.temperature->nll_before, 3)
      << " / " << Fixed(e.temperature->nll_after, 3) << "</td></tr>";
  }
  o << "</table>";
  const std::string fb = "F" + Fixed(e.beta, e.beta == static_cast<int>(e.beta) ? 0 : 1);
  o << "<table><tr><th>average</th><th>precision</th><th>recall</th><th>F1</th><th>" << fb
    << "</th><th>PR-AUC</th><th>ROC-AUC</th></tr>";
  for (const auto& [name, a] : {std::pair<const char*, const AveragedMetrics&>{"macro", e.macro},
                                {"weighted", e.weighted}}) {
    o << "<tr><td>" << name << "</td>" << Cell(a.precision) << Cell(a.recall) << Cell(a.f1)
      << Cell(a.fbeta) << Cell(a.average_precision) << Cell(a.roc_auc) << "</tr>";
  }
  o << "</table>";
}

void ClassTable(std::ostringstream& o, const Evaluation& e) {
  const std::string fb = "F" + Fixed(e.beta, e.beta == static_cast<int>(e.beta) ? 0 : 1);
  o << "<h2 id=\"classes\">Per class</h2><table><tr><th>class</th><th>support</th><th>predicted</th>"
       "<th>precision</th><th>recall</th><th>F1</th><th>"
    << fb << "</th><th>PR-AUC (AP)</th><th>ROC-AUC</th></tr>";
  for (const ClassMetrics& m : e.classes) {
    o << "<tr><td>" << Escape(m.name) << "</td><td>" << m.support << "</td><td>" << m.predicted
      << "</td>" << Cell(m.precision) << Cell(m.recall) << Cell(m.f1) << Cell(m.fbeta)
      << Cell(m.average_precision) << Cell(m.roc_auc) << "</tr>";
  }
  o << "</table><p class=\"note\">Prediction = class with the highest probability. PR-AUC is "
       "average precision (step-wise, as scikit-learn); ROC-AUC is one-vs-rest.</p>";
}

void Plots(std::ostringstream& o, const Evaluation& e, const ReportOptions& options) {
  o << "<h2 id=\"confusion\">Confusion matrix</h2><div class=\"plots\"><div class=\"plot\">"
    << svg::ConfusionHeatmap(e.confusion, e.class_names, "Confusion matrix (rows = true class)")
    << "</div></div>";
  std::vector<svg::Series> pr, roc;
  for (size_t c = 0; c < e.curves.size() && c < e.classes.size(); ++c) {
    const ClassCurves& cv = e.curves[c];
    svg::Series p;
    p.name = Short(e.classes[c].name) + " (AP " + Fixed(e.classes[c].average_precision, 2) + ")";
    // Steps in increasing recall: precision P_n holds over (R_{n-1}, R_n], as AP counts it.
    p.x.assign(cv.pr.recall.rbegin(), cv.pr.recall.rend());
    p.y.assign(cv.pr.precision.rbegin(), cv.pr.precision.rend());
    p.step = true;
    pr.push_back(std::move(p));
    svg::Series r;
    r.name = Short(e.classes[c].name) + " (AUC " + Fixed(e.classes[c].roc_auc, 2) + ")";
    r.x = cv.roc.fpr;
    r.y = cv.roc.tpr;
    roc.push_back(std::move(r));
  }
  svg::LinePlotOptions pr_options;
  pr_options.title = "Precision-recall (one-vs-rest)";
  pr_options.x_label = "recall";
  pr_options.y_label = "precision";
  pr_options.max_points = options.max_curve_points;
  svg::LinePlotOptions roc_options;
  roc_options.title = "ROC (one-vs-rest)";
  roc_options.x_label = "false positive rate";
  roc_options.y_label = "true positive rate";
  roc_options.diagonal = true;
  roc_options.max_points = options.max_curve_points;
  o << "<h2 id=\"curves\">Curves</h2><div class=\"plots\"><div class=\"plot\">" << svg::LinePlot(pr, pr_options)
    << "</div><div class=\"plot\">" << svg::LinePlot(roc, roc_options) << "</div></div>";
  o << "<h2 id=\"calibration\">Calibration</h2><div class=\"plots\"><div class=\"plot\">"
    << svg::ReliabilityDiagram(e.calibration.bins,
                               "Reliability diagram (ECE " + Fixed(e.calibration.ece, 3) + ")")
    << "</div><div>";
  o << "<table><tr><th>bin</th><th>items</th><th>mean confidence</th><th>accuracy</th></tr>";
  for (const ReliabilityBin& b : e.calibration.bins) {
    o << "<tr><td>(" << Fixed(b.lower, 2) << ", " << Fixed(b.upper, 2) << "]</td><td>" << b.count
      << "</td>" << (b.count ? Cell(b.mean_confidence) : "<td class=\"na\">–</td>")
      << (b.count ? Cell(b.accuracy) : "<td class=\"na\">–</td>") << "</tr>";
  }
  o << "</table></div></div>";
}

void ThresholdTable(std::ostringstream& o, const Evaluation& e) {
  o << "<h2 id=\"thresholds\">Operating thresholds</h2><table><tr><th>class</th><th>goal</th><th>threshold</th>"
       "<th>precision</th><th>recall</th></tr>";
  for (size_t c = 0; c < e.thresholds.size() && c < e.classes.size(); ++c) {
    const std::string name = Escape(e.classes[c].name);
    const size_t rows = e.thresholds[c].at_recall.size() + e.thresholds[c].at_precision.size();
    bool first = true;
    auto row = [&](const ThresholdPoint& p, const char* what) {
      o << "<tr>";
      if (first) o << "<td rowspan=\"" << rows << "\">" << name << "</td>";
      first = false;
      o << "<td class=\"t\">" << what << " &ge; " << Fixed(p.target, 2) << "</td>";
      if (p.found) {
        o << Cell(p.threshold, 4) << Cell(p.precision) << Cell(p.recall);
      } else {
        o << "<td class=\"na\" colspan=\"3\">not reachable</td>";
      }
      o << "</tr>";
    };
    for (const ThresholdPoint& p : e.thresholds[c].at_recall) row(p, "recall");
    for (const ThresholdPoint& p : e.thresholds[c].at_precision) row(p, "precision");
  }
  o << "</table><p class=\"note\">Recall goals: the highest threshold on the class probability "
       "that still reaches the recall. Precision goals: the lowest threshold that reaches the "
       "precision (the most recall at that precision).</p>";
}

void SliceTables(std::ostringstream& o, const Evaluation& e) {
  if (!e.slices) return;
  const SliceReport& r = *e.slices;
  o << "<h2 id=\"slices\">Slices</h2>";
  if (r.largest) {
    o << "<p><span class=\"warn\">Largest gap: " << Escape(r.largest->metric) << " "
      << Fixed(r.largest->gap, 3) << "</span> (" << Escape(r.largest->best_slice) << " "
      << Fixed(r.largest->best, 3) << " vs " << Escape(r.largest->worst_slice) << " "
      << Fixed(r.largest->worst, 3) << ")</p>";
  }
  o << "<table><tr><th>slice</th><th>items</th><th>accuracy</th><th>macro-F1</th>";
  for (const std::string& name : e.class_names) o << "<th>recall " << Escape(name) << "</th>";
  o << "</tr>";
  for (const SliceMetrics& s : r.slices) {
    o << "<tr><td>" << Escape(s.slice) << "</td><td>" << s.count << "</td>" << Cell(s.accuracy)
      << Cell(s.macro_f1);
    for (double v : s.recall) o << Cell(v);
    o << "</tr>";
  }
  o << "</table>";
  if (!r.gaps.empty()) {
    o << "<table><tr><th>metric</th><th>best slice</th><th>best</th><th>worst slice</th>"
         "<th>worst</th><th>gap</th></tr>";
    for (const SliceGap& g : r.gaps) {
      o << "<tr><td>" << Escape(g.metric) << "</td><td class=\"t\">" << Escape(g.best_slice)
        << "</td>" << Cell(g.best) << "<td class=\"t\">" << Escape(g.worst_slice) << "</td>" << Cell(g.worst)
        << Cell(g.gap) << "</tr>";
    }
    o << "</table>";
  }
}

Status WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return InternalError("eval: cannot open " + path.string() + " for writing");
  out << text;
  out.close();
  if (!out) return InternalError("eval: cannot write " + path.string());
  return Status::Ok();
}

}  // namespace

const char* svg::ReportCss() { return kCss; }

Status WriteHtmlReport(const Evaluation& e, const ReportOptions& options, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return InternalError("eval: cannot create " + dir + ": " + ec.message());
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
    << Escape(options.title) << "</title><style>" << kCss << "</style></head><body>\n";
  o << "<h1>" << Escape(options.title) << "</h1><p class=\"details\">";
  for (const auto& [key, value] : options.details)
    o << "<span><b>" << Escape(key) << ":</b> " << Escape(value) << "</span>";
  o << "</p>\n";
  SummaryTable(o, e);
  ClassTable(o, e);
  Plots(o, e, options);
  ThresholdTable(o, e);
  SliceTables(o, e);
  o << "\n<p class=\"note\">Written by Vigil; the numbers are in metrics.json beside this "
       "file.</p></body></html>\n";
  VIGIL_RETURN_IF_ERROR(WriteFile(fs::path(dir) / "report.html", o.str()));
  return WriteFile(fs::path(dir) / "metrics.json", EvaluationToJson(e));
}

}  // namespace vigil
