// TensorComparer / describe_position: errors, scaling and positions on hand-made tensors.
#include <gtest/gtest.h>

#include <cmath>

#include "m2vk/gpu/compare.hpp"

namespace m2vk::gpu {
namespace {

TEST(Compare, PositionsFollowEachTensorsLayout) {
  // (B, L, H) = (2, 3, 4): flat 1*12 + 2*4 + 3 = 23.
  EXPECT_EQ(describe_position("encoder.layer.0.mixer.output", {2, 3, 4}, 23), "batch 1, token 2, channel 3");
  // Channel-major (B, C, L) = (2, 4, 3).
  EXPECT_EQ(describe_position("encoder.layer.1.mixer.long_conv", {2, 4, 3}, 23), "batch 1, channel 3, token 2");
  EXPECT_EQ(describe_position("encoder.layer.1.mixer.filter_fn.k_rev", {4, 3}, 5), "channel 1, lag 2");
  EXPECT_EQ(describe_position("pooled_output", {2, 4}, 5), "batch 1, channel 1");
  EXPECT_EQ(describe_position("logits", {2, 3}, 4), "batch 1, class 1");
}

TEST(Compare, ScaledErrorAndWorstElement) {
  TensorComparer c(1e-4);
  const auto rs = c.reference_sink(), os = c.output_sink();
  rs("a", FloatTensor({1, 2, 2}, {0.5f, -4.0f, 2.0f, 1.0f}));
  rs("b", FloatTensor({1, 2}, {0.1f, 0.2f}));
  rs("c", FloatTensor({1, 2}, {0.0f, 0.0f}));
  os("a", FloatTensor({1, 2, 2}, {0.5f, -4.0f, 2.0f, 1.002f}));
  os("b", FloatTensor({1, 2}, {0.1f, 0.2f + 5e-5f}));
  os("c", FloatTensor({2, 1}, {0.0f, 0.0f}));
  const CompareReport r = c.report();
  ASSERT_EQ(r.tensors.size(), 3u);
  EXPECT_NEAR(r.tensors[0].max_abs, 0.002, 1e-6);
  EXPECT_NEAR(r.tensors[0].scaled, 0.002 / 4.0, 1e-6);  // scaled by max|ref| = 4
  EXPECT_EQ(r.tensors[0].where, "batch 0, token 1, channel 1");
  EXPECT_FALSE(r.tensors[0].pass);
  EXPECT_NEAR(r.tensors[1].scaled, 5e-5, 1e-6);  // max|ref| < 1: not scaled up
  EXPECT_TRUE(r.tensors[1].pass);
  EXPECT_FALSE(r.tensors[2].compared);  // shape mismatch
  EXPECT_EQ(r.worst, "a");
  EXPECT_FALSE(r.ok);
}

TEST(Compare, NanAndMissingTensorsFail) {
  TensorComparer c(1.0);
  const auto rs = c.reference_sink(), os = c.output_sink();
  rs("x", FloatTensor({1, 1}, {1.0f}));
  rs("y", FloatTensor({1, 1}, {1.0f}));
  os("x", FloatTensor({1, 1}, {std::nanf("")}));
  const CompareReport r = c.report();
  ASSERT_EQ(r.tensors.size(), 2u);
  EXPECT_TRUE(std::isinf(r.tensors[0].max_abs));
  EXPECT_FALSE(r.tensors[0].pass);
  EXPECT_FALSE(r.tensors[1].compared);
  EXPECT_FALSE(r.ok);
  TensorComparer ok(1e-4);
  const auto rs2 = ok.reference_sink(), os2 = ok.output_sink();
  rs2("x", FloatTensor({1, 1}, {3.0f}));
  os2("x", FloatTensor({1, 1}, {3.0f}));
  EXPECT_TRUE(ok.report().ok);
}

}  // namespace
}  // namespace m2vk::gpu
