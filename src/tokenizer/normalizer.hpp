// HF BertNormalizer on code points: clean text, pad CJK ideographs with spaces, strip accents
// (NFD, then drop nonspacing marks), lowercase, in that order.
#pragma once

#include <string>
#include <string_view>

#include "m2vk/tokenizer.hpp"

namespace m2vk::tok {

std::u32string bert_normalize(std::u32string_view text, const NormalizerOptions& options);

}  // namespace m2vk::tok
