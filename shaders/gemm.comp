#version 450
// C = epilogue(A * W^T + bias), fp32: dense and Monarch block-diagonal linear layers
// (layouts in include/pc/gemm.h, choices in src/ops/README-layer-ops.md).
//
// Shaped for lavapipe (src/ops/README-layer-ops.md, "GEMM kernel"): A and W are read through
// uniform texel buffers, which llvmpipe compiles to unrolled gathers (storage-buffer loads become
// a loop over the 8 lanes, 2.5-3x slower here); no shared memory (barriers and shared loads are
// no cheaper). Each invocation keeps a TM x TN tile of outputs in registers and reads 4
// consecutive k per texel, so one fetch feeds 4*TM or 4*TN FMAs. Workgroups of 8 x 8 invocations
// cover BM x BN = 128 x 64 outputs (64 x 64 for the fused GLU, which keeps two accumulator sets).
//
// Variant defines (shaders/variants/gemm.cmake):
//   A_LOAD  0: scalar texels (R32 view), any strides; 1: vec4 texels along k (a_sc == 1);
//           2: vec4 texels along m (a_sr == 1); vec4 texels need an RGBA32F view
//   W_VEC4  1: weight rows read as vec4 texels (K % 4 == 0); 0: scalar texels (any K)
//   EPI     0: bias only; 1: GELU; 2: tanh; 3: + residual R (same layout as C); 4: the Hyena
//           filter's Sin layer, 5: its exponential decay (include/pc/gemm.h), applied in
//           registers before the store (a separate element-wise pass re-read and re-wrote the
//           whole output: at K = 64 that cost more than half of the GEMM itself)
//   GLU     1: out[m, j] = GELU(gate) * value with gate = column j, value = column j + glu_half
//           2: the same with paired lanes: lanes tx < 4 compute gate columns, tx + 4 the matching
//              value columns (one accumulator set, the plain GEMM's 16 x 8 tile), then swap
//              half their rows with subgroupShuffleXor(4). Needs subgroups of a multiple of 8
//              lanes laid over local x; ~1.15x faster than GLU 1 on lavapipe
//   A_SHUF  1 (A_LOAD 1 or 2; implied by GLU 2): the 8 lanes of a row (same ty, so the same A
//              rows) split the A fetches -- lane l fetches rows l, l + 8 (A_LOAD 1) -- and pass
//              them on with subgroupShuffle (a cross-lane permute on llvmpipe, not a per-lane
//              loop): 2 A texel fetches per lane and k step instead of 16 gathers that all hit
//              one address, ~1.2-1.3x faster on lavapipe (4 lanes share in GLU 2, whose gate and
//              value lanes may read different input chunks). Needs subgroups of a multiple of 8
//              lanes laid over local x, like GLU 2 (the host checks both)
//   C4      1: C (and R) written/read as vec4 along n: each invocation owns TN contiguous
//              columns, and the host guarantees c_sc == 1, 4-aligned offsets and strides and a
//              segment width % 4 == 0 (a store is ~100 cycles per lane here whatever its width,
//              so TM*TN scalar stores cost up to a third of a K = 192 GEMM)
#extension GL_EXT_control_flow_attributes : require
#if GLU == 2 && !defined(A_SHUF)
#define A_SHUF 1  // the paired-lane GLU needs shuffles anyway
#endif
#ifndef A_SHUF
#define A_SHUF 0
#endif
#if GLU == 2 || A_SHUF
#extension GL_KHR_shader_subgroup_shuffle : require
#endif
#include "activations.glsl"
#include "pc/gemm.h"

#ifndef GLU
#define GLU 0
#endif
#ifndef C4
#define C4 0
#endif
// Tile per invocation (the host's kTileM/kTileN follow). With texel fetches 16 x 8 measured
// ~1.3x faster than 8 x 8 on lavapipe; 16 x 16 and 32 x 8 spill and compile >1 s per variant.
// GLU (two accumulator sets, two input chunks): 8 x 8 beat 16 x 4 and 12 x 8 (49% vs 46-47%).
// TM8 1: the plain GEMM with 8 x 8 tiles too (BM 64), for 512-bit llvmpipe code, where each
// accumulator fills a whole 16-lane register (GemmKernel::Texel8; bench/RESULTS.md, "GEMMs").
#ifndef TM8
#define TM8 0
#endif
#if GLU == 1 || TM8
#define TM 8
#define TN 8
#else
#define TM 16
#define TN 8
#endif
#define LX 8
#define LY 8
#if GLU == 2
#define BN (LX / 2 * TN)
#else
#define BN (LX * TN)
#endif
#define BM (LY * TM)
// A_SHUF: lanes sharing one A tile (the same rows and input chunk). The paired-lane GLU's gate
// and value lanes read different chunks when nblocks > 1, so only 4 lanes share there.
#if GLU == 2
#define A_SH 4
#else
#define A_SH 8
#endif

