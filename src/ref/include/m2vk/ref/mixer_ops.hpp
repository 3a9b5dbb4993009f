// The pieces of the Monarch Mixer sequence mixer that are not plain linear algebra
// (docs/m2bert-architecture.md sections 3.3.1 and 3.4).
#pragma once

#include <cstdint>
#include <vector>

#include "m2vk/weights.hpp"

namespace m2vk::ref {

// Depthwise causal conv with 3 taps, fused with the (B, L, C) -> (B, C, L) transpose:
//   q[b,c,t] = w[c,0] p[b,t-2,c] + w[c,1] p[b,t-1,c] + w[c,2] p[b,t,c] + bias[c], p = 0 before t = 0.
// p (B, L, C), w (C, 3), bias (C) -> q (B, C, L).
void short_causal_conv(const float* p, int64_t batch, int64_t length, int64_t channels, const float* w,
                       const float* bias, float* q);

// One direction of a Hyena implicit filter for lags 0..L-1, evaluated in double from the stored
// z / t / deltas tables: k[c, j] = (W6 a3(j))[c] * exp(-t[j] |deltas[c]|) with
// a_{n+1} = sin(w_mod * freq * (W a_n + b)). Returns (H, L), channel-major. L <= Lmax.
std::vector<double> hyena_filter(const HyenaFilterWeights& filter, const FilterMlpWeights& mlp, double w_mod,
                                 int64_t length);

}  // namespace m2vk::ref
