// The GPU forward pass on lavapipe with the validation layer on: every golden set through
// run_golden (the `m2vk golden --device gpu` path), a random-weight demo model at 2048 tokens
// against the CPU reference (batch 2, four-step FFT path forced, chunked MLP), the submit
// strategies (one submit vs one per layer when spectra do not fit) and the profile.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include <cmath>

#include "m2vk/demo_model.hpp"
#include "m2vk/golden.hpp"
#include "m2vk/gpu/compare.hpp"
#include "m2vk/gpu/gpu_model.hpp"
#include "m2vk/host/host.hpp"
#include "m2vk/ops/fft_conv.hpp"
#include "m2vk/model.hpp"
#include "m2vk/ref/forward.hpp"
#include "gpu_test_util.hpp"

namespace m2vk {
namespace {

// Fails the test on any validation-layer message the model's context recorded.
void expect_validation_clean(gpu::GpuModel& gm) {
  ASSERT_TRUE(gm.context().validation_enabled());
  for (const auto& m : gm.context().validation_messages()) ADD_FAILURE() << "validation: " << m.id << ": " << m.message;
}

using test::random_batch;

class GpuForward : public test::TinyDemoModelTest<7> {
 protected:
  static gpu::GpuOptions options() {
    gpu::GpuOptions o;
    o.validation = true;
    o.spectrum_store_bytes = 0;  // these tests count spectra built; spectrum_store_test covers the files
    return o;
  }
};

TEST(GpuGolden, EveryGoldenSetPassesOnTheGpu) {
  for (const char* set : {"tiny-retrieval", "tiny-unidirectional", "tiny-classifier", "composer", "legacy-format"}) {
    SCOPED_TRACE(set);
    GoldenOptions o;
    o.device = Device::parse("gpu");
    const GoldenReport r = run_golden(test::golden_dir(set), o);
    EXPECT_TRUE(r.ok);
    EXPECT_GT(r.lines.size(), 10u);
    for (const auto& l : r.lines)
      EXPECT_TRUE(l.pass) << l.file << " " << l.tensor << ": " << (l.produced ? "" : l.problem) << " scaled error "
                          << l.scaled_error;
  }
}

TEST(GpuGolden, IntermediatesAreValidationClean) {
  ModelLoadOptions lo;
  lo.use_cache = false;
  const ModelParts parts = load_model_parts(test::golden_dir("tiny-retrieval"), lo);
  gpu::GpuOptions o;
  o.validation = true;
  gpu::GpuModel gm(parts.config, parts.weights, o);
  std::size_t n = 0;
  IntermediateSink sink = [&](std::string_view, const FloatTensor& t) {
    for (float v : t.data) ASSERT_TRUE(std::isfinite(v));
    ++n;
  };
  Batch b = random_batch(parts.config, 2, 37, 3);
  gm.forward(b, &sink);
  EXPECT_GT(n, 20u);
  expect_validation_clean(gm);
}

TEST_F(GpuForward, MatchesTheCpuReferenceAt2048TokensThroughTheFourStepFft) {
  gpu::GpuOptions o = options();
  o.fft_max_single = 256;  // FFT size 4096 runs the three-pass four-step kernels
  o.mlp_chunk_bytes = 64 * 1024;  // several MLP chunks per layer
  gpu::GpuModel gm(parts_->config, parts_->weights, o);
  const Batch b = random_batch(cfg_, 2, 2048, 11);
  gpu::TensorComparer cmp(1e-4);
  const IntermediateSink rs = cmp.reference_sink(), os = cmp.output_sink();
  ref::forward(parts_->config, parts_->weights, b, &rs);
  gm.forward(b, &os);
  const gpu::CompareReport r = cmp.report();
  EXPECT_TRUE(r.ok) << "worst " << r.worst << " scaled " << r.worst_scaled;
  for (const auto& d : r.tensors) EXPECT_TRUE(d.pass) << d.name << " " << d.problem << " " << d.scaled << " at " << d.where;
  EXPECT_GT(r.tensors.size(), 20u);
  // The fast path (no sink: fused long convs, chunked MLP, y and m aliased into p) gives the same.
  const ForwardResult fast = gm.forward(b);
  const ForwardResult want = ref::forward(parts_->config, parts_->weights, b);
  EXPECT_LE(scaled_error(fast.pooled.data, want.pooled.data), 1e-4);
  EXPECT_LE(scaled_error(fast.last_hidden_state.data, want.last_hidden_state.data), 1e-4);
  expect_validation_clean(gm);
}

TEST_F(GpuForward, OneSubmitWhenSpectraFitElseOnePerLayerWithTheSameResult) {
  gpu::GpuModel whole(parts_->config, parts_->weights, options());
  gpu::GpuOptions small = options();
  small.spectrum_budget_bytes = 1;  // nothing fits: per-layer submits, spectra rebuilt each time
  gpu::GpuModel layered(parts_->config, parts_->weights, small);
  const Batch b = random_batch(cfg_, 3, 300, 5);
  whole.forward(b);  // spectra computed and cached
  gpu::GpuProfile p1, p2;
  const ForwardResult r1 = whole.forward(b, nullptr, &p1);
  const ForwardResult r2 = layered.forward(b, nullptr, &p2);
  EXPECT_EQ(p1.submits, 1u);
  EXPECT_EQ(p2.submits, static_cast<std::size_t>(cfg_.num_hidden_layers) + 1);
  EXPECT_EQ(r1.pooled.data, r2.pooled.data);  // same kernels, same order: bit-identical
  const ForwardResult want = ref::forward(parts_->config, parts_->weights, b);
  EXPECT_LE(scaled_error(r1.pooled.data, want.pooled.data), 1e-4);
  // The profile covers every op type once per dispatch and sums to the total.
  ASSERT_FALSE(p1.ops.empty());
  double sum = 0;
  for (const auto& op : p1.ops) {
    EXPECT_GT(op.count, 0u) << op.op;
    EXPECT_GE(op.ms, 0.0) << op.op;
    sum += op.ms;
  }
  EXPECT_NEAR(sum, p1.total_ms, 1e-9 + 1e-9 * sum);
  EXPECT_GT(p1.total_ms, 0.0);
  EXPECT_GT(whole.memory().weights, 0u);
  EXPECT_GT(whole.memory().spectra, 0u);
  EXPECT_EQ(layered.memory().spectra <= 2 * 32 * 512 * 8, true);  // at most the last entry survives
  expect_validation_clean(whole);
  expect_validation_clean(layered);
}

// The wall-time breakdown: the first pass at a length builds its filter spectra, the next one
// finds them cached; the stages are exclusive parts of the pass's wall time.
TEST_F(GpuForward, ProfileStagesShowTheFirstPassBuildingSpectraAndTheSecondNot) {
  gpu::GpuModel gm(parts_->config, parts_->weights, options());
  const Batch b = random_batch(cfg_, 1, 200, 3);
  gpu::GpuProfile first, second;
  double outside_ms[2];
  for (gpu::GpuProfile* p : {&first, &second}) {
    const auto t0 = std::chrono::steady_clock::now();
    gm.forward(b, nullptr, p);
    outside_ms[p == &second] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  auto stage = [](const gpu::GpuProfile& p, const std::string& name) -> const gpu::StageTime* {
    for (const auto& s : p.stages)
      if (s.stage == name) return &s;
    return nullptr;
  };
  for (const gpu::GpuProfile* p : {&first, &second}) {
    // Exclusive parts of the pass: together within the wall time measured around forward(), and
    // covering most of it (only validation and result packing happen outside the stages).
    const double outside = outside_ms[p == &second];
    EXPECT_LE(p->wall_ms(), outside + 0.01) << "stages overlap or count twice";
    EXPECT_GE(p->wall_ms(), 0.5 * outside) << "stages miss part of the pass";
    for (const auto& s : p->stages) EXPECT_GE(s.ms, 0.0) << s.stage;
    ASSERT_NE(stage(*p, "layers"), nullptr);
    EXPECT_GT(stage(*p, "layers")->ms, 0.0);
  }
  // First pass: every layer's spectra built on the device, their kernels timed as "filter: ..." ops.
  ASSERT_NE(stage(first, "filters + spectra"), nullptr);
  EXPECT_GT(stage(first, "filters + spectra")->ms, 0.0);
  EXPECT_TRUE(std::any_of(first.ops.begin(), first.ops.end(), [](const gpu::OpTime& o) { return o.op.rfind("filter: ", 0) == 0; }));
  EXPECT_FALSE(std::any_of(second.ops.begin(), second.ops.end(), [](const gpu::OpTime& o) { return o.op.rfind("filter: ", 0) == 0; }));
  // The constructor's parts.
  ASSERT_EQ(gm.load_stages().size(), 2u);
  EXPECT_EQ(gm.load_stages()[0].stage, "device context");
  EXPECT_EQ(gm.load_stages()[1].stage, "weights upload");
  EXPECT_FALSE(gm.spectrum_budget_reason().empty());
  EXPECT_GT(gm.memory().spectrum_budget, gm.memory().spectra);
  expect_validation_clean(gm);
}

// A spectrum is built for the longest length its FFT size serves, so a later, longer pass with the
// same FFT size (batches padded to their longest row) builds none, and still matches the reference.
TEST_F(GpuForward, SpectraBuiltOnceServeEveryLengthOfTheirFftSize) {
  gpu::GpuModel gm(parts_->config, parts_->weights, options());
  const Batch shorter = random_batch(cfg_, 2, 300, 21), longer = random_batch(cfg_, 1, 500, 22);
  ASSERT_EQ(ops::fft_size_for(300), ops::fft_size_for(500));
  gpu::GpuProfile p1, p2;
  const ForwardResult r1 = gm.forward(shorter, nullptr, &p1);
  const ForwardResult r2 = gm.forward(longer, nullptr, &p2);
  auto filter_ops = [](const gpu::GpuProfile& p) {
    return std::count_if(p.ops.begin(), p.ops.end(), [](const gpu::OpTime& o) { return o.op.rfind("filter: ", 0) == 0; });
  };
  EXPECT_GT(filter_ops(p1), 0);
  EXPECT_EQ(filter_ops(p2), 0);
  EXPECT_LE(scaled_error(r1.pooled.data, ref::forward(parts_->config, parts_->weights, shorter).pooled.data), 1e-4);
  const ForwardResult want = ref::forward(parts_->config, parts_->weights, longer);
  EXPECT_LE(scaled_error(r2.pooled.data, want.pooled.data), 1e-4);
  EXPECT_LE(scaled_error(r2.last_hidden_state.data, want.last_hidden_state.data), 1e-4);
  expect_validation_clean(gm);
}

TEST_F(GpuForward, RowsAreIndependentOfTheirBatch) {
  gpu::GpuModel gm(parts_->config, parts_->weights, options());
  const Batch three = random_batch(cfg_, 3, 64, 9);
  Batch one;
  one.batch = 1;
  one.length = 64;
  one.input_ids.assign(three.input_ids.begin() + 64, three.input_ids.begin() + 128);
  one.token_type_ids.assign(64, 0);
  one.attention_mask.assign(three.attention_mask.begin() + 64, three.attention_mask.begin() + 128);
  const ForwardResult a = gm.forward(three), b = gm.forward(one);
  const std::vector<float> row1(a.pooled.data.begin() + 32, a.pooled.data.begin() + 64);
  EXPECT_LE(scaled_error(row1, b.pooled.data), 1e-6);
  expect_validation_clean(gm);
}

TEST_F(GpuForward, HeadsLeaveTheHiddenStateOnTheDeviceWithTheSamePooledOutput) {
  gpu::GpuModel gm(parts_->config, parts_->weights, options());
  const Batch b = random_batch(cfg_, 2, 96, 11);
  const ForwardResult all = gm.forward(b), heads = gm.forward(b, nullptr, nullptr, ForwardOutputs::Heads);
  ASSERT_FALSE(all.last_hidden_state.data.empty());
  EXPECT_TRUE(heads.last_hidden_state.data.empty());
  EXPECT_EQ(heads.pooled.data, all.pooled.data);
  const ForwardResult want = ref::forward(parts_->config, parts_->weights, b);
  EXPECT_LE(scaled_error(heads.pooled.data, want.pooled.data), 1e-4);
  expect_validation_clean(gm);
}

TEST_F(GpuForward, ReducedPrecisionUsesCooperativeMatricesOrFallsBackToFp32) {
  gpu::GpuModel fp32(parts_->config, parts_->weights, options());
  gpu::GpuOptions o = options();
  o.gemm_precision = ops::Precision::FP16CoopMat;
  gpu::GpuModel reduced(parts_->config, parts_->weights, o);
  const Batch b = random_batch(cfg_, 2, 100, 4);
  const ForwardResult r32 = fp32.forward(b), r16 = reduced.forward(b);
  EXPECT_EQ(fp32.gemm_precision(), ops::Precision::FP32);
  EXPECT_TRUE(fp32.gemm_precision_fallback().empty());
  if (reduced.gemm_precision() == ops::Precision::FP32) {
    // No cooperative matrices (lavapipe): the same fp32 kernels, bit for bit, and the reason.
    EXPECT_NE(reduced.gemm_precision_fallback().find("cooperative_matrix"), std::string::npos)
        << reduced.gemm_precision_fallback();
    EXPECT_EQ(r16.pooled.data, r32.pooled.data);
  } else {
    // fp16 inputs: within the GEMM test's bound of fp32 (4e-3), compounded over the layers.
    const ForwardResult want = ref::forward(parts_->config, parts_->weights, b);
    EXPECT_LE(scaled_error(r16.pooled.data, want.pooled.data), 2e-2);
    EXPECT_NE(r16.pooled.data, r32.pooled.data);
  }
  expect_validation_clean(reduced);
}

TEST_F(GpuForward, BadBatchesAreNamedErrors) {
  gpu::GpuModel gm(parts_->config, parts_->weights, options());
  Batch b = random_batch(cfg_, 1, 8, 1);
  b.input_ids[3] = 999999;
  EXPECT_THROW(gm.forward(b), std::invalid_argument);
  Batch too_long = random_batch(cfg_, 1, 4096, 1);
  EXPECT_THROW(gm.forward(too_long), std::invalid_argument);
}

}  // namespace
}  // namespace m2vk