// One-dimensional workgroup, tx = index % LX and ty = index / LX (the same lanes as an LX x LY
// layout on GPUs and at subgroups of 8): llvmpipe vectorises along local x only, so with
// local_size_x = 8 its 16-lane (512-bit) code ran every subgroup half masked, 2x slower.
layout(local_size_x = LX * LY) in;

// Texel indices are in units of the view's format: floats (R32) or vec4s (RGBA32F).
layout(binding = 0) uniform samplerBuffer a;
layout(binding = 1) uniform samplerBuffer w;
layout(std430, binding = 2) readonly buffer BiasBuf { float bias[]; };
#if C4
layout(std430, binding = 3) writeonly buffer CBuf { vec4 c4[]; };
#elif EPI == 1 || EPI == 2
layout(std430, binding = 3) buffer CBuf { float c[]; };  // read back by the activation loop
#else
layout(std430, binding = 3) writeonly buffer CBuf { float c[]; };
#endif
#if EPI == 3 && C4
layout(std430, binding = 4) readonly buffer RBuf { vec4 r4[]; };
#elif EPI == 3
layout(std430, binding = 4) readonly buffer RBuf { float r[]; };
#endif
// The filter epilogues' tables as R32 texels: a storage-buffer load is a loop over the lanes
// here, and the decay reads one t per row of the tile.
#if EPI == 4 || EPI == 5
layout(binding = 4) uniform samplerBuffer col_tab;  // freq (4), deltas (5)
#endif
#if EPI == 5
layout(binding = 5) uniform samplerBuffer row_tab;  // t
#endif
M2VK_PUSH_CONSTANT_BLOCK(GemmPC, M2VK_PC_GEMM)

uint rows_base;  // first row of this invocation's tile
uint batch;

// av[i] = A[row i of the tile][k .. k+3] of the input chunk starting at column `kchunk`.
void load_a(uint kchunk, uint k, out vec4 av[TM]) {
  uint base = pc.a_off + batch * pc.a_sb + kchunk * pc.a_sc;
#if A_SHUF && A_LOAD == 2
  // A group of A_SH lanes shares these TM/4 x 4 texels: lane l fetches texels l, l + A_SH, ...
  // and takes the others from its neighbours by subgroupShuffle.
  uint l = gl_LocalInvocationIndex % A_SH, src0 = gl_SubgroupInvocationID - l;
  vec4 m[TM / A_SH];
  [[unroll]] for (uint h = 0; h < TM / A_SH; h++) {
    uint t = l + A_SH * h;
    uint row = min(rows_base + 4 * (t / 4), pc.M - 4);
    m[h] = texelFetch(a, int((base + row + (k + t % 4) * pc.a_sc) / 4));
  }
  [[unroll]] for (uint g = 0; g < TM / 4; g++) {
    vec4 v[4];
    [[unroll]] for (uint kk = 0; kk < 4; kk++) v[kk] = subgroupShuffle(m[(4 * g + kk) / A_SH], src0 + (4 * g + kk) % A_SH);
    av[4 * g + 0] = vec4(v[0].x, v[1].x, v[2].x, v[3].x);
    av[4 * g + 1] = vec4(v[0].y, v[1].y, v[2].y, v[3].y);
    av[4 * g + 2] = vec4(v[0].z, v[1].z, v[2].z, v[3].z);
    av[4 * g + 3] = vec4(v[0].w, v[1].w, v[2].w, v[3].w);
  }
#elif A_SHUF && A_LOAD == 1
  // Lane l of a group of A_SH lanes fetches tile rows l, l + A_SH, ...; the others by shuffle.
  uint l = gl_LocalInvocationIndex % A_SH, src0 = gl_SubgroupInvocationID - l;
  vec4 m[TM / A_SH];
  [[unroll]] for (uint h = 0; h < TM / A_SH; h++)
    m[h] = texelFetch(a, int((base + min(rows_base + l + A_SH * h, pc.M - 1) * pc.a_sr) / 4 + k / 4));
  [[unroll]] for (uint i = 0; i < TM; i++) av[i] = subgroupShuffle(m[i / A_SH], src0 + i % A_SH);
#elif A_LOAD == 2
  // vec4 along m: the host guarantees M % 4 == 0 and 4-aligned offsets, so a group of four rows
  // is either entirely valid or entirely past M (then it re-reads the last group).
  for (uint g = 0; g < TM / 4; g++) {
    uint row = min(rows_base + 4 * g, pc.M - 4);
    vec4 v0 = texelFetch(a, int((base + row + (k + 0) * pc.a_sc) / 4));
    vec4 v1 = texelFetch(a, int((base + row + (k + 1) * pc.a_sc) / 4));
    vec4 v2 = texelFetch(a, int((base + row + (k + 2) * pc.a_sc) / 4));
    vec4 v3 = texelFetch(a, int((base + row + (k + 3) * pc.a_sc) / 4));
    av[4 * g + 0] = vec4(v0.x, v1.x, v2.x, v3.x);
    av[4 * g + 1] = vec4(v0.y, v1.y, v2.y, v3.y);
    av[4 * g + 2] = vec4(v0.z, v1.z, v2.z, v3.z);
    av[4 * g + 3] = vec4(v0.w, v1.w, v2.w, v3.w);
  }
#else
  for (uint i = 0; i < TM; i++) {
    uint row = min(rows_base + i, pc.M - 1);  // rows past M compute garbage that is never stored
#if A_LOAD == 1
    av[i] = texelFetch(a, int((base + row * pc.a_sr) / 4 + k / 4));
#else
    uint rb = base + row * pc.a_sr;
    for (uint kk = 0; kk < 4; kk++) {
      // past K (only when K % 4 != 0): read a valid element, then zero it
      uint kc = min(k + kk, pc.K - 1);
      av[i][kk] = (k + kk < pc.K) ? texelFetch(a, int(rb + kc * pc.a_sc)).x : 0.0;
    }
#endif
  }
#endif
}

