// Run-time choice of the long-convolution backend (m2vk/gpu/kernel_choice.hpp): the choice file's
// round trip and its handling of corrupt, foreign and unwritable files; the chooser on lavapipe
// (measures both candidates once, then reads the file; forced policies never measure); every
// golden set through --kernels ours and vkfft within its tolerance; auto recording its choice;
// and the CLI flag's usage error. The same for the GEMM kernel family (GemmChooser, --gemm).
// No test asserts which candidate is faster.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "../model/test_util.hpp"
#include "m2vk/demo_model.hpp"
#include "m2vk/golden.hpp"
#include "m2vk/gpu/gpu_model.hpp"
#include "m2vk/gpu/kernel_choice.hpp"
#include "m2vk/host/host.hpp"
#include "m2vk/model.hpp"
#include "m2vk/ops/vkfft_conv.hpp"

namespace m2vk {
namespace {

using gpu::ChoiceKey;
using gpu::FftChoice;
using gpu::KernelChoiceFile;

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write(const std::filesystem::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

FftChoice choice(std::uint32_t n, std::uint32_t rows, ops::FftBackend b, double ours, double vk) {
  FftChoice c;
  c.n = n;
  c.rows = rows;
  c.backend = b;
  c.ours_ms = ours;
  c.vkfft_ms = vk;
  c.source = "measured";
  return c;
}

const ChoiceKey kKey{"0123abcd-0000-0000-0000-000000000000", 42, "feedface"};

TEST(KernelChoiceFile, RoundTripPerKeyAndShape) {
  test::TempDir d;
  KernelChoiceFile f(d.path() / "sub" / "kernel_choice.json");  // the folder is created on write
  EXPECT_FALSE(f.find(kKey, 4096, 512));
  ASSERT_EQ(f.store(kKey, choice(4096, 512, ops::FftBackend::VkFFT, 3.5, 2.25)), "");
  ASSERT_EQ(f.store(kKey, choice(8192, 256, ops::FftBackend::Ours, 1.0, 4.0)), "");
  auto hit = f.find(kKey, 4096, 512);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->backend, ops::FftBackend::VkFFT);
  EXPECT_DOUBLE_EQ(hit->ours_ms, 3.5);
  EXPECT_DOUBLE_EQ(hit->vkfft_ms, 2.25);
  EXPECT_EQ(hit->source, "cache file");
  ASSERT_TRUE(f.find(kKey, 8192, 256));
  EXPECT_EQ(f.find(kKey, 8192, 256)->backend, ops::FftBackend::Ours);
  // Any part of the key or shape different: no answer.
  ChoiceKey other = kKey;
  other.device_uuid[0] = 'f';
  EXPECT_FALSE(f.find(other, 4096, 512));
  other = kKey;
  other.driver_version = 43;
  EXPECT_FALSE(f.find(other, 4096, 512));
  other = kKey;
  other.kernels = "another build";
  EXPECT_FALSE(f.find(other, 4096, 512));
  EXPECT_FALSE(f.find(kKey, 4096, 256));
  EXPECT_FALSE(f.find(kKey, 2048, 512));
  // Storing the same key and shape replaces the entry.
  ASSERT_EQ(f.store(kKey, choice(4096, 512, ops::FftBackend::Ours, 1.0, 2.0)), "");
  EXPECT_EQ(f.find(kKey, 4096, 512)->backend, ops::FftBackend::Ours);
  EXPECT_EQ(f.find(kKey, 8192, 256)->backend, ops::FftBackend::Ours);
  // No temporary file is left beside it.
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(d.path() / "sub")) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST(KernelChoiceFile, CorruptOrForeignFilesAreIgnoredAndRewritten) {
  test::TempDir d;
  const auto path = d.path() / "kernel_choice.json";
  KernelChoiceFile f(path);
  for (const std::string& bad : {std::string("\x00\x01garbage{", 10), std::string("[1, 2, 3]"), std::string("{\"format\": 99, \"entries\": []}"),
                                std::string("{\"format\": 1, \"entries\": 7}"), std::string("")}) {
    write(path, bad);
    EXPECT_FALSE(f.find(kKey, 4096, 512)) << bad;
    ASSERT_EQ(f.store(kKey, choice(4096, 512, ops::FftBackend::VkFFT, 2, 1)), "") << bad;
    ASSERT_TRUE(f.find(kKey, 4096, 512)) << bad;
    EXPECT_EQ(read(path).rfind("{", 0), 0u) << "not rewritten as a JSON object after " << bad;
  }
  // Malformed entries are skipped, good ones still found.
  write(path, R"({"format": 1, "entries": [5, {"n": "x"}, {"device_uuid": 1},
      {"device_uuid": "0123abcd-0000-0000-0000-000000000000", "driver_version": 42, "kernels": "feedface",
       "n": 4096, "rows": 512, "backend": "warp-drive"},
      {"device_uuid": "0123abcd-0000-0000-0000-000000000000", "driver_version": 42, "kernels": "feedface",
       "n": 1024, "rows": 64, "backend": "vkfft", "ours_ms": 2, "vkfft_ms": 1}]})");
  EXPECT_FALSE(f.find(kKey, 4096, 512));  // unknown backend name
  ASSERT_TRUE(f.find(kKey, 1024, 64));
  EXPECT_EQ(f.find(kKey, 1024, 64)->backend, ops::FftBackend::VkFFT);
}

