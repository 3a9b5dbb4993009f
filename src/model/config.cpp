// config.json parsing and validation. Field list and defaults: docs/m2bert-architecture.md
// section 2 and the original configuration_bert.py (defaults of transformers' BertConfig for the
// inherited fields).
#include "m2vk/config.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace m2vk {

namespace {

using nlohmann::json;

// Reads obj[key] into out if present and not null; a wrong type names the field.
template <typename T>
void read_field(const json& obj, const char* key, T& out, const std::string& source) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return;
  try {
    if constexpr (std::is_same_v<T, bool>) {
      if (!it->is_boolean()) throw std::runtime_error("expected true/false");
      out = it->get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
      if (!it->is_number_integer() && !it->is_number_unsigned()) throw std::runtime_error("expected an integer");
      out = it->get<T>();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!it->is_number()) throw std::runtime_error("expected a number");
      out = it->get<T>();
    } else {
      if (!it->is_string()) throw std::runtime_error("expected a string");
      out = it->get<T>();
    }
  } catch (const std::exception& e) {
    throw ConfigError(source + ": field '" + key + "' = " + it->dump() + ": " + e.what());
  }
}

}  // namespace

bool ModelConfig::is_text_encoder() const {
  return auto_model_class.find("BertForTextEncoding") != std::string::npos;
}

std::string ModelConfig::label(int64_t i) const {
  auto it = id2label.find(i);
  return it != id2label.end() ? it->second : "LABEL_" + std::to_string(i);
}

void ModelConfig::validate() const {
  auto fail = [&](const std::string& field, const std::string& value, const std::string& why) {
    throw ConfigError(source + ": field '" + field + "' = " + value + ": " + why);
  };
  if (!monarch_mixer_sequence_mixing)
    fail("monarch_mixer_sequence_mixing", "false",
         "BERT attention models are not supported (m2vk runs the Monarch Mixer sequence mixer only)");
  if (hyena_training_additions)
    fail("hyena_training_additions", "true", "the extra mixer LayerNorm of training additions is not supported");
  auto positive = [&](const char* field, int64_t v) {
    if (v <= 0) fail(field, std::to_string(v), "must be positive");
  };
  positive("hidden_size", hidden_size);
  positive("num_hidden_layers", num_hidden_layers);
  positive("intermediate_size", intermediate_size);
  positive("vocab_size", vocab_size);
  positive("type_vocab_size", type_vocab_size);
  positive("max_position_embeddings", max_position_embeddings);
  positive("long_conv_l_max", long_conv_l_max);
  positive("hyena_filter_order", hyena_filter_order);
  if (hyena_emb_dim < 3 || hyena_emb_dim % 2 == 0)
    fail("hyena_emb_dim", std::to_string(hyena_emb_dim), "must be odd and >= 3");
  if (use_monarch_mlp) {
    positive("monarch_mlp_nblocks", monarch_mlp_nblocks);
    const int64_t glu_out = (use_glu_mlp ? 2 : 1) * intermediate_size;
    if (hidden_size % monarch_mlp_nblocks != 0 || intermediate_size % monarch_mlp_nblocks != 0 ||
        glu_out % monarch_mlp_nblocks != 0)
      fail("monarch_mlp_nblocks", std::to_string(monarch_mlp_nblocks),
           "must divide hidden_size (" + std::to_string(hidden_size) + ") and intermediate_size (" +
               std::to_string(intermediate_size) + ")");
  }
  if (num_labels < 0) fail("num_labels", std::to_string(num_labels), "must be >= 0");
  if (!(layer_norm_eps >= 0)) fail("layer_norm_eps", std::to_string(layer_norm_eps), "must be >= 0");
}

ModelConfig parse_config_json(const std::string& json_text, const std::string& source_name) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw ConfigError(source_name + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw ConfigError(source_name + ": expected a JSON object at the top level");

  ModelConfig c;
  c.source = source_name;
  const std::string& s = source_name;
  read_field(j, "hidden_size", c.hidden_size, s);
  read_field(j, "num_hidden_layers", c.num_hidden_layers, s);
  read_field(j, "intermediate_size", c.intermediate_size, s);
  read_field(j, "vocab_size", c.vocab_size, s);
  read_field(j, "type_vocab_size", c.type_vocab_size, s);
  read_field(j, "max_position_embeddings", c.max_position_embeddings, s);
  // The Hyena tables default to the position-table length when the field is absent.
  c.long_conv_l_max = c.max_position_embeddings;
  read_field(j, "long_conv_l_max", c.long_conv_l_max, s);
  read_field(j, "use_positional_encodings", c.use_positional_encodings, s);
  read_field(j, "hyena_emb_dim", c.hyena_emb_dim, s);
  read_field(j, "hyena_filter_order", c.hyena_filter_order, s);
  read_field(j, "hyena_w_mod", c.hyena_w_mod, s);
  read_field(j, "hyena_w", c.hyena_w, s);
  read_field(j, "bidirectional", c.bidirectional, s);
  read_field(j, "residual_long_conv", c.residual_long_conv, s);
  read_field(j, "use_glu_mlp", c.use_glu_mlp, s);
  read_field(j, "use_monarch_mlp", c.use_monarch_mlp, s);
  read_field(j, "monarch_mlp_nblocks", c.monarch_mlp_nblocks, s);
  read_field(j, "pool_all", c.pool_all, s);
  read_field(j, "layer_norm_eps", c.layer_norm_eps, s);
  read_field(j, "pad_token_id", c.pad_token_id, s);
  read_field(j, "hyena_training_additions", c.hyena_training_additions, s);
  // Absent from the released config.json files, whose checkpoints are M2 models: absent = true.
  read_field(j, "monarch_mixer_sequence_mixing", c.monarch_mixer_sequence_mixing, s);
  read_field(j, "m2vk_random_weights", c.random_weights, s);

  if (auto it = j.find("id2label"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) throw ConfigError(s + ": field 'id2label' must be an object {\"0\": \"name\", ...}");
    for (const auto& [k, v] : it->items()) {
      int64_t id = 0;
      try {
        size_t used = 0;
        id = std::stoll(k, &used);
        if (used != k.size()) throw std::invalid_argument("trailing characters");
      } catch (const std::exception&) {
        throw ConfigError(s + ": field 'id2label' has a non-integer key '" + k + "'");
      }
      if (!v.is_string()) throw ConfigError(s + ": field 'id2label' entry '" + k + "' is not a string");
      c.id2label[id] = v.get<std::string>();
    }
  }
  // HF writes num_labels implicitly through id2label; an explicit field wins.
  c.num_labels = static_cast<int64_t>(c.id2label.size());
  read_field(j, "num_labels", c.num_labels, s);

  if (auto it = j.find("architectures"); it != j.end() && it->is_array())
    for (const auto& a : *it)
      if (a.is_string()) c.architectures.push_back(a.get<std::string>());
  if (auto it = j.find("auto_map"); it != j.end() && it->is_object()) {
    auto cls = it->find("AutoModelForSequenceClassification");
    if (cls != it->end() && cls->is_string()) c.auto_model_class = cls->get<std::string>();
  }
  return c;
}

ModelConfig load_config_file(const std::filesystem::path& config_json) {
  std::ifstream in(config_json, std::ios::binary);
  if (!in) throw ConfigError("cannot open config file " + config_json.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config_json(ss.str(), config_json.string());
}

}  // namespace m2vk
