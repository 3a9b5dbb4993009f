// The pieces between normalized text and ids: BertPreTokenizer word splitting and greedy
// longest-match-first WordPiece.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "vocab.hpp"

namespace m2vk::tok {

// BertPreTokenizer: splits on whitespace (dropped) and isolates every punctuation character,
// then WordPiece-encodes each word, appending ids to `out`.
void pretokenize_and_wordpiece(std::u32string_view normalized, const WordPieceTokenizer::Data& data,
                               std::vector<int32_t>& out);

// WordPiece for one word: the longest vocabulary prefix, then the longest "##"-prefixed piece
// from there, and so on. A word longer than max_input_chars_per_word characters, or one with
// any part that matches nothing, becomes the single unknown token.
void wordpiece_word(std::u32string_view word, const WordPieceTokenizer::Data& data, std::vector<int32_t>& out);

}  // namespace m2vk::tok
