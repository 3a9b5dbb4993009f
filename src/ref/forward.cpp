// Layer order of the reference forward pass. Layouts: hidden states (B, L, H) row-major; inside the
// mixer, channel-major (B, C, L) so each long convolution reads contiguous rows.
#include "m2vk/ref/forward.hpp"

#include <stdexcept>
#include <string>

#include "m2vk/ref/elementwise.hpp"
#include "m2vk/ref/heads.hpp"
#include "m2vk/ref/linear.hpp"
#include "m2vk/ref/long_conv.hpp"
#include "m2vk/ref/mixer_ops.hpp"

namespace m2vk::ref {

namespace {

class Emitter {
 public:
  explicit Emitter(const IntermediateSink* sink) : sink_(sink) {}
  bool on() const { return sink_ != nullptr && *sink_; }
  void operator()(const std::string& name, const FloatTensor& t) const {
    if (on()) (*sink_)(name, t);
  }
  // Copies a raw buffer into a tensor of `shape` only when someone listens.
  void raw(const std::string& name, std::vector<int64_t> shape, const float* p) const {
    if (!on()) return;
    FloatTensor t(std::move(shape));
    std::copy(p, p + t.numel(), t.data.begin());
    (*sink_)(name, t);
  }

 private:
  const IntermediateSink* sink_;
};

// Both directions of one Hyena filter for length L; emits k_fwd, k_rev, k_combined.
struct FilterPair {
  std::vector<double> fwd, rev;  // (H, L); rev empty for causal models
};

FilterPair eval_filter(const HyenaFilterWeights& f, double w_mod, int64_t L, int64_t H, const Emitter& emit,
                       const std::string& prefix) {
  FilterPair k;
  k.fwd = hyena_filter(f, f.fwd, w_mod, L);
  if (f.rev) k.rev = hyena_filter(f, *f.rev, w_mod, L);
  if (emit.on()) {
    FloatTensor kf({H, L}), kr({H, L}), kc({H, 2 * L});
    for (int64_t c = 0; c < H; ++c)
      for (int64_t j = 0; j < L; ++j) {
        kf.data[c * L + j] = static_cast<float>(k.fwd[c * L + j]);
        kc.data[c * 2 * L + j] = kf.data[c * L + j];
        if (!k.rev.empty()) {
          kr.data[c * L + j] = static_cast<float>(k.rev[c * L + j]);
          // The reference's 2L kernel: [k_fwd, k_rev reversed]; index L holds k_rev[L-1].
          kc.data[c * 2 * L + 2 * L - 1 - j] = kr.data[c * L + j];
        }
      }
    emit(prefix + "k_fwd", kf);
    if (!k.rev.empty()) {
      emit(prefix + "k_rev", kr);
      emit(prefix + "k_combined", kc);
    }
  }
  return k;
}

// Returns the mixer output m (B, L, H) for input u (B, L, H).
std::vector<float> mixer(const ModelConfig& cfg, const MixerWeights& w, const std::vector<float>& u, int64_t B,
                         int64_t L, const Emitter& emit, const std::string& p) {
  const int64_t H = cfg.hidden_size, C = 3 * H;
  std::vector<float> proj(static_cast<size_t>(B * L * C));
  linear(u.data(), B * L, H, w.in_w.ptr(), w.in_b.ptr(), C, proj.data());
  emit.raw(p + "in_linear", {B, L, C}, proj.data());

  std::vector<float> q(proj.size());
  short_causal_conv(proj.data(), B, L, C, w.short_w.ptr(), w.short_b.ptr(), q.data());
  emit.raw(p + "short_conv", {B, C, L}, q.data());
  proj = {};

  // x1 = q[:, 0:H], x2 = q[:, H:2H], v = q[:, 2H:3H]; pre-gating v <- v * x1.
  std::vector<float> xv(static_cast<size_t>(B * H * L));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < H; ++c) {
      const float* x1 = q.data() + (b * C + c) * L;
      const float* v = q.data() + (b * C + 2 * H + c) * L;
      float* o = xv.data() + (b * H + c) * L;
      for (int64_t t = 0; t < L; ++t) o[t] = x1[t] * v[t];
    }
  FilterPair k1 = eval_filter(w.filter1, cfg.hyena_w_mod, L, H, emit, p + "filter_fn.");
  std::vector<float> y(xv.size());
  long_conv(xv.data(), B, H, L, k1.fwd.data(), k1.rev.empty() ? nullptr : k1.rev.data(), w.filter1.bias.ptr(),
            y.data());
  emit.raw(p + "long_conv", {B, H, L}, y.data());
  // Post-gating y <- y * x2.
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < H; ++c) {
      const float* x2 = q.data() + (b * C + H + c) * L;
      float* o = y.data() + (b * H + c) * L;
      for (int64_t t = 0; t < L; ++t) o[t] *= x2[t];
    }
  if (w.filter2) {
    // Residual long convolution of the un-projected layer input, added after the gating.
    std::vector<float> ut(xv.size()), yu(xv.size());
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < L; ++t)
        for (int64_t c = 0; c < H; ++c) ut[(b * H + c) * L + t] = u[(b * L + t) * H + c];
    FilterPair k2 = eval_filter(*w.filter2, cfg.hyena_w_mod, L, H, emit, p + "filter_fn2.");
    long_conv(ut.data(), B, H, L, k2.fwd.data(), k2.rev.empty() ? nullptr : k2.rev.data(), w.filter2->bias.ptr(),
              yu.data());
    emit.raw(p + "residual_long_conv", {B, H, L}, yu.data());
    for (size_t i = 0; i < y.size(); ++i) y[i] += yu[i];
  }
  // Back to (B, L, H), then the out-projection.
  std::vector<float> yt(y.size());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < H; ++c)
      for (int64_t t = 0; t < L; ++t) yt[(b * L + t) * H + c] = y[(b * H + c) * L + t];
  std::vector<float> m(y.size());
  linear(yt.data(), B * L, H, w.out_w.ptr(), w.out_b.ptr(), H, m.data());
  emit.raw(p + "output", {B, L, H}, m.data());
  return m;
}

