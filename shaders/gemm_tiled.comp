#version 450
// C = epilogue(A * W^T + bias), fp32, shaped for GPUs: the same op, push constants and bindings
// as gemm.comp (layouts in include/pc/gemm.h), chosen by src/ops/gemm.cpp (gemm_kernel_for) on
// every device that is not a CPU. gemm.comp is tuned for lavapipe (texel gathers, 128 outputs
// per invocation, no shared memory); on a GPU its accumulators exceed the register file (RADV
// gfx1100 spills 150-260 VGPRs) and its gathers skip the caches' line reuse.
//
// Here a workgroup of LX x LY = 16 x 16 invocations computes a BM x BN tile of C, each
// invocation a TM x TN block (rows ty*TM.., columns tx*TN..). Two tile shapes (TILE, below):
// 64 x 64 with 4 x 4 per invocation (16 accumulators, 32 for GLU; any size of M), and 128 x 64
// with 8 x 4 (32 / 64 accumulators: each shared-memory read of A feeds twice the FMAs, and the
// W tile is reused over twice the rows, for long M). The K loop walks BK = 16 columns at a
// time: every invocation loads BM*BK/(4*NT) vec4s of the A tile and BN*BK/(4*NT) of the W tile
// from storage buffers (one vec4 each where the layout allows), stores them k-major into shared
// memory, and the inner loop reads TM + TN floats per k for TM*TN FMAs. The next tile's global
// loads are issued before the current tile's FMAs, so their latency hides behind them.
// All loops over per-invocation arrays are unrolled: indices are compile-time constants, so
// nothing lands in scratch memory.
//
// Variant defines (shaders/variants/gemm.cmake):
//   A_LOAD 0: scalar loads, any strides, any K (W then read as scalars too);
//          1: vec4 along k (a_sc == 1, a_sr % 4 == 0, K % 4 == 0, 4-aligned offsets);
//          2: vec4 along m (a_sr == 1, a_sc % 4 == 0, M % 4 == 0, K % 4 == 0, 4-aligned offsets);
//          1 and 2 read W rows as vec4 (the host checks all of these)
//   EPI    0: bias only; 1: GELU; 2: tanh; 3: + residual R (same layout as C); 4: the Hyena
//          filter's Sin layer, 5: its exponential decay (include/pc/gemm.h)
//   TILE   0: 64 x 64 tiles, 4 x 4 per invocation; 1: 128 x 64 tiles, 8 x 4 per invocation
//          (the host's kTiled* constants follow)
//   GLU    1: out[m, j] = GELU(gate) * value, gate = column j, value = column j + glu_half, each
//          from its own input chunk (block); two accumulator sets and two pairs of tiles
#extension GL_EXT_control_flow_attributes : require
#include "activations.glsl"
#include "pc/gemm.h"

#ifndef GLU
#define GLU 0
#endif
#ifndef EPI
#define EPI 0
#endif

#ifndef TILE
#define TILE 0
#endif
#if TILE == 1
#define BM 128
#define TM 8
#else
#define BM 64
#define TM 4
#endif
#define BN 64
#define TN 4
#define BK 16
#define LX (BN / TN)
#define LY (BM / TM)
#define NT (LX * LY)
// vec4s of the A and W tiles each invocation loads per k step.
#define RA (BM * BK / (4 * NT))
#define RW (BN * BK / (4 * NT))
// Shared rows are padded by 4 floats (keeps vec4 alignment, spreads the transposing stores of
// the k-major layout over more banks).
#define SM (BM + 4)
#define SN (BN + 4)
#if GLU
#define NSETS 2  // [0] gate, [1] value
#else
#define NSETS 1
#endif

layout(local_size_x = LX, local_size_y = LY) in;

#if A_LOAD == 0
layout(std430, binding = 0) readonly buffer ABuf { float a[]; };
layout(std430, binding = 1) readonly buffer WBuf { float w[]; };
#else
layout(std430, binding = 0) readonly buffer ABuf { vec4 a4[]; };
layout(std430, binding = 1) readonly buffer WBuf { vec4 w4[]; };
#endif
layout(std430, binding = 2) readonly buffer BiasBuf { float bias[]; };
layout(std430, binding = 3) writeonly buffer CBuf { float c[]; };
#if EPI == 3
layout(std430, binding = 4) readonly buffer RBuf { float r[]; };
#elif EPI == 4 || EPI == 5
layout(std430, binding = 4) readonly buffer ColBuf { float col_tab[]; };  // freq (4), deltas (5)
#endif
#if EPI == 5
layout(std430, binding = 5) readonly buffer RowBuf { float row_tab[]; };  // t
#endif
M2VK_PUSH_CONSTANT_BLOCK(GemmPC, M2VK_PC_GEMM)

shared float sa[NSETS][BK * SM];  // A tile, sa[s][k * SM + m]
shared float sw[NSETS][BK * SN];  // W tile, sw[s][k * SN + n]

