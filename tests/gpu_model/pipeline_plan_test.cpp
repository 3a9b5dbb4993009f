// The forward-pass planner (m2vk/gpu/pipeline_plan.hpp) against what a real forward pass on
// lavapipe dispatches (host::Context::log_dispatches): equal sets for a tiny model at a length
// whose FFT runs in one pass and at one forced through the four-step passes
// (GpuOptions::fft_max_single), with each long-convolution backend forced; under auto the plan
// holds both candidates, and every GEMM family's kernels; and the same plan on a compile-only
// context.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "gpu_test_util.hpp"
#include "m2vk/demo_model.hpp"
#include "m2vk/gpu/gpu_model.hpp"
#include "m2vk/gpu/pipeline_plan.hpp"
#include "m2vk/host/host.hpp"
#include "m2vk/model.hpp"
#include "m2vk/ops/vkfft_conv.hpp"

namespace m2vk {
namespace {

Batch random_batch(const ModelConfig& cfg, int64_t B, int64_t L) { return test::random_batch(cfg, B, L, 11); }

std::set<std::string> keys(const gpu::PipelinePlan& plan) {
  std::set<std::string> out;
  for (const auto& [k, d] : plan) out.insert(k);
  return out;
}

bool has_prefix(const std::set<std::string>& names, const std::string& prefix) {
  for (const auto& n : names)
    if (n.rfind(prefix, 0) == 0) return true;
  return false;
}

class PipelinePlan : public test::TinyDemoModelTest<3> {
 protected:
  // The pipelines one forward pass at (B, L) dispatched, and what the planner says for it.
  static std::pair<std::set<std::string>, std::set<std::string>> ran_and_planned(const gpu::GpuOptions& o, uint32_t B,
                                                                                  uint32_t L) {
    gpu::GpuOptions no_files = o;
    no_files.spectrum_store_bytes = 0;  // spectra read from disk would skip the filter kernels the plan lists
    // One GEMM family: under auto the pass runs the choice file's winner, or times every
    // candidate on scratch shapes of its own (AutoListsEveryGemmCandidate covers auto's plan).
    if (no_files.gemm_kernel == ops::GemmKernel::Auto) no_files.gemm_kernel = ops::GemmKernel::Texel;
    gpu::GpuOptions plan_options = o;
    plan_options.gemm_kernel = no_files.gemm_kernel;
    gpu::GpuModel gm(parts_->config, parts_->weights, no_files);
    gm.context().log_dispatches(true);
    gm.forward(random_batch(parts_->config, B, L));
    const std::set<std::string> ran = gm.context().dispatched_pipelines();
    gm.context().log_dispatches(false);
    for (const auto& m : gm.context().validation_messages()) ADD_FAILURE() << "validation: " << m.id << ": " << m.message;
    return {ran, keys(gpu::plan_forward_pipelines(gm.context(), parts_->config, B, L, plan_options))};
  }
};

TEST_F(PipelinePlan, EqualsWhatTheForwardPassDispatchesSinglePassFft) {
  gpu::GpuOptions o;
  o.validation = true;
  o.kernels = KernelPolicy::Ours;
  const auto [ran, planned] = ran_and_planned(o, 2, 96);
  EXPECT_EQ(planned, ran);
  EXPECT_TRUE(ran.count("layer_embedding_norm"));
  EXPECT_FALSE(has_prefix(ran, "fft_cols_")) << "L = 96 should run the single-pass FFT";
}

TEST_F(PipelinePlan, EqualsWhatTheForwardPassDispatchesFourStepFft) {
  gpu::GpuOptions o;
  o.validation = true;
  o.kernels = KernelPolicy::Ours;
  o.fft_max_single = 64;  // N = 2048 > 64: the four-step passes
  const auto [ran, planned] = ran_and_planned(o, 1, 1000);
  EXPECT_EQ(planned, ran);
  EXPECT_TRUE(has_prefix(ran, "fft_cols_fwd_s")) << "the four-step path did not run";
  EXPECT_TRUE(has_prefix(ran, "fft_rows_spectrum_s"));
}

TEST_F(PipelinePlan, EqualsWhatTheForwardPassDispatchesWithVkfft) {
  if (!ops::vkfft_available()) GTEST_SKIP() << "this build has no VkFFT backend";
  gpu::GpuOptions o;
  o.validation = true;
  o.kernels = KernelPolicy::VkFFT;
  const auto [ran, planned] = ran_and_planned(o, 2, 300);
  EXPECT_EQ(planned, ran);
  EXPECT_TRUE(ran.count("fft_vkfft_mul"));
  EXPECT_FALSE(has_prefix(ran, "fft_conv_"));
}

TEST_F(PipelinePlan, AutoListsBothCandidates) {
  gpu::GpuOptions o;
  gpu::GpuModel gm(parts_->config, parts_->weights, o);
  const auto plan = keys(gpu::plan_forward_pipelines(gm.context(), parts_->config, 1, 256, o));
  o.kernels = KernelPolicy::Ours;
  const auto ours = keys(gpu::plan_forward_pipelines(gm.context(), parts_->config, 1, 256, o));
  for (const auto& n : ours) EXPECT_TRUE(plan.count(n)) << n;
  EXPECT_EQ(plan.count("fft_vkfft_mul"), ops::vkfft_available() ? 1u : 0u);
}

// Under --gemm auto the pass may run any candidate family (GemmChooser), so the plan lists each
// one's kernels: the union of the forced families' plans.
TEST_F(PipelinePlan, AutoListsEveryGemmCandidate) {
  gpu::GpuOptions o;
  o.kernels = KernelPolicy::Ours;
  gpu::GpuModel gm(parts_->config, parts_->weights, o);
  const auto plan = keys(gpu::plan_forward_pipelines(gm.context(), parts_->config, 1, 256, o));
  std::set<std::string> forced_union;
  for (ops::GemmKernel k : ops::gemm_kernel_candidates(gm.device_info())) {
    o.gemm_kernel = k;
    for (const auto& n : keys(gpu::plan_forward_pipelines(gm.context(), parts_->config, 1, 256, o))) forced_union.insert(n);
  }
  EXPECT_EQ(plan, forced_union);
  EXPECT_TRUE(has_prefix(plan, "gemm_a1_w1_e0"));
  bool texel8 = false;
  for (const auto& n : plan) texel8 |= n.size() > 3 && n.compare(n.size() - 3, 3, "_t8") == 0;
  EXPECT_TRUE(texel8) << "no 8 x 8 texel kernel listed";
}

TEST_F(PipelinePlan, SamePlanOnACompileOnlyContext) {
  gpu::GpuOptions o;
  gpu::GpuModel gm(parts_->config, parts_->weights, o);
  host::ContextOptions co;
  co.compile_only = true;
  co.device_spec = gm.device_info().uuid;
  auto ctx = host::Context::create(co);
  for (uint32_t L : {128u, 2048u}) {
    const auto full = gpu::plan_forward_pipelines(gm.context(), parts_->config, 8, L, o);
    EXPECT_EQ(keys(gpu::plan_forward_pipelines(*ctx, parts_->config, 8, L, o)), keys(full)) << "L " << L;
    EXPECT_GE(full.size(), 8u) << "L " << L;
  }
}

TEST(PlanOnlyRecorder, NotesPipelinesAndCannotBeSubmitted) {
  host::ContextOptions co;
  co.compile_only = true;
  auto ctx = host::Context::create(co);
  auto rec = ctx->record({.profile = false, .plan_only = true});
  EXPECT_TRUE(rec.plan_only());
  EXPECT_TRUE(rec.planned().empty());
  EXPECT_THROW(rec.submit_and_wait(), host::HostError);
}

}  // namespace
}  // namespace m2vk
