// Weight upload (see device_weights.hpp).
#include "device_weights.hpp"

#include <stdexcept>
#include <string>

#include "m2vk/batch.hpp"
#include "m2vk/gpu/spectrum_store.hpp"

namespace m2vk::gpu {

host::BufferRange DeviceWeights::put(host::Context& ctx, const FloatTensor& t, const char* what) {
  if (t.empty()) throw std::runtime_error(std::string("GPU weights: tensor ") + what + " is empty");
  const std::uint64_t bytes = t.data.size() * sizeof(float);
  if (ctx.limits().max_allocation_size && bytes > ctx.limits().max_allocation_size)
    throw std::runtime_error(std::string("GPU weights: tensor ") + what + " " + shape_to_string(t.shape) + " needs " +
                             std::to_string(bytes) + " bytes, over the device's allocation limit " +
                             std::to_string(ctx.limits().max_allocation_size));
  host::Buffer b = ctx.create_buffer(bytes);
  ctx.upload(b, t.data);
  bytes_ += b.size();
  buffers_.push_back(std::move(b));
  return buffers_.back().range();
}

ops::LinearWeights DeviceWeights::linear(host::Context& ctx, const LinearWeights& w, const char* what) {
  ops::LinearWeights o;
  o.weight = put(ctx, w.w, what);
  if (!w.b.empty()) o.bias = put(ctx, w.b, what);
  o.in = static_cast<std::uint32_t>(w.in_features);
  o.out = static_cast<std::uint32_t>(w.out_features);
  o.nblocks = w.blockdiag ? static_cast<std::uint32_t>(w.w.shape.at(0)) : 1u;
  return o;
}

ops::HyenaFilterMlp DeviceWeights::mlp(host::Context& ctx, const FilterMlpWeights& m, const std::string& name) {
  auto dense = [&](const FloatTensor& w, const FloatTensor& b, const std::string& what) {
    ops::LinearWeights o;
    o.weight = put(ctx, w, (what + ".weight").c_str());
    o.bias = put(ctx, b, (what + ".bias").c_str());
    o.in = static_cast<std::uint32_t>(w.shape.at(1));
    o.out = static_cast<std::uint32_t>(w.shape.at(0));
    return o;
  };
  ops::HyenaFilterMlp o;
  o.l0 = dense(m.w0, m.b0, name + ".0");
  o.l2 = dense(m.w2, m.b2, name + ".2");
  o.l4 = dense(m.w4, m.b4, name + ".4");
  o.w6 = put(ctx, m.w6, (name + ".6.weight").c_str());
  return o;
}

DeviceFilter DeviceWeights::filter(host::Context& ctx, const HyenaFilterWeights& f, const std::string& name) {
  DeviceFilter d;
  d.d = put(ctx, f.bias, (name + ".bias").c_str());
  d.tables.z = put(ctx, f.z, (name + ".pos_emb.z").c_str());
  d.tables.t = put(ctx, f.t, (name + ".pos_emb.t").c_str());
  d.tables.deltas = put(ctx, f.deltas, (name + ".modulation.deltas").c_str());
  d.tables.freq = put(ctx, f.freq, (name + ".implicit_filter.1.freq").c_str());
  d.tables.lmax = static_cast<std::uint32_t>(f.z.shape.at(0));
  d.tables.emb_dim = static_cast<std::uint32_t>(f.z.shape.at(1));
  d.tables.order = static_cast<std::uint32_t>(f.fwd.w0.shape.at(0));
  d.tables.channels = static_cast<std::uint32_t>(f.fwd.w6.shape.at(0));
  d.fwd = mlp(ctx, f.fwd, name + ".implicit_filter");
  if (f.rev) d.rev = mlp(ctx, *f.rev, name + ".implicit_filter_rev");
  std::uint64_t h = 0;
  auto add = [&](const FloatTensor& t) {
    const std::int64_t dims = static_cast<std::int64_t>(t.shape.size());
    h = hash_bytes(t.shape.data(), t.shape.size() * sizeof(t.shape[0]), hash_bytes(&dims, sizeof dims, h));
    h = hash_bytes(t.data.data(), t.data.size() * sizeof(float), h);
  };
  for (const FloatTensor* t : {&f.z, &f.t, &f.deltas, &f.freq}) add(*t);
  for (const FilterMlpWeights* m : {&f.fwd, f.rev ? &*f.rev : nullptr})
    if (m)
      for (const FloatTensor* t : {&m->w0, &m->b0, &m->w2, &m->b2, &m->w4, &m->b4, &m->w6}) add(*t);
  d.weights_hash = hex64(h) + (f.rev ? "b" : "u");
  return d;
}

DeviceWeights::DeviceWeights(host::Context& ctx, const ModelConfig& cfg, const ModelWeights& w) {
  const auto H = static_cast<std::uint32_t>(cfg.hidden_size);
  const float eps = static_cast<float>(cfg.layer_norm_eps);
  const EmbeddingWeights& e = w.embeddings;
  embeddings.word = put(ctx, e.word, "bert.embeddings.word_embeddings.weight");
  embeddings.type = put(ctx, e.token_type, "bert.embeddings.token_type_embeddings.weight");
  embeddings.vocab = static_cast<std::uint32_t>(e.word.shape.at(0));
  embeddings.type_vocab = static_cast<std::uint32_t>(e.token_type.shape.at(0));
  embeddings.hidden = H;
  if (!e.position.empty()) {
    embeddings.position = put(ctx, e.position, "bert.embeddings.position_embeddings.weight");
    embeddings.max_positions = static_cast<std::uint32_t>(e.position.shape.at(0));
  } else {
    // No learned positions: the embedding kernel always adds a position row, so give it zeros.
    const int64_t rows = Batch::max_length(cfg);
    embeddings.position = put(ctx, FloatTensor({rows, cfg.hidden_size}), "zero position table");
    embeddings.max_positions = static_cast<std::uint32_t>(rows);
  }
  embeddings.norm = {put(ctx, e.ln_gamma, "bert.embeddings.LayerNorm.weight"),
                     put(ctx, e.ln_beta, "bert.embeddings.LayerNorm.bias"), eps};

  for (const LayerWeights& lw : w.layers) {
    DeviceLayer d;
    const MixerWeights& m = lw.mixer;
    d.in_linear.weight = put(ctx, m.in_w, "attention.in_linear.weight");
    d.in_linear.bias = put(ctx, m.in_b, "attention.in_linear.bias");
    d.in_linear.in = H;
    d.in_linear.out = 3 * H;
    d.short_conv = {put(ctx, m.short_w, "attention.short_filter.weight"),
                    put(ctx, m.short_b, "attention.short_filter.bias"), H};
    d.out_linear.weight = put(ctx, m.out_w, "attention.out_linear.weight");
    d.out_linear.bias = put(ctx, m.out_b, "attention.out_linear.bias");
    d.out_linear.in = H;
    d.out_linear.out = H;
    d.filter1 = filter(ctx, m.filter1, "attention.filter_fn");
    if (m.filter2) d.filter2 = filter(ctx, *m.filter2, "attention.filter_fn2");
    d.gated = linear(ctx, lw.mlp.gated, "mlp.gated_layers.weight");
    d.wo = linear(ctx, lw.mlp.wo, "mlp.wo.weight");
    d.norm = {put(ctx, lw.mlp.ln_gamma, "mlp.layernorm.weight"), put(ctx, lw.mlp.ln_beta, "mlp.layernorm.bias"), eps};
    layers.push_back(d);
  }
  if (w.has_pooler()) {
    ops::LinearWeights p;
    p.weight = put(ctx, w.pooler_w, "bert.pooler.dense.weight");
    p.bias = put(ctx, w.pooler_b, "bert.pooler.dense.bias");
    p.in = p.out = H;
    pooler = p;
  }
  if (w.has_classifier()) {
    ops::LinearWeights c;
    c.weight = put(ctx, w.classifier_w, "classifier.weight");
    c.bias = put(ctx, w.classifier_b, "classifier.bias");
    c.in = H;
    c.out = static_cast<std::uint32_t>(w.classifier_w.shape.at(0));
    classifier = c;
  }
}

}  // namespace m2vk::gpu