// This invocation's RA vec4s of the A tile at k0: element q of vec4 r goes to shared slot
// a_slot(r, q). Rows past M and columns past K read as zero.
// `base` = float index of A[batch][row 0][column 0 of the input chunk].
void load_a(uint base, uint m0, uint k0, out vec4 v[RA]) {
  uint t = gl_LocalInvocationIndex;
  [[unroll]] for (uint r = 0u; r < RA; r++) {
    uint e = t + NT * r;
    v[r] = vec4(0.0);
#if A_LOAD == 1
    uint m = m0 + e / (BK / 4u), k = k0 + 4u * (e % (BK / 4u));
    if (m < pc.M && k < pc.K) v[r] = a4[(base + m * pc.a_sr + k) / 4u];
#elif A_LOAD == 2
    uint m = m0 + 4u * (e % (BM / 4u)), k = k0 + e / (BM / 4u);
    if (m < pc.M && k < pc.K) v[r] = a4[(base + m + k * pc.a_sc) / 4u];
#else
    // Consecutive invocations take consecutive addresses: along k when A is token-major, else along m.
    bool kfast = pc.a_sc == 1u;
    [[unroll]] for (uint q = 0u; q < 4u; q++) {
      uint f = t + NT * (4u * r + q);
      uint m = m0 + (kfast ? f / BK : f % BM), k = k0 + (kfast ? f % BK : f / BM);
      if (m < pc.M && k < pc.K) v[r][q] = a[base + m * pc.a_sr + k * pc.a_sc];
    }
#endif
  }
}

void store_a(uint s, vec4 v[RA]) {
  uint t = gl_LocalInvocationIndex;
  [[unroll]] for (uint r = 0u; r < RA; r++) {
    uint e = t + NT * r;
#if A_LOAD == 1
    [[unroll]] for (uint q = 0u; q < 4u; q++) sa[s][(4u * (e % (BK / 4u)) + q) * SM + e / (BK / 4u)] = v[r][q];
#elif A_LOAD == 2
    [[unroll]] for (uint q = 0u; q < 4u; q++) sa[s][(e / (BM / 4u)) * SM + 4u * (e % (BM / 4u)) + q] = v[r][q];
#else
    bool kfast = pc.a_sc == 1u;
    [[unroll]] for (uint q = 0u; q < 4u; q++) {
      uint f = t + NT * (4u * r + q);
      sa[s][(kfast ? f % BK : f / BM) * SM + (kfast ? f / BK : f % BM)] = v[r][q];
    }
#endif
  }
}

// This invocation's RW vec4s of the W tile at k0. wrow0: weight row of tile column 0;
// ncols: valid columns of the tile (columns past it read as zero, as do k past K).
void load_w(uint wrow0, uint ncols, uint k0, out vec4 v[RW]) {
  uint t = gl_LocalInvocationIndex;
  [[unroll]] for (uint r = 0u; r < RW; r++) {
    v[r] = vec4(0.0);
#if A_LOAD != 0
    uint e = t + NT * r;
    uint n = e / (BK / 4u), k = k0 + 4u * (e % (BK / 4u));
    if (n < ncols && k < pc.K) v[r] = w4[(pc.w_off + (wrow0 + n) * pc.K + k) / 4u];
#else
    [[unroll]] for (uint q = 0u; q < 4u; q++) {
      uint f = t + NT * (4u * r + q);
      uint n = f / BK, k = k0 + f % BK;
      if (n < ncols && k < pc.K) v[r][q] = w[pc.w_off + (wrow0 + n) * pc.K + k];
    }
#endif
  }
}

void store_w(uint s, vec4 v[RW]) {
  uint t = gl_LocalInvocationIndex;
  [[unroll]] for (uint r = 0u; r < RW; r++) {
#if A_LOAD != 0
    uint e = t + NT * r;
    [[unroll]] for (uint q = 0u; q < 4u; q++) sw[s][(4u * (e % (BK / 4u)) + q) * SN + e / (BK / 4u)] = v[r][q];
#else
    [[unroll]] for (uint q = 0u; q < 4u; q++) {
      uint f = t + NT * (4u * r + q);
      sw[s][(f % BK) * SN + f / BK] = v[r][q];
    }
#endif
  }
}

