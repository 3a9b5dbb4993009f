// Normalisation and activations of the reference path (float storage, double arithmetic).
#pragma once

#include <cstdint>

namespace m2vk::ref {

// LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta, biased variance.
// x, y: (rows, width); y may equal x.
void layer_norm(const float* x, int64_t rows, int64_t width, const float* gamma, const float* beta, double eps,
                float* y);

// Exact (erf) GELU: x * 0.5 * (1 + erf(x / sqrt 2)).
double gelu(double x);

// GLU of the M2 MLP: g (rows, 2I) -> a (rows, I) = GELU(g[:, :I]) * g[:, I:].
void glu_gelu(const float* g, int64_t rows, int64_t inter, float* a);
// Plain MLP activation: a = GELU(g), elementwise over n values (a may equal g).
void gelu_inplace(float* g, int64_t n);

}  // namespace m2vk::ref
