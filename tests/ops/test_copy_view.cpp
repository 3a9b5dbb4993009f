// The layout copy y = x into contiguous rows (record_copy_rows): every element compared exactly
// with the host's own gather of the same view; y is pre-filled with a NaN pattern, so an element
// left unwritten fails.
#include <gtest/gtest.h>

#include "layer_test_util.hpp"
#include "m2vk/ops/copy_view.hpp"
#include "m2vk/ops/op_error.hpp"
#include "vk_test.hpp"

namespace m2vk::test {
namespace {

using ops::MatrixView;

class CopyRowsTest : public VkTest {
 protected:
  void check(const MatrixView& x, const std::vector<float>& xh) {
    SCOPED_TRACE(x.describe());
    host::Buffer yb = filled(std::uint64_t(x.batch) * x.rows * x.cols * 4, 0x7fc00001u);
    const MatrixView y = MatrixView::row_major(yb, x.batch, x.rows, x.cols);
    auto rec = ctx().record();
    ops::record_copy_rows(ctx(), rec, x, y);
    rec.submit_and_wait();
    const std::vector<float> got = download<float>(yb), want = gather(xh, x);
    ASSERT_EQ(got.size(), want.size());
    std::size_t bad = 0;
    for (std::size_t i = 0; i < got.size(); ++i) bad += got[i] != want[i];
    EXPECT_EQ(bad, 0u);
  }
};

// The GPU model's use: a channel-major (B, L, H) tensor with L not a multiple of 4.
TEST_F(CopyRowsTest, ChannelMajorToTokenMajor) {
  const std::vector<float> xh = random_floats(2 * 37 * 24, 71);
  host::Buffer xb = upload(xh);
  check(MatrixView::channel_major(xb, 2, 37, 24), xh);
}

// Any x strides, at an odd float offset.
TEST_F(CopyRowsTest, StridedSourceAtAnOddOffset) {
  const std::vector<float> xh = random_floats(3 + 2 * 5 * 40, 72);
  host::Buffer xb = upload(xh);
  MatrixView x = MatrixView::row_major(xb, 2, 5, 40, 3);
  x.cols = 8;
  x.stride_col = 5;  // every fifth float of each row of 40
  check(x, xh);
}

TEST_F(CopyRowsTest, BadViewsAreNamedErrors) {
  host::Buffer xb = filled(4 * 64 * 4), yb = filled(4 * 64 * 4);
  auto rec = ctx().record();
  const MatrixView x = MatrixView::channel_major(xb, 1, 16, 8);
  EXPECT_THROW(ops::record_copy_rows(ctx(), rec, x, MatrixView::row_major(yb, 1, 16, 4)), ops::OpError);  // shape
  EXPECT_THROW(ops::record_copy_rows(ctx(), rec, x, MatrixView::channel_major(yb, 1, 16, 8)), ops::OpError);  // y layout
  EXPECT_THROW(ops::record_copy_rows(ctx(), rec, x, MatrixView::row_major(yb, 1, 16, 8, 2)), ops::OpError);  // unaligned
  EXPECT_THROW(ops::record_copy_rows(ctx(), rec, x, MatrixView::row_major(yb, 1, 64, 8)), ops::OpError);  // past buffer
  EXPECT_EQ(rec.dispatch_count(), 0u);
}

}  // namespace
}  // namespace m2vk::test
