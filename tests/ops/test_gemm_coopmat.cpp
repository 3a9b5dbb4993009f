// The reduced-precision GEMM (shaders/gemm_coopmat.comp: fp16 inputs, fp32 accumulation on
// cooperative matrices) against double-precision references. It runs only where the context
// enabled cooperative matrices (VK_NV_cooperative_matrix with a 16x16x16 fp16 shape, subgroup
// size 32, e.g. NVIDIA GPUs); elsewhere, lavapipe included, each case is skipped with the reason.
//
// Two comparisons per case:
//  * against the double reference of the fp16-ROUNDED inputs: only fp32 accumulation error is
//    left, so the bound is the fp32 kernel's (1e-5 * max(1, max |ref|)). This checks the kernel
//    (tiling, layouts, edges, epilogues) tightly.
//  * against the double reference of the fp32 inputs: the precision cost users see, printed and
//    recorded as the test property `rel_err_vs_fp32`, bounded by 4e-3 * max |ref| (inputs rounded
//    to 11 significant bits: 2^-11 relative each; random-sign sums over K grow like sqrt(K), the
//    reference's magnitude too).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "layer_test_util.hpp"
#include "m2vk/ops/gemm.hpp"
#include "vk_test.hpp"

namespace m2vk::test {
namespace {

using ops::Epilogue;
using ops::MatrixView;

// x rounded to the nearest fp16 value (ties to even), as float; beyond 65504: inf.
float round_fp16(float x) {
  if (!std::isfinite(x) || x == 0.0f) return x;
  const float ax = std::fabs(x);
  if (ax < 0x1p-14f) return std::ldexp(std::nearbyint(std::ldexp(x, 24)), -24);  // subnormal: quantum 2^-24
  int e = 0;
  const float m = std::frexp(x, &e);  // x = m * 2^e, 0.5 <= |m| < 1
  const float r = std::ldexp(std::nearbyint(std::ldexp(m, 11)), e - 11);
  return std::fabs(r) > 65504.0f ? std::copysign(INFINITY, x) : r;
}

std::vector<float> rounded(const std::vector<float>& v) {
  std::vector<float> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = round_fp16(v[i]);
  return out;
}

TEST(RoundFp16, ClosedForms) {
  EXPECT_EQ(round_fp16(1.0f), 1.0f);
  EXPECT_EQ(round_fp16(1.0f + 0x1p-11f), 1.0f);  // tie: to even
  EXPECT_EQ(round_fp16(1.0f + 0x1p-10f), 1.0f + 0x1p-10f);
  EXPECT_EQ(round_fp16(1.0f + 3 * 0x1p-12f), 1.0f + 0x1p-10f);
  EXPECT_EQ(round_fp16(0x1p-24f), 0x1p-24f);
  EXPECT_EQ(round_fp16(65504.0f), 65504.0f);
  EXPECT_TRUE(std::isinf(round_fp16(70000.0f)));
}

struct Case {
  std::uint32_t batch = 1, rows = 0, in = 0, out = 0, nb = 1;
  Epilogue epi = Epilogue::None;
};

class GemmCoopMat : public VkTest {
 public:
  void run(const Case& c) {
    if (!ops::coopmat_enabled(ctx()))
      GTEST_SKIP() << "no cooperative matrices on " << ctx().device_info().name << ": "
                   << ops::coopmat_missing(ctx().device_info(), ops::coopmat_enabled(ctx()));
    SCOPED_TRACE("M=" + std::to_string(c.rows) + " in=" + std::to_string(c.in) + " out=" + std::to_string(c.out) +
                 " nb=" + std::to_string(c.nb));
    const std::uint64_t n = std::uint64_t(c.batch) * c.rows;
    std::vector<float> xh = random_floats(n * c.in, 11 + c.rows);
    std::vector<float> wh = random_floats(std::size_t(c.out) * (c.in / c.nb), 12 + c.out, -0.5f, 0.5f);
    std::vector<float> bh = random_floats(c.out, 13);
    std::vector<float> rh = random_floats(n * c.out, 14);
    host::Buffer xb = ctx().create_buffer(xh.size() * 4), wb = ctx().create_buffer(wh.size() * 4),
                 bb = ctx().create_buffer(bh.size() * 4), rb = ctx().create_buffer(rh.size() * 4),
                 ob = ctx().create_buffer(n * c.out * 4);
    ctx().upload(xb, xh);
    ctx().upload(wb, wh);
    ctx().upload(bb, bh);
    ctx().upload(rb, rh);
    const MatrixView x = MatrixView::row_major(xb, c.batch, c.rows, c.in);
    const MatrixView out = MatrixView::row_major(ob, c.batch, c.rows, c.out);
    ops::LinearWeights w{wb, bb.range(), c.in, c.out, c.nb};
    ops::GemmOptions opt;
    opt.precision = ops::Precision::FP16CoopMat;
    opt.epilogue = c.epi;
    if (c.epi == Epilogue::AddResidual) opt.residual = MatrixView::row_major(rb, c.batch, c.rows, c.out);
    auto rec = ctx().record();
    ops::record_linear(ctx(), rec, x, w, out, opt);
    rec.submit_and_wait();
    const std::vector<float> got = ctx().download<float>(ob);

    auto reference = [&](const std::vector<float>& xs, const std::vector<float>& ws) {
      std::vector<double> y = ref_linear(xs, x, ws, &bh, c.in, c.out, c.nb);
      for (std::size_t i = 0; i < y.size(); ++i) {
        if (c.epi == Epilogue::Gelu) y[i] = gelu(y[i]);
        if (c.epi == Epilogue::Tanh) y[i] = std::tanh(y[i]);
        if (c.epi == Epilogue::AddResidual) y[i] += rh[i];
      }
      return y;
    };
    const std::vector<double> want16 = reference(rounded(xh), rounded(wh));
    EXPECT_TRUE(all_close(got, want16, 1e-5 * std::max(1.0, max_abs(want16)), 0.0));

    const std::vector<double> want32 = reference(xh, wh);
    double err = 0.0;
    for (std::size_t i = 0; i < got.size(); ++i) err = std::max(err, std::fabs(got[i] - want32[i]));
    const double rel = err / max_abs(want32);
    RecordProperty("rel_err_vs_fp32", std::to_string(rel));
    std::printf("fp16-coopmat M=%u in=%u out=%u nb=%u: max |gpu - fp32 ref| / max |ref| = %.3g\n", c.rows, c.in,
                c.out, c.nb, rel);
    EXPECT_LE(rel, 4e-3);
  }
};

// The 80M model's shapes at a short length, and odd sizes for the 64 x 64 tile edges and K % 16.
TEST_F(GemmCoopMat, InLinear80M) { run({.batch = 2, .rows = 100, .in = 768, .out = 2304}); }
TEST_F(GemmCoopMat, GatedBlockDiagonalGelu) { run({.rows = 130, .in = 768, .out = 3072, .nb = 4, .epi = Epilogue::Gelu}); }
TEST_F(GemmCoopMat, WoResidual) { run({.rows = 67, .in = 3072, .out = 768, .nb = 4, .epi = Epilogue::AddResidual}); }
TEST_F(GemmCoopMat, OddSizesTanh) { run({.batch = 3, .rows = 37, .in = 29, .out = 71, .epi = Epilogue::Tanh}); }

}  // namespace
}  // namespace m2vk::test
