// GPU GEMMs (m2vk/ops/gemm.hpp) against a double-precision CPU reference, on lavapipe with the
// validation layer on. Sizes are odd on purpose: they hit the remainder rows/columns of the
// 128 x 64 workgroup tiles (64 x 64 for GLU), K % 4 != 0 (scalar texels), strided channel-major
// inputs and outputs, nblocks 1/2/4 and the 80M model's shapes at L = 16. Cases that name a
// `variant` also check that the op chose that kernel (vec4 or scalar texels, vec4 stores), so
// each load/store path of shaders/gemm.comp is known to be covered.
//
// Every case runs four times (parameter auto / texel8 / tiled / tiled128): with the device's own
// choice (on lavapipe the texel kernels of gemm.comp), and with GemmOptions::kernel forcing the
// 8 x 8 texel kernels (no shuffles), the GPU kernels of gemm_tiled.comp and their 128 x 64
// tiles, whose expected variants follow from the texel one (expected_name): same load mode of
// x, same epilogue or GLU. gemm_kernel_for() and the candidates are checked on made-up devices.
//
// Tolerance (fp32): max |gpu - ref| <= 1e-5 * max(1, max |ref|) per output tensor; outputs are
// pre-filled with NaN so an element the kernel forgot to write fails the comparison.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <ostream>
#include <string>

#include "layer_test_util.hpp"
#include "m2vk/ops/gemm.hpp"
#include "m2vk/ops/op_error.hpp"
#include "m2vk/ops/pooling.hpp"
#include "vk_test.hpp"

namespace m2vk::ops {
// Names the test parameter in ctest's test names ("... GetParam() = tiled").
void PrintTo(GemmKernel k, std::ostream* os) {
  *os << gemm_kernel_name(k);
}
}  // namespace m2vk::ops

