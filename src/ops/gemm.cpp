// Dense and block-diagonal GEMMs (see m2vk/ops/gemm.hpp and shaders/gemm.comp).
#include "m2vk/ops/gemm.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "layer_binding.hpp"
#include "m2vk/ops/activation.hpp"
#include "m2vk/ops/op_error.hpp"
#include "pc/gemm.h"

namespace m2vk::ops {
namespace {

// Workgroup tiles of shaders/gemm.comp (LY*TM rows x LX*TN columns) and gemm_coopmat.comp.
constexpr std::uint32_t kTileM = 128, kTileN = 64;
constexpr std::uint32_t kGluTileM = 64, kGluTileN = 64;
constexpr std::uint32_t kGlu2TileM = 128, kGlu2TileN = 32;  // paired-lane GLU (GLU=2)
constexpr std::uint32_t kCoopTile = 64;
constexpr std::uint32_t kTexel8TileM = 64;  // TM8: 8 x 8 per invocation
// shaders/gemm_tiled.comp: 64 x 64 (TILE 0) or 128 x 64 (TILE 1) tiles, 16 x 16 invocations,
// shared memory for two sets (GLU) of A and W tiles of 16 k x (BM + 4) and 16 k x (64 + 4) floats.
constexpr std::uint32_t kTiledTileN = 64, kTiledLocal = 16;
constexpr std::uint32_t tiled_tile_m(GemmKernel k) { return k == GemmKernel::Tiled128 ? 128 : 64; }
constexpr std::uint32_t tiled_shared_bytes(GemmKernel k) { return 2 * 16 * (tiled_tile_m(k) + 4 + kTiledTileN + 4) * 4; }
bool is_tiled(GemmKernel k) { return k == GemmKernel::Tiled || k == GemmKernel::Tiled128; }

std::string where(const char* arg) { return std::string("record_linear: ") + arg; }

std::uint32_t u32(std::uint64_t v, const char* what) { return detail::pc_u32(v, where(what)); }

// The Hyena filter's epilogues (EPI 4, 5), compiled for fewer load modes than the others.
bool filter_epilogue(Epilogue e) { return e == Epilogue::Sin || e == Epilogue::Decay; }

void check_shapes(const MatrixView& x, const LinearWeights& w, const MatrixView& out, const GemmOptions& o) {
  if (w.nblocks == 0 || w.in == 0 || w.out == 0 || w.in % w.nblocks != 0 || w.out % w.nblocks != 0) {
    throw OpError(where("weights") + ": in " + std::to_string(w.in) + " and out " + std::to_string(w.out) +
                  " must be positive multiples of nblocks " + std::to_string(w.nblocks));
  }
  const std::uint64_t wfloats = std::uint64_t(w.out) * (w.in / w.nblocks);
  if (w.weight.size / 4 < wfloats) {
    throw OpError(where("weight") + ": buffer holds " + std::to_string(w.weight.size / 4) + " floats, shape needs " +
                  std::to_string(wfloats));
  }
  if (w.bias && w.bias->size / 4 < w.out) {
    throw OpError(where("bias") + ": buffer holds " + std::to_string(w.bias->size / 4) + " floats, needs " +
                  std::to_string(w.out));
  }
  if (x.cols != w.in) {
    throw OpError(where("x") + " " + x.describe() + ": has " + std::to_string(x.cols) + " columns, the layer takes " +
                  std::to_string(w.in));
  }
  const bool glu = o.epilogue == Epilogue::Glu;
  if (glu && w.out % 2 != 0) throw OpError(where("epilogue Glu") + ": needs an even output count, got " + std::to_string(w.out));
  const std::uint32_t ncols = glu ? w.out / 2 : w.out;
  if (out.batch != x.batch || out.rows != x.rows || out.cols != ncols) {
    throw OpError(where("out") + " " + out.describe() + ": expected shape (" + std::to_string(x.batch) + ", " +
                  std::to_string(x.rows) + ", " + std::to_string(ncols) + ")");
  }
  if (o.epilogue == Epilogue::AddResidual) {
    if (!o.residual) throw OpError(where("residual") + ": epilogue AddResidual needs options.residual");
    if (!o.residual->same_layout(out)) {
      throw OpError(where("residual") + " " + o.residual->describe() + ": must have the shape and strides of out " +
                    out.describe());
    }
  }
  auto table = [&](const std::optional<host::BufferRange>& t, const char* name, std::uint64_t n) {
    if (!t) throw OpError(where(name) + ": epilogue " + (o.epilogue == Epilogue::Sin ? "Sin" : "Decay") + " needs options." + name);
    if (t->size / 4 < n) {
      throw OpError(where(name) + ": buffer holds " + std::to_string(t->size / 4) + " floats, needs " + std::to_string(n));
    }
  };
  if (o.epilogue == Epilogue::Sin) table(o.sin_freq, "sin_freq", w.out);
  if (o.epilogue == Epilogue::Decay) {
    table(o.decay_t, "decay_t", x.rows);
    table(o.decay_deltas, "decay_deltas", w.out);
  }
  if (filter_epilogue(o.epilogue) && o.precision != Precision::FP32) {
    throw OpError(where("precision") + ": the Sin and Decay epilogues run in fp32 only");
  }
  detail::check_in_buffer(x, where("x"));
  detail::check_in_buffer(out, where("out"));
  if (o.residual) detail::check_in_buffer(*o.residual, where("residual"));
}

enum EpiCode : std::uint32_t { kEpiBias = 0, kEpiGelu = 1, kEpiTanh = 2, kEpiResidual = 3, kEpiSin = 4, kEpiDecay = 5 };

std::uint32_t epi_code(Epilogue e) {
  switch (e) {
    case Epilogue::Gelu: return kEpiGelu;
    case Epilogue::Tanh: return kEpiTanh;
    case Epilogue::AddResidual: return kEpiResidual;
    case Epilogue::Sin: return kEpiSin;
    case Epilogue::Decay: return kEpiDecay;
    default: return kEpiBias;
  }
}

// Whether the 128 x 64 tiles run: Tiled128, except the fused GLU with scalar loads, whose 64
// accumulators and scalar address arithmetic spill on RDNA3 (RADV gfx1100): that one keeps the
// 64 x 64 tiles.
bool tiled_big(GemmKernel kernel, bool glu, int aload) { return kernel == GemmKernel::Tiled128 && !(glu && aload == 0); }

// The tiled kernel's variant (shaders/variants/gemm.cmake, gemm_tiled_*) for this piece: vec4
// loads along k (token-major x) or along m (channel-major x) when x and W are 16-byte aligned
// and K % 4 == 0 (storage buffers: no texel formats, no maxTexelBufferElements), else scalar.
std::string tiled_variant(const pc::GemmPC& pc, const detail::BoundFloats& xa, const detail::BoundFloats& wb,
                          std::uint32_t nrows, bool glu, Epilogue epi, GemmKernel kernel) {
  const bool v4 = pc.K % 4 == 0 && wb.vec4_start() && xa.vec4_start() && pc.a_sb % 4 == 0;
  int aload = 0;
  if (v4 && pc.a_sc == 1 && pc.a_sr % 4 == 0) aload = 1;
  else if (v4 && pc.a_sr == 1 && pc.a_sc % 4 == 0 && nrows % 4 == 0 && !filter_epilogue(epi)) aload = 2;
  const std::string a = "_a" + std::to_string(aload);
  const std::string prefix = tiled_big(kernel, glu, aload) ? "gemm_tiled128" : "gemm_tiled";
  return glu ? prefix + "_glu" + a : prefix + a + "_e" + std::to_string(epi_code(epi));
}

void record_piece(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& x, const LinearWeights& w,
                  const MatrixView& out, const GemmOptions& o, std::uint32_t b0, std::uint32_t nbatch,
                  std::uint32_t r0, std::uint32_t nrows, bool glu, GemmKernel kernel) {
  const std::uint32_t p = w.in / w.nblocks, q = w.out / w.nblocks;
  const auto xa = detail::bind_view(ctx, x, b0, nbatch, r0, nrows, where("x"));
  const auto ca = detail::bind_view(ctx, out, b0, nbatch, r0, nrows, where("out"));
  const std::uint64_t wfloats = std::uint64_t(w.out) * p;
  const bool coop = o.precision == Precision::FP16CoopMat;
  const bool tiled = !coop && is_tiled(kernel);
  const bool texel8 = !coop && kernel == GemmKernel::Texel8;
  if (coop && w.weight.size > ctx.limits().max_storage_range) {
    throw OpError(where("weight") + ": " + std::to_string(w.weight.size) + " bytes exceed maxStorageBufferRange");
  }
  if (!coop && !tiled && wfloats > ctx.limits().max_texel_elements) {
    throw OpError(where("weight") + ": " + std::to_string(wfloats) + " floats exceed the device's maxTexelBufferElements of " +
                  std::to_string(ctx.limits().max_texel_elements));
  }
  // fp32 kernel: W bound from an aligned start (its float offset in w_off); coopmat: whole range.
  const auto wb = coop ? detail::BoundFloats{w.weight, 0, w.weight.offset % 16 == 0}
                       : detail::bind_floats(ctx, w.weight, 0, wfloats, where("weight"));

  pc::GemmPC pc{};
  pc.M = nrows;
  pc.N = q;
  pc.K = p;
  pc.nblocks = w.nblocks;
  pc.glu_half = glu ? w.out / 2 : 0;
  pc.has_bias = w.bias ? 1u : 0u;
  pc.a_off = xa.offset;
  pc.a_sb = u32(x.stride_batch, "x.stride_batch");
  pc.a_sr = u32(x.stride_row, "x.stride_row");
  pc.a_sc = u32(x.stride_col, "x.stride_col");
  pc.c_off = ca.offset;
  pc.c_sb = u32(out.stride_batch, "out.stride_batch");
  pc.c_sr = u32(out.stride_row, "out.stride_row");
  pc.c_sc = u32(out.stride_col, "out.stride_col");

  std::optional<detail::BoundFloats> ra;
  if (o.epilogue == Epilogue::AddResidual) {
    ra = detail::bind_view(ctx, *o.residual, b0, nbatch, r0, nrows, where("residual"));
    pc.r_off = ra->offset;
  }
  pc.w_off = wb.offset;
  // The filter epilogues' tables: columns over all outputs; rows from this piece's first row.
  std::optional<detail::BoundFloats> col_tab, row_tab;
  if (o.epilogue == Epilogue::Sin) {
    col_tab = detail::bind_floats(ctx, *o.sin_freq, 0, w.out, where("sin_freq"));
    pc.e_scale = o.sin_scale;
  } else if (o.epilogue == Epilogue::Decay) {
    col_tab = detail::bind_floats(ctx, *o.decay_deltas, 0, w.out, where("decay_deltas"));
    row_tab = detail::bind_floats(ctx, *o.decay_t, r0, std::uint64_t(r0) + nrows, where("decay_t"));
    pc.e_row_off = row_tab->offset;
  }
  if (col_tab) pc.e_col_off = col_tab->offset;

  std::string variant;
  std::uint32_t tile_m = kTileM, tile_n = kTileN;
  VkFormat a_fmt = VK_FORMAT_R32_SFLOAT, w_fmt = VK_FORMAT_R32_SFLOAT;
  if (coop) {
    variant = "gemm_coopmat_e" + std::to_string(epi_code(o.epilogue));
    tile_m = tile_n = kCoopTile;
  } else if (tiled) {
    variant = tiled_variant(pc, xa, wb, nrows, glu, o.epilogue, kernel);
    tile_m = variant.rfind("gemm_tiled128", 0) == 0 ? tiled_tile_m(GemmKernel::Tiled128) : tiled_tile_m(GemmKernel::Tiled);
    tile_n = kTiledTileN;
  } else {
    // Load modes of gemm.comp (its header comment): vec4 texels of W when rows are 4-float
    // aligned; vec4 texels of x along k (token-major x) or along m (channel-major x) when aligned
    // and the binding is whole vec4s; else scalar (R32) texels.
    bool wvec = p % 4 == 0 && wb.vec4_start();
    const bool a4 = wvec && xa.vec4_start() && pc.a_sb % 4 == 0 && xa.range.size % 16 == 0;
    int aload = 0;
    if (a4 && pc.a_sc == 1 && pc.a_sr % 4 == 0) aload = 1;
    else if (a4 && pc.a_sr == 1 && pc.a_sc % 4 == 0 && nrows % 4 == 0) aload = 2;
    // The filter epilogues exist with vec4 loads along k or scalar loads only (gemm.cmake).
    if (filter_epilogue(o.epilogue) && aload != 1) {
      aload = 0;
      wvec = false;
    }
    if (aload != 0) a_fmt = VK_FORMAT_R32G32B32A32_SFLOAT;
    if (wvec) w_fmt = VK_FORMAT_R32G32B32A32_SFLOAT;
    const std::string suffix = "_a" + std::to_string(aload) + "_w" + (wvec ? "1" : "0");
    // vec4 stores of C (and residual reads): row-contiguous, 16-byte aligned output whose
    // segments (blocks; GLU halves) are whole vec4s.
    const std::uint32_t seg = glu ? (w.nblocks == 1 ? w.out / 2 : q) : q;
    const bool c4 = aload != 0 && wvec && pc.c_sc == 1 && ca.vec4_ok && pc.c_off % 4 == 0 && pc.c_sr % 4 == 0 &&
                    pc.c_sb % 4 == 0 && seg % 4 == 0 && (!glu || pc.glu_half % 4 == 0) &&
                    (o.epilogue == Epilogue::None || o.epilogue == Epilogue::AddResidual || filter_epilogue(o.epilogue) ||
                     glu) &&
                    (!ra || (ra->vec4_ok && pc.r_off % 4 == 0));
    // Paired-lane GLU: lanes tx and tx ^ 4 exchange rows through subgroupShuffleXor(4), so
    // subgroups must cover whole rows of 8 lanes of local x. Not on a CPU device with wider
    // subgroups: llvmpipe's 16-lane shuffles made these kernels about 7x slower than the
    // unshared ones at LP_NATIVE_VECTOR_WIDTH=512 (bench/RESULTS.md, "GEMMs").
    const host::DeviceInfo& info = ctx.device_info();
    // Texel8 never shuffles (it exists for the CPU devices where shuffles are slow).
    const bool glu2 = !texel8 && aload != 0 && info.subgroup_shuffle && info.subgroup_size >= 8 && info.subgroup_size % 8 == 0 &&
                      (info.type != host::DeviceType::Cpu || info.subgroup_size == 8);
    if (glu && glu2) {
      variant = "gemm_glu2" + suffix;
      tile_m = kGlu2TileM;
      tile_n = kGlu2TileN;
    } else if (glu) {
      variant = "gemm_glu" + suffix;
      tile_m = kGluTileM;
      tile_n = kGluTileN;
    } else {
      variant = "gemm" + suffix + "_e" + std::to_string(epi_code(o.epilogue));
      if (texel8) tile_m = kTexel8TileM;
    }
    if (c4) variant += "_c4";
    if (!glu && texel8) variant += "_t8";  // the fused GLU (GLU 1) has 8 x 8 tiles already
    // Vec4 loads of A with shuffles available: the kernel that shares A rows across the 8 lanes
    // of a row (A_SHUF in gemm.comp; the paired-lane GLU always does).
    if (!glu && glu2) variant += "_s";
  }

  // Column segments: one per block; the fused GLU cuts its I outputs at block boundaries.
  std::uint32_t segments = w.nblocks;
  pc.seg_width = q;
  if (glu) {
    pc.seg_width = w.nblocks == 1 ? w.out / 2 : q;
    segments = (w.out / 2) / pc.seg_width;
  }
  pc.tiles_per_seg = (pc.seg_width + tile_n - 1) / tile_n;
  const host::Groups groups{u32(std::uint64_t(segments) * pc.tiles_per_seg, "column tiles"),
                            host::div_up(nrows, tile_m), nbatch};

  const host::Pipeline& pipe = ctx.pipeline(variant);
  const host::BufferRange bias = w.bias ? *w.bias : w.weight;  // unused binding when no bias
  const host::Binding ab = coop || tiled ? host::read(xa.range) : host::texels(xa.range, a_fmt);
  const host::Binding wbind = coop || tiled ? host::read(wb.range) : host::texels(wb.range, w_fmt);
  if (ra) {
    rec.dispatch(pipe, {ab, wbind, host::read(bias), host::write(ca.range), host::read(ra->range)}, pc, groups, variant);
  } else if (col_tab) {
    // The filter epilogues' tables: R32 texels in the texel kernel, storage buffers in the tiled one.
    auto table = [&](const host::BufferRange& r) { return tiled ? host::read(r) : host::texels(r, VK_FORMAT_R32_SFLOAT); };
    if (row_tab) {
      rec.dispatch(pipe, {ab, wbind, host::read(bias), host::write(ca.range), table(col_tab->range), table(row_tab->range)}, pc,
                   groups, variant);
    } else {
      rec.dispatch(pipe, {ab, wbind, host::read(bias), host::write(ca.range), table(col_tab->range)}, pc, groups, variant);
    }
  } else {
    rec.dispatch(pipe, {ab, wbind, host::read(bias), host::write(ca.range)}, pc, groups, variant);
  }
}

void record_checked(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& x, const LinearWeights& w,
                    const MatrixView& out, const GemmOptions& o, bool glu) {
  std::vector<const MatrixView*> views{&x, &out};
  if (o.residual) views.push_back(&*o.residual);
  GemmKernel kernel = o.kernel;
  if (kernel == GemmKernel::Auto && o.choose_kernel && o.precision == Precision::FP32) {
    GemmShape shape;
    shape.rows = u32(std::uint64_t(x.batch) * x.rows, "x rows");
    shape.n = w.out;
    shape.k = w.in;
    shape.nblocks = w.nblocks;
    shape.epilogue = glu ? Epilogue::Glu : o.epilogue;
    shape.x_channel_major = x.stride_row == 1 && x.cols > 1;
    kernel = o.choose_kernel(shape);  // Auto back: the rule's choice, below
  }
  kernel = gemm_kernel_for(ctx.device_info(), kernel);
  if (o.precision == Precision::FP32) {
    if (auto missing = gemm_kernel_missing(ctx.device_info(), kernel)) {
      throw OpError(where("kernel") + ": the " + gemm_kernel_name(kernel) + " GEMM cannot run on '" +
                    ctx.device_info().name + "' (" + *missing + ")");
    }
  }
  // The texel kernels read x through a texel view: R32 in the worst case, so one view spans at
  // most maxTexelBufferElements floats.
  const std::uint64_t max_floats =
      o.precision == Precision::FP32 && !is_tiled(kernel) ? ctx.limits().max_texel_elements : 0;
  detail::for_each_piece(
      ctx, views, x.batch, x.rows, "record_linear",
      [&](std::uint32_t b0, std::uint32_t nb, std::uint32_t r0, std::uint32_t nr) {
        record_piece(ctx, rec, x, w, out, o, b0, nb, r0, nr, glu, kernel);
      },
      0, max_floats);
}

}  // namespace

const char* gemm_kernel_name(GemmKernel k) {
  switch (k) {
    case GemmKernel::Texel: return "texel";
    case GemmKernel::Texel8: return "texel8";
    case GemmKernel::Tiled: return "tiled";
    case GemmKernel::Tiled128: return "tiled128";
    default: return "auto";
  }
}

std::optional<GemmKernel> parse_gemm_kernel(const std::string& s) {
  for (GemmKernel k : {GemmKernel::Auto, GemmKernel::Texel, GemmKernel::Texel8, GemmKernel::Tiled, GemmKernel::Tiled128})
    if (s == gemm_kernel_name(k)) return k;
  return std::nullopt;
}

std::optional<std::string> gemm_kernel_missing(const host::DeviceInfo& info, GemmKernel kernel) {
  if (!is_tiled(kernel)) return std::nullopt;  // texel kernels: 64 invocations, no shared memory
  if (info.max_workgroup_invocations < kTiledLocal * kTiledLocal || info.max_workgroup_size[0] < kTiledLocal ||
      info.max_workgroup_size[1] < kTiledLocal) {
    return "needs workgroups of " + std::to_string(kTiledLocal) + " x " + std::to_string(kTiledLocal) +
           " invocations, the device allows " + std::to_string(info.max_workgroup_invocations);
  }
  const std::uint32_t bytes = tiled_shared_bytes(kernel);
  if (info.max_shared_memory < bytes) {
    return "needs " + std::to_string(bytes) + " bytes of shared memory, the device has " +
           std::to_string(info.max_shared_memory);
  }
  return std::nullopt;
}

std::optional<std::string> tiled_gemm_missing(const host::DeviceInfo& info) {
  return gemm_kernel_missing(info, GemmKernel::Tiled);
}

GemmKernel gemm_kernel_for(const host::DeviceInfo& info, GemmKernel requested) {
  if (requested != GemmKernel::Auto) return requested;
  if (info.type == host::DeviceType::Cpu) return GemmKernel::Texel;
  return tiled_gemm_missing(info) ? GemmKernel::Texel : GemmKernel::Tiled;
}

std::vector<GemmKernel> gemm_kernel_candidates(const host::DeviceInfo& info) {
  if (info.type == host::DeviceType::Cpu) return {GemmKernel::Texel, GemmKernel::Texel8};
  std::vector<GemmKernel> out;
  for (GemmKernel k : {GemmKernel::Tiled, GemmKernel::Tiled128})
    if (!gemm_kernel_missing(info, k)) out.push_back(k);
  if (out.empty()) out.push_back(GemmKernel::Texel);
  return out;
}

bool glu_fusable(const LinearWeights& w) {
  return w.nblocks == 1 || (w.nblocks % 2 == 0 && w.out % w.nblocks == 0);
}

std::uint64_t linear_macs(const MatrixView& x, const LinearWeights& w) {
  return std::uint64_t(x.batch) * x.rows * w.out * (w.nblocks ? w.in / w.nblocks : 0);
}

void record_linear(host::Context& ctx, host::CommandRecorder& rec, const MatrixView& x, const LinearWeights& w,
                   const MatrixView& out, const GemmOptions& options) {
  check_shapes(x, w, out, options);
  if (x.batch == 0 || x.rows == 0) return;
  if (options.precision == Precision::FP16CoopMat && !coopmat_enabled(ctx)) {
    throw OpError(where("precision") + ": fp16-coopmat is not available on '" + ctx.device_info().name +
                  "' (" + coopmat_missing(ctx.device_info(), false) + "); pass the result of resolve_precision()");
  }
  if (options.epilogue != Epilogue::Glu) {
    record_checked(ctx, rec, x, w, out, options, false);
    return;
  }
  if (glu_fusable(w) && options.precision == Precision::FP32) {
    record_checked(ctx, rec, x, w, out, options, true);
    return;
  }
  // Unfused GLU: all 2I outputs into the scratch (token-major), then the element-wise GLU.
  if (!options.glu_scratch) {
    throw OpError(where("glu_scratch") + ": GLU with nblocks " + std::to_string(w.nblocks) +
                  " cannot be fused; pass a scratch buffer of " + std::to_string(linear_macs(x, w) / (w.in / w.nblocks)) +
                  " floats");
  }
  const MatrixView g = MatrixView::row_major(*options.glu_scratch, x.batch, x.rows, w.out);
  GemmOptions plain = options;
  plain.epilogue = Epilogue::None;
  record_checked(ctx, rec, x, w, g, plain, false);
  record_activation(ctx, rec, Activation::Glu, g, out);
}

}  // namespace m2vk::ops
