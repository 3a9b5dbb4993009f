// Activation buffer plan (see m2vk/gpu/activation_plan.hpp).
#include "m2vk/gpu/activation_plan.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace m2vk::gpu {

ActivationPlan plan_activations(const ModelConfig& cfg, std::int64_t batch, std::int64_t length,
                                const PlanLimits& lim, bool glu_fused) {
  if (batch <= 0 || length <= 0)
    throw std::invalid_argument("plan_activations: batch " + std::to_string(batch) + " and length " +
                                std::to_string(length) + " must be positive");
  const std::uint64_t H = static_cast<std::uint64_t>(cfg.hidden_size);
  const std::uint64_t I = static_cast<std::uint64_t>(cfg.intermediate_size);
  const std::uint64_t G = cfg.use_glu_mlp ? 2 * I : I;
  ActivationPlan p;
  p.tokens = static_cast<std::uint64_t>(batch) * static_cast<std::uint64_t>(length);
  p.h_bytes = p.tokens * H * 4;
  p.p_bytes = 3 * p.h_bytes;
  p.x_bytes = p.h_bytes;

  // MLP: per token, the first projection's output (I after a fused GLU, G otherwise plus the
  // G-wide GLU scratch when unfused) and the second's (H). A chunk stays within the budget and
  // within one binding, so the GEMMs never need to split it.
  const std::uint64_t a_row = I * 4;  // GLU output (I), or the plain MLP's GELU output (G = I)
  const std::uint64_t glu_row = (cfg.use_glu_mlp && !glu_fused) ? G * 4 : 0;
  const std::uint64_t per_token = a_row + glu_row + H * 4;
  std::uint64_t tc = std::max<std::uint64_t>(1, lim.mlp_chunk_bytes / per_token);
  if (lim.max_storage_range) {
    const std::uint64_t widest = std::max({a_row, glu_row, H * 4});
    tc = std::min(tc, lim.max_storage_range / widest);
  }
  if (tc == 0)
    throw std::runtime_error("plan_activations: one token's MLP row (" + std::to_string(per_token) +
                             " bytes) exceeds the binding limit " + std::to_string(lim.max_storage_range));
  if (tc >= 64) tc -= tc % 64;  // whole GEMM tiles
  tc = std::min(tc, p.tokens);
  p.chunk_tokens = tc;
  p.chunks = (p.tokens + tc - 1) / tc;
  p.a_bytes = tc * a_row;
  p.glu_bytes = tc * glu_row;
  p.o_bytes = tc * H * 4;

  if (lim.max_allocation) {
    struct Named {
      const char* name;
      std::uint64_t bytes;
    };
    for (const Named& n : {Named{"hidden states h (B*L, H)", p.h_bytes}, Named{"in-projection p (B*L, 3H)", p.p_bytes}}) {
      if (n.bytes > lim.max_allocation)
        throw std::runtime_error("plan_activations: " + std::string(n.name) + " needs " + std::to_string(n.bytes) +
                                 " bytes for batch " + std::to_string(batch) + " x length " + std::to_string(length) +
                                 ", over the device's allocation limit of " + std::to_string(lim.max_allocation) +
                                 " bytes: use a smaller batch");
    }
  }
  return p;
}

}  // namespace m2vk::gpu
