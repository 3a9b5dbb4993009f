// LayerNorm (+ residual) and the embedding gather + LayerNorm against double references.
// Tolerance (fp32): max |gpu - ref| <= 2e-6 * max(1, max |ref|) (rows of up to 768 values);
// outputs are pre-filled with NaN so an unwritten element fails.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include "layer_test_util.hpp"
#include "m2vk/ops/embedding.hpp"
#include "m2vk/ops/layer_norm.hpp"
#include "m2vk/ops/op_error.hpp"
#include "vk_test.hpp"

namespace m2vk::test {
namespace {

using ops::MatrixView;

constexpr double kTol = 2e-6;

std::uint32_t nan_bits() {
  const float f = std::numeric_limits<float>::quiet_NaN();
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// LayerNorm of each row of `rows` (n x cols) in double.
std::vector<double> ref_layer_norm(const std::vector<double>& x, std::size_t cols, const std::vector<float>& g,
                                   const std::vector<float>& b, double eps) {
  std::vector<double> y(x.size());
  for (std::size_t r = 0; r < x.size() / cols; ++r) {
    double mean = 0, var = 0;
    for (std::size_t c = 0; c < cols; ++c) mean += x[r * cols + c];
    mean /= double(cols);
    for (std::size_t c = 0; c < cols; ++c) var += (x[r * cols + c] - mean) * (x[r * cols + c] - mean);
    var /= double(cols);
    for (std::size_t c = 0; c < cols; ++c) y[r * cols + c] = (x[r * cols + c] - mean) / std::sqrt(var + eps) * g[c] + b[c];
  }
  return y;
}

class LayerNormTest : public VkTest, public ::testing::WithParamInterface<ops::LayerNormKernel> {
 protected:
  void run(std::uint32_t B, std::uint32_t M, std::uint32_t C, bool residual, bool channel_major_x, float shift,
           double tol = kTol) {
    SCOPED_TRACE("B=" + std::to_string(B) + " M=" + std::to_string(M) + " C=" + std::to_string(C));
    std::vector<float> xh = random_floats(std::size_t(B) * M * C, 31, -2.0f + shift, 2.0f + shift);
    std::vector<float> rh = random_floats(xh.size(), 32);
    std::vector<float> gh = random_floats(C, 33, 0.5f, 1.5f), bh = random_floats(C, 34);
    host::Buffer xb = upload(xh), rb = upload(rh), gb = upload(gh), bb = upload(bh);
    host::Buffer yb = filled(xh.size() * 4, nan_bits());
    const MatrixView x = channel_major_x ? MatrixView::channel_major(xb, B, M, C) : MatrixView::row_major(xb, B, M, C);
    std::optional<MatrixView> r;
    if (residual) r = channel_major_x ? MatrixView::channel_major(rb, B, M, C) : MatrixView::row_major(rb, B, M, C);
    const MatrixView y = MatrixView::row_major(yb, B, M, C);
    auto rec = ctx().record();
    ops::record_layer_norm(ctx(), rec, x, r, {gb, bb, 1e-12f}, y, GetParam());
    rec.submit_and_wait();
    std::vector<float> xs = gather(xh, x);
    std::vector<double> s(xs.begin(), xs.end());
    if (residual) {
      const std::vector<float> rs = gather(rh, *r);
      for (std::size_t i = 0; i < s.size(); ++i) s[i] += rs[i];
    }
    const std::vector<double> want = ref_layer_norm(s, C, gh, bh, 1e-12);
    EXPECT_TRUE(all_close(download<float>(yb), want, tol * std::max(1.0, max_abs(want)), 0.0));
  }
};

TEST_P(LayerNormTest, Rows) { run(2, 37, 64, false, false, 0.0f); }
TEST_P(LayerNormTest, WithResidual) { run(2, 16, 768, true, false, 0.0f); }
// Rows of 30 values are not whole vec4s: the storage-buffer kernel runs on CPU devices too.
TEST_P(LayerNormTest, RowsNotWholeVec4s) { run(2, 9, 30, true, false, 0.0f); }
// Wider than the 8 x 128 columns the workgroup kernel keeps in registers: the rest are re-read.
TEST_P(LayerNormTest, RowsWiderThanTheRegisterColumns) { run(1, 5, 1100, true, false, 0.0f, 4e-6); }
// More rows than one grid row of 65535 workgroups.
TEST_P(LayerNormTest, RowsBeyondOneGridRow) { run(1, 65600, 4, false, false, 0.0f); }
TEST_P(LayerNormTest, ChannelMajorInputLargeMean) {
  // |mean| = 100 >> std: a one-pass E[x^2] - mean^2 variance would lose ~4 digits here. The
  // fp32 sum x + r itself is rounded at ulp(100) = 7.6e-6, about 6e-6 of the std (1.2), which
  // sets the tolerance of this case.
  run(1, 13, 96, true, true, 100.0f, 1e-5);
}

TEST_P(LayerNormTest, ConstantRowGivesBeta) {
  std::vector<float> xh(2 * 8, 3.25f), gh(8, 2.0f), bh = random_floats(8, 35);
  host::Buffer xb = upload(xh), gb = upload(gh), bb = upload(bh), yb = filled(16 * 4, nan_bits());
  auto rec = ctx().record();
  ops::record_layer_norm(ctx(), rec, MatrixView::row_major(xb, 1, 2, 8), std::nullopt, {gb, bb, 1e-12f},
                         MatrixView::row_major(yb, 1, 2, 8), GetParam());
  rec.submit_and_wait();
  const auto got = download<float>(yb);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(got[i], bh[i % 8]) << i;
}

TEST_P(LayerNormTest, InPlace) {
  std::vector<float> xh = random_floats(3 * 40, 36), gh = random_floats(40, 37), bh = random_floats(40, 38);
  host::Buffer xb = upload(xh), gb = upload(gh), bb = upload(bh);
  const MatrixView x = MatrixView::row_major(xb, 1, 3, 40);
  auto rec = ctx().record();
  ops::record_layer_norm(ctx(), rec, x, std::nullopt, {gb, bb, 1e-5f}, x, GetParam());
  rec.submit_and_wait();
  const auto want = ref_layer_norm(std::vector<double>(xh.begin(), xh.end()), 40, gh, bh, 1e-5);
  EXPECT_TRUE(all_close(download<float>(xb), want, kTol * std::max(1.0, max_abs(want)), 0.0));
}

TEST_P(LayerNormTest, ShapeMismatchThrows) {
  host::Buffer xb = filled(64 * 4), gb = filled(8 * 4);
  auto rec = ctx().record();
  EXPECT_THROW(ops::record_layer_norm(ctx(), rec, MatrixView::row_major(xb, 1, 4, 8), std::nullopt, {gb, gb, 1e-12f},
                                      MatrixView::row_major(xb, 1, 4, 7)),
               ops::OpError);
  EXPECT_THROW(ops::record_layer_norm(ctx(), rec, MatrixView::row_major(xb, 1, 4, 16), std::nullopt, {gb, gb, 1e-12f},
                                      MatrixView::row_major(xb, 1, 4, 16)),
               ops::OpError);  // gamma holds 8 values, rows have 16
}

class EmbeddingTest : public VkTest, public ::testing::WithParamInterface<ops::LayerNormKernel> {};

TEST_P(EmbeddingTest, GatherSumAndNorm) {
  const std::uint32_t B = 2, L = 37, H = 64, V = 50, T = 2, P = 40;
  std::vector<float> word = random_floats(V * H, 41), type = random_floats(T * H, 42), pos = random_floats(P * H, 43);
  for (std::uint32_t c = 0; c < H; ++c) word[c] = 0.0f;  // padding row, as in trained checkpoints
  std::vector<float> gh = random_floats(H, 44, 0.5f, 1.5f), bh = random_floats(H, 45);
  std::vector<std::uint32_t> ids(B * L), tt(B * L);
  for (std::uint32_t i = 0; i < B * L; ++i) {
    ids[i] = (i * 7 + 3) % V;
    tt[i] = (i / 5) % T;
  }
  ids[B * L - 1] = 0;  // a pad token
  host::Buffer wb = upload(word), tb = upload(type), pb = upload(pos), gb = upload(gh), bb = upload(bh);
  host::Buffer ib = upload(ids), ttb = upload(tt), yb = filled(B * L * H * 4, nan_bits());
  ops::EmbeddingTables tabs{wb, tb, pb, V, T, P, H, {gb, bb, 1e-12f}};
  auto rec = ctx().record();
  ops::record_embedding(ctx(), rec, ib, ttb, B, L, tabs, MatrixView::row_major(yb, B, L, H), GetParam());
  rec.submit_and_wait();
  std::vector<double> e(std::size_t(B) * L * H);
  for (std::uint32_t b = 0; b < B; ++b)
    for (std::uint32_t t = 0; t < L; ++t)
      for (std::uint32_t c = 0; c < H; ++c) {
        const std::uint32_t i = b * L + t;
        e[std::size_t(i) * H + c] = double(word[ids[i] * H + c]) + type[tt[i] * H + c] + pos[t * H + c];
      }
  const auto want = ref_layer_norm(e, H, gh, bh, 1e-12);
  EXPECT_TRUE(all_close(download<float>(yb), want, kTol * std::max(1.0, max_abs(want)), 0.0));
}

TEST_F(EmbeddingTest, TooLongSequenceThrows) {
  host::Buffer t = filled(16 * 4 * 8);
  ops::EmbeddingTables tabs{t, t, t, 4, 2, 4, 8, {t, t, 1e-12f}};
  auto rec = ctx().record();
  try {
    ops::record_embedding(ctx(), rec, t, t, 1, 5, tabs, MatrixView::row_major(t, 1, 5, 8));
    ADD_FAILURE() << "no error";
  } catch (const ops::OpError& e) {
    EXPECT_NE(std::string(e.what()).find("max_position_embeddings"), std::string::npos) << e.what();
  }
}

std::string kernel_name(const ::testing::TestParamInfo<ops::LayerNormKernel>& i) {
  return i.param == ops::LayerNormKernel::Invocation ? "invocation" : "workgroup";
}
INSTANTIATE_TEST_SUITE_P(Kernels, LayerNormTest,
                         ::testing::Values(ops::LayerNormKernel::Invocation, ops::LayerNormKernel::Workgroup), kernel_name);
INSTANTIATE_TEST_SUITE_P(Kernels, EmbeddingTest,
                         ::testing::Values(ops::LayerNormKernel::Invocation, ops::LayerNormKernel::Workgroup), kernel_name);

TEST(LayerNormKernelChoice, InvocationOnCpuDevicesWorkgroupOnGpus) {
  host::DeviceInfo d;
  d.type = host::DeviceType::Cpu;
  EXPECT_EQ(ops::layer_norm_kernel_for(d), ops::LayerNormKernel::Invocation);
  d.type = host::DeviceType::DiscreteGpu;
  EXPECT_EQ(ops::layer_norm_kernel_for(d), ops::LayerNormKernel::Workgroup);
  EXPECT_EQ(ops::layer_norm_kernel_for(d, ops::LayerNormKernel::Invocation), ops::LayerNormKernel::Invocation);
}

}  // namespace
}  // namespace m2vk::test
