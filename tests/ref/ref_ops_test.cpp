// Reference ops against independent computations: the FFT against the DFT sum, the FFT long
// convolution against the direct O(L^2) sum (odd L, L = 1, causal and bidirectional), GEMMs against
// naive loops, block-diagonal against the equivalent dense matrix, LayerNorm / GELU against closed
// forms, the short conv and the Hyena filter against their formulas evaluated here.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <vector>

#include "m2vk/ref/elementwise.hpp"
#include "m2vk/ref/fft.hpp"
#include "m2vk/ref/linear.hpp"
#include "m2vk/ref/long_conv.hpp"
#include "m2vk/ref/mixer_ops.hpp"

namespace {

using namespace m2vk;

std::vector<float> random_floats(size_t n, unsigned seed, float scale = 1.0f) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> d(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

std::vector<double> random_doubles(size_t n, unsigned seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> d(-1, 1);
  std::vector<double> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

TEST(Fft, MatchesDirectDftForPowersOfTwo) {
  for (size_t n : {1, 2, 8, 64, 256}) {
    std::vector<std::complex<double>> x(n);
    auto re = random_doubles(n, 1), im = random_doubles(n, 2);
    for (size_t i = 0; i < n; ++i) x[i] = {re[i], im[i]};
    auto X = x;
    ref::Fft(n).forward(X.data());
    double worst = 0;
    for (size_t k = 0; k < n; ++k) {
      std::complex<double> s = 0;
      for (size_t j = 0; j < n; ++j)
        s += x[j] * std::polar(1.0, -2 * std::numbers::pi * static_cast<double>(j * k % n) / static_cast<double>(n));
      worst = std::max(worst, std::abs(s - X[k]));
    }
    EXPECT_LT(worst, 1e-12 * static_cast<double>(n)) << "n=" << n;
    ref::Fft(n).inverse(X.data());
    for (size_t i = 0; i < n; ++i) EXPECT_NEAR(std::abs(X[i] / static_cast<double>(n) - x[i]), 0.0, 1e-13);
  }
}

TEST(Fft, RejectsNonPowerOfTwo) { EXPECT_THROW(ref::Fft(12), std::invalid_argument); }

TEST(Fft, ConvSizeIsSmallestPowerOfTwoAtLeast2LMinus1) {
  EXPECT_EQ(ref::conv_fft_size(1), 1u);
  EXPECT_EQ(ref::conv_fft_size(2), 4u);
  EXPECT_EQ(ref::conv_fft_size(3), 8u);
  EXPECT_EQ(ref::conv_fft_size(37), 128u);
  EXPECT_EQ(ref::conv_fft_size(32768), 65536u);
}

void check_long_conv(int64_t B, int64_t H, int64_t L, bool bidirectional, bool with_d) {
  auto x = random_floats(static_cast<size_t>(B * H * L), 3);
  auto kf = random_doubles(static_cast<size_t>(H * L), 4);
  auto kr = random_doubles(static_cast<size_t>(H * L), 5);
  auto D = random_floats(static_cast<size_t>(H), 6);
  std::vector<float> fast(x.size()), direct(x.size());
  ref::long_conv(x.data(), B, H, L, kf.data(), bidirectional ? kr.data() : nullptr, with_d ? D.data() : nullptr,
                 fast.data());
  ref::long_conv_direct(x.data(), B, H, L, kf.data(), bidirectional ? kr.data() : nullptr,
                        with_d ? D.data() : nullptr, direct.data());
  double worst = 0, mag = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    worst = std::max(worst, static_cast<double>(std::fabs(fast[i] - direct[i])));
    mag = std::max(mag, static_cast<double>(std::fabs(direct[i])));
  }
  // Both round the same double sum to float: a few float ulps of the magnitude.
  EXPECT_LE(worst, 4e-7 * std::max(1.0, mag)) << "B=" << B << " H=" << H << " L=" << L;
}

TEST(LongConv, FftMatchesDirectSumBidirectionalOddSizes) {
  check_long_conv(2, 5, 37, true, true);
  check_long_conv(1, 3, 129, true, true);
}
TEST(LongConv, FftMatchesDirectSumCausal) { check_long_conv(2, 4, 23, false, true); }
TEST(LongConv, LengthOneIsLagZeroPlusSkip) {
  check_long_conv(3, 3, 1, true, true);
  const float x = 2.0f, D = 0.5f;
  const double kf = 3.0, kr = 100.0;  // k_rev[0] multiplies the next position, which does not exist
  float y = 0;
  ref::long_conv(&x, 1, 1, 1, &kf, &kr, &D, &y);
  EXPECT_FLOAT_EQ(y, 2.0f * 3.0f + 0.5f * 2.0f);
}

TEST(LongConv, ReverseFilterOffsetClosedForm) {
  // x = unit impulse at s = 3: y[t] = k_fwd[t-3] for t >= 3, k_rev[3-t-1] for t < 3.
  const int64_t L = 6;
  std::vector<float> x(L, 0.0f), y(L);
  x[3] = 1.0f;
  std::vector<double> kf = {1, 2, 3, 4, 5, 6}, kr = {10, 20, 30, 40, 50, 60};
  ref::long_conv(x.data(), 1, 1, L, kf.data(), kr.data(), nullptr, y.data());
  const std::vector<float> want = {30, 20, 10, 1, 2, 3};
  for (int64_t t = 0; t < L; ++t) EXPECT_NEAR(y[t], want[t], 1e-9) << "t=" << t;
}

TEST(Linear, MatchesNaiveSum) {
  const int64_t rows = 13, in = 7, out = 9;
  auto x = random_floats(rows * in, 7), w = random_floats(out * in, 8), b = random_floats(out, 9);
  std::vector<float> y(rows * out);
  ref::linear(x.data(), rows, in, w.data(), b.data(), out, y.data());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double s = b[o];
      for (int64_t k = 0; k < in; ++k) s += static_cast<double>(x[r * in + k]) * w[o * in + k];
      EXPECT_NEAR(y[r * out + o], s, 1e-6);
    }
}

TEST(Linear, BlockDiagonalEqualsDenseBlockMatrix) {
  const int64_t rows = 5, nb = 4, p = 3, q = 6, in = nb * p, out = nb * q;
  auto x = random_floats(rows * in, 10), w = random_floats(nb * q * p, 11), b = random_floats(out, 12);
  std::vector<float> dense(out * in, 0.0f);  // blockdiag(W[0], ..., W[nb-1])
  for (int64_t k = 0; k < nb; ++k)
    for (int64_t i = 0; i < q; ++i)
      for (int64_t j = 0; j < p; ++j) dense[(k * q + i) * in + k * p + j] = w[(k * q + i) * p + j];
  std::vector<float> y1(rows * out), y2(rows * out);
  ref::blockdiag_linear(x.data(), rows, in, w.data(), nb, b.data(), out, y1.data());
  ref::linear(x.data(), rows, in, dense.data(), b.data(), out, y2.data());
  for (size_t i = 0; i < y1.size(); ++i) EXPECT_NEAR(y1[i], y2[i], 1e-6);
  EXPECT_THROW(ref::blockdiag_linear(x.data(), rows, in, w.data(), 5, nullptr, out, y1.data()), std::invalid_argument);
}

TEST(Elementwise, LayerNormClosedForm) {
  // x = [1, 2, 3, 4]: mean 2.5, biased variance 1.25.
  std::vector<float> x = {1, 2, 3, 4}, g = {1, 2, 1, 1}, b = {0, 0, 1, 0}, y(4);
  ref::layer_norm(x.data(), 1, 4, g.data(), b.data(), 0.0, y.data());
  const double s = std::sqrt(1.25);
  EXPECT_NEAR(y[0], -1.5 / s, 1e-6);
  EXPECT_NEAR(y[1], 2 * -0.5 / s, 1e-6);
  EXPECT_NEAR(y[2], 0.5 / s + 1, 1e-6);
  EXPECT_NEAR(y[3], 1.5 / s, 1e-6);
}

TEST(Elementwise, GeluIsTheErfForm) {
  EXPECT_DOUBLE_EQ(ref::gelu(0.0), 0.0);
  EXPECT_NEAR(ref::gelu(1.0), 0.8413447460685429, 1e-15);   // Phi(1)
  EXPECT_NEAR(ref::gelu(-2.0), -0.04550026389635842, 1e-15);  // -2 Phi(-2)
  std::vector<float> g = {1.0f, -1.0f, 2.0f, 3.0f}, a(2);  // one row, I = 2: gate [1, -1], value [2, 3]
  ref::glu_gelu(g.data(), 1, 2, a.data());
  EXPECT_NEAR(a[0], ref::gelu(1.0) * 2.0, 1e-6);  // GELU(first half) * second half
  EXPECT_NEAR(a[1], ref::gelu(-1.0) * 3.0, 1e-6);
}

TEST(ShortConv, CausalThreeTapsWithTranspose) {
  const int64_t B = 2, L = 5, C = 3;
  auto p = random_floats(B * L * C, 13), w = random_floats(C * 3, 14), bias = random_floats(C, 15);
  std::vector<float> q(B * C * L);
  ref::short_causal_conv(p.data(), B, L, C, w.data(), bias.data(), q.data());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t t = 0; t < L; ++t) {
        double want = bias[c];
        for (int64_t tap = 0; tap < 3; ++tap) {
          const int64_t s = t - 2 + tap;  // tap 2 multiplies the current position
          if (s >= 0) want += static_cast<double>(w[c * 3 + tap]) * p[(b * L + s) * C + c];
        }
        EXPECT_NEAR(q[(b * C + c) * L + t], want, 1e-6);
      }
}

