// The GPU-facing CLI: `m2vk compare` (table, PASS/FAIL exit codes, usage errors), `m2vk golden
// --device gpu`, `m2vk embed --profile` (per-op GPU times on stderr) and device specs by name.
#include <gtest/gtest.h>


#include <cstdio>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "m2vk/demo_model.hpp"
#include "../model/test_util.hpp"

namespace {

namespace fs = std::filesystem;

using m2vk::test::CliRun;

CliRun run(const std::string& args, bool with_stderr = false) { return m2vk::test::run_cli(M2VK_BIN, args, with_stderr); }

std::string q(const fs::path& p) { return m2vk::test::quote_path(p); }

// The JSON document of an embed run whose stderr was merged into its output (stderr lines come
// first), to compare with a plain run's stdout.
std::string json_part(const CliRun& r) {
  const auto json = r.out.find("{\"");
  return json == std::string::npos ? "<no JSON in: " + r.out + ">" : r.out.substr(json);
}

class GpuCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new m2vk::test::TempDir();
    m2vk::write_demo_model(dir_->path(), m2vk::demo_config(m2vk::DemoShape::Tiny), 3);
  }
  static void TearDownTestSuite() { delete dir_; }
  // `m2vk embed` on the demo model, lavapipe, 32 tokens; flags and texts follow.
  static std::string embed_base() { return "embed --model " + q(dir_->path()) + " --device llvmpipe --max-length 32 "; }
  static m2vk::test::TempDir* dir_;
};
m2vk::test::TempDir* GpuCli::dir_ = nullptr;

TEST_F(GpuCli, ComparePrintsEveryStepAndPassesWithinThreshold) {
  const CliRun r = run("compare --model " + q(dir_->path()) + " --max-length 300 'one text' 'another, longer text'");
  EXPECT_EQ(r.code, 0) << r.out;
  for (const char* name : {"embeddings.output", "encoder.layer.1.mixer.in_linear", "encoder.layer.1.mixer.short_conv",
                           "encoder.layer.0.mixer.long_conv", "encoder.layer.0.mixer.residual_long_conv",
                           "encoder.layer.1.mixer.output", "encoder.layer.1.mlp.gated_layers", "encoder.layer.1.output",
                           "pooled_output"})
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
  EXPECT_NE(r.out.find("batch 1, token"), std::string::npos);  // positions are reported
  EXPECT_NE(r.out.find("PASS"), std::string::npos);
}

TEST_F(GpuCli, CompareFailsAboveThresholdAndRejectsBadFlags) {
  // Float32 GPU results are never bit-equal to the double-accumulating reference.
  const CliRun r = run("compare --model " + q(dir_->path()) + " --max-length 64 --threshold 0 hello");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("FAIL"), std::string::npos);
  EXPECT_EQ(run("compare --model " + q(dir_->path()) + " --threshold abc hello").code, 2);
  EXPECT_EQ(run("compare hello").code, 2);
  EXPECT_EQ(run("compare --model " + q(dir_->path()) + " --device no-such-gpu hello").code, 1);
}

