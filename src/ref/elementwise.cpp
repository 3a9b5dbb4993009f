#include <cmath>
#include <numbers>

#include "m2vk/ref/elementwise.hpp"
#include "m2vk/ref/parallel.hpp"

namespace m2vk::ref {

void layer_norm(const float* x, int64_t rows, int64_t width, const float* gamma, const float* beta, double eps,
                float* y) {
  parallel_for(rows, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * width;
      double mean = 0;
      for (int64_t i = 0; i < width; ++i) mean += xr[i];
      mean /= static_cast<double>(width);
      double var = 0;
      for (int64_t i = 0; i < width; ++i) var += (xr[i] - mean) * (xr[i] - mean);
      var /= static_cast<double>(width);
      const double inv = 1.0 / std::sqrt(var + eps);
      float* yr = y + r * width;
      for (int64_t i = 0; i < width; ++i) yr[i] = static_cast<float>((xr[i] - mean) * inv * gamma[i] + beta[i]);
    }
  });
}

double gelu(double x) { return x * 0.5 * (1.0 + std::erf(x / std::numbers::sqrt2)); }

void glu_gelu(const float* g, int64_t rows, int64_t inter, float* a) {
  parallel_for(rows, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t i = 0; i < inter; ++i)
        a[r * inter + i] = static_cast<float>(gelu(g[r * 2 * inter + i]) * g[r * 2 * inter + inter + i]);
  });
}

void gelu_inplace(float* g, int64_t n) {
  parallel_for(n, 4096, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) g[i] = static_cast<float>(gelu(g[i]));
  });
}

}  // namespace m2vk::ref
