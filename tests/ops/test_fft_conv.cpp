// GPU FFT long convolution (src/ops/fft_conv.cpp) against a double-precision CPU reference:
// direct O(L^2) sums for L <= 2048, a double FFT (m2vk::ref::Fft, an independent radix-2 code)
// for longer rows. Every code path: single dispatch, four-step (forced small through the
// max_single hook, and the real large sizes), causal and bidirectional, odd/even L, L = 1,
// L = N/2, batch > 1, token-/channel-major layouts, pre-/post-gating, D, accumulate, and the
// VkFFT backend as a second implementation.
//
// Error bound: max|gpu - ref| / max|ref| <= kC * log2(N) * 1e-7 per case (fp32 FFT rounding grows
// with the number of stages; kC = 3 leaves 4-10x margin over what lavapipe shows).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <complex>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "m2vk/ops/fft_conv.hpp"
#include "m2vk/ops/vkfft_conv.hpp"
#include "m2vk/ref/fft.hpp"
#include "m2vk/shaders.hpp"
#include "vk_test.hpp"

namespace m2vk {
namespace {

using ops::FftBackend;

constexpr double kC = 3.0;

double bound_for(std::uint32_t n) { return kC * std::log2(double(n)) * 1e-7; }

struct Case {
  std::uint32_t batch = 1, channels = 2, len = 16;
  std::uint32_t n = 0;  // 0: fft_size_for(len)
  bool bidir = true;
  bool pregate = false, postgate = false, d = false, accumulate = false;
  bool in_token_major = false, out_token_major = false;
  std::uint32_t max_single = 0;
  bool register_kernel = true;  // false: the shared-memory single-pass kernel even where the register one applies
  bool wide_register = false;   // the wide register kernel at every size it is compiled for (N/2 = 2048)
  FftBackend backend = FftBackend::Ours;
  std::uint32_t filter_stride_pad = 0;  // kf/kr rows longer than len (prefix use)
  bool filter_token_major = false;  // kf/kr as (L, C) planes (FilterInput::token_major)
};

std::string describe(const Case& c) {
  return "B" + std::to_string(c.batch) + " C" + std::to_string(c.channels) + " L" + std::to_string(c.len) + " N" +
         std::to_string(c.n) + (c.bidir ? " bidir" : " causal") + (c.max_single ? " forced-four-step" : "") +
         (c.register_kernel ? "" : " shared-memory") + (c.wide_register ? " wide" : "") +
         (c.backend == FftBackend::VkFFT ? " vkfft" : "") + (c.filter_token_major ? " token-major filter" : "");
}

// conv[b][c][t] in double for channel-major x (B, C, L), kf/kr (C, stride).
std::vector<double> reference_conv(const std::vector<double>& x, std::uint32_t B, std::uint32_t C, std::uint32_t L,
                                   const std::vector<float>& kf, const std::vector<float>* kr, std::uint32_t stride) {
  std::vector<double> y(x.size(), 0.0);
  if (L <= 2048) {
    for (std::uint32_t b = 0; b < B; ++b)
      for (std::uint32_t c = 0; c < C; ++c) {
        const double* xr = &x[(std::size_t(b) * C + c) * L];
        double* yr = &y[(std::size_t(b) * C + c) * L];
        for (std::uint32_t t = 0; t < L; ++t) {
          double s = 0;
          for (std::uint32_t u = 0; u <= t; ++u) s += double(kf[std::size_t(c) * stride + t - u]) * xr[u];
          if (kr)
            for (std::uint32_t u = t + 1; u < L; ++u) s += double((*kr)[std::size_t(c) * stride + u - t - 1]) * xr[u];
          yr[t] = s;
        }
      }
    return y;
  }
  // Double FFT of size n >= 2L with the reverse filter wrapped to the end (architecture doc 3.5).
  std::size_t n = ref::conv_fft_size(L) * 2;
  ref::Fft fft(n);
  std::vector<std::complex<double>> K(n), X(n);
  for (std::uint32_t c = 0; c < C; ++c) {
    std::fill(K.begin(), K.end(), 0.0);
    for (std::uint32_t t = 0; t < L; ++t) K[t] = kf[std::size_t(c) * stride + t];
    if (kr)
      for (std::uint32_t d = 1; d < L; ++d) K[n - d] = (*kr)[std::size_t(c) * stride + d - 1];
    fft.forward(K.data());
    for (std::uint32_t b = 0; b < B; ++b) {
      const double* xr = &x[(std::size_t(b) * C + c) * L];
      std::fill(X.begin(), X.end(), 0.0);
      for (std::uint32_t t = 0; t < L; ++t) X[t] = xr[t];
      fft.forward(X.data());
      for (std::size_t k = 0; k < n; ++k) X[k] *= K[k];
      fft.inverse(X.data());
      double* yr = &y[(std::size_t(b) * C + c) * L];
      for (std::uint32_t t = 0; t < L; ++t) yr[t] = X[t].real() / double(n);
    }
  }
  return y;
}

// Channel-major (B, C, L) values <-> the layout a test case stores them in.
std::vector<float> to_layout(const std::vector<float>& cm, std::uint32_t B, std::uint32_t C, std::uint32_t L, bool token) {
  if (!token) return cm;
  std::vector<float> out(cm.size());
  for (std::uint32_t b = 0; b < B; ++b)
    for (std::uint32_t c = 0; c < C; ++c)
      for (std::uint32_t t = 0; t < L; ++t)
        out[(std::size_t(b) * L + t) * C + c] = cm[(std::size_t(b) * C + c) * L + t];
  return out;
}
std::vector<float> from_layout(const std::vector<float>& v, std::uint32_t B, std::uint32_t C, std::uint32_t L, bool token) {
  if (!token) return v;
  std::vector<float> out(v.size());
  for (std::uint32_t b = 0; b < B; ++b)
    for (std::uint32_t c = 0; c < C; ++c)
      for (std::uint32_t t = 0; t < L; ++t)
        out[(std::size_t(b) * C + c) * L + t] = v[(std::size_t(b) * L + t) * C + c];
  return out;
}

class FftConvTest : public test::VkTest {
 protected:
  struct Result {
    std::vector<float> got;     // channel-major
    std::vector<double> want;   // channel-major
    double rel_err = 0;         // max|got - want| / max|want|
    bool reg = false;           // the plan ran the register/subgroup kernel
    bool wide = false;          // ... in its wide form (fft_conv_regw.comp)
    std::uint32_t lanes = 0;    // ... compiled for subgroups of this many lanes
  };

