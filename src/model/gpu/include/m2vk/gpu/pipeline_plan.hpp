// Which pipelines the GPU forward pass (gpu_model.cpp, its fast path) dispatches for a model
// config at (batch, length) on a device, found without weights, allocations or dispatches: the
// planner runs the ops' own record functions on a plan-only recorder (host::RecordOptions::
// plan_only) over buffer ranges of the sizes the forward pass would allocate, and asks the FFT
// op for the kernels its plan dispatches (ops::fft_kernels). So it works on a compile-only
// context (a RADV null device) and the variant choice cannot drift from what runs; a lavapipe
// test compares the list with the pipelines a real forward pass dispatched.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "m2vk/config.hpp"
#include "m2vk/gpu/gpu_model.hpp"
#include "m2vk/host/recorder.hpp"

namespace m2vk::host {
class Context;
struct DeviceInfo;
}  // namespace m2vk::host

namespace m2vk::gpu {

// Pipelines by host::pipeline_key name ("variant" or "variant{id=value}").
using PipelinePlan = std::map<std::string, host::PlannedDispatch>;

// The forward pass's pipelines.
// Pooler and classifier as the checkpoint of `config` has them (expected_tensor_specs). Uses
// options.gemm_precision, fft_max_single and mlp_chunk_bytes like GpuModel does; the long
// convolution's kernels per options.kernels (auto: both candidates' m2vk kernels, since the pass
// may run either, and times both at first use of an FFT size; VkFFT's own are not listed), the
// layers' GEMMs per options.gemm_kernel (auto: every candidate family's kernels on the device,
// ops::gemm_kernel_candidates, for the same reason). Throws what the
// ops throw for shapes the device cannot run (e.g. ops::FftConvError for an FFT size too large).
// Whether the long convolutions write their sum channel-major (into p's free last third), then
// one copy (ops::record_copy_rows) makes it the token-major y that out_linear reads: on CPU
// devices. The convolution then writes each channel's row contiguously (pairs of values per
// store) instead of one store per value at a stride of H floats. On lavapipe at subgroup 16,
// 32768 tokens, the long convolutions took 88.9 -> 64.0 s per pass; reading y channel-major in
// out_linear instead of copying cost 8 s (bench/RESULTS.md). GPUs keep token-major output, the
// layout measured there.
bool conv_output_channel_major(const host::DeviceInfo& info);

PipelinePlan plan_forward_pipelines(host::Context& ctx, const ModelConfig& config, std::uint32_t batch,
                                     std::uint32_t length, const GpuOptions& options = {});

}  // namespace m2vk::gpu
