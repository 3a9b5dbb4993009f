#version 450
// Four-step pass 1 of 3 (rows longer than shared memory): M = N/2 = m1 * m2 complex points,
// z[m2 * n1 + n2] is viewed as an (m1 x m2) matrix. Each workgroup takes `cols` adjacent
// columns n2 of one row (coalesced loads), runs their length-m1 FFTs over n1 in shared memory,
// multiplies by the four-step twiddle exp(-2 pi i n2 k1 / M) and stores the result transposed,
// scratch[k1 * m2 + n2], so pass 2 reads contiguous rows.
// FFT_SPECTRUM_MODE: the input is the combined kernel K of channel `row` (fetch_kernel).
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

  for (uint e = tid; e < total; e += FFT_WG) {
    uint n1 = e >> clog, cc = e & (cols - 1u);
    s_store(e, fetch_packed(row, pc.m2 * n1 + c0 + cc));
  }
  barrier();
  shared_fft(pc.m1, cols, 1u, cols, -1.0);

  uint base = row_local * M;
  for (uint e = tid; e < total; e += FFT_WG) {
    uint k1 = e >> clog, n2 = c0 + (e & (cols - 1u));
    scratch_data[base + k1 * pc.m2 + n2] = cmul(s_load(e), twiddle(-1.0, (n2 * k1) & (M - 1u), M));
  }
}
