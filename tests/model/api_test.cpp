// The public API on a demo (random-weight) model: embeddings keep input order and do not depend on
// batch composition with the default padding, padding modes do what they say, options are checked,
// devices resolve, classification scores are a softmax, and random weights are flagged.
#include <gtest/gtest.h>

#include <cmath>

#include "m2vk/demo_model.hpp"
#include "m2vk/model.hpp"
#include "m2vk/ref/forward.hpp"
#include "test_util.hpp"

namespace {

using namespace m2vk;

class DemoModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    write_demo_model(dir_->path(), demo_config(DemoShape::Tiny, 64), 3);
    ModelConfig cls = demo_config(DemoShape::Tiny, 64);
    cls.auto_model_class.clear();
    cls.num_labels = 3;
    cls.id2label = {{0, "neg"}, {1, "neu"}, {2, "pos"}};
    std::filesystem::create_directory(dir_->path() / "cls");
    write_demo_model(dir_->path() / "cls", cls, 4);
  }
  static void TearDownTestSuite() { delete dir_; }
  static test::TempDir* dir_;
};
test::TempDir* DemoModel::dir_ = nullptr;

// These tests pin the CPU reference: they check its semantics exactly.
Model load_cpu(const std::filesystem::path& dir) {
  ModelLoadOptions o;
  o.device = Device::parse("cpu");
  return Model::load(dir, o);
}

std::vector<float> row(const EmbedResult& r, int64_t i) {
  return {r.data.begin() + i * r.dim, r.data.begin() + (i + 1) * r.dim};
}

TEST_F(DemoModel, EmbedKeepsOrderAndIsBatchIndependentWithMaxLengthPadding) {
  Model m = load_cpu(dir_->path());
  EXPECT_TRUE(m.random_weights());
  EXPECT_EQ(m.device().kind, Device::Kind::Cpu);
  EXPECT_EQ(m.max_length(), 64);
  const std::vector<std::string> texts = {"the quick brown fox", "hello world", "a much longer sentence with more words"};
  RunOptions o;
  o.batch_size = 3;
  EmbedResult all = m.embed(texts, o);
  ASSERT_EQ(all.count, 3);
  ASSERT_EQ(all.dim, 32);
  EXPECT_TRUE(all.random_weights);
  EXPECT_EQ(all.padded_length, 64);
  EXPECT_EQ(all.tokens[1], 4);  // [CLS] hello world [SEP]
  o.batch_size = 1;
  EmbedResult reversed = m.embed({texts[2], texts[1], texts[0]}, o);
  for (int64_t i = 0; i < 3; ++i) {
    auto a = row(all, i), b = row(reversed, 2 - i);
    for (size_t c = 0; c < a.size(); ++c) EXPECT_NEAR(a[c], b[c], 1e-6) << i;
  }
  // Distinct texts give distinct embeddings (the pooled output is not a constant).
  EXPECT_GT(std::fabs(row(all, 0)[0] - row(all, 1)[0]) + std::fabs(row(all, 0)[1] - row(all, 1)[1]), 1e-6);
}

TEST_F(DemoModel, EmbeddingIsThePooledOutputOfTheTokenizedBatch) {
  Model m = load_cpu(dir_->path());
  RunOptions o;
  const std::vector<TextInput> in = {{"hello world", std::nullopt}};
  Batch b = m.tokenize(in, o);
  ASSERT_EQ(b.length, 64);
  EXPECT_EQ(b.input_ids[0], 101);
  EXPECT_EQ(b.input_ids[3], 102);
  EXPECT_EQ(b.input_ids[4], 0);
  EXPECT_EQ(b.attention_mask[3], 1);
  EXPECT_EQ(b.attention_mask[4], 0);
  ForwardResult f = ref::forward(m.config(), m.weights(), b);
  EmbedResult e = m.embed({"hello world"}, o);
  for (int64_t c = 0; c < e.dim; ++c) EXPECT_EQ(e.data[c], f.pooled.data[c]);
}

TEST_F(DemoModel, LongestPaddingChangesBidirectionalOutputs) {
  Model m = load_cpu(dir_->path());
  RunOptions o;
  o.padding = PaddingMode::Longest;
  Batch b = m.tokenize({{"hello world", std::nullopt}}, o);
  EXPECT_EQ(b.length, 4);
  EmbedResult shortpad = m.embed({"hello world"}, o);
  EmbedResult maxpad = m.embed({"hello world"}, RunOptions{});
  double diff = 0;
  for (int64_t c = 0; c < 32; ++c) diff = std::max(diff, static_cast<double>(std::fabs(shortpad.data[c] - maxpad.data[c])));
  EXPECT_GT(diff, 1e-4);  // nothing masks padding (architecture doc 7.1)
}