TEST(KernelChoiceFile, UnwritableLocationIsReportedNotThrown) {
  test::TempDir d;
  write(d.path() / "file", "x");
  KernelChoiceFile f(d.path() / "file" / "kernel_choice.json");  // parent is a regular file
  std::string err;
  EXPECT_NO_THROW(err = f.store(kKey, choice(64, 8, ops::FftBackend::Ours, 1, 2)));
  EXPECT_FALSE(err.empty());
  EXPECT_FALSE(f.find(kKey, 64, 8));
}

TEST(KernelChoice, TimedRowsAreBounded) {
  EXPECT_EQ(gpu::timed_rows(256, 768), 768u);
  EXPECT_EQ(gpu::timed_rows(65536, 768), 64u);  // 2^21 floats of 32768 per row
  EXPECT_EQ(gpu::timed_rows(1u << 24, 768), 1u);
  EXPECT_EQ(gpu::timed_rows(1024, 3), 3u);
  EXPECT_EQ(parse_kernel_policy("vkfft"), KernelPolicy::VkFFT);
  EXPECT_THROW(parse_kernel_policy("fast"), std::invalid_argument);
}

std::unique_ptr<host::Context> lavapipe() {
  host::ContextOptions co;
  co.validation = true;
  return host::Context::create(co);
}

TEST(FftBackendChooser, MeasuresOnceThenReadsTheFile) {
  if (!ops::vkfft_available()) GTEST_SKIP() << "this build has no VkFFT backend: auto has one candidate";
  test::TempDir d;
  auto ctx = lavapipe();
  const auto file = d.path() / "kernel_choice.json";
  gpu::FftBackendChooser a(*ctx, KernelPolicy::Auto, {}, file);
  const ops::FftBackend first = a.choose(1024, 48);
  EXPECT_EQ(a.choose(1024, 48), first);  // remembered: no second decision
  ASSERT_EQ(a.choices().size(), 1u);
  const FftChoice c = a.choices()[0];
  EXPECT_EQ(c.source, "measured");
  EXPECT_EQ(c.n, 1024u);
  EXPECT_EQ(c.rows, 48u);
  EXPECT_GT(c.ours_ms, 0);
  EXPECT_GT(c.vkfft_ms, 0);
  EXPECT_EQ(c.backend, c.vkfft_ms < c.ours_ms ? ops::FftBackend::VkFFT : ops::FftBackend::Ours);
  // A new process (chooser) on the same device and build reads the file instead of measuring.
  gpu::FftBackendChooser b(*ctx, KernelPolicy::Auto, {}, file);
  EXPECT_EQ(b.choose(1024, 48), first);
  EXPECT_EQ(b.choices().at(0).source, "cache file");
  EXPECT_DOUBLE_EQ(b.choices().at(0).ours_ms, c.ours_ms);
  // A corrupt file: measured again, and the file is valid afterwards.
  write(file, "{not json");
  gpu::FftBackendChooser e(*ctx, KernelPolicy::Auto, {}, file);
  e.choose(1024, 48);
  EXPECT_EQ(e.choices().at(0).source, "measured");
  EXPECT_TRUE(KernelChoiceFile(file).find(gpu::choice_key(ctx->device_info()),
                                          1024, 48));
  for (const auto& m : ctx->validation_messages()) ADD_FAILURE() << "validation: " << m.id << ": " << m.message;
}

