// The activation planner's sizes and MLP chunking, including a binding limit far below the
// tensors (how the 80M model at 32k tokens fits lavapipe's 128 MiB storage range).
#include <gtest/gtest.h>

#include "m2vk/gpu/activation_plan.hpp"

namespace m2vk::gpu {
namespace {

ModelConfig m80() {
  ModelConfig c;
  c.hidden_size = 768;
  c.intermediate_size = 3072;
  c.use_glu_mlp = true;
  return c;
}

TEST(ActivationPlan, EightyMillionAt32kFitsInOnePointFiveGigabytes) {
  PlanLimits lim;
  lim.max_storage_range = 128ull << 20;
  lim.max_allocation = 2ull << 30;
  const ActivationPlan p = plan_activations(m80(), 1, 32768, lim, true);
  EXPECT_EQ(p.h_bytes, 32768ull * 768 * 4);
  EXPECT_EQ(p.p_bytes, 3 * p.h_bytes);  // 302 MB: over the binding limit, split by the ops
  EXPECT_GT(p.p_bytes, lim.max_storage_range);
  EXPECT_LE(p.a_bytes, lim.max_storage_range);
  EXPECT_LE(p.chunk_tokens * 3072 * 4, 64ull << 20);
  EXPECT_EQ(p.chunks, (32768 + p.chunk_tokens - 1) / p.chunk_tokens);
  EXPECT_LT(p.total_bytes(), 1500ull * 1000 * 1000);
}

TEST(ActivationPlan, ChunksRespectASmallBindingLimit) {
  PlanLimits lim;
  lim.max_storage_range = 64 * 1024;  // fake limit: 64 KiB
  lim.mlp_chunk_bytes = 1ull << 30;
  const ActivationPlan p = plan_activations(m80(), 2, 100, lim, false);
  // Unfused GLU: chunk rows of the 2I-wide gate output must fit one binding.
  EXPECT_LE(p.chunk_tokens * 2 * 3072 * 4, lim.max_storage_range);
  EXPECT_EQ(p.chunk_tokens, 64 * 1024 / (2 * 3072 * 4));
  EXPECT_GT(p.glu_bytes, 0u);
  EXPECT_EQ(p.chunks, (200 + p.chunk_tokens - 1) / p.chunk_tokens);
}

TEST(ActivationPlan, ChunkNeverExceedsTokensAndErrorsNameTheBuffer) {
  PlanLimits lim;
  lim.max_storage_range = 128ull << 20;
  const ActivationPlan p = plan_activations(m80(), 1, 10, lim, true);
  EXPECT_EQ(p.chunk_tokens, 10u);
  EXPECT_EQ(p.chunks, 1u);
  lim.max_allocation = 100ull << 20;
  try {
    plan_activations(m80(), 4, 32768, lim, true);
    FAIL() << "expected an allocation-limit error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("hidden states"), std::string::npos) << e.what();
  }
  lim.max_storage_range = 8;  // not even one row
  EXPECT_THROW(plan_activations(m80(), 1, 10, lim, true), std::runtime_error);
}

}  // namespace
}  // namespace m2vk::gpu
