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
        v[i1] = jj == 0u ? a - b : cmul(a - b, twiddle(sgn, jj, 2u * h));          \
      }                                                                            \
    }                                                                              \
    vec2 t[SIZE] = v;                                                              \
    [[unroll]] for (uint i = 0u; i < SIZE; ++i) v[i] = t[bitfieldReverse(i) >> (32u - LOG)]; \
  }

// Length-FFT_S DFT across the lanes of a subgroup, one per register of v[0..COUNT).
// DIF: lane l holds input l on entry and output bitrev(l) on exit.
#define M2VK_DEFINE_LANE_DIF(NAME, COUNT)                                          \
  void NAME(inout vec2 v[COUNT], uint l, float sgn) {                              \
    [[unroll]] for (uint st = 0u; st < FFT_SLOG; ++st) {                           \
      uint d = (FFT_S / 2u) >> st;                                                 \
      bool hi = (l & d) != 0u;                                                     \
      vec2 w = twiddle(sgn, l & (d - 1u), 2u * d);                                 \
      [[unroll]] for (uint q = 0u; q < COUNT; ++q) {                               \
        vec2 o = subgroupShuffleXor(v[q], d);                                      \
        vec2 diff = o - v[q];                                                      \
        v[q] = hi ? (d == 1u ? diff : cmul(diff, w)) : v[q] + o;                   \
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
      [[unroll]] for (uint q = 0u; q < COUNT; ++q) {                               \
        vec2 o = subgroupShuffleXor(v[q], d);                                      \
        vec2 mine = d == 1u ? v[q] : cmul(w, v[q]);                                \
        vec2 theirs = d == 1u ? o : cmul(w, o);                                    \
        v[q] = hi ? o - mine : v[q] + theirs;                                      \
      }                                                                            \
    }                                                                              \
  }

#endif  // M2VK_FFT_REG_GLSL
