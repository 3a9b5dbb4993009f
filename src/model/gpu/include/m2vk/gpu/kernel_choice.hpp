// Run-time choice where more than one implementation is valid (issue 13, item 4): the long
// convolution through our FFT kernels or through VkFFT, and the fp32 GEMM kernel family
// (GemmChooser, below: the same file, key and rules). Under KernelPolicy::Auto, the first use
// of an FFT size on a device times both candidates there (scratch buffers, a warm-up each, then
// timed repetitions within a per-candidate time budget), keeps the faster for the process and
// records it in kernel_choice.json beside the pipeline cache, keyed by device UUID, driver
// version, the shape and the kernels' identity (a hash of the shipped SPIR-V); a later process
// on the same device and build reads the choice instead of measuring (the first recorded choice
// stays: a process that measured while another recorded adopts the recorded one, so processes
// sharing a cache folder run the same kernels and get the same bits). A missing, unreadable,
// corrupt or foreign file means measuring again, never an error. Ours and VkFFT force one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "m2vk/kernel_policy.hpp"
#include "m2vk/ops/fft_conv.hpp"
#include "m2vk/ops/gemm.hpp"

namespace m2vk::host {
class Context;
struct DeviceInfo;
}  // namespace m2vk::host

namespace m2vk::gpu {

// One decision for an FFT size.
struct FftChoice {
  std::uint32_t n = 0;     // FFT size
  std::uint32_t rows = 0;  // rows (batch x channel) timed; 0 when nothing was timed
  ops::FftBackend backend = ops::FftBackend::Ours;
  double ours_ms = -1, vkfft_ms = -1;  // best time of one convolution of `rows` rows; -1: not timed
  std::string source;  // "measured", "cache file", "forced by --kernels", "only candidate: ..."
};

// "long convolution N=4096: vkfft (measured on 512 rows: ours 3.1 ms, vkfft 2.2 ms)".
std::string describe(const FftChoice& c);

// What a recorded choice is valid for.
struct ChoiceKey {
  std::string device_uuid;
  std::uint32_t driver_version = 0;
  std::string kernels;  // kernels_identity() and the subgroup size (choice_key)
};

// Hash of every shipped SPIR-V variant and VkFFT's version (0: not built in): a new build of the
// kernels, or another VkFFT, invalidates recorded choices.
std::string kernels_identity();
// The key of choices made on a device: its UUID and driver version, and as the kernels part
// kernels_identity() and its subgroup size (one lavapipe runs at subgroups of 4, 8 or 16 under
// one UUID, with other kernels and other winners).
ChoiceKey choice_key(const host::DeviceInfo& info);

// One decision for a GEMM shape class (gemm_shape_class).
struct GemmChoice {
  std::string shape;     // gemm_shape_class()
  std::uint32_t rows = 0;  // rows timed; 0 when nothing was timed
  ops::GemmKernel kernel = ops::GemmKernel::Auto;
  // Best time of one GEMM of `rows` rows per candidate: device timestamps where the device has
  // them, else wall clock around a submit.
  std::vector<std::pair<ops::GemmKernel, double>> ms;
  std::string source;  // "measured", "cache file", "forced by --gemm", "only candidate: ..."
};

// "GEMM N=2304 K=768 nb=1 none token-major fp32 M<=4096: texel (measured on 512 rows: texel
// 9.1 ms, texel8 12.3 ms)".
std::string describe(const GemmChoice& c);

// The class a GEMM's choice is kept for: N, K, nblocks, epilogue family, x layout, precision
// (fp32: the only one with a choice) and the rows' bucket, the next power of two from 256 to
// 65536 ("N=2304 K=768 nb=1 none token-major fp32 M<=4096").
std::string gemm_shape_class(const ops::GemmShape& s);

// Rows one GEMM candidate is timed on: the bucket's rows, capped so that one timed GEMM is at
// most 2^28 multiply-adds on a CPU device (10-30 ms on lavapipe) and 2^30 on a GPU (~0.1-2 ms),
// but at least 512 rows (or the bucket's, when fewer), in whole 128-row tiles: on fewer rows
// the largest tiles run half empty and the timing favours the small ones (measured on lavapipe:
// 64 timed rows chose 8 x 8 texel tiles for in_linear, which run 1.4x slower at 2048 rows).
std::uint32_t gemm_timed_rows(const ops::GemmShape& s, bool cpu_device);

// kernel_choice.json: {"format": 1, "entries": [{device_uuid, driver_version, kernels, n, rows,
// backend, ours_ms, vkfft_ms} or {device_uuid, driver_version, kernels, gemm, rows, kernel, ms},
// ...]}. Reads are forgiving (anything malformed is skipped, a file
// that does not parse counts as empty); writes merge with what is on disk and are atomic (temp
// file + rename). A write that fails is reported by store()'s return value, never thrown.
class KernelChoiceFile {
 public:
  explicit KernelChoiceFile(std::filesystem::path path) : path_(std::move(path)) {}
  const std::filesystem::path& path() const { return path_; }
  // The recorded choice for (key, n, rows), if any.
  std::optional<FftChoice> find(const ChoiceKey& key, std::uint32_t n, std::uint32_t rows) const;
  // Adds or replaces the entry; "" on success, else why the file could not be written.
  std::string store(const ChoiceKey& key, const FftChoice& choice) const;
  // The same for GEMM shape classes.
  std::optional<GemmChoice> find_gemm(const ChoiceKey& key, const std::string& shape) const;
  std::string store_gemm(const ChoiceKey& key, const GemmChoice& choice) const;

