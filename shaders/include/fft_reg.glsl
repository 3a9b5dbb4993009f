// FFT building blocks that avoid shared memory: DFTs of a private array held in registers
// (fully unrolled, every index a compile-time constant) and radix-2 stages across the lanes of
// a subgroup through subgroupShuffleXor. On llvmpipe every shared-memory access is a per-lane
// loop while shuffles and constant-indexed private arrays are plain vector code, so these are
// several times cheaper than Stockham stages through shared memory.
#ifndef M2VK_FFT_REG_GLSL
#define M2VK_FFT_REG_GLSL
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_EXT_control_flow_attributes : require
#include "fft_complex.glsl"

// d * exp(sgn pi i jj / h) for constant jj < h: the multiples of pi/4 (a quarter of the
// butterflies of a radix-2 DFT) exactly and with fewer operations than a complex product.
#define M2VK_SQRT_HALF 0.70710678118654752440
vec2 m2vk_reg_twiddle(vec2 d, float sgn, uint jj, uint h) {
  vec2 r;
  if (jj == 0u) r = d;
  else if (2u * jj == h) r = sgn * cmul_i(d);  // sgn i
  else if (4u * jj == h) r = M2VK_SQRT_HALF * vec2(d.x - sgn * d.y, sgn * d.x + d.y);  // (1 + sgn i) / sqrt 2
  else if (4u * jj == 3u * h) r = M2VK_SQRT_HALF * vec2(-d.x - sgn * d.y, sgn * d.x - d.y);  // (-1 + sgn i) / sqrt 2
  else r = cmul(d, twiddle(sgn, jj, 2u * h));
  return r;
}

// In-place DFT of v[0..SIZE) (power of two, LOG = log2 SIZE), natural order in and out:
// radix-2 decimation in frequency, then the bit-reversal permutation (register renaming once
// unrolled). The twiddles are constants after unrolling; sgn must be a constant too.
#define M2VK_DEFINE_REG_DFT(NAME, SIZE, LOG)                                        \
  void NAME(inout vec2 v[SIZE], float sgn) {                                       \
    [[unroll]] for (uint st = 0u; st < LOG; ++st) {                                \
      uint h = (SIZE / 2u) >> st;                                                  \
      [[unroll]] for (uint j = 0u; j < SIZE / 2u; ++j) {                           \
        uint jj = j % h, i0 = (j / h) * 2u * h + jj, i1 = i0 + h;            \
        vec2 a = v[i0], b = v[i1];                                                 \
        v[i0] = a + b;                                                             \
        v[i1] = m2vk_reg_twiddle(a - b, sgn, jj, h);                               \
      }                                                                            \
    }                                                                              \
    vec2 t[SIZE] = v;                                                              \
    [[unroll]] for (uint i = 0u; i < SIZE; ++i) v[i] = t[bitfieldReverse(i) >> (32u - LOG)]; \
  }

// Twiddles w[q] = exp(sgn 2 pi i (base + step q) / den), q < COUNT (a power of two), with
// base + step (COUNT - 1) < den: sin/cos only for q = 4m and for step, 2 step, 3 step, the rest
// one complex product each (about one rounding more). Cuts the sin/cos count by ~3x. COUNT < 4
// (R = 2 at subgroups of 16) leaves out the entries past the end (the branches are constants).
#define M2VK_DEFINE_TWIDDLES(NAME, COUNT)                                          \
  void NAME(out vec2 w[COUNT], float sgn, uint base, uint step, uint den) {        \
    vec2 s1 = twiddle(sgn, step, den), s2 = twiddle(sgn, 2u * step, den);          \
    vec2 s3 = twiddle(sgn, 3u * step, den);                                        \
    [[unroll]] for (uint m = 0u; m < COUNT; m += 4u) {                             \
      vec2 b = twiddle(sgn, base + m * step, den);                                 \
      w[m] = b;                                                                    \
      if (m + 1u < COUNT) w[m + 1u] = cmul(b, s1);                                 \
      if (m + 2u < COUNT) w[m + 2u] = cmul(b, s2);                                 \
      if (m + 3u < COUNT) w[m + 3u] = cmul(b, s3);                                 \
    }                                                                              \
  }

// Lane groups: the lane DFTs below run across FFT_S (4, 8 or 16; FFT_SLOG = log2) consecutive
// invocations of a subgroup, with shuffle distances < FFT_S, so they stay inside a group. A
// subgroup of gl_SubgroupSize (a multiple of FFT_S: the host checks) holds gl_SubgroupSize / FFT_S
// groups, numbered in invocation order: with gl_SubgroupSize == FFT_S a group is a subgroup; an
// 8-lane kernel also runs on subgroups of 16 as two groups per subgroup. The workgroup size must
// be a multiple of gl_SubgroupSize (full subgroups).
uint fft_group_id() { return (gl_SubgroupID * gl_SubgroupSize + gl_SubgroupInvocationID) / FFT_S; }
uint fft_lane_id() { return gl_SubgroupInvocationID % FFT_S; }

// Length-FFT_S DFT across the lanes of a subgroup, one per register of v[0..COUNT) (COUNT even;
// registers travel in pairs, one vec4 shuffle for two complex values).
// DIF: lane l holds input l on entry and output bitrev(l) on exit.
#define M2VK_DEFINE_LANE_DIF(NAME, COUNT)                                          \
  void NAME(inout vec2 v[COUNT], uint l, float sgn) {                              \
    [[unroll]] for (uint st = 0u; st < FFT_SLOG; ++st) {                           \
      uint d = (FFT_S / 2u) >> st;                                                 \
      bool hi = (l & d) != 0u;                                                     \
      vec2 w = twiddle(sgn, l & (d - 1u), 2u * d);                                 \
      [[unroll]] for (uint q = 0u; q < COUNT; q += 2u) {                           \
        vec4 o4 = subgroupShuffleXor(vec4(v[q], v[q + 1u]), d);                    \
        [[unroll]] for (uint e = 0u; e < 2u; ++e) {                                \
          vec2 o = e == 0u ? o4.xy : o4.zw;                                        \
          vec2 diff = o - v[q + e];                                                \
          v[q + e] = hi ? (d == 1u ? diff : cmul(diff, w)) : v[q + e] + o;         \
        }                                                                          \
      }                                                                            \
    }                                                                              \
  }

// DIT, the inverse arrangement: lane l holds input bitrev(l) on entry and output l on exit.
#define M2VK_DEFINE_LANE_DIT(NAME, COUNT)                                          \
  void NAME(inout vec2 v[COUNT], uint l, float sgn) {                              \
    [[unroll]] for (uint st = 0u; st < FFT_SLOG; ++st) {                           \
      uint d = 1u << st;                                                           \
      bool hi = (l & d) != 0u;                                                     \
      vec2 w = twiddle(sgn, l & (d - 1u), 2u * d);                                 \
      [[unroll]] for (uint q = 0u; q < COUNT; q += 2u) {                           \
        vec4 o4 = subgroupShuffleXor(vec4(v[q], v[q + 1u]), d);                    \
        [[unroll]] for (uint e = 0u; e < 2u; ++e) {                                \
          vec2 o = e == 0u ? o4.xy : o4.zw;                                        \
          vec2 mine = d == 1u ? v[q + e] : cmul(w, v[q + e]);                      \
          vec2 theirs = d == 1u ? o : cmul(w, o);                                  \
          v[q + e] = hi ? o - mine : v[q + e] + theirs;                            \
        }                                                                          \
      }                                                                            \
    }                                                                              \
  }

#endif  // M2VK_FFT_REG_GLSL