namespace m2vk::test {
namespace {

using ops::Epilogue;
using ops::MatrixView;

constexpr double kTolFp32 = 1e-5;

enum class Layout { TokenMajor, ChannelMajor };

MatrixView make_view(const host::BufferRange& buf, Layout l, std::uint32_t b, std::uint32_t rows, std::uint32_t cols,
                     std::uint64_t offset = 0) {
  return l == Layout::TokenMajor ? MatrixView::row_major(buf, b, rows, cols, offset)
                                 : MatrixView::channel_major(buf, b, rows, cols, offset);
}

std::uint32_t nan_bits() {
  const float f = std::numeric_limits<float>::quiet_NaN();
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

struct Case {
  std::uint32_t batch = 2, rows = 0, in = 0, out = 0, nb = 1;
  bool bias = true;
  Layout x_layout = Layout::TokenMajor, out_layout = Layout::TokenMajor;
  std::uint64_t x_offset = 0;  // floats before the first element of x
  Epilogue epi = Epilogue::None;
  std::string variant = {};  // when set: the kernel the op must pick (shaders/variants/gemm.cmake)
};

// The tiled kernel that runs a case whose texel kernel is `texel` ("gemm_a1_w1_e3_c4_s" ->
// "gemm_tiled_a1_e3", "gemm_glu2_a2_w1_c4" -> "gemm_tiled_glu_a2").
std::string tiled_name(const std::string& texel) {
  const std::size_t a = texel.find("_a");
  if (texel.empty() || a == std::string::npos) return texel;
  const std::string load = texel.substr(a, 3);
  if (texel.rfind("gemm_glu", 0) == 0) return "gemm_tiled_glu" + load;
  const std::size_t e = texel.find("_e");
  return "gemm_tiled" + load + texel.substr(e, 3);
}

// The variant forced kernel `k` runs for a case whose auto (texel) variant, without shuffles
// when k is Texel8, is `texel`.
std::string expected_name(ops::GemmKernel k, const std::string& texel) {
  if (texel.empty()) return texel;
  switch (k) {
    case ops::GemmKernel::Tiled: return tiled_name(texel);
    case ops::GemmKernel::Tiled128: {
      const std::string t = tiled_name(texel);
      if (t == "gemm_tiled_glu_a0") return t;  // the scalar-load GLU keeps 64 x 64 tiles
      return "gemm_tiled128" + t.substr(std::string("gemm_tiled").size());
    }
    case ops::GemmKernel::Texel8: return texel.rfind("gemm_glu", 0) == 0 ? texel : texel + "_t8";
    default: return texel;
  }
}

class GemmTest : public VkTest, public ::testing::WithParamInterface<ops::GemmKernel> {
 public:
  // The family that runs: forced, or what Auto picks on this device without a chooser (the
  // texel kernels on CPU devices, the tiled ones on GPUs).
  ops::GemmKernel kernel() { return ops::gemm_kernel_for(dev().device_info(), GetParam()); }
  bool tiled() { return kernel() == ops::GemmKernel::Tiled || kernel() == ops::GemmKernel::Tiled128; }
  // Kernels without subgroup operations: the fallback tests below add nothing for them.
  bool no_subgroup_ops() { return tiled() || kernel() == ops::GemmKernel::Texel8; }
  // The context run() uses: the shared one, or `alt_` (a context with test hooks).
  host::Context* alt_ = nullptr;
  host::Context& dev() { return alt_ ? *alt_ : ctx(); }
  // Whether dev() may run the kernels that share A rows through subgroup shuffles (the "_s"
  // variants and the paired-lane GLU): shuffles and subgroups of a multiple of 8 lanes, and on a
  // CPU device exactly 8 (wider llvmpipe shuffles are slow).
  bool shuffles() {
    if (GetParam() == ops::GemmKernel::Texel8) return false;  // never shuffles
    const auto& info = dev().device_info();
    return info.subgroup_shuffle && info.subgroup_size >= 8 && info.subgroup_size % 8 == 0 &&
           (info.type != host::DeviceType::Cpu || info.subgroup_size == 8);  // llvmpipe: 8 lanes only
  }
  // Suffix of the plain vec4 kernels picked on dev().
  std::string s() { return shuffles() ? "_s" : ""; }
  // Runs `body` with run() on a context that pretends the device has no subgroup shuffles (the
  // fallback kernels), failing on any validation message of that context.
  template <class Body>
  void without_shuffles(Body body) {
    host::ContextOptions opt;
    opt.validation = true;
    opt.disable_subgroup_shuffle = true;
    opt.persist_pipeline_cache = false;
    auto alt = host::Context::create(opt);
    alt_ = alt.get();
    body();
    alt_ = nullptr;
    for (const auto& m : alt->validation_messages()) ADD_FAILURE() << m.id << ": " << m.message;
  }
  host::Buffer up(const std::vector<float>& v) {
    host::Buffer b = dev().create_buffer(v.size() * 4);
    dev().upload(b, v);
    return b;
  }

  // Runs one case and compares with the reference; returns the max error relative to scale.
  void run(const Case& c) {
    SCOPED_TRACE("B=" + std::to_string(c.batch) + " M=" + std::to_string(c.rows) + " in=" + std::to_string(c.in) +
                 " out=" + std::to_string(c.out) + " nb=" + std::to_string(c.nb));
    const bool glu = c.epi == Epilogue::Glu;
    const std::uint32_t ncols = glu ? c.out / 2 : c.out;
    const std::uint64_t xfloats = c.x_offset + std::uint64_t(c.batch) * c.rows * c.in;
    std::vector<float> xh = random_floats(xfloats, 1 + c.rows);
    std::vector<float> wh = random_floats(std::size_t(c.out) * (c.in / c.nb), 2 + c.out, -0.5f, 0.5f);
    std::vector<float> bh = random_floats(c.out, 3);
    host::Buffer xb = up(xh), wb = up(wh), bb = up(bh);
    const MatrixView x = make_view(xb, c.x_layout, c.batch, c.rows, c.in, c.x_offset);

    const std::uint64_t ofloats = std::uint64_t(c.batch) * c.rows * ncols;
    host::Buffer ob = dev().create_buffer(ofloats * 4);
    {
      auto fill = dev().record();
      fill.fill(ob, nan_bits());
      fill.submit_and_wait();
    }
    const MatrixView out = make_view(ob, c.out_layout, c.batch, c.rows, ncols);

    ops::LinearWeights w{wb, std::nullopt, c.in, c.out, c.nb};
    if (c.bias) w.bias = bb.range();
    ops::GemmOptions opt;
    opt.epilogue = c.epi;
    opt.kernel = GetParam();
    std::vector<float> rh, colh, rowh;
    host::Buffer rb, scratch, colb, rowb;
    if (c.epi == Epilogue::Sin) {
      // Frequencies 0.5-2 at scale 1.5: arguments up to ~20, several periods, within fp32's
      // reach of the double reference (the Hyena filter test covers the real ~10x frequencies).
      colh = random_floats(c.out, 5, 0.5f, 2.0f);
      colb = up(colh);
      opt.sin_freq = colb.range();
      opt.sin_scale = 1.5f;
    }
    if (c.epi == Epilogue::Decay) {
      // Hyena's decay rates (negative, |delta| 3-15; one positive to show the |.|) and t in [0, 1].
      colh = random_floats(c.out, 5, -15.0f, -3.0f);
      colh[0] = 4.0f;
      rowh = random_floats(c.rows, 6, 0.0f, 1.0f);
      colb = up(colh);
      rowb = up(rowh);
      opt.decay_deltas = colb.range();
      opt.decay_t = rowb.range();
    }
    if (c.epi == Epilogue::AddResidual) {
      rh = random_floats(ofloats, 4);
      rb = up(rh);
      opt.residual = make_view(rb, c.out_layout, c.batch, c.rows, ncols);
    }
    if (glu && !ops::glu_fusable(w)) {
      scratch = dev().create_buffer(std::uint64_t(c.batch) * c.rows * c.out * 4);
      opt.glu_scratch = scratch.range();
    }
    auto rec = dev().record({.profile = !c.variant.empty()});
    ops::record_linear(dev(), rec, x, w, out, opt);
    rec.submit_and_wait();
    if (rec.profiling()) {
      ASSERT_FALSE(rec.timings().empty());
      EXPECT_EQ(rec.timings()[0].name, expected_name(kernel(), c.variant));
    }

    std::vector<double> want = ref_linear(xh, x, wh, c.bias ? &bh : nullptr, c.in, c.out, c.nb);
    const std::size_t nrows = std::size_t(c.batch) * c.rows;
    if (glu) want = ref_glu(want, nrows, ncols);
    for (std::size_t i = 0; i < want.size(); ++i) {
      if (c.epi == Epilogue::Gelu) want[i] = gelu(want[i]);
      if (c.epi == Epilogue::Tanh) want[i] = std::tanh(want[i]);
      const std::size_t n = i % ncols, m = (i / ncols) % c.rows;
      if (c.epi == Epilogue::Sin) want[i] = std::sin(double(opt.sin_scale * colh[n]) * want[i]);
      if (c.epi == Epilogue::Decay) want[i] *= std::exp(-double(rowh[m]) * std::fabs(double(colh[n])));
    }
    if (c.epi == Epilogue::AddResidual) {
      const std::vector<float> r = gather(rh, *opt.residual);
      for (std::size_t i = 0; i < want.size(); ++i) want[i] += r[i];
    }
    const std::vector<float> got = gather(dev().download<float>(ob), out);
    EXPECT_TRUE(all_close(got, want, kTolFp32 * std::max(1.0, max_abs(want)), 0.0));
  }
};

TEST_P(GemmTest, DenseOddSizesScalarLoads) {
  // K = 29: neither activations nor weights can use vec4 loads; 131 rows = two 64-row tiles + 3.
  run({.batch = 2, .rows = 131, .in = 29, .out = 67, .variant = "gemm_a0_w0_e0"});
}

TEST_P(GemmTest, DenseVec4AlongKRemainderTiles) {
  // N = 70: not whole vec4s of output, so scalar stores.
  run({.batch = 1, .rows = 130, .in = 64, .out = 70, .variant = "gemm_a1_w1_e0" + s()});
}

TEST_P(GemmTest, DenseVec4StoresRemainderTiles) {
  // 131 rows = one 128-row tile + 3; N = 76 = one 64-column tile + 12 (three vec4s).
  run({.batch = 2, .rows = 131, .in = 64, .out = 76, .variant = "gemm_a1_w1_e0_c4" + s()});
}

TEST_P(GemmTest, DenseNoBias) { run({.batch = 3, .rows = 5, .in = 12, .out = 3, .bias = false}); }

TEST_P(GemmTest, ChannelMajorInputVec4AlongM) {
  run({.batch = 2, .rows = 36, .in = 48, .out = 20, .x_layout = Layout::ChannelMajor, .variant = "gemm_a2_w1_e0_c4" + s()});
  run({.batch = 2, .rows = 132, .in = 48, .out = 18, .x_layout = Layout::ChannelMajor, .variant = "gemm_a2_w1_e0" + s()});
}

TEST_P(GemmTest, ChannelMajorInputOddRowsScalar) {
  run({.batch = 2, .rows = 37, .in = 48, .out = 20, .x_layout = Layout::ChannelMajor, .variant = "gemm_a0_w1_e0"});
}

TEST_P(GemmTest, ChannelMajorOutput) {
  run({.batch = 2, .rows = 37, .in = 32, .out = 40, .out_layout = Layout::ChannelMajor, .variant = "gemm_a1_w1_e0" + s()});
}

TEST_P(GemmTest, UnalignedInputOffset) {
  // x starts 3 floats into its buffer: vec4 loads must be refused.
  run({.batch = 2, .rows = 9, .in = 16, .out = 8, .x_offset = 3, .variant = "gemm_a0_w1_e0"});
}

TEST_P(GemmTest, BlockDiagonal) {
  for (std::uint32_t nb : {1u, 2u, 4u}) {
    run({.batch = 2, .rows = 19, .in = 24 * nb, .out = 10 * nb, .nb = nb});
    run({.batch = 1, .rows = 7, .in = 5 * nb, .out = 3 * nb, .nb = nb});  // K = 5: scalar path
  }
}

TEST_P(GemmTest, BlockDiagonalChannelMajorInput) {
  run({.batch = 2, .rows = 20, .in = 32, .out = 24, .nb = 4, .x_layout = Layout::ChannelMajor});
}

// The fused GLU cases; `glu` is the kernel family the op must pick ("gemm_glu2": paired lanes
// with subgroup shuffles, "gemm_glu": two accumulator sets, the fallback).
void fused_glu_cases(GemmTest& t, const std::string& glu) {
  for (std::uint32_t nb : {1u, 2u, 4u}) {
    t.run({.batch = 2, .rows = 67, .in = 16 * nb, .out = 24 * nb, .nb = nb, .bias = false, .epi = Epilogue::Glu,
           .variant = glu + "_a1_w1_c4"});
  }
  // 70 GLU outputs: not whole vec4s, scalar stores; bias on; 131 rows = remainder row tiles.
  t.run({.batch = 1, .rows = 131, .in = 32, .out = 140, .nb = 1, .epi = Epilogue::Glu, .variant = glu + "_a1_w1"});
  // From a channel-major input with vec4 stores (bias on).
  t.run({.batch = 2, .rows = 36, .in = 32, .out = 48, .nb = 2, .x_layout = Layout::ChannelMajor, .epi = Epilogue::Glu,
         .variant = glu + "_a2_w1_c4"});
  // K = 3: scalar texels, always the two-accumulator kernel.
  t.run({.batch = 1, .rows = 9, .in = 12, .out = 20, .nb = 4, .bias = false, .epi = Epilogue::Glu,
         .variant = "gemm_glu_a0_w0"});
}

TEST_P(GemmTest, FusedGlu) { fused_glu_cases(*this, shuffles() ? "gemm_glu2" : "gemm_glu"); }

TEST_P(GemmTest, FusedGluWithoutSubgroupShuffles) {
  if (no_subgroup_ops()) GTEST_SKIP() << "this kernel uses no subgroup operations";
  without_shuffles([&] { fused_glu_cases(*this, "gemm_glu"); });
}

// The vec4 kernels that share A rows by shuffles ("_s") against their fallback on a device
// without subgroup shuffles: remainder row and column tiles, both vec4 load modes, nb 1 and 4.
void shared_a_cases(GemmTest& t) {
  const std::string s = t.s();
  t.run({.batch = 2, .rows = 131, .in = 64, .out = 76, .variant = "gemm_a1_w1_e0_c4" + s});
  t.run({.batch = 1, .rows = 133, .in = 64, .out = 70, .variant = "gemm_a1_w1_e0" + s});
  t.run({.batch = 2, .rows = 132, .in = 48, .out = 18, .x_layout = Layout::ChannelMajor, .variant = "gemm_a2_w1_e0" + s});
  t.run({.batch = 2, .rows = 36, .in = 64, .out = 32, .nb = 4, .x_layout = Layout::ChannelMajor,
         .epi = Epilogue::AddResidual, .variant = "gemm_a2_w1_e3_c4" + s});
  t.run({.batch = 1, .rows = 20, .in = 32, .out = 24, .epi = Epilogue::Gelu, .variant = "gemm_a1_w1_e1" + s});
}

TEST_P(GemmTest, SharedARows) { shared_a_cases(*this); }

TEST_P(GemmTest, SharedARowsFallbackWithoutSubgroupShuffles) {
  if (no_subgroup_ops()) GTEST_SKIP() << "this kernel uses no subgroup operations";
  without_shuffles([&] {
    ASSERT_EQ(s(), "");
    shared_a_cases(*this);
  });
}

TEST_P(GemmTest, UnfusedGluThroughScratch) {
  // nblocks 3: the GLU halves do not start on block boundaries.
  run({.batch = 2, .rows = 11, .in = 12, .out = 18, .nb = 3, .bias = false, .epi = Epilogue::Glu});
}

TEST_P(GemmTest, Epilogues) {
  run({.batch = 2, .rows = 17, .in = 20, .out = 9, .epi = Epilogue::Gelu});
  run({.batch = 2, .rows = 17, .in = 20, .out = 9, .epi = Epilogue::Tanh});
  run({.batch = 2, .rows = 17, .in = 20, .out = 12, .nb = 4, .epi = Epilogue::AddResidual, .variant = "gemm_a0_w0_e3"});
  run({.batch = 2, .rows = 131, .in = 64, .out = 32, .nb = 4, .epi = Epilogue::AddResidual, .variant = "gemm_a1_w1_e3_c4" + s()});
  run({.batch = 2, .rows = 36, .in = 64, .out = 32, .nb = 2, .x_layout = Layout::ChannelMajor, .epi = Epilogue::AddResidual,
       .variant = "gemm_a2_w1_e3_c4" + s()});
  run({.batch = 2, .rows = 13, .in = 20, .out = 9, .out_layout = Layout::ChannelMajor, .epi = Epilogue::AddResidual});
}

// The Hyena filter's epilogues (Sin layers, decay modulation) in every variant the op may pick:
// scalar loads (K % 4 != 0, or a channel-major x, which falls back to them), vec4 loads with
// vec4 stores (token-major out) or scalar ones (channel-major out, odd widths), nb 1 and 2,
// remainder row and column tiles, batch > 1 (the row tables index rows within an entry).
void filter_epilogue_cases(GemmTest& t) {
  const std::string s = t.s();
  for (const Epilogue e : {Epilogue::Sin, Epilogue::Decay}) {
    const std::string code = e == Epilogue::Sin ? "_e4" : "_e5";
    SCOPED_TRACE(e == Epilogue::Sin ? "Sin" : "Decay");
    t.run({.batch = 2, .rows = 37, .in = 5, .out = 64, .epi = e, .variant = "gemm_a0_w0" + code});
    t.run({.batch = 1, .rows = 131, .in = 64, .out = 76, .epi = e, .variant = "gemm_a1_w1" + code + "_c4" + s});
    t.run({.batch = 2, .rows = 133, .in = 64, .out = 70, .bias = false, .epi = e, .variant = "gemm_a1_w1" + code + s});
    t.run({.batch = 1, .rows = 67, .in = 32, .out = 40, .out_layout = Layout::ChannelMajor, .epi = e,
           .variant = "gemm_a1_w1" + code + s});
    t.run({.batch = 2, .rows = 36, .in = 64, .out = 32, .nb = 2, .x_layout = Layout::ChannelMajor, .epi = e,
           .variant = "gemm_a0_w0" + code});
  }
}

TEST_P(GemmTest, FilterEpilogues) { filter_epilogue_cases(*this); }

TEST_P(GemmTest, FilterEpiloguesWithoutSubgroupShuffles) {
  if (no_subgroup_ops()) GTEST_SKIP() << "this kernel uses no subgroup operations";
  without_shuffles([&] { filter_epilogue_cases(*this); });
}

// The 80M model's layer shapes at L = 16, B = 2.
TEST_P(GemmTest, M2Bert80MInLinearChannelMajorOut) {
  run({.batch = 2, .rows = 16, .in = 768, .out = 2304, .out_layout = Layout::ChannelMajor});
}
TEST_P(GemmTest, M2Bert80MGatedLayersGlu) {
  run({.batch = 2, .rows = 16, .in = 768, .out = 6144, .nb = 4, .bias = false, .epi = Epilogue::Glu});
}
TEST_P(GemmTest, M2Bert80MWoResidual) {
  run({.batch = 2, .rows = 16, .in = 3072, .out = 768, .nb = 4, .epi = Epilogue::AddResidual});
}
TEST_P(GemmTest, M2Bert80MOutLinearFromChannelMajor) {
  run({.batch = 2, .rows = 16, .in = 768, .out = 768, .x_layout = Layout::ChannelMajor});
}

TEST_P(GemmTest, PoolerOnClsRows) {
  // tanh(h[:, 0, :] W^T + b) through the cls_rows() view: no copy of token 0.
  const std::uint32_t B = 3, L = 5, H = 24;
  std::vector<float> hh = random_floats(B * L * H, 11), wh = random_floats(H * H, 12), bh = random_floats(H, 13);
  host::Buffer hb = upload(hh), wb = upload(wh), bb = upload(bh), ob = filled(B * H * 4, nan_bits());
  const MatrixView cls = ops::cls_rows(MatrixView::row_major(hb, B, L, H));
  const MatrixView out = MatrixView::row_major(ob, B, 1, H);
  auto rec = ctx().record();
  ops::record_linear(ctx(), rec, cls, {wb, bb.range(), H, H, 1}, out, {.epilogue = Epilogue::Tanh, .kernel = GetParam()});
  rec.submit_and_wait();
  std::vector<double> want = ref_linear(hh, cls, wh, &bh, H, H, 1);
  for (double& v : want) v = std::tanh(v);
  EXPECT_TRUE(all_close(download<float>(ob), want, kTolFp32, 0.0));
}

TEST_P(GemmTest, NonFiniteInputsPropagate) {
  // A NaN in row 0 poisons exactly row 0's outputs; other rows stay finite and correct.
  std::vector<float> xh = random_floats(4 * 8, 21);
  xh[3] = std::numeric_limits<float>::quiet_NaN();
  host::Buffer xb = upload(xh), wb = upload(random_floats(8 * 8, 22)), ob = filled(4 * 8 * 4);
  auto rec = ctx().record();
  ops::record_linear(ctx(), rec, MatrixView::row_major(xb, 1, 4, 8), {wb, std::nullopt, 8, 8, 1},
                     MatrixView::row_major(ob, 1, 4, 8), {.kernel = GetParam()});
  rec.submit_and_wait();
  const auto got = download<float>(ob);
  for (int n = 0; n < 8; ++n) EXPECT_TRUE(std::isnan(got[n])) << n;
  for (int i = 8; i < 32; ++i) EXPECT_TRUE(std::isfinite(got[i])) << i;
}

TEST_P(GemmTest, BadArgumentsThrowNamedErrors) {
  host::Buffer xb = filled(64 * 4), wb = filled(64 * 4), ob = filled(64 * 4);
  auto rec = ctx().record();
  const MatrixView x = MatrixView::row_major(xb, 1, 4, 8);
  auto expect_error = [&](const ops::LinearWeights& w, const MatrixView& o, ops::GemmOptions opt,
                          const std::string& needle) {
    try {
      const MatrixView xin = w.in == 8 ? x : MatrixView::row_major(xb, 1, 4, w.in);
      opt.kernel = GetParam();
      ops::record_linear(ctx(), rec, xin, w, o, opt);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const ops::OpError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  {
    try {  // x has 8 columns, the layer takes 7
      ops::record_linear(ctx(), rec, x, {wb, std::nullopt, 7, 8, 1}, MatrixView::row_major(ob, 1, 4, 8));
      ADD_FAILURE() << "no error for a column mismatch";
    } catch (const ops::OpError& e) {
      EXPECT_NE(std::string(e.what()).find("columns"), std::string::npos) << e.what();
    }
  }
  expect_error({wb, std::nullopt, 8, 6, 4}, MatrixView::row_major(ob, 1, 4, 6), {}, "nblocks");
  expect_error({wb, std::nullopt, 8, 8, 1}, MatrixView::row_major(ob, 1, 4, 7), {}, "out");
  expect_error({wb, std::nullopt, 8, 8, 1}, MatrixView::row_major(ob, 1, 4, 8), {.epilogue = Epilogue::AddResidual},
               "residual");
  expect_error({wb, std::nullopt, 12, 12, 3}, MatrixView::row_major(ob, 1, 4, 6), {.epilogue = Epilogue::Glu},
               "glu_scratch");
  if (!ops::coopmat_enabled(ctx())) {
    expect_error({wb, std::nullopt, 8, 8, 1}, MatrixView::row_major(ob, 1, 4, 8),
                 {.precision = ops::Precision::FP16CoopMat}, "fp16-coopmat");
  }
  host::Buffer small = filled(16 * 4);
  expect_error({small, std::nullopt, 8, 8, 1}, MatrixView::row_major(ob, 1, 4, 8), {}, "weight");
  // The filter epilogues' tables: missing, or shorter than the columns / rows they cover.
  const MatrixView o8 = MatrixView::row_major(ob, 1, 4, 8);
  expect_error({wb, std::nullopt, 8, 8, 1}, o8, {.epilogue = Epilogue::Sin}, "sin_freq");
  expect_error({wb, std::nullopt, 8, 8, 1}, o8, {.epilogue = Epilogue::Sin, .sin_freq = small.range().slice(0, 7 * 4)},
               "sin_freq: buffer holds 7 floats, needs 8");
  expect_error({wb, std::nullopt, 8, 8, 1}, o8, {.epilogue = Epilogue::Decay, .decay_deltas = small.range()}, "decay_t");
  expect_error({wb, std::nullopt, 8, 8, 1}, o8,
               {.epilogue = Epilogue::Decay, .decay_t = small.range().slice(0, 3 * 4), .decay_deltas = small.range()},
               "decay_t: buffer holds 3 floats, needs 4");
  expect_error({wb, std::nullopt, 8, 8, 1}, o8, {.epilogue = Epilogue::Decay, .decay_t = small.range()}, "decay_deltas");
}

// Tiled-kernel edges the texel cases above do not reach: K over several 16-wide k tiles with a
// partial last one (vec4 and scalar), rows and columns over several 64-wide tiles with
// remainders, GLU over block boundaries, and the 80M wo shape with its residual.
TEST_P(GemmTest, TiledKTilesAndRemainders) {
  const std::string a1 = "gemm_a1_w1_e0" + s(), a2 = "gemm_a2_w1_e0" + s();
  run({.batch = 2, .rows = 70, .in = 20, .out = 130, .variant = a1});  // K = 16 + 4
  run({.batch = 1, .rows = 129, .in = 84, .out = 65, .variant = a1});  // K = 5 * 16 + 4
  run({.batch = 2, .rows = 68, .in = 36, .out = 66, .x_layout = Layout::ChannelMajor, .variant = a2});
  run({.batch = 1, .rows = 65, .in = 45, .out = 129, .variant = "gemm_a0_w0_e0"});  // K = 2 * 16 + 13
  run({.batch = 1, .rows = 66, .in = 33, .out = 70, .x_layout = Layout::ChannelMajor, .variant = "gemm_a0_w0_e0"});
  run({.batch = 2, .rows = 40, .in = 96, .out = 320, .nb = 4, .bias = false, .epi = Epilogue::Glu});
  run({.batch = 1, .rows = 70, .in = 48, .out = 160, .nb = 2, .x_layout = Layout::ChannelMajor,
       .out_layout = Layout::ChannelMajor, .epi = Epilogue::Glu});
}

INSTANTIATE_TEST_SUITE_P(Kernels, GemmTest,
                         ::testing::Values(ops::GemmKernel::Auto, ops::GemmKernel::Texel8, ops::GemmKernel::Tiled,
                                           ops::GemmKernel::Tiled128),
                         [](const ::testing::TestParamInfo<ops::GemmKernel>& i) {
                           return std::string(ops::gemm_kernel_name(i.param));
                         });

// The run-time choice hook: called once per record_linear call under Auto with the GEMM's shape
// class, and its answer runs (here the 8 x 8 texel kernel: "_t8"); ignored when a kernel is forced.
TEST_F(VkTest, GemmChooseKernelHookDecides) {
  const std::uint32_t B = 2, M = 40, K = 32, N = 24;
  host::Buffer xb = ctx().create_buffer(std::uint64_t(B) * K * M * 4), wb = ctx().create_buffer(std::uint64_t(N) * K * 4),
               ob = ctx().create_buffer(std::uint64_t(B) * M * N * 4);
  ops::LinearWeights w{wb, std::nullopt, K, N, 1};
  std::vector<ops::GemmShape> seen;
  ops::GemmOptions o;
  o.choose_kernel = [&](const ops::GemmShape& s) {
    seen.push_back(s);
    return ops::GemmKernel::Texel8;
  };
  auto rec = ctx().record({.profile = true});
  ops::record_linear(ctx(), rec, MatrixView::channel_major(xb, B, M, K), w, MatrixView::row_major(ob, B, M, N), o);
  o.kernel = ops::GemmKernel::Texel;
  ops::record_linear(ctx(), rec, MatrixView::row_major(xb, B, M, K), w, MatrixView::row_major(ob, B, M, N), o);
  rec.submit_and_wait();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].rows, B * M);
  EXPECT_EQ(seen[0].n, N);
  EXPECT_EQ(seen[0].k, K);
  EXPECT_EQ(seen[0].nblocks, 1u);
  EXPECT_TRUE(seen[0].x_channel_major);
  ASSERT_EQ(rec.timings().size(), 2u);
  EXPECT_EQ(rec.timings()[0].name, "gemm_a2_w1_e0_c4_t8");
  EXPECT_EQ(rec.timings()[1].name.find("_t8"), std::string::npos);
}

// gemm_kernel_for on made-up devices: the texel kernels on a CPU device, the tiled ones on a GPU
// that has their limits, the texel ones on a GPU below them; a forced family wins.
TEST(GemmKernelChoice, ByDeviceTypeAndLimits) {
  host::DeviceInfo gpu;
  gpu.type = host::DeviceType::DiscreteGpu;
  gpu.max_workgroup_invocations = 1024;
  gpu.max_workgroup_size[0] = gpu.max_workgroup_size[1] = gpu.max_workgroup_size[2] = 1024;
  gpu.max_shared_memory = 49152;
  EXPECT_EQ(ops::gemm_kernel_for(gpu), ops::GemmKernel::Tiled);
  EXPECT_EQ(ops::gemm_kernel_for(gpu, ops::GemmKernel::Texel), ops::GemmKernel::Texel);
  for (host::DeviceType t : {host::DeviceType::IntegratedGpu, host::DeviceType::VirtualGpu, host::DeviceType::Other}) {
    host::DeviceInfo d = gpu;
    d.type = t;
    EXPECT_EQ(ops::gemm_kernel_for(d), ops::GemmKernel::Tiled) << host::device_type_name(t);
  }
  host::DeviceInfo cpu = gpu;
  cpu.type = host::DeviceType::Cpu;
  EXPECT_EQ(ops::gemm_kernel_for(cpu), ops::GemmKernel::Texel);
  EXPECT_EQ(ops::gemm_kernel_for(cpu, ops::GemmKernel::Tiled), ops::GemmKernel::Tiled);

  host::DeviceInfo small = gpu;
  small.max_shared_memory = 16384;  // Vulkan's minimum: below the GLU kernel's 17,408 bytes
  EXPECT_EQ(ops::gemm_kernel_for(small), ops::GemmKernel::Texel);
  ASSERT_TRUE(ops::tiled_gemm_missing(small).has_value());
  EXPECT_NE(ops::tiled_gemm_missing(small)->find("17408 bytes of shared memory"), std::string::npos);
  host::DeviceInfo narrow = gpu;
  narrow.max_workgroup_invocations = 128;  // Vulkan's minimum
  EXPECT_EQ(ops::gemm_kernel_for(narrow), ops::GemmKernel::Texel);
  EXPECT_NE(ops::tiled_gemm_missing(narrow)->find("16 x 16"), std::string::npos);
  EXPECT_FALSE(ops::tiled_gemm_missing(gpu).has_value());

  // Run-time candidates: the texel families on a CPU device, the tiled ones on a GPU that has
  // their limits (128 x 64 tiles need 25,600 bytes of shared memory for the GLU), else texel.
  using K = ops::GemmKernel;
  EXPECT_EQ(ops::gemm_kernel_candidates(cpu), (std::vector<K>{K::Texel, K::Texel8}));
  EXPECT_EQ(ops::gemm_kernel_candidates(gpu), (std::vector<K>{K::Tiled, K::Tiled128}));
  host::DeviceInfo mid = gpu;
  mid.max_shared_memory = 20000;
  EXPECT_EQ(ops::gemm_kernel_candidates(mid), (std::vector<K>{K::Tiled}));
  EXPECT_NE(ops::gemm_kernel_missing(mid, K::Tiled128)->find("25600 bytes of shared memory"), std::string::npos);
  EXPECT_EQ(ops::gemm_kernel_candidates(small), (std::vector<K>{K::Texel}));
  for (K k : {K::Auto, K::Texel, K::Texel8, K::Tiled, K::Tiled128}) EXPECT_EQ(ops::parse_gemm_kernel(ops::gemm_kernel_name(k)), k);
  EXPECT_FALSE(ops::parse_gemm_kernel("fast"));
}

}  // namespace
}  // namespace m2vk::test
