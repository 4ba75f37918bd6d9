// SVG chart writers for the HTML report (see svg_plot.h): plain string building, fixed layout.
#include "eval/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace vigil {
namespace svg {
namespace {

// Layout of a unit-square plot area inside a chart of the given size.
struct Frame {
  double left, top, width, height;
  double X(double v) const { return left + std::clamp(v, 0.0, 1.0) * width; }
  double Y(double v) const { return top + (1 - std::clamp(v, 0.0, 1.0)) * height; }
};

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Cuts s to at most n characters (UTF-8 code points), ending with "…" when cut.
std::string Truncate(const std::string& s, size_t n) {
  size_t chars = 0, cut = s.size();
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (chars == n - 1) cut = i;
    ++chars;
  }
  return chars <= n ? s : s.substr(0, cut) + "…";
}

void OpenSvg(std::ostringstream& o, int width, int height, const std::string& title) {
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" viewBox=\"0 0 " << width << " " << height << "\" role=\"img\" font-family=\"sans-serif\">"
    << "<title>" << Escape(title) << "</title>"
    << "<rect x=\"0\" y=\"0\" width=\"" << width << "\" height=\"" << height
    << "\" fill=\"#ffffff\"/>"
    << "<text x=\"" << width / 2 << "\" y=\"20\" text-anchor=\"middle\" font-size=\"15\" "
       "font-weight=\"bold\">"
    << Escape(title) << "</text>";
}

// Grid, ticks every 0.2 with labels, axis lines and axis labels of a unit-square frame.
void DrawAxes(std::ostringstream& o, const Frame& f, const std::string& x_label,
              const std::string& y_label) {
  for (int i = 0; i <= 5; ++i) {
    const double v = i / 5.0;
    const std::string label = Fixed(v, 1);
    o << "<line x1=\"" << Num(f.X(v)) << "\" y1=\"" << Num(f.top) << "\" x2=\"" << Num(f.X(v))
      << "\" y2=\"" << Num(f.top + f.height) << "\" stroke=\"#e5e5e5\"/>";
    o << "<line x1=\"" << Num(f.left) << "\" y1=\"" << Num(f.Y(v)) << "\" x2=\""
      << Num(f.left + f.width) << "\" y2=\"" << Num(f.Y(v)) << "\" stroke=\"#e5e5e5\"/>";
    // Tick marks and labels.
    o << "<line x1=\"" << Num(f.X(v)) << "\" y1=\"" << Num(f.top + f.height) << "\" x2=\""
      << Num(f.X(v)) << "\" y2=\"" << Num(f.top + f.height + 5) << "\" stroke=\"#333\"/>";
    o << "<text x=\"" << Num(f.X(v)) << "\" y=\"" << Num(f.top + f.height + 18)
      << "\" text-anchor=\"middle\" font-size=\"11\">" << label << "</text>";
    o << "<line x1=\"" << Num(f.left - 5) << "\" y1=\"" << Num(f.Y(v)) << "\" x2=\""
      << Num(f.left) << "\" y2=\"" << Num(f.Y(v)) << "\" stroke=\"#333\"/>";
    o << "<text x=\"" << Num(f.left - 8) << "\" y=\"" << Num(f.Y(v) + 4)
      << "\" text-anchor=\"end\" font-size=\"11\">" << label << "</text>";
  }
  o << "<rect x=\"" << Num(f.left) << "\" y=\"" << Num(f.top) << "\" width=\"" << Num(f.width)
    << "\" height=\"" << Num(f.height) << "\" fill=\"none\" stroke=\"#333\"/>";
  o << "<text x=\"" << Num(f.left + f.width / 2) << "\" y=\"" << Num(f.top + f.height + 38)
    << "\" text-anchor=\"middle\" font-size=\"13\">" << Escape(x_label) << "</text>";
  const double cy = f.top + f.height / 2;
  o << "<text x=\"" << Num(f.left - 42) << "\" y=\"" << Num(cy)
    << "\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 " << Num(f.left - 42)
    << " " << Num(cy) << ")\">" << Escape(y_label) << "</text>";
}

void DrawDiagonal(std::ostringstream& o, const Frame& f) {
  o << "<line x1=\"" << Num(f.X(0)) << "\" y1=\"" << Num(f.Y(0)) << "\" x2=\"" << Num(f.X(1))
    << "\" y2=\"" << Num(f.Y(1)) << "\" stroke=\"#888\" stroke-dasharray=\"5,4\"/>";
}

// Legend entries stacked at (x, y): a short line or box in the colour, then the name.
struct LegendEntry {
  std::string name;
  std::string color;
  bool box = false;
  bool dashed = false;
};

void DrawLegend(std::ostringstream& o, double x, double y, const std::vector<LegendEntry>& entries) {
  for (size_t i = 0; i < entries.size(); ++i) {
    const double ey = y + i * 18;
    const LegendEntry& e = entries[i];
    if (e.box) {
      o << "<rect x=\"" << Num(x) << "\" y=\"" << Num(ey - 6) << "\" width=\"18\" height=\"10\" fill=\""
        << e.color << "\"/>";
    } else {
      o << "<line x1=\"" << Num(x) << "\" y1=\"" << Num(ey) << "\" x2=\"" << Num(x + 18)
        << "\" y2=\"" << Num(ey) << "\" stroke=\"" << e.color << "\" stroke-width=\"2.5\""
        << (e.dashed ? " stroke-dasharray=\"5,4\"" : "") << "/>";
    }
    o << "<text x=\"" << Num(x + 24) << "\" y=\"" << Num(ey + 4) << "\" font-size=\"11.5\">"
      << Escape(Truncate(e.name, 24)) << "</text>";
  }
}

// Sample colour of a white-to-blue scale at t in [0, 1].
std::string Blues(double t) {
  t = std::clamp(t, 0.0, 1.0);
  const double from[3] = {247, 251, 255}, to[3] = {8, 48, 107};
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x",
                static_cast<int>(std::lround(from[0] + (to[0] - from[0]) * t)),
                static_cast<int>(std::lround(from[1] + (to[1] - from[1]) * t)),
                static_cast<int>(std::lround(from[2] + (to[2] - from[2]) * t)));
  return buf;
}

}  // namespace

