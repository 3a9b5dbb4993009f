// Batched in-place Stockham FFTs in shared memory (radix 4, plus one radix-2 stage when
// log2(n) is odd). Includer defines:
//   FFT_SMEM  complex values the shared buffer holds (power of two)
//   FFT_WG    workgroup size (power of two, FFT_SMEM % (4 * FFT_WG) == 0)
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
  if ((findLSB(n) & 1) != 0) {  // odd log2(n): one radix-2 stage first, radix 4 after
    fft_radix2_stage(n, ns, count, fstride, estride, sgn);
    ns = 2u;
  }
  for (; ns < n; ns *= 4u) fft_radix4_stage(n, ns, count, fstride, estride, sgn);
}

#endif  // M2VK_FFT_SHARED_GLSL
