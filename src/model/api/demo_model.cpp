// Demo (random-weight) model folders. Values are generated tensor by tensor from a SplitMix64
// stream keyed by (seed, FNV-1a of the name), so peak memory stays near the largest tensor and a
// tensor's values do not depend on which other tensors exist.
#include "m2vk/demo_model.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <numbers>
#include <stdexcept>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "m2vk/loader/safetensors.hpp"
#include "m2vk/tokenizer.hpp"

namespace m2vk {

namespace fs = std::filesystem;

namespace {

class Rng {
 public:
  explicit Rng(uint64_t s) : state_(s) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double symmetric(double a) { return (2 * uniform() - 1) * a; }              // U(-a, a)
  double normal(double sd) {
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return sd * std::sqrt(-2 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
  }

 private:
  uint64_t state_;
};

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void write_text_atomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot create " + tmp.string());
    out << text;
    out.close();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw std::runtime_error("cannot write " + tmp.string());
    }
  }
  fs::rename(tmp, path);
}

}  // namespace

DemoShape parse_demo_shape(std::string_view name) {
  if (name == "tiny") return DemoShape::Tiny;
  if (name == "80m-32k") return DemoShape::M80M32k;
  throw std::invalid_argument("demo shape '" + std::string(name) + "': expected tiny or 80m-32k");
}

ModelConfig demo_config(DemoShape shape, std::optional<int64_t> l_max) {
  ModelConfig c;
  c.vocab_size = 30528;
  c.type_vocab_size = 2;
  c.use_positional_encodings = true;
  c.bidirectional = true;
  c.residual_long_conv = true;
  c.use_glu_mlp = true;
  c.use_monarch_mlp = true;
  c.monarch_mlp_nblocks = 4;
  c.hyena_w = 10;
  c.hyena_w_mod = 1;
  c.pool_all = false;
  c.architectures = {"BertForSequenceClassification"};
  c.auto_model_class = "bert_layers.BertForTextEncoding";
  c.random_weights = true;
  if (shape == DemoShape::Tiny) {
    c.hidden_size = 32;
    c.num_hidden_layers = 2;
    c.intermediate_size = 64;
    c.max_position_embeddings = c.long_conv_l_max = 512;
    c.hyena_emb_dim = 5;
    c.hyena_filter_order = 16;
  } else {
    c.hidden_size = 768;
    c.num_hidden_layers = 12;
    c.intermediate_size = 3072;
    c.max_position_embeddings = c.long_conv_l_max = 32768;
    c.hyena_emb_dim = 5;
    c.hyena_filter_order = 128;
  }
  if (l_max) c.max_position_embeddings = c.long_conv_l_max = *l_max;
  c.source = "demo-model";
  return c;
}

std::string config_to_json(const ModelConfig& c) {
  nlohmann::ordered_json j;
  j["_name_or_path"] = "m2vk-demo";
  j["m2vk_random_weights"] = c.random_weights;
  if (c.random_weights)
    j["m2vk_note"] = "Random weights written by `m2vk demo-model`: outputs have the right shapes and no meaning.";
  j["architectures"] = c.architectures;
  if (!c.auto_model_class.empty())
    j["auto_map"] = {{"AutoConfig", "configuration_bert.BertConfig"},
                     {"AutoModel", "bert_layers.BertModel"},
                     {"AutoModelForSequenceClassification", c.auto_model_class}};
  j["model_type"] = "m2_bert";
  j["hidden_size"] = c.hidden_size;
  j["num_hidden_layers"] = c.num_hidden_layers;
  j["intermediate_size"] = c.intermediate_size;
  j["vocab_size"] = c.vocab_size;
  j["type_vocab_size"] = c.type_vocab_size;
  j["max_position_embeddings"] = c.max_position_embeddings;
  j["long_conv_l_max"] = c.long_conv_l_max;
  j["use_positional_encodings"] = c.use_positional_encodings;
  j["hyena_emb_dim"] = c.hyena_emb_dim;
  j["hyena_filter_order"] = c.hyena_filter_order;
  j["hyena_w"] = c.hyena_w;
  j["hyena_w_mod"] = c.hyena_w_mod;
  j["bidirectional"] = c.bidirectional;
  j["residual_long_conv"] = c.residual_long_conv;
  j["use_glu_mlp"] = c.use_glu_mlp;
  j["use_monarch_mlp"] = c.use_monarch_mlp;
  j["monarch_mlp_nblocks"] = c.monarch_mlp_nblocks;
  j["pool_all"] = c.pool_all;
  j["layer_norm_eps"] = c.layer_norm_eps;
  j["pad_token_id"] = c.pad_token_id;
  j["hyena_training_additions"] = c.hyena_training_additions;
  j["monarch_mixer_sequence_mixing"] = c.monarch_mixer_sequence_mixing;
  if (c.num_labels > 0) {
    j["num_labels"] = c.num_labels;
    nlohmann::ordered_json labels;
    for (int64_t i = 0; i < c.num_labels; ++i) labels[std::to_string(i)] = c.label(i);
    j["id2label"] = labels;
  }
  return j.dump(2) + "\n";
}

