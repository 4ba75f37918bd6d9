// Small SVG chart writers for the HTML report: line plots (PR/ROC curves), a confusion heat-map
// and a reliability diagram. Output is an inline <svg> element; no scripts, no external files.
#pragma once

#include <string>
#include <vector>

#include "vigil/eval.h"

namespace vigil {
namespace svg {

// The stylesheet of the HTML reports (vigil eval, vigil policy fit): one look for all of them.
const char* ReportCss();

// Escapes & < > " ' for XML text and attribute values.
std::string Escape(const std::string& text);
// Cuts text to at most n characters (UTF-8 code points) by replacing its middle with "…", so
// labels that share a prefix ("category_1", "category_2") stay distinguishable.
std::string TruncateMiddle(const std::string& text, size_t n);
// Fixed-point formatting, "–" for NaN.
std::string Fixed(double v, int digits);
// The i-th colour of a categorical palette that stays readable for colour-blind viewers.
const char* SeriesColor(size_t i);

struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  bool step = false;  // draw as steps: each y holds from the previous x up to its own x
};

struct LinePlotOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  int width = 580;
  int height = 430;
  bool diagonal = false;  // dashed y = x reference line
  int max_points = 400;   // longer series are thinned
};

// Axes span [0, 1] x [0, 1] with ticks every 0.2, grid lines, axis labels and a legend.
std::string LinePlot(const std::vector<Series>& series, const LinePlotOptions& options);

// K x K heat-map: cell colour = row-normalised fraction (recall per true class), counts in cells.
std::string ConfusionHeatmap(const std::vector<std::vector<int>>& confusion,
                             const std::vector<std::string>& labels, const std::string& title);

// Accuracy bars per confidence bin against the diagonal, with the mean confidence marked.
std::string ReliabilityDiagram(const std::vector<ReliabilityBin>& bins, const std::string& title);

}  // namespace svg
}  // namespace vigil
