// Config parsing (defaults, types, the M2 flag), inference from checkpoint shapes against the
// golden configs, and the contradiction message.
#include <gtest/gtest.h>

#include "m2vk/config.hpp"
#include "m2vk/loader/tensor_store.hpp"
#include "test_util.hpp"

namespace {

using namespace m2vk;

TEST(Config, EmptyObjectGivesOriginalDefaults) {
  ModelConfig c = parse_config_json("{}", "mem");
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_EQ(c.num_hidden_layers, 12);
  EXPECT_EQ(c.intermediate_size, 3072);
  EXPECT_EQ(c.vocab_size, 30522);
  EXPECT_EQ(c.max_position_embeddings, 512);
  EXPECT_EQ(c.long_conv_l_max, 512);  // absent: follows max_position_embeddings
  EXPECT_FALSE(c.use_positional_encodings);
  EXPECT_TRUE(c.bidirectional);
  EXPECT_FALSE(c.residual_long_conv);
  EXPECT_TRUE(c.use_glu_mlp);
  EXPECT_FALSE(c.use_monarch_mlp);
  EXPECT_EQ(c.monarch_mlp_nblocks, 4);
  EXPECT_EQ(c.hyena_filter_order, 64);
  EXPECT_DOUBLE_EQ(c.hyena_w_mod, 1.0);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-12);
  EXPECT_FALSE(c.pool_all);
  EXPECT_TRUE(c.monarch_mixer_sequence_mixing);  // absent in released configs = M2 mixer
  EXPECT_EQ(c.num_labels, 0);
  EXPECT_NO_THROW(c.validate());
}

TEST(Config, ReadsEveryGoldenField) {
  ModelConfig c = load_config_file(test::golden_dir("tiny-classifier") / "config.json");
  EXPECT_EQ(c.hidden_size, 96);
  EXPECT_EQ(c.num_hidden_layers, 3);
  EXPECT_EQ(c.intermediate_size, 192);
  EXPECT_EQ(c.vocab_size, 1000);
  EXPECT_EQ(c.long_conv_l_max, 192);
  EXPECT_EQ(c.hyena_emb_dim, 7);
  EXPECT_EQ(c.hyena_filter_order, 24);
  EXPECT_TRUE(c.use_monarch_mlp);
  EXPECT_TRUE(c.pool_all);
  EXPECT_TRUE(c.residual_long_conv);
  EXPECT_EQ(c.num_labels, 3);
  EXPECT_EQ(c.label(2), "LABEL_2");
  EXPECT_FALSE(c.is_text_encoder());
  EXPECT_TRUE(load_config_file(test::golden_dir("tiny-retrieval") / "config.json").is_text_encoder());
}

TEST(Config, BertAttentionModelIsAClearError) {
  ModelConfig c = parse_config_json(R"({"monarch_mixer_sequence_mixing": false})", "cfg.json");
  try {
    c.validate();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("BERT attention models are not supported"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cfg.json"), std::string::npos);
  }
}

TEST(Config, WrongTypesAndBadValuesNameTheField) {
  try {
    parse_config_json(R"({"hidden_size": "big"})", "cfg.json");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'hidden_size'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_config_json("[1, 2]", "x"), ConfigError);
  EXPECT_THROW(parse_config_json("{not json", "x"), ConfigError);
  EXPECT_THROW(parse_config_json(R"({"hyena_emb_dim": 4})", "x").validate(), ConfigError);
  EXPECT_THROW(parse_config_json(R"({"use_monarch_mlp": true, "monarch_mlp_nblocks": 5})", "x").validate(),
               ConfigError);
  EXPECT_THROW(parse_config_json(R"({"hyena_training_additions": true})", "x").validate(), ConfigError);
}

// Every field the shapes determine must equal the golden config.json value.
void expect_inferred_matches(const std::string& set) {
  const auto dir = test::golden_dir(set);
  ModelConfig want = load_config_file(dir / "config.json");
  loader::LoadOptions lo;
  lo.use_cache = false;
  loader::TensorStore store = loader::load_checkpoint(dir / "checkpoint", lo);
  InferredConfig got = infer_config(store);
  const ModelConfig& c = got.config;
  EXPECT_EQ(c.hidden_size, want.hidden_size) << set;
  EXPECT_EQ(c.num_hidden_layers, want.num_hidden_layers) << set;
  EXPECT_EQ(c.intermediate_size, want.intermediate_size) << set;
  EXPECT_EQ(c.vocab_size, want.vocab_size) << set;
  EXPECT_EQ(c.type_vocab_size, want.type_vocab_size) << set;
  EXPECT_EQ(c.max_position_embeddings, want.max_position_embeddings) << set;
  EXPECT_EQ(c.long_conv_l_max, want.long_conv_l_max) << set;
  EXPECT_EQ(c.use_positional_encodings, want.use_positional_encodings) << set;
  EXPECT_EQ(c.hyena_emb_dim, want.hyena_emb_dim) << set;
  EXPECT_EQ(c.hyena_filter_order, want.hyena_filter_order) << set;
  EXPECT_EQ(c.bidirectional, want.bidirectional) << set;
  EXPECT_EQ(c.residual_long_conv, want.residual_long_conv) << set;
  EXPECT_EQ(c.use_glu_mlp, want.use_glu_mlp) << set;
  EXPECT_EQ(c.use_monarch_mlp, want.use_monarch_mlp) << set;
  if (want.use_monarch_mlp) {
    EXPECT_EQ(c.monarch_mlp_nblocks, want.monarch_mlp_nblocks) << set;
  }
  EXPECT_EQ(c.num_labels, want.num_labels) << set;
  EXPECT_FALSE(got.assumed.empty());  // pool_all etc. cannot be seen in shapes
  EXPECT_NO_THROW(check_config_against_checkpoint(want, store)) << set;
}

TEST(ConfigInference, MatchesGoldenConfigs) {
  expect_inferred_matches("tiny-retrieval");
  expect_inferred_matches("tiny-unidirectional");
  expect_inferred_matches("tiny-classifier");
}

TEST(ConfigInference, ContradictionNamesFieldTensorAndBothValues) {
  const auto dir = test::golden_dir("tiny-unidirectional");
  ModelConfig c = load_config_file(dir / "config.json");
  loader::LoadOptions lo;
  lo.use_cache = false;
  loader::TensorStore store = loader::load_checkpoint(dir / "checkpoint", lo);
  c.hidden_size = 64;
  try {
    check_config_against_checkpoint(c, store);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'hidden_size' = 64"), std::string::npos) << m;
    EXPECT_NE(m.find("bert.embeddings.word_embeddings.weight"), std::string::npos) << m;
    EXPECT_NE(m.find("implies 48"), std::string::npos) << m;
  }
  c = load_config_file(dir / "config.json");
  c.bidirectional = true;  // the checkpoint has no implicit_filter_rev
  try {
    check_config_against_checkpoint(c, store);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'bidirectional' = true"), std::string::npos) << m;
    EXPECT_NE(m.find("implicit_filter_rev.0.weight' is absent"), std::string::npos) << m;
  }
}

}  // namespace
