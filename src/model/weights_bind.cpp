// Strict binding of checkpoint tensors to the named weight structs (bert.cpp-style): the expected
// list comes from expected_tensor_specs(); everything else must match a skip rule.
#include <algorithm>
#include <cstring>
#include <set>

#include "m2vk/loader/tensor_store.hpp"
#include "m2vk/weights.hpp"

namespace m2vk {

namespace {

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// Why a checkpoint tensor that the forward pass does not use may be skipped; empty: it may not.
std::string skip_rule(const std::string& name, const ModelConfig& c) {
  if (name.find("flashfft") != std::string::npos) return "FlashFFTConv buffer, unused by the forward pass";
  if (name == "bert.embeddings.position_ids") return "buffer holding 0..P-1, recomputed";
  if (name == "bert.embeddings.token_type_ids") return "buffer of zeros, recomputed";
  if (starts_with(name, "cls.")) return "masked-LM head, unused by the encoder";
  if (starts_with(name, "classifier.") && (c.is_text_encoder() || c.num_labels == 0))
    return c.is_text_encoder() ? "classifier unused by a retrieval (BertForTextEncoding) model"
                               : "classifier unused: the config declares no labels";
  return {};
}

bool is_float_dtype(loader::DType d) {
  return d == loader::DType::F32 || d == loader::DType::F16 || d == loader::DType::BF16 || d == loader::DType::F64;
}

class Binder {
 public:
  Binder(const ModelConfig& c, const loader::TensorStore& s) : config_(c), store_(s) {
    for (const auto& spec : expected_tensor_specs(c)) shapes_[spec.name] = spec.shape;
  }

  // The tensor `name` converted to float32 with the expected shape, reshaped to `as_shape` (same
  // element count; drops the leading 1s of buffers like pos_emb.z).
  FloatTensor take(const std::string& name, std::vector<int64_t> as_shape = {}) {
    const loader::Tensor* t = store_.find(name);
    auto it = shapes_.find(name);
    if (it == shapes_.end()) throw std::logic_error("Binder::take: no spec for " + name);
    if (!t)
      throw WeightError("checkpoint " + store_.source().string() + " is missing tensor '" + name + "' (expected shape " +
                        shape_to_string(it->second) + " for " + config_.source + ")");
    if (t->shape != it->second)
      throw WeightError("tensor '" + name + "' in " + store_.source().string() + " has shape " + shape_to_string(t->shape) +
                        ", expected " + shape_to_string(it->second));
    if (!is_float_dtype(t->dtype))
      throw WeightError("tensor '" + name + "' in " + store_.source().string() + " has a non-float dtype");
    used_.insert(name);
    if (as_shape.empty()) as_shape = t->shape;
    return FloatTensor(std::move(as_shape), loader::to_float32(*t));
  }

  bool has(const std::string& name) const { return store_.find(name) != nullptr; }

  // The Sin frequency of one Hyena filter: one module's parameter listed under six keys. Every
  // listed copy must hold the same values.
  FloatTensor take_freq(const std::string& filter_prefix) {
    const int64_t O = config_.hyena_filter_order;
    FloatTensor head = take(filter_prefix + "implicit_filter.1.freq", {O});
    std::vector<std::string> copies;
    for (const char* mlp : {"implicit_filter.", "implicit_filter_rev."}) {
      if (std::string(mlp) == "implicit_filter_rev." && !config_.bidirectional) break;
      for (const char* slot : {"1", "3", "5"}) copies.push_back(filter_prefix + mlp + slot + ".freq");
    }
    for (const auto& name : copies) {
      if (name == filter_prefix + "implicit_filter.1.freq") continue;
      FloatTensor other = take(name, {O});
      if (std::memcmp(other.ptr(), head.ptr(), head.data.size() * sizeof(float)) != 0)
        throw WeightError("tensor '" + name + "' differs from '" + filter_prefix +
                          "implicit_filter.1.freq': the original model shares one Sin frequency between them");
    }
    return head;
  }

  void finish(ModelWeights& w) {
    std::vector<std::string> unexpected;
    for (const auto& t : store_.tensors()) {
      if (used_.count(t.name)) continue;
      std::string rule = skip_rule(t.name, config_);
      if (rule.empty())
        unexpected.push_back(t.name + " " + shape_to_string(t.shape));
      else
        w.skipped.push_back(t.name + " (" + rule + ")");
    }
    if (!unexpected.empty()) {
      std::string msg = "checkpoint " + store_.source().string() + " has " + std::to_string(unexpected.size()) +
                        " unexpected tensor(s) for " + config_.source + ": ";
      for (size_t i = 0; i < unexpected.size() && i < 8; ++i) msg += (i ? ", " : "") + unexpected[i];
      if (unexpected.size() > 8) msg += ", ...";
      throw WeightError(msg);
    }
  }

