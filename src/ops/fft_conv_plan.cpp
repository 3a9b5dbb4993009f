// FFT size -> kernel geometry: which shared-memory variant, single pass or four-step, and the
// four-step split M = m1 * m2.
#include <bit>
#include <string>
#include <vector>

#include "m2vk/ops/fft_conv.hpp"

namespace m2vk::ops {

namespace {

// Shared-memory variants compiled in shaders/variants/fft_conv.cmake (complex values; 8 bytes
// each) and their workgroup sizes (FFT_WG; s2048, the variant for devices at Vulkan's minimum
// shared memory, also fits its minimum of 128 invocations).
struct SmemVariant {
  std::uint32_t smem, workgroup;
};
constexpr SmemVariant kSmemVariants[] = {{4096, 256}, {2048, 128}};
// Register-kernel sizes M = N/2 compiled (fft_conv_reg_m*, fft_spectrum_reg_m*).
constexpr std::uint32_t kRegMinM = 256, kRegMaxM = 8192;
// Wide register kernel (fft_conv_regw_m*): M = 8 R^2 with R = 16 (tests only) and 64, workgroups
// of R * 8 invocations, 32 KiB of shared memory at M = 32768 (4 KiB at M = 2048).
constexpr std::uint32_t kRegWideM = 32768, kRegWideTestM = 2048;

std::uint32_t pick_smem(const host::Limits& limits) {
  for (const SmemVariant& v : kSmemVariants)
    if (std::uint64_t(v.smem) * 8 <= limits.max_shared_memory && v.workgroup <= limits.max_workgroup_invocations)
      return v.smem;
  throw FftConvError("FFT convolution: device shared memory " + std::to_string(limits.max_shared_memory) +
                     " bytes or workgroups of " + std::to_string(limits.max_workgroup_invocations) +
                     " invocations are below the smallest kernel variant (" + std::to_string(kSmemVariants[1].smem * 8) +
                     " bytes, " + std::to_string(kSmemVariants[1].workgroup) + " invocations)");
}

// Workgroup size R * 8 of the register kernel for M = A * R * 8, as compiled: (R, A) = (4, 8),
// (4, 16), (8, 16), (8, 32), (16, 32), (16, 64) for M = 256 .. 8192.
std::uint32_t reg_workgroup(std::uint32_t m) { return (m <= 512 ? 4 : m <= 2048 ? 8 : 16) * 8; }
// Its shared memory: M complex values, in two phases above 4096 (32 KiB for M = 8192).
std::uint64_t reg_shared_bytes(std::uint32_t m) { return std::uint64_t(m) * 8 / (m > 4096 ? 2 : 1); }

}  // namespace

std::uint32_t fft_size_for(std::uint32_t len) {
  if (len == 0) throw FftConvError("fft_size_for: length 0");
  if (len > (1u << 30)) throw FftConvError("fft_size_for: length " + std::to_string(len) + " too large");
  return std::bit_ceil(2 * len);
}

std::uint32_t fft_max_size(const host::Limits& limits) {
  std::uint64_t smem = pick_smem(limits);
  // four-step: m2 = smem/2 per row pass, m1 <= smem columns' length, so M <= smem^2 / 2;
  // one row of scratch (M complex) must fit one binding.
  std::uint64_t m = smem * smem / 2;
  while (m * 8 > limits.max_storage_range) m /= 2;
  return static_cast<std::uint32_t>(2 * m);
}

FftPlan make_fft_plan(std::uint32_t n, const host::Limits& limits, std::uint32_t max_single, bool register_kernel,
                      bool wide_register) {
  if (n < 2 || !std::has_single_bit(n))
    throw FftConvError("FFT convolution: FFT size " + std::to_string(n) + " is not a power of two >= 2");
  std::uint32_t max_n = fft_max_size(limits);
  if (n > max_n)
    throw FftConvError("FFT convolution: FFT size " + std::to_string(n) + " exceeds the largest this device supports (" +
                       std::to_string(max_n) + ")");
  FftPlan p;
  p.n = n;
  p.smem = pick_smem(limits);
  std::uint32_t m = n / 2;
  std::uint32_t single_limit = p.smem;
  if (max_single != 0) single_limit = std::min(single_limit, std::max<std::uint32_t>(max_single, 4));
  // The register kernel (fft_conv_reg.comp) is written for subgroups of 8 lanes (lavapipe,
  // some Intel GPUs); M = A * R * 8 with the (R, A) variants of shaders/variants/fft_conv.cmake,
  // one row per workgroup of M / A invocations, M complex values of shared memory.
  bool sg8 = register_kernel && max_single == 0 && limits.subgroup_size == 8;
  if (sg8 && (m == kRegWideM || (wide_register && m == kRegWideTestM))) {
    std::uint32_t r = m == kRegWideM ? 64 : 16;
    if (limits.max_workgroup_invocations >= r * 8 && limits.max_shared_memory >= (m == kRegWideM ? 32768u : 4096u)) {
      p.m1 = 1;
      p.m2 = m;
      p.cols = 1;
      p.reg = p.wide = true;
      return p;
    }
  }
  if (sg8 && m >= kRegMinM && m <= kRegMaxM &&
      reg_shared_bytes(m) <= limits.max_shared_memory && limits.max_workgroup_invocations >= reg_workgroup(m)) {
    p.m1 = 1;
    p.m2 = m;
    p.cols = 1;
    p.reg = true;
    return p;
  }
  if (m <= single_limit) {
    p.m1 = 1;
    p.m2 = m;
    p.cols = p.smem / m;  // rows per workgroup
    if (max_single != 0) p.cols = 1;  // test hook: also exercise one row per workgroup
    return p;
  }
  // The row pass holds two rows of m2 in shared memory; longer rows mean fewer, longer
  // column FFTs and wider column tiles (coalesced loads).
  p.m2 = std::min(p.smem / 2, single_limit / 2);
  p.m1 = m / p.m2;
  p.cols = std::min(p.smem / p.m1, p.m2);
  if (p.cols == 0 || p.m1 < 2)
    throw FftConvError("FFT convolution: no four-step split for FFT size " + std::to_string(n));
  return p;
}

std::vector<std::string> FftKernels::all() const {
  std::vector<std::string> out;
  for (const std::string* s : {&single, &cols_fwd, &rows, &cols_inv})
    if (!s->empty()) out.push_back(*s);
  return out;
}

FftKernels fft_kernels(const FftPlan& plan, bool spectrum_mode) {
  FftKernels k;
  const std::string n = std::to_string(plan.half()), sfx = "_s" + std::to_string(plan.smem);
  if (plan.reg) {
    k.single = std::string(spectrum_mode ? "fft_spectrum_reg" : "fft_conv_reg") + (plan.wide ? "w_m" : "_m") + n;
  } else if (plan.single_pass()) {
    k.single = std::string(spectrum_mode ? "fft_spectrum_single" : "fft_conv_single") + sfx;
  } else {
    k.cols_fwd = std::string(spectrum_mode ? "fft_cols_fwd_kernel" : "fft_cols_fwd") + sfx;
    k.rows = std::string(spectrum_mode ? "fft_rows_spectrum" : "fft_rows_conv") + sfx;
    if (!spectrum_mode) k.cols_inv = "fft_cols_inv" + sfx;
  }
  return k;
}

}  // namespace m2vk::ops
