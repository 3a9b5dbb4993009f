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

// The register kernels' filter spectrum, compact: entries j = 0 .. M/2 only, (U, V) = (S + T,
// S - T) with S = K^[j] / N and T = conj K^[M-j] / N (K^[M] the Nyquist bin): M/2 + 1 vec4s per
// channel, as many bytes as the N/2 + 1 complex bins of a real filter's spectrum need. The
// folded product of the inverse packing, Z'[k] = alpha Z[k] + beta conj Z[M-k], takes
//   alpha = U + V Im w,  beta = i Re w V                   for k = j <= M/2, w = exp(-2 pi i j / N),
//   alpha = conj(U - V Im w),  beta = i Re w conj V        for k = M - j > M/2
// (at k = M - j, S and T are the conjugates of T_j and S_j and Re w changes sign).
// The entry for bin k < M/2 .. M: fold_entry(k) = min(k, M - k).
uint fold_entry(uint k, uint m) { return 2u * k <= m ? k : m - k; }

// (alpha, beta) of bin k from its entry uv = (U, V) of fold_entry(k).
vec4 fold_coeffs(vec4 uv, uint k, uint m, uint n) {
  uint j = fold_entry(k, m);
  vec2 w = twiddle(-1.0, j, n);
  if (j == k) return vec4(uv.xy + uv.zw * w.y, cmul_i(uv.zw * w.x));
  return vec4(cconj(uv.xy - uv.zw * w.y), cmul_i(cconj(uv.zw) * w.x));
}

// The entry (U, V) of bin k <= M/2 from Z[k], Z[M-k] of the filter row (scaled by 1/N).
vec4 fold_entry_value(vec2 zk, vec2 zmk, uint k, uint n) {
  vec4 v = r2c_pair(zk, zmk, twiddle(-1.0, k, n)) / float(n);
  vec2 s = v.xy, t = cconj(v.zw);
  return vec4(s + t, s - t);
}

#endif  // M2VK_FFT_R2C_GLSL
