#version 450
// VkFFT baseline, step 1: gather the (pre-gated, strided) input rows, zero-padded to N, into
// VkFFT's in-place R2C layout (rows of N + 2 floats = N/2 + 1 complex) in the scratch binding.
// FFT_SPECTRUM_MODE: gather the combined filter kernel K instead (fetch_kernel).
#include "fft_io.glsl"

layout(local_size_x = 256) in;

void main() {
  uint m = gl_GlobalInvocationID.x;
  uint half_n = pc.n / 2u;
  if (m > half_n) return;
  uint row_local = gl_WorkGroupID.y;
  uint row = pc.row_base + row_local;
  fft_row_setup(row);
  scratch_data[row_local * (half_n + 1u) + m] = m < half_n ? fetch_packed(row, m) : vec2(0.0);
}
