#version 450
// Single-pass FFT long convolution in lane groups of FFT_S = 8 lanes (subgroups of 8 or 16; of 4
// with FFT_SPLIT_LANES, below), "wide" form for long rows (N/2 = 32768 on lavapipe): one row per workgroup of B = R * 8
// invocations, ONE row k1 of the second FFT step per lane group ("subgroup" below). fft_conv_reg.comp gives each subgroup J >= 2 rows k1, which for
// M = 32768 and <= 64 complex registers per invocation is impossible (A * R * 8 = M, A >= 2 R P).
// Here A = R (one job per subgroup), so M = 8 R^2: R = 64 for M = 32768 (512 invocations),
// R = 16 for M = 2048 (a small variant that runs the same code in tests).
//
// Forward FFT (n = B n1 + n2, k = k1 + A k2):
//   1. invocation i = S g + l (= n2) loads z[B n1 + i], DFT_A over n1, twiddle W_M^(i k1);
//   2. subgroup g (= k1) loads row k1: lane l takes n2 = p + R l, p < R; DFT_S across lanes
//      (-> s = sl = bitrev(l)), twiddle W_B^(p sl), DFT_R over p (-> q): register q of lane l
//      holds Z[k1 + A (sl + S q)].
// The row (M complex) does not fit 32 KiB of shared memory: every exchange runs in P phases.
// Shared memory holds vec4 = two complex values (half the per-lane-looped accesses of vec2):
//   transposes, phase h: k1 in [h AP, (h+1) AP); vec4 = columns (n2, n2 + 1) at
//     [k1 - h AP][n2 / 2]: step 1's lanes i and i ^ 1 swap halves with one shuffle (stores of
//     rows k1 and k1 + 1; loads the same way back), step 2's lanes hold pairs p, p + 1;
//   real-FFT pairing, phase h: every lane writes its register chunks h and 2P-1-h (QC values
//     each) as (q, q+1) pairs and reads the partners of the same q: Z[M-k] for k1 > 0 is
//     (k1', q', sl') = (A - k1, R - 1 - q, S - 1 - sl), so the partners of (q, q+1) are the pair
//     (R-2-q, R-1-q) of the other chunk, swapped; each bin is folded with the spectrum as soon
//     as its partner is read. Row k1 = 0 (subgroup 0: k = A m, partner A (R S - m)) folds in
//     the same phases (its lane 0 pairs inside its own registers).
// On llvmpipe the workgroup's subgroups run one after the other between barriers, and a branch
// only masks lanes: its memory accesses are skipped per lane, but its arithmetic and shuffles
// run in every subgroup. So code that only some subgroups need should be memory accesses, and
// arithmetic should run once for all (selects instead of per-case blocks). Phase loops whose
// bodies are large do not unroll (JIT time); their register-array side picks its constant
// indices by selects on the phase.
//
// Conv mode: the input's upper half is zero padding (L <= N/2, so z[m] = 0 for m >= M/2, i.e.
// n1 >= A/2) and only the first half of the output is needed (t < L): both are left out.
// A contiguous output (out_st = 1) at an even element offset is written as vec2 pairs (half the
// storage-buffer stores; on llvmpipe each one is a per-lane loop): ~5-10% of the time at N = 65536.
// Spectrum layout and the folded product Z'[k] = alpha Z[k] + beta conj Z[M-k]: fft_conv_reg.comp.
#define FFT_SPEC_VEC4 1
#define FFT_TEXEL_IN 1
#include "fft_io.glsl"
#include "fft_r2c.glsl"

