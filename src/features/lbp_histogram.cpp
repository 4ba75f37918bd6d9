// lbp_hist: local binary patterns with 8 neighbours on the square ring of radius r (no
// interpolation), histogram of uniform codes (59 bins) or rotation-invariant uniform codes (10 bins),
// normalised to sum to 1 over the pixels at least r from the border.
#include <cstdint>

#include "features/descriptors.h"

namespace vigil::features {
namespace {

int Transitions(int code) {
  int t = 0;
  for (int p = 0; p < 8; ++p) t += ((code >> p) & 1) != ((code >> ((p + 1) % 8)) & 1);
  return t;
}

int BitCount(int code) {
  int n = 0;
  for (int p = 0; p < 8; ++p) n += (code >> p) & 1;
  return n;
}

}  // namespace

std::array<uint8_t, 256> LbpBinTable(bool rotation_invariant) {
  std::array<uint8_t, 256> table{};
  int next_uniform = 0;
  for (int code = 0; code < 256; ++code) {
    const bool uniform = Transitions(code) <= 2;
    if (rotation_invariant) {
      table[size_t(code)] = uint8_t(uniform ? BitCount(code) : 9);
    } else {
      table[size_t(code)] = uint8_t(uniform ? next_uniform++ : 58);
    }
  }
  return table;
}

std::vector<float> LbpHistogram(const cv::Mat& gray, int radius, bool rotation_invariant) {
  const std::array<uint8_t, 256> table = LbpBinTable(rotation_invariant);
  std::vector<uint32_t> counts(rotation_invariant ? 10 : 59, 0);
  const int r = radius;
  const int step = int(gray.step1());
  // Neighbour p: east, then counter-clockwise on screen (y grows downwards).
  const int offsets[8] = {r, r - r * step, -r * step, -r - r * step, -r, -r + r * step, r * step,
                          r + r * step};
  uint64_t n = 0;
  for (int y = r; y < gray.rows - r; ++y) {
    const uint8_t* row = gray.ptr<uint8_t>(y);
    for (int x = r; x < gray.cols - r; ++x) {
      const uint8_t* c = row + x;
      const uint8_t v = *c;
      int code = 0;
      for (int p = 0; p < 8; ++p) code |= int(c[offsets[p]] >= v) << p;
      ++counts[table[size_t(code)]];
      ++n;
    }
  }
  std::vector<float> hist(counts.size(), 0.0f);
  if (n > 0) {
    for (size_t i = 0; i < counts.size(); ++i) hist[i] = float(double(counts[i]) / double(n));
  }
  return hist;
}

}  // namespace vigil::features
