// Activation functions shared by the GEMM epilogues and the element-wise layer ops.
#ifndef M2VK_ACTIVATIONS_GLSL
#define M2VK_ACTIVATIONS_GLSL

// erf(x) for float (GLSL has none). Abramowitz & Stegun 7.1.26 (absolute error <= 1.5e-7) for
// |x| >= 0.5; near zero, where that form loses relative accuracy, the Maclaurin series to x^11
// (truncation < 2e-8 for |x| < 0.5). Tests compare against std::erf in double.
float m2vk_erf(float x) {
  float ax = abs(x);
  if (ax < 0.5) {
    // 2/sqrt(pi) * (x - x^3/3 + x^5/10 - x^7/42 + x^9/216 - x^11/1320)
    float x2 = x * x;
    return 1.1283791671 * x *
           (1.0 + x2 * (-1.0 / 3.0 + x2 * (0.1 + x2 * (-1.0 / 42.0 + x2 * (1.0 / 216.0 - x2 * (1.0 / 1320.0))))));
  }
  float t = 1.0 / (1.0 + 0.3275911 * ax);
  float y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t *
                      exp(-ax * ax);
  return sign(x) * y;
}

// Exact (erf) GELU, as M2-BERT's MLP uses: x * 0.5 * (1 + erf(x / sqrt(2))).
float m2vk_gelu(float x) { return 0.5 * x * (1.0 + m2vk_erf(x * 0.70710678118654752)); }

// tanh that never forms inf/inf: beyond |x| = 15, tanh(x) rounds to +-1 in float anyway.
float m2vk_tanh(float x) { return tanh(clamp(x, -15.0, 15.0)); }

// sin with full fp32 accuracy for the arguments the Hyena filter's Sin layers see (|v| up to
// ~1e4; the GEMM epilogue EPI 4 of gemm.comp / gemm_tiled.comp). GLSL's sin only promises an
// absolute error of 2^-11 on [-pi, pi] and drivers reduce large arguments coarsely; the Sin
// layers have frequencies ~10 and feed each other, so their rounding is amplified (architecture
// doc 7.2). Cody-Waite reduction by pi/2 (the three parts sum to pi/2; the first two have few
// enough bits that k * part is exact for |k| < 2^15), then Taylor polynomials on [-pi/4, pi/4]
// (truncation below 1e-11). Written for vec4 (the texel kernel's vec4 stores); the float form
// uses one component, and compilers drop the other three.
vec4 m2vk_precise_sin(vec4 v) {
  vec4 k = round(v * 0.636619772367581343);
  vec4 r = fma(-k, vec4(1.5703125), v);
  r = fma(-k, vec4(4.837512969970703125e-4), r);
  r = fma(-k, vec4(7.54978995489188216e-8), r);
  vec4 r2 = r * r;
  vec4 s = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0 + r2 * (-1.0 / 39916800.0))))));
  vec4 c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0 + r2 * (1.0 / 479001600.0))))));
  ivec4 q = ivec4(k) & 3;  // v = r + q * pi/2: sin, cos, -sin, -cos of r
  vec4 u = mix(c, s, equal(q & 1, ivec4(0)));
  return mix(-u, u, equal(q & 2, ivec4(0)));
}
float m2vk_precise_sin(float v) { return m2vk_precise_sin(vec4(v)).x; }

#endif  // M2VK_ACTIVATIONS_GLSL
