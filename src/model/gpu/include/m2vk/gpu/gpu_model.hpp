// The M2-BERT forward pass on a Vulkan device (docs/m2bert-architecture.md section 3), the GPU
// counterpart of m2vk::ref::forward with the same inputs, outputs and intermediate names.
//
//   gpu::GpuModel gm(config, weights, {});          // uploads the weights once
//   ForwardResult r = gm.forward(batch);             // one submit for the whole batch when the
//                                                    // filter spectra fit their budget
//
// Weights stay on the device for the object's lifetime. Activations live in buffers planned per
// (batch, length) and reused across calls (activation_plan.hpp). Hyena filters are evaluated on
// the device (ops::record_hyena_filter) once per (filter, FFT size) and their FFT spectra kept on
// the device within a byte budget; when all spectra of a length do not fit, layers run one
// submit each and each layer's filters and spectra are recomputed on the device.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "m2vk/batch.hpp"
#include "m2vk/config.hpp"
#include "m2vk/gpu/kernel_choice.hpp"
#include "m2vk/gpu/spectrum_store.hpp"
#include "m2vk/host/device_info.hpp"
#include "m2vk/kernel_policy.hpp"
#include "m2vk/ops/gemm_precision.hpp"
#include "m2vk/tensor.hpp"
#include "m2vk/weights.hpp"

namespace m2vk::host {
class Context;
}  // namespace m2vk::host

namespace m2vk::gpu {

struct GpuOptions {
  std::string device_spec;       // "" = choose_device_from_env rule (M2VK_DEVICE, CUDA_VISIBLE_DEVICES, default)
  bool validation = false;       // Khronos validation layer (also on with M2VK_VALIDATION=1)
  // Device bytes for cached filter spectra; 0 = default_spectrum_budget (spectrum_budget.hpp:
  // from the memory the device really has) (1 byte: cache nothing beyond the spectra one layer
  // needs).
  std::uint64_t spectrum_budget_bytes = 0;
  // Device bytes for one MLP chunk's intermediates (tokens are processed in chunks within it).
  std::uint64_t mlp_chunk_bytes = 64ull << 20;
  // Test hook of the FFT op (FftConvOptions::max_single): FFT sizes above it run the four-step
  // multi-pass kernels, so small tests reach the code path long inputs use. 0 = off.
  std::uint32_t fft_max_single = 0;
  // GEMM arithmetic asked for. FP16CoopMat (fp16 inputs, fp32 accumulation on cooperative
  // matrices) runs where the device and context have it and falls back to FP32 elsewhere;
  // gemm_precision() says which runs.
  ops::Precision gemm_precision = ops::Precision::FP32;
  // Long convolution: auto times ours and VkFFT at first use of each FFT size and keeps the
  // faster (m2vk/gpu/kernel_choice.hpp); ours / vkfft force one.
  KernelPolicy kernels = KernelPolicy::Auto;
  // fp32 GEMM kernel family: auto times the device's candidates (ops::gemm_kernel_candidates)
  // at first use of each GEMM shape class and keeps the fastest (GemmChooser); any other value
  // forces that family (ops::gemm_kernel_missing: an error where the device cannot run it).
  ops::GemmKernel gemm_kernel = ops::GemmKernel::Auto;
  // Where auto records its choices; unset: kernel_choice.json beside the pipeline cache.
  std::optional<std::filesystem::path> kernel_choice_file;
  // Filter spectra kept on disk between processes (m2vk/gpu/spectrum_store.hpp): the cap in bytes
  // of their files; unset = default_spectrum_store() (on for a CPU device, off for a GPU), 0 = off.
  std::optional<std::uint64_t> spectrum_store_bytes;
  // Their folder; unset: "spectra" beside the pipeline cache.
  std::optional<std::filesystem::path> spectrum_store_dir;
};

// GPU time of one op type (the recorder's dispatch name) summed over a forward pass.
struct OpTime {
  std::string op;
  double ms = 0.0;
  std::size_t count = 0;  // dispatches / copies
};

// Host wall-clock time of a named part of loading or of forward passes, summed over calls.
struct StageTime {
  std::string stage;
  double ms = 0.0;
  std::size_t count = 0;
};
// Adds ms to the entry named `stage`, appending it (stages keep the order they first ran in).
void add_stage_time(std::vector<StageTime>& stages, const std::string& stage, double ms);

struct GpuProfile {
  std::vector<OpTime> ops;  // sorted by time, largest first
  double total_ms = 0.0;    // sum of all ops' GPU time
  std::size_t submits = 0;
  // Where the wall time of the pass(es) went, in exclusive parts (wall_ms() is their sum): "buffers +
  // upload" (activation buffers, allocated when a shape is first seen; the token ids),
  // "filters + spectra" (per-length set-up: Hyena filters evaluated and transformed on the
  // device, once per filter and length while the spectra stay cached), "pipeline creation"
  // (first use of a kernel in this process), "layers" (recording, submitting and waiting for
  // the layers' GPU work; on lavapipe this includes JIT compilation at a pipeline's first
  // dispatch that the driver's shader cache did not have), "download".
  std::vector<StageTime> stages;
  double wall_ms() const {
    double s = 0.0;
    for (const auto& st : stages) s += st.ms;
    return s;
  }
};

// Device memory in use, for reports and the memory benchmark.
struct GpuMemory {
  std::uint64_t weights = 0;      // uploaded weights
  std::uint64_t activations = 0;  // planned activation buffers (current size)
  std::uint64_t spectra = 0;      // cached filter spectra
  std::uint64_t spectrum_budget = 0;  // bytes the spectrum cache may hold (GpuOptions / spectrum_budget_rule)
  std::uint64_t fft_scratch = 0;  // the FFT op's four-step scratch (long inputs only)
  std::uint64_t peak_activations = 0;
};

class GpuModel {
 public:
  // Creates the Vulkan context on the chosen device and uploads the weights (read only here: the
  // filters are evaluated on the device). `config` is kept by reference and must outlive this. Throws
  // DeviceUnavailable (m2vk/model.hpp) when no device exists, host::HostError / VulkanError for
  // device problems, std::runtime_error for weights the GPU path cannot hold.
  GpuModel(const ModelConfig& config, const ModelWeights& weights, const GpuOptions& options = {});
  ~GpuModel();
  GpuModel(const GpuModel&) = delete;
  GpuModel& operator=(const GpuModel&) = delete;

