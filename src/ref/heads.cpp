#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "m2vk/ref/elementwise.hpp"
#include "m2vk/ref/heads.hpp"
#include "m2vk/ref/linear.hpp"

namespace m2vk::ref {

void embeddings(const EmbeddingWeights& w, const Batch& batch, int64_t H, double eps, float* out) {
  const int64_t B = batch.batch, L = batch.length;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < L; ++t) {
      const int64_t i = b * L + t;
      const float* word = w.word.ptr() + static_cast<int64_t>(batch.input_ids[i]) * H;
      const int64_t type = batch.token_type_ids.empty() ? 0 : batch.token_type_ids[i];
      const float* tt = w.token_type.ptr() + type * H;
      const float* pos = w.position.empty() ? nullptr : w.position.ptr() + t * H;
      float* o = out + i * H;
      // Summed in double, stored in float (the reference sums three float32 tables).
      for (int64_t c = 0; c < H; ++c)
        o[c] = static_cast<float>(static_cast<double>(word[c]) + tt[c] + (pos ? static_cast<double>(pos[c]) : 0.0));
    }
  layer_norm(out, B * L, H, w.ln_gamma.ptr(), w.ln_beta.ptr(), eps, out);
}

void pooler(const float* hidden, const Batch& batch, int64_t H, bool pool_all, const float* w, const float* b,
            float* out) {
  const int64_t B = batch.batch, L = batch.length;
  std::vector<float> first(static_cast<size_t>(B * H));
  for (int64_t r = 0; r < B; ++r) {
    float* f = first.data() + r * H;
    if (!pool_all) {
      for (int64_t c = 0; c < H; ++c) f[c] = hidden[(r * L) * H + c];
      continue;
    }
    std::vector<double> sum(static_cast<size_t>(H), 0.0);
    double count = 0;
    for (int64_t t = 0; t < L; ++t) {
      const double m = batch.attention_mask.empty() ? 1.0 : batch.attention_mask[r * L + t];
      if (m == 0) continue;
      count += m;
      for (int64_t c = 0; c < H; ++c) sum[c] += m * hidden[(r * L + t) * H + c];
    }
    if (count == 0)
      throw std::invalid_argument("pooler: attention_mask row " + std::to_string(r) +
                                  " is all zero, so the masked mean (pool_all) is undefined");
    for (int64_t c = 0; c < H; ++c) f[c] = static_cast<float>(sum[c] / count);
  }
  linear(first.data(), B, H, w, b, H, out);
  for (int64_t i = 0; i < B * H; ++i) out[i] = std::tanh(out[i]);
}

}  // namespace m2vk::ref
