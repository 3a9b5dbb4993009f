// Cache-friendly GEMMs for the reference path: a tile of input rows is reused for every weight
// row while it sits in L1; four independent double accumulators keep the FP pipeline busy.
#include "m2vk/ref/linear.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "m2vk/ref/parallel.hpp"

namespace m2vk::ref {

namespace {

inline double dot(const float* a, const float* b, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t k = 0;
  for (; k + 4 <= n; k += 4) {
    s0 += static_cast<double>(a[k]) * b[k];
    s1 += static_cast<double>(a[k + 1]) * b[k + 1];
    s2 += static_cast<double>(a[k + 2]) * b[k + 2];
    s3 += static_cast<double>(a[k + 3]) * b[k + 3];
  }
  for (; k < n; ++k) s0 += static_cast<double>(a[k]) * b[k];
  return (s0 + s1) + (s2 + s3);
}

// y[r, 0:out] (row stride ldy) = x[r, 0:in] (row stride ldx) . w^T (+ b).
void gemm_rows(const float* x, int64_t ldx, int64_t rows, int64_t in, const float* w, const float* b, int64_t out,
               float* y, int64_t ldy) {
  constexpr int64_t kTile = 8;
  parallel_for((rows + kTile - 1) / kTile, 4, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t r0 = t * kTile, r1 = std::min(rows, r0 + kTile);
      for (int64_t o = 0; o < out; ++o) {
        const float* wr = w + o * in;
        const double bias = b ? static_cast<double>(b[o]) : 0.0;
        for (int64_t r = r0; r < r1; ++r) y[r * ldy + o] = static_cast<float>(dot(x + r * ldx, wr, in) + bias);
      }
    }
  });
}

}  // namespace

void linear(const float* x, int64_t rows, int64_t in, const float* w, const float* b, int64_t out, float* y) {
  gemm_rows(x, in, rows, in, w, b, out, y, out);
}

void blockdiag_linear(const float* x, int64_t rows, int64_t in, const float* w, int64_t nblocks, const float* b,
                      int64_t out, float* y) {
  if (nblocks <= 0 || in % nblocks != 0 || out % nblocks != 0)
    throw std::invalid_argument("blockdiag_linear: " + std::to_string(nblocks) + " blocks do not divide in=" +
                                std::to_string(in) + " / out=" + std::to_string(out));
  const int64_t p = in / nblocks, q = out / nblocks;
  for (int64_t k = 0; k < nblocks; ++k)
    gemm_rows(x + k * p, in, rows, p, w + k * q * p, b ? b + k * q : nullptr, q, y + k * q, out);
}

}  // namespace m2vk::ref
