// GPU FFT long convolution (M2-BERT's Hyena long conv, architecture doc 3.3.1 and 3.5), fused
// with the D skip term and the gating multiplies around it.
//
// For every row (b, c) of a (B, C, L) signal x:
//   xg[t]   = x[b,c,t] * a[b,c,t]                       (a: optional pre-gate, else 1)
//   conv[t] = sum_{s<=t} kf[c,t-s] xg[s] + sum_{s>t} kr[c,s-t-1] xg[s]   (kr: bidirectional only)
//   y[t]    = (conv[t] + D[c] xg[t]) * g[b,c,t]          (D, g optional)
//   out[b,c,t] = y[t]   or   out[b,c,t] += y[t]         (accumulate)
// so the M2 mixer  m_in = (LongConv1(x1*v) + D1*x1*v) * x2 + LongConv2(u) + D2*u  is two calls:
//   1. out = LongConv2(u) + D2*u                    (x = u read token-major (B, L, H))
//   2. out += (LongConv1(v*x1) + D1*v*x1) * x2      (x = v, a = x1, g = x2 channel-major (B, H, L))
// with `out` token-major (B, L, H), the layout the out-projection GEMM reads.
//
// Layout: every tensor is a FftTensor view: element (b, c, t) at float index b*sb + c*sc + t*st
// from the start of its range, so channel-major (B, C, L) and token-major (B, L, C) tensors are
// read and written in place, without transposes. x, a and g must share strides (not ranges).
//
// Algorithm (src/ops/README-fft.md): FFT size N >= 2L (power of two), real rows through the
// half-length complex trick (N/2-point complex FFTs), radix-4/2 Stockham FFTs in shared memory.
// When N/2 fits one workgroup's shared memory the whole op is ONE dispatch (load, FFT, multiply by
// the filter spectrum, inverse FFT, epilogue); larger N use a three-pass four-step decomposition
// (columns -> rows with the spectrum product -> inverse columns) through a scratch buffer, with
// the transposes folded into the passes' loads and stores.
//
// Filter spectra (FFT of the combined kernel K of size N, times 1/N) are computed on the GPU once
// per (filter, N) and kept by SpectrumCache within a byte budget.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "m2vk/host/host.hpp"

namespace m2vk::ops {

// Bad arguments to the FFT convolution ops (shapes, sizes, strides, device limits).
struct FftConvError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A (B, C, L) float tensor inside a buffer: element (b, c, t) at float index
// b*sb + c*sc + t*st from range.offset. Strides are in floats.
struct FftTensor {
  host::BufferRange range;
  std::uint64_t sb = 0, sc = 0, st = 1;

