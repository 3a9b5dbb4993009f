// M2-BERT model configuration: every field of the Hugging Face config.json that changes the
// computation (docs/m2bert-architecture.md section 2), with the defaults of the original
// configuration_bert.py / transformers BertConfig. Also the inference of those fields from the
// tensor shapes of a checkpoint when no config.json exists, and the cross-check of a config
// against a checkpoint.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace m2vk {

namespace loader {
class TensorStore;
}

// A config.json that cannot be used, or one that contradicts the checkpoint.
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ModelConfig {
  // Shapes.
  int64_t hidden_size = 768;               // H
  int64_t num_hidden_layers = 12;          // N
  int64_t intermediate_size = 3072;        // I
  int64_t vocab_size = 30522;              // V (released models: 30528)
  int64_t type_vocab_size = 2;
  int64_t max_position_embeddings = 512;   // P: rows of the learned position table
  int64_t long_conv_l_max = 512;           // Lmax: rows of the Hyena z/t tables (absent: = P)
  bool use_positional_encodings = false;   // learned absolute positions added to the embeddings

  // Hyena implicit filters.
  int64_t hyena_emb_dim = 3;               // E (odd, >= 3): columns of pos_emb.z
  int64_t hyena_filter_order = 64;         // O: width of the filter MLP
  double hyena_w_mod = 1.0;                // multiplier inside every Sin activation
  double hyena_w = 1.0;                    // initial Sin frequency only (demo weights use it)
  bool bidirectional = true;               // reverse filter: non-causal long convolution
  bool residual_long_conv = false;         // second filter (filter_fn2) on the layer input

  // MLP.
  bool use_glu_mlp = true;
  bool use_monarch_mlp = false;
  int64_t monarch_mlp_nblocks = 4;

  // Heads and normalisation.
  bool pool_all = false;                   // pooler input: masked mean (true) or token 0
  double layer_norm_eps = 1e-12;
  int64_t pad_token_id = 0;
  int64_t num_labels = 0;                  // 0: no classification head expected
  std::map<int64_t, std::string> id2label; // empty: labels are "LABEL_<i>"

  // Switches this implementation checks but does not implement.
  bool hyena_training_additions = false;       // must be false (see validate())
  bool monarch_mixer_sequence_mixing = true;   // absent from released configs: true

  // Provenance.
  std::vector<std::string> architectures;  // e.g. "BertForSequenceClassification"
  std::string auto_model_class;            // auto_map.AutoModelForSequenceClassification, if any
  bool random_weights = false;             // "m2vk_random_weights": written by `m2vk demo-model`
  std::string source;                      // where the values came from (file, or "inferred")

  // True for BertForTextEncoding (retrieval) models: their output is the sentence embedding and a
  // classifier.* pair in the checkpoint is unused.
  bool is_text_encoder() const;
  // The label for class i (id2label, else "LABEL_<i>").
  std::string label(int64_t i) const;

  // Throws ConfigError naming the first field whose value this implementation cannot run
  // (non-positive sizes, even hyena_emb_dim, indivisible monarch blocks, BERT attention, ...).
  void validate() const;
};

// Parses config.json text / file. Unknown fields are ignored; wrong JSON types are errors naming the
// field. Does not validate (call validate()).
ModelConfig parse_config_json(const std::string& json_text, const std::string& source_name);
ModelConfig load_config_file(const std::filesystem::path& config_json);

// What the checkpoint's tensor shapes say about the configuration.
struct InferredConfig {
  ModelConfig config;
  std::vector<std::string> assumed;  // fields no tensor determines, left at their defaults
  // For each determined field: the tensor that determined it (for contradiction messages).
  std::map<std::string, std::string> evidence;
};
InferredConfig infer_config(const loader::TensorStore& store);

// Throws ConfigError "config.json field 'X' = a contradicts tensor 'T' (shape [...]): it implies b"
// for the first field the checkpoint contradicts.
void check_config_against_checkpoint(const ModelConfig& config, const loader::TensorStore& store);

}  // namespace m2vk
