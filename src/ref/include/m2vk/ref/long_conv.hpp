// The Hyena long convolution (docs/m2bert-architecture.md section 3.5), per channel c:
//   y[b,c,t] = sum_{s<=t} k_fwd[c,t-s] x[b,c,s] + sum_{s>t} k_rev[c,s-t-1] x[b,c,s] + D[c] x[b,c,t]
// (the anti-causal sum only when k_rev is given; k_rev[c,0] multiplies the NEXT position).
#pragma once

#include <cstdint>

namespace m2vk::ref {

// x, y: (B, H, L) channel-major float; k_fwd, k_rev: (H, L) double (k_rev may be null); D: (H) or
// null. Computed with a double-precision FFT of size conv_fft_size(L), two real channels packed
// into one complex transform.
void long_conv(const float* x, int64_t batch, int64_t channels, int64_t length, const double* k_fwd,
               const double* k_rev, const float* D, float* y);

// The same sum evaluated directly in O(L^2) (tests and tiny inputs).
void long_conv_direct(const float* x, int64_t batch, int64_t channels, int64_t length, const double* k_fwd,
                      const double* k_rev, const float* D, float* y);

}  // namespace m2vk::ref
