// Recording shared by GpuModel::forward (gpu_model.cpp) and the pipeline planner
// (pipeline_plan.cpp), so the planner lists the dispatches that really run: how the Hyena filters
// the FFT spectra are built from are evaluated, and a layer's chunked MLP.
#pragma once

#include <algorithm>
#include <cstdint>

#include <optional>

#include "m2vk/host/host.hpp"
#include "m2vk/ops/fft_conv.hpp"
#include "m2vk/ops/gemm.hpp"
#include "m2vk/ops/hyena_filter.hpp"
#include "m2vk/ops/layer_norm.hpp"

namespace m2vk::gpu {

// Token-major (L, H) planes: the filter GEMM's rows are contiguous (vectorised stores), and the
// spectrum kernels read either layout.
inline constexpr ops::FilterLayout kSpectrumFilterLayout = ops::FilterLayout::TokenMajor;

// The filter length the spectra of a pass at length L are built from: the longest length their
// FFT size serves (N/2, within the filter table of lmax lags), so one spectrum serves every later
// length of that FFT size. Exact: taps beyond L only reach the discarded outputs >= L (N >= 2L).
inline std::uint32_t spectrum_filter_length(std::uint32_t L, std::uint32_t lmax) {
  return std::max(L, std::min(ops::fft_size_for(L) / 2, lmax));
}

// Bytes of the area record_filter_planes uses at length len: the planes (kf, then kr when
// bidirectional), then the MLP scratch on a 256-byte boundary.
inline std::uint64_t filter_planes_bytes(std::uint32_t channels, std::uint32_t len, bool bidirectional) {
  return ((bidirectional ? 2 : 1) * std::uint64_t(channels) * len * 4 + 255) / 256 * 256;
}
inline std::uint64_t filter_area_bytes(const ops::HyenaFilterTables& t, std::uint32_t len, bool bidirectional) {
  return filter_planes_bytes(t.channels, len, bidirectional) + ops::hyena_filter_scratch_bytes(len, t.order);
}

// Records the filter values of length len into `area` (at least filter_area_bytes): kf at offset
// 0, kr after it when `rev` is given, in kSpectrumFilterLayout; returns them as the FFT op reads them.
inline ops::FilterInput record_filter_planes(host::Context& ctx, host::CommandRecorder& rec, const ops::HyenaFilterTables& t,
                                             const ops::HyenaFilterMlp& fwd, const ops::HyenaFilterMlp* rev, float w_mod,
                                             std::uint32_t len, const host::BufferRange& area) {
  static_assert(kSpectrumFilterLayout == ops::FilterLayout::TokenMajor, "FilterInput::token_major below");
  const std::uint64_t plane = std::uint64_t(t.channels) * len * 4, planes = filter_planes_bytes(t.channels, len, rev);
  const host::BufferRange sc = area.slice(planes, ops::hyena_filter_scratch_bytes(len, t.order));
  std::optional<host::BufferRange> kr;
  if (rev) kr = area.slice(plane, plane);
  const ops::FilterInput in = ops::FilterInput::token_major(area.slice(0, plane), kr, t.channels, len);
  ops::record_hyena_filter(ctx, rec, t, fwd, w_mod, len, sc, in.kf, kSpectrumFilterLayout);
  if (rev) ops::record_hyena_filter(ctx, rec, t, *rev, w_mod, len, sc, *in.kr, kSpectrumFilterLayout);
  return in;
}

// A layer's MLP in token chunks of `chunk_tokens` rows: a = act(m W_g^T), o = a W_o^T + b,
// h = LayerNorm(o + m); m and h are (tokens, H) row-major, a and o hold one chunk.
struct MlpRecord {
  host::BufferRange m, h, a, o, glu_scratch;  // glu_scratch: used by an unfused GLU only
  std::uint64_t tokens = 0, chunk_tokens = 0;
  std::uint32_t hidden = 0, a_width = 0;  // a_width: I with a GLU, else the gated width
  bool glu = false, fused = true;         // fused: the GEMM applies the GLU itself
};
inline void record_mlp_chunks(host::Context& ctx, host::CommandRecorder& rec, const MlpRecord& r, const ops::LinearWeights& gated,
                              const ops::LinearWeights& wo, const ops::LayerNormWeights& norm, const ops::GemmOptions& plain) {
  using ops::MatrixView;
  const std::uint32_t H = r.hidden;
  for (std::uint64_t t0 = 0; t0 < r.tokens; t0 += r.chunk_tokens) {
    const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(r.chunk_tokens, r.tokens - t0));
    const MatrixView mc = MatrixView::row_major(r.m, 1, n, H, t0 * H);
    const MatrixView hc = MatrixView::row_major(r.h, 1, n, H, t0 * H);
    const MatrixView ac = MatrixView::row_major(r.a, 1, n, r.a_width);
    const MatrixView oc = MatrixView::row_major(r.o, 1, n, H);
    ops::GemmOptions go = plain;
    go.epilogue = r.glu ? ops::Epilogue::Glu : ops::Epilogue::Gelu;
    if (r.glu && !r.fused) go.glu_scratch = r.glu_scratch;
    ops::record_linear(ctx, rec, mc, gated, ac, go);
    ops::record_linear(ctx, rec, ac, wo, oc, plain);
    ops::record_layer_norm(ctx, rec, oc, mc, norm, hc);
  }
}

}  // namespace m2vk::gpu
