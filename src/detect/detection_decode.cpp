// NanoDet and CenterNet output decoding (see detection_decode.h).
#include "detect/detection_decode.h"

#include <algorithm>
#include <cmath>

namespace vigil {
namespace {

int64_t Cells(const DetectionSpec& spec, size_t level, int input_width, int input_height) {
  const int s = spec.strides[level];
  return int64_t{(input_width + s - 1) / s} * ((input_height + s - 1) / s);
}

// Expected distance of one side: sum_k softmax(logits)_k * k, over reg_max + 1 bins.
float Integral(const float* logits, int bins) {
  float max_logit = logits[0];
  for (int k = 1; k < bins; ++k) max_logit = std::max(max_logit, logits[k]);
  double sum = 0, weighted = 0;
  for (int k = 0; k < bins; ++k) {
    const double e = std::exp(double(logits[k]) - max_logit);
    sum += e;
    weighted += e * k;
  }
  return float(weighted / sum);
}

void ClipToInput(Candidate* c, int input_width, int input_height) {
  const float w = float(input_width), h = float(input_height);
  c->x1 = std::clamp(c->x1, 0.0f, w);
  c->y1 = std::clamp(c->y1, 0.0f, h);
  c->x2 = std::clamp(c->x2, 0.0f, w);
  c->y2 = std::clamp(c->y2, 0.0f, h);
}

}  // namespace

int64_t ExpectedScoreElements(const DetectionSpec& spec, size_t level, int input_width,
                              int input_height, int num_classes) {
  return Cells(spec, level, input_width, input_height) * num_classes;
}

int64_t ExpectedBoxElements(const DetectionSpec& spec, size_t level, int input_width,
                            int input_height) {
  const int64_t per_cell = spec.architecture == "nanodet" ? 4 * (spec.reg_max + 1) : 4;
  return Cells(spec, level, input_width, input_height) * per_cell;
}

std::vector<Candidate> DecodeNanoDet(const DetectionSpec& spec, const RawDetectorOutputs& raw,
                                     int input_width, int input_height, int num_classes,
                                     float score_threshold) {
  std::vector<Candidate> out;
  const int bins = spec.reg_max + 1;
  for (size_t level = 0; level < spec.strides.size(); ++level) {
    const int stride = spec.strides[level];
    const int grid_w = (input_width + stride - 1) / stride;
    const int64_t cells = Cells(spec, level, input_width, input_height);
    const float* scores = raw.scores[level];
    const float* dists = raw.boxes[level];
    for (int64_t i = 0; i < cells; ++i) {
      const float* cell_scores = scores + i * num_classes;
      bool any = false;
      for (int c = 0; c < num_classes && !any; ++c) any = cell_scores[c] >= score_threshold;
      if (!any) continue;
      const float cx = (float(i % grid_w) + 0.5f) * stride;
      const float cy = (float(i / grid_w) + 0.5f) * stride;
      const float* d = dists + i * 4 * bins;
      Candidate box;
      box.x1 = cx - Integral(d, bins) * stride;
      box.y1 = cy - Integral(d + bins, bins) * stride;
      box.x2 = cx + Integral(d + 2 * bins, bins) * stride;
      box.y2 = cy + Integral(d + 3 * bins, bins) * stride;
      ClipToInput(&box, input_width, input_height);
      for (int c = 0; c < num_classes; ++c) {
        if (cell_scores[c] < score_threshold) continue;
        box.class_id = c;
        box.score = cell_scores[c];
        out.push_back(box);
      }
    }
  }
  return out;
}

std::vector<Candidate> DecodeCenterNet(const DetectionSpec& spec, const RawDetectorOutputs& raw,
                                       int input_width, int input_height, int num_classes,
                                       float score_threshold) {
  const int stride = spec.strides[0];
  const int grid_w = (input_width + stride - 1) / stride;
  const int grid_h = (input_height + stride - 1) / stride;
  const float* heat = raw.scores[0];  // [grid_h, grid_w, classes]
  const float* wh = raw.boxes[0];     // [grid_h, grid_w, 4]
  auto at = [&](int y, int x, int c) { return heat[(int64_t(y) * grid_w + x) * num_classes + c]; };

  // Peaks at or above the threshold (the top_k of all peaks, filtered, are the top_k of these).
  struct Peak {
    float score;
    int64_t index;  // flat index into the heatmap, as the graph's TopK sees it
  };
  std::vector<Peak> peaks;
  for (int y = 0; y < grid_h; ++y) {
    for (int x = 0; x < grid_w; ++x) {
      for (int c = 0; c < num_classes; ++c) {
        const float v = at(y, x, c);
        if (!(v >= score_threshold) || v <= 0) continue;
        bool is_max = true;
        for (int dy = -1; dy <= 1 && is_max; ++dy) {
          const int yy = y + dy;
          if (yy < 0 || yy >= grid_h) continue;
          for (int dx = -1; dx <= 1; ++dx) {
            const int xx = x + dx;
            if (xx < 0 || xx >= grid_w) continue;
            if (at(yy, xx, c) > v) {
              is_max = false;
              break;
            }
          }
        }
        if (is_max) peaks.push_back({v, (int64_t(y) * grid_w + x) * num_classes + c});
      }
    }
  }
  auto better = [](const Peak& a, const Peak& b) {
    return a.score != b.score ? a.score > b.score : a.index < b.index;
  };
  const size_t keep = std::min(peaks.size(), size_t(spec.top_k));
  std::partial_sort(peaks.begin(), peaks.begin() + keep, peaks.end(), better);
  peaks.resize(keep);

  std::vector<Candidate> out;
  out.reserve(keep);
  for (const Peak& p : peaks) {
    const int64_t cell = p.index / num_classes;
    const float x = float(cell % grid_w) * stride;
    const float y = float(cell / grid_w) * stride;
    const float* d = wh + cell * 4;
    Candidate box;
    box.class_id = int(p.index % num_classes);
    box.score = p.score;
    box.x1 = x - d[0];
    box.y1 = y - d[1];
    box.x2 = x + d[2];
    box.y2 = y + d[3];
    ClipToInput(&box, input_width, input_height);
    out.push_back(box);
  }
  return out;
}

}  // namespace vigil