void fill_demo_tensor(const ModelConfig& c, const TensorSpec& spec, uint64_t seed, std::span<std::byte> out) {
  const int64_t n = FloatTensor::numel_of(spec.shape);
  if (spec.dtype == "I64") {  // position_ids: 0..P-1
    if (out.size() != static_cast<size_t>(n) * 8) throw std::logic_error("fill_demo_tensor: size of " + spec.name);
    for (int64_t i = 0; i < n; ++i) std::memcpy(out.data() + i * 8, &i, 8);
    return;
  }
  if (out.size() != static_cast<size_t>(n) * 4) throw std::logic_error("fill_demo_tensor: size of " + spec.name);
  std::vector<float> v(static_cast<size_t>(n));
  Rng rng(seed ^ fnv1a(spec.name));
  const std::string& name = spec.name;
  const int64_t last = spec.shape.empty() ? 1 : spec.shape.back();
  if (ends_with(name, "pos_emb.t")) {
    const int64_t L = spec.shape[1];
    for (int64_t i = 0; i < L; ++i) v[i] = L > 1 ? static_cast<float>(static_cast<double>(i) / (L - 1)) : 0.0f;
  } else if (ends_with(name, "pos_emb.z")) {
    // [t, cos(f w), -sin(f w)] with f = linspace(1e-4, bands-1, bands), w = 2 pi i / Lmax.
    const int64_t L = spec.shape[1], E = spec.shape[2], bands = (E - 1) / 2;
    for (int64_t i = 0; i < L; ++i) {
      float* row = v.data() + i * E;
      row[0] = L > 1 ? static_cast<float>(static_cast<double>(i) / (L - 1)) : 0.0f;
      const double w = 2 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(L);
      for (int64_t k = 0; k < bands; ++k) {
        const double f = bands == 1 ? 1e-4 : 1e-4 + (bands - 1 - 1e-4) * static_cast<double>(k) / (bands - 1);
        row[1 + k] = static_cast<float>(std::cos(f * w));
        row[1 + bands + k] = static_cast<float>(-std::sin(f * w));
      }
    }
  } else if (ends_with(name, "modulation.deltas")) {
    const double lo = std::log(0.01) / 1.5, hi = std::log(0.01) / 0.3;
    for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(n > 1 ? lo + (hi - lo) * static_cast<double>(i) / (n - 1) : lo);
  } else if (ends_with(name, ".freq")) {
    for (auto& x : v) x = static_cast<float>(c.hyena_w);
  } else if (ends_with(name, "LayerNorm.weight") || ends_with(name, "layernorm.weight")) {
    for (auto& x : v) x = static_cast<float>(1.0 + rng.normal(0.02));
  } else if (name.find("embeddings.") != std::string::npos) {
    for (auto& x : v) x = static_cast<float>(rng.normal(0.02));
    if (ends_with(name, "word_embeddings.weight") && c.pad_token_id < spec.shape[0])
      std::fill_n(v.begin() + c.pad_token_id * last, last, 0.0f);
  } else if (ends_with(name, "filter_fn.bias") || ends_with(name, "filter_fn2.bias")) {
    for (auto& x : v) x = static_cast<float>(rng.normal(1.0));  // D, randn in the original
  } else if (ends_with(name, ".bias")) {
    for (auto& x : v) x = static_cast<float>(rng.normal(0.02));
  } else {  // linear / conv weights: PyTorch's default U(+-1/sqrt(fan_in))
    const double bound = 1.0 / std::sqrt(static_cast<double>(last));
    for (auto& x : v) x = static_cast<float>(rng.symmetric(bound));
  }
  std::memcpy(out.data(), v.data(), out.size());
}

void write_demo_model(const fs::path& dir, const ModelConfig& config, uint64_t seed,
                      const std::function<void(size_t, size_t)>& progress) {
  config.validate();
  fs::create_directories(dir);
  const std::vector<TensorSpec> specs = expected_tensor_specs(config);
  std::vector<loader::TensorToWrite> tensors;
  for (const TensorSpec& s : specs) {
    const TensorSpec* sp = &s;
    tensors.push_back({s.name, s.dtype == "I64" ? loader::DType::I64 : loader::DType::F32, s.shape,
                       [&config, sp, seed](std::span<std::byte> out) { fill_demo_tensor(config, *sp, seed, out); }});
  }
  loader::write_safetensors(dir / "model.safetensors", tensors,
                            {{"format", "pt"}, {"m2vk_random_weights", "true"}, {"seed", std::to_string(seed)}},
                            [&](size_t done, uint64_t) {
                              if (progress) progress(done, specs.size());
                            });
  const tok::WordPieceTokenizer tk = tok::WordPieceTokenizer::builtin_bert_base_uncased();
  if (static_cast<int64_t>(tk.vocab_size()) <= config.vocab_size) {
    std::string vocab;
    for (size_t i = 0; i < tk.vocab_size(); ++i) vocab += tk.id_to_token(static_cast<int32_t>(i)) + "\n";
    write_text_atomically(dir / "vocab.txt", vocab);
  }
  write_text_atomically(dir / "config.json", config_to_json(config));
}

}  // namespace m2vk
