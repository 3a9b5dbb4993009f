// The forward pass's pipelines without running it (see m2vk/gpu/pipeline_plan.hpp). The op
// sequence below follows GpuModel::forward's fast path; the ops choose their variants
// themselves, here as when they record.
#include "m2vk/gpu/pipeline_plan.hpp"

#include <algorithm>
#include <optional>

#include "m2vk/batch.hpp"
#include "filter_spectra.hpp"
#include "m2vk/gpu/activation_plan.hpp"
#include "m2vk/host/host.hpp"
#include "m2vk/ops/embedding.hpp"
#include "m2vk/ops/copy_view.hpp"
#include "m2vk/ops/fft_conv.hpp"
#include "m2vk/ops/gemm.hpp"
#include "m2vk/ops/hyena_filter.hpp"
#include "m2vk/ops/layer_norm.hpp"
#include "m2vk/ops/pooling.hpp"
#include "m2vk/ops/short_conv.hpp"
#include "m2vk/ops/vkfft_conv.hpp"

namespace m2vk::gpu {

bool conv_output_channel_major(const host::DeviceInfo& info) { return info.type == host::DeviceType::Cpu; }

namespace {

using ops::MatrixView;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

// A range standing for a freshly allocated buffer of `bytes` (allocations start on the device's
// binding alignment, so offset 0 gives the ops the same alignment facts). Never bound: a
// plan-only recorder only notes pipelines.
host::BufferRange fake(u64 bytes) { return host::BufferRange{VK_NULL_HANDLE, 0, std::max<u64>(bytes, 16), nullptr}; }
host::BufferRange floats(u64 n) { return fake(n * 4); }

ops::LinearWeights linear(u32 in, u32 out, u32 nblocks, bool bias) {
  ops::LinearWeights w;
  w.weight = floats(u64(out) * (in / nblocks));
  if (bias) w.bias = floats(out);
  w.in = in;
  w.out = out;
  w.nblocks = nblocks;
  return w;
}

// One Hyena filter's tables and MLPs in the shapes DeviceWeights uploads them.
struct Filter {
  ops::HyenaFilterTables tables;
  ops::HyenaFilterMlp fwd;
  std::optional<ops::HyenaFilterMlp> rev;
};

Filter filter(const ModelConfig& c) {
  const u32 H = static_cast<u32>(c.hidden_size), O = static_cast<u32>(c.hyena_filter_order),
            E = static_cast<u32>(c.hyena_emb_dim), Lmax = static_cast<u32>(c.long_conv_l_max);
  Filter f;
  f.tables = {floats(u64(Lmax) * E), floats(Lmax), floats(H), floats(O), Lmax, E, O, H};
  auto mlp = [&] {
    ops::HyenaFilterMlp m;
    m.l0 = linear(E, O, 1, true);
    m.l2 = linear(O, O, 1, true);
    m.l4 = linear(O, O, 1, true);
    m.w6 = floats(u64(H) * O);
    return m;
  };
  f.fwd = mlp();
  if (c.bidirectional) f.rev = mlp();
  return f;
}

}  // namespace

PipelinePlan plan_forward_pipelines(host::Context& ctx, const ModelConfig& cfg, u32 B, u32 L, const GpuOptions& options) {
  const u32 H = static_cast<u32>(cfg.hidden_size), I = static_cast<u32>(cfg.intermediate_size);
  const u64 T = u64(B) * L, TH = T * H;
  const bool glu = cfg.use_glu_mlp;
  const u32 G = glu ? 2 * I : I;
  const u32 nb = cfg.use_monarch_mlp ? static_cast<u32>(cfg.monarch_mlp_nblocks) : 1u;
  const ops::LinearWeights in_linear = linear(H, 3 * H, 1, true), out_linear = linear(H, H, 1, true);
  const ops::LinearWeights gated = linear(H, G, nb, false);  // no bias
  const ops::LinearWeights wo = linear(I, H, nb, true);
  const ops::ShortConvWeights short_conv{floats(u64(3) * H * 3), floats(u64(3) * H), H};
  const ops::LayerNormWeights norm{floats(H), floats(H), static_cast<float>(cfg.layer_norm_eps)};
  const Filter filter1 = filter(cfg);
  const std::optional<Filter> filter2 = cfg.residual_long_conv ? std::optional<Filter>(filter(cfg)) : std::nullopt;
  ops::EmbeddingTables emb;
  emb.vocab = static_cast<u32>(cfg.vocab_size);
  emb.type_vocab = static_cast<u32>(cfg.type_vocab_size);
  emb.max_positions = static_cast<u32>(cfg.use_positional_encodings ? cfg.max_position_embeddings : Batch::max_length(cfg));
  emb.hidden = H;
  emb.word = floats(u64(emb.vocab) * H);
  emb.type = floats(u64(emb.type_vocab) * H);
  emb.position = floats(u64(emb.max_positions) * H);
  emb.norm = norm;

  ops::GemmOptions plain;
  plain.precision = ops::resolve_precision(ctx, options.gemm_precision);
  const bool fused = !glu || (ops::glu_fusable(gated) && plain.precision == ops::Precision::FP32);
  PlanLimits lim;
  lim.max_storage_range = ctx.limits().max_storage_range;
  lim.max_allocation = ctx.limits().max_allocation_size;
  lim.mlp_chunk_bytes = options.mlp_chunk_bytes;
  const ActivationPlan plan = plan_activations(cfg, B, L, lim, fused);

  host::CommandRecorder rec = ctx.record({.profile = false, .plan_only = true});
  PipelinePlan out;

  const u64 sec = (T * 4 + 255) / 256 * 256;
  const host::BufferRange in = fake(3 * sec);
  const host::BufferRange hb = fake(plan.h_bytes), pb = fake(plan.p_bytes);
  const host::BufferRange x1vb = fake(plan.x_bytes), x2b = fake(plan.x_bytes);
  const MatrixView hv = MatrixView::row_major(hb, B, L, H), pv = MatrixView::row_major(pb, B, L, 3 * H);
  const MatrixView x1vv = MatrixView::channel_major(x1vb, B, L, H), x2v = MatrixView::channel_major(x2b, B, L, H);
  const host::BufferRange yb = pb.slice(0, TH * 4), mb = pb.slice(TH * 4, TH * 4);
  const MatrixView yv = MatrixView::row_major(yb, B, L, H), mv = MatrixView::row_major(mb, B, L, H);
  const bool y_cm = conv_output_channel_major(ctx.device_info());
  const host::BufferRange ab = fake(plan.a_bytes), ob = fake(plan.o_bytes), glub = fake(plan.glu_bytes);

  ops::record_embedding(ctx, rec, in.slice(0, T * 4), in.slice(sec, T * 4), B, L, emb, hv);

  // Filter values (in the idle p buffer, or a buffer of their own when it is too small) and
  // their spectra: once per filter and FFT size, with the same kernels for every layer.
  // The long convolution's candidates under options.kernels: auto may run either (and times
  // both at first use of a size), so it lists both.
  ops::FftConvOptions fo;
  fo.max_single = options.fft_max_single;
  const ops::FftConv fft(ctx, fo);
  const u32 N = ops::fft_size_for(L);
  const bool ours = options.kernels != KernelPolicy::VkFFT;
  const bool vkfft = options.kernels == KernelPolicy::VkFFT || (options.kernels == KernelPolicy::Auto && ops::vkfft_available());
  auto add_fft = [&](bool spectrum_mode) {
    if (ours)
      for (const std::string& v : fft.pipelines(N, spectrum_mode)) out[v] = {v, {}};
    if (vkfft)
      for (const std::string& v : ops::vkfft_pipelines(spectrum_mode)) out[v] = {v, {}};
  };
  for (const Filter* f : {&filter1, filter2 ? &*filter2 : nullptr}) {
    if (!f) continue;
    const u32 len = spectrum_filter_length(L, f->tables.lmax);  // as GpuModel evaluates it
    const u64 bytes = filter_area_bytes(f->tables, len, f->rev.has_value());
    record_filter_planes(ctx, rec, f->tables, f->fwd, f->rev ? &*f->rev : nullptr, static_cast<float>(cfg.hyena_w_mod), len,
                         pb.size >= bytes ? pb : fake(bytes));
  }
  add_fft(true);

  // The layers' GEMMs under options.gemm_kernel: auto may run any of the device's candidates
  // (GemmChooser times them at first use of a shape), so it lists each one's kernels; the
  // Hyena filter's GEMMs above keep the device's rule (ops::gemm_kernel_for).
  std::vector<ops::GemmKernel> gemm_kernels{options.gemm_kernel};
  if (options.gemm_kernel == ops::GemmKernel::Auto && plain.precision == ops::Precision::FP32)
    gemm_kernels = ops::gemm_kernel_candidates(ctx.device_info());
  for (ops::GemmKernel k : gemm_kernels) {
    plain.kernel = k;
    ops::record_linear(ctx, rec, hv, in_linear, pv, plain);
    ops::record_short_conv_gated(ctx, rec, pv, short_conv, x1vv, x2v);
    add_fft(false);
    if (y_cm) ops::record_copy_rows(ctx, rec, MatrixView::channel_major(pb.slice(2 * TH * 4, TH * 4), B, L, H), yv);
    ops::record_linear(ctx, rec, yv, out_linear, mv, plain);
    record_mlp_chunks(ctx, rec, {mb, hb, ab, ob, glub, T, plan.chunk_tokens, H, glu ? I : G, glu, fused}, gated, wo, norm,
                      plain);

    // Heads (every checkpoint has the pooler; classifiers as expected_tensor_specs has them).
    const ops::LinearWeights pooler = linear(H, H, 1, true);
    const MatrixView pooled = MatrixView::row_major(fake(u64(B) * H * 4), B, 1, H);
    ops::GemmOptions tanh = plain;
    tanh.epilogue = ops::Epilogue::Tanh;
    if (cfg.pool_all) {
      const MatrixView pin = MatrixView::row_major(fake(u64(B) * H * 4), B, 1, H);
      ops::record_mean_pool(ctx, rec, hv, in.slice(2 * sec, T * 4), pin);
      ops::record_linear(ctx, rec, pin, pooler, pooled, tanh);
    } else {
      ops::record_linear(ctx, rec, ops::cls_rows(hv), pooler, pooled, tanh);
    }
    if (cfg.num_labels > 0 && !cfg.is_text_encoder()) {
      const u32 C = static_cast<u32>(cfg.num_labels);
      ops::record_linear(ctx, rec, pooled, linear(H, C, 1, true), MatrixView::row_major(fake(u64(B) * C * 4), B, 1, C),
                         plain);
    }
  }
  for (const host::PlannedDispatch& d : rec.planned()) out[host::pipeline_key(d.variant, d.spec)] = d;
  return out;
}

}  // namespace m2vk::gpu
