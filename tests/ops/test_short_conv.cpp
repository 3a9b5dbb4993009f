// The mixer's short depthwise causal conv + split (+ pre-gating) against a double reference
// written from the architecture doc (3.3.1 steps 2-4). Tolerance: 1e-6 * max(1, max |ref|).
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "layer_test_util.hpp"
#include "m2vk/ops/op_error.hpp"
#include "m2vk/ops/short_conv.hpp"
#include "vk_test.hpp"

namespace m2vk::test {
namespace {

using ops::MatrixView;

std::uint32_t nan_bits() {
  const float f = std::numeric_limits<float>::quiet_NaN();
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

class ShortConvTest : public VkTest {
 protected:
  // q[b, c, t] for all 3H channels, channel-major (B, 3H, L), in double.
  static std::vector<double> ref(const std::vector<float>& p, const MatrixView& pv, const std::vector<float>& w,
                                 const std::vector<float>& bias, std::uint32_t H) {
    const std::uint32_t B = pv.batch, L = pv.rows;
    std::vector<double> q(std::size_t(B) * 3 * H * L);
    for (std::uint32_t b = 0; b < B; ++b)
      for (std::uint32_t c = 0; c < 3 * H; ++c)
        for (std::uint32_t t = 0; t < L; ++t) {
          double s = bias[c];
          for (std::uint32_t k = 0; k < 3; ++k) {
            const int src = int(t) - 2 + int(k);  // tap 2 multiplies the current position
            if (src >= 0) s += double(w[c * 3 + k]) * p[at(pv, b, std::uint32_t(src), c)];
          }
          q[(std::size_t(b) * 3 * H + c) * L + t] = s;
        }
    return q;
  }

  void run(std::uint32_t B, std::uint32_t L, std::uint32_t H, bool token_major_p, bool gated) {
    SCOPED_TRACE("B=" + std::to_string(B) + " L=" + std::to_string(L) + " H=" + std::to_string(H));
    std::vector<float> ph = random_floats(std::size_t(B) * L * 3 * H, 51), wh = random_floats(9 * H, 52),
                       bh = random_floats(3 * H, 53);
    host::Buffer pb = upload(ph), wb = upload(wh), bb = upload(bh);
    const MatrixView p = token_major_p ? MatrixView::row_major(pb, B, L, 3 * H) : MatrixView::channel_major(pb, B, L, 3 * H);
    const std::vector<double> q = ref(ph, p, wh, bh, H);
    const ops::ShortConvWeights w{wb, bb, H};
    auto rec = ctx().record();
    if (!gated) {
      host::Buffer qb = filled(q.size() * 4, nan_bits());
      ops::record_short_conv(ctx(), rec, p, w, MatrixView::channel_major(qb, B, L, 3 * H));
      rec.submit_and_wait();
      EXPECT_TRUE(all_close(download<float>(qb), q, 1e-6 * std::max(1.0, max_abs(q)), 0.0));
      return;
    }
    host::Buffer x1v = filled(std::size_t(B) * H * L * 4, nan_bits()), x2 = filled(std::size_t(B) * H * L * 4, nan_bits());
    ops::record_short_conv_gated(ctx(), rec, p, w, MatrixView::channel_major(x1v, B, L, H),
                                 MatrixView::channel_major(x2, B, L, H));
    rec.submit_and_wait();
    std::vector<double> want1(std::size_t(B) * H * L), want2(want1.size());
    for (std::uint32_t b = 0; b < B; ++b)
      for (std::uint32_t c = 0; c < H; ++c)
        for (std::uint32_t t = 0; t < L; ++t) {
          auto qq = [&](std::uint32_t ch) { return q[(std::size_t(b) * 3 * H + ch) * L + t]; };
          want1[(std::size_t(b) * H + c) * L + t] = qq(c) * qq(2 * H + c);  // x1 * v
          want2[(std::size_t(b) * H + c) * L + t] = qq(H + c);              // x2
        }
    EXPECT_TRUE(all_close(download<float>(x1v), want1, 2e-6 * std::max(1.0, max_abs(want1)), 0.0));
    EXPECT_TRUE(all_close(download<float>(x2), want2, 1e-6 * std::max(1.0, max_abs(want2)), 0.0));
  }
};

TEST_F(ShortConvTest, FullOutputFromTokenMajor) { run(2, 37, 16, true, false); }
TEST_F(ShortConvTest, FullOutputFromChannelMajor) { run(2, 5, 8, false, false); }
TEST_F(ShortConvTest, GatedSplit) { run(2, 37, 16, true, true); }
TEST_F(ShortConvTest, LengthOneAndTwo) {
  run(1, 1, 4, true, false);
  run(3, 2, 4, true, true);
}
TEST_F(ShortConvTest, M2Bert80MWidth) { run(2, 16, 768, true, true); }
// 16 x 16 thread tiles: partial tiles in both time (50 = 3 * 16 + 2) and channels (20 = 16 + 4).
TEST_F(ShortConvTest, PartialTilesInTimeAndChannels) {
  run(3, 50, 20, true, true);
  run(2, 50, 20, true, false);
}

// The gated op stores 4 steps per invocation as vec4s when the outputs allow it (channel-major,
// L % 4 == 0), else one step per invocation: both against the double reference, from either
// input layout, with partial 64-step tiles.
TEST_F(ShortConvTest, GatedVec4AndScalarPaths) {
  ctx().log_dispatches(true);
  run(2, 132, 24, true, true);   // 132 = 2 * 64 + 4
  run(1, 8, 16, false, true);
  EXPECT_EQ(ctx().dispatched_pipelines().count("layer_short_conv_gated_v4"), 1u);
  EXPECT_EQ(ctx().dispatched_pipelines().count("layer_short_conv_gated"), 0u);
  ctx().log_dispatches(true);  // clears the log
  run(2, 66, 24, true, true);  // L % 4 != 0
  EXPECT_EQ(ctx().dispatched_pipelines().count("layer_short_conv_gated"), 1u);
  EXPECT_EQ(ctx().dispatched_pipelines().count("layer_short_conv_gated_v4"), 0u);
  ctx().log_dispatches(false);
}

TEST_F(ShortConvTest, WrongWidthThrows) {
  host::Buffer b = filled(4096);
  auto rec = ctx().record();
  EXPECT_THROW(ops::record_short_conv(ctx(), rec, MatrixView::row_major(b, 1, 4, 10), {b, b, 4},
                                      MatrixView::row_major(b, 1, 4, 12)),
               ops::OpError);
}

}  // namespace
}  // namespace m2vk::test
