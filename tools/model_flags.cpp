#include "model_flags.hpp"

#include <cstdio>
#include <stdexcept>
#include <string>

namespace m2vk::cli {

RunOptions parse_run_options(const ArgParser& p) {
  RunOptions run;
  const std::string padding = p.get_or("--padding", "max_length");
  if (padding == "max_length") run.padding = PaddingMode::MaxLength;
  else if (padding == "longest") run.padding = PaddingMode::Longest;
  else throw UsageError("--padding '" + padding + "': expected max_length or longest");
  if (auto n = p.get_int("--max-length", 2, 1 << 30)) run.max_length = *n;
  if (auto n = p.get_int("--batch-size", 1, 1 << 20)) run.batch_size = static_cast<size_t>(*n);
  return run;
}

Device parse_device_flag(const ArgParser& p) {
  try {
    return Device::parse(p.get_or("--device", "auto"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--device: ") + e.what());
  }
}

const char* const kKernelsHelp =
    "GPU long convolution: auto (default: time m2vk's FFT kernels and VkFFT on the device at first use of each FFT "
    "size, keep the faster; remembered in kernel_choice.json in the cache folder), ours or vkfft";

KernelPolicy parse_kernels_flag(const ArgParser& p) {
  try {
    return parse_kernel_policy(p.get_or("--kernels", "auto"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--kernels ") + e.what());
  }
}

void declare_load_flags(ArgParser& p) {
  p.option("--device", "auto | cpu | gpu | gpu:SPEC | SPEC, SPEC = index, UUID or name substring (default auto: "
                       "the GPU when a Vulkan device exists, else cpu; M2VK_DEVICE and CUDA_VISIBLE_DEVICES apply)")
      .option("--spectrum-budget",
              "GPU: MB of device memory for cached filter spectra (default: from the memory the device has, "
              "shown by `m2vk devices`: half of the available host memory on a CPU device, a GPU's heap less the "
              "weights and a quarter; the 80M-32k model needs 4800 to cache all at 32k tokens; "
              "less rebuilds them every pass)")
      .option("--spectrum-cache",
              "GPU: MB of disk for filter spectra kept between processes (in the cache folder beside the pipeline "
              "cache), so a later run at a length does not rebuild them (default 4096 on a CPU device, where "
              "building them takes seconds; 0 on a GPU, where it takes milliseconds; M2VK_SPECTRUM_CACHE_MB "
              "sets the default); 0 = off")
      .option("--precision",
              "GPU GEMMs: fp32 (default) or fp16 (fp16 inputs, fp32 accumulation on cooperative matrices where the "
              "device has VK_NV_cooperative_matrix; elsewhere fp32, and the notes say so)")
      .option("--kernels", kKernelsHelp)
      .option("--gemm",
              "GPU fp32 GEMMs: auto (default: time the device's kernel families at first use of each GEMM shape, keep "
              "the fastest; remembered in kernel_choice.json beside --kernels' choices), texel, texel8 (CPU devices), "
              "tiled or tiled128 (GPUs)");
}

ModelLoadOptions parse_load_options(const ArgParser& p) {
  ModelLoadOptions lo;
  lo.device = parse_device_flag(p);
  if (auto mb = p.get_int("--spectrum-budget", 0, 1 << 30)) lo.spectrum_budget_bytes = std::uint64_t(*mb) << 20;
  if (auto mb = p.get_int("--spectrum-cache", 0, 1 << 30)) lo.spectrum_cache_bytes = std::uint64_t(*mb) << 20;
  const std::string precision = p.get_or("--precision", "fp32");
  if (precision == "fp16") lo.reduced_precision = true;
  else if (precision != "fp32") throw UsageError("--precision '" + precision + "': expected fp32 or fp16");
  lo.kernels = parse_kernels_flag(p);
  const std::string gemm = p.get_or("--gemm", "auto");
  const auto kernel = ops::parse_gemm_kernel(gemm);
  if (!kernel) throw UsageError("--gemm '" + gemm + "': expected auto, texel, texel8, tiled or tiled128");
  lo.gemm = *kernel;
  return lo;
}

std::string precision_note(const Model& model, const ModelLoadOptions& options) {
  if (!options.reduced_precision) return "";
  const gpu::GpuModel* g = model.gpu_model();
  if (!g) return "--precision fp16 applies to the GPU; the CPU reference path computes in double precision";
  const std::string why = g->gemm_precision_fallback();
  if (why.empty()) return "";
  return "--precision fp16: cooperative matrices are unavailable on " + g->device_info().name + " (" + why +
         "); the GEMMs run in fp32";
}

std::string describe_device_memory(const Model& model) {
  const gpu::GpuModel* g = model.gpu_model();
  if (!g) return "";
  const gpu::GpuMemory m = g->memory();
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "weights %.0f MB, activations %.0f MB (peak), FFT scratch %.0f MB, filter spectra %.0f MB of a %.0f MB budget",
                m.weights / 1e6, m.peak_activations / 1e6, m.fft_scratch / 1e6, m.spectra / 1e6, m.spectrum_budget / 1e6);
  std::string out = buf;
  if (!g->spectrum_budget_reason().empty()) out += " (" + g->spectrum_budget_reason() + ")";
  return out;
}

std::string describe_spectrum_cache(const Model& model) {
  const gpu::GpuModel* g = model.gpu_model();
  if (!g) return "";
  const gpu::SpectrumStore* st = g->spectrum_store();
  if (!st) return "spectrum files: " + g->spectrum_store_reason();
  const gpu::SpectrumStoreStats& s = st->stats();
  char buf[256];
  std::snprintf(buf, sizeof buf, "spectrum files: %zu read (%.0f MB, %.0f ms), %zu written (%.0f MB, %.0f ms)", s.read,
                s.read_bytes / 1e6, s.read_ms, s.written, s.written_bytes / 1e6, s.write_ms);
  std::string out = buf;
  if (s.skipped) out += ", " + std::to_string(s.skipped) + " not written (" + s.last_skip + ")";
  return out + " in " + st->dir().string() + ", cap " + g->spectrum_store_reason();
}

std::vector<std::string> describe_kernel_choices(const Model& model) {
  std::vector<std::string> out;
  const gpu::GpuModel* g = model.gpu_model();
  if (!g) return out;
  for (const gpu::FftChoice& c : g->fft_choices()) out.push_back(gpu::describe(c));
  for (const gpu::GemmChoice& c : g->gemm_choices()) out.push_back(gpu::describe(c));
  return out;
}

}  // namespace m2vk::cli
