// m2vk on RADV's null device (a GCN5/RDNA2/RDNA3 GPU the machine does not have: pipelines compile
// for its real ISA, memory cannot be allocated, nothing executes), through the CLI:
// - `m2vk embed` names why it cannot run there instead of crashing (it used to SIGSEGV in
//   Context::~Context after Context::create failed);
// - `m2vk kernels` compiles every shipped variant there and reports the driver's statistics;
// - the register/scratch/occupancy budget: every pipeline the forward pass selects there (the
//   planner's choice, "selected" in the JSON) is clean (0 spills, 0 scratch, >= 2 subgroups per
//   SIMD) unless listed in kernel_stats_not_clean.txt, and a listed one that has become clean or
//   is no longer selected fails too, so the list only shrinks. The other shipped variants must
//   compile and are reported.
// Every test skips, naming why, where the radeon ICD is not installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "../model/test_util.hpp"
#include "m2vk/demo_model.hpp"

namespace {

const char* const kRadeonIcd = "/usr/share/vulkan/icd.d/radeon_icd.x86_64.json";

struct NullDevice {
  const char* family;  // RADV_FORCE_FAMILY
  bool wave32;  // RADV_PERFTEST=cswave32 (RDNA only)
  std::string config() const { return std::string(family) + (wave32 ? "+wave32" : ""); }
};

// The environment prefix that makes the m2vk process see only this null device (validation off:
// nothing runs, and the layer's own checks are covered by the lavapipe tests).
std::string env(const NullDevice& d) {
  return std::string("env VK_ICD_FILENAMES=") + kRadeonIcd + " VK_DRIVER_FILES=" + kRadeonIcd + " RADV_FORCE_FAMILY=" + d.family +
         " RADV_PERFTEST=" + (d.wave32 ? "cswave32" : "") + " M2VK_VALIDATION=0 ";
}

m2vk::test::CliRun run(const NullDevice& d, const std::string& args, bool with_stderr = false) {
  return m2vk::test::run_cli(env(d) + M2VK_BIN, args, with_stderr);
}

#define SKIP_WITHOUT_RADEON()                                                                                       \
  if (!std::filesystem::exists(kRadeonIcd))                                                                         \
  GTEST_SKIP() << kRadeonIcd << " is missing (Debian package mesa-vulkan-drivers): no RADV null device to compile for"

TEST(NullDevice, EmbedNamesWhyItCannotRunInsteadOfCrashing) {
  SKIP_WITHOUT_RADEON();
  m2vk::test::TempDir dir;
  m2vk::write_demo_model(dir.path() / "demo", m2vk::demo_config(m2vk::DemoShape::Tiny), 1);
  auto r = run({"navi21", false}, "embed --model " + m2vk::test::quote_path(dir.path() / "demo") + " --device gpu hello", true);
  EXPECT_EQ(r.code, 1) << r.out;  // -1 would be a signal (the SIGSEGV this guards against)
  EXPECT_NE(r.out.find("Null hardware (RADV NAVI21)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cannot run kernels"), std::string::npos) << r.out;
}

// Pipeline -> reason, per configuration, from kernel_stats_not_clean.txt.
std::map<std::string, std::set<std::string>> not_clean_list() {
  std::ifstream in(M2VK_KERNEL_STATS_LIST);
  EXPECT_TRUE(in) << "cannot read " << M2VK_KERNEL_STATS_LIST;
  std::map<std::string, std::set<std::string>> out;
  std::string line;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream ss(line);
    std::string config, name;
    if (ss >> config >> name) out[config].insert(name);
  }
  return out;
}

class KernelStats : public ::testing::TestWithParam<NullDevice> {};

