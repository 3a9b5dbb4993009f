#version 450
// Four-step pass 2 of 3: workgroup (j, row) loads rows k1a = j and k1b = (j == 0 ? m1/2 : m1 - j)
// of the pass-1 scratch and runs their length-m2 FFTs, which gives Z[k1 + m1 * k2]. These two
// rows hold every partner M - k of their own bins (the half-length trick pairs k with M - k:
// row k1 pairs with row m1 - k1, rows 0 and m1/2 with themselves), so the real-input spectrum,
// the product with the filter spectrum and the inverse packing all happen here, followed by the
// inverse length-m2 FFTs and the inverse four-step twiddle; the result goes back in place.
// FFT_SPECTRUM_MODE: stop after the forward FFT and write K's spectrum / N in the layout
// spec[k1 * m2 + k2] = S[k1 + m1 * k2] (slot 0 packs the real S[0] and S[M]).
#include "fft_shared.glsl"
#include "fft_io.glsl"
#include "fft_r2c.glsl"

layout(local_size_x = FFT_WG) in;

void main() {
  uint tid = gl_LocalInvocationIndex;
  uint j = gl_WorkGroupID.x;
  uint row_local = gl_WorkGroupID.y;
  uint row = pc.row_base + row_local;
  fft_row_setup(row);
  uint M = pc.n / 2u, m1 = pc.m1, m2 = pc.m2;
  uint k1a = j, k1b = (j == 0u) ? m1 / 2u : m1 - j;
  uint base = row_local * M;
  float inv_n = 1.0 / float(pc.n);

  for (uint e = tid; e < 2u * m2; e += FFT_WG) {
    uint k1 = e < m2 ? k1a : k1b;
    s_store(e, scratch_data[base + k1 * m2 + (e & (m2 - 1u))]);
  }
  barrier();
  shared_fft(m2, 2u, m2, 1u, -1.0);

  uint spec = pc.spec_off + g_chan * M;
  uint npairs = (j == 0u) ? m2 + 1u : m2;
  for (uint p = tid; p < npairs; p += FFT_WG) {
    uint ia, ib, ka;  // shared slots of the pair and the global bin of slot ia
    if (j != 0u) {
      ia = p;
      ib = 2u * m2 - 1u - p;
      ka = k1a + m1 * p;
    } else if (p <= m2 / 2u) {
      ia = p;
      ib = (m2 - p) & (m2 - 1u);
      ka = m1 * p;
    } else {
      uint q = p - m2 / 2u - 1u;
      ia = m2 + q;
      ib = 2u * m2 - 1u - q;
      ka = m1 / 2u + m1 * q;
    }
    // spectrum slots (transposed natural layout) of ia and ib
    uint sa_i = spec + (ia < m2 ? k1a * m2 + ia : k1b * m2 + (ia - m2));
    uint sb_i = spec + (ib < m2 ? k1a * m2 + ib : k1b * m2 + (ib - m2));
    vec2 za = s_load(ia), zb = s_load(ib);
    vec2 wa = twiddle(-1.0, ka, pc.n);
    vec4 v = r2c_pair(za, zb, wa);
#ifdef FFT_SPECTRUM_MODE
    if (ka == 0u) {
      spec_data[sa_i] = vec2(v.x, v.z) * inv_n;
    } else {
      spec_data[sa_i] = v.xy * inv_n;
      if (ib != ia) spec_data[sb_i] = v.zw * inv_n;
    }
#else
    vec2 sa, sb;
    if (ka == 0u) {
      vec2 s0 = spec_data[sa_i];
      sa = vec2(s0.x, 0.0);
      sb = vec2(s0.y, 0.0);
    } else {
      sa = spec_data[sa_i];
      sb = spec_data[sb_i];
    }
    vec2 ya = cmul(v.xy, sa), yb = cmul(v.zw, sb);
    s_store(ia, c2r_pack(ya, yb, wa));
    if (ib != ia) s_store(ib, c2r_pack(yb, ya, -cconj(wa)));
#endif
  }
#ifndef FFT_SPECTRUM_MODE
  barrier();
  shared_fft(m2, 2u, m2, 1u, 1.0);
  for (uint e = tid; e < 2u * m2; e += FFT_WG) {
    uint k1 = e < m2 ? k1a : k1b;
    uint n2 = e & (m2 - 1u);
    scratch_data[base + k1 * m2 + n2] = cmul(s_load(e), twiddle(1.0, (n2 * k1) & (M - 1u), M));
  }
#endif
}
