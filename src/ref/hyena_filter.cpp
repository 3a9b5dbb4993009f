// Hyena implicit filter evaluation. Double precision: the Sin activations (frequency ~10) amplify
// rounding of their inputs, so double keeps the filter well inside the 1e-4 budget of the float32
// reference (architecture doc 7.2).
#include <cmath>
#include <stdexcept>
#include <string>

#include "m2vk/ref/mixer_ops.hpp"
#include "m2vk/ref/parallel.hpp"

namespace m2vk::ref {

namespace {

// out = sin(w_mod * freq * (W in + b)); W (rows, cols).
void sin_layer(const float* W, const float* b, const float* freq, double w_mod, const double* in, int64_t rows,
               int64_t cols, double* out) {
  for (int64_t o = 0; o < rows; ++o) {
    double acc = b[o];
    for (int64_t i = 0; i < cols; ++i) acc += static_cast<double>(W[o * cols + i]) * in[i];
    out[o] = std::sin(w_mod * static_cast<double>(freq[o]) * acc);
  }
}

}  // namespace

std::vector<double> hyena_filter(const HyenaFilterWeights& f, const FilterMlpWeights& mlp, double w_mod,
                                 int64_t length) {
  const int64_t Lmax = f.z.shape.at(0), E = f.z.shape.at(1);
  const int64_t O = mlp.w0.shape.at(0), H = mlp.w6.shape.at(0);
  if (length > Lmax)
    throw std::invalid_argument("hyena_filter: length " + std::to_string(length) + " exceeds the filter table length " +
                                std::to_string(Lmax));
  std::vector<double> k(static_cast<size_t>(H * length));
  parallel_for(length, 64, [&](int64_t j0, int64_t j1) {
    std::vector<double> z(E), a1(O), a2(O), a3(O);
    for (int64_t j = j0; j < j1; ++j) {
      for (int64_t e = 0; e < E; ++e) z[e] = f.z.data[j * E + e];
      sin_layer(mlp.w0.ptr(), mlp.b0.ptr(), f.freq.ptr(), w_mod, z.data(), O, E, a1.data());
      sin_layer(mlp.w2.ptr(), mlp.b2.ptr(), f.freq.ptr(), w_mod, a1.data(), O, O, a2.data());
      sin_layer(mlp.w4.ptr(), mlp.b4.ptr(), f.freq.ptr(), w_mod, a2.data(), O, O, a3.data());
      const double t = f.t.data[j];
      for (int64_t c = 0; c < H; ++c) {
        double h = 0;
        for (int64_t i = 0; i < O; ++i) h += static_cast<double>(mlp.w6.data[c * O + i]) * a3[i];
        k[c * length + j] = h * std::exp(-t * std::fabs(static_cast<double>(f.deltas.data[c])));
      }
    }
  });
  return k;
}

}  // namespace m2vk::ref
