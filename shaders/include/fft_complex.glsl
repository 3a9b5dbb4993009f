// Complex arithmetic on vec2 (x = real, y = imaginary) and accurate twiddle factors.
#ifndef M2VK_FFT_COMPLEX_GLSL
#define M2VK_FFT_COMPLEX_GLSL

const float M2VK_TWO_PI = 6.28318530717958647692;

vec2 cmul(vec2 a, vec2 b) { return vec2(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x); }
vec2 cconj(vec2 a) { return vec2(a.x, -a.y); }
// i * a
vec2 cmul_i(vec2 a) { return vec2(-a.y, a.x); }

// exp(sgn * 2*pi*i * num / den) for num < den. The angle is first folded into (-pi, pi]:
// Vulkan only bounds the error of sin/cos on [-pi, pi], and small angles keep it relative.
vec2 twiddle(float sgn, uint num, uint den) {
  int e = int(num);
  if (2u * num > den) e -= int(den);
  float ang = sgn * M2VK_TWO_PI * (float(e) / float(den));
  return vec2(cos(ang), sin(ang));
}

#endif  // M2VK_FFT_COMPLEX_GLSL
