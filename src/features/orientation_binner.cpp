// OrientationBinner: unsigned gradient orientation -> histogram bin without atan2, shared by the
// Sobel and Canny edge histograms (see descriptors.h for the exact rule).
#include <cmath>

#include "features/descriptors.h"

namespace vigil::features {

OrientationBinner::OrientationBinner(int bins) {
  const double kPi = 3.14159265358979323846;
  for (int k = 1; k < bins; ++k) {
    const double angle = kPi * k / bins;
    cos_.push_back(float(std::cos(angle)));
    sin_.push_back(float(std::sin(angle)));
  }
}

int OrientationBinner::Bin(int gx, int gy) const {
  const int16_t x = int16_t(gx), y = int16_t(gy);
  float fx, fy;
  uint8_t bin;
  BinRow(&x, &y, 1, &fx, &fy, &bin);
  return bin;
}

void OrientationBinner::BinRow(const int16_t* gx, const int16_t* gy, int n, float* fx, float* fy,
                               uint8_t* out) const {
  for (int x = 0; x < n; ++x) {
    // Fold into [0, 180): flip gradients pointing up, and the one pointing along -x.
    const bool flip = gy[x] < 0 || (gy[x] == 0 && gx[x] < 0);
    fx[x] = flip ? -float(gx[x]) : float(gx[x]);
    fy[x] = flip ? -float(gy[x]) : float(gy[x]);
    out[x] = 0;
  }
  for (size_t k = 0; k < cos_.size(); ++k) {
    const float c = cos_[k], s = sin_[k];
    for (int x = 0; x < n; ++x) out[x] = uint8_t(out[x] + (c * fy[x] - s * fx[x] >= 0.0f));
  }
}

}  // namespace vigil::features
