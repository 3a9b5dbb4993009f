// Batched in-place Stockham FFTs in shared memory: radix 16 (a 4 x 4 DFT in registers), after
// one radix-2 and/or radix-4 stage for the rest of log2(n) / 4. Half the stages of radix 4, so
// half the shared-memory round trips and barriers, which dominate on lavapipe and on GPUs alike.
// Includer defines:
//   FFT_SMEM  complex values the shared buffer holds (power of two)
//   FFT_WG    workgroup size (power of two, FFT_SMEM % (16 * FFT_WG) == 0)
// Element i of FFT f lives at f * fstride + i * estride, so one routine serves a single long
// row (single pass), two rows (four-step row pass) and a tile of columns (column passes).
// Each stage reads its butterflies' inputs into registers, computes, waits at a barrier, then
// writes the outputs to their Stockham positions: one buffer, no ping-pong copy, so the
// largest transform is the whole shared memory. Real and imaginary parts are separate arrays
// so consecutive lanes hit consecutive banks.
// The per-invocation loops are unrolled so the butterfly outputs v[] are indexed by constants
// and live in registers: indexed at run time, a GPU compiler puts the array in scratch memory
// (RADV: 64-128 KiB of scratch per wave for FFT_SMEM = 4096, every access a memory access).
#ifndef M2VK_FFT_SHARED_GLSL
#define M2VK_FFT_SHARED_GLSL
#extension GL_EXT_control_flow_attributes : require
#include "fft_complex.glsl"

shared float s_re[FFT_SMEM];
shared float s_im[FFT_SMEM];

#define FFT_PER_THREAD (FFT_SMEM / FFT_WG)

vec2 s_load(uint i) { return vec2(s_re[i], s_im[i]); }
void s_store(uint i, vec2 v) {
  s_re[i] = v.x;
  s_im[i] = v.y;
}

// exp(sgn * 2 pi i m / 16) for m known at compile time (after unrolling): cos from a table,
// sin(2 pi m / 16) = cos(2 pi (m - 4) / 16).
const float M2VK_COS16[16] = float[16](1.0, 0.92387953251128674, 0.70710678118654752, 0.38268343236508977, 0.0,
                                       -0.38268343236508977, -0.70710678118654752, -0.92387953251128674, -1.0,
                                       -0.92387953251128674, -0.70710678118654752, -0.38268343236508977, 0.0,
                                       0.38268343236508977, 0.70710678118654752, 0.92387953251128674);
vec2 w16(uint m, float sgn) { return vec2(M2VK_COS16[m & 15u], sgn * M2VK_COS16[(m + 12u) & 15u]); }

// In-place 4-point DFT (sgn = -1 forward, +1 inverse, unnormalised).
void dft4(inout vec2 a0, inout vec2 a1, inout vec2 a2, inout vec2 a3, float sgn) {
  vec2 t0 = a0 + a2, t1 = a0 - a2, t2 = a1 + a3;
  vec2 t3 = sgn * cmul_i(a1 - a3);  // -i (a1 - a3) forward, +i inverse
  a0 = t0 + t2;
  a1 = t1 + t3;
  a2 = t0 - t2;
  a3 = t1 - t3;
}

// One radix-16 Stockham stage over `count` FFTs of size n; ns = product of earlier radices.
// Each butterfly is a 16-point DFT as 4 x 4: DFTs over n1 of x[4 n1 + n2], twiddles
// exp(sgn 2 pi i n2 k1 / 16), DFTs over n2, which leaves X[k1 + 4 k2] in a[4 k1 + k2].
void fft_radix16_stage(uint n, uint ns, uint count, uint fstride, uint estride, float sgn) {
  uint q = n / 16u;
  uint nb = count * q;
  uint qlog = uint(findLSB(q));
  vec2 v[FFT_PER_THREAD];
  [[unroll]] for (uint i = 0u; i < FFT_PER_THREAD / 16u; ++i) {
    uint b = gl_LocalInvocationIndex + i * FFT_WG;
    if (b < nb) {
      uint f = b >> qlog, j = b & (q - 1u);
      uint base = f * fstride;
      vec2 a[16];
      [[unroll]] for (uint r = 0u; r < 16u; ++r) a[r] = s_load(base + (j + r * q) * estride);
      uint k = j & (ns - 1u);
      if (k != 0u) {
        // w^r = (w^4)^(r / 4) * w^(r % 4), w = exp(sgn 2 pi i k / (16 ns)): two exact twiddles,
        // at most three products per factor.
        vec2 w1[4], w4[4];
        w1[0] = vec2(1.0, 0.0);
        w1[1] = twiddle(sgn, k, 16u * ns);
        w1[2] = cmul(w1[1], w1[1]);
        w1[3] = cmul(w1[2], w1[1]);
        w4[0] = vec2(1.0, 0.0);
        w4[1] = twiddle(sgn, 4u * k, 16u * ns);
        w4[2] = cmul(w4[1], w4[1]);
        w4[3] = cmul(w4[2], w4[1]);
        [[unroll]] for (uint r = 1u; r < 16u; ++r) {
          vec2 w = (r % 4u) == 0u ? w4[r / 4u] : (r < 4u ? w1[r] : cmul(w4[r / 4u], w1[r % 4u]));
          a[r] = cmul(a[r], w);
        }
      }
      [[unroll]] for (uint n2 = 0u; n2 < 4u; ++n2) dft4(a[n2], a[4u + n2], a[8u + n2], a[12u + n2], sgn);
      [[unroll]] for (uint k1 = 1u; k1 < 4u; ++k1)
        [[unroll]] for (uint n2 = 1u; n2 < 4u; ++n2) a[4u * k1 + n2] = cmul(a[4u * k1 + n2], w16(n2 * k1, sgn));
      [[unroll]] for (uint k1 = 0u; k1 < 4u; ++k1) dft4(a[4u * k1], a[4u * k1 + 1u], a[4u * k1 + 2u], a[4u * k1 + 3u], sgn);
      [[unroll]] for (uint r = 0u; r < 16u; ++r) v[16u * i + r] = a[4u * (r % 4u) + r / 4u];
    }
  }
  barrier();
  [[unroll]] for (uint i = 0u; i < FFT_PER_THREAD / 16u; ++i) {
    uint b = gl_LocalInvocationIndex + i * FFT_WG;
    if (b < nb) {
      uint f = b >> qlog, j = b & (q - 1u);
      uint k = j & (ns - 1u);
      uint o = f * fstride + ((j - k) * 16u + k) * estride;
      [[unroll]] for (uint r = 0u; r < 16u; ++r) s_store(o + r * ns * estride, v[16u * i + r]);
    }
  }
  barrier();
}

