// LayerNorm over the last axis of a (B, M, C) view, optionally of x + residual (the MLP block's
// "LayerNorm(o + m)"): y = (s - mean) / sqrt(var + eps) * gamma + beta, biased variance,
// fp32 with a two-pass (centred) variance. Tolerance vs double: 2e-6 * max(1, |y|) for C = 768.
#pragma once

#include <optional>

#include "m2vk/host/host.hpp"
#include "m2vk/ops/matrix_view.hpp"

namespace m2vk::ops {

// How rows map to invocations (shaders/layer_norm.comp). Auto: Invocation on CPU devices
// (lavapipe, where one invocation's loop over its row is vector code), Workgroup elsewhere (one
// workgroup per row: coalesced reads on GPUs). The embedding's LayerNorm follows the same rule.
enum class LayerNormKernel { Auto, Invocation, Workgroup };
LayerNormKernel layer_norm_kernel_for(const host::DeviceInfo& info, LayerNormKernel requested = LayerNormKernel::Auto);

struct LayerNormWeights {
  host::BufferRange gamma, beta;  // (C) each
  float eps = 1e-12f;
};

// residual: same shape and strides as x. y may alias x (in place, row by row).
void record_layer_norm(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& x,
                       const std::optional<MatrixView>& residual, const LayerNormWeights& w, const MatrixView& y,
                       LayerNormKernel kernel = LayerNormKernel::Auto);

}  // namespace m2vk::ops
