#include "m2vk/batch.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace m2vk {

Batch Batch::pack(const std::vector<const TokenRow*>& rows, int64_t length, int32_t pad_id) {
  Batch b;
  b.batch = static_cast<int64_t>(rows.size());
  b.length = length;
  const size_t n = static_cast<size_t>(b.batch * length);
  b.input_ids.assign(n, pad_id);
  b.token_type_ids.assign(n, 0);
  b.attention_mask.assign(n, 0);
  for (size_t r = 0; r < rows.size(); ++r) {
    if (static_cast<int64_t>(rows[r]->ids.size()) > length)
      throw std::invalid_argument("Batch::pack: row " + std::to_string(r) + " has " +
                                  std::to_string(rows[r]->ids.size()) + " tokens, more than the length " +
                                  std::to_string(length));
    const auto base = static_cast<std::ptrdiff_t>(r * static_cast<size_t>(length));
    std::copy(rows[r]->ids.begin(), rows[r]->ids.end(), b.input_ids.begin() + base);
    std::copy(rows[r]->type_ids.begin(), rows[r]->type_ids.end(), b.token_type_ids.begin() + base);
    std::fill_n(b.attention_mask.begin() + base, rows[r]->ids.size(), 1);
  }
  return b;
}

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