void apply_linear(const LinearWeights& l, const float* x, int64_t rows, float* y) {
  const float* bias = l.b.empty() ? nullptr : l.b.ptr();
  if (l.blockdiag)
    blockdiag_linear(x, rows, l.in_features, l.w.ptr(), l.w.shape.at(0), bias, l.out_features, y);
  else
    linear(x, rows, l.in_features, l.w.ptr(), bias, l.out_features, y);
}

// h_next = LayerNorm(MLP(m) + m).
std::vector<float> mlp(const ModelConfig& cfg, const MlpWeights& w, const std::vector<float>& m, int64_t B, int64_t L,
                       const Emitter& emit, const std::string& p) {
  const int64_t H = cfg.hidden_size, I = cfg.intermediate_size, rows = B * L;
  const int64_t G = w.gated.out_features;
  std::vector<float> g(static_cast<size_t>(rows * G));
  apply_linear(w.gated, m.data(), rows, g.data());
  emit.raw(p + "gated_layers", {B, L, G}, g.data());
  std::vector<float> a;
  if (cfg.use_glu_mlp) {
    a.resize(static_cast<size_t>(rows * I));
    glu_gelu(g.data(), rows, I, a.data());
  } else {
    gelu_inplace(g.data(), rows * G);
    a = std::move(g);
  }
  std::vector<float> o(static_cast<size_t>(rows * H));
  apply_linear(w.wo, a.data(), rows, o.data());
  emit.raw(p + "wo", {B, L, H}, o.data());
  for (size_t i = 0; i < o.size(); ++i) o[i] += m[i];
  layer_norm(o.data(), rows, H, w.ln_gamma.ptr(), w.ln_beta.ptr(), cfg.layer_norm_eps, o.data());
  return o;
}

}  // namespace

ForwardResult forward(const ModelConfig& cfg, const ModelWeights& weights, const Batch& batch,
                      const IntermediateSink* sink) {
  batch.validate(cfg);
  if (static_cast<int64_t>(weights.layers.size()) != cfg.num_hidden_layers)
    throw std::invalid_argument("ref::forward: weights hold " + std::to_string(weights.layers.size()) +
                                " layers, config says " + std::to_string(cfg.num_hidden_layers));
  const Emitter emit(sink);
  const int64_t B = batch.batch, L = batch.length, H = cfg.hidden_size;
  std::vector<float> h(static_cast<size_t>(B * L * H));
  embeddings(weights.embeddings, batch, H, cfg.layer_norm_eps, h.data());
  emit.raw("embeddings.output", {B, L, H}, h.data());
  for (int64_t i = 0; i < cfg.num_hidden_layers; ++i) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    const LayerWeights& lw = weights.layers[static_cast<size_t>(i)];
    std::vector<float> m = mixer(cfg, lw.mixer, h, B, L, emit, p + "mixer.");
    h = mlp(cfg, lw.mlp, m, B, L, emit, p + "mlp.");
    emit.raw(p + "output", {B, L, H}, h.data());
  }
  ForwardResult r;
  r.last_hidden_state = FloatTensor({B, L, H}, std::move(h));
  emit("last_hidden_state", r.last_hidden_state);
  if (weights.has_pooler()) {
    r.pooled = FloatTensor({B, H});
    pooler(r.last_hidden_state.ptr(), batch, H, cfg.pool_all, weights.pooler_w.ptr(), weights.pooler_b.ptr(),
           r.pooled.ptr());
    emit("pooled_output", r.pooled);
    emit("sentence_embedding", r.pooled);
    if (weights.has_classifier()) {
      const int64_t C = weights.classifier_w.shape.at(0);
      r.logits = FloatTensor({B, C});
      linear(r.pooled.ptr(), B, H, weights.classifier_w.ptr(), weights.classifier_b.ptr(), C, r.logits.ptr());
      emit("logits", r.logits);
    }
  }
  return r;
}

}  // namespace m2vk::ref
