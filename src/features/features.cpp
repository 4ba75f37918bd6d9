// Public entry points of src/features: option validation, the block layout, and ComputeFeatures /
// ComputeFeatureVector, which prepare the image once and run the selected descriptors in order.
#include "vigil/features.h"

#include <algorithm>
#include <cmath>

#include "features/descriptors.h"

namespace vigil {
namespace {

bool Selected(const FeatureOptions& options, const std::string& name) {
  return options.blocks.empty() ||
         std::find(options.blocks.begin(), options.blocks.end(), name) != options.blocks.end();
}

Status CheckRange(const char* field, double value, double low, double high) {
  if (value >= low && value <= high) return Status::Ok();
  return InvalidArgumentError(std::string("features: ") + field + " = " + std::to_string(value) +
                              " is outside [" + std::to_string(low) + ", " + std::to_string(high) +
                              "]");
}

int BlockDimension(const FeatureOptions& o, const std::string& name) {
  if (name == "rgb_hist") return o.rgb_bins * o.rgb_bins * o.rgb_bins;
  if (name == "hsv_hist") return o.hsv_bins_h * o.hsv_bins_s * o.hsv_bins_v;
  if (name == "sobel_edge_hist" || name == "canny_edge_density") return o.edge_orientation_bins + 1;
  if (name == "lbp_hist") return o.lbp_rotation_invariant ? 10 : 59;
  if (name == "hog") return features::HogDimension(o);
  return 0;
}

}  // namespace

const std::vector<std::string>& FeatureBlockNames() {
  static const std::vector<std::string> kNames = {"rgb_hist", "hsv_hist", "sobel_edge_hist",
                                                  "canny_edge_density", "lbp_hist", "hog"};
  return kNames;
}

Status ValidateFeatureOptions(const FeatureOptions& o) {
  for (const std::string& name : o.blocks) {
    const auto& names = FeatureBlockNames();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string known;
      for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
      return InvalidArgumentError("features: unknown block \"" + name + "\" (known: " + known + ")");
    }
  }
  VIGIL_RETURN_IF_ERROR(CheckRange("resize_to", o.resize_to, 0, 16384));
  VIGIL_RETURN_IF_ERROR(CheckRange("rgb_bins", o.rgb_bins, 1, 64));
  VIGIL_RETURN_IF_ERROR(CheckRange("hsv_bins_h", o.hsv_bins_h, 1, 180));
  VIGIL_RETURN_IF_ERROR(CheckRange("hsv_bins_s", o.hsv_bins_s, 1, 256));
  VIGIL_RETURN_IF_ERROR(CheckRange("hsv_bins_v", o.hsv_bins_v, 1, 256));
  VIGIL_RETURN_IF_ERROR(CheckRange("canny_low", o.canny_low, 0, 1e6));
  VIGIL_RETURN_IF_ERROR(CheckRange("canny_high", o.canny_high, o.canny_low, 1e6));
  VIGIL_RETURN_IF_ERROR(CheckRange("edge_orientation_bins", o.edge_orientation_bins, 1, 180));
  VIGIL_RETURN_IF_ERROR(CheckRange("lbp_radius", o.lbp_radius, 1, 16));
  VIGIL_RETURN_IF_ERROR(CheckRange("lbp_points", o.lbp_points, 8, 8));
  VIGIL_RETURN_IF_ERROR(CheckRange("hog_window", o.hog_window, 8, 1024));
  VIGIL_RETURN_IF_ERROR(CheckRange("hog_cell", o.hog_cell, 2, o.hog_window));
  VIGIL_RETURN_IF_ERROR(CheckRange("hog_block", o.hog_block, o.hog_cell, o.hog_window));
  VIGIL_RETURN_IF_ERROR(CheckRange("hog_block_stride", o.hog_block_stride, 1, o.hog_block));
  VIGIL_RETURN_IF_ERROR(CheckRange("hog_bins", o.hog_bins, 1, 180));
  if (o.hog_block % o.hog_cell != 0 || o.hog_block_stride % o.hog_cell != 0 ||
      (o.hog_window - o.hog_block) % o.hog_block_stride != 0) {
    return InvalidArgumentError(
        "features: HOG needs hog_block and hog_block_stride to be multiples of hog_cell and "
        "hog_window - hog_block a multiple of hog_block_stride");
  }
  if (!std::isfinite(o.canny_low) || !std::isfinite(o.canny_high)) {
    return InvalidArgumentError("features: Canny thresholds must be finite");
  }
  return Status::Ok();
}

