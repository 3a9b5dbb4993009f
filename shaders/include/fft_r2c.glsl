// The half-length trick: a real row v of length N is transformed as the complex row
// z[m] = v[2m] + i v[2m+1] of length M = N/2. Its spectrum V[k] (k = 0..M) and the inverse
// packing are recovered pairwise from Z[k] and Z[M-k], so each pair (k, M-k) is handled by one
// thread with no extra pass. Derivation: Ve = (Z[k] + conj Z[M-k]) / 2 is the DFT of the even
// samples, Vo = (Z[k] - conj Z[M-k]) / 2i that of the odd ones, V[k] = Ve + w Vo and
// V[M-k] = conj(Ve - w Vo) with w = exp(-2 pi i k / N). The inverse packing of a Hermitian Y is
// Z'[k] = (Y[k] + conj Y[M-k]) + i conj(w) (Y[k] - conj Y[M-k]); an unnormalised inverse
// FFT of Z' gives N * (y[2m] + i y[2m+1]). The filter spectrum carries the 1/N.
#ifndef M2VK_FFT_R2C_GLSL
#define M2VK_FFT_R2C_GLSL
#include "fft_complex.glsl"

// V[k] and V[M-k] (returned as .xy and .zw) from Z[k], Z[M-k]; w = exp(-2 pi i k / N).
vec4 r2c_pair(vec2 zk, vec2 zmk, vec2 w) {
  vec2 ve = 0.5 * (zk + cconj(zmk));
  vec2 d = 0.5 * (zk - cconj(zmk));
  vec2 wvo = cmul(w, vec2(d.y, -d.x));  // w * d / i
  return vec4(ve + wvo, cconj(ve - wvo));
}

// Z'[k] of the inverse packing from Y[k] and Y[M-k]; w = exp(-2 pi i k / N).
vec2 c2r_pack(vec2 yk, vec2 ymk, vec2 w) {
  vec2 e = yk + cconj(ymk);
  vec2 o = cmul(cconj(w), yk - cconj(ymk));
  return e + cmul_i(o);
}

#endif  // M2VK_FFT_R2C_GLSL
