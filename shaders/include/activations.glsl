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

#endif  // M2VK_ACTIVATIONS_GLSL
