// Inference of the configuration from checkpoint tensor shapes (when a model folder has no
// config.json) and the cross-check of a given config against the checkpoint. Each field records
// the tensor that determined it, so a contradiction names the field, the tensor and both values.
#include <algorithm>
#include <optional>
#include <set>
#include <sstream>

#include "m2vk/config.hpp"
#include "m2vk/loader/tensor_store.hpp"
#include "m2vk/tensor.hpp"

namespace m2vk {

namespace {

constexpr const char* kLayerPrefix = "bert.encoder.layer.";

const loader::Tensor* find(const loader::TensorStore& s, const std::string& name) { return s.find(name); }

// One determined field: its value and the tensor it came from.
struct Fact {
  std::string field;
  int64_t value;
  std::string tensor;
  std::vector<int64_t> shape;
  bool absent = false;  // the fact is that this tensor does not exist
};

// Layer indices present under bert.encoder.layer.{i}.
std::set<int64_t> layer_indices(const loader::TensorStore& s) {
  std::set<int64_t> out;
  const std::string p = kLayerPrefix;
  for (const auto& t : s.tensors()) {
    if (t.name.compare(0, p.size(), p) != 0) continue;
    size_t end = t.name.find('.', p.size());
    if (end == std::string::npos) continue;
    const std::string num = t.name.substr(p.size(), end - p.size());
    if (num.empty() || !std::all_of(num.begin(), num.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    out.insert(std::stoll(num));
  }
  return out;
}

std::string dim_error(const loader::Tensor& t, const std::string& expectation) {
  return "tensor '" + t.name + "' has shape " + shape_to_string(t.shape) + ", expected " + expectation;
}

// Everything the shapes determine (booleans as 0/1), in a fixed order.
std::vector<Fact> determine(const loader::TensorStore& s) {
  std::vector<Fact> facts;
  auto add = [&](const std::string& field, int64_t v, const loader::Tensor& t) {
    facts.push_back({field, v, t.name, t.shape});
  };
  auto presence = [&](const std::string& field, const std::string& name) {
    // A boolean decided by whether tensor `name` exists.
    const loader::Tensor* t = find(s, name);
    facts.push_back({field, t ? 1 : 0, name, t ? t->shape : std::vector<int64_t>{}, t == nullptr});
  };

  const loader::Tensor* word = find(s, "bert.embeddings.word_embeddings.weight");
  if (!word)
    throw ConfigError("checkpoint " + s.source().string() +
                      " has no tensor 'bert.embeddings.word_embeddings.weight': not an M2-BERT checkpoint");
  if (word->shape.size() != 2) throw ConfigError(dim_error(*word, "(vocab_size, hidden_size)"));
  add("vocab_size", word->shape[0], *word);
  add("hidden_size", word->shape[1], *word);
  if (auto* tt = find(s, "bert.embeddings.token_type_embeddings.weight"); tt && tt->shape.size() == 2)
    add("type_vocab_size", tt->shape[0], *tt);
  const loader::Tensor* pos = find(s, "bert.embeddings.position_embeddings.weight");
  presence("use_positional_encodings", "bert.embeddings.position_embeddings.weight");
  if (pos && pos->shape.size() == 2) add("max_position_embeddings", pos->shape[0], *pos);

  auto layers = layer_indices(s);
  if (layers.empty()) throw ConfigError("checkpoint " + s.source().string() + " has no 'bert.encoder.layer.{i}.*' tensors");
  const int64_t n_layers = *layers.rbegin() + 1;
  facts.push_back({"num_hidden_layers", n_layers, std::string(kLayerPrefix) + std::to_string(n_layers - 1) + ".*", {}});

  const std::string l0 = std::string(kLayerPrefix) + "0.";
  const std::string f1 = l0 + "attention.filter_fn.";
  if (auto* z = find(s, f1 + "pos_emb.z"); z && z->shape.size() == 3) {
    add("long_conv_l_max", z->shape[1], *z);
    add("hyena_emb_dim", z->shape[2], *z);
  } else {
    throw ConfigError("checkpoint " + s.source().string() + " has no '" + f1 +
                      "pos_emb.z' of shape (1, Lmax, E): not a Monarch Mixer (M2) checkpoint "
                      "(BERT attention models are not supported)");
  }
  if (auto* w0 = find(s, f1 + "implicit_filter.0.weight"); w0 && w0->shape.size() == 2)
    add("hyena_filter_order", w0->shape[0], *w0);
  presence("bidirectional", f1 + "implicit_filter_rev.0.weight");
  presence("residual_long_conv", l0 + "attention.filter_fn2.bias");

  const loader::Tensor* wo = find(s, l0 + "mlp.wo.weight");
  const loader::Tensor* gl = find(s, l0 + "mlp.gated_layers.weight");
  if (wo && gl) {
    int64_t inter = 0, gated_out = 0;
    if (wo->shape.size() == 3 && gl->shape.size() == 3) {  // block-diagonal (nb, out/nb, in/nb)
      facts.push_back({"use_monarch_mlp", 1, wo->name, wo->shape});
      add("monarch_mlp_nblocks", wo->shape[0], *wo);
      inter = wo->shape[0] * wo->shape[2];
      gated_out = gl->shape[0] * gl->shape[1];
    } else if (wo->shape.size() == 2 && gl->shape.size() == 2) {  // dense (out, in)
      facts.push_back({"use_monarch_mlp", 0, wo->name, wo->shape});
      inter = wo->shape[1];
      gated_out = gl->shape[0];
    } else {
      throw ConfigError(dim_error(*wo, "(nb, H/nb, I/nb) or (H, I) matching gated_layers " + shape_to_string(gl->shape)));
    }
    add("intermediate_size", inter, *wo);
    facts.push_back({"use_glu_mlp", gated_out == 2 * inter ? 1 : 0, gl->name, gl->shape});
  }
  if (auto* cls = find(s, "classifier.weight"); cls && cls->shape.size() == 2) add("num_labels", cls->shape[0], *cls);
  return facts;
}

int64_t config_value(const ModelConfig& c, const std::string& f) {
  if (f == "vocab_size") return c.vocab_size;
  if (f == "hidden_size") return c.hidden_size;
  if (f == "type_vocab_size") return c.type_vocab_size;
  if (f == "use_positional_encodings") return c.use_positional_encodings;
  if (f == "max_position_embeddings") return c.max_position_embeddings;
  if (f == "num_hidden_layers") return c.num_hidden_layers;
  if (f == "long_conv_l_max") return c.long_conv_l_max;
  if (f == "hyena_emb_dim") return c.hyena_emb_dim;
  if (f == "hyena_filter_order") return c.hyena_filter_order;
  if (f == "bidirectional") return c.bidirectional;
  if (f == "residual_long_conv") return c.residual_long_conv;
  if (f == "use_monarch_mlp") return c.use_monarch_mlp;
  if (f == "monarch_mlp_nblocks") return c.monarch_mlp_nblocks;
  if (f == "intermediate_size") return c.intermediate_size;
  if (f == "use_glu_mlp") return c.use_glu_mlp;
  if (f == "num_labels") return c.num_labels;
  throw std::logic_error("config_value: unknown field " + f);
}

void set_value(ModelConfig& c, const std::string& f, int64_t v) {
  if (f == "vocab_size") c.vocab_size = v;
  else if (f == "hidden_size") c.hidden_size = v;
  else if (f == "type_vocab_size") c.type_vocab_size = v;
  else if (f == "use_positional_encodings") c.use_positional_encodings = v != 0;
  else if (f == "max_position_embeddings") c.max_position_embeddings = v;
  else if (f == "num_hidden_layers") c.num_hidden_layers = v;
  else if (f == "long_conv_l_max") c.long_conv_l_max = v;
  else if (f == "hyena_emb_dim") c.hyena_emb_dim = v;
  else if (f == "hyena_filter_order") c.hyena_filter_order = v;
  else if (f == "bidirectional") c.bidirectional = v != 0;
  else if (f == "residual_long_conv") c.residual_long_conv = v != 0;
  else if (f == "use_monarch_mlp") c.use_monarch_mlp = v != 0;
  else if (f == "monarch_mlp_nblocks") c.monarch_mlp_nblocks = v;
  else if (f == "intermediate_size") c.intermediate_size = v;
  else if (f == "use_glu_mlp") c.use_glu_mlp = v != 0;
  else if (f == "num_labels") c.num_labels = v;
}

bool is_boolean_field(const std::string& f) {
  return f == "use_positional_encodings" || f == "bidirectional" || f == "residual_long_conv" ||
         f == "use_monarch_mlp" || f == "use_glu_mlp";
}

std::string value_text(const std::string& f, int64_t v) {
  if (is_boolean_field(f)) return v ? "true" : "false";
  return std::to_string(v);
}

}  // namespace

std::string shape_to_string(const std::vector<int64_t>& shape) {
  std::ostringstream o;
  o << '[';
  for (size_t i = 0; i < shape.size(); ++i) o << (i ? ", " : "") << shape[i];
  o << ']';
  return o.str();
}

InferredConfig infer_config(const loader::TensorStore& store) {
  InferredConfig r;
  r.config.source = "inferred from " + store.source().string();
  std::set<std::string> determined;
  for (const Fact& f : determine(store)) {
    set_value(r.config, f.field, f.value);
    r.evidence[f.field] = f.tensor;
    determined.insert(f.field);
  }
  // Without position embeddings the Hyena tables bound the length.
  if (!r.config.use_positional_encodings) r.config.max_position_embeddings = r.config.long_conv_l_max;
  // Fields no shape determines keep their defaults; the released models use these values.
  r.config.layer_norm_eps = 1e-12;
  r.config.hyena_w_mod = 1.0;
  r.assumed = {"layer_norm_eps=1e-12", "hyena_w_mod=1", "pool_all=false", "pad_token_id=0"};
  for (const char* f : {"type_vocab_size", "hyena_filter_order", "intermediate_size", "use_glu_mlp", "use_monarch_mlp"})
    if (!determined.count(f)) r.assumed.push_back(std::string(f) + "=" + value_text(f, config_value(r.config, f)));
  return r;
}

void check_config_against_checkpoint(const ModelConfig& config, const loader::TensorStore& store) {
  for (const Fact& f : determine(store)) {
    // Sizes that only exist when their feature is on are compared only then.
    if (f.field == "max_position_embeddings" && !config.use_positional_encodings) continue;
    if (f.field == "monarch_mlp_nblocks" && !config.use_monarch_mlp) continue;
    // A classifier the config does not ask for is checked by the weight binding (it may be unused).
    if (f.field == "num_labels" && (config.num_labels == 0 || config.is_text_encoder())) continue;
    const int64_t want = config_value(config, f.field);
    if (want == f.value) continue;
    std::string msg = config.source + ": field '" + f.field + "' = " + value_text(f.field, want) +
                      " contradicts the checkpoint: tensor '" + f.tensor + "'";
    if (f.absent) msg += " is absent, which";
    else if (!f.shape.empty()) msg += " (shape " + shape_to_string(f.shape) + ")";
    msg += " implies " + value_text(f.field, f.value);
    throw ConfigError(msg);
  }
}

}  // namespace m2vk
