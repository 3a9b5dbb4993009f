// Run-time choice of the long-convolution backend (m2vk/gpu/kernel_choice.hpp): the choice file's
// round trip and its handling of corrupt, foreign and unwritable files; the chooser on lavapipe
// (measures both candidates once, then reads the file; forced policies never measure); every
// golden set through --kernels ours and vkfft within its tolerance; auto recording its choice;
// and the CLI flag's usage error. No test asserts which candidate is faster.
#include <gtest/gtest.h>

#include <fstream>
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
  EXPECT_TRUE(KernelChoiceFile(file).find({ctx->device_info().uuid, ctx->device_info().driver_version, gpu::choice_kernels(ctx->device_info())},
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
                  .find({gm.device_info().uuid, gm.device_info().driver_version, gpu::choice_kernels(gm.device_info())}, 256, c.rows));
  // The chosen backend's result matches the other backend's within the golden tolerance.
  o.kernels = c.backend == ops::FftBackend::Ours ? KernelPolicy::VkFFT : KernelPolicy::Ours;
  gpu::GpuModel other(parts.config, parts.weights, o);
  const ForwardResult second = other.forward(b);
  ASSERT_EQ(first.last_hidden_state.data.size(), second.last_hidden_state.data.size());
  double worst = 0, scale = 1;
  for (std::size_t i = 0; i < first.last_hidden_state.data.size(); ++i) {
    worst = std::max(worst, double(std::abs(first.last_hidden_state.data[i] - second.last_hidden_state.data[i])));
    scale = std::max(scale, double(std::abs(second.last_hidden_state.data[i])));
  }
  EXPECT_LE(worst / scale, 1e-4);
  for (const auto& m : gm.context().validation_messages()) ADD_FAILURE() << "validation: " << m.id << ": " << m.message;
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
