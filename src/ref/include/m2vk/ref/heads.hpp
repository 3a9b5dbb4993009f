// Embeddings and output heads of the reference path.
#pragma once

#include <cstdint>

#include "m2vk/batch.hpp"
#include "m2vk/weights.hpp"

namespace m2vk::ref {

// h0 = LayerNorm(Wword[ids] + Wtype[types] + Wpos[t]) -> out (B, L, H).
void embeddings(const EmbeddingWeights& w, const Batch& batch, int64_t hidden, double eps, float* out);

// BertPooler: token 0 (pool_all false) or the attention-masked mean over tokens (pool_all true),
// then tanh(dense). hidden (B, L, H) -> out (B, H).
void pooler(const float* hidden, const Batch& batch, int64_t H, bool pool_all, const float* w, const float* b,
            float* out);

}  // namespace m2vk::ref