  // Contiguous (B, C, L): the short conv's x1, x2, v.
  static FftTensor channel_major(const host::BufferRange& r, std::uint32_t channels, std::uint32_t len) {
    return {r, std::uint64_t(channels) * len, len, 1};
  }
  // Contiguous (B, L, C): the layer input u, the mixer output.
  static FftTensor token_major(const host::BufferRange& r, std::uint32_t channels, std::uint32_t len) {
    return {r, std::uint64_t(channels) * len, 1, channels};
  }
};

enum class FftBackend {
  Ours,   // the fused kernels of this file
  VkFFT,  // VkFFT R2C + our pointwise product + VkFFT C2R (baseline / cross-check)
};

// Smallest power-of-two FFT size that gives the exact linear convolution of length len (>= 2).
std::uint32_t fft_size_for(std::uint32_t len);

// How a transform of size N runs on a device (fft_conv_plan.cpp).
struct FftPlan {
  std::uint32_t n = 0;      // FFT size (real points)
  std::uint32_t m1 = 1;     // four-step rows; 1 = single pass
  std::uint32_t m2 = 0;     // four-step columns (single pass: N/2)
  std::uint32_t cols = 0;   // four-step: columns per workgroup in the column passes; single: rows per workgroup
  std::uint32_t smem = 0;   // complex values of shared memory per workgroup (variant suffix)
  bool reg = false;         // single pass through the register/subgroup kernel (fft_conv_reg.comp)
  bool wide = false;        // reg in its one-row-per-subgroup form (fft_conv_regw.comp), same spectrum layout
  std::uint32_t lanes = 0;  // reg: the lane count S the variant's subgroup DFTs were compiled for (wide: 8, or 4 = 8-lane groups split over two subgroups)
  bool single_pass() const { return m1 == 1; }
  std::uint32_t half() const { return n / 2; }
  // Bytes of one channel's filter spectrum (and of one row of four-step scratch): N/2 complex
  // values, or for the register kernel N/4 + 1 (S + T, S - T) pairs (shaders/include/fft_r2c.glsl):
  // either way about the N/2 + 1 complex bins a real filter's spectrum needs.
  std::uint64_t spec_row_bytes() const { return reg ? (std::uint64_t(half()) / 2 + 1) * 16 : std::uint64_t(half()) * 8; }
};

// The plan for FFT size n on a device with these limits. Throws FftConvError when n is not a
// power of two >= 2 or exceeds what the kernels support there (largest: fft_max_size()).
// max_single (test hook, 0 = off): run N/2 > max_single through the four-step passes with rows
// of at most max_single / 2, so small sizes exercise every multi-pass code path.
// register_kernel: use the register/subgroup kernel where it applies (subgroup size 4, 8 or 16,
// max_single off: 256 <= N/2 <= 8192; and N/2 = 32768 in its wide form at subgroups of 4, 8 and 16);
// false runs the shared-memory kernels (test hook). wide_register (test hook): the wide form wherever it is
// compiled (N/2 = 2048 and 32768), so tests run its code at a small size.
FftPlan make_fft_plan(std::uint32_t n, const host::Limits& limits, std::uint32_t max_single = 0,
                      bool register_kernel = true, bool wide_register = false);
// Largest FFT size make_fft_plan accepts on this device.
std::uint32_t fft_max_size(const host::Limits& limits);

// The shader variants FftConv dispatches for a plan (fft_conv_plan.cpp): the single-pass kernel,
// or the four-step passes (columns forward, rows with the spectrum product, columns inverse;
// spectrum mode has no inverse pass). The one place these names are made: record and warm_up
// dispatch them, the forward-pass planner lists them.
struct FftKernels {
  std::string single;                      // single pass (plan.single_pass())
  std::string cols_fwd, rows, cols_inv;    // four-step; cols_inv empty in spectrum mode
  std::vector<std::string> all() const;    // the non-empty names
};
FftKernels fft_kernels(const FftPlan& plan, bool spectrum_mode);

// The plan a VkFFT spectrum of FFT size n carries (VkFFT records only n), and the bytes one
// channel of a spectrum takes with either backend: FftPlan::spec_row_bytes() for ours, VkFFT's
// R2C row (n/2 + 1 complex values) for VkFFT.
FftPlan vkfft_spectrum_plan(std::uint32_t n);
std::uint64_t spectrum_row_bytes(const FftPlan& plan, FftBackend backend);

// Filter spectra of C channels at FFT size N on the GPU: C * N/2 complex values (8 bytes each)
// in the plan's layout (single pass: natural order k; four-step: [k1][k2] with k = k1 + m1*k2;
// slot 0 packs the two real bins K[0] and K[N/2]), already scaled by 1/N; register kernel
// (plan.reg): C * (N/4 + 1) vec4 entries (shaders/include/fft_r2c.glsl, fold_coeffs). VkFFT spectra use
// VkFFT's R2C layout, C * (N/2 + 1) complex values, unscaled.
struct FilterSpectrum {
  FftBackend backend = FftBackend::Ours;
  FftPlan plan;
  std::uint32_t channels = 0;
  std::uint32_t len = 0;       // filter length L the spectrum was built from
  bool bidirectional = false;
  host::Buffer buffer;
  std::uint64_t bytes() const { return buffer.size(); }
};

// The filters of one Hyena filter at length L: kf, kr with element (c, t) at c * stride +
// t * tap_stride: channel-major (C, stride) rows by default, or token-major (L, C) planes
// (stride 1, tap_stride C, as record_hyena_filter writes them); the first L taps of each
// channel are used (filters of a shorter length are prefixes of longer ones, so a table
// computed for Lmax serves every L).
struct FilterInput {
  host::BufferRange kf;
  std::optional<host::BufferRange> kr;  // absent: causal (unidirectional)
  std::uint32_t channels = 0;
  std::uint32_t len = 0;
  std::uint32_t stride = 0;      // floats between channels; 0 = len (channel-major rows)
  std::uint32_t tap_stride = 1;  // floats between consecutive taps of a channel

  // Token-major planes (L, C) of C channels at length L.
  static FilterInput token_major(const host::BufferRange& kf, std::optional<host::BufferRange> kr, std::uint32_t channels,
                                 std::uint32_t len) {
    return {kf, kr, channels, len, 1, channels};
  }
};

struct FftConvArgs {
  std::uint32_t batch = 1, channels = 0, len = 0;
  FftTensor x;
  std::optional<FftTensor> pregate;   // a
  std::optional<FftTensor> postgate;  // g
  FftTensor out;
  bool accumulate = false;
  std::optional<host::BufferRange> d;  // (C) skip gains
  const FilterSpectrum* spectrum = nullptr;  // from FftConv::spectrum / SpectrumCache
};

class VkFftConv;  // vkfft_conv.hpp

// Keeps spectra by (key, N, backend) within a byte budget, least recently used evicted first.
// Entries are shared_ptrs: an evicted spectrum stays alive while a caller holds it (keep it until
// the recorder that uses it has been submitted).
class SpectrumCache {
 public:
  explicit SpectrumCache(std::uint64_t budget_bytes) : budget_(budget_bytes) {}
  std::shared_ptr<const FilterSpectrum> find(const std::string& key, std::uint32_t n, FftBackend backend);
  // Inserts, then evicts least recently used entries (never the new one) until within budget.
  void insert(const std::string& key, std::shared_ptr<const FilterSpectrum> spectrum);
  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t budget() const { return budget_; }
  std::size_t size() const { return entries_.size(); }
  std::uint64_t evictions() const { return evictions_; }
  void clear();