TEST(FftBackendChooser, ForcedPoliciesNeverMeasure) {
  test::TempDir d;
  auto ctx = lavapipe();
  const auto file = d.path() / "kernel_choice.json";
  for (KernelPolicy p : {KernelPolicy::Ours, KernelPolicy::VkFFT}) {
    gpu::FftBackendChooser c(*ctx, p, {}, file);
    EXPECT_EQ(c.choose(4096, 768), p == KernelPolicy::Ours ? ops::FftBackend::Ours : ops::FftBackend::VkFFT);
    EXPECT_EQ(c.choices().at(0).source, "forced by --kernels");
    EXPECT_LT(c.choices().at(0).ours_ms, 0);
  }
  EXPECT_FALSE(std::filesystem::exists(file));
}

// Every golden set with each backend forced, within the golden tolerance.
class GoldenKernels : public ::testing::TestWithParam<KernelPolicy> {};

TEST_P(GoldenKernels, EveryGoldenSetPasses) {
  if (GetParam() == KernelPolicy::VkFFT && !ops::vkfft_available()) GTEST_SKIP() << "this build has no VkFFT backend";
  for (const char* set : {"tiny-retrieval", "tiny-unidirectional", "tiny-classifier", "composer", "legacy-format"}) {
    SCOPED_TRACE(set);
    GoldenOptions o;
    o.device = Device::parse("gpu");
    o.kernels = GetParam();
    const GoldenReport r = run_golden(test::golden_dir(set), o);
    EXPECT_TRUE(r.ok);
    EXPECT_GT(r.lines.size(), 10u);
    for (const auto& l : r.lines)
      EXPECT_TRUE(l.pass) << l.file << " " << l.tensor << ": " << (l.produced ? "" : l.problem) << " scaled error "
                          << l.scaled_error;
    // The notes say which backend ran, forced.
    bool noted = false;
    for (const auto& n : r.notes)
      noted |= n.find(std::string(": ") + kernel_policy_name(GetParam()) + " (forced by --kernels)") != std::string::npos;
    EXPECT_TRUE(noted);
  }
}

INSTANTIATE_TEST_SUITE_P(Forced, GoldenKernels, ::testing::Values(KernelPolicy::Ours, KernelPolicy::VkFFT),
                         [](const auto& i) { return std::string(kernel_policy_name(i.param)); });

