#version 450
// VkFFT baseline, step 5 (after VkFFT's C2R): crop each row to L and apply the same epilogue as
// our fused kernels (D term, post-gate, accumulate) into the strided output.
#include "fft_io.glsl"

layout(local_size_x = 256) in;

void main() {
  uint t = gl_GlobalInvocationID.x;
  if (t >= pc.len) return;
  uint half_n = pc.n / 2u;
  uint row_local = gl_WorkGroupID.y;
  fft_row_setup(pc.row_base + row_local);
  vec2 v = scratch_data[row_local * (half_n + 1u) + t / 2u];
  store_output(pc.row_base + row_local, t, (t & 1u) == 0u ? v.x : v.y);
}
