// Run-time choice where more than one implementation is valid (issue 13, item 4): the long
// convolution through our FFT kernels or through VkFFT. Under KernelPolicy::Auto, the first use
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
  std::string kernels;  // choice_kernels(): kernels_identity() and the subgroup size
};

// Hash of every shipped SPIR-V variant and VkFFT's version (0: not built in): a new build of the
// kernels, or another VkFFT, invalidates recorded choices.
std::string kernels_identity();
// The kernels part of a ChoiceKey on a device: kernels_identity() and its subgroup size (one
// lavapipe runs at subgroups of 4, 8 or 16 under one UUID, with other kernels and other winners).
std::string choice_kernels(const host::DeviceInfo& info);

// kernel_choice.json: {"format": 1, "entries": [{device_uuid, driver_version, kernels, n, rows,
// backend, ours_ms, vkfft_ms}, ...]}. Reads are forgiving (anything malformed is skipped, a file
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

}  // namespace m2vk::gpu
