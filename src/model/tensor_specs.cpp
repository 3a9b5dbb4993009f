// The tensor list of an M2-BERT checkpoint for a given config, in the state-dict order of the
// original classes (docs/m2bert-architecture.md section 5.1). Used by the strict binding (what to
// expect) and by `m2vk demo-model` (what to write).
#include "m2vk/weights.hpp"

namespace m2vk {

namespace {

void add_filter(std::vector<TensorSpec>& out, const std::string& p, const ModelConfig& c) {
  const int64_t H = c.hidden_size, O = c.hyena_filter_order, E = c.hyena_emb_dim, Lmax = c.long_conv_l_max;
  out.push_back({p + "bias", {H}, "F32"});
  out.push_back({p + "pos_emb.z", {1, Lmax, E}, "F32"});
  out.push_back({p + "pos_emb.t", {1, Lmax, 1}, "F32"});
  for (const char* mlp : {"implicit_filter.", "implicit_filter_rev."}) {
    if (std::string(mlp) == "implicit_filter_rev." && !c.bidirectional) break;
    const std::string m = p + mlp;
    out.push_back({m + "0.weight", {O, E}, "F32"});
    out.push_back({m + "0.bias", {O}, "F32"});
    out.push_back({m + "1.freq", {1, O}, "F32"});
    out.push_back({m + "2.weight", {O, O}, "F32"});
    out.push_back({m + "2.bias", {O}, "F32"});
    out.push_back({m + "3.freq", {1, O}, "F32"});
    out.push_back({m + "4.weight", {O, O}, "F32"});
    out.push_back({m + "4.bias", {O}, "F32"});
    out.push_back({m + "5.freq", {1, O}, "F32"});
    out.push_back({m + "6.weight", {H, O}, "F32"});
  }
  out.push_back({p + "modulation.deltas", {1, 1, H}, "F32"});
}

}  // namespace

std::vector<TensorSpec> expected_tensor_specs(const ModelConfig& c) {
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  std::vector<TensorSpec> out;
  if (c.use_positional_encodings) out.push_back({"bert.embeddings.position_ids", {1, c.max_position_embeddings}, "I64"});
  out.push_back({"bert.embeddings.word_embeddings.weight", {c.vocab_size, H}, "F32"});
  if (c.use_positional_encodings)
    out.push_back({"bert.embeddings.position_embeddings.weight", {c.max_position_embeddings, H}, "F32"});
  out.push_back({"bert.embeddings.token_type_embeddings.weight", {c.type_vocab_size, H}, "F32"});
  out.push_back({"bert.embeddings.LayerNorm.weight", {H}, "F32"});
  out.push_back({"bert.embeddings.LayerNorm.bias", {H}, "F32"});
  const int64_t gated_out = (c.use_glu_mlp ? 2 : 1) * I;
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string l = "bert.encoder.layer." + std::to_string(i) + ".";
    add_filter(out, l + "attention.filter_fn.", c);
    if (c.residual_long_conv) add_filter(out, l + "attention.filter_fn2.", c);
    out.push_back({l + "attention.in_linear.weight", {3 * H, H}, "F32"});
    out.push_back({l + "attention.in_linear.bias", {3 * H}, "F32"});
    out.push_back({l + "attention.out_linear.weight", {H, H}, "F32"});
    out.push_back({l + "attention.out_linear.bias", {H}, "F32"});
    out.push_back({l + "attention.short_filter.weight", {3 * H, 1, 3}, "F32"});
    out.push_back({l + "attention.short_filter.bias", {3 * H}, "F32"});
    if (c.use_monarch_mlp) {
      const int64_t nb = c.monarch_mlp_nblocks;
      out.push_back({l + "mlp.gated_layers.weight", {nb, gated_out / nb, H / nb}, "F32"});
      out.push_back({l + "mlp.wo.bias", {H}, "F32"});  // BlockdiagLinear registers its bias first
      out.push_back({l + "mlp.wo.weight", {nb, H / nb, I / nb}, "F32"});
    } else {
      out.push_back({l + "mlp.gated_layers.weight", {gated_out, H}, "F32"});
      out.push_back({l + "mlp.wo.weight", {H, I}, "F32"});
      out.push_back({l + "mlp.wo.bias", {H}, "F32"});
    }
    out.push_back({l + "mlp.layernorm.weight", {H}, "F32"});
    out.push_back({l + "mlp.layernorm.bias", {H}, "F32"});
  }
  out.push_back({"bert.pooler.dense.weight", {H, H}, "F32"});
  out.push_back({"bert.pooler.dense.bias", {H}, "F32"});
  if (c.num_labels > 0 && !c.is_text_encoder()) {
    out.push_back({"classifier.weight", {c.num_labels, H}, "F32"});
    out.push_back({"classifier.bias", {c.num_labels}, "F32"});
  }
  return out;
}

}  // namespace m2vk