TEST_F(DemoModel, MaxLengthTruncatesAndIsBounded) {
  Model m = load_cpu(dir_->path());
  RunOptions o;
  o.max_length = 5;
  EmbedResult e = m.embed({"one two three four five six seven"}, o);
  EXPECT_EQ(e.padded_length, 5);
  EXPECT_EQ(e.tokens[0], 5);
  EXPECT_TRUE(e.truncated[0]);
  o.max_length = 65;
  EXPECT_THROW(m.embed({"x"}, o), std::invalid_argument);
}

TEST_F(DemoModel, NormalizeGivesUnitVectors) {
  Model m = load_cpu(dir_->path());
  RunOptions o;
  o.normalize = true;
  EmbedResult e = m.embed({"alpha", "beta"}, o);
  for (int64_t i = 0; i < 2; ++i) {
    double s = 0;
    for (float v : row(e, i)) s += static_cast<double>(v) * v;
    EXPECT_NEAR(s, 1.0, 1e-6);
  }
}

TEST_F(DemoModel, ClassifyGivesSoftmaxScoresAndLabels) {
  Model m = load_cpu(dir_->path() / "cls");
  ClassifyResult r = m.classify({{"good", std::nullopt}, {"first part", std::string("second part")}});
  ASSERT_EQ(r.count, 2);
  ASSERT_EQ(r.num_labels, 3);
  EXPECT_EQ(r.labels, (std::vector<std::string>{"neg", "neu", "pos"}));
  for (int64_t i = 0; i < 2; ++i) {
    double s = 0, mx = -1e30;
    int64_t arg = 0;
    for (int64_t c = 0; c < 3; ++c) {
      s += r.scores[i * 3 + c];
      if (r.logits[i * 3 + c] > mx) mx = r.logits[i * 3 + c], arg = c;
      // softmax: score ratios equal exp(logit differences)
      EXPECT_NEAR(std::log(r.scores[i * 3 + c] / r.scores[i * 3]), r.logits[i * 3 + c] - r.logits[i * 3], 1e-5);
    }
    EXPECT_NEAR(s, 1.0, 1e-6);
    EXPECT_EQ(r.predicted[i], arg);
  }
  EXPECT_THROW(load_cpu(dir_->path()).classify({{"x", std::nullopt}}), std::runtime_error);  // retrieval model
}

TEST(Device, ParseAndResolve) {
  EXPECT_EQ(Device::parse("cpu").kind, Device::Kind::Cpu);
  EXPECT_EQ(Device::parse("auto").resolve().kind, gpu_path_available() ? Device::Kind::Gpu : Device::Kind::Cpu);
  EXPECT_EQ(Device::parse("gpu:1").index, 1);
  EXPECT_EQ(Device::parse("2").index, 2);
  EXPECT_THROW(Device::parse("99").resolve(), DeviceUnavailable);  // no GPU 99 anywhere here
  EXPECT_THROW(Device::parse("gpu:"), std::invalid_argument);
  EXPECT_THROW(Device::parse("no-such-device-xyz"), std::invalid_argument);  // names must match a device
  EXPECT_THROW(Device::parse("gpu:no-such-device-xyz"), std::invalid_argument);
  if (!gpu_path_available()) {
    try {
      Device::parse("gpu").resolve();
      FAIL();
    } catch (const DeviceUnavailable& e) {
      EXPECT_NE(std::string(e.what()).find("--device cpu"), std::string::npos) << e.what();
    }
  }
}

TEST(ModelFolder, MissingCheckpointListsWhatWasLookedFor) {
  test::TempDir d;
  try {
    find_checkpoint(d.path());
    FAIL();
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    for (const char* n : {"model.safetensors", "pytorch_model.bin", "model.pt", "*.npz", "checkpoint/"})
      EXPECT_NE(m.find(n), std::string::npos) << n << " in " << m;
  }
}

TEST(ModelFolder, WithoutConfigTheConfigIsInferredAndAssumptionsReported) {
  test::TempDir d;
  ModelConfig c = demo_config(DemoShape::Tiny, 32);
  write_demo_model(d.path(), c, 1);
  std::filesystem::remove(d / "config.json");
  ModelParts p = load_model_parts(d.path());
  EXPECT_EQ(p.config.hidden_size, 32);
  EXPECT_EQ(p.config.long_conv_l_max, 32);
  EXPECT_TRUE(p.config.residual_long_conv);
  bool reported = false;
  for (const auto& n : p.notes) reported |= n.find("inferred from tensor shapes") != std::string::npos &&
                                            n.find("pool_all=false") != std::string::npos;
  EXPECT_TRUE(reported);
}

}  // namespace
