#version 450
// Single-pass FFT long convolution for subgroups of FFT_S = 8 lanes, one row per workgroup,
// the FFTs done mostly in registers and subgroup shuffles (shaders/include/fft_reg.glsl): on
// llvmpipe each shared-memory access is a per-lane loop, so the shared-memory Stockham kernel
// (fft_conv_single.comp) spends most of its time there. Here a row crosses shared memory three
// times (twice in kernel mode) instead of once per radix-4 stage.
//
// M = N/2 complex points = A * B, B = R * S; workgroup = B invocations = R subgroups.
// Forward FFT (n = B n1 + n2, k = k1 + A k2, Cooley-Tukey):
//   1. invocation i (= n2) loads z[B n1 + i], n1 < A, DFT_A over n1 in registers, twiddle
//      W_M^(i k1), stores to shared [k1][n2];
//   2. subgroup g takes k1 = g + R j (j < A / R): lane l loads n2 = S p + l, p < R; DFT_R over p
//      in registers (-> q), twiddle W_B^(l q), DFT_S across lanes (-> s, lane l holds
//      s = bitrev(l)): register (j, q) of lane l now holds Z[k], k = k1 + A (q + R bitrev(l)).
// The spectrum product stays in that permuted order; the half-length real trick needs Z[M-k],
// read back through shared memory. Z'[k] of the inverse packing (fft_r2c.glsl) is linear in
// Z[k] and conj Z[M-k]: Z'[k] = alpha[k] Z[k] + beta[k] conj Z[M-k], with S = K^[k] / N,
// T = conj K^[M-k] / N (K^[M] the Nyquist bin at k = 0), w = exp(-2 pi i k / N):
//   alpha = S + T + (S - T) Im w,   beta = i Re w (S - T).
// Kernel mode stores (alpha, beta) as one vec4 per bin, natural order k (so the layout does not
// depend on which invocation holds which bin); conv mode reads it. The inverse FFT retraces the
// forward steps backwards (DIT across lanes, conjugate twiddles) and lands in natural order on
// the invocation that loaded the same points, which still holds pre-gated x for the D term.
#define FFT_SPEC_VEC4 1
#include "fft_io.glsl"
#include "fft_r2c.glsl"

#define FFT_S 8u
#define FFT_SLOG 3u
#include "fft_reg.glsl"

const uint R = FFT_R, A = FFT_A, J = FFT_A / FFT_R, S = FFT_S, B = FFT_R * FFT_S, M = FFT_A * B;

layout(local_size_x = FFT_R * 8) in;

shared vec2 sh[M];

M2VK_DEFINE_REG_DFT(dft_a, FFT_A, FFT_ALOG)
M2VK_DEFINE_REG_DFT(dft_r, FFT_R, FFT_RLOG)
M2VK_DEFINE_LANE_DIF(lane_dif, FFT_R)
M2VK_DEFINE_LANE_DIT(lane_dit, FFT_R)

void main() {
  uint i = gl_LocalInvocationIndex;
  uint g = gl_SubgroupID, l = gl_SubgroupInvocationID;
  uint sl = bitfieldReverse(l) >> (32u - FFT_SLOG);
  uint row = pc.row_base + gl_WorkGroupID.x;
  fft_row_setup(row);  // kernel mode: rows are channels (pc.channels = C), g_chan = row

  // 1. columns n2 = i
  vec2 va[A];
  [[unroll]] for (uint n1 = 0u; n1 < A; ++n1) va[n1] = fetch_packed(row, B * n1 + i);
#ifndef FFT_SPECTRUM_MODE
  vec2 xg[A] = va;  // pre-gated x at the points this invocation writes back
#endif
  dft_a(va, -1.0);
  [[unroll]] for (uint k1 = 0u; k1 < A; ++k1) {
    vec2 v = k1 == 0u ? va[0] : cmul(va[k1], twiddle(-1.0, i * k1, M));
    sh[k1 * B + i] = v;
  }
  barrier();

  // 2. rows k1 = g + R j across the subgroup
  vec2 z[A];
  [[unroll]] for (uint j = 0u; j < J; ++j) {
    uint k1 = g + R * j;
    vec2 v[R];
    [[unroll]] for (uint p = 0u; p < R; ++p) v[p] = sh[k1 * B + S * p + l];
    dft_r(v, -1.0);
    [[unroll]] for (uint q = 1u; q < R; ++q) v[q] = cmul(v[q], twiddle(-1.0, l * q, B));
    lane_dif(v, l, -1.0);
    [[unroll]] for (uint q = 0u; q < R; ++q) z[j * R + q] = v[q];
  }
  barrier();
  [[unroll]] for (uint j = 0u; j < J; ++j)
    [[unroll]] for (uint q = 0u; q < R; ++q) sh[g + R * j + A * (q + R * sl)] = z[j * R + q];
  barrier();

  // spectrum product (kernel mode: the spectrum itself), bins in register order
  uint spec = pc.spec_off + g_chan * M;
  [[unroll]] for (uint j = 0u; j < J; ++j) {
    [[unroll]] for (uint q = 0u; q < R; ++q) {
      uint k = g + R * j + A * (q + R * sl);
      vec2 zk = z[j * R + q];
      vec2 zp = sh[(M - k) & (M - 1u)];
#ifdef FFT_SPECTRUM_MODE
      vec2 w = twiddle(-1.0, k, pc.n);
      vec4 v = r2c_pair(zk, zp, w) / float(pc.n);
      vec2 s = v.xy, t = cconj(v.zw), dst = s - t;
      spec_data[spec + k] = vec4(s + t + dst * w.y, cmul_i(dst * w.x));
#else
      vec4 ab = spec_data[spec + k];
      z[j * R + q] = cmul(ab.xy, zk) + cmul(ab.zw, cconj(zp));
#endif
    }
  }
#ifndef FFT_SPECTRUM_MODE
  // inverse of step 2: DIT across lanes (-> a = l), twiddle, DFT_R (-> b): n2 = l + S b
  [[unroll]] for (uint j = 0u; j < J; ++j) {
    vec2 v[R];
    [[unroll]] for (uint q = 0u; q < R; ++q) v[q] = z[j * R + q];
    lane_dit(v, l, 1.0);
    [[unroll]] for (uint q = 1u; q < R; ++q) v[q] = cmul(v[q], twiddle(1.0, l * q, B));
    dft_r(v, 1.0);
    [[unroll]] for (uint q = 0u; q < R; ++q) z[j * R + q] = v[q];
  }
  barrier();  // every partner read above is done before shared memory is overwritten
  [[unroll]] for (uint j = 0u; j < J; ++j) {
    uint k1 = g + R * j;
    [[unroll]] for (uint b = 0u; b < R; ++b) {
      uint n2 = l + S * b;
      vec2 v = z[j * R + b];
      sh[k1 * B + n2] = k1 == 0u ? v : cmul(v, twiddle(1.0, n2 * k1, M));
    }
  }
  barrier();
  // inverse of step 1: column n2 = i, DFT_A over k1 (-> n1): point m = i + B n1
  [[unroll]] for (uint k1 = 0u; k1 < A; ++k1) va[k1] = sh[k1 * B + i];
  dft_a(va, 1.0);
  float dgain = (pc.flags & M2VK_FFT_HAS_D) != 0u ? d_data[g_chan] : 0.0;
  [[unroll]] for (uint n1 = 0u; n1 < A; ++n1) {
    uint m = i + B * n1;
    store_output_x(row, 2u * m, va[n1].x, xg[n1].x, dgain);
    store_output_x(row, 2u * m + 1u, va[n1].y, xg[n1].y, dgain);
  }
#endif
}