TEST(HyenaFilter, MatchesFormulaAndIsPrefixStable) {
  const int64_t Lmax = 16, E = 3, O = 4, H = 5;
  HyenaFilterWeights f;
  f.z = FloatTensor({Lmax, E}, random_floats(Lmax * E, 16));
  f.t = FloatTensor({Lmax}, random_floats(Lmax, 17));
  for (auto& v : f.t.data) v = std::fabs(v);
  f.deltas = FloatTensor({H}, random_floats(H, 18, 5.0f));
  f.freq = FloatTensor({O}, random_floats(O, 19, 10.0f));
  FilterMlpWeights m;
  m.w0 = FloatTensor({O, E}, random_floats(O * E, 20));
  m.b0 = FloatTensor({O}, random_floats(O, 21));
  m.w2 = FloatTensor({O, O}, random_floats(O * O, 22));
  m.b2 = FloatTensor({O}, random_floats(O, 23));
  m.w4 = FloatTensor({O, O}, random_floats(O * O, 24));
  m.b4 = FloatTensor({O}, random_floats(O, 25));
  m.w6 = FloatTensor({H, O}, random_floats(H * O, 26));
  const double w_mod = 1.5;
  auto k = ref::hyena_filter(f, m, w_mod, Lmax);
  auto layer = [&](const FloatTensor& W, const FloatTensor& b, const std::vector<double>& in) {
    std::vector<double> out(static_cast<size_t>(O));
    for (int64_t o = 0; o < O; ++o) {
      double s = b.data[o];
      for (size_t i = 0; i < in.size(); ++i) s += W.data[o * static_cast<int64_t>(in.size()) + i] * in[i];
      out[o] = std::sin(w_mod * f.freq.data[o] * s);
    }
    return out;
  };
  for (int64_t j = 0; j < Lmax; ++j) {
    std::vector<double> z(f.z.data.begin() + j * E, f.z.data.begin() + (j + 1) * E);
    auto a3 = layer(m.w4, m.b4, layer(m.w2, m.b2, layer(m.w0, m.b0, z)));
    for (int64_t c = 0; c < H; ++c) {
      double h = 0;
      for (int64_t i = 0; i < O; ++i) h += m.w6.data[c * O + i] * a3[i];
      EXPECT_NEAR(k[c * Lmax + j],
                  h * std::exp(-static_cast<double>(f.t.data[j]) * std::fabs(static_cast<double>(f.deltas.data[c]))),
                  1e-12);
    }
  }
  // Filters for a shorter length are prefixes of the longer ones.
  auto k5 = ref::hyena_filter(f, m, w_mod, 5);
  for (int64_t c = 0; c < H; ++c)
    for (int64_t j = 0; j < 5; ++j) EXPECT_EQ(k5[c * 5 + j], k[c * Lmax + j]);
  EXPECT_THROW(ref::hyena_filter(f, m, w_mod, Lmax + 1), std::invalid_argument);
}

}  // namespace
