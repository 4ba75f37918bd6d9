// Detection decoding: raw detector outputs of one image -> candidate boxes in model-input pixels.
// NanoDet (GFL head: per-stride sigmoid class scores + 4 x (reg_max + 1)-bin distance
// distributions) and CenterNet (3x3 max-pool peaks of a class heatmap + a left/top/right/bottom box
// map). The layouts are described on DetectionSpec (include/vigil/model_manifest.h).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "vigil/model_manifest.h"
#include "vigil/status.h"

namespace vigil {

// One candidate box in model-input pixel coordinates.
struct Candidate {
  int class_id = 0;
  float score = 0;
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};

// The raw outputs of ONE image: for each stride, a pointer to its score block and to its box
// block (the batch dimension already removed), in the order of spec.score_outputs/box_outputs.
struct RawDetectorOutputs {
  std::vector<const float*> scores;
  std::vector<const float*> boxes;
};

// Number of floats each output of one image must hold, per stride (for shape checks).
int64_t ExpectedScoreElements(const DetectionSpec& spec, size_t level, int input_width,
                              int input_height, int num_classes);
int64_t ExpectedBoxElements(const DetectionSpec& spec, size_t level, int input_width,
                            int input_height);

// NanoDet: every (cell, class) with score >= score_threshold becomes a candidate; its box is
// centre -/+ softmax-integral distances * stride, clipped to the input.
std::vector<Candidate> DecodeNanoDet(const DetectionSpec& spec, const RawDetectorOutputs& raw,
                                     int input_width, int input_height, int num_classes,
                                     float score_threshold);

// CenterNet: heatmap values equal to their 3x3 neighbourhood maximum (SAME padding), the top_k
// best (ties: lower flat index first), those >= score_threshold (and > 0) kept; boxes clipped to
// the input.
std::vector<Candidate> DecodeCenterNet(const DetectionSpec& spec, const RawDetectorOutputs& raw,
                                       int input_width, int input_height, int num_classes,
                                       float score_threshold);

}  // namespace vigil
