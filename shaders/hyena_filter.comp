#version 450
// Element-wise steps of the Hyena implicit filter on the device (src/ops/hyena_filter.cpp):
// MODE 0 the Sin activation after each hidden linear layer, MODE 1 the exponential-decay
// modulation of the finished channel-major filter (rows = channels, p = t, q = deltas), MODE 2
// the same for a token-major filter (rows = lags, p = deltas, q = t). Layouts in
// include/pc/hyena_filter.h.
#include "pc/hyena_filter.h"

layout(local_size_x = 256) in;
layout(std430, binding = 0) buffer XBuf { float x[]; };
layout(std430, binding = 1) readonly buffer PBuf { float p[]; };
#if MODE != 0
layout(std430, binding = 2) readonly buffer QBuf { float q[]; };
#endif
M2VK_PUSH_CONSTANT_BLOCK(HyenaFilterPC, M2VK_PC_HYENA_FILTER)

#if MODE == 0
// sin with full fp32 accuracy for the arguments the filters see (|v| up to ~1e4). GLSL's sin only
// promises an absolute error of 2^-11 on [-pi, pi] and drivers reduce large arguments coarsely;
// the Sin layers have frequencies ~10 and feed each other, so their rounding is amplified
// (architecture doc 7.2). Cody-Waite reduction by pi/2 (the three parts sum to pi/2; the first
// two have few enough bits that k * part is exact for |k| < 2^15), then Taylor polynomials on
// [-pi/4, pi/4] (truncation below 1e-11).
float precise_sin(float v) {
  float k = round(v * 0.636619772367581343);
  float r = fma(-k, 1.5703125, v);
  r = fma(-k, 4.837512969970703125e-4, r);
  r = fma(-k, 7.54978995489188216e-8, r);
  float r2 = r * r;
  float s = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0 + r2 * (-1.0 / 39916800.0))))));
  float c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0 + r2 * (1.0 / 479001600.0))))));
  int q = int(k) & 3;  // v = r + q * pi/2: sin, cos, -sin, -cos of r
  float u = (q & 1) == 0 ? s : c;
  return (q & 2) == 0 ? u : -u;
}
#endif

void main() {
  uint i = gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * pc.row_pitch;
  if (i >= pc.rows * pc.cols) return;
  uint r = i / pc.cols, c = i - r * pc.cols;
  float v = x[pc.x_off + i];
#if MODE == 0
  v = precise_sin(pc.w_mod * p[pc.p_off + c] * v);
#elif MODE == 1
  v *= exp(-p[pc.p_off + c] * abs(q[pc.q_off + pc.row0 + r]));  // exp(-t[j] |deltas[c]|)
#else
  v *= exp(-q[pc.q_off + pc.row0 + r] * abs(p[pc.p_off + c]));  // the same, rows = lags j
#endif
  x[pc.x_off + i] = v;
}