  Result run(const Case& c, std::uint32_t seed = 1) {
    const std::uint32_t B = c.batch, C = c.channels, L = c.len;
    const std::size_t count = std::size_t(B) * C * L;
    const std::uint32_t stride = L + c.filter_stride_pad;
    auto x = test::random_floats(count, seed);
    auto a = test::random_floats(count, seed + 1, 0.5f, 1.5f);
    auto g = test::random_floats(count, seed + 2, -2.0f, 2.0f);
    auto out0 = test::random_floats(count, seed + 3);
    auto kf = test::random_floats(std::size_t(C) * stride, seed + 4);
    auto kr = test::random_floats(std::size_t(C) * stride, seed + 5);
    auto dv = test::random_floats(C, seed + 6);

    // reference
    std::vector<double> xg(count);
    for (std::size_t i = 0; i < count; ++i) xg[i] = double(x[i]) * (c.pregate ? double(a[i]) : 1.0);
    std::vector<double> want = reference_conv(xg, B, C, L, kf, c.bidir ? &kr : nullptr, stride);
    for (std::size_t i = 0; i < count; ++i) {
      std::size_t ch = (i / L) % C;
      if (c.d) want[i] += double(dv[ch]) * xg[i];
      if (c.postgate) want[i] *= double(g[i]);
      if (c.accumulate) want[i] += double(out0[i]);
    }

    // GPU
    auto bx = upload(to_layout(x, B, C, L, c.in_token_major));
    auto ba = upload(to_layout(a, B, C, L, c.in_token_major));
    auto bg = upload(to_layout(g, B, C, L, c.in_token_major));
    auto bout = upload(to_layout(out0, B, C, L, c.out_token_major));
    // Token-major filters: the first L taps of each channel as (L, C) planes.
    auto filter_layout = [&](const std::vector<float>& k) {
      if (!c.filter_token_major) return k;
      std::vector<float> tm(std::size_t(L) * C);
      for (std::size_t ch = 0; ch < C; ++ch)
        for (std::size_t t = 0; t < L; ++t) tm[t * C + ch] = k[ch * stride + t];
      return tm;
    };
    auto bkf = upload(filter_layout(kf));
    auto bkr = upload(filter_layout(kr));
    auto bd = upload(dv);

    ops::FftConvOptions opt;
    opt.backend = c.backend;
    opt.max_single = c.max_single;
    opt.register_kernel = c.register_kernel;
    opt.wide_register_kernel = c.wide_register;
    ops::FftConv op(ctx(), opt);
    auto layout = [&](const host::Buffer& buf, bool token) {
      return token ? ops::FftTensor::token_major(buf, C, L) : ops::FftTensor::channel_major(buf, C, L);
    };
    ops::FilterInput fin;
    fin.kf = bkf;
    if (c.bidir) fin.kr = bkr.range();
    fin.channels = C;
    fin.len = L;
    fin.stride = stride;
    if (c.filter_token_major) fin = ops::FilterInput::token_major(bkf, fin.kr, C, L);
    auto rec = ctx().record();
    auto spec = op.compute_spectrum(rec, fin, c.n);
    ops::FftConvArgs args;
    args.batch = B;
    args.channels = C;
    args.len = L;
    args.x = layout(bx, c.in_token_major);
    if (c.pregate) args.pregate = layout(ba, c.in_token_major);
    if (c.postgate) args.postgate = layout(bg, c.in_token_major);
    args.out = layout(bout, c.out_token_major);
    args.accumulate = c.accumulate;
    if (c.d) args.d = bd.range();
    args.spectrum = spec.get();
    op.record(rec, args);
    rec.submit_and_wait();

    Result r;
    r.reg = spec->plan.reg;
    r.wide = spec->plan.wide;
    r.lanes = spec->plan.lanes;
    r.got = from_layout(download<float>(bout), B, C, L, c.out_token_major);
    r.want = std::move(want);
    double max_ref = 0, max_err = 0;
    for (std::size_t i = 0; i < count; ++i) {
      max_ref = std::max(max_ref, std::fabs(r.want[i]));
      double e = std::isfinite(r.got[i]) ? std::fabs(double(r.got[i]) - r.want[i]) : INFINITY;
      max_err = std::max(max_err, e);
    }
    r.rel_err = max_ref > 0 ? max_err / max_ref : max_err;
    return r;
  }