TEST(AutoKernels, ChoosesPerFftSizeAndRecordsIt) {
  test::TempDir d;
  const ModelConfig cfg = demo_config(DemoShape::Tiny);
  write_demo_model(d.path() / "m", cfg, 5);
  const ModelParts parts = load_model_parts(d.path() / "m");
  gpu::GpuOptions o;
  o.validation = true;
  o.kernel_choice_file = d.path() / "choices.json";
  gpu::GpuModel gm(parts.config, parts.weights, o);
  Batch b;
  b.batch = 1;
  b.length = 100;
  b.input_ids.assign(100, 2000);
  const ForwardResult first = gm.forward(b);
  ASSERT_EQ(gm.fft_choices().size(), 1u);
  const FftChoice c = gm.fft_choices()[0];
  EXPECT_EQ(c.n, 256u);
  if (!ops::vkfft_available()) {
    EXPECT_EQ(c.backend, ops::FftBackend::Ours);
    return;
  }
  EXPECT_EQ(c.source, "measured");
  EXPECT_TRUE(KernelChoiceFile(*o.kernel_choice_file)
                  .find(gpu::choice_key(gm.device_info()), 256, c.rows));
  // The chosen backend's result matches the other backend's within the golden tolerance.
  o.kernels = c.backend == ops::FftBackend::Ours ? KernelPolicy::VkFFT : KernelPolicy::Ours;
  gpu::GpuModel other(parts.config, parts.weights, o);
  const ForwardResult second = other.forward(b);
  ASSERT_EQ(first.last_hidden_state.data.size(), second.last_hidden_state.data.size());
  EXPECT_LE(scaled_error(first.last_hidden_state.data, second.last_hidden_state.data), 1e-4);
  for (const auto& m : gm.context().validation_messages()) ADD_FAILURE() << "validation: " << m.id << ": " << m.message;
}

// The GEMM chooser (GemmChooser): on lavapipe both texel families are candidates; the first use
// of a shape class times both and records the winner, a second chooser (process) reads it, a
// corrupt file means measuring again, a forced kernel never measures, and a class the file
// holds for another device or kernels build is not used.
TEST(GemmChooser, MeasuresOnceThenReadsTheFile) {
  test::TempDir d;
  auto ctx = lavapipe();
  const auto file = d.path() / "kernel_choice.json";
  ops::GemmShape s;
  s.rows = 300;
  s.n = 48;
  s.k = 64;
  s.nblocks = 2;
  s.epilogue = ops::Epilogue::AddResidual;
  const std::string cls = gpu::gemm_shape_class(s);
  EXPECT_EQ(cls, "N=48 K=64 nb=2 residual token-major fp32 M<=512");
  gpu::GemmChooser a(*ctx, ops::GemmKernel::Auto, file);
  ASSERT_EQ(a.candidates().size(), 2u);
  const ops::GemmKernel first = a.choose(s);
  s.rows = 400;  // same bucket: no second decision
  EXPECT_EQ(a.choose(s), first);
  ASSERT_EQ(a.choices().size(), 1u);
  const gpu::GemmChoice c = a.choices()[0];
  EXPECT_EQ(c.source, "measured");
  EXPECT_EQ(c.shape, cls);
  EXPECT_EQ(c.rows, 512u);
  ASSERT_EQ(c.ms.size(), 2u);
  EXPECT_EQ(c.ms[0].first, ops::GemmKernel::Texel);
  EXPECT_EQ(c.ms[1].first, ops::GemmKernel::Texel8);
  EXPECT_GT(c.ms[0].second, 0);
  EXPECT_GT(c.ms[1].second, 0);
  EXPECT_EQ(first, c.ms[1].second < c.ms[0].second ? ops::GemmKernel::Texel8 : ops::GemmKernel::Texel);
  EXPECT_NE(gpu::describe(c).find("GEMM " + cls + ": " + ops::gemm_kernel_name(first) + " (measured on 512 rows: texel "),
            std::string::npos)
      << gpu::describe(c);
  // A new chooser on the same device and build reads the file; the FFT entries are another kind.
  const std::string fft_free = read(file);
  EXPECT_NE(fft_free.find("\"gemm\": \"" + cls + "\""), std::string::npos);
  gpu::GemmChooser b(*ctx, ops::GemmKernel::Auto, file);
  EXPECT_EQ(b.choose(s), first);
  EXPECT_EQ(b.choices().at(0).source, "cache file");
  EXPECT_EQ(b.choices().at(0).ms.size(), 2u);
  EXPECT_FALSE(KernelChoiceFile(file).find(gpu::choice_key(ctx->device_info()),
                                           4096, 512));
  // Another build of the kernels: not used, measured again.
  const ChoiceKey foreign{ctx->device_info().uuid, ctx->device_info().driver_version, "another build"};
  EXPECT_FALSE(KernelChoiceFile(file).find_gemm(foreign, cls));
  // A corrupt file: measured again, and the file is valid afterwards.
  write(file, "{not json");
  gpu::GemmChooser e(*ctx, ops::GemmKernel::Auto, file);
  e.choose(s);
  EXPECT_EQ(e.choices().at(0).source, "measured");
  EXPECT_TRUE(KernelChoiceFile(file).find_gemm(
      gpu::choice_key(ctx->device_info()), cls));
  for (const auto& m : ctx->validation_messages()) ADD_FAILURE() << "validation: " << m.id << ": " << m.message;
}

