// Pooling: masked mean over tokens (pool_all = true) and the CLS view, against double.
#include <gtest/gtest.h>

#include "layer_test_util.hpp"
#include "m2vk/ops/op_error.hpp"
#include "m2vk/ops/pooling.hpp"
#include "vk_test.hpp"

namespace m2vk::test {
namespace {

using ops::MatrixView;

class PoolingTest : public VkTest {};

TEST_F(PoolingTest, MaskedMean) {
  const std::uint32_t B = 3, L = 50, H = 96;
  std::vector<float> hh = random_floats(B * L * H, 71);
  std::vector<std::uint32_t> mask(B * L, 0);
  const std::uint32_t real[B] = {50, 31, 0};  // the last row has no real token
  for (std::uint32_t b = 0; b < B; ++b)
    for (std::uint32_t t = 0; t < real[b]; ++t) mask[b * L + t] = 1;
  host::Buffer hb = upload(hh), mb = upload(mask), ob = filled(B * H * 4);
  auto rec = ctx().record();
  ops::record_mean_pool(ctx(), rec, MatrixView::row_major(hb, B, L, H), mb, MatrixView::row_major(ob, B, 1, H));
  rec.submit_and_wait();
  std::vector<double> want(B * H, 0.0);
  for (std::uint32_t b = 0; b < B; ++b)
    for (std::uint32_t c = 0; c < H; ++c) {
      double s = 0;
      for (std::uint32_t t = 0; t < real[b]; ++t) s += hh[(b * L + t) * H + c];
      want[b * H + c] = real[b] ? s / real[b] : 0.0;  // documented: empty rows give 0, not NaN
    }
  EXPECT_TRUE(all_close(download<float>(ob), want, 1e-6, 1e-6));
}

TEST_F(PoolingTest, ClsRowsViewIsTokenZero) {
  host::Buffer hb = filled(2 * 5 * 8 * 4);
  const MatrixView cls = ops::cls_rows(MatrixView::row_major(hb, 2, 5, 8));
  EXPECT_EQ(cls.rows, 1u);
  EXPECT_EQ(cls.stride_batch, 40u);
  EXPECT_EQ(cls.extent(), 40u + 8u);
}

TEST_F(PoolingTest, ShortMaskThrows) {
  host::Buffer hb = filled(2 * 5 * 8 * 4), mb = filled(4 * 4), ob = filled(16 * 4);
  auto rec = ctx().record();
  EXPECT_THROW(ops::record_mean_pool(ctx(), rec, MatrixView::row_major(hb, 2, 5, 8), mb, MatrixView::row_major(ob, 2, 1, 8)),
               ops::OpError);
}

}  // namespace
}  // namespace m2vk::test