// 8 lanes per lane group (fft_reg.glsl): one SPIR-V serves subgroups of 8 (a group per
// subgroup) and 16 (two per subgroup). Subgroups of 4 (M = 4 R^2 is not a square at M = 32768,
// and A = 2 R doubles the registers per invocation) run the same lane groups of 8 as two
// subgroups (FFT_SPLIT_LANES, variants fft_*_regw_s4_*): the lane DFTs' distance-1 and -2
// stages are shuffles inside a subgroup; the distance-4 stage pairs lane l with l ^ 4 of the
// other subgroup, i.e. columns n2 and n2 ^ 4R of one row. It runs on step 1's side of the
// transposes, where invocation i holds a whole column: with the columns permuted so that c(i)
// ^ 4R = c(i ^ 2) (bits 1 and log2(4R) of i swapped), both columns sit in one 4-lane subgroup
// and the stage is one shuffle per two values (forward: after step 1's twiddle, before the
// store; inverse: after the load, before the twiddle W_M^(c k1)). No extra shared-memory
// traffic (folding the stage into the step-2 loads instead read every row twice: ~20% slower).
#define FFT_S 8u
#define FFT_SLOG 3u
#include "fft_reg.glsl"
#ifdef FFT_SPLIT_LANES
const uint LANE_ST0 = 1u, LANE_STN = FFT_SLOG - 1u;  // lane stages done by shuffles
// the lane in its group of 8 (two subgroups of 4: fft_reg.glsl's fft_lane_id needs a subgroup
// of at least 8)
uint wide_lane_id() { return (gl_SubgroupID * gl_SubgroupSize + gl_SubgroupInvocationID) % FFT_S; }
#else
const uint LANE_ST0 = 0u, LANE_STN = FFT_SLOG;
uint wide_lane_id() { return fft_lane_id(); }
#endif

const uint R = FFT_R, A = FFT_R, S = FFT_S, B = FFT_R * FFT_S, M = A * B;
const uint P = uint(FFT_P), AP = A / P, QC = R / (2u * P);  // per phase: rows k1; chunk of registers q

layout(local_size_x = FFT_R * 8) in;

#ifndef FFT_SPECTRUM_MODE
// the output as (t, t+1) pairs where it is contiguous: one storage-buffer access (a per-lane
// loop on llvmpipe) per two values
layout(std430, binding = 3) buffer OutBuf2 { vec2 out2_data[]; };
#endif

shared vec4 sh[M / (2u * P)];

M2VK_DEFINE_REG_DFT(dft_r, FFT_R, FFT_RLOG)

// w[q] = exp(sgn 2 pi i (base + step q) / den), q < R (a multiple of 16), base + step (R - 1) < den,
// 12 step < den: sin/cos for q = 16 a and for 1, 2, 3, 4, 8, 12 times step, the rest one or two
// complex products each (R/16 + 6 sin/cos pairs instead of fft_reg.glsl's R/4 + 3: 10 instead
// of 19 at R = 64, four sets per row; llvmpipe's sin/cos are long polynomials).
void twiddles_r(out vec2 w[R], float sgn, uint base, uint step, uint den) {
  vec2 s1 = twiddle(sgn, step, den), s2 = twiddle(sgn, 2u * step, den), s3 = twiddle(sgn, 3u * step, den);
  vec2 t4 = twiddle(sgn, 4u * step, den), t8 = twiddle(sgn, 8u * step, den), t12 = twiddle(sgn, 12u * step, den);
  [[unroll]] for (uint a = 0u; a < R; a += 16u) {
    vec2 b0 = twiddle(sgn, base + a * step, den);
    [[unroll]] for (uint c = 0u; c < 16u; c += 4u) {
      vec2 b = c == 0u ? b0 : cmul(b0, c == 4u ? t4 : (c == 8u ? t8 : t12));
      w[a + c] = b;
      w[a + c + 1u] = cmul(b, s1);
      w[a + c + 2u] = cmul(b, s2);
      w[a + c + 3u] = cmul(b, s3);
    }
  }
}

