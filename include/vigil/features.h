// Classical image descriptors: colour histograms (RGB, HSV), Sobel and Canny edge statistics, uniform
// LBP and HOG, computed on a fixed-size copy of the image so that vectors of different photos are
// comparable. The vector is deterministic (same pixels + options -> same floats) and cheap (about
// 1.3 ms for a 256-pixel image, plus the resize of a large photo), meant as input to linear/kernel
// SVMs, k-NN and visual search.
// Thread-safety: stateless free functions; any number of threads may call them concurrently.
// OpenCV may split a resize or a filter over its own worker threads (cv::setNumThreads).
//
//   vigil::FeatureOptions options;  // defaults: 256-px longest side, all six blocks, 2641 floats,
//                                   // each block square-rooted and L2-normalised
//   VIGIL_ASSIGN_OR_RETURN(vigil::Image image, vigil::ReadImageFile("photo.jpg"));
//   VIGIL_ASSIGN_OR_RETURN(std::vector<float> x, vigil::ComputeFeatureVector(image, options));
//
// Blocks, in this fixed order (dimensions for the default options):
//   rgb_hist            512  joint R,G,B histogram, rgb_bins per channel; bin of a pixel is
//                            (r*B/256 * B + g*B/256) * B + b*B/256 (integer division). Sums to 1.
//   hsv_hist            288  joint H,S,V histogram with OpenCV's 8-bit HSV (H in [0,180), S and V in
//                            [0,256)): (h*Bh/180 * Bs + s*Bs/256) * Bv + v*Bv/256. Sums to 1.
//   sobel_edge_hist       9  edge_orientation_bins bins of unsigned gradient orientation in [0,180°)
//                            (angle = atan2(gy, gx) with y pointing down, folded into [0,180°); bin
//                            k covers [k, k+1) * 180°/bins; 0° = the gradient points along x, i.e.
//                            a vertical edge; 90° = a horizontal edge), each pixel weighted by its
//                            Sobel magnitude, summing to 1 (all 0 on a flat image); then one value:
//                            the mean Sobel magnitude / 1020 (1020 = |Sobel x| across a 0->255
//                            step; at most √2).
//                            Sobel: 3x3, on the grayscale image, border replicated.
//   canny_edge_density    9  one value: the fraction of pixels that cv::Canny (3x3 aperture,
//                            L1 gradient, canny_low/canny_high) marks as edges; then the orientation
//                            histogram (as above, unweighted) of the edge pixels, summing to 1
//                            (all 0 when there are no edges).
//   lbp_hist             59  histogram of uniform LBP codes (10 bins when lbp_rotation_invariant), on
//                            the grayscale image, over pixels at least lbp_radius from the border.
//                            Neighbour p (p = 0..7) is at (x + r*dx_p, y + r*dy_p) with (dx, dy) =
//                            (1,0), (1,-1), (0,-1), (-1,-1), (-1,0), (-1,1), (0,1), (1,1) (east, then
//                            counter-clockwise on screen); bit p is set when neighbour >= centre.
//                            Uniform codes (<= 2 circular 0/1 transitions, 58 of them) take bins
//                            0..57 in increasing code order, all others bin 58. Rotation-invariant:
//                            bin = number of set bits (0..8) for uniform codes, 9 otherwise.
//                            Sums to 1 (all 0 when the image is smaller than 2r+1).
//   hog                1764  cv::HOGDescriptor (L2-Hys blocks, unsigned gradients) of the grayscale
//                            image stretched to hog_window x hog_window (aspect not kept): one window.
//
// Image preparation: the RGB image is resized (cv::INTER_AREA when shrinking, INTER_LINEAR when
// enlarging) so that its longest side is resize_to, keeping the aspect ratio (each side >= 1);
// grayscale is cv::cvtColor RGB2GRAY (0.299 R + 0.587 G + 0.114 B, fixed point).
#pragma once

#include <string>
#include <vector>

#include "vigil/image.h"
#include "vigil/status.h"

