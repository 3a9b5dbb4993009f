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
// The Hyena implicit filter's epilogues (ops/hyena_filter.cpp), with m the row within a batch
// entry and n the output column:
//   Sin:   out[m, n] = sin(sin_scale * sin_freq[n] * (acc + bias))   (a Sin layer, accurate sin)
//   Decay: out[m, n] = (acc + bias) * exp(-decay_t[m] * |decay_deltas[n]|)   (the modulation)
// fp32 only; compiled for the load modes the filter uses (token-major x) and falling back to
// scalar loads elsewhere.
//
// Precision: FP32 always works. FP16CoopMat (fp16 inputs, fp32 accumulation through
// cooperative matrices) is chosen by resolve_precision(); see gemm_precision.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "m2vk/host/host.hpp"
#include "m2vk/ops/gemm_precision.hpp"
#include "m2vk/ops/matrix_view.hpp"

namespace m2vk::ops {

enum class Epilogue { None, Gelu, Tanh, AddResidual, Glu, Sin, Decay };

// The fp32 kernel family (FP16CoopMat has its own kernel).
enum class GemmKernel {
  Auto,      // options.choose_kernel when set, else gemm_kernel_for(device)
  Texel,     // shaders/gemm.comp: texel gathers, 16 x 8 outputs per invocation (fastest on lavapipe)
  Texel8,    // the same with 8 x 8 outputs per invocation and no subgroup shuffles (512-bit llvmpipe)
  Tiled,     // shaders/gemm_tiled.comp: shared-memory 64 x 64 tiles, 4 x 4 per invocation (GPUs)
  Tiled128,  // the same with 128 x 64 tiles, 8 x 4 per invocation (GPUs, long M)
};

// "auto", "texel", "texel8", "tiled", "tiled128" (the --gemm flag's and the choice file's words).
const char* gemm_kernel_name(GemmKernel k);
std::optional<GemmKernel> parse_gemm_kernel(const std::string& s);

// What a GEMM is, as far as the choice between kernels goes (GemmOptions::choose_kernel): the
// layer's shape, the rows of this call, the epilogue family and the layout of x.
struct GemmShape {
  std::uint32_t rows = 0;  // batch x rows of x
  std::uint32_t n = 0, k = 0, nblocks = 1;  // w.out, w.in, w.nblocks
  Epilogue epilogue = Epilogue::None;
  bool x_channel_major = false;  // x.stride_row == 1 (the mixer's (B, H, L) activations)
};

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
  // Sin: (out columns) frequencies and their scale. Decay: (x.rows) times t and (out columns)
  // decay rates.
  std::optional<host::BufferRange> sin_freq = std::nullopt;
  float sin_scale = 1.0f;
  std::optional<host::BufferRange> decay_t = std::nullopt, decay_deltas = std::nullopt;
  // Auto: choose_kernel's answer when set, else the device's rule (gemm_kernel_for). Any other
  // value forces that family (tests, benchmarks); one the device cannot run
  // (gemm_kernel_missing) throws OpError.
  GemmKernel kernel = GemmKernel::Auto;
  // Run-time choice (m2vk::gpu::GemmChooser): called for fp32 GEMMs under kernel == Auto, once
  // per record_linear call, before any piece is recorded; must return a kernel the device can
  // run (gemm_kernel_candidates).
  std::function<GemmKernel(const GemmShape&)> choose_kernel = nullptr;
};

// The fp32 family that Auto runs on this device without a run-time choice, the one place that
// decides by rule: Texel on CPU devices (lavapipe: texel fetches are cheap gathers there, shared
// memory and barriers slow), Tiled on GPUs when the device has the tiled kernel's limits (256
// invocations per workgroup, 16 x 16 local size, 17,408 bytes of shared memory), else Texel.
// A forced family is returned as is.
GemmKernel gemm_kernel_for(const host::DeviceInfo& info, GemmKernel requested = GemmKernel::Auto);

// The families a run-time choice may pick between on this device, the rule's choice first:
// on a CPU device Texel and Texel8 (the shared-memory kernels run 15x slower on lavapipe);
// on a GPU Tiled and Tiled128 where the device has their limits (the texel kernels' 128
// accumulators per invocation spill on GPUs), else Texel alone.
std::vector<GemmKernel> gemm_kernel_candidates(const host::DeviceInfo& info);

// Whether the device meets a family's limits (workgroup size, shared memory); else the reason.
std::optional<std::string> gemm_kernel_missing(const host::DeviceInfo& info, GemmKernel kernel);
// gemm_kernel_missing(info, Tiled).
std::optional<std::string> tiled_gemm_missing(const host::DeviceInfo& info);

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