// One radix-4 Stockham stage over `count` FFTs of size n; ns = product of earlier radices.
// sgn = -1: forward, +1: inverse (unnormalised).
void fft_radix4_stage(uint n, uint ns, uint count, uint fstride, uint estride, float sgn) {
  uint q = n / 4u;
  uint nb = count * q;
  uint qlog = uint(findLSB(q));  // q is a power of two: shifts, not integer divisions (slow on CPUs)
  vec2 v[FFT_PER_THREAD];
  [[unroll]] for (uint i = 0u; i < FFT_PER_THREAD / 4u; ++i) {
    uint b = gl_LocalInvocationIndex + i * FFT_WG;
    if (b < nb) {
      uint f = b >> qlog, j = b & (q - 1u);
      uint base = f * fstride;
      vec2 a0 = s_load(base + j * estride);
      vec2 a1 = s_load(base + (j + q) * estride);
      vec2 a2 = s_load(base + (j + 2u * q) * estride);
      vec2 a3 = s_load(base + (j + 3u * q) * estride);
      uint k = j & (ns - 1u);
      if (k != 0u) {
        vec2 w1 = twiddle(sgn, k, 4u * ns);
        vec2 w2 = cmul(w1, w1);
        a1 = cmul(a1, w1);
        a2 = cmul(a2, w2);
        a3 = cmul(a3, cmul(w2, w1));
      }
      vec2 t0 = a0 + a2, t1 = a0 - a2, t2 = a1 + a3;
      vec2 t3 = sgn * cmul_i(a1 - a3);  // -i (a1 - a3) forward, +i inverse
      v[4u * i + 0u] = t0 + t2;
      v[4u * i + 1u] = t1 + t3;
      v[4u * i + 2u] = t0 - t2;
      v[4u * i + 3u] = t1 - t3;
    }
  }
  barrier();
  [[unroll]] for (uint i = 0u; i < FFT_PER_THREAD / 4u; ++i) {
    uint b = gl_LocalInvocationIndex + i * FFT_WG;
    if (b < nb) {
      uint f = b >> qlog, j = b & (q - 1u);
      uint k = j & (ns - 1u);
      uint o = f * fstride + ((j - k) * 4u + k) * estride;
      [[unroll]] for (uint r = 0u; r < 4u; ++r) s_store(o + r * ns * estride, v[4u * i + r]);
    }
  }
  barrier();
}

void fft_radix2_stage(uint n, uint ns, uint count, uint fstride, uint estride, float sgn) {
  uint q = n / 2u;
  uint nb = count * q;
  uint qlog = uint(findLSB(q));
  vec2 v[FFT_PER_THREAD];
  [[unroll]] for (uint i = 0u; i < FFT_PER_THREAD / 2u; ++i) {
    uint b = gl_LocalInvocationIndex + i * FFT_WG;
    if (b < nb) {
      uint f = b >> qlog, j = b & (q - 1u);
      uint base = f * fstride;
      vec2 a0 = s_load(base + j * estride);
      vec2 a1 = s_load(base + (j + q) * estride);
      uint k = j & (ns - 1u);
      if (k != 0u) a1 = cmul(a1, twiddle(sgn, k, 2u * ns));
      v[2u * i + 0u] = a0 + a1;
      v[2u * i + 1u] = a0 - a1;
    }
  }
  barrier();
  [[unroll]] for (uint i = 0u; i < FFT_PER_THREAD / 2u; ++i) {
    uint b = gl_LocalInvocationIndex + i * FFT_WG;
    if (b < nb) {
      uint f = b >> qlog, j = b & (q - 1u);
      uint k = j & (ns - 1u);
      uint o = f * fstride + ((j - k) * 2u + k) * estride;
      s_store(o, v[2u * i + 0u]);
      s_store(o + ns * estride, v[2u * i + 1u]);
    }
  }
  barrier();
}

// `count` FFTs of size n (power of two, count * n <= FFT_SMEM) in place, natural order in and
// out. The caller must have passed a barrier after filling shared memory; this returns after one.
void shared_fft(uint n, uint count, uint fstride, uint estride, float sgn) {
  uint ns = 1u;
  uint rest = uint(findLSB(n)) & 3u;  // log2(n) mod 4: radix 2 and/or 4 first, radix 16 after
  if ((rest & 1u) != 0u) {
    fft_radix2_stage(n, ns, count, fstride, estride, sgn);
    ns = 2u;
  }
  if (rest >= 2u) {
    fft_radix4_stage(n, ns, count, fstride, estride, sgn);
    ns *= 4u;
  }
  for (; ns < n; ns *= 16u) fft_radix16_stage(n, ns, count, fstride, estride, sgn);
}

#endif  // M2VK_FFT_SHARED_GLSL