TEST_F(GpuCli, EmbedProfileAndDeviceByName) {
  // --kernels forces the long convolution's backend (auto may pick either), seen in the profile.
  // --spectrum-cache 0: the profile below must show the filters being built, not read from disk.
  const CliRun r = run("embed --model " + q(dir_->path()) +
                           " --device llvmpipe --max-length 32 --profile --kernels ours --spectrum-cache 0 hi",
                       true);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("GPU time on llvmpipe"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("fft_conv"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("vkfft_mul"), std::string::npos) << r.out;
  const CliRun v = run("embed --model " + q(dir_->path()) + " --device llvmpipe --max-length 32 --profile --kernels vkfft hi", true);
  EXPECT_EQ(v.code, 0) << v.out;
  EXPECT_NE(v.out.find("vkfft_mul"), std::string::npos) << v.out;
  EXPECT_EQ(v.out.find("fft_conv"), std::string::npos) << v.out;
  EXPECT_NE(r.out.find("\"embedding\""), std::string::npos);
  // Where the load and the first pass spent their wall time, the filter GEMMs (their Sin and decay
  // epilogues, gemm.cmake's e4 and e5), and the spectrum budget's rule.
  for (const char* part : {"load: ", "checkpoint read", "weights upload", "filters + spectra", "layers",
                           "filter: gemm_a0_w0_e4", "filter: gemm_a1_w1_e5", "of a ", "MB budget (half of the"})
    EXPECT_NE(r.out.find(part), std::string::npos) << part << "\n" << r.out;
  EXPECT_EQ(run("embed --model " + q(dir_->path()) + " --device tpu hi").code, 2);  // usage error naming devices
}

TEST_F(GpuCli, SpectrumBudgetZeroRebuildsSpectraWithTheSameEmbedding) {
  // Budget 0 caches nothing: every layer rebuilds its filters and spectra on the device in each
  // pass, through the same kernels, so the embedding is bit for bit the cached path's.
  const std::string base = embed_base();
  const CliRun cached = run(base + "hello world");
  const CliRun rebuilt = run(base + "--spectrum-budget 0 --profile hello world", true);
  ASSERT_EQ(cached.code, 0) << cached.out;
  ASSERT_EQ(rebuilt.code, 0) << rebuilt.out;
  EXPECT_NE(rebuilt.out.find("device memory: weights"), std::string::npos) << rebuilt.out;
  EXPECT_EQ(json_part(rebuilt), cached.out);
  EXPECT_EQ(run(base + "--spectrum-budget -5 hi").code, 2);
  EXPECT_EQ(run(base + "--spectrum-budget lots hi").code, 2);
}

TEST_F(GpuCli, SpectrumFilesCarryTheSpectraToTheNextProcess) {
  // Two fresh processes sharing a cache folder: the first builds the spectra and writes them, the
  // second reads them (no filter kernel runs) and prints the same embedding.
  m2vk::test::TempDir cache;
  const std::string bin = "M2VK_CACHE_DIR=" + q(cache.path()) + " " + M2VK_BIN;
  const std::string args = "embed --model " + q(dir_->path()) + " --device llvmpipe --max-length 64 --kernels ours --profile hello world";
  const CliRun first = m2vk::test::run_cli(bin, args, true), second = m2vk::test::run_cli(bin, args, true);
  ASSERT_EQ(first.code, 0) << first.out;
  ASSERT_EQ(second.code, 0) << second.out;
  EXPECT_NE(first.out.find("spectrum files: 0 read (0 MB"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("filter: gemm_"), std::string::npos) << first.out;
  EXPECT_EQ(first.out.find(" 0 written"), std::string::npos) << first.out;
  EXPECT_EQ(second.out.find("spectrum files: 0 read"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find(", 0 written (0 MB"), std::string::npos) << second.out;
  EXPECT_EQ(second.out.find("filter: "), std::string::npos) << second.out;
  EXPECT_EQ(json_part(first), json_part(second));
  EXPECT_FALSE(std::filesystem::is_empty(cache.path() / "spectra"));
  const CliRun off = m2vk::test::run_cli(bin, args + " --spectrum-cache 0", true);
  EXPECT_NE(off.out.find("spectrum files: off (asked for)"), std::string::npos) << off.out;
  EXPECT_EQ(json_part(off), json_part(first));
  EXPECT_EQ(run(embed_base() + "--spectrum-cache -1 hi").code, 2);
  EXPECT_EQ(run(embed_base() + "--spectrum-cache lots hi").code, 2);
}

TEST_F(GpuCli, PrecisionFp16SaysWhyItRunsFp32OnLavapipe) {
  const std::string base = embed_base();
  const CliRun fp32 = run(base + "hello world");
  const CliRun fp16 = run(base + "--precision fp16 hello world", true);
  ASSERT_EQ(fp32.code, 0) << fp32.out;
  ASSERT_EQ(fp16.code, 0) << fp16.out;
  EXPECT_NE(fp16.out.find("cooperative matrices are unavailable on llvmpipe"), std::string::npos) << fp16.out;
  EXPECT_EQ(json_part(fp16), fp32.out);  // the fp32 kernels ran
  EXPECT_EQ(run(base + "--precision bf16 hi").code, 2);
}

TEST(GpuGoldenCli, GoldenOnTheGpuExitsZero) {
  const CliRun r = run("golden " + q(m2vk::test::golden_dir("tiny-unidirectional")) + " --device gpu");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("PASS"), std::string::npos) << r.out;
}

}  // namespace

TEST(DevicesCli, StatesTheFilterSpectrumBudgetFromHostMemoryOnLavapipe) {
  const CliRun text = run("devices --device llvmpipe");
  ASSERT_EQ(text.code, 0) << text.out;
  EXPECT_NE(text.out.find("filter-spectrum budget"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("of host memory available"), std::string::npos) << text.out;
  const CliRun j = run("devices --json --device llvmpipe");
  ASSERT_EQ(j.code, 0) << j.out;
  const auto doc = nlohmann::json::parse(j.out);
  bool found = false;
  for (const auto& d : doc["devices"])
    if (d["type"] == "cpu") {
      found = true;
      // Not lavapipe's nominal 2 GiB heap: half of what the host has available.
      EXPECT_EQ(d["spectrum_budget"]["bytes"].get<std::uint64_t>() > 0, true);
      EXPECT_NE(d["spectrum_budget"]["rule"].get<std::string>().find("host memory"), std::string::npos);
    }
  EXPECT_TRUE(found) << j.out;
}

TEST(DevicesCli, CpuMeansTheReferencePathAndListsTheDevicesWithNoneSelected) {
  // M2VK_DEVICE=cpu makes "auto" the CPU reference path; `m2vk devices` used to reject it as a
  // spec that "matches no device".
  const CliRun env = m2vk::test::run_cli(std::string("env M2VK_DEVICE=cpu ") + M2VK_BIN, "devices");
  ASSERT_EQ(env.code, 0) << env.out;
  EXPECT_NE(env.out.find("selected: the CPU reference path"), std::string::npos) << env.out;
  EXPECT_EQ(env.out.find("[default, selected]"), std::string::npos) << env.out;
  const CliRun j = run("devices --json --device cpu");
  ASSERT_EQ(j.code, 0) << j.out;
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["selected"], "cpu");
  for (const auto& d : doc["devices"]) EXPECT_FALSE(d["selected"].get<bool>()) << d["name"];
  EXPECT_NE(run("devices --device no-such-device").code, 0);  // other specs are still checked
}
