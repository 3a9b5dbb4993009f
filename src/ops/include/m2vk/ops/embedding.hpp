// BERT embeddings (architecture doc 3.2): y[b, t, :] = LayerNorm(word[ids[b, t]] +
// type[type_ids[b, t]] + pos[t]) in one pass. ids and type_ids are (B, L) uint32 row-major;
// the tables (rows, H) row-major fp32. Ids are expected validated by the caller (the tokenizer
// and model check them against the vocabulary); the kernel clamps them into the table so a bad
// id can never read out of bounds.
#pragma once

#include <cstdint>

#include "m2vk/host/host.hpp"
#include "m2vk/ops/layer_norm.hpp"
#include "m2vk/ops/matrix_view.hpp"

namespace m2vk::ops {

struct EmbeddingTables {
  host::BufferRange word;      // (vocab, H)
  host::BufferRange type;      // (type_vocab, H)
  host::BufferRange position;  // (max_positions, H)
  std::uint32_t vocab = 0, type_vocab = 0, max_positions = 0, hidden = 0;
  LayerNormWeights norm;
};

// y: (B, L, H) view. Throws OpError when L > max_positions or shapes disagree.
void record_embedding(host::Context& ctx, host::CommandRecorder& rec, const host::BufferRange& ids,
                      const host::BufferRange& type_ids, std::uint32_t batch, std::uint32_t len,
                      const EmbeddingTables& tables, const MatrixView& y,
                      LayerNormKernel kernel = LayerNormKernel::Auto);

}  // namespace m2vk::ops
