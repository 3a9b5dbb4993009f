#version 450
// Four-step pass 3 of 3: each workgroup takes `cols` adjacent columns n2 of one row of the
// pass-2 scratch (scratch[k1 * m2 + n2]), runs their inverse length-m1 FFTs over k1, which
// gives N * (y[2m] + i y[2m+1]) at m = m2 * n1 + n2, crops to L and applies the epilogue
// (D term, post-gate, accumulate) on the way out.
#include "fft_shared.glsl"
#include "fft_io.glsl"

layout(local_size_x = FFT_WG) in;

void main() {
  uint tid = gl_LocalInvocationIndex;
  uint row_local = gl_WorkGroupID.y;
  uint row = pc.row_base + row_local;
  fft_row_setup(row);
  uint M = pc.n / 2u, cols = pc.cols;
  uint c0 = gl_WorkGroupID.x * cols;
  uint total = pc.m1 * cols;
  uint clog = uint(findLSB(cols));  // cols is a power of two: shifts, not divisions
  uint base = row_local * M;

  for (uint e = tid; e < total; e += FFT_WG) {
    uint k1 = e >> clog, cc = e & (cols - 1u);
    s_store(e, scratch_data[base + k1 * pc.m2 + c0 + cc]);
  }
  barrier();
  shared_fft(pc.m1, cols, 1u, cols, 1.0);

  for (uint e = tid; e < total; e += FFT_WG) {
    uint n1 = e >> clog, cc = e & (cols - 1u);
    uint m = pc.m2 * n1 + c0 + cc;
    vec2 v = s_load(e);
    store_output(row, 2u * m, v.x);
    store_output(row, 2u * m + 1u, v.y);
  }
}