TEST(GemmChooser, ForcedKernelsNeverMeasure) {
  test::TempDir d;
  auto ctx = lavapipe();
  const auto file = d.path() / "kernel_choice.json";
  ops::GemmShape s;
  s.rows = 64;
  s.n = 16;
  s.k = 16;
  for (ops::GemmKernel k : {ops::GemmKernel::Texel, ops::GemmKernel::Texel8, ops::GemmKernel::Tiled}) {
    gpu::GemmChooser c(*ctx, k, file);
    EXPECT_EQ(c.choose(s), k);
    EXPECT_EQ(c.choices().at(0).source, "forced by --gemm");
    EXPECT_TRUE(c.choices().at(0).ms.empty());
  }
  EXPECT_FALSE(std::filesystem::exists(file));
}

TEST(GemmShapeClass, BucketsRowsAndCapsTimedRows) {
  ops::GemmShape s;
  s.n = 2304;
  s.k = 768;
  s.rows = 1;
  EXPECT_EQ(gpu::gemm_shape_class(s), "N=2304 K=768 nb=1 none token-major fp32 M<=256");
  s.rows = 257;
  s.x_channel_major = true;
  s.epilogue = ops::Epilogue::Glu;
  EXPECT_EQ(gpu::gemm_shape_class(s), "N=2304 K=768 nb=1 glu channel-major fp32 M<=512");
  s.rows = 1u << 20;
  EXPECT_EQ(gpu::gemm_shape_class(s), "N=2304 K=768 nb=1 glu channel-major fp32 M<=65536");
  // 2^28 multiply-adds on a CPU device: 151 rows of 2304 x 768, at least 512; 2^30 on a GPU:
  // 606, in whole 128-row tiles: 512.
  EXPECT_EQ(gpu::gemm_timed_rows(s, true), 512u);
  EXPECT_EQ(gpu::gemm_timed_rows(s, false), 512u);
  s.n = 64;
  s.k = 64;
  EXPECT_EQ(gpu::gemm_timed_rows(s, true), 65536u);  // the bucket: 2^28 allows 65536 rows
  s.n = 768;
  s.k = 768;
  EXPECT_EQ(gpu::gemm_timed_rows(s, true), 512u);    // 2^28 / (768 x 768) = 455: the 512 minimum
  EXPECT_EQ(gpu::gemm_timed_rows(s, false), 1792u);  // 2^30 / (768 x 768) = 1820, whole tiles
  s.rows = 100;
  EXPECT_EQ(gpu::gemm_timed_rows(s, false), 256u);
}