std::string TruncateMiddle(const std::string& s, size_t n) {
  std::vector<size_t> starts;  // byte offset of each UTF-8 code point
  for (size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
  if (starts.size() <= n) return s;
  const size_t head = (n - 1) / 2, tail = n - 1 - head;
  return s.substr(0, starts[head]) + "…" + s.substr(starts[starts.size() - tail]);
}

std::string Escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Fixed(double v, int digits) {
  if (std::isnan(v)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

const char* SeriesColor(size_t i) {
  // Okabe–Ito palette (without black and yellow, which read poorly as thin lines on white).
  static const char* kColors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                  "#E69F00", "#56B4E9", "#7F7F7F", "#8C564B"};
  return kColors[i % (sizeof kColors / sizeof kColors[0])];
}

std::string LinePlot(const std::vector<Series>& series, const LinePlotOptions& options) {
  std::ostringstream o;
  OpenSvg(o, options.width, options.height, options.title);
  const double legend_width = 188;
  Frame f{62, 34, options.width - 62 - legend_width - 12.0, options.height - 34 - 56.0};
  DrawAxes(o, f, options.x_label, options.y_label);
  if (options.diagonal) DrawDiagonal(o, f);
  std::vector<LegendEntry> legend;
  for (size_t s = 0; s < series.size(); ++s) {
    const Series& line = series[s];
    const size_t n = std::min(line.x.size(), line.y.size());
    const size_t stride =
        options.max_points > 0 && n > static_cast<size_t>(options.max_points)
            ? (n + options.max_points - 1) / options.max_points
            : 1;
    std::ostringstream pts;
    bool have_prev = false;
    double prev_x = 0;
    for (size_t i = 0; i < n; i += stride) {
      // Always keep the last point so a thinned curve still ends where it should.
      if (i + stride >= n && i != n - 1) i = n - 1;
      const double x = line.x[i], y = line.y[i];
      if (std::isnan(x) || std::isnan(y)) continue;
      if (line.step && have_prev) pts << Num(f.X(prev_x)) << "," << Num(f.Y(y)) << " ";
      pts << Num(f.X(x)) << "," << Num(f.Y(y)) << " ";
      prev_x = x;
      have_prev = true;
    }
    const char* color = SeriesColor(s);
    o << "<polyline fill=\"none\" stroke=\"" << color << "\" stroke-width=\"2\" points=\""
      << pts.str() << "\"><title>" << Escape(line.name) << "</title></polyline>";
    legend.push_back({line.name, color});
  }
  // Keep the legend inside the chart: at most kMaxLegend entries, then a "+N more" line.
  constexpr size_t kMaxLegend = 16;
  if (legend.size() > kMaxLegend) {
    const size_t more = legend.size() - (kMaxLegend - 1);
    legend.resize(kMaxLegend - 1);
    legend.push_back({"+" + std::to_string(more) + " more (see tables)", "none"});
  }
  if (options.diagonal) legend.push_back({"chance / ideal", "#888", false, true});
  DrawLegend(o, f.left + f.width + 16, f.top + 10, legend);
  o << "</svg>";
  return o.str();
}

std::string ConfusionHeatmap(const std::vector<std::vector<int>>& confusion,
                             const std::vector<std::string>& labels, const std::string& title) {
  const size_t k = confusion.size();
  const double cell = std::clamp(380.0 / std::max<size_t>(k, 1), 24.0, 72.0);
  const double left = 150, top = 44;
  const double grid = cell * k;
  const double scale_x = left + grid + 24;
  const int width = static_cast<int>(scale_x + 80);
  const int height = static_cast<int>(top + grid + 112);
  std::ostringstream o;
  OpenSvg(o, width, height, title);
  const double font = std::min(13.0, cell / 3);
  for (size_t t = 0; t < k; ++t) {
    long row_total = 0;
    for (int v : confusion[t]) row_total += v;
    for (size_t p = 0; p < k; ++p) {
      const int count = confusion[t][p];
      const double frac = row_total > 0 ? static_cast<double>(count) / row_total : 0;
      const double x = left + p * cell, y = top + t * cell;
      o << "<rect x=\"" << Num(x) << "\" y=\"" << Num(y) << "\" width=\"" << Num(cell)
        << "\" height=\"" << Num(cell) << "\" fill=\"" << Blues(frac)
        << "\" stroke=\"#ffffff\"><title>true " << Escape(labels[t]) << ", predicted "
        << Escape(labels[p]) << ": " << count << " (" << Fixed(100 * frac, 1)
        << "% of row)</title></rect>";
      o << "<text x=\"" << Num(x + cell / 2) << "\" y=\"" << Num(y + cell / 2 + font / 3)
        << "\" text-anchor=\"middle\" font-size=\"" << Num(font) << "\" fill=\""
        << (frac > 0.5 ? "#ffffff" : "#111111") << "\">" << count << "</text>";
    }
    o << "<text x=\"" << Num(left - 6) << "\" y=\"" << Num(top + t * cell + cell / 2 + 4)
      << "\" text-anchor=\"end\" font-size=\"12\">" << Escape(TruncateMiddle(labels[t], 16))
      << "</text>";
  }
  for (size_t p = 0; p < k; ++p) {
    const double x = left + p * cell + cell / 2, y = top + grid + 10;
    o << "<text x=\"" << Num(x) << "\" y=\"" << Num(y) << "\" text-anchor=\"end\" font-size=\"12\""
      << " transform=\"rotate(-40 " << Num(x) << " " << Num(y) << ")\">"
      << Escape(TruncateMiddle(labels[p], 16)) << "</text>";
  }
  o << "<text x=\"" << Num(left + grid / 2) << "\" y=\"" << height - 8
    << "\" text-anchor=\"middle\" font-size=\"13\">predicted class</text>";
  o << "<text x=\"14\" y=\"" << Num(top + grid / 2) << "\" text-anchor=\"middle\" font-size=\"13\""
    << " transform=\"rotate(-90 14 " << Num(top + grid / 2) << ")\">true class</text>";
  // Colour scale: fraction of the true class's items.
  const int steps = 20;
  for (int i = 0; i < steps; ++i) {
    const double t = 1 - (i + 0.5) / steps;
    o << "<rect x=\"" << Num(scale_x) << "\" y=\"" << Num(top + grid * i / steps)
      << "\" width=\"14\" height=\"" << Num(grid / steps + 0.5) << "\" fill=\"" << Blues(t)
      << "\"/>";
  }
  o << "<rect x=\"" << Num(scale_x) << "\" y=\"" << Num(top) << "\" width=\"14\" height=\""
    << Num(grid) << "\" fill=\"none\" stroke=\"#333\"/>";
  for (int i = 0; i <= 4; ++i) {
    const double v = i / 4.0;
    o << "<text x=\"" << Num(scale_x + 18) << "\" y=\"" << Num(top + grid * (1 - v) + 4)
      << "\" font-size=\"11\">" << static_cast<int>(v * 100) << "%</text>";
  }
  o << "<text x=\"" << Num(scale_x) << "\" y=\"" << Num(top + grid + 18)
    << "\" font-size=\"11\">of row</text>";
  o << "</svg>";
  return o.str();
}

std::string ReliabilityDiagram(const std::vector<ReliabilityBin>& bins, const std::string& title) {
  const int width = 580, height = 430;
  std::ostringstream o;
  OpenSvg(o, width, height, title);
  Frame f{62, 34, width - 62 - 188 - 12.0, height - 34 - 56.0};
  DrawAxes(o, f, "confidence (top label)", "accuracy");
  for (const ReliabilityBin& b : bins) {
    if (b.count == 0) continue;
    const double x0 = f.X(b.lower) + 1, x1 = f.X(b.upper) - 1;
    o << "<rect x=\"" << Num(x0) << "\" y=\"" << Num(f.Y(b.accuracy)) << "\" width=\""
      << Num(x1 - x0) << "\" height=\"" << Num(f.Y(0) - f.Y(b.accuracy))
      << "\" fill=\"#0072B2\" fill-opacity=\"0.75\"><title>(" << Fixed(b.lower, 1) << ", "
      << Fixed(b.upper, 1) << "]: " << b.count << " items, accuracy " << Fixed(b.accuracy, 3)
      << ", mean confidence " << Fixed(b.mean_confidence, 3) << "</title></rect>";
    o << "<line x1=\"" << Num(x0) << "\" y1=\"" << Num(f.Y(b.mean_confidence)) << "\" x2=\""
      << Num(x1) << "\" y2=\"" << Num(f.Y(b.mean_confidence))
      << "\" stroke=\"#D55E00\" stroke-width=\"2.5\"/>";
    o << "<text x=\"" << Num((x0 + x1) / 2) << "\" y=\"" << Num(f.Y(0) - 4)
      << "\" text-anchor=\"middle\" font-size=\"9\" fill=\"#ffffff\">" << b.count << "</text>";
  }
  DrawDiagonal(o, f);
  DrawLegend(o, f.left + f.width + 16, f.top + 10,
             {{"accuracy", "#0072B2", true},
              {"mean confidence", "#D55E00"},
              {"perfect calibration", "#888", false, true}});
  o << "<text x=\"" << Num(f.left + f.width + 16) << "\" y=\"" << Num(f.top + 80)
    << "\" font-size=\"11\" fill=\"#555\">bar labels: items per bin</text>";
  o << "</svg>";
  return o.str();
}

}  // namespace svg
}  // namespace vigil
