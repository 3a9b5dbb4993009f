// Strict weight binding: a complete checkpoint binds; a missing tensor, a wrong shape, an unknown
// tensor and disagreeing shared Sin frequencies are errors naming the tensor; FlashFFTConv buffers,
// position_ids, cls.* and a retrieval model's classifier are skipped and listed; other stored
// dtypes are converted. Also the expected key list against the released 80M-32k state dict.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <map>

#include "m2vk/demo_model.hpp"
#include "m2vk/loader/safetensors.hpp"
#include "m2vk/loader/tensor_store.hpp"
#include "m2vk/weights.hpp"
#include "test_util.hpp"

namespace {

using namespace m2vk;

ModelConfig small_config() {
  ModelConfig c = demo_config(DemoShape::Tiny, 16);
  c.vocab_size = 40;
  c.hidden_size = 8;
  c.intermediate_size = 16;
  c.hyena_filter_order = 4;
  c.hyena_emb_dim = 3;
  return c;
}

// Writes the demo tensors of `c` after `edit` changed the list, and binds them.
struct Written {
  test::TempDir dir;
  loader::TensorStore store;
};

std::unique_ptr<Written> write_checkpoint(const ModelConfig& c,
                                          const std::function<void(std::vector<loader::TensorToWrite>&)>& edit) {
  auto w = std::make_unique<Written>();
  static std::vector<TensorSpec> specs;  // kept alive for the fill callbacks
  specs = expected_tensor_specs(c);
  std::vector<loader::TensorToWrite> t;
  for (const TensorSpec& s : specs) {
    const TensorSpec* sp = &s;
    t.push_back({s.name, s.dtype == "I64" ? loader::DType::I64 : loader::DType::F32, s.shape,
                 [c, sp](std::span<std::byte> out) { fill_demo_tensor(c, *sp, 7, out); }});
  }
  edit(t);
  loader::write_safetensors(w->dir / "model.safetensors", t, {});
  w->store = loader::load_safetensors(w->dir / "model.safetensors");
  return w;
}

loader::TensorToWrite extra(const std::string& name, std::vector<int64_t> shape) {
  return {name, loader::DType::F32, std::move(shape), [](std::span<std::byte> out) { std::memset(out.data(), 0, out.size()); }};
}

std::string bind_error(const ModelConfig& c, const loader::TensorStore& s) {
  try {
    bind_weights(c, s);
  } catch (const WeightError& e) {
    return e.what();
  }
  return "";
}

TEST(Binding, CompleteCheckpointBindsWithShapes) {
  ModelConfig c = small_config();
  auto w = write_checkpoint(c, [](auto&) {});
  ModelWeights mw = bind_weights(c, w->store);
  ASSERT_EQ(mw.layers.size(), 2u);
  EXPECT_EQ(mw.layers[0].mlp.gated.w.shape, (std::vector<int64_t>{4, 8, 2}));  // (nb, 2I/nb, H/nb)
  EXPECT_EQ(mw.layers[1].mixer.filter1.z.shape, (std::vector<int64_t>{16, 3}));
  EXPECT_TRUE(mw.layers[1].mixer.filter2.has_value());
  EXPECT_TRUE(mw.layers[1].mixer.filter2->rev.has_value());
  EXPECT_FLOAT_EQ(mw.layers[0].mixer.filter1.freq.data[0], 10.0f);
  ASSERT_EQ(mw.skipped.size(), 1u);
  EXPECT_NE(mw.skipped[0].find("bert.embeddings.position_ids"), std::string::npos);
}

TEST(Binding, MissingTensorIsNamed) {
  ModelConfig c = small_config();
  auto w = write_checkpoint(c, [](auto& t) {
    std::erase_if(t, [](const auto& x) { return x.name == "bert.encoder.layer.1.attention.out_linear.bias"; });
  });
  const std::string m = bind_error(c, w->store);
  EXPECT_NE(m.find("missing tensor 'bert.encoder.layer.1.attention.out_linear.bias'"), std::string::npos) << m;
}

TEST(Binding, WrongShapeNamesBothShapes) {
  ModelConfig c = small_config();
  auto w = write_checkpoint(c, [](auto& t) {
    for (auto& x : t)
      if (x.name == "bert.encoder.layer.0.attention.in_linear.weight") x = extra(x.name, {24, 9});
  });
  const std::string m = bind_error(c, w->store);
  EXPECT_NE(m.find("'bert.encoder.layer.0.attention.in_linear.weight'"), std::string::npos) << m;
  EXPECT_NE(m.find("[24, 9]"), std::string::npos) << m;
  EXPECT_NE(m.find("expected [24, 8]"), std::string::npos) << m;
}

TEST(Binding, UnexpectedTensorIsAnError) {
  ModelConfig c = small_config();
  auto w = write_checkpoint(c, [](auto& t) { t.push_back(extra("bert.encoder.layer.0.attention.mystery", {3})); });
  const std::string m = bind_error(c, w->store);
  EXPECT_NE(m.find("unexpected"), std::string::npos) << m;
  EXPECT_NE(m.find("bert.encoder.layer.0.attention.mystery [3]"), std::string::npos) << m;
}

TEST(Binding, IgnorableTensorsAreSkippedAndListed) {
  ModelConfig c = small_config();  // a BertForTextEncoding (retrieval) config
  auto w = write_checkpoint(c, [](auto& t) {
    t.push_back(extra("bert.encoder.flashfft.f_16_fft", {16, 16}));
    t.push_back(extra("bert.encoder.layer.0.attention.filter_fn.flashfft.twiddle_factors_fft_16_256", {16, 8}));
    t.push_back(extra("cls.predictions.bias", {40}));
    t.push_back(extra("classifier.weight", {10, 8}));
    t.push_back(extra("classifier.bias", {10}));
  });
  ModelWeights mw = bind_weights(c, w->store);
  EXPECT_EQ(mw.skipped.size(), 6u);
  std::string all;
  for (const auto& s : mw.skipped) all += s + "\n";
  for (const char* n : {"flashfft.f_16_fft", "twiddle_factors_fft_16_256", "cls.predictions.bias", "classifier.weight",
                        "classifier.bias", "position_ids"})
    EXPECT_NE(all.find(n), std::string::npos) << n << " not in\n" << all;
  EXPECT_FALSE(mw.has_classifier());
}

TEST(Binding, SharedFreqCopiesMustAgree) {
  ModelConfig c = small_config();
  auto w = write_checkpoint(c, [](auto& t) {
    for (auto& x : t)
      if (x.name == "bert.encoder.layer.0.attention.filter_fn.implicit_filter_rev.3.freq") x = extra(x.name, {1, 4});
  });
  const std::string m = bind_error(c, w->store);
  EXPECT_NE(m.find("implicit_filter_rev.3.freq' differs"), std::string::npos) << m;
}

TEST(Binding, OtherFloatDtypesAreConverted) {
  ModelConfig c = small_config();
  const std::string name = "bert.pooler.dense.bias";
  auto w = write_checkpoint(c, [&](auto& t) {
    for (auto& x : t)
      if (x.name == name)
        x = {name, loader::DType::F64, {8}, [](std::span<std::byte> out) {
               for (int i = 0; i < 8; ++i) {
                 const double v = 0.25 * i - 1;
                 std::memcpy(out.data() + 8 * i, &v, 8);
               }
             }};
  });
  ModelWeights mw = bind_weights(c, w->store);
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(mw.pooler_b.data[i], 0.25f * i - 1);
}

TEST(Binding, ClassifierModelBindsItsHead) {
  ModelConfig c = small_config();
  c.auto_model_class.clear();
  c.num_labels = 3;
  auto w = write_checkpoint(c, [](auto&) {});
  ModelWeights mw = bind_weights(c, w->store);
  EXPECT_TRUE(mw.has_classifier());
  EXPECT_EQ(mw.classifier_w.shape, (std::vector<int64_t>{3, 8}));
}

// The expected key list for the released 80M-32k shapes equals the state dict of the original
// classes (tests/data/model/m2bert-80m-32k-state-dict.tsv, copied from docs/): names, order, shapes.
TEST(TensorSpecs, Match80M32kStateDict) {
  std::ifstream in(std::filesystem::path(M2VK_TEST_DATA) / "model/m2bert-80m-32k-state-dict.tsv");
  ASSERT_TRUE(in) << "missing tsv";
  std::vector<std::pair<std::string, std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string name, shape;
    std::getline(ls, name, '\t');
    std::getline(ls, shape, '\t');
    rows.emplace_back(name, shape);
  }
  const auto specs = expected_tensor_specs(demo_config(DemoShape::M80M32k));
  ASSERT_EQ(specs.size(), rows.size());
  ASSERT_EQ(rows.size(), 716u);
  for (size_t i = 0; i < specs.size(); ++i) {
    EXPECT_EQ(specs[i].name, rows[i].first) << i;
    EXPECT_EQ(shape_to_string(specs[i].shape), rows[i].second) << specs[i].name;
  }
}

}  // namespace