 private:
  struct Entry {
    std::string key;
    std::uint32_t n;
    FftBackend backend;
    std::shared_ptr<const FilterSpectrum> spectrum;
  };
  std::uint64_t budget_;
  std::uint64_t bytes_ = 0;
  std::uint64_t evictions_ = 0;
  std::list<Entry> entries_;  // front = most recently used
};

struct FftConvOptions {
  FftBackend backend = FftBackend::Ours;
  // When set, the backend per FFT size n (for rows of `channels` channels), asked once per
  // spectrum computed; spectra carry their backend and record() runs the one that made them.
  // (m2vk::gpu::FftBackendChooser times both at first use.) Unset: `backend` everywhere.
  std::function<FftBackend(std::uint32_t n, std::uint32_t channels)> choose_backend;
  std::uint64_t spectrum_budget_bytes = 1ull << 30;
  std::uint32_t max_single = 0;  // test hook passed to make_fft_plan
  bool register_kernel = true;   // test hook passed to make_fft_plan
  bool wide_register_kernel = false;  // test hook passed to make_fft_plan (wide_register)
};

// The op. Owns the four-step scratch buffer, the spectrum cache and (VkFFT backend) the plans.
// Everything is recorded into the caller's recorder; nothing is submitted here.
class FftConv {
 public:
  FftConv(host::Context& ctx, FftConvOptions options = {});
  ~FftConv();
  FftConv(const FftConv&) = delete;
  FftConv& operator=(const FftConv&) = delete;

  FftBackend backend() const { return options_.backend; }
  // The backend spectra of FFT size n are made with (options.choose_backend, else backend()).
  FftBackend backend_for(std::uint32_t n, std::uint32_t channels);
  SpectrumCache& cache() { return cache_; }
  // Device bytes of the four-step scratch this op holds (for memory reports).
  std::uint64_t scratch_bytes() const;

  // The spectrum of `filter` at FFT size n (0: fft_size_for(filter.len)) from the cache, or
  // recorded into rec (the filter buffers must then hold their values when rec is submitted)
  // and cached under `key`. key names the filter (e.g. "layer3.filter_fn2"); the same key must
  // always mean the same filter values.
  std::shared_ptr<const FilterSpectrum> spectrum(host::CommandRecorder& rec, const std::string& key,
                                                 const FilterInput& filter, std::uint32_t n = 0);
  // The same without the cache: always records a new spectrum.
  std::shared_ptr<FilterSpectrum> compute_spectrum(host::CommandRecorder& rec, const FilterInput& filter,
                                                   std::uint32_t n = 0);

  // Records the convolution. Throws FftConvError for inconsistent arguments (names the field).
  void record(host::CommandRecorder& rec, const FftConvArgs& args);

  // Creates the pipelines (VkFFT: the plan) the backend needs for FFT size n ahead of use.
  void warm_up(std::uint32_t n);

  // How this op runs FFT size n on its device (our backend's plan; VkFFT spectra carry only n).
  FftPlan plan_for(std::uint32_t n) const;
  // The plan a spectrum of FFT size n made by `backend` carries (plan_for(n) for ours).
  FftPlan spectrum_plan(std::uint32_t n, FftBackend backend) const;
  // The m2vk shader variants record (spectrum_mode false) or compute_spectrum (true) dispatch for
  // FFT size n with this backend (VkFFT's own generated kernels are not listed).
  std::vector<std::string> pipelines(std::uint32_t n, bool spectrum_mode) const;

 private:
  bool register_kernel() const;  // options_.register_kernel and the device has subgroup shuffles
  VkFftConv& vkfft();            // created on first use
  host::BufferRange scratch(std::uint64_t bytes);
  void record_ours(host::CommandRecorder& rec, const FftConvArgs& args);

  host::Context& ctx_;
  FftConvOptions options_;
  SpectrumCache cache_;
  host::Buffer scratch_;
  std::vector<host::Buffer> retired_scratch_;  // may still be used by recorded, unsubmitted work
  std::unique_ptr<VkFftConv> vkfft_;
};

}  // namespace m2vk::ops