namespace vigil {

// How ComputeFeatureVector scales each block before concatenating.
enum class BlockNorm {
  kNone,  // blocks as ComputeFeatures returns them
  kL1,    // each block divided by its L1 norm (sum of |v|)
  kL2,    // each block divided by its L2 norm: every descriptor weighs the same in a dot product
};

struct FeatureOptions {
  // Longest side of the image the descriptors are computed on (aspect kept); 0 = original size.
  int resize_to = 256;
  // Blocks to compute, by name (see above); empty = all. Output keeps the fixed order above.
  std::vector<std::string> blocks;
  // Bins per channel of the joint RGB histogram (rgb_bins^3 values), 1..64.
  int rgb_bins = 8;
  // Bins of the joint HSV histogram per channel: H over [0,180) in 1..180 bins, S and V over
  // [0,256) in 1..256 bins.
  int hsv_bins_h = 18;
  int hsv_bins_s = 4;
  int hsv_bins_v = 4;
  // Hysteresis thresholds of cv::Canny (L1 gradient of the 3x3 Sobel), 0 <= low <= high.
  double canny_low = 50;
  double canny_high = 150;
  // Orientation bins over [0,180°) of the Sobel and Canny edge histograms, 1..180.
  int edge_orientation_bins = 8;
  // LBP radius in pixels (the 8 neighbours lie on the square ring at this distance), 1..16.
  int lbp_radius = 1;
  // LBP neighbours; only 8 is supported.
  int lbp_points = 8;
  // false: uniform LBP, 59 bins; true: rotation-invariant uniform LBP ("riu2"), 10 bins.
  bool lbp_rotation_invariant = false;
  // HOG: the grayscale image is stretched to hog_window x hog_window; cells, blocks (hog_block x
  // hog_block, moved by hog_block_stride) and hog_bins orientation bins as cv::HOGDescriptor.
  // hog_window - hog_block must be a multiple of hog_block_stride; hog_block and hog_block_stride
  // multiples of hog_cell. Dimension: ((window-block)/stride+1)^2 * (block/cell)^2 * bins.
  int hog_window = 128;
  int hog_cell = 16;
  int hog_block = 32;
  int hog_block_stride = 16;
  int hog_bins = 9;
  // ComputeFeatureVector first replaces every value v by sign(v) * sqrt(|v|) ("power" or Hellinger
  // normalisation: a dot product of square-rooted L1 histograms is their Bhattacharyya
  // coefficient). Measured on data/images/stellarium_dso, 1-NN on all blocks: 49.6% without, 61.9%
  // with (113 test images, 5 classes).
  bool vector_sqrt = true;
  // Then normalises each block this way.
  BlockNorm vector_block_norm = BlockNorm::kL2;
};

// One descriptor: its name (see above) and values.
struct FeatureBlock {
  std::string name;
  std::vector<float> values;
};

// Name and dimension of one block, as the options lay it out.
struct FeatureBlockInfo {
  std::string name;
  int dimension = 0;
};

// Names of all blocks, in output order.
const std::vector<std::string>& FeatureBlockNames();

// Checks the options; kInvalidArgument naming the first bad field.
Status ValidateFeatureOptions(const FeatureOptions& options);

// The blocks the options select, with their dimensions (the vector layout), or kInvalidArgument.
Result<std::vector<FeatureBlockInfo>> DescribeFeatures(const FeatureOptions& options = {});

// Length of ComputeFeatureVector's output (2641 for the defaults), or kInvalidArgument.
Result<int> FeatureDimension(const FeatureOptions& options = {});

// Computes the selected blocks. kInvalidArgument for an empty image, a pixel buffer whose size is
// not width*height*3, or bad options; kInternal if OpenCV fails.
Result<std::vector<FeatureBlock>> ComputeFeatures(const Image& image,
                                                  const FeatureOptions& options = {});

// The selected blocks, each square-rooted (options.vector_sqrt) and normalised by
// options.vector_block_norm (an all-zero block stays zero), concatenated in order. With the
// defaults every block of a non-flat image has unit L2 norm, and a histogram block is exactly the
// square root of its bins. Same errors as ComputeFeatures.
Result<std::vector<float>> ComputeFeatureVector(const Image& image,
                                                const FeatureOptions& options = {});

// Square-roots and normalises blocks and concatenates them, as ComputeFeatureVector does with
// options.vector_sqrt and options.vector_block_norm.
std::vector<float> ConcatenateFeatureBlocks(const std::vector<FeatureBlock>& blocks, bool sqrt_values,
                                            BlockNorm norm);

}  // namespace vigil
