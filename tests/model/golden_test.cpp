// Every shared golden set through the CPU reference: each expected tensor (all intermediates,
// padmax files, unpadded rows, logits) within 1e-4 scaled error of the original PyTorch output.
#include <gtest/gtest.h>

#include "m2vk/golden.hpp"
#include "test_util.hpp"

namespace {

using namespace m2vk;

std::string set_name(const ::testing::TestParamInfo<std::pair<std::string, size_t>>& p) {
  std::string n = p.param.first;
  for (auto& ch : n)
    if (ch == '-') ch = '_';
  return n;
}

class GoldenSet : public ::testing::TestWithParam<std::pair<std::string, size_t>> {};

TEST_P(GoldenSet, EveryExpectedTensorWithinTolerance) {
  const auto& [set, min_lines] = GetParam();
  GoldenOptions o;
  o.device = Device::parse("cpu");
  const GoldenReport r = run_golden(test::golden_dir(set), o);
  // Guards against a vacuous pass (files not found, names not compared).
  EXPECT_GE(r.lines.size(), min_lines);
  double worst = 0;
  for (const auto& l : r.lines) {
    EXPECT_TRUE(l.produced) << l.file << " " << l.tensor << ": " << l.problem;
    EXPECT_LE(l.scaled_error, 1e-4) << l.file << " " << l.tensor;
    worst = std::max(worst, l.scaled_error);
  }
  EXPECT_TRUE(r.ok);
  RecordProperty("worst_scaled_error", std::to_string(worst));
}

// Minimum counts: per-layer intermediates x layers x expected files (+ unpadded rows / logits).
INSTANTIATE_TEST_SUITE_P(AllSets, GoldenSet,
                         ::testing::Values(std::make_pair(std::string("tiny-retrieval"), size_t{60}),
                                           std::make_pair(std::string("tiny-unidirectional"), size_t{30}),
                                           std::make_pair(std::string("tiny-classifier"), size_t{40}),
                                           std::make_pair(std::string("composer"), size_t{30}),
                                           std::make_pair(std::string("legacy-format"), size_t{30})),
                         set_name);

TEST(Golden, MismatchedCheckpointIsRefused) {
  // The unidirectional checkpoint cannot reproduce tiny-retrieval: binding must refuse it.
  test::TempDir d;
  std::filesystem::copy(test::golden_dir("tiny-retrieval") / "config.json", d / "config.json");
  std::filesystem::copy(test::golden_dir("tiny-retrieval") / "expected.safetensors", d / "expected.safetensors");
  std::filesystem::create_directory(d / "checkpoint");
  std::filesystem::copy(test::golden_dir("tiny-unidirectional") / "checkpoint" / "pytorch_model.bin",
                        d / "checkpoint" / "pytorch_model.bin");
  EXPECT_THROW(run_golden(d.path()), std::runtime_error);
}

TEST(Golden, ScaledErrorDefinition) {
  EXPECT_DOUBLE_EQ(scaled_error({1.0f, 2.0f}, {1.0f, 2.5f}), 0.5 / 2.5);
  EXPECT_DOUBLE_EQ(scaled_error({0.1f}, {0.3f}), static_cast<double>(0.3f) - static_cast<double>(0.1f));
}

}  // namespace
