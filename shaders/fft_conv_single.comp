#version 450
// FFT long convolution of rows that fit one workgroup's shared memory (N/2 <= FFT_SMEM):
// one workgroup per row (b, c), one dispatch for the whole op.
//   conv mode:     load x (pre-gated, zero-padded to N) -> forward FFT (half-length trick)
//                  -> times the filter spectrum -> inverse FFT -> crop to L -> D, post-gate,
//                  accumulate -> out. The row never leaves shared memory.
//   FFT_SPECTRUM_MODE: load the combined kernel K of channel c, forward FFT, write K's
//                  spectrum / N (natural order k = 0..M-1; slot 0 packs (K[0], K[M]) which are
//                  both real).
#include "fft_shared.glsl"
#include "fft_io.glsl"
#include "fft_r2c.glsl"

layout(local_size_x = FFT_WG) in;

void main() {
  uint tid = gl_LocalInvocationIndex;
  uint row = pc.row_base + gl_WorkGroupID.x;
  uint M = pc.n / 2u;
  float inv_n = 1.0 / float(pc.n);

  for (uint m = tid; m < M; m += FFT_WG) s_store(m, fetch_packed(row, m));
  barrier();
  shared_fft(M, 1u, 0u, 1u, -1.0);

  uint spec = pc.spec_off + row_channel(row) * M;
  // pairs (k, M - k) for k = 0 .. M/2; k = 0 pairs with the Nyquist bin M, k = M/2 with itself
  for (uint k = tid; k <= M / 2u; k += FFT_WG) {
    uint kb = (M - k) & (M - 1u);
    vec2 za = s_load(k), zb = s_load(kb);
    vec2 wa = twiddle(-1.0, k, pc.n);
    vec4 v = r2c_pair(za, zb, wa);
#ifdef FFT_SPECTRUM_MODE
    if (k == 0u) {
      spec_data[spec] = vec2(v.x, v.z) * inv_n;
    } else {
      spec_data[spec + k] = v.xy * inv_n;
      if (kb != k) spec_data[spec + kb] = v.zw * inv_n;
    }
#else
    vec2 sa, sb;
    if (k == 0u) {
      vec2 s0 = spec_data[spec];
      sa = vec2(s0.x, 0.0);
      sb = vec2(s0.y, 0.0);
    } else {
      sa = spec_data[spec + k];
      sb = spec_data[spec + kb];
    }
    vec2 ya = cmul(v.xy, sa), yb = cmul(v.zw, sb);
    s_store(k, c2r_pack(ya, yb, wa));
    if (kb != k) s_store(kb, c2r_pack(yb, ya, -cconj(wa)));
#endif
  }
#ifndef FFT_SPECTRUM_MODE
  barrier();
  shared_fft(M, 1u, 0u, 1u, 1.0);
  for (uint t = tid; t < pc.len; t += FFT_WG) {
    uint m = t >> 1;
    store_output(row, t, (t & 1u) == 0u ? s_re[m] : s_im[m]);
  }
#endif
}