  Result check(const Case& c) {
    std::uint32_t n = c.n ? c.n : ops::fft_size_for(c.len);
    Result r = run(c);
    EXPECT_LE(r.rel_err, bound_for(n)) << describe(c) << ": max|err|/max|ref| = " << r.rel_err << ", bound "
                                        << bound_for(n);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3e", r.rel_err);
    RecordProperty("rel_err_L" + std::to_string(c.len) + "_N" + std::to_string(n) + (r.wide ? "_regw" : r.reg ? "_reg" : "") +
                   (r.reg ? "_s" + std::to_string(r.lanes) : ""), buf);
    return r;
  }
};

// ---- single dispatch (N/2 fits shared memory) -------------------------------------------------

// Filters given as token-major (L, C) planes (what the Hyena filter op writes) give the spectra
// of channel-major rows: every spectrum kernel and both backends read either layout.
TEST_F(FftConvTest, TokenMajorFiltersThroughEveryKernelFamily) {
  for (std::uint32_t L : {16u, 300u, 2048u}) {
    Case c;
    c.channels = 5;
    c.len = L;
    c.filter_token_major = true;
    check(c);  // the default plan (register kernel at subgroup 8 where it applies)
    c.register_kernel = false;
    check(c);  // shared-memory single pass
    c.max_single = 64;
    check(c);  // four-step passes
    c.max_single = 0;
    c.register_kernel = true;
    c.backend = FftBackend::VkFFT;
    check(c);
  }
}

TEST_F(FftConvTest, SinglePassLengthsBidirectional) {
  for (std::uint32_t L : {1u, 2u, 3u, 17u, 64u, 100u, 255u, 1000u}) {
    Case c;
    c.batch = 2;
    c.channels = 3;
    c.len = L;
    check(c);
  }
}

TEST_F(FftConvTest, SinglePassCausal) {
  for (std::uint32_t L : {1u, 5u, 128u, 333u}) {
    Case c;
    c.len = L;
    c.bidir = false;
    c.batch = 2;
    check(c);
  }
}

TEST_F(FftConvTest, LengthIsHalfTheFftSizeAndOversizedFft) {
  Case c;
  c.len = 256;
  c.n = 512;  // L = N/2: the reverse filter's last tap meets the forward filter's end
  check(c);
  c.len = 77;
  c.n = 1024;  // any power of two N >= 2L works
  check(c);
  c.len = 1;
  c.n = 2;  // smallest transform
  check(c);
}

TEST_F(FftConvTest, LargestSinglePass) {
  Case c;
  c.len = 4096;  // N = 8192: N/2 = 4096 complex values = 32 KiB of shared memory
  c.channels = 2;
  check(c);
}

// ---- register/subgroup single pass (fft_conv_reg.comp at subgroups of 4, 8, 16; fft_conv_regw.comp) --

// Where the planner picks the register kernels, and that every variant it names is compiled
// (shaders/variants/fft_conv.cmake) and every compiled one is reachable: the variant tables of
// the cmake file and of fft_conv_plan.cpp agree.
TEST(FftPlan, RegisterKernelWhereItApplies) {
  host::Limits lim;
  lim.max_storage_range = 128u << 20;
  lim.storage_offset_alignment = 16;
  lim.max_shared_memory = 32768;
  lim.max_workgroup_invocations = 1024;
  std::set<std::string> planned;
  for (std::uint32_t sg : {4u, 8u, 16u}) {
    lim.subgroup_size = sg;
    for (std::uint32_t n = 2; n <= (1u << 17); n *= 2) {
      const std::string at = "N " + std::to_string(n) + " subgroup " + std::to_string(sg);
      ops::FftPlan p = ops::make_fft_plan(n, lim);
      EXPECT_EQ(p.reg, (n >= 512 && n <= 16384) || n == 65536) << at;
      EXPECT_EQ(p.wide, n == 65536) << at;  // 8-lane groups: one or two per subgroup, or two subgroups of 4
      if (p.reg) {
        EXPECT_EQ(p.lanes, p.wide ? (sg == 4 ? 4u : 8u) : sg) << at;
        EXPECT_TRUE(p.single_pass() && p.cols == 1) << at;
      }
      ops::FftPlan pw = ops::make_fft_plan(n, lim, 0, true, true);  // test hook
      EXPECT_EQ(pw.wide, n == 4096 || n == 65536) << at;
      // Compact either way: N/2 complex values, or N/4 + 1 vec4 entries for the register kernels
      // (a real filter's spectrum has N/2 + 1 complex bins).
      EXPECT_EQ(p.spec_row_bytes(), p.reg ? std::uint64_t(n / 4 + 1) * 16 : std::uint64_t(n / 2) * 8) << at;
      EXPECT_FALSE(ops::make_fft_plan(n, lim, 0, false).reg) << at;  // test hook
      EXPECT_FALSE(ops::make_fft_plan(n, lim, 64).reg) << at;        // forced four-step
      for (const ops::FftPlan& q : {p, pw})
        for (bool spectrum_mode : {false, true})
          for (const std::string& name : ops::fft_kernels(q, spectrum_mode).all()) {
            EXPECT_TRUE(shaders::try_find(name).has_value()) << at << ": " << name << " is not compiled";
            planned.insert(name);
          }
    }
  }
  for (const std::string& name : shaders::names()) {
    if (name.rfind("fft_conv_reg", 0) == 0 || name.rfind("fft_spectrum_reg", 0) == 0) {
      EXPECT_TRUE(planned.count(name)) << name << " is compiled but never planned";
    }
  }
  for (std::uint32_t sg : {1u, 2u, 32u, 64u}) {  // no variants for these lane counts
    lim.subgroup_size = sg;
    EXPECT_FALSE(ops::make_fft_plan(1024, lim).reg) << "subgroup " << sg;
    EXPECT_FALSE(ops::make_fft_plan(65536, lim).reg) << "subgroup " << sg;
  }
  for (std::uint32_t sg : {4u, 8u, 16u}) {
    lim.subgroup_size = sg;
    lim.max_shared_memory = 16384;  // N/2 = 4096 needs 32 KiB, N/2 = 8192 32 KiB in two phases
    EXPECT_FALSE(ops::make_fft_plan(16384, lim).reg) << sg;
    EXPECT_FALSE(ops::make_fft_plan(8192, lim).reg) << sg;
    EXPECT_TRUE(ops::make_fft_plan(4096, lim).reg) << sg;
    EXPECT_FALSE(ops::make_fft_plan(65536, lim).reg) << sg;  // the wide kernel needs 32 KiB at N/2 = 32768
    EXPECT_TRUE(ops::make_fft_plan(4096, lim, 0, true, true).wide) << sg;  // 4 KiB
    lim.max_shared_memory = 32768;
    lim.max_workgroup_invocations = 256;  // N/2 = 32768 runs 512 invocations
    EXPECT_FALSE(ops::make_fft_plan(65536, lim).reg) << sg;
    lim.max_workgroup_invocations = 1024;
  }
}

// The shared-memory variant: s4096 (32 KiB, workgroups of 256) where the device has both, else
// s2048 (16 KiB, 128 invocations: Vulkan's minimums), else a named error.
TEST(FftPlan, SharedMemoryVariantFitsTheDeviceLimits) {
  host::Limits lim;
  lim.max_storage_range = 128u << 20;
  lim.storage_offset_alignment = 16;
  lim.max_shared_memory = 32768;
  lim.max_workgroup_invocations = 256;
  lim.subgroup_size = 32;
  EXPECT_EQ(ops::make_fft_plan(8192, lim).smem, 4096u);
  lim.max_workgroup_invocations = 128;
  EXPECT_EQ(ops::make_fft_plan(8192, lim).smem, 2048u);
  lim.max_workgroup_invocations = 1024;
  lim.max_shared_memory = 16384;
  EXPECT_EQ(ops::make_fft_plan(8192, lim).smem, 2048u);
  lim.max_workgroup_invocations = 64;
  try {
    ops::make_fft_plan(8192, lim);
    ADD_FAILURE() << "no error for workgroups of 64 invocations";
  } catch (const ops::FftConvError& e) {
    EXPECT_NE(std::string(e.what()).find("64 invocations"), std::string::npos) << e.what();
  }
}

// Every compiled (R, A) variant of the device's subgroup size (4, 8 or 16 on lavapipe:
// LP_NATIVE_VECTOR_WIDTH = 128, 256, 512), N/2 = 256 .. 8192 (two-phase exchanges at 8192), odd
// and even L, L = N/2, both filter directions, batch > 1 and the fused epilogue (D, gates,
// accumulate), conv and spectrum mode; compared with the double reference.
TEST_F(FftConvTest, RegisterKernelEverySize) {
  const std::uint32_t sg = ctx().limits().subgroup_size;
  if (!ctx().device_info().subgroup_shuffle || !ops::make_fft_plan(1024, ctx().limits()).reg)
    GTEST_SKIP() << "no register kernel variant for subgroups of " << sg;
  struct Row {
    std::uint32_t len, n, batch, channels;
    bool bidir, epilogue;
  };
  for (const Row& row : {Row{129, 0, 2, 3, true, false}, Row{256, 512, 1, 2, false, true}, Row{200, 0, 3, 2, true, true},
                         Row{512, 0, 2, 2, true, false}, Row{77, 1024, 1, 3, false, false}, Row{1001, 0, 2, 2, false, true},
                         Row{2048, 0, 1, 2, true, true}, Row{4096, 0, 1, 2, true, false}, Row{3001, 0, 2, 1, false, true},
                         Row{8192, 0, 1, 2, true, true}, Row{5000, 16384, 2, 1, false, false}}) {
    Case c;
    c.len = row.len;
    c.n = row.n;
    c.batch = row.batch;
    c.channels = row.channels;
    c.bidir = row.bidir;
    c.pregate = c.postgate = c.d = c.accumulate = row.epilogue;
    c.in_token_major = row.epilogue && row.len % 2 == 1;
    Result r = check(c);
    EXPECT_TRUE(r.reg) << describe(c) << ": expected the register kernel";
    EXPECT_EQ(r.lanes, sg) << describe(c);
  }
}

// Whether the wide register kernel (8-lane groups) runs here: subgroups of 4 (a group is two
// subgroups, fft_conv_regw_s4_*), 8 and 16.
bool wide_kernel_here(host::Context& ctx) {
  return ctx.device_info().subgroup_shuffle && ops::make_fft_plan(65536, ctx.limits()).wide;
}

// The wide register kernel's code at N/2 = 2048 (R = 16, four phases per exchange; the same
// source as N/2 = 32768 with R = 64 and eight phases): L = 1, odd and even L, L = N/2, both
// filter directions, batch > 1, the fused epilogue and token-major layouts. At subgroups of 16
// each subgroup holds two lane groups; at subgroups of 4 each lane group spans two subgroups
// (the s4 variant: its distance-4 lane stage runs on step 1's side, columns permuted).
TEST_F(FftConvTest, WideRegisterKernelSmall) {
  if (!wide_kernel_here(ctx())) GTEST_SKIP() << "no wide register kernel for subgroups of " << ctx().limits().subgroup_size;
  struct Row {
    std::uint32_t len, batch, channels;
    bool bidir, epilogue;
  };
  for (const Row& row : {Row{1, 1, 2, true, false}, Row{1200, 2, 3, true, false}, Row{2048, 1, 2, true, true},
                         Row{1537, 3, 2, false, true}, Row{2000, 2, 1, false, false}, Row{1999, 1, 2, true, true}}) {
    Case c;
    c.len = row.len;
    c.n = 4096;
    c.batch = row.batch;
    c.channels = row.channels;
    c.bidir = row.bidir;
    c.wide_register = true;
    c.pregate = c.postgate = c.d = c.accumulate = row.epilogue;
    c.in_token_major = row.epilogue && row.len % 2 == 1;
    c.out_token_major = row.epilogue && row.len % 2 == 0;
    Result r = check(c);
    EXPECT_TRUE(r.wide) << describe(c) << ": expected the wide register kernel";
  }
}

// N = 65536 (L up to 32768), the size the wide kernel exists for: L = N/2 bidirectional with D,
// and a shorter causal row with the whole epilogue, batch 2 and token-major tensors (the model's
// layout; one JIT of each variant).
TEST_F(FftConvTest, WideRegisterKernel32k) {
  if (!wide_kernel_here(ctx())) GTEST_SKIP() << "no wide register kernel for subgroups of " << ctx().limits().subgroup_size;
  Case c;
  c.len = 32768;
  c.channels = 2;
  c.d = true;
  EXPECT_TRUE(check(c).wide) << describe(c);
  c.len = 20001;
  c.n = 65536;
  c.bidir = false;
  c.batch = 2;
  c.channels = 3;
  c.pregate = c.postgate = c.accumulate = true;
  c.in_token_major = c.out_token_major = true;
  EXPECT_TRUE(check(c).wide) << describe(c);
}

TEST_F(FftConvTest, SharedMemorySinglePassWhereRegisterKernelApplies) {
  for (std::uint32_t L : {100u, 255u, 1000u, 4096u}) {
    Case c;
    c.len = L;
    c.channels = 2;
    c.batch = 2;
    c.bidir = L != 255u;
    c.d = c.postgate = L == 1000u;
    c.register_kernel = false;
    Result r = check(c);
    EXPECT_FALSE(r.reg) << describe(c);
  }
}

// ---- four-step passes ------------------------------------------------------------------------

TEST_F(FftConvTest, FourStepForcedSmall) {
  // max_single = 8: rows of m2 = 4, so m1 = N/8 and both row-pairing cases (j = 0 with its
  // self-paired rows 0 and m1/2, and j > 0) are exercised with tiny sizes.
  for (std::uint32_t L : {5u, 16u, 33u, 64u, 100u}) {
    for (bool bidir : {true, false}) {
      Case c;
      c.len = L;
      c.bidir = bidir;
      c.batch = 2;
      c.channels = 3;
      c.max_single = 8;
      check(c);
    }
  }
}

TEST_F(FftConvTest, FourStepRealSizes) {
  Case c;
  c.register_kernel = false;  // N = 16384 runs the register kernel where the subgroup size is 8
  c.len = 8192;  // N = 16384: m1 = 4, m2 = 2048
  c.channels = 2;
  check(c);
  c.len = 5000;
  c.n = 16384;
  c.bidir = false;
  c.batch = 2;
  c.channels = 1;
  check(c);
}

TEST_F(FftConvTest, FourStep32kInputFewChannels) {
  Case c;
  c.len = 32768;  // N = 65536: m1 = 16, m2 = 2048
  c.channels = 3;
  c.register_kernel = false;  // the wide register kernel where the subgroup size is 8
  c.d = true;
  check(c);
}

TEST_F(FftConvTest, FourStep128kPointTransform) {
  Case c;
  c.len = 65536;  // N = 2^17: m1 = 32
  c.channels = 1;
  check(c);
}

// ---- fusion and layouts ----------------------------------------------------------------------

TEST_F(FftConvTest, FusedGatingDAccumulateLayouts) {
  for (std::uint32_t ms : {0u, 16u}) {  // single pass and forced four-step
    for (bool in_tok : {false, true}) {
      Case c;
      c.batch = 3;
      c.channels = 5;
      c.len = 129;
      c.pregate = c.postgate = c.d = c.accumulate = true;
      c.in_token_major = in_tok;
      c.out_token_major = true;
      c.max_single = ms;
      check(c);
    }
  }
}

TEST_F(FftConvTest, FilterRowsLongerThanLength) {
  // Filters for a shorter length are prefixes of the Lmax table: rows of stride > L.
  Case c;
  c.len = 50;
  c.filter_stride_pad = 30;
  c.channels = 4;
  check(c);
}

// The mixer's two calls (see fft_conv.hpp): out = LongConv2(u) + D2 u, then
// out += (LongConv1(v * x1) + D1 v x1) * x2, with u token-major and out token-major.
TEST_F(FftConvTest, MixerCompositionTwoCalls) {
  const std::uint32_t B = 2, C = 4, L = 40;
  const std::size_t count = std::size_t(B) * C * L;
  auto u = test::random_floats(count, 11), v = test::random_floats(count, 12), x1 = test::random_floats(count, 13),
       x2 = test::random_floats(count, 14);
  auto k1f = test::random_floats(C * L, 15), k1r = test::random_floats(C * L, 16), k2f = test::random_floats(C * L, 17),
       k2r = test::random_floats(C * L, 18);
  auto d1 = test::random_floats(C, 19), d2 = test::random_floats(C, 20);

  std::vector<double> vg(count), ud(count);
  for (std::size_t i = 0; i < count; ++i) {
    vg[i] = double(v[i]) * x1[i];
    ud[i] = u[i];
  }
  auto y1 = reference_conv(vg, B, C, L, k1f, &k1r, L);
  auto y2 = reference_conv(ud, B, C, L, k2f, &k2r, L);
  std::vector<double> want(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::size_t c = (i / L) % C;
    want[i] = (y1[i] + d1[c] * vg[i]) * x2[i] + y2[i] + d2[c] * ud[i];
  }

  auto bu = upload(to_layout(u, B, C, L, true));
  auto bv = upload(v), bx1 = upload(x1), bx2 = upload(x2);
  auto b1f = upload(k1f), b1r = upload(k1r), b2f = upload(k2f), b2r = upload(k2r), bd1 = upload(d1), bd2 = upload(d2);
  auto bout = filled(count * 4, 0x7fc00000u);  // NaN: the first call must overwrite everything
  ops::FftConv op(ctx());
  auto rec = ctx().record();
  auto s1 = op.spectrum(rec, "layer0.filter_fn", {b1f, b1r.range(), C, L, 0});
  auto s2 = op.spectrum(rec, "layer0.filter_fn2", {b2f, b2r.range(), C, L, 0});
  ops::FftConvArgs a2;
  a2.batch = B, a2.channels = C, a2.len = L;
  a2.x = ops::FftTensor::token_major(bu, C, L);
  a2.out = ops::FftTensor::token_major(bout, C, L);
  a2.d = bd2.range();
  a2.spectrum = s2.get();
  op.record(rec, a2);
  ops::FftConvArgs a1;
  a1.batch = B, a1.channels = C, a1.len = L;
  a1.x = ops::FftTensor::channel_major(bv, C, L);
  a1.pregate = ops::FftTensor::channel_major(bx1, C, L);
  a1.postgate = ops::FftTensor::channel_major(bx2, C, L);
  a1.out = ops::FftTensor::token_major(bout, C, L);
  a1.accumulate = true;
  a1.d = bd1.range();
  a1.spectrum = s1.get();
  op.record(rec, a1);
  rec.submit_and_wait();
  auto got = from_layout(download<float>(bout), B, C, L, true);
  double max_ref = 0;
  for (double w : want) max_ref = std::max(max_ref, std::fabs(w));
  EXPECT_TRUE(test::all_close(got, want, bound_for(128) * max_ref, 0.0));
  // the second request for the same filter is a cache hit
  auto rec2 = ctx().record();
  EXPECT_EQ(op.spectrum(rec2, "layer0.filter_fn", {b1f, b1r.range(), C, L, 0}), s1);
  EXPECT_EQ(rec2.dispatch_count(), 0u);
  rec2.submit_and_wait();
}

// ---- spectrum cache --------------------------------------------------------------------------

TEST_F(FftConvTest, SpectrumCacheEvictsLeastRecentlyUsedWithinBudget) {
  const std::uint32_t C = 2, L = 64;  // each spectrum: C * N/2 * 8 = 2 * 64 * 8 = 1024 bytes
  auto kf = upload(test::random_floats(C * L, 3));
  ops::FftConvOptions opt;
  opt.spectrum_budget_bytes = 2048;
  ops::FftConv op(ctx(), opt);
  auto rec = ctx().record();
  ops::FilterInput f{kf, std::nullopt, C, L, 0};
  auto a = op.spectrum(rec, "a", f);
  auto b = op.spectrum(rec, "b", f);
  EXPECT_EQ(a->bytes(), 1024u);
  EXPECT_EQ(op.cache().bytes(), 2048u);
  EXPECT_EQ(op.spectrum(rec, "a", f), a);  // hit: "a" becomes most recent
  auto c = op.spectrum(rec, "c", f);      // evicts "b", the least recently used
  EXPECT_EQ(op.cache().evictions(), 1u);
  EXPECT_EQ(op.cache().size(), 2u);
  EXPECT_LE(op.cache().bytes(), op.cache().budget());
  EXPECT_EQ(op.cache().find("a", 128, FftBackend::Ours), a);
  EXPECT_EQ(op.cache().find("b", 128, FftBackend::Ours), nullptr);
  auto b2 = op.spectrum(rec, "b", f);  // recomputed
  EXPECT_NE(b2, b);
  // a different FFT size is a different entry
  auto a256 = op.spectrum(rec, "a", f, 256);
  EXPECT_EQ(a256->plan.n, 256u);
  rec.submit_and_wait();
}

// ---- errors ----------------------------------------------------------------------------------

TEST_F(FftConvTest, BadArgumentsAreNamedErrors) {
  const host::Limits& lim = ctx().limits();
  EXPECT_THROW(ops::make_fft_plan(3, lim), ops::FftConvError);
  EXPECT_THROW(ops::make_fft_plan(ops::fft_max_size(lim) * 2, lim), ops::FftConvError);
  EXPECT_GE(ops::fft_max_size(lim), 1u << 17);
  auto kf = upload(test::random_floats(64, 1));
  auto x = upload(test::random_floats(64, 2));
  auto y = filled(64 * 4);
  ops::FftConv op(ctx());
  auto rec = ctx().record();
  EXPECT_THROW(op.compute_spectrum(rec, {kf, std::nullopt, 2, 32, 0}, 32), ops::FftConvError);  // N < 2L
  auto s = op.compute_spectrum(rec, {kf, std::nullopt, 2, 16, 0});
  ops::FftConvArgs a;
  a.batch = 1, a.channels = 2, a.len = 32;  // longer than the spectrum's filter
  a.x = ops::FftTensor::channel_major(x, 2, 32);
  a.out = ops::FftTensor::channel_major(y, 2, 32);
  a.spectrum = s.get();
  try {
    op.record(rec, a);
    ADD_FAILURE() << "no error for L > filter length";
  } catch (const ops::FftConvError& e) {
    EXPECT_NE(std::string(e.what()).find("filter length 16"), std::string::npos) << e.what();
  }
  a.len = 16;
  a.batch = 2;
  a.x = ops::FftTensor::channel_major(x, 2, 32);  // (2, 2, 32) needs 512 bytes, x holds 256
  try {
    op.record(rec, a);
    ADD_FAILURE() << "no error for a short buffer";
  } catch (const ops::FftConvError& e) {
    EXPECT_NE(std::string(e.what()).find("'x'"), std::string::npos) << e.what();
  }
  a.batch = 1;
  a.channels = 3;
  EXPECT_THROW(op.record(rec, a), ops::FftConvError);  // spectrum has 2 channels
  rec.submit_and_wait();
}

// ---- VkFFT backend ---------------------------------------------------------------------------

TEST_F(FftConvTest, VkFftBackendMatchesReferenceAndOurs) {
  if (!ops::vkfft_available()) GTEST_SKIP() << "built without VkFFT";
  for (std::uint32_t L : {100u, 8192u}) {  // one- and multi-kernel VkFFT plans
    Case c;
    c.len = L;
    c.channels = 2;
    c.batch = 2;
    c.pregate = c.postgate = c.d = true;
    c.out_token_major = true;
    Result ours = run(c, 7);
    c.backend = FftBackend::VkFFT;
    Result theirs = run(c, 7);
    std::uint32_t n = ops::fft_size_for(L);
    EXPECT_LE(theirs.rel_err, bound_for(n)) << "VkFFT vs reference, L " << L;
    double max_ref = 0;
    for (double w : ours.want) max_ref = std::max(max_ref, std::fabs(w));
    EXPECT_TRUE(test::all_close(ours.got, theirs.got, 2 * bound_for(n) * max_ref, 0.0)) << "ours vs VkFFT, L " << L;
  }
}

TEST_F(FftConvTest, VkFftBackendSlicesChannelsWithinABatch) {
  // At N = 65536 a row takes 256 KiB, so one 128 MiB binding holds 511 rows and 513 channels
  // need two slices per batch: a slice must not run from one batch's last channels into the next
  // batch's first (their spectra would be bound as one range spanning every channel). This is the
  // shape class of the 80M model's L = 32768, batch 8, whose VkFFT run used to be refused.
  if (!ops::vkfft_available()) GTEST_SKIP() << "built without VkFFT";
  if (ctx().limits().max_storage_range / (65538ull * 4) >= 513) GTEST_SKIP() << "bindings hold 513 rows here";
  Case c;
  c.batch = 2;
  c.channels = 513;
  c.len = 20;
  c.n = 65536;
  c.d = true;
  c.backend = FftBackend::VkFFT;
  const Result r = run(c, 3);
  EXPECT_LE(r.rel_err, bound_for(c.n));
}

}  // namespace
}  // namespace m2vk
