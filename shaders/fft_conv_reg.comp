#version 450
// Single-pass FFT long convolution for subgroups of FFT_S = 4, 8 or 16 lanes (a compile-time
// define, FFT_SLOG = log2 FFT_S; fft_reg.glsl's lane groups), one row per workgroup,
// the FFTs done mostly in registers and subgroup shuffles (shaders/include/fft_reg.glsl): on
// llvmpipe each shared-memory access is a per-lane loop, so the shared-memory Stockham kernel
// (fft_conv_single.comp) spends most of its time there. Here a row crosses shared memory three
// times (twice in kernel mode) instead of once per radix-4 stage.
//
// M = N/2 complex points = A * B, B = R * S; workgroup = B invocations = R subgroups.
// Forward FFT (n = B n1 + n2, k = k1 + A k2, Cooley-Tukey):
//   1. invocation i (= n2) loads z[B n1 + i], n1 < A, DFT_A over n1 in registers, twiddle
//      W_M^(i k1), stores to shared [k1][n2];
//   2. lane group g takes k1 = J g + j (j < J = A / R): lane l loads n2 = S p + l, p < R; DFT_R over p
//      in registers (-> q), twiddle W_B^(l q), DFT_S across lanes (-> s, lane l holds
//      s = bitrev(l)): register (j, q) of lane l now holds Z[k], k = k1 + A (q + R bitrev(l)).
// Shared memory holds vec4 = two complex values, k1 and k1 + 1 (a subgroup owns both): each
// exchange is half as many (per-lane looped) accesses as with vec2. FFT_P = 2 phases: the row
// (N/2 = 8192 complex, 64 KiB) stays in registers and each exchange goes through half-size
// shared memory twice (the k1 halves; for the pairing, the bins k < M/2 and k >= M/2, which a
// lane holds all of one or all of the other: k < M/2 iff q + R sl < R S/2 iff sl < S/2, for any
// S); subgroup g owns k1 = h A/P + (J/P) g + jj. J/P must be even (vec4 = jobs j, j + 1), so
// J >= 2 P: with registers ~ A per lane and M = A R S, A >= sqrt(2 P M / S), hence the larger A
// of the S = 4 variants (shaders/variants/fft_conv.cmake); FFT_SPLIT_N2 (below) splits the
// transposes' phases over the columns n2 instead, for J = 2 with P = 2.
// The spectrum product stays in that permuted order; the half-length real trick needs Z[M-k],
// read back through shared memory. Z'[k] of the inverse packing (fft_r2c.glsl) is linear in
// Z[k] and conj Z[M-k]: Z'[k] = alpha[k] Z[k] + beta[k] conj Z[M-k], with S = K^[k] / N,
// T = conj K^[M-k] / N (K^[M] the Nyquist bin at k = 0), w = exp(-2 pi i k / N):
//   alpha = S + T + (S - T) Im w,   beta = i Re w (S - T).
// Kernel mode stores (S + T, S - T) for k <= M/2 only, one vec4 per entry in natural order (so
// the layout does not depend on which invocation holds which bin; fft_r2c.glsl, fold_coeffs:
// bins k > M/2 follow from entry M - k); conv mode derives alpha and beta from it. The inverse FFT retraces the
// forward steps backwards (DIT across lanes, conjugate twiddles) and lands in natural order on
// the invocation that loaded the same points, which still holds pre-gated x for the D term.
// x, a, g and (conv mode) the spectrum are read through uniform texel buffers (FFT_TEXEL_IN in
// fft_io.glsl) and contiguous outputs written as vec2 pairs, as in fft_conv_regw.comp: on
// llvmpipe storage-buffer accesses are per-lane loops, which at 16 lanes (512-bit vectors) made
// these accesses about half of the kernel's time (N = 4096, 768 channels: 333 -> 198 ms with
// texel input alone, measured on an experimental copy).
#define FFT_SPEC_VEC4 1
#define FFT_TEXEL_IN 1
#ifndef FFT_KEEP_X
#define FFT_KEEP_X 1  // 0: reload x for the D term (fewer live registers)
#endif
#include "fft_io.glsl"
#include "fft_r2c.glsl"

#if !defined(FFT_S) || !defined(FFT_SLOG)
#error "FFT_S (lanes: 4, 8 or 16) and FFT_SLOG (log2 FFT_S) must be defined"
#endif
#include "fft_reg.glsl"

