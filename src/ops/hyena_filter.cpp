// Hyena implicit filter on the device (see m2vk/ops/hyena_filter.hpp): four GEMMs whose epilogues
// (gemm.hpp: Sin, Decay) apply the element-wise steps.
#include "m2vk/ops/hyena_filter.hpp"

#include <algorithm>
#include <string>

#include "layer_binding.hpp"
#include "m2vk/ops/op_error.hpp"

namespace m2vk::ops {

namespace {

using u32 = std::uint32_t;
using u64 = std::uint64_t;

void need(bool ok, const std::string& what) {
  if (!ok) throw OpError("record_hyena_filter: " + what);
}

}  // namespace

u64 hyena_filter_scratch_bytes(u32 length, u32 order) { return 2 * u64(length) * order * 4; }

void record_hyena_filter(host::Context& ctx, host::CommandRecorder& rec, const HyenaFilterTables& tb,
                         const HyenaFilterMlp& mlp, float w_mod, u32 L, const host::BufferRange& scratch,
                         const host::BufferRange& out, FilterLayout layout) {
  const u32 E = tb.emb_dim, O = tb.order, H = tb.channels;
  need(L >= 1 && L <= tb.lmax, "length " + std::to_string(L) + " is outside [1, " + std::to_string(tb.lmax) +
                                   "] (the filter table length)");
  need(tb.z.size >= u64(tb.lmax) * E * 4, "z holds fewer than lmax x emb_dim floats");
  need(tb.t.size >= u64(tb.lmax) * 4, "t holds fewer than lmax floats");
  need(tb.deltas.size >= u64(H) * 4, "deltas holds fewer than channels floats");
  need(tb.freq.size >= u64(O) * 4, "freq holds fewer than order floats");
  need(mlp.l0.in == E && mlp.l0.out == O, "l0 is " + std::to_string(mlp.l0.in) + " -> " + std::to_string(mlp.l0.out) +
                                              ", expected emb_dim " + std::to_string(E) + " -> order " + std::to_string(O));
  for (const LinearWeights* l : {&mlp.l2, &mlp.l4})
    need(l->in == O && l->out == O && l->nblocks == 1, "hidden layers must be dense order -> order");
  need(mlp.w6.size >= u64(H) * O * 4, "w6 holds fewer than channels x order floats");
  need(scratch.size >= hyena_filter_scratch_bytes(L, O),
       "scratch holds " + std::to_string(scratch.size) + " bytes, needs " + std::to_string(hyena_filter_scratch_bytes(L, O)));
  need(out.size >= u64(H) * L * 4, "out holds " + std::to_string(out.size) + " bytes, needs channels x length x 4 = " +
                                      std::to_string(u64(H) * L * 4));

  const u64 act = u64(L) * O * 4;
  const host::BufferRange s0 = scratch.slice(0, act), s1 = scratch.slice(act, act);
  const MatrixView zv = MatrixView::row_major(tb.z, 1, L, E);
  const MatrixView v0 = MatrixView::row_major(s0, 1, L, O), v1 = MatrixView::row_major(s1, 1, L, O);
  GemmOptions sin;
  sin.epilogue = Epilogue::Sin;
  sin.sin_freq = tb.freq.slice(0, u64(O) * 4);
  sin.sin_scale = w_mod;
  record_linear(ctx, rec, zv, mlp.l0, v0, sin);
  record_linear(ctx, rec, v0, mlp.l2, v1, sin);
  record_linear(ctx, rec, v1, mlp.l4, v0, sin);

  LinearWeights w6;
  w6.in = O;
  GemmOptions decay;
  decay.epilogue = Epilogue::Decay;
  decay.decay_t = tb.t.slice(0, u64(L) * 4);
  if (layout == FilterLayout::TokenMajor) {
    // h = a3 W6^T as (L, H) rows: the GEMM's contiguous, vectorised stores.
    w6.weight = mlp.w6.slice(0, u64(H) * O * 4);
    w6.out = H;
    decay.decay_deltas = tb.deltas.slice(0, u64(H) * 4);
    record_linear(ctx, rec, v0, w6, MatrixView::row_major(out.slice(0, u64(H) * L * 4), 1, L, H), decay);
    return;
  }
  // h = a3 W6^T written channel-major: out viewed as (L rows, c cols) with stride_col = L. A
  // single token row of that view spans (c - 1) L + 1 floats, so wide models at long L are cut
  // into channel groups whose plane fits one binding.
  const u64 max_ch = std::max<u64>(1, detail::max_binding_floats(ctx) / L);
  for (u32 c0 = 0; c0 < H;) {
    const u32 nc = static_cast<u32>(std::min<u64>(H - c0, max_ch));
    w6.weight = mlp.w6.slice(u64(c0) * O * 4, u64(nc) * O * 4);
    w6.out = nc;
    decay.decay_deltas = tb.deltas.slice(u64(c0) * 4, u64(nc) * 4);
    const MatrixView hv = MatrixView::channel_major(out.slice(u64(c0) * L * 4, u64(nc) * L * 4), 1, L, nc);
    record_linear(ctx, rec, v0, w6, hv, decay);
    c0 += nc;
  }
}

}  // namespace m2vk::ops