 private:
  std::filesystem::path path_;
};

// Rows one candidate is timed on for FFT size n and `channels` channels: all channels, capped so
// that one timed convolution touches at most 2^21 floats per buffer (bounded on any device).
std::uint32_t timed_rows(std::uint32_t n, std::uint32_t channels);

// Decides the backend per FFT size on one context (not thread-safe: the GPU model calls it under
// its own lock). `ours` are the options the model's own FFT op runs with (test hooks included).
class FftBackendChooser {
 public:
  // Throws ops::FftConvError for KernelPolicy::VkFFT in a build without VkFFT.
  FftBackendChooser(host::Context& ctx, KernelPolicy policy, ops::FftConvOptions ours,
                    std::optional<std::filesystem::path> cache_file);
  // The backend for FFT size n with `channels` channels per row block.
  ops::FftBackend choose(std::uint32_t n, std::uint32_t channels);
  // Every decision so far, in the order made.
  const std::vector<FftChoice>& choices() const { return made_; }
  // Milliseconds each candidate may spend in timed repetitions (after its warm-up).
  void set_budget_ms(double ms) { budget_ms_ = ms; }

 private:
  FftChoice measure(std::uint32_t n, std::uint32_t channels);

  host::Context& ctx_;
  KernelPolicy policy_;
  ops::FftConvOptions ours_;
  std::optional<KernelChoiceFile> file_;
  ChoiceKey key_;
  double budget_ms_ = 150;
  std::map<std::uint32_t, ops::FftBackend> by_n_;
  std::vector<FftChoice> made_;
};

// Decides the fp32 GEMM kernel family per shape class on one context (not thread-safe: the GPU
// model calls it under its own lock, from GemmOptions::choose_kernel). Under Auto the valid
// candidates (ops::gemm_kernel_candidates) are timed (GPU timestamps where available) once per
// class on scratch buffers (a warm-up each, then up to 3 repetitions within the budget) unless
// the file has the class; the winner is kept in memory and recorded in the file. A forced
// kernel is returned as is.
class GemmChooser {
 public:
  // Throws ops::OpError when `forced` cannot run on the device (gemm_kernel_missing).
  GemmChooser(host::Context& ctx, ops::GemmKernel forced, std::optional<std::filesystem::path> cache_file);
  ops::GemmKernel choose(const ops::GemmShape& shape);
  // Every decision so far, in the order made.
  const std::vector<GemmChoice>& choices() const { return made_; }
  // Milliseconds each candidate may spend in timed repetitions (after its warm-up).
  void set_budget_ms(double ms) { budget_ms_ = ms; }
  // The candidates under Auto on this device (one when forced).
  const std::vector<ops::GemmKernel>& candidates() const { return candidates_; }

 private:
  GemmChoice measure(const ops::GemmShape& shape);

  host::Context& ctx_;
  ops::GemmKernel forced_;
  std::vector<ops::GemmKernel> candidates_;
  std::optional<KernelChoiceFile> file_;
  ChoiceKey key_;
  double budget_ms_ = 60;
  std::map<std::string, ops::GemmKernel> by_class_;
  std::vector<GemmChoice> made_;
};

}  // namespace m2vk::gpu
