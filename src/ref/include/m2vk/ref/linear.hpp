// Linear layers of the reference path, row-vector convention y = x W^T + b, float storage with
// double accumulation.
#pragma once

#include <cstdint>

namespace m2vk::ref {

// x (rows, in), w (out, in), b (out) or null -> y (rows, out).
void linear(const float* x, int64_t rows, int64_t in, const float* w, const float* b, int64_t out, float* y);

// Block-diagonal (Monarch) linear: w (nb, out/nb, in/nb); block k maps input chunk k (in/nb values)
// to output chunk k (out/nb values); b (out) or null. in and out must be divisible by nb.
void blockdiag_linear(const float* x, int64_t rows, int64_t in, const float* w, int64_t nblocks, const float* b,
                      int64_t out, float* y);

}  // namespace m2vk::ref
