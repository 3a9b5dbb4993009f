// How GpuModel evaluates the Hyena filters its FFT spectra are built from (gpu_model.cpp), shared
// with the pipeline planner (pipeline_plan.cpp) so it plans the dispatches that really run.
#pragma once

#include <algorithm>
#include <cstdint>

#include "m2vk/ops/fft_conv.hpp"
#include "m2vk/ops/hyena_filter.hpp"

namespace m2vk::gpu {

// Token-major (L, H) planes: the filter GEMM's rows are contiguous (vectorised stores), and the
// spectrum kernels read either layout.
inline constexpr ops::FilterLayout kSpectrumFilterLayout = ops::FilterLayout::TokenMajor;

// The filter length the spectra of a pass at length L are built from: the longest length their
// FFT size serves (N/2, within the filter table of lmax lags), so one spectrum serves every later
// length of that FFT size. Exact: taps beyond L only reach the discarded outputs >= L (N >= 2L).
inline std::uint32_t spectrum_filter_length(std::uint32_t L, std::uint32_t lmax) {
  return std::max(L, std::min(ops::fft_size_for(L) / 2, lmax));
}

}  // namespace m2vk::gpu
