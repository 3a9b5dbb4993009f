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
// Register-kernel variants compiled (fft_conv_reg_s<S>_m<M>, fft_spectrum_reg_s<S>_m<M>; the
// reg_variants table of shaders/variants/fft_conv.cmake, keep both equal): subgroups of S lanes,
// M = A * R * S, workgroups of R * S invocations, M complex values of shared memory in P phases.
struct RegVariant {
  std::uint32_t lanes, r, a, phases;
  constexpr std::uint32_t m() const { return a * r * lanes; }
  constexpr std::uint32_t workgroup() const { return r * lanes; }
  constexpr std::uint64_t shared_bytes() const { return std::uint64_t(m()) * 8 / phases; }
};
constexpr RegVariant kRegVariants[] = {
    {8, 4, 8, 1},  {8, 4, 16, 1},  {8, 8, 16, 1},  {8, 8, 32, 1},  {8, 16, 32, 1},  {8, 16, 64, 2},
    {4, 4, 16, 1}, {4, 8, 16, 1},  {4, 8, 32, 1},  {4, 16, 32, 1}, {4, 16, 64, 1}, {4, 32, 64, 2},
    {16, 2, 8, 1}, {16, 4, 8, 1},  {16, 4, 16, 1}, {16, 8, 16, 1}, {16, 8, 32, 1},  {16, 8, 64, 2},
};
// Wide register kernel (fft_conv_regw_s<8|4>_m*): lane groups of 8, M = 8 R^2 with R = 16 (tests
// only) and 64, workgroups of R * 8 invocations, 32 KiB of shared memory at M = 32768 (4 KiB at
// M = 2048). The s8 variants run on subgroups of 8 and 16 (two lane groups per subgroup,
// fft_reg.glsl), the s4 ones on subgroups of 4 (a lane group is two subgroups).
constexpr std::uint32_t kRegWideM = 32768, kRegWideTestM = 2048;
bool wide_subgroup(std::uint32_t subgroup) { return subgroup == 4 || subgroup == 8 || subgroup == 16; }

const RegVariant* reg_variant(std::uint32_t m, std::uint32_t subgroup) {
  for (const RegVariant& v : kRegVariants)
    if (v.m() == m && v.lanes == subgroup) return &v;
  return nullptr;
}

std::uint32_t pick_smem(const host::Limits& limits) {
  for (const SmemVariant& v : kSmemVariants)
    if (std::uint64_t(v.smem) * 8 <= limits.max_shared_memory && v.workgroup <= limits.max_workgroup_invocations)
      return v.smem;
  throw FftConvError("FFT convolution: device shared memory " + std::to_string(limits.max_shared_memory) +
                     " bytes or workgroups of " + std::to_string(limits.max_workgroup_invocations) +
                     " invocations are below the smallest kernel variant (" + std::to_string(kSmemVariants[1].smem * 8) +
                     " bytes, " + std::to_string(kSmemVariants[1].workgroup) + " invocations)");
}

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
  // The register kernels (fft_conv_reg.comp, fft_conv_regw.comp) run their lane DFTs across
  // subgroups of a compiled lane count S (lavapipe: 4, 8, 16; some Intel GPUs); one row per
  // workgroup, single pass. Other subgroup sizes (NVIDIA 32, AMD 32/64) take the shared-memory
  // kernels below.
  const bool reg = register_kernel && max_single == 0;
  const std::uint32_t sg = limits.subgroup_size;
  if (reg && wide_subgroup(sg) && (m == kRegWideM || (wide_register && m == kRegWideTestM))) {
    std::uint32_t r = m == kRegWideM ? 64 : 16;
    if (limits.max_workgroup_invocations >= r * 8 && limits.max_shared_memory >= (m == kRegWideM ? 32768u : 4096u)) {
      p.m1 = 1;
      p.m2 = m;
      p.cols = 1;
      p.reg = p.wide = true;
      p.lanes = sg == 4 ? 4 : 8;  // the variant's name: s4 splits each lane group over two subgroups
      return p;
    }
  }
  const RegVariant* v = reg ? reg_variant(m, sg) : nullptr;
  if (v && v->shared_bytes() <= limits.max_shared_memory && v->workgroup() <= limits.max_workgroup_invocations) {
    p.m1 = 1;
    p.m2 = m;
    p.cols = 1;
    p.reg = true;
    p.lanes = v->lanes;
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
    k.single = std::string(spectrum_mode ? "fft_spectrum_reg" : "fft_conv_reg") + (plan.wide ? "w" : "") + "_s" +
               std::to_string(plan.lanes) + "_m" + n;
  } else if (plan.single_pass()) {
    k.single = std::string(spectrum_mode ? "fft_spectrum_single" : "fft_conv_single") + sfx;
  } else {
    k.cols_fwd = std::string(spectrum_mode ? "fft_cols_fwd_kernel" : "fft_cols_fwd") + sfx;
    k.rows = std::string(spectrum_mode ? "fft_rows_spectrum" : "fft_rows_conv") + sfx;
    if (!spectrum_mode) k.cols_inv = "fft_cols_inv" + sfx;
  }
  return k;
}

FftPlan vkfft_spectrum_plan(std::uint32_t n) {
  FftPlan p;
  p.n = n;
  p.m2 = n / 2;
  return p;
}

std::uint64_t spectrum_row_bytes(const FftPlan& plan, FftBackend backend) {
  return backend == FftBackend::Ours ? plan.spec_row_bytes() : (std::uint64_t(plan.n) + 2) * 4;
}

}  // namespace m2vk::ops
