// The PDQ algorithm on float luminance: Jarosz tent filter (two passes of row and column box
// filters, window ceil(side / 128)), decimation to 64x64 at cell centres, the gradient quality
// metric, the 16x16 corner of the 64-point DCT-II (coefficients 1..16), the median threshold, and
// the dihedral transforms of the DCT. Written from the published description (PDQ paper and the
// facebook/ThreatExchange pdq README); the arithmetic is kept in float in the reference's order so
// hashes agree with reference lists to a bit or two.
#include "hashing/pdq_core.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>

namespace vigil::hashing {
namespace {

constexpr int kPasses = 2;

// Rows 1..16 of the 64-point orthonormal DCT-II: D[i][j] = sqrt(2/64) cos(pi/128 (i+1)(2j+1)).
struct DctMatrix {
  float d[16][64];
  DctMatrix() {
    const double pi = 3.14159265358979323846;
    const float scale = static_cast<float>(std::sqrt(2.0 / 64.0));
    for (int i = 0; i < 16; ++i) {
      for (int j = 0; j < 64; ++j) {
        d[i][j] = scale * static_cast<float>(std::cos((pi / 2.0 / 64.0) * (i + 1) * (2 * j + 1)));
      }
    }
  }
};
const DctMatrix& Dct() {
  static const DctMatrix matrix;  // computed once, immutable afterwards (thread-safe init)
  return matrix;
}

// One 1-D box pass over `n` values at `stride`: output k is the mean of the inputs in the window
// [k - (half - 1), k + (window - half)] clipped to the vector, half = (window + 2) / 2.
void Box1D(const float* in, float* out, int n, int stride, int window) {
  const int half = (window + 2) / 2;
  const int phase1 = half - 1;
  const int phase2 = window - half + 1;
  const int phase3 = n - window;
  const int phase4 = half - 1;
  int li = 0, ri = 0, oi = 0, count = 0;
  float sum = 0.0f;
  for (int i = 0; i < phase1; ++i, ri += stride, ++count) sum += in[ri];
  for (int i = 0; i < phase2; ++i, ri += stride, oi += stride) {
    sum += in[ri];
    ++count;
    out[oi] = sum / count;
  }
  for (int i = 0; i < phase3; ++i, li += stride, ri += stride, oi += stride) {
    sum += in[ri];
    sum -= in[li];
    out[oi] = sum / count;
  }
  for (int i = 0; i < phase4; ++i, li += stride, oi += stride) {
    sum -= in[li];
    --count;
    out[oi] = sum / count;
  }
}

void BoxAlongRows(const float* in, float* out, int rows, int cols, int window) {
  for (int r = 0; r < rows; ++r) Box1D(in + static_cast<size_t>(r) * cols, out + static_cast<size_t>(r) * cols, cols, 1, window);
}

// The same arithmetic as Box1D down every column, done a whole row at a time so it vectorises
// and walks memory in order (each column's sums see the same operations in the same order).
void BoxAlongCols(const float* in, float* out, int rows, int cols, int window, std::vector<float>* sums_buffer) {
  const int half = (window + 2) / 2;
  const int phase1 = half - 1;
  const int phase2 = window - half + 1;
  const int phase3 = rows - window;
  const int phase4 = half - 1;
  sums_buffer->assign(cols, 0.0f);
  float* sum = sums_buffer->data();
  const size_t c = static_cast<size_t>(cols);
  int li = 0, ri = 0, oi = 0, count = 0;
  for (int i = 0; i < phase1; ++i, ++ri, ++count) {
    const float* a = in + ri * c;
    for (int j = 0; j < cols; ++j) sum[j] += a[j];
  }
  for (int i = 0; i < phase2; ++i, ++ri, ++oi) {
    const float* a = in + ri * c;
    float* o = out + oi * c;
    ++count;
    const float n = static_cast<float>(count);
    for (int j = 0; j < cols; ++j) {
      sum[j] += a[j];
      o[j] = sum[j] / n;
    }
  }
  {
    const float n = static_cast<float>(count);
    for (int i = 0; i < phase3; ++i, ++li, ++ri, ++oi) {
      const float* a = in + ri * c;
      const float* s = in + li * c;
      float* o = out + oi * c;
      for (int j = 0; j < cols; ++j) {
        sum[j] += a[j];
        sum[j] -= s[j];
        o[j] = sum[j] / n;
      }
    }
  }
  for (int i = 0; i < phase4; ++i, ++li, ++oi) {
    const float* s = in + li * c;
    float* o = out + oi * c;
    --count;
    const float n = static_cast<float>(count);
    for (int j = 0; j < cols; ++j) {
      sum[j] -= s[j];
      o[j] = sum[j] / n;
    }
  }
}

}  // namespace

int JaroszWindowSize(int old_dimension, int new_dimension) {
  return (old_dimension + 2 * new_dimension - 1) / (2 * new_dimension);
}

int PdqQuality(const float b[64][64]) {
  int gradient_sum = 0;
  for (int i = 0; i < 63; ++i) {
    for (int j = 0; j < 64; ++j) {
      const int d = static_cast<int>(((b[i][j] - b[i + 1][j]) * 100) / 255);
      gradient_sum += std::abs(d);
    }
  }
  for (int i = 0; i < 64; ++i) {
    for (int j = 0; j < 63; ++j) {
      const int d = static_cast<int>(((b[i][j] - b[i][j + 1]) * 100) / 255);
      gradient_sum += std::abs(d);
    }
  }
  return std::min(gradient_sum / 90, 100);
}

void PdqDctFromLuma(std::vector<float>* luma, std::vector<float>* scratch, int width, int height,
                    Dct16 dct, int* quality) {
  float buffer64[64][64];
  float* a = luma->data();
  if (width == 64 && height == 64) {
    std::copy(a, a + 64 * 64, &buffer64[0][0]);
  } else {
    scratch->resize(static_cast<size_t>(width) * height);
    float* b = scratch->data();
    const int window_along_rows = JaroszWindowSize(width, 64);
    const int window_along_cols = JaroszWindowSize(height, 64);
    std::vector<float> sums;
    for (int pass = 0; pass < kPasses; ++pass) {
      BoxAlongRows(a, b, height, width, window_along_rows);
      BoxAlongCols(b, a, height, width, window_along_cols, &sums);
    }
    for (int i = 0; i < 64; ++i) {
      const int y = static_cast<int>(((i + 0.5) * height) / 64);
      for (int j = 0; j < 64; ++j) {
        const int x = static_cast<int>(((j + 0.5) * width) / 64);
        buffer64[i][j] = a[static_cast<size_t>(y) * width + x];
      }
    }
  }
  *quality = PdqQuality(buffer64);

  // dct = D * A * D^T, through T = D * A (16x64); each sum runs k = 0..63 in order.
  const auto& d = Dct().d;
  float t[16][64];
  for (int i = 0; i < 16; ++i) {
    float row[64] = {};
    for (int k = 0; k < 64; ++k) {
      const float dik = d[i][k];
      for (int j = 0; j < 64; ++j) row[j] += dik * buffer64[k][j];
    }
    std::copy(row, row + 64, t[i]);
  }
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      float sum = 0.0f;
      for (int k = 0; k < 64; ++k) sum += t[i][k] * d[j][k];
      dct[i][j] = sum;
    }
  }
}