const uint R = FFT_R, A = FFT_A, J = FFT_A / FFT_R, S = FFT_S, B = FFT_R * FFT_S, M = FFT_A * B;
const uint P = uint(FFT_P);
// The two transposes run their P phases over the rows k1 (PK = P: phase h moves k1 in
// [h A/P, (h+1) A/P), each lane group's jobs of that range), or, with FFT_SPLIT_N2, over the
// columns n2 (PN = P: phase h moves n2 in [h B/P, (h+1) B/P), which only those invocations write
// and every lane group reads as p in [h R/P, (h+1) R/P)). The k1 split needs J/P even (vec4 =
// jobs j, j + 1 within one phase); the n2 split needs only J even, so a variant with J = 2 can
// still run its exchanges in two phases (S = 4 at M = 8192: A = 64 instead of 128).
#ifdef FFT_SPLIT_N2
const uint PK = 1u, PN = P;
#else
const uint PK = P, PN = 1u;
#endif
const uint AP = FFT_A / PK, JP = J / PK;  // per k1 phase: k1 values, jobs per lane group
const uint BP = B / PN, RP = R / PN;      // per n2 phase: columns n2, values p per lane

layout(local_size_x = FFT_R * FFT_S) in;

#ifndef FFT_SPECTRUM_MODE
// the output as (t, t+1) pairs where it is contiguous: one storage-buffer access (a per-lane
// loop on llvmpipe) per two values
layout(std430, binding = 3) buffer OutBuf2 { vec2 out2_data[]; };
#endif

// phase h: [(k1 - h A/PK) / 2][n2 - h B/PN] during the FFTs; [(k - h' M/2) / 2] for the real-FFT pairing
shared vec4 sh[M / (2u * P)];

M2VK_DEFINE_REG_DFT(dft_a, FFT_A, FFT_ALOG)
M2VK_DEFINE_REG_DFT(dft_r, FFT_R, FFT_RLOG)
M2VK_DEFINE_TWIDDLES(twiddles_a, FFT_A)
M2VK_DEFINE_TWIDDLES(twiddles_r, FFT_R)
M2VK_DEFINE_LANE_DIF(lane_dif, FFT_R)
M2VK_DEFINE_LANE_DIT(lane_dit, FFT_R)

// k1 of job j (j = h JP + jj) of subgroup g
uint job_k1(uint g, uint j) { return (j / JP) * AP + JP * g + j % JP; }