 private:
  const ModelConfig& config_;
  const loader::TensorStore& store_;
  std::map<std::string, std::vector<int64_t>> shapes_;
  std::set<std::string> used_;
};

FilterMlpWeights bind_filter_mlp(Binder& b, const std::string& p) {
  FilterMlpWeights m;
  m.w0 = b.take(p + "0.weight");
  m.b0 = b.take(p + "0.bias");
  m.w2 = b.take(p + "2.weight");
  m.b2 = b.take(p + "2.bias");
  m.w4 = b.take(p + "4.weight");
  m.b4 = b.take(p + "4.bias");
  m.w6 = b.take(p + "6.weight");
  return m;
}

HyenaFilterWeights bind_filter(Binder& b, const std::string& p, const ModelConfig& c) {
  HyenaFilterWeights f;
  f.bias = b.take(p + "bias");
  f.z = b.take(p + "pos_emb.z", {c.long_conv_l_max, c.hyena_emb_dim});
  f.t = b.take(p + "pos_emb.t", {c.long_conv_l_max});
  f.deltas = b.take(p + "modulation.deltas", {c.hidden_size});
  f.freq = b.take_freq(p);
  f.fwd = bind_filter_mlp(b, p + "implicit_filter.");
  if (c.bidirectional) f.rev = bind_filter_mlp(b, p + "implicit_filter_rev.");
  return f;
}

LinearWeights bind_linear(Binder& b, const std::string& p, bool blockdiag, bool with_bias, int64_t in, int64_t out) {
  LinearWeights l;
  l.blockdiag = blockdiag;
  l.w = b.take(p + "weight");
  if (with_bias) l.b = b.take(p + "bias");
  l.in_features = in;
  l.out_features = out;
  return l;
}

}  // namespace

ModelWeights bind_weights(const ModelConfig& c, const loader::TensorStore& store) {
  c.validate();
  Binder b(c, store);
  ModelWeights w;
  const int64_t H = c.hidden_size;
  auto& e = w.embeddings;
  e.word = b.take("bert.embeddings.word_embeddings.weight");
  if (c.use_positional_encodings) e.position = b.take("bert.embeddings.position_embeddings.weight");
  e.token_type = b.take("bert.embeddings.token_type_embeddings.weight");
  e.ln_gamma = b.take("bert.embeddings.LayerNorm.weight");
  e.ln_beta = b.take("bert.embeddings.LayerNorm.bias");

  const int64_t gated_out = (c.use_glu_mlp ? 2 : 1) * c.intermediate_size;
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string l = "bert.encoder.layer." + std::to_string(i) + ".";
    LayerWeights lw;
    auto& m = lw.mixer;
    m.in_w = b.take(l + "attention.in_linear.weight");
    m.in_b = b.take(l + "attention.in_linear.bias");
    m.short_w = b.take(l + "attention.short_filter.weight", {3 * H, 3});
    m.short_b = b.take(l + "attention.short_filter.bias");
    m.out_w = b.take(l + "attention.out_linear.weight");
    m.out_b = b.take(l + "attention.out_linear.bias");
    m.filter1 = bind_filter(b, l + "attention.filter_fn.", c);
    if (c.residual_long_conv) m.filter2 = bind_filter(b, l + "attention.filter_fn2.", c);
    auto& mlp = lw.mlp;
    mlp.gated = bind_linear(b, l + "mlp.gated_layers.", c.use_monarch_mlp, false, H, gated_out);
    mlp.wo = bind_linear(b, l + "mlp.wo.", c.use_monarch_mlp, true, c.intermediate_size, H);
    mlp.ln_gamma = b.take(l + "mlp.layernorm.weight");
    mlp.ln_beta = b.take(l + "mlp.layernorm.bias");
    w.layers.push_back(std::move(lw));
  }
  // The pooler is absent from masked-LM checkpoints; such a model has hidden states but no
  // sentence embedding.
  if (b.has("bert.pooler.dense.weight") || b.has("bert.pooler.dense.bias")) {
    w.pooler_w = b.take("bert.pooler.dense.weight");
    w.pooler_b = b.take("bert.pooler.dense.bias");
  }
  if (c.num_labels > 0 && !c.is_text_encoder()) {
    w.classifier_w = b.take("classifier.weight");
    w.classifier_b = b.take("classifier.bias");
  }
  b.finish(w);
  return w;
}

}  // namespace m2vk
