// From raw text to a finished Encoding: special-token splitting, normalization and WordPiece
// per segment, then truncation, the [CLS]/[SEP] template and padding.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "vocab.hpp"

namespace m2vk::tok {

// Ids of one text, without special tokens. Special tokens written in the text (exact,
// case-sensitive) become their ids; the rest is normalized and WordPiece-encoded. `what` names
// the text in UTF-8 errors.
std::vector<int32_t> encode_sequence(std::string_view text, const WordPieceTokenizer::Data& data,
                                     std::string_view what);

// Checks that the options are consistent (e.g. truncation needs max_length).
void check_options(const EncodeOptions& options);

// Truncates (HF fast longest_first), adds [CLS]/[SEP] with token types, and pads to
// max_length when options.padding is MaxLength. `b` is null for a single text.
Encoding assemble(std::vector<int32_t> a, std::optional<std::vector<int32_t>> b, const WordPieceTokenizer::Data& data,
                  const EncodeOptions& options);

// Right-pads an encoding to `length` with [PAD], type 0 and mask 0 (no-op if already longer).
void pad_to(Encoding& e, size_t length, const WordPieceTokenizer::Data& data);

}  // namespace m2vk::tok