  // One forward pass of a validated batch. With a sink every named intermediate of the CPU
  // reference is produced too (one submit per layer, extra buffers). With profile != nullptr the
  // GPU time of every op is measured (timestamps) and summed per op type. `outputs` says whether
  // the last hidden state is downloaded (ForwardOutputs; always with a sink or without a pooler).
  ForwardResult forward(const Batch& batch, const IntermediateSink* sink = nullptr, GpuProfile* profile = nullptr,
                        ForwardOutputs outputs = ForwardOutputs::All);

  const host::DeviceInfo& device_info() const;
  // The GEMM precision in use (GpuOptions::gemm_precision resolved for this device), and why a
  // requested FP16CoopMat fell back to FP32 ("" when it did not).
  ops::Precision gemm_precision() const;
  std::string gemm_precision_fallback() const;
  std::string device_reason() const;  // why this device was chosen
  // The long-convolution backend chosen per FFT size so far (GpuOptions::kernels).
  const std::vector<FftChoice>& fft_choices() const;
  // The GEMM kernel family chosen per shape class so far (GpuOptions::gemm_kernel).
  const std::vector<GemmChoice>& gemm_choices() const;
  GpuMemory memory() const;
  host::Context& context();
  // Wall time of the constructor's parts: "device context" (instance, device, pipeline cache
  // file) and "weights upload".
  const std::vector<StageTime>& load_stages() const;
  // How the spectrum budget was chosen ("" when GpuOptions gave one).
  const std::string& spectrum_budget_reason() const;
  // The spectrum files in use (null when off), and how that was decided.
  const SpectrumStore* spectrum_store() const;
  const std::string& spectrum_store_reason() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Sums recorder timings per op name into `profile` (exposed for tests).
void add_timings(GpuProfile& profile, const std::vector<std::pair<std::string, double>>& timings);

}  // namespace m2vk::gpu