void main() {
  uint i = gl_LocalInvocationIndex;
  uint g = fft_group_id(), l = fft_lane_id();
  uint sl = bitfieldReverse(l) >> (32u - FFT_SLOG);
  uint row = pc.row_base + gl_WorkGroupID.x;
#ifndef FFT_SPECTRUM_MODE
  // Whole batches in this dispatch: run the B rows of one channel back to back, so that channel's
  // spectrum (M/2 + 1 vec4s) is still in the CPU's cache for the next batch row.
  if (pc.row_base % pc.channels == 0u && pc.rows % pc.channels == 0u) {
    uint nb = pc.rows / pc.channels;
    row = pc.row_base + (gl_WorkGroupID.x % nb) * pc.channels + gl_WorkGroupID.x / nb;
  }
#endif
  fft_row_setup(row);  // kernel mode: rows are channels (pc.channels = C), g_chan = row

  // 1. column n2 = i
  vec2 va[A], w[A], wr[R];
  [[unroll]] for (uint n1 = 0u; n1 < A; ++n1) va[n1] = fetch_packed(row, B * n1 + i);
#if !defined(FFT_SPECTRUM_MODE) && FFT_KEEP_X
  // pre-gated x at the points this invocation writes back, for the D term
  vec2 xg[A] = va;
#endif
  dft_a(va, -1.0);
  twiddles_a(w, -1.0, 0u, i, M);
  [[unroll]] for (uint k1 = 1u; k1 < A; ++k1) va[k1] = cmul(va[k1], w[k1]);

  // 2. rows k1 of this subgroup's jobs; z[j R + q] = Z[k1 + A (q + R sl)]
  vec2 z[A];
  twiddles_r(wr, -1.0, 0u, l, B);
#ifdef FFT_SPLIT_N2
  // gather every job's row k1 = J g + j, a column range per phase, into z[j R + p]
  [[unroll]] for (uint h = 0u; h < PN; ++h) {
    if (h > 0u) barrier();  // the previous phase's reads are done
    if (i / BP == h) {
      [[unroll]] for (uint k1 = 0u; k1 < A; k1 += 2u) sh[(k1 / 2u) * BP + i % BP] = vec4(va[k1], va[k1 + 1u]);
    }
    barrier();
    [[unroll]] for (uint j = 0u; j < J; j += 2u)
      [[unroll]] for (uint p = h * RP; p < (h + 1u) * RP; ++p) {
        vec4 t = sh[((J * g + j) / 2u) * BP + S * (p - h * RP) + l];
        z[j * R + p] = t.xy;
        z[(j + 1u) * R + p] = t.zw;
      }
  }
#endif
  [[unroll]] for (uint h = 0u; h < PK; ++h) {
#ifndef FFT_SPLIT_N2
    if (h > 0u) barrier();  // the previous phase's reads are done
    [[unroll]] for (uint k1 = 0u; k1 < AP; k1 += 2u) sh[(k1 / 2u) * B + i] = vec4(va[h * AP + k1], va[h * AP + k1 + 1u]);
    barrier();
#endif
    [[unroll]] for (uint jj = 0u; jj < JP; jj += 2u) {
      uint j = h * JP + jj;
      vec2 v0[R], v1[R];
      [[unroll]] for (uint p = 0u; p < R; ++p) {
#ifdef FFT_SPLIT_N2
        v0[p] = z[j * R + p];
        v1[p] = z[(j + 1u) * R + p];
#else
        vec4 t = sh[((JP * g + jj) / 2u) * B + S * p + l];
        v0[p] = t.xy;
        v1[p] = t.zw;
#endif
      }
      dft_r(v0, -1.0);
      dft_r(v1, -1.0);
      [[unroll]] for (uint q = 1u; q < R; ++q) {
        v0[q] = cmul(v0[q], wr[q]);
        v1[q] = cmul(v1[q], wr[q]);
      }
      lane_dif(v0, l, -1.0);
      lane_dif(v1, l, -1.0);
      [[unroll]] for (uint q = 0u; q < R; ++q) {
        z[j * R + q] = v0[q];
        z[(j + 1u) * R + q] = v1[q];
      }
    }
  }

  // the real-FFT pairing needs Z[M - k]; k has the parity of j (A and JP are even), and with
  // P = 2 a lane holds only bins k < M/2 (sl < S/2) or only k >= M/2, partners in the other half
  vec2 zp[A];
  bool upper = sl >= S / 2u;
  [[unroll]] for (uint h = 0u; h < P; ++h) {
    barrier();
    bool writer = P == 1u || upper == (h == 0u);
    if (writer) {
      [[unroll]] for (uint j = 0u; j < J; j += 2u)
        [[unroll]] for (uint q = 0u; q < R; ++q) {
          uint k = job_k1(g, j) + A * (q + R * sl);
          sh[(k % (M / P)) / 2u] = vec4(z[j * R + q], z[(j + 1u) * R + q]);
        }
    }
    barrier();
    if (!writer || P == 1u) {
      [[unroll]] for (uint j = 0u; j < J; ++j)
        [[unroll]] for (uint q = 0u; q < R; ++q) {
          uint k = job_k1(g, j) + A * (q + R * sl);
          uint kp = (M - k) & (M - 1u);
          vec4 t = P == 1u || kp != k ? sh[(kp % (M / P)) / 2u] : vec4(z[j * R + q], z[j * R + q]);
          zp[j * R + q] = (j & 1u) == 0u ? t.xy : t.zw;
        }
    }
  }

  // spectrum product (kernel mode: the spectrum itself), bins in register order
  uint spec = pc.spec_off + g_chan * (M / 2u + 1u);
  [[unroll]] for (uint j = 0u; j < J; ++j) {
    [[unroll]] for (uint q = 0u; q < R; ++q) {
      uint k = job_k1(g, j) + A * (q + R * sl);
      vec2 zk = z[j * R + q];
#ifdef FFT_SPECTRUM_MODE
      if (2u * k <= M) spec_data[spec + k] = fold_entry_value(zk, zp[j * R + q], k, pc.n);
#else
      vec4 ab = fold_coeffs(spec_at(spec + fold_entry(k, M)), k, M, pc.n);
      z[j * R + q] = cmul(ab.xy, zk) + cmul(ab.zw, cconj(zp[j * R + q]));
#endif
    }
  }
#ifndef FFT_SPECTRUM_MODE
  // inverse of step 2: DIT across lanes (-> a = l), twiddle, DFT_R (-> b): n2 = l + S b,
  // then W_M^(+n2 k1)
  twiddles_r(wr, 1.0, 0u, l, B);
  [[unroll]] for (uint j = 0u; j < J; ++j) {
    vec2 v[R];
    [[unroll]] for (uint q = 0u; q < R; ++q) v[q] = z[j * R + q];
    lane_dit(v, l, 1.0);
    [[unroll]] for (uint q = 1u; q < R; ++q) v[q] = cmul(v[q], wr[q]);
    dft_r(v, 1.0);
    uint k1 = job_k1(g, j);
    vec2 wt[R];
    twiddles_r(wt, 1.0, l * k1, S * k1, M);
    [[unroll]] for (uint b = 0u; b < R; ++b) z[j * R + b] = cmul(v[b], wt[b]);
  }
  // inverse of step 1, phase by phase: column n2 = i gathers k1 of half h
#ifdef FFT_SPLIT_N2
  // (n2 split: phase h moves the values b in [h R/P, (h+1) R/P) of every job, which the
  // invocations of columns n2 in [h B/P, (h+1) B/P) gather)
  [[unroll]] for (uint h = 0u; h < PN; ++h) {
    barrier();  // the previous reads of shared memory are done
    [[unroll]] for (uint j = 0u; j < J; j += 2u)
      [[unroll]] for (uint b = h * RP; b < (h + 1u) * RP; ++b)
        sh[((J * g + j) / 2u) * BP + l + S * (b - h * RP)] = vec4(z[j * R + b], z[(j + 1u) * R + b]);
    barrier();
    if (i / BP == h) {
      [[unroll]] for (uint k1 = 0u; k1 < A; k1 += 2u) {
        vec4 t = sh[(k1 / 2u) * BP + i % BP];
        va[k1] = t.xy;
        va[k1 + 1u] = t.zw;
      }
    }
  }
#else
  [[unroll]] for (uint h = 0u; h < P; ++h) {
    barrier();  // the previous reads of shared memory are done
    [[unroll]] for (uint jj = 0u; jj < JP; jj += 2u) {
      uint j = h * JP + jj;
      [[unroll]] for (uint b = 0u; b < R; ++b)
        sh[((JP * g + jj) / 2u) * B + l + S * b] = vec4(z[j * R + b], z[(j + 1u) * R + b]);
    }
    barrier();
    [[unroll]] for (uint k1 = 0u; k1 < AP; k1 += 2u) {
      vec4 t = sh[(k1 / 2u) * B + i];
      va[h * AP + k1] = t.xy;
      va[h * AP + k1 + 1u] = t.zw;
    }
  }
#endif
  dft_a(va, 1.0);
  float dgain = (pc.flags & M2VK_FFT_HAS_D) != 0u ? d_data[g_chan] : 0.0;
  bool pairs = pc.out_st == 1u && (g_out_base & 1u) == 0u;
  [[unroll]] for (uint n1 = 0u; n1 < A; ++n1) {
    uint m = i + B * n1;
    if (pairs && 2u * m + 1u < pc.len) {
#if FFT_KEEP_X
      vec2 y = va[n1] + dgain * xg[n1];
#else
      vec2 y = va[n1] + (dgain != 0.0 ? dgain * fetch_packed(row, m) : vec2(0.0));
#endif
      if ((pc.flags & M2VK_FFT_POSTGATE) != 0u) {
        uint gi = pc.g_off + in_index(row, 2u * m);
        y *= vec2(g_at(gi), g_at(gi + pc.in_st));
      }
      uint o = g_out_base / 2u + m;
      if ((pc.flags & M2VK_FFT_ACCUM) != 0u) y += out2_data[o];
      out2_data[o] = y;
      continue;
    }
#if FFT_KEEP_X
    store_output_x(row, 2u * m, va[n1].x, xg[n1].x, dgain);
    store_output_x(row, 2u * m + 1u, va[n1].y, xg[n1].y, dgain);
#else
    vec2 xv = dgain != 0.0 ? fetch_packed(row, m) : vec2(0.0);
    store_output_x(row, 2u * m, va[n1].x, xv.x, dgain);
    store_output_x(row, 2u * m + 1u, va[n1].y, xv.y, dgain);
#endif
  }
#endif
}