// W[wrow][k .. k+3]
vec4 load_w(uint wrow, uint k) {
#if W_VEC4
  return texelFetch(w, int((pc.w_off + wrow * pc.K) / 4 + k / 4));
#else
  vec4 v;
  for (uint kk = 0; kk < 4; kk++) {
    uint kc = min(k + kk, pc.K - 1);
    v[kk] = (k + kk < pc.K) ? texelFetch(w, int(pc.w_off + wrow * pc.K + kc)).x : 0.0;
  }
  return v;
#endif
}

float dot4(vec4 x, vec4 y, float acc) { return fma(x.w, y.w, fma(x.z, y.z, fma(x.y, y.y, fma(x.x, y.x, acc)))); }

void main() {
  uint tx = gl_LocalInvocationIndex % LX, ty = gl_LocalInvocationIndex / LX;
  uint seg = gl_WorkGroupID.x / pc.tiles_per_seg;
  uint tile = gl_WorkGroupID.x % pc.tiles_per_seg;
  batch = gl_WorkGroupID.z;
  rows_base = gl_WorkGroupID.y * BM + ty * TM;

  // Output columns of this invocation: TN contiguous ones (so C4 stores whole vec4s; texel
  // gathers of W rows cost the same whether the lanes' rows are neighbours or not).
  uint col_in_seg[TN];
#if GLU == 2
  uint half_ = tx / 4;  // 0: gate lanes, 1: value lanes
  for (uint j = 0; j < TN; j++) col_in_seg[j] = tile * BN + (tx % 4) * TN + j;
#else
  for (uint j = 0; j < TN; j++) col_in_seg[j] = tile * BN + tx * TN + j;
#endif
  uint seg_first = seg * pc.seg_width;

#if GLU == 2
  uint blk = half_ == 0 ? seg_first / pc.N : (seg_first + pc.glu_half) / pc.N;
  float acc[TM][TN];
  for (uint i = 0; i < TM; i++)
    for (uint j = 0; j < TN; j++) acc[i][j] = 0.0;
  uint wrow[TN];
  for (uint j = 0; j < TN; j++) wrow[j] = seg_first + min(col_in_seg[j], pc.seg_width - 1) + half_ * pc.glu_half;
  for (uint k = 0; k < pc.K; k += 4) {
    vec4 av[TM], bv[TN];
    load_a(blk * pc.K, k, av);
    for (uint j = 0; j < TN; j++) bv[j] = load_w(wrow[j], k);
    for (uint i = 0; i < TM; i++)
      for (uint j = 0; j < TN; j++) acc[i][j] = dot4(av[i], bv[j], acc[i][j]);
  }
  float bcol[TN];
  for (uint j = 0; j < TN; j++) bcol[j] = pc.has_bias != 0 ? bias[wrow[j]] : 0.0;
  // Gate lanes store rows 0 .. TM/2-1, value lanes rows TM/2 .. TM-1: each sends its partner
  // the half it needs (gate lanes their lower gate rows, value lanes their upper value rows).
  // Unrolled so acc stays in registers (a dynamic index would put the array in memory).
  [[unroll]] for (uint i = 0; i < TM / 2; i++) {
    uint row = rows_base + half_ * (TM / 2) + i;
    float mine[TN], other[TN];
    [[unroll]] for (uint j = 0; j < TN; j++) {
      mine[j] = (half_ == 0 ? acc[i][j] : acc[i + TM / 2][j]) + bcol[j];
      float send = (half_ == 0 ? acc[i + TM / 2][j] : acc[i][j]) + bcol[j];
      other[j] = subgroupShuffleXor(send, 4);
    }
    if (row >= pc.M) continue;  // after the shuffles: every lane must take part in them
#if C4
    for (uint q = 0; q < TN / 4; q++) {
      if (col_in_seg[4 * q] >= pc.seg_width) continue;
      vec4 o;
      for (uint e = 0; e < 4; e++) {
        uint j = 4 * q + e;
        float g = half_ == 0 ? mine[j] : other[j], v = half_ == 0 ? other[j] : mine[j];
        o[e] = m2vk_gelu(g) * v;
      }
      c4[(pc.c_off + batch * pc.c_sb + row * pc.c_sr + seg_first + col_in_seg[4 * q]) / 4] = o;
    }
#else
    for (uint j = 0; j < TN; j++) {
      if (col_in_seg[j] >= pc.seg_width) continue;
      uint col = seg_first + col_in_seg[j];
      float g = half_ == 0 ? mine[j] : other[j], v = half_ == 0 ? other[j] : mine[j];
      c[pc.c_off + batch * pc.c_sb + row * pc.c_sr + col * pc.c_sc] = m2vk_gelu(g) * v;
    }
#endif
  }
#elif GLU
  // Gate column j and value column j + I may sit in different blocks, hence different input
  // chunks; the host cuts segments so that each workgroup sees one block for each.
  uint gate_blk = seg_first / pc.N;
  uint val_blk = (seg_first + pc.glu_half) / pc.N;
  float accg[TM][TN], accv[TM][TN];
  for (uint i = 0; i < TM; i++)
    for (uint j = 0; j < TN; j++) {
      accg[i][j] = 0.0;
      accv[i][j] = 0.0;
    }
  uint grow[TN], vrow[TN];
  for (uint j = 0; j < TN; j++) {
    grow[j] = seg_first + min(col_in_seg[j], pc.seg_width - 1);
    vrow[j] = grow[j] + pc.glu_half;
  }
  for (uint k = 0; k < pc.K; k += 4) {
    vec4 ag[TM], avv[TM], bg[TN], bv[TN];
    load_a(gate_blk * pc.K, k, ag);
    load_a(val_blk * pc.K, k, avv);
    for (uint j = 0; j < TN; j++) {
      bg[j] = load_w(grow[j], k);
      bv[j] = load_w(vrow[j], k);
    }
    for (uint i = 0; i < TM; i++)
      for (uint j = 0; j < TN; j++) {
        accg[i][j] = dot4(ag[i], bg[j], accg[i][j]);
        accv[i][j] = dot4(avv[i], bv[j], accv[i][j]);
      }
  }
  // Bias loaded once per column, not once per output.
  float bg_[TN], bv_[TN];
  for (uint j = 0; j < TN; j++) {
    bg_[j] = pc.has_bias != 0 ? bias[grow[j]] : 0.0;
    bv_[j] = pc.has_bias != 0 ? bias[vrow[j]] : 0.0;
  }
  for (uint i = 0; i < TM; i++) {
    uint row = rows_base + i;
    if (row >= pc.M) break;
#if C4
    for (uint q = 0; q < TN / 4; q++) {
      if (col_in_seg[4 * q] >= pc.seg_width) continue;
      vec4 o;
      for (uint e = 0; e < 4; e++) o[e] = m2vk_gelu(accg[i][4 * q + e] + bg_[4 * q + e]) * (accv[i][4 * q + e] + bv_[4 * q + e]);
      c4[(pc.c_off + batch * pc.c_sb + row * pc.c_sr + seg_first + col_in_seg[4 * q]) / 4] = o;
    }
#else
    for (uint j = 0; j < TN; j++) {
      if (col_in_seg[j] >= pc.seg_width) continue;
      uint col = seg_first + col_in_seg[j];
      c[pc.c_off + batch * pc.c_sb + row * pc.c_sr + col * pc.c_sc] = m2vk_gelu(accg[i][j] + bg_[j]) * (accv[i][j] + bv_[j]);
    }
#endif
  }
#else
  uint blk = seg;  // one segment per block
  float acc[TM][TN];
  for (uint i = 0; i < TM; i++)
    for (uint j = 0; j < TN; j++) acc[i][j] = 0.0;
  uint wrow[TN];
  for (uint j = 0; j < TN; j++) wrow[j] = blk * pc.N + min(col_in_seg[j], pc.N - 1);
  for (uint k = 0; k < pc.K; k += 4) {
    vec4 av[TM], bv[TN];
    load_a(blk * pc.K, k, av);
    for (uint j = 0; j < TN; j++) bv[j] = load_w(wrow[j], k);
    for (uint i = 0; i < TM; i++)
      for (uint j = 0; j < TN; j++) acc[i][j] = dot4(av[i], bv[j], acc[i][j]);
  }
  float bcol[TN];  // bias loaded once per column, not once per output
  for (uint j = 0; j < TN; j++) bcol[j] = pc.has_bias != 0 ? bias[wrow[j]] : 0.0;
#if EPI == 4 || EPI == 5
  // Per-column factors of the filter epilogues: e_scale * freq (Sin), |deltas| (Decay).
  float ecol[TN];
  for (uint j = 0; j < TN; j++) {
    float v = texelFetch(col_tab, int(pc.e_col_off + wrow[j])).x;
#if EPI == 4
    ecol[j] = pc.e_scale * v;
#else
    ecol[j] = abs(v);
#endif
  }
#endif
  for (uint i = 0; i < TM; i++) {
    uint row = rows_base + i;
    if (row >= pc.M) break;
#if EPI == 5
    float trow = texelFetch(row_tab, int(pc.e_row_off + row)).x;
#endif
#if C4
    for (uint q = 0; q < TN / 4; q++) {
      if (col_in_seg[4 * q] >= pc.N) continue;
      vec4 x = vec4(acc[i][4 * q], acc[i][4 * q + 1], acc[i][4 * q + 2], acc[i][4 * q + 3]) +
               vec4(bcol[4 * q], bcol[4 * q + 1], bcol[4 * q + 2], bcol[4 * q + 3]);
      uint off = batch * pc.c_sb + row * pc.c_sr + wrow[4 * q];
#if EPI == 3
      x += r4[(pc.r_off + off) / 4];
#elif EPI == 4
      x = m2vk_precise_sin(vec4(ecol[4 * q], ecol[4 * q + 1], ecol[4 * q + 2], ecol[4 * q + 3]) * x);
#elif EPI == 5
      x *= exp(-trow * vec4(ecol[4 * q], ecol[4 * q + 1], ecol[4 * q + 2], ecol[4 * q + 3]));
#endif
      c4[(pc.c_off + off) / 4] = x;
    }
#else
    for (uint j = 0; j < TN; j++) {
      if (col_in_seg[j] >= pc.N) continue;
      float x = acc[i][j] + bcol[j];
      uint idx = pc.c_off + batch * pc.c_sb + row * pc.c_sr + wrow[j] * pc.c_sc;
#if EPI == 3
      x += r[pc.r_off + batch * pc.c_sb + row * pc.c_sr + wrow[j] * pc.c_sc];
#elif EPI == 4
      x = m2vk_precise_sin(ecol[j] * x);
#elif EPI == 5
      x *= exp(-trow * ecol[j]);
#endif
      c[idx] = x;
    }
#endif
  }
#if EPI == 1 || EPI == 2
  // The activation runs in a loop that is not unrolled, over the values just stored: inlined
  // TM*TN times it made llvmpipe's compile several times slower for no measurable speed.
  [[dont_unroll]] for (uint e = 0; e < TM * TN; e++) {
    uint row = rows_base + e / TN, n = col_in_seg[0] + e % TN;
    if (row >= pc.M || n >= pc.N) continue;
    uint idx = pc.c_off + batch * pc.c_sb + row * pc.c_sr + (blk * pc.N + n) * pc.c_sc;
#if EPI == 1
    c[idx] = m2vk_gelu(c[idx]);
#else
    c[idx] = m2vk_tanh(c[idx]);
#endif
  }
#endif
#endif
}