void main() {
  uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
  uint seg = gl_WorkGroupID.x / pc.tiles_per_seg;
  uint tile = gl_WorkGroupID.x % pc.tiles_per_seg;
  uint batch = gl_WorkGroupID.z;
  uint m0 = gl_WorkGroupID.y * BM;
  uint seg_first = seg * pc.seg_width;
  uint n0 = tile * BN;  // first column of the tile within its segment
  uint ncols = min(BN, pc.seg_width - n0);

  // Input chunk (block) and weight row of tile column 0 for each accumulator set.
  uint abase[NSETS], wrow0[NSETS];
#if GLU
  // Gate column j and value column j + I may sit in different blocks, hence different input
  // chunks; the host cuts segments so that each workgroup sees one block for each.
  abase[0] = pc.a_off + batch * pc.a_sb + (seg_first / pc.N) * pc.K * pc.a_sc;
  abase[1] = pc.a_off + batch * pc.a_sb + ((seg_first + pc.glu_half) / pc.N) * pc.K * pc.a_sc;
  wrow0[0] = seg_first + n0;
  wrow0[1] = seg_first + pc.glu_half + n0;
#else
  abase[0] = pc.a_off + batch * pc.a_sb + seg * pc.K * pc.a_sc;  // one segment per block
  wrow0[0] = seg * pc.N + n0;
#endif

  float acc[NSETS][TM][TN];
  [[unroll]] for (uint s = 0u; s < NSETS; s++)
    [[unroll]] for (uint i = 0u; i < TM; i++)
      [[unroll]] for (uint j = 0u; j < TN; j++) acc[s][i][j] = 0.0;

  vec4 pa[NSETS][RA], pw[NSETS][RW];  // the next tile's loads, in flight during the FMAs
  [[unroll]] for (uint s = 0u; s < NSETS; s++) {
    load_a(abase[s], m0, 0u, pa[s]);
    load_w(wrow0[s], ncols, 0u, pw[s]);
  }
  for (uint k0 = 0u; k0 < pc.K; k0 += BK) {
    [[unroll]] for (uint s = 0u; s < NSETS; s++) {
      store_a(s, pa[s]);
      store_w(s, pw[s]);
    }
    barrier();
    if (k0 + BK < pc.K) {
      [[unroll]] for (uint s = 0u; s < NSETS; s++) {
        load_a(abase[s], m0, k0 + BK, pa[s]);
        load_w(wrow0[s], ncols, k0 + BK, pw[s]);
      }
    }
    [[unroll]] for (uint kk = 0u; kk < BK; kk++) {
      [[unroll]] for (uint s = 0u; s < NSETS; s++) {
        uint ai = kk * SM + ty * TM, wi = kk * SN + tx * TN;
        float av[TM], wv[TN];
        [[unroll]] for (uint i = 0u; i < TM; i++) av[i] = sa[s][ai + i];
        [[unroll]] for (uint j = 0u; j < TN; j++) wv[j] = sw[s][wi + j];
        [[unroll]] for (uint i = 0u; i < TM; i++)
          [[unroll]] for (uint j = 0u; j < TN; j++) acc[s][i][j] = fma(av[i], wv[j], acc[s][i][j]);
      }
    }
    barrier();
  }

  // Bias, loaded once per column.
  float b[NSETS][TN];
  [[unroll]] for (uint s = 0u; s < NSETS; s++)
    [[unroll]] for (uint j = 0u; j < TN; j++) {
      uint n = min(tx * TN + j, ncols - 1u);
      b[s][j] = pc.has_bias != 0u ? bias[wrow0[s] + n] : 0.0;
    }
#if EPI == 4 || EPI == 5
  // Per-column factors of the filter epilogues: e_scale * freq (Sin), |deltas| (Decay).
  float ecol[TN];
  [[unroll]] for (uint j = 0u; j < TN; j++) {
    float v = col_tab[pc.e_col_off + wrow0[0] + min(tx * TN + j, ncols - 1u)];
#if EPI == 4
    ecol[j] = pc.e_scale * v;
#else
    ecol[j] = abs(v);
#endif
  }
#endif
  [[unroll]] for (uint i = 0u; i < TM; i++) {
    uint row = m0 + ty * TM + i;
    if (row >= pc.M) break;
#if EPI == 5
    float trow = row_tab[pc.e_row_off + row];
#endif
    uint rbase = batch * pc.c_sb + row * pc.c_sr;
    [[unroll]] for (uint j = 0u; j < TN; j++) {
      uint n = tx * TN + j;
      if (n >= ncols) break;
#if GLU
      uint col = seg_first + n0 + n;  // output column (out has glu_half columns)
      float x = m2vk_gelu(acc[0][i][j] + b[0][j]) * (acc[1][i][j] + b[1][j]);
#else
      uint col = wrow0[0] + n;  // global output column = weight row
      float x = acc[0][i][j] + b[0][j];
#if EPI == 1
      x = m2vk_gelu(x);
#elif EPI == 2
      x = m2vk_tanh(x);
#elif EPI == 3
      x += r[pc.r_off + rbase + col * pc.c_sc];
#elif EPI == 4
      x = m2vk_precise_sin(ecol[j] * x);
#elif EPI == 5
      x *= exp(-trow * ecol[j]);
#endif
#endif
      c[pc.c_off + rbase + col * pc.c_sc] = x;
    }
  }
}
