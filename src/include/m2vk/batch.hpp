// A tokenized batch and the outputs of one forward pass; shared by the CPU reference and the GPU
// path.
#pragma once

#include <cstdint>
#include <vector>

#include "m2vk/config.hpp"
#include "m2vk/tensor.hpp"

namespace m2vk {

// One tokenized input as the model sees it ([CLS]/[SEP] included), unpadded.
struct TokenRow {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;  // same length as ids
};

// B rows of the same padded length L, row-major (B, L).
struct Batch {
  int64_t batch = 0;
  int64_t length = 0;
  std::vector<int32_t> input_ids;       // in [0, vocab_size)
  std::vector<int32_t> token_type_ids;  // in [0, type_vocab_size); empty = all zeros
  std::vector<int32_t> attention_mask;  // 0/1; empty = all ones (used only by the pool_all pooler)

  // Throws std::invalid_argument naming the array, row, position and value at fault (wrong sizes,
  // ids out of range, L > the model's maximum length, L == 0).
  void validate(const ModelConfig& config) const;
  // `rows` right-padded to `length` (>= every row's length) with `pad_id`, token type 0 and
  // attention mask 0; real tokens get mask 1.
  static Batch pack(const std::vector<const TokenRow*>& rows, int64_t length, int32_t pad_id);
  // Longest length this model can run: min(max_position_embeddings (if used), long_conv_l_max).
  static int64_t max_length(const ModelConfig& config);
};

// What a forward pass hands back. Heads: the pooled output and logits alone (the last hidden
// state stays on the device) where the model has a pooler: all that embed() and classify() use.
// The hidden state is B x L x H floats, 805 MB at 8 x 32k tokens; its download took a third of
// such a pass on an NVIDIA H200 (bench/RESULTS.md).
enum class ForwardOutputs { All, Heads };

struct ForwardResult {
  FloatTensor last_hidden_state;  // (B, L, H); empty under ForwardOutputs::Heads with a pooler
  FloatTensor pooled;             // (B, H): pooler output = sentence embedding; empty without a pooler
  FloatTensor logits;             // (B, C): classifier models only, else empty
};

}  // namespace m2vk
