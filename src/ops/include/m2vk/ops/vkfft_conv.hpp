// The VkFFT backend of FftConv (fft_conv.hpp): VkFFT's R2C, our pointwise product shader, VkFFT's
// C2R, then the same epilogue as our kernels. A baseline and cross-check, not the fast path:
// it needs five passes over the rows where our kernels need one (or three).
//
// Per (N, rows) it keeps a VkFFT plan with its own work buffer of rows * (N + 2) floats, at most
// maxStorageBufferRange bytes (VkFFT binds the whole buffer, and its multi-buffer mode is
// broken for R2C in Debian's 1.2.26), so larger batches run slice by slice. Plan creation
// compiles GLSL through glslang (100-200 ms); plans are cached for the object's lifetime.
// Built only when vkFFT.h and glslang are installed (src/ops/vkfft.cmake); otherwise the
// constructor throws FftConvError.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "m2vk/ops/fft_conv.hpp"

namespace m2vk::ops {

// True when this build contains the VkFFT backend.
bool vkfft_available();
// VkFFT's version number as its header gives it (VkFFTGetVersion: 10226 for 1.2.26); 0 without it.
int vkfft_version();

// The m2vk shader variants the VkFFT backend dispatches around VkFFT's own kernels: spectrum
// mode packs the filter; a convolution packs the input, multiplies spectra and unpacks.
inline constexpr const char* kVkfftPackKernel = "fft_vkfft_pack_kernel";
inline constexpr const char* kVkfftPack = "fft_vkfft_pack";
inline constexpr const char* kVkfftMul = "fft_vkfft_mul";
inline constexpr const char* kVkfftUnpack = "fft_vkfft_unpack";
inline std::vector<std::string> vkfft_pipelines(bool spectrum_mode) {
  if (spectrum_mode) return {kVkfftPackKernel};
  return {kVkfftPack, kVkfftMul, kVkfftUnpack};
}

class VkFftConv {
 public:
  explicit VkFftConv(host::Context& ctx);
  ~VkFftConv();
  VkFftConv(const VkFftConv&) = delete;
  VkFftConv& operator=(const VkFftConv&) = delete;

  // Spectrum (C, N/2 + 1) complex in VkFFT's R2C layout, unscaled.
  std::shared_ptr<FilterSpectrum> compute_spectrum(host::CommandRecorder& rec, const FilterInput& filter,
                                                   std::uint32_t n);
  void record(host::CommandRecorder& rec, const FftConvArgs& args);
  // Creates the plan for the largest slice of n-point rows (what record() would create first).
  void warm_up(std::uint32_t n);

  struct Plan;

 private:
  // The plan for rows of n points, `rows` per slice.
  Plan& plan(std::uint32_t n, std::uint32_t rows);
  std::uint32_t max_rows(std::uint32_t n) const;

  host::Context& ctx_;
  struct Vk;  // command pool and fence VkFFT needs for its own uploads
  std::unique_ptr<Vk> vk_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::unique_ptr<Plan>> plans_;
};

}  // namespace m2vk::ops
