#include "m2vk/batch.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace m2vk {

int64_t Batch::max_length(const ModelConfig& c) {
  return c.use_positional_encodings ? std::min(c.max_position_embeddings, c.long_conv_l_max) : c.long_conv_l_max;
}

void Batch::validate(const ModelConfig& c) const {
  const int64_t n = batch * length;
  if (batch <= 0 || length <= 0)
    throw std::invalid_argument("batch: empty batch (B=" + std::to_string(batch) + ", L=" + std::to_string(length) + ")");
  if (length > max_length(c))
    throw std::invalid_argument("batch: sequence length " + std::to_string(length) + " exceeds the model's maximum " +
                                std::to_string(max_length(c)) + " (long_conv_l_max / max_position_embeddings)");
  auto check = [&](const std::vector<int32_t>& v, const char* what, int64_t limit, bool optional) {
    if (v.empty() && optional) return;
    if (static_cast<int64_t>(v.size()) != n)
      throw std::invalid_argument(std::string("batch: ") + what + " has " + std::to_string(v.size()) +
                                  " values, expected B*L = " + std::to_string(n));
    for (int64_t i = 0; i < n; ++i)
      if (v[i] < 0 || v[i] >= limit)
        throw std::invalid_argument(std::string("batch: ") + what + "[" + std::to_string(i / length) + "][" +
                                    std::to_string(i % length) + "] = " + std::to_string(v[i]) + " is outside [0, " +
                                    std::to_string(limit) + ")");
  };
  check(input_ids, "input_ids", c.vocab_size, false);
  check(token_type_ids, "token_type_ids", c.type_vocab_size, true);
  check(attention_mask, "attention_mask", 2, true);
}

}  // namespace m2vk
