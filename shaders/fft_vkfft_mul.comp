#version 450
// VkFFT baseline, step 3 (after VkFFT's R2C): X[k] *= S[c, k] / N for k = 0 .. N/2, where S is
// the filter spectrum VkFFT computed (unscaled, (C, N/2 + 1) complex). VkFFT's own convolution
// mode is not used: its 1D R2C convolution gives wrong results in Debian's 1.2.26.
#include "fft_io.glsl"
#include "fft_complex.glsl"

layout(local_size_x = 256) in;

void main() {
  uint k = gl_GlobalInvocationID.x;
  uint half_n = pc.n / 2u;
  if (k > half_n) return;
  uint row_local = gl_WorkGroupID.y;
  uint row = pc.row_base + row_local;
  fft_row_setup(row);
  uint i = row_local * (half_n + 1u) + k;
  vec2 s = spec_data[pc.spec_off + g_chan * (half_n + 1u) + k];
  scratch_data[i] = cmul(scratch_data[i], s) * (1.0 / float(pc.n));
}