Result<std::vector<FeatureBlockInfo>> DescribeFeatures(const FeatureOptions& options) {
  VIGIL_RETURN_IF_ERROR(ValidateFeatureOptions(options));
  std::vector<FeatureBlockInfo> out;
  for (const std::string& name : FeatureBlockNames()) {
    if (Selected(options, name)) out.push_back({name, BlockDimension(options, name)});
  }
  return out;
}

Result<int> FeatureDimension(const FeatureOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<FeatureBlockInfo> blocks, DescribeFeatures(options));
  int total = 0;
  for (const FeatureBlockInfo& b : blocks) total += b.dimension;
  return total;
}

Result<std::vector<FeatureBlock>> ComputeFeatures(const Image& image, const FeatureOptions& o) {
  if (image.empty()) {
    return InvalidArgumentError("features: empty image (" + std::to_string(image.width) + "x" +
                                std::to_string(image.height) + ")");
  }
  if (image.pixels.size() != size_t(image.width) * size_t(image.height) * 3) {
    return InvalidArgumentError("features: pixel buffer holds " + std::to_string(image.pixels.size()) +
                                " bytes, expected width * height * 3");
  }
  VIGIL_RETURN_IF_ERROR(ValidateFeatureOptions(o));
  const bool sobel = Selected(o, "sobel_edge_hist");
  const bool canny = Selected(o, "canny_edge_density");
  VIGIL_ASSIGN_OR_RETURN(features::PreparedImage prepared,
                         features::PrepareImage(image, o.resize_to, sobel || canny));
  std::vector<FeatureBlock> out;
  if (Selected(o, "rgb_hist")) {
    out.push_back({"rgb_hist", features::RgbHistogram(prepared.rgb, o.rgb_bins)});
  }
  if (Selected(o, "hsv_hist")) {
    VIGIL_ASSIGN_OR_RETURN(std::vector<float> hsv,
                           features::HsvHistogram(prepared.rgb, o.hsv_bins_h, o.hsv_bins_s, o.hsv_bins_v));
    out.push_back({"hsv_hist", std::move(hsv)});
  }
  if (sobel) {
    out.push_back({"sobel_edge_hist",
                   features::SobelEdgeHistogram(prepared.dx, prepared.dy, o.edge_orientation_bins)});
  }
  if (canny) {
    VIGIL_ASSIGN_OR_RETURN(std::vector<float> edges,
                           features::CannyEdgeDensity(prepared.dx, prepared.dy, o.canny_low,
                                                      o.canny_high, o.edge_orientation_bins));
    out.push_back({"canny_edge_density", std::move(edges)});
  }
  if (Selected(o, "lbp_hist")) {
    out.push_back({"lbp_hist",
                   features::LbpHistogram(prepared.gray, o.lbp_radius, o.lbp_rotation_invariant)});
  }
  if (Selected(o, "hog")) {
    VIGIL_ASSIGN_OR_RETURN(std::vector<float> hog, features::HogFeatures(prepared.gray, o));
    out.push_back({"hog", std::move(hog)});
  }
  return out;
}

std::vector<float> ConcatenateFeatureBlocks(const std::vector<FeatureBlock>& blocks, bool sqrt_values,
                                            BlockNorm norm) {
  std::vector<float> out;
  size_t total = 0;
  for (const FeatureBlock& b : blocks) total += b.values.size();
  out.reserve(total);
  std::vector<double> block;
  for (const FeatureBlock& b : blocks) {
    block.assign(b.values.begin(), b.values.end());
    if (sqrt_values) {
      for (double& v : block) v = std::copysign(std::sqrt(std::fabs(v)), v);
    }
    double scale = 1.0;
    if (norm != BlockNorm::kNone) {
      double sum = 0;
      for (double v : block) sum += norm == BlockNorm::kL1 ? std::fabs(v) : v * v;
      if (norm == BlockNorm::kL2) sum = std::sqrt(sum);
      scale = sum > 0 ? 1.0 / sum : 0.0;
    }
    for (double v : block) out.push_back(float(v * scale));
  }
  return out;
}

Result<std::vector<float>> ComputeFeatureVector(const Image& image, const FeatureOptions& options) {
  VIGIL_ASSIGN_OR_RETURN(std::vector<FeatureBlock> blocks, ComputeFeatures(image, options));
  return ConcatenateFeatureBlocks(blocks, options.vector_sqrt, options.vector_block_norm);
}

}  // namespace vigil