// Length-S DFTs across the lanes (fft_reg.glsl's M2VK_DEFINE_LANE_DIF / _DIT: same data flow):
// each stage's two butterfly outputs are written as one expression with per-lane constants
// (sign, twiddle or 1) instead of computing both and selecting, ~40% fewer operations; the lane
// stages are about as much arithmetic as the register DFTs here.
// DIF: lane l holds input l on entry and output bitrev(l) on exit.
void lane_dif(inout vec2 v[R], uint l, float sgn) {
  [[unroll]] for (uint st = LANE_ST0; st < FFT_SLOG; ++st) {
    uint d = (S / 2u) >> st;
    bool hi = (l & d) != 0u;
    float sg = hi ? -1.0 : 1.0;  // lo: v + o; hi: (o - v) w
    vec2 wl = hi ? twiddle(sgn, l & (d - 1u), 2u * d) : vec2(1.0, 0.0);
    [[unroll]] for (uint q = 0u; q < R; q += 2u) {
      vec4 o4 = subgroupShuffleXor(vec4(v[q], v[q + 1u]), d);
      vec2 a0 = o4.xy + sg * v[q], a1 = o4.zw + sg * v[q + 1u];
      v[q] = d == 1u ? a0 : cmul(a0, wl);
      v[q + 1u] = d == 1u ? a1 : cmul(a1, wl);
    }
  }
}
// DIT: lane l holds input bitrev(l) on entry and output l on exit.
void lane_dit(inout vec2 v[R], uint l, float sgn) {
  [[unroll]] for (uint st = 0u; st < LANE_STN; ++st) {
    uint d = 1u << st;
    bool hi = (l & d) != 0u;
    float sg = hi ? -1.0 : 1.0;  // lo: v + w o; hi: o - w v
    vec2 w = twiddle(sgn, l & (d - 1u), 2u * d);
    [[unroll]] for (uint q = 0u; q < R; q += 2u) {
      vec4 o4 = subgroupShuffleXor(vec4(v[q], v[q + 1u]), d);
      [[unroll]] for (uint e = 0u; e < 2u; ++e) {
        vec2 o = e == 0u ? o4.xy : o4.zw, mine = v[q + e];
        vec2 a = hi ? o : mine, b = hi ? mine : o;
        v[q + e] = a + sg * (d == 1u ? b : cmul(w, b));
      }
    }
  }
}

// Bin k from Z[k] and Z[M-k]: conv mode Z'[k] = alpha Z[k] + beta conj Z[M-k]; kernel mode
// stores the compact entry (fft_r2c.glsl) for k <= M/2 and returns Z[k].
vec2 fold_bin(vec2 zk, vec2 zmk, uint k) {
  uint spec = pc.spec_off + g_chan * (M / 2u + 1u);
#ifdef FFT_SPECTRUM_MODE
  if (2u * k <= M) spec_data[spec + k] = fold_entry_value(zk, zmk, k, pc.n);
  return zk;
#else
  vec4 ab = fold_coeffs(spec_at(spec + fold_entry(k, M)), k, M, pc.n);
  return cmul(ab.xy, zk) + cmul(ab.zw, cconj(zmk));
#endif
}