// GpuModel under --gemm auto: the choice is made per shape class, recorded, reused by a second
// model without timing, and the pass's result is bit-identical to the chosen kernels forced.
TEST(AutoGemm, ChoosesRecordsReusesAndMatchesTheForcedKernel) {
  test::TempDir d;
  const ModelConfig cfg = demo_config(DemoShape::Tiny);
  write_demo_model(d.path() / "m", cfg, 5);
  const ModelParts parts = load_model_parts(d.path() / "m");
  gpu::GpuOptions o;
  o.validation = true;
  o.kernels = KernelPolicy::Ours;
  o.kernel_choice_file = d.path() / "choices.json";
  Batch b;
  b.batch = 1;
  b.length = 100;
  b.input_ids.assign(100, 2000);
  gpu::GpuModel gm(parts.config, parts.weights, o);
  const ForwardResult first = gm.forward(b);
  ASSERT_GE(gm.gemm_choices().size(), 3u);  // in_linear, out_linear, the MLP's two, the pooler
  std::set<ops::GemmKernel> chosen;
  for (const gpu::GemmChoice& c : gm.gemm_choices()) {
    EXPECT_EQ(c.source, "measured") << gpu::describe(c);
    chosen.insert(c.kernel);
  }
  gpu::GpuModel again(parts.config, parts.weights, o);
  const ForwardResult second = again.forward(b);
  ASSERT_EQ(again.gemm_choices().size(), gm.gemm_choices().size());
  for (std::size_t i = 0; i < gm.gemm_choices().size(); ++i) {
    EXPECT_EQ(again.gemm_choices()[i].source, "cache file");
    EXPECT_EQ(again.gemm_choices()[i].kernel, gm.gemm_choices()[i].kernel);
  }
  EXPECT_EQ(first.last_hidden_state.data, second.last_hidden_state.data);
  // Forcing the one kernel chosen (when one family won everywhere) gives the same bits.
  if (chosen.size() == 1) {
    o.gemm_kernel = *chosen.begin();
    gpu::GpuModel forced(parts.config, parts.weights, o);
    const ForwardResult third = forced.forward(b);
    EXPECT_EQ(forced.gemm_choices().at(0).source, "forced by --gemm");
    EXPECT_EQ(first.last_hidden_state.data, third.last_hidden_state.data);
  }
  for (const auto& m : gm.context().validation_messages()) ADD_FAILURE() << "validation: " << m.id << ": " << m.message;
}

// Each forced family runs the model within a tight tolerance of the default texel kernels.
TEST(ForcedGemm, EveryFamilyAgreesWithTexel) {
  test::TempDir d;
  const ModelConfig cfg = demo_config(DemoShape::Tiny);
  write_demo_model(d.path() / "m", cfg, 5);
  const ModelParts parts = load_model_parts(d.path() / "m");
  Batch b;
  b.batch = 1;
  b.length = 70;
  b.input_ids.assign(70, 1234);
  gpu::GpuOptions o;
  o.kernels = KernelPolicy::Ours;
  o.kernel_choice_file = d.path() / "choices.json";
  o.gemm_kernel = ops::GemmKernel::Texel;
  const ForwardResult ref = gpu::GpuModel(parts.config, parts.weights, o).forward(b);
  for (ops::GemmKernel k : {ops::GemmKernel::Texel8, ops::GemmKernel::Tiled, ops::GemmKernel::Tiled128}) {
    SCOPED_TRACE(ops::gemm_kernel_name(k));
    o.gemm_kernel = k;
    const ForwardResult r = gpu::GpuModel(parts.config, parts.weights, o).forward(b);
    ASSERT_EQ(r.last_hidden_state.data.size(), ref.last_hidden_state.data.size());
    EXPECT_LE(scaled_error(r.last_hidden_state.data, ref.last_hidden_state.data), 1e-4);
  }
}

TEST(GemmFlag, BadValueIsAUsageErrorNamingTheFlag) {
  auto r = test::run_cli(M2VK_BIN, "embed --device gpu --model /nonexistent --gemm fast hello", true);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--gemm 'fast': expected auto, texel, texel8, tiled or tiled128"), std::string::npos) << r.out;
}

TEST(KernelsFlag, BadValueIsAUsageErrorNamingTheFlag) {
  for (const char* cmd : {"embed --device gpu --model /nonexistent --kernels fast hello", "golden /nonexistent --kernels fast"}) {
    auto r = test::run_cli(M2VK_BIN, cmd, true);
    EXPECT_EQ(r.code, 2) << cmd << ": " << r.out;
    EXPECT_NE(r.out.find("--kernels 'fast': expected auto, ours or vkfft"), std::string::npos) << cmd << ": " << r.out;
  }
}

}  // namespace
}  // namespace m2vk
