// Internal to src/hashing: the PDQ algorithm on a float luminance buffer (Jarosz tent-filter
// downsampling to 64x64, quality from gradients, 16x16 DCT corner, median threshold, dihedral
// transforms of the DCT). Decoding lives in pdq_file.cpp; the public API in include/vigil/hashing.h.
// Thread-safety: stateless functions; callers own every buffer.
#pragma once

#include <vector>

#include "vigil/hashing.h"
#include "vigil/image.h"

namespace vigil::hashing {

// The reference hashes images smaller than this on a side as all-zero with quality 0.
inline constexpr int kMinHashableDim = 5;

using Dct16 = float[16][16];

// Luminance Y = 0.299 R + 0.587 G + 0.114 B in float (the reference's coefficients and order).
inline float Luma(const uint8_t* rgb) { return 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2]; }

// Window size of each 1-D box pass so that two passes cover one 64th of the side: ceil(old / 128).
int JaroszWindowSize(int old_dimension, int new_dimension);

// Blurs `luma` (width x height, modified in place; `scratch` is resized as needed) with two
// row+column box-filter passes, samples it to 64x64 at the cell centres, writes the quality
// (0..100) and the 16x16 DCT corner (coefficients 1..16 of the 64-point DCT in each direction).
// Precondition: width, height >= kMinHashableDim.
void PdqDctFromLuma(std::vector<float>* luma, std::vector<float>* scratch, int width, int height,
                    Dct16 dct, int* quality);

// Quality from the 64x64 downsample: sum of quantised neighbour differences / 90, at most 100.
int PdqQuality(const float buffer64[64][64]);

// Bit k = (row k/16, column k%16) is set when that coefficient exceeds the median (the 128th
// smallest of the 256), so at most 128 bits are set.
PdqHash PdqHashFromDct(const Dct16 dct);

// The DCT of the image transformed by `d`, from the original's DCT (sign flips and transposes).
void DihedralDct(const Dct16 in, PdqDihedral d, Dct16 out);

}  // namespace vigil::hashing