TEST_P(KernelStats, EveryShippedPipelineCompilesAndListedOnesAreExactlyTheUncleanSelected) {
  SKIP_WITHOUT_RADEON();
  const NullDevice d = GetParam();
  auto r = run(d, "kernels --json");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j["statistics_available"].get<bool>());
  std::size_t wave32_pipelines = 0;
  auto listed = not_clean_list()[d.config()];

  std::set<std::string> seen, selected;
  for (const auto& p : j["pipelines"]) {
    const std::string name = p["name"];
    seen.insert(name);
    if (p["selected"].get<bool>()) {
      selected.insert(name);
      EXPECT_FALSE(p["shapes"].empty()) << name << " is selected for no shape";
    }
    if (p.contains("unsupported")) {  // needs a feature the null device lacks (cooperative matrices)
      EXPECT_EQ(name.rfind("gemm_coopmat", 0), 0u) << name << ": " << p["unsupported"];
      continue;
    }
    ASSERT_TRUE(p["compiled"].get<bool>()) << name << ": " << p.value("error", "");
    ASSERT_FALSE(p["executables"].empty()) << name;
    const auto& e = p["executables"][0];
    // Under cswave32 RADV still compiles shaders that use subgroup operations as wave64 (the
    // device reports subgroups of 64, which such a shader may rely on); the others become wave32.
    const unsigned subgroup = e["subgroup_size"].get<unsigned>();
    if (d.wave32) {
      EXPECT_TRUE(subgroup == 32 || subgroup == 64) << name << ": subgroup " << subgroup;
    } else {
      EXPECT_EQ(subgroup, 64u) << name;
    }
    wave32_pipelines += subgroup == 32;
    const auto& s = e["statistics"];
    ASSERT_TRUE(s.contains("VGPRs") && s.contains("Spilled VGPRs") && s.contains("Spilled SGPRs") && s.contains("Scratch size") &&
                s.contains("Subgroups per SIMD"))
        << name << ": " << s.dump();
    EXPECT_GT(s["VGPRs"].get<double>(), 0) << name;
    const bool clean = s["Spilled VGPRs"].get<double>() == 0 && s["Spilled SGPRs"].get<double>() == 0 &&
                       s["Scratch size"].get<double>() == 0 && s["Subgroups per SIMD"].get<double>() >= 2;
    if (!selected.count(name)) continue;  // reported, not held to the budget
    if (listed.count(name)) {
      EXPECT_FALSE(clean) << name << " is clean on " << d.config()
                          << " now: delete its line from tests/gpu_model/kernel_stats_not_clean.txt";
    } else {
      EXPECT_TRUE(clean) << name << " on " << d.config() << ": spilled VGPRs " << s["Spilled VGPRs"] << ", spilled SGPRs "
                         << s["Spilled SGPRs"] << ", scratch " << s["Scratch size"] << " B, subgroups per SIMD "
                         << s["Subgroups per SIMD"] << " (needs 0, 0, 0, >= 2)";
    }
  }
  if (d.wave32) {
    EXPECT_GT(wave32_pipelines, 10u) << "RADV_PERFTEST=cswave32 made (almost) no pipeline wave32";
  }
  for (const auto& name : listed)
    EXPECT_TRUE(selected.count(name)) << name << " is listed for " << d.config()
                                      << " but not selected there: delete its line from tests/gpu_model/kernel_stats_not_clean.txt";
  // The planner found the forward pass's kernels: embedding, GEMMs, short conv, FFT, layer norm,
  // and the filter GEMMs with their Sin and decay epilogues.
  for (const char* prefix : {"layer_embedding_norm", "gemm", "layer_short_conv_gated", "fft_", "layer_norm", "gemm_tiled_a1_e4",
                             "gemm_tiled_a1_e5"})
    EXPECT_TRUE(std::any_of(selected.begin(), selected.end(), [&](const std::string& n) { return n.rfind(prefix, 0) == 0; }))
        << "no selected pipeline starts with " << prefix << " on " << d.config();
}

INSTANTIATE_TEST_SUITE_P(Radv, KernelStats,
                         ::testing::Values(NullDevice{"vega10", false}, NullDevice{"navi21", false}, NullDevice{"navi21", true},
                                           NullDevice{"gfx1100", false}, NullDevice{"gfx1100", true}),
                         [](const auto& param_info) { return std::string(param_info.param.family) + (param_info.param.wave32 ? "_wave32" : ""); });

// On lavapipe (the test environment's device) the same command compiles everything and reports
// that the driver gives no statistics.
TEST(Kernels, LavapipeCompilesEveryVariantWithoutStatistics) {
  auto r = m2vk::test::run_cli(M2VK_BIN, "kernels --json");
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["statistics_available"].get<bool>());
  ASSERT_GT(j["pipelines"].size(), 50u);
  std::size_t selected = 0;
  for (const auto& p : j["pipelines"]) {
    selected += p["selected"].get<bool>();
    if (p.contains("unsupported")) continue;
    EXPECT_TRUE(p["compiled"].get<bool>()) << p["name"] << ": " << p.value("error", "");
    EXPECT_TRUE(p["executables"].empty()) << p["name"];
  }
  EXPECT_GE(selected, 10u);
  // --selected lists exactly the selected rows; batch 8 at 32k tokens exceeds lavapipe's
  // allocation limit, so it is reported as not planned instead.
  auto rs = m2vk::test::run_cli(M2VK_BIN, "kernels --json --selected");
  ASSERT_EQ(rs.code, 0) << rs.out;
  auto js = nlohmann::json::parse(rs.out);
  EXPECT_EQ(js["pipelines"].size(), selected);
  for (const auto& p : js["pipelines"]) EXPECT_TRUE(p["selected"].get<bool>()) << p["name"];
  ASSERT_EQ(js["shapes_not_planned"].size(), 1u) << js["shapes_not_planned"].dump();
  EXPECT_EQ(js["shapes_not_planned"][0]["length"], 32768);
  EXPECT_NE(js["shapes_not_planned"][0]["reason"].get<std::string>().find("allocation limit"), std::string::npos);
}

TEST(Kernels, ModelFlagPlansForThatModelsLengths) {
  m2vk::test::TempDir dir;
  m2vk::write_demo_model(dir.path() / "demo", m2vk::demo_config(m2vk::DemoShape::Tiny), 1);  // l_max 512
  auto r = m2vk::test::run_cli(M2VK_BIN, "kernels --json --selected --model " + m2vk::test::quote_path(dir.path() / "demo"));
  ASSERT_EQ(r.code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["model"]["max_length"], 512);
  std::set<unsigned> lengths;
  for (const auto& p : j["pipelines"])
    for (const auto& sh : p["shapes"]) lengths.insert(sh["length"].get<unsigned>());
  EXPECT_EQ(lengths, (std::set<unsigned>{128, 512}));
  auto bad = m2vk::test::run_cli(M2VK_BIN, "kernels --model " + m2vk::test::quote_path(dir.path() / "missing"), true);
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find("config.json"), std::string::npos) << bad.out;
}

TEST(Kernels, UnknownVariantIsAUsageError) {
  auto r = m2vk::test::run_cli(M2VK_BIN, "kernels no_such_kernel", true);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("unknown shader variant 'no_such_kernel'"), std::string::npos) << r.out;
}

}  // namespace
