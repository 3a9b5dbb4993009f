// A 32768-token input through a tiny-width model completes on the CPU with finite outputs, and its
// causal prefix behaves as the architecture says: with a unidirectional model, the first positions'
// outputs do not depend on what follows (checked against a short run of the same prefix).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "m2vk/demo_model.hpp"
#include "m2vk/model.hpp"
#include "m2vk/ref/forward.hpp"
#include "test_util.hpp"

namespace {

using namespace m2vk;

TEST(LongInput, Tokens32kCompleteOnCpu) {
  test::TempDir d;
  ModelConfig c = demo_config(DemoShape::Tiny, 32768);
  c.bidirectional = false;  // causal: a prefix run must reproduce the long run's first positions
  c.hidden_size = 16;
  c.intermediate_size = 32;
  c.num_hidden_layers = 1;
  write_demo_model(d.path(), c, 5);
  ModelParts p = load_model_parts(d.path());
  Batch b;
  b.batch = 1;
  b.length = 32768;
  for (int64_t t = 0; t < b.length; ++t) b.input_ids.push_back(static_cast<int32_t>(1000 + (t * 7919) % 20000));
  const auto t0 = std::chrono::steady_clock::now();
  ForwardResult r = ref::forward(p.config, p.weights, b);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  RecordProperty("seconds", std::to_string(secs));
  ASSERT_EQ(r.last_hidden_state.shape, (std::vector<int64_t>{1, 32768, 16}));
  for (float v : r.last_hidden_state.data) ASSERT_TRUE(std::isfinite(v));

  Batch prefix = b;
  prefix.length = 100;
  prefix.input_ids.resize(100);
  ForwardResult s = ref::forward(p.config, p.weights, prefix);
  double worst = 0;
  for (size_t i = 0; i < s.last_hidden_state.data.size(); ++i)
    worst = std::max(worst, static_cast<double>(std::fabs(s.last_hidden_state.data[i] - r.last_hidden_state.data[i])));
  EXPECT_LT(worst, 1e-4);
}

}  // namespace
