// The Hyena implicit filter of a long convolution, evaluated on the device (architecture doc,
// "Filter evaluation"): for lags j < L,
//
//   a1 = sin(w_mod freq (Z W0^T + b0)),  a2 = sin(w_mod freq (a1 W2^T + b2)),
//   a3 = sin(w_mod freq (a2 W4^T + b4)), k[c, j] = (a3 W6^T)[j, c] exp(-t[j] |deltas[c]|)
//
// written channel-major (H, L) or token-major (L, H) (FilterLayout; the FFT op's FilterInput
// reads either: token-major is faster to write, the GEMM's rows being contiguous). fp32 throughout
// (the architecture doc measured fp32 evaluation within 1.8e-6 of fp64, relative to max |k|);
// the Sin layers use a fully accurate sin (m2vk_precise_sin, shaders/include/activations.glsl).
// Four GEMMs, the Sin and decay steps fused into their epilogues (gemm.hpp: Sin, Decay), so each
// activation is written once; at L = 32768 with the 80M shapes that is ~8.6 GFLOP per MLP, which the
// CPU reference needs seconds for in double precision.
#pragma once

#include <cstdint>

#include "m2vk/host/host.hpp"
#include "m2vk/ops/gemm.hpp"

namespace m2vk::ops {

// The tables of one HyenaFilter (shared by its forward and reverse MLPs), fp32 on the device.
struct HyenaFilterTables {
  host::BufferRange z;       // (lmax, emb_dim) positional embedding
  host::BufferRange t;       // (lmax) normalised time
  host::BufferRange deltas;  // (channels) decay rates
  host::BufferRange freq;    // (order) the Sin frequency
  std::uint32_t lmax = 0, emb_dim = 0, order = 0, channels = 0;
};

// One implicit MLP: three hidden layers with bias, then (channels, order) without bias.
struct HyenaFilterMlp {
  LinearWeights l0;  // emb_dim -> order
  LinearWeights l2;  // order -> order
  LinearWeights l4;  // order -> order
  host::BufferRange w6;  // (channels, order)
};

// Scratch bytes record_hyena_filter needs for length L (two (L, order) activations).
std::uint64_t hyena_filter_scratch_bytes(std::uint32_t length, std::uint32_t order);

enum class FilterLayout {
  ChannelMajor,  // k[c * length + j]
  TokenMajor,    // k[j * channels + c]
};

// Records k (channels x length floats) into `out` in `layout`. Throws OpError when length
// exceeds lmax, a buffer is too small, or the shapes disagree (naming the argument).
void record_hyena_filter(host::Context& ctx, host::CommandRecorder& rec, const HyenaFilterTables& tables,
                         const HyenaFilterMlp& mlp, float w_mod, std::uint32_t length,
                         const host::BufferRange& scratch, const host::BufferRange& out,
                         FilterLayout layout = FilterLayout::ChannelMajor);

}  // namespace m2vk::ops
