// GEMMs of M2-BERT: dense linear layers (in_linear, out_linear, pooler, classifier, dense MLPs)
// and Monarch block-diagonal ones (gated_layers, wo), with fused epilogues.
//
//   out = epilogue(x * W^T + bias)
//
// W is stored as PyTorch stores it: (out, in) row-major for a dense layer, (nblocks, out/nblocks,
// in/nblocks) for a block-diagonal one, where block k maps input chunk k (columns
// k*in/nb .. (k+1)*in/nb - 1) to output chunk k. x and out are strided MatrixViews, so the
// in-projection can write the mixer's channel-major (B, 3H, L) layout directly and the
// out-projection can read whatever layout the long convolution produced.
//
// Epilogues: GELU (plain MLP), tanh (pooler), + residual (same layout as out), and GLU:
// out[.., j] = GELU(g[.., j]) * g[.., j + I] over the 2I outputs g of the layer (out has I
// columns); fused when each I-wide half starts on a block boundary (nblocks 1 or even), else
// done as GEMM + glu() through a scratch buffer the caller passes.
//
// Precision: FP32 always works. FP16CoopMat (fp16 inputs, fp32 accumulation through
// cooperative matrices) is chosen by resolve_precision(); see gemm_precision.hpp.
#pragma once

#include <cstdint>
#include <optional>

#include "m2vk/host/host.hpp"
#include "m2vk/ops/gemm_precision.hpp"
#include "m2vk/ops/matrix_view.hpp"

namespace m2vk::ops {

enum class Epilogue { None, Gelu, Tanh, AddResidual, Glu };

struct LinearWeights {
  host::BufferRange weight;              // (out, in) or (nblocks, out/nblocks, in/nblocks), fp32
  std::optional<host::BufferRange> bias;  // (out), fp32
  std::uint32_t in = 0, out = 0;
  std::uint32_t nblocks = 1;  // 1: dense; in and out must be multiples of nblocks
};

struct GemmOptions {
  Epilogue epilogue = Epilogue::None;
  std::optional<MatrixView> residual = std::nullopt;  // AddResidual: same shape and strides as out
  Precision precision = Precision::FP32;  // the precision to run (already resolved)
  // Glu when the fusion is impossible: (x.batch * x.rows * w.out) floats of scratch.
  std::optional<host::BufferRange> glu_scratch = std::nullopt;
};

// Records out = epilogue(x * W^T + bias) into rec. x: (B, M, in), out: (B, M, out) or, for Glu,
// (B, M, out/2). Throws OpError on inconsistent shapes, overlapping strides the kernel cannot
// handle, or device limits it cannot split around (each message names the argument).
void record_linear(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& x, const LinearWeights& w,
                   const MatrixView& out, const GemmOptions& options = {});

// Multiply-adds of one record_linear call (for GFLOP/s figures: 2 flops each).
std::uint64_t linear_macs(const MatrixView& x, const LinearWeights& w);

// Whether record_linear fuses Glu for these weights (else it needs options.glu_scratch).
bool glu_fusable(const LinearWeights& w);

}  // namespace m2vk::ops
