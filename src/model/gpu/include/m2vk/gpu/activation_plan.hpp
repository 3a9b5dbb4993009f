// How the GPU forward pass lays out its activations for one (batch, length), decided before any
// recording so that device memory stays small and predictable (issue: 80M at 32k tokens, batch 1,
// within 1.5 GB beyond the weights).
//
// Buffers (T = B*L tokens, H hidden, G = gated width 2I (GLU) or I):
//   h     (T, H)   layer input / output; the residual long conv reads it as u
//   p     (T, 3H)  in-projection output; dead after the short conv, so it also holds
//                  y (T, H) at [0, TH) and the mixer output m (T, H) at [TH, 2TH)
//   x1v, x2 (B, H, L) channel-major short-conv outputs (x1 * v and x2)
//   mlp chunk: a (Tc, I or G) and o (Tc, H) for Tc tokens at a time
// Every buffer is a separate allocation below the device's allocation limit; the ops split their
// bindings at maxStorageBufferRange themselves (p alone is 302 MB at 32k, over lavapipe's 128 MiB).
#pragma once

#include <cstdint>

#include "m2vk/config.hpp"

namespace m2vk::gpu {

struct PlanLimits {
  std::uint64_t max_storage_range = 0;  // bytes of one binding
  std::uint64_t max_allocation = 0;     // bytes of one buffer (0 = no limit)
  std::uint64_t mlp_chunk_bytes = 64ull << 20;
};

struct ActivationPlan {
  std::uint64_t tokens = 0;            // T = B * L
  std::uint64_t h_bytes = 0, p_bytes = 0, x_bytes = 0;
  std::uint64_t chunk_tokens = 0;      // Tc: MLP tokens per chunk (divides nothing; last chunk shorter)
  std::uint64_t chunks = 0;            // ceil(T / Tc)
  std::uint64_t a_bytes = 0, o_bytes = 0, glu_bytes = 0;  // per chunk (glu: unfused GLU scratch)
  std::uint64_t total_bytes() const { return h_bytes + p_bytes + 2 * x_bytes + a_bytes + o_bytes + glu_bytes; }
};

// Throws std::runtime_error naming the buffer when one exceeds max_allocation or a single
// token's MLP row exceeds the chunk budget / binding limit. glu_fused: the GEMM fuses GLU.
ActivationPlan plan_activations(const ModelConfig& config, std::int64_t batch, std::int64_t length,
                                const PlanLimits& limits, bool glu_fused);

}  // namespace m2vk::gpu
