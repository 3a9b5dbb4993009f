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

// A workgroup takes pc.cols consecutive rows (pc.cols * M <= FFT_SMEM): on CPU devices the cost
// of a workgroup and of each barrier is mostly fixed, so short rows are batched.
void main() {
  uint tid = gl_LocalInvocationIndex;
  uint M = pc.n / 2u;
  uint mlog = uint(findLSB(M));
  uint R = pc.cols;
  uint first = gl_WorkGroupID.x * R;             // first row of this workgroup, dispatch-relative
  uint nrows = min(R, pc.rows - first);
  uint row0 = pc.row_base + first;
  uint b0 = row0 / pc.channels, c0 = row0 - b0 * pc.channels;
  float inv_n = 1.0 / float(pc.n);

  for (uint e = tid; e < R * M; e += FFT_WG) {
    uint r = e >> mlog, m = e & (M - 1u);
    vec2 v = vec2(0.0);
    if (r < nrows) {
      fft_row_setup_from(b0, c0, r);
      v = fetch_packed(row0 + r, m);
    }
    s_store(e, v);
  }
  barrier();
  shared_fft(M, R, M, 1u, -1.0);

  // pairs (k, M - k), k = 0 .. M/2 - 1 per row; k = 0 pairs with the Nyquist bin M and also
  // takes the self-paired k = M/2
  uint half_m = max(M / 2u, 1u);
  uint hlog = uint(findLSB(half_m));
  for (uint t = tid; t < R * half_m; t += FFT_WG) {
    uint r = t >> hlog;
    if (r >= nrows) continue;
    fft_row_setup_from(b0, c0, r);
    uint spec = pc.spec_off + g_chan * M;
    uint base = r * M;
    uint k0 = t & (half_m - 1u);
    for (uint pass = 0u; pass < 2u; ++pass) {
      uint k = pass == 0u ? k0 : M / 2u;
      if (pass == 1u && (k0 != 0u || M < 2u)) break;
      uint kb = (M - k) & (M - 1u);
      vec2 za = s_load(base + k), zb = s_load(base + kb);
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
      s_store(base + k, c2r_pack(ya, yb, wa));
      if (kb != k) s_store(base + kb, c2r_pack(yb, ya, -cconj(wa)));
#endif
    }
  }
#ifndef FFT_SPECTRUM_MODE
  barrier();
  shared_fft(M, R, M, 1u, 1.0);
  for (uint e = tid; e < R * M; e += FFT_WG) {
    uint r = e >> mlog, m = e & (M - 1u);
    if (r >= nrows || 2u * m >= pc.len) continue;
    fft_row_setup_from(b0, c0, r);
    vec2 v = s_load(e);
    store_output(row0 + r, 2u * m, v.x);
    store_output(row0 + r, 2u * m + 1u, v.y);
  }
#endif
}
