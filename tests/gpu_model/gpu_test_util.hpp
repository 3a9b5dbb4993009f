// Shared by the GPU forward-pass tests: random token batches and a random-weight demo model
// written once per test suite.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "m2vk/batch.hpp"
#include "m2vk/demo_model.hpp"
#include "m2vk/model.hpp"
#include "../model/test_util.hpp"

namespace m2vk::test {

// B rows of L random token ids; row r has L - r * (L / 3) real tokens, the rest padding.
inline Batch random_batch(const ModelConfig& cfg, int64_t B, int64_t L, uint32_t seed) {
  Batch b;
  b.batch = B;
  b.length = L;
  uint32_t s = seed;
  auto next = [&] { return s = s * 1664525u + 1013904223u; };
  for (int64_t r = 0; r < B; ++r) {
    const int64_t real = L - r * (L / 3);
    for (int64_t t = 0; t < L; ++t) {
      const bool pad = t >= real;
      b.input_ids.push_back(pad ? 0 : static_cast<int32_t>(103 + next() % (cfg.vocab_size - 103)));
      b.token_type_ids.push_back(0);
      b.attention_mask.push_back(pad ? 0 : 1);
    }
  }
  return b;
}

// A fixture whose suite shares one tiny random-weight demo model (l_max 2048, weights from Seed).
template <uint32_t Seed>
class TinyDemoModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    cfg_ = demo_config(DemoShape::Tiny, 2048);
    write_demo_model(dir_->path(), cfg_, Seed);
    parts_ = std::make_unique<ModelParts>(load_model_parts(dir_->path()));
  }
  static void TearDownTestSuite() {
    parts_.reset();
    dir_.reset();
  }
  inline static std::unique_ptr<TempDir> dir_;
  inline static ModelConfig cfg_;
  inline static std::unique_ptr<ModelParts> parts_;
};

}  // namespace m2vk::test
