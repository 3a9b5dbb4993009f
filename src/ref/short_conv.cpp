#include "m2vk/ref/mixer_ops.hpp"
#include "m2vk/ref/parallel.hpp"

namespace m2vk::ref {

void short_causal_conv(const float* p, int64_t batch, int64_t length, int64_t channels, const float* w,
                       const float* bias, float* q) {
  const int64_t L = length, C = channels;
  parallel_for(batch * C, 16, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t b = i / C, c = i % C;
      const float* pb = p + b * L * C;
      float* out = q + (b * C + c) * L;
      const double w0 = w[c * 3], w1 = w[c * 3 + 1], w2 = w[c * 3 + 2], bc = bias[c];
      for (int64_t t = 0; t < L; ++t) {
        double acc = bc + w2 * pb[t * C + c];
        if (t >= 1) acc += w1 * pb[(t - 1) * C + c];
        if (t >= 2) acc += w0 * pb[(t - 2) * C + c];
        out[t] = static_cast<float>(acc);
      }
    }
  });
}

}  // namespace m2vk::ref