void main() {
  uint g = fft_group_id(), l = wide_lane_id();
  uint i = S * g + l;
#ifdef FFT_SPLIT_LANES
  // step-1 column: i with bits 1 and log2(4 R) swapped, so that column c ^ 4R (the distance-4
  // lane partner) is invocation i ^ 2, in the same subgroup of 4
  const uint SWAP = 2u | (4u * R);
  uint c = (((i >> 1u) ^ (i >> (FFT_RLOG + 2u))) & 1u) != 0u ? i ^ SWAP : i;
  // lo/hi half of the distance-4 stage and its twiddle's exponent (step-2 lane c / R)
  bool hi4 = (c & (4u * R)) != 0u;
  uint e4 = (c / R) & 3u;
#else
  uint c = i;
#endif
  // step-1 column c: columns c and c ^ 1 are neighbouring lanes
  bool odd = (l & 1u) != 0u;
  uint sl = bitfieldReverse(l) >> (32u - FFT_SLOG);
  uint row = pc.row_base + gl_WorkGroupID.x;
#ifndef FFT_SPECTRUM_MODE
  // whole batches in this dispatch: the batch rows of one channel back to back (spectrum in cache)
  if (pc.row_base % pc.channels == 0u && pc.rows % pc.channels == 0u) {
    uint nb = pc.rows / pc.channels;
    row = pc.row_base + (gl_WorkGroupID.x % nb) * pc.channels + gl_WorkGroupID.x / nb;
  }
#endif
  fft_row_setup(row);

  // 1. column n2 = c
  vec2 va[A], w[A];
#ifdef FFT_SPECTRUM_MODE
  [[unroll]] for (uint n1 = 0u; n1 < A; ++n1) va[n1] = fetch_packed(row, B * n1 + c);
#else
  [[unroll]] for (uint n1 = 0u; n1 < A; ++n1) va[n1] = n1 < A / 2u ? fetch_packed(row, B * n1 + c) : vec2(0.0);
#endif
  dft_r(va, -1.0);
  twiddles_r(w, -1.0, 0u, c, M);
  [[unroll]] for (uint k1 = 1u; k1 < A; ++k1) va[k1] = cmul(va[k1], w[k1]);
#ifdef FFT_SPLIT_LANES
  {  // step 2's distance-4 DIF lane stage, every row k1: lo v + o, hi (o - v) W_8^-e4
    vec2 w4 = hi4 ? twiddle(-1.0, e4, 8u) : vec2(1.0, 0.0);
    float sg4 = hi4 ? -1.0 : 1.0;
    [[unroll]] for (uint k1 = 0u; k1 < A; k1 += 2u) {
      vec4 o = subgroupShuffleXor(vec4(va[k1], va[k1 + 1u]), 2u);
      va[k1] = cmul(o.xy + sg4 * va[k1], w4);
      va[k1 + 1u] = cmul(o.zw + sg4 * va[k1 + 1u], w4);
    }
  }
#endif

  // forward transpose: subgroup g gathers row k1 = g, n2 = R l + p. Shared vec4 [k1][n2 / 2]
  // holds columns (n2, n2 + 1) of one row: a lane pair swaps halves with one shuffle so that
  // both the stores and the loads carry two useful values.
  vec2 z[R];
  [[dont_unroll]] for (uint h = 0u; h < P; ++h) {
    barrier();  // the previous phase's reads are done
    [[unroll]] for (uint k1 = 0u; k1 < AP; k1 += 2u) {
      // rows k1, k1 + 1 of phase h: picked by selects, then ONE shuffle and store (a branch per
      // phase hh would run every phase's shuffles, since llvmpipe only masks lanes in branches)
      vec4 t = vec4(va[k1], va[k1 + 1u]);
      [[unroll]] for (uint hh = 1u; hh < P; ++hh) t = hh == h ? vec4(va[hh * AP + k1], va[hh * AP + k1 + 1u]) : t;
      vec4 o = subgroupShuffleXor(t, 1u);
      // even lane: row k1, columns (c, c + 1); odd lane: row k1 + 1, columns (c - 1, c)
      sh[(k1 + (odd ? 1u : 0u)) * (B / 2u) + c / 2u] = odd ? vec4(o.zw, t.zw) : vec4(t.xy, o.xy);
    }
    barrier();
    if (g / AP == h) {
      uint base = (g % AP) * (B / 2u) + (R / 2u) * l;
      [[unroll]] for (uint p = 0u; p < R; p += 2u) {
        vec4 t = sh[base + p / 2u];
        z[p] = t.xy;
        z[p + 1u] = t.zw;
      }
    }
  }
  // 2. n2 = p + R l, k2 = s + S q: DFT_S across lanes (-> s = sl), twiddle W_B^(p s), DFT_R over
  // p: z[q] = Z[g + A (sl + S q)]
  lane_dif(z, l, -1.0);
  twiddles_r(w, -1.0, 0u, sl, B);
  [[unroll]] for (uint p = 1u; p < R; ++p) z[p] = cmul(z[p], w[p]);
  dft_r(z, -1.0);

  // real-FFT pairing and spectrum product (kernel mode: the spectrum itself), bins in register
  // order. Phase h exchanges the register chunks h and 2P-1-h (QC values each), which hold each
  // other's partners, so each bin is folded as soon as its partner arrives and no array of
  // partners stays live across barriers (llvmpipe keeps such state in per-invocation memory).
  // Bin (k1, sl, q) = k1 + A (sl + S q) pairs with M - k = (A - k1, S-1-sl, R-1-q) for k1 > 0.
  // Row k1 = 0 (k = A m, m = sl + S q, partner A (B - m)) pairs lane sl > 0 with lane S - sl at
  // the same R-1-q, so it shares these phases; only lane sl = 0 of row 0 pairs z[q] with
  // z[R - q] (q = 0 and R/2 their own partners), inside its registers and one position off the
  // chunk mirror: it takes its partners from this phase's unfolded chunks (c1, c2), the
  // previous phase's (carry) and chunk h + 1 (not folded yet).
  // One code path for all rows matters on llvmpipe, where a branch only masks lanes: a block
  // for row 0 alone (as before) ran its 64 folds (fetch, twiddle, products) in every subgroup.
  // The uniform branch on pc.n (never false) keeps glslc -O from unrolling the phase loop
  // itself: its unrolled SPIR-V ran ~15-20% slower on llvmpipe than the same loop unrolled by
  // Mesa (bench/RESULTS.md, "Wide register kernel at subgroup 4: no work in masked branches").
  uint gp = (A - g) & (A - 1u);
  uint psl = g == 0u ? (S - sl) & (S - 1u) : S - 1u - sl;
  uint rd = (gp * S + psl) * QC, wr = (g * S + sl) * QC;
  bool own = g == 0u && sl == 0u;  // row 0, lane 0: partners in its own registers
  vec2 carry = z[0];
  [[unroll]] for (uint h = 0u; h < P; ++h) {
    barrier();
    [[unroll]] for (uint qq = 0u; qq < QC; qq += 2u) {
      uint q1 = h * QC + qq, q2 = (2u * P - 1u - h) * QC + qq;
      sh[wr + qq / 2u] = vec4(z[q1], z[q1 + 1u]);
      sh[wr + QC / 2u + qq / 2u] = vec4(z[q2], z[q2 + 1u]);
    }
    barrier();
    if (pc.n != 0u) {
      vec2 c1[QC], c2[QC];  // this phase's two chunks, unfolded
      [[unroll]] for (uint j = 0u; j < QC; ++j) {
        c1[j] = z[h * QC + j];
        c2[j] = z[(2u * P - 1u - h) * QC + j];
      }
      [[unroll]] for (uint qq = 0u; qq < QC; qq += 2u) {
        // partners of (q, q+1) are the pair (R-2-q, R-1-q) of the other chunk, swapped
        uint q1 = h * QC + qq, q2 = (2u * P - 1u - h) * QC + qq;
        vec4 t1 = sh[rd + QC / 2u + (QC - 2u - qq) / 2u], t2 = sh[rd + (QC - 2u - qq) / 2u];
        // row 0, lane 0: partner R - q (mod R) of chunk position j > 0 is position QC - j of
        // the other chunk; of position 0 in chunk h: R - hQC, the previous phase's chunk-2
        // position 0 (carry; q = 0 is its own partner); in chunk 2P-1-h: (h + 1) QC (at
        // h = P-1 that is R/2 itself)
        vec2 p1a = own ? (qq == 0u ? (h == 0u ? c1[0] : carry) : c2[QC - qq]) : t1.zw;
        vec2 p1b = own ? c2[QC - qq - 1u] : t1.xy;
        vec2 p2a = own ? (qq == 0u ? (h + 1u < P ? z[(h + 1u) * QC] : c2[0]) : c1[QC - qq]) : t2.zw;
        vec2 p2b = own ? c1[QC - qq - 1u] : t2.xy;
        z[q1] = fold_bin(z[q1], p1a, g + A * (sl + S * q1));
        z[q1 + 1u] = fold_bin(z[q1 + 1u], p1b, g + A * (sl + S * (q1 + 1u)));
        z[q2] = fold_bin(z[q2], p2a, g + A * (sl + S * q2));
        z[q2 + 1u] = fold_bin(z[q2 + 1u], p2b, g + A * (sl + S * (q2 + 1u)));
      }
      carry = c2[0];
    }
  }
#ifndef FFT_SPECTRUM_MODE
  // inverse of step 2: DFT_R (-> p), conjugate twiddle, DIT across lanes (-> l): n2 = p + R l,
  // then W_M^(+n2 k1)
  dft_r(z, 1.0);
  twiddles_r(w, 1.0, 0u, sl, B);
  [[unroll]] for (uint p = 1u; p < R; ++p) z[p] = cmul(z[p], w[p]);
  lane_dit(z, l, 1.0);
#ifndef FFT_SPLIT_LANES  // split: after the distance-4 stage, on the load side below
  twiddles_r(w, 1.0, R * l * g, g, M);
  [[unroll]] for (uint p = 0u; p < R; ++p) z[p] = cmul(z[p], w[p]);
#endif
  // inverse transpose, the same layout: column n2 = i gathers k1 of phase h (a lane pair loads
  // two rows' column pairs and swaps halves); only outputs n1 < A/2 are needed, which the DFT
  // below gets from all of its inputs
  [[dont_unroll]] for (uint h = 0u; h < P; ++h) {
    barrier();
    if (g / AP == h) {
      uint base = (g % AP) * (B / 2u) + (R / 2u) * l;
      [[unroll]] for (uint p = 0u; p < R; p += 2u) sh[base + p / 2u] = vec4(z[p], z[p + 1u]);
    }
    barrier();
    [[unroll]] for (uint k1 = 0u; k1 < AP; k1 += 2u) {
      // even lane: row k1, columns (c, c + 1); odd lane: row k1 + 1, columns (c - 1, c);
      // one load and shuffle, then selects into phase h's registers (as in the forward one)
      vec4 t = sh[(k1 + (odd ? 1u : 0u)) * (B / 2u) + c / 2u];
      vec4 o = subgroupShuffleXor(t, 1u);
      vec2 v0 = odd ? o.zw : t.xy, v1 = odd ? t.zw : o.xy;
      [[unroll]] for (uint hh = 0u; hh < P; ++hh) {
        va[hh * AP + k1] = hh == h ? v0 : va[hh * AP + k1];
        va[hh * AP + k1 + 1u] = hh == h ? v1 : va[hh * AP + k1 + 1u];
      }
    }
  }
#ifdef FFT_SPLIT_LANES
  {  // step 2's distance-4 DIT lane stage, every row k1: lo v + W o, hi o - W v, W = W_8^+e4
    vec2 w4 = twiddle(1.0, e4, 8u);
    float sg4 = hi4 ? -1.0 : 1.0;
    [[unroll]] for (uint k1 = 0u; k1 < A; k1 += 2u) {
      vec4 o4 = subgroupShuffleXor(vec4(va[k1], va[k1 + 1u]), 2u);
      [[unroll]] for (uint e = 0u; e < 2u; ++e) {
        vec2 o = e == 0u ? o4.xy : o4.zw, mine = va[k1 + e];
        vec2 a = hi4 ? o : mine, b = hi4 ? mine : o;
        va[k1 + e] = a + sg4 * cmul(w4, b);
      }
    }
  }
  twiddles_r(w, 1.0, 0u, c, M);  // then W_M^(+n2 k1), n2 = c
  [[unroll]] for (uint k1 = 1u; k1 < A; ++k1) va[k1] = cmul(va[k1], w[k1]);
#endif
  dft_r(va, 1.0);
  float dgain = (pc.flags & M2VK_FFT_HAS_D) != 0u ? d_data[g_chan] : 0.0;
  bool pairs = pc.out_st == 1u && (g_out_base & 1u) == 0u;
  [[unroll]] for (uint n1 = 0u; n1 < A / 2u; ++n1) {
    uint m = c + B * n1;
    // x again for the D term (texel fetches are cheap; keeping it would add 256 bytes of state
    // per invocation across every barrier)
    vec2 xg = dgain != 0.0 ? fetch_packed(row, m) : vec2(0.0);
    if (pairs && 2u * m + 1u < pc.len) {
      vec2 y = va[n1] + dgain * xg;
      if ((pc.flags & M2VK_FFT_POSTGATE) != 0u) {
        uint gi = pc.g_off + in_index(row, 2u * m);
        y *= vec2(g_at(gi), g_at(gi + pc.in_st));
      }
      uint o = g_out_base / 2u + m;
      if ((pc.flags & M2VK_FFT_ACCUM) != 0u) y += out2_data[o];
      out2_data[o] = y;
      continue;
    }
    store_output_x(row, 2u * m, va[n1].x, xg.x, dgain);
    store_output_x(row, 2u * m + 1u, va[n1].y, xg.y, dgain);
  }
#endif
}
