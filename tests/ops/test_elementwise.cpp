// Element-wise layer ops: GELU / tanh / GLU activations and y = a * b (+ c), against double.
// Tolerance: 1e-6 * max(1, |ref|) for the activations (erf approximation <= 2e-7), exact-ish
// (1e-6 relative) for the multiply-add.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "layer_test_util.hpp"
#include "m2vk/ops/activation.hpp"
#include "m2vk/ops/mul_add.hpp"
#include "m2vk/ops/op_error.hpp"
#include "vk_test.hpp"

namespace m2vk::test {
namespace {

using ops::MatrixView;

class ElementwiseTest : public VkTest {};

TEST_F(ElementwiseTest, GeluMatchesErfForm) {
  // Inputs cover the series branch (|x| < 0.5), the rational branch and large |x|.
  std::vector<float> xh = random_floats(3 * 41, 61, -6.0f, 6.0f);
  xh[0] = 0.0f;
  xh[1] = 0.49f;
  xh[2] = -0.51f;
  xh[3] = 30.0f;
  xh[4] = -30.0f;
  host::Buffer xb = upload(xh), yb = filled(xh.size() * 4);
  auto rec = ctx().record();
  ops::record_activation(ctx(), rec, ops::Activation::Gelu, MatrixView::row_major(xb, 1, 3, 41),
                         MatrixView::row_major(yb, 1, 3, 41));
  rec.submit_and_wait();
  std::vector<double> want;
  for (float v : xh) want.push_back(gelu(v));
  EXPECT_TRUE(all_close(download<float>(yb), want, 1e-6, 1e-6));
}

TEST_F(ElementwiseTest, TanhSaturatesWithoutNaN) {
  std::vector<float> xh = random_floats(64, 62, -4.0f, 4.0f);
  xh[0] = 100.0f;
  xh[1] = -100.0f;
  host::Buffer xb = upload(xh), yb = filled(64 * 4);
  auto rec = ctx().record();
  ops::record_activation(ctx(), rec, ops::Activation::Tanh, MatrixView::row_major(xb, 2, 4, 8),
                         MatrixView::channel_major(yb, 2, 4, 8));
  rec.submit_and_wait();
  const MatrixView yv = MatrixView::channel_major(yb, 2, 4, 8);
  std::vector<double> want;
  for (float v : xh) want.push_back(std::tanh(double(v)));
  EXPECT_TRUE(all_close(gather(download<float>(yb), yv), want, 1e-6, 1e-6));
}

TEST_F(ElementwiseTest, GluPairsColumnJWithJPlusHalf) {
  const std::uint32_t B = 2, M = 7, I = 12;
  std::vector<float> gh = random_floats(B * M * 2 * I, 63, -3.0f, 3.0f);
  host::Buffer gb = upload(gh), yb = filled(B * M * I * 4);
  auto rec = ctx().record();
  ops::record_activation(ctx(), rec, ops::Activation::Glu, MatrixView::row_major(gb, B, M, 2 * I),
                         MatrixView::row_major(yb, B, M, I));
  rec.submit_and_wait();
  const auto want = ref_glu(std::vector<double>(gh.begin(), gh.end()), B * M, I);
  EXPECT_TRUE(all_close(download<float>(yb), want, 1e-6, 1e-6));
}

TEST_F(ElementwiseTest, MulAddPostGateAndResidual) {
  const std::uint32_t B = 2, L = 19, H = 24;
  std::vector<float> a = random_floats(B * L * H, 64), b = random_floats(B * L * H, 65), c = random_floats(B * L * H, 66);
  host::Buffer ab = upload(a), bb = upload(b), cb = upload(c), yb = filled(a.size() * 4);
  auto view = [&](const host::Buffer& buf) { return MatrixView::channel_major(buf, B, L, H); };
  auto rec = ctx().record();
  ops::record_mul_add(ctx(), rec, view(ab), view(bb), view(cb), view(yb));
  ops::record_mul_add(ctx(), rec, view(ab), view(bb), std::nullopt, view(ab));  // in place: a <- a * b
  rec.submit_and_wait();
  std::vector<double> want(a.size()), want_inplace(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    want[i] = double(a[i]) * b[i] + c[i];
    want_inplace[i] = double(a[i]) * b[i];
  }
  EXPECT_TRUE(all_close(download<float>(yb), want, 1e-6, 1e-6));
  EXPECT_TRUE(all_close(download<float>(ab), want_inplace, 1e-6, 1e-6));
}

TEST_F(ElementwiseTest, MismatchedViewsThrow) {
  host::Buffer b = filled(1024);
  auto rec = ctx().record();
  EXPECT_THROW(ops::record_activation(ctx(), rec, ops::Activation::Glu, MatrixView::row_major(b, 1, 4, 8),
                                      MatrixView::row_major(b, 1, 4, 8)),
               ops::OpError);
  EXPECT_THROW(ops::record_mul_add(ctx(), rec, MatrixView::row_major(b, 1, 4, 8), MatrixView::channel_major(b, 1, 4, 8),
                                   std::nullopt, MatrixView::row_major(b, 1, 4, 8)),
               ops::OpError);
}

}  // namespace
}  // namespace m2vk::test
