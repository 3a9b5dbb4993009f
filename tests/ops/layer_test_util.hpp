// Helpers of the layer-op tests (test_gemm.cpp, test_layer_ops.cpp, ...): strided host views
// that mirror m2vk::ops::MatrixView, and double-precision CPU references of the ops.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "m2vk/ops/matrix_view.hpp"

namespace m2vk::test {

// Index of element (b, r, c) of a view in its buffer (floats).
inline std::uint64_t at(const ops::MatrixView& v, std::uint32_t b, std::uint32_t r, std::uint32_t c) {
  return v.offset + b * v.stride_batch + std::uint64_t(r) * v.stride_row + std::uint64_t(c) * v.stride_col;
}

// The view's elements in (b, r, c) order.
inline std::vector<float> gather(const std::vector<float>& buf, const ops::MatrixView& v) {
  std::vector<float> out;
  out.reserve(std::size_t(v.batch) * v.rows * v.cols);
  for (std::uint32_t b = 0; b < v.batch; ++b)
    for (std::uint32_t r = 0; r < v.rows; ++r)
      for (std::uint32_t c = 0; c < v.cols; ++c) out.push_back(buf[at(v, b, r, c)]);
  return out;
}

inline double gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

// y (B, M, out) = x * blockdiag(W)^T + bias in double, x read through its view. W is
// (nb, out/nb, in/nb) row-major (nb = 1: dense (out, in)).
inline std::vector<double> ref_linear(const std::vector<float>& xbuf, const ops::MatrixView& x,
                                      const std::vector<float>& w, const std::vector<float>* bias, std::uint32_t in,
                                      std::uint32_t out, std::uint32_t nb) {
  const std::uint32_t p = in / nb, q = out / nb;
  std::vector<double> y(std::size_t(x.batch) * x.rows * out);
  for (std::uint32_t b = 0; b < x.batch; ++b)
    for (std::uint32_t r = 0; r < x.rows; ++r)
      for (std::uint32_t n = 0; n < out; ++n) {
        const std::uint32_t blk = n / q;
        double s = bias ? (*bias)[n] : 0.0;
        for (std::uint32_t k = 0; k < p; ++k) s += double(xbuf[at(x, b, r, blk * p + k)]) * w[std::size_t(n) * p + k];
        y[(std::size_t(b) * x.rows + r) * out + n] = s;
      }
  return y;
}

// GLU over the last axis of g (rows x 2I) -> rows x I.
inline std::vector<double> ref_glu(const std::vector<double>& g, std::size_t rows, std::uint32_t half) {
  std::vector<double> y(rows * half);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::uint32_t j = 0; j < half; ++j) y[r * half + j] = gelu(g[r * 2 * half + j]) * g[r * 2 * half + half + j];
  return y;
}

inline double max_abs(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

}  // namespace m2vk::test