PdqHash PdqHashFromDct(const Dct16 dct) {
  std::array<float, 256> values;
  std::copy(&dct[0][0], &dct[0][0] + 256, values.begin());
  std::nth_element(values.begin(), values.begin() + 127, values.end());
  const float median = values[127];
  PdqHash hash;
  for (int k = 0; k < 256; ++k) {
    if (dct[k >> 4][k & 15] > median) hash.SetBit(k);
  }
  return hash;
}

void DihedralDct(const Dct16 in, PdqDihedral d, Dct16 out) {
  // Coefficient (i, j) is frequency (i + 1, j + 1): a flip along an axis negates the odd
  // frequencies (even i) along it, a transpose swaps the axes.
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      const float v = in[i][j];
      const bool i_even = (i & 1) == 0;
      const bool j_even = (j & 1) == 0;
      switch (d) {
        case PdqDihedral::kOriginal: out[i][j] = v; break;
        case PdqDihedral::kRotate90: out[j][i] = j_even ? -v : v; break;
        case PdqDihedral::kRotate180: out[i][j] = (i_even != j_even) ? -v : v; break;
        case PdqDihedral::kRotate270: out[j][i] = i_even ? -v : v; break;
        case PdqDihedral::kFlipX: out[i][j] = i_even ? -v : v; break;
        case PdqDihedral::kFlipY: out[i][j] = j_even ? -v : v; break;
        case PdqDihedral::kFlipPlus1: out[j][i] = v; break;
        case PdqDihedral::kFlipMinus1: out[j][i] = (i_even != j_even) ? -v : v; break;
      }
    }
  }
}

}  // namespace vigil::hashing
