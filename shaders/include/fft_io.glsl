// Buffers, input fetch and output epilogue shared by the FFT convolution passes.
// Every pass declares the same binding numbers (one descriptor set layout for the op):
//   0 x   (conv: the input signal; kernel mode: kf, the forward filter, fetch_kernel)
//   1 a   (conv: the pre-gate;     kernel mode: kr, the reverse filter, fetch_kernel)
//   2 g   post-gate                 3 out  output (read too when ACCUM)
//   4 spec  filter spectra (vec2)   5 d    skip gains D (C)
//   6 scratch (vec2): four-step intermediate, M complex values per row of this dispatch
// FFT_TEXEL_IN: x, a, g (R32F) and, in conv mode, the vec4 spectrum (RGBA32F) are uniform texel
// buffers instead: on llvmpipe texel fetches are unrolled gathers while storage-buffer loads
// are per-lane loops (4-5x slower). The host binds each slot as the pipeline reflects it.
#ifndef M2VK_FFT_IO_GLSL
#define M2VK_FFT_IO_GLSL
#include "pc/fft_conv.h"

M2VK_PUSH_CONSTANT_BLOCK(FftConvPC, M2VK_PC_FFT_CONV)

#ifdef FFT_TEXEL_IN
layout(binding = 0) uniform samplerBuffer x_tex;
layout(binding = 1) uniform samplerBuffer a_tex;
layout(binding = 2) uniform samplerBuffer g_tex;
float x_at(uint i) { return texelFetch(x_tex, int(i)).x; }
float a_at(uint i) { return texelFetch(a_tex, int(i)).x; }
float g_at(uint i) { return texelFetch(g_tex, int(i)).x; }
#else
layout(std430, binding = 0) readonly buffer XBuf { float x_data[]; };
layout(std430, binding = 1) readonly buffer ABuf { float a_data[]; };
layout(std430, binding = 2) readonly buffer GBuf { float g_data[]; };
float x_at(uint i) { return x_data[i]; }
float a_at(uint i) { return a_data[i]; }
float g_at(uint i) { return g_data[i]; }
#endif
layout(std430, binding = 3) buffer OutBuf { float out_data[]; };
#if defined(FFT_SPEC_VEC4)  // register kernel: M/2 + 1 vec4 entries per channel, see fft_r2c.glsl
#ifdef FFT_SPECTRUM_MODE
layout(std430, binding = 4) writeonly buffer SpecBuf { vec4 spec_data[]; };
#elif defined(FFT_TEXEL_IN)
layout(binding = 4) uniform samplerBuffer spec_tex;
vec4 spec_at(uint i) { return texelFetch(spec_tex, int(i)); }
#else
layout(std430, binding = 4) readonly buffer SpecBuf { vec4 spec_data[]; };
vec4 spec_at(uint i) { return spec_data[i]; }
#endif
#elif defined(FFT_SPECTRUM_MODE)
layout(std430, binding = 4) writeonly buffer SpecBuf { vec2 spec_data[]; };
#else
layout(std430, binding = 4) readonly buffer SpecBuf { vec2 spec_data[]; };
#endif
layout(std430, binding = 5) readonly buffer DBuf { float d_data[]; };
layout(std430, binding = 6) buffer ScratchBuf { vec2 scratch_data[]; };

uint row_batch(uint row) { return row / pc.channels; }
uint row_channel(uint row) { return row - row_batch(row) * pc.channels; }

// Every workgroup works on one row: its channel and base offsets are computed once
// (fft_row_setup) instead of per element (integer division is slow on CPU devices).
uint g_row = 0xffffffffu, g_chan = 0u, g_in_base = 0u, g_out_base = 0u;
void fft_row_setup(uint row) {
  uint b = row / pc.channels;
  g_row = row;
  g_chan = row - b * pc.channels;
  g_in_base = b * pc.in_sb + g_chan * pc.in_sc;
  g_out_base = pc.out_off + b * pc.out_sb + g_chan * pc.out_sc;
}

// The same for row (b0, c0) + r without a division: rows of one workgroup are consecutive.
void fft_row_setup_from(uint b0, uint c0, uint r) {
  uint b = b0, c = c0 + r;
  while (c >= pc.channels) {
    c -= pc.channels;
    ++b;
  }
  g_chan = c;
  g_in_base = b * pc.in_sb + c * pc.in_sc;
  g_out_base = pc.out_off + b * pc.out_sb + c * pc.out_sc;
}

uint in_index(uint row, uint t) { return g_in_base + t * pc.in_st; }
uint out_index(uint row, uint t) { return g_out_base + t * pc.out_st; }

// The (pre-gated) input x[row, t], zero beyond L.
float fetch_signal(uint row, uint t) {
  if (t >= pc.len) return 0.0;
  uint i = in_index(row, t);
  float v = x_at(pc.x_off + i);
  if ((pc.flags & M2VK_FFT_PREGATE) != 0u) v *= a_at(pc.a_off + i);
  return v;
}

// The combined kernel K[c, t] of FFT size N: kf[c, t] for t < L, kr[c, d - 1] at t = N - d
// for d = 1 .. L-1 when bidirectional, zero elsewhere (architecture doc 3.5).
// kf / kr element (c, t) at c * filt_sc + t * filt_st: channel-major rows, or the token-major
// (L, C) planes the Hyena filter writes (filt_sc = 1, filt_st = C).
float fetch_kernel(uint c, uint t) {
  uint st = max(pc.filt_st, 1u);
  if (t < pc.len) return x_at(pc.x_off + c * pc.filt_sc + t * st);
  if ((pc.flags & M2VK_FFT_BIDIR) != 0u && t > pc.n - pc.len) return a_at(pc.a_off + c * pc.filt_sc + (pc.n - t - 1u) * st);
  return 0.0;
}

// The row's value at t of the half-length packing z[m] = v[2m] + i v[2m+1].
vec2 fetch_packed(uint row, uint m) {
#ifdef FFT_SPECTRUM_MODE
  return vec2(fetch_kernel(row, 2u * m), fetch_kernel(row, 2u * m + 1u));
#else
  return vec2(fetch_signal(row, 2u * m), fetch_signal(row, 2u * m + 1u));
#endif
}

// out[row, t] = ((conv + d * xg) * g) (+ out) for t < L, with xg = the pre-gated x[row, t]
// and d = D[c] (0 without D) already at hand.
void store_output_x(uint row, uint t, float conv, float xg, float d) {
  if (t >= pc.len) return;
  float y = conv + d * xg;
  if ((pc.flags & M2VK_FFT_POSTGATE) != 0u) y *= g_at(pc.g_off + in_index(row, t));
  uint o = out_index(row, t);
  if ((pc.flags & M2VK_FFT_ACCUM) != 0u) y += out_data[o];
  out_data[o] = y;
}

// out[row, t] = ((conv + D[c] x) * g) (+ out) for t < L.
void store_output(uint row, uint t, float conv) {
  if (t >= pc.len) return;
  float y = conv;
  uint i = in_index(row, t);
  if ((pc.flags & M2VK_FFT_HAS_D) != 0u) {
    float xv = x_at(pc.x_off + i);
    if ((pc.flags & M2VK_FFT_PREGATE) != 0u) xv *= a_at(pc.a_off + i);
    y += d_data[g_chan] * xv;
  }
  if ((pc.flags & M2VK_FFT_POSTGATE) != 0u) y *= g_at(pc.g_off + i);
  uint o = out_index(row, t);
  if ((pc.flags & M2VK_FFT_ACCUM) != 0u) y += out_data[o];
  out_data[o] = y;
}

#endif  // M2VK_FFT_IO_GLSL
