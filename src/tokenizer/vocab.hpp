// The immutable state behind a WordPieceTokenizer: vocabulary, WordPiece settings, normalizer
// flags and the special tokens matched in raw text. Loaders fill a Data, then call finalize().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "m2vk/tokenizer.hpp"

namespace m2vk::tok {

// Hash that accepts std::string_view, so look-ups need no temporary std::string.
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct WordPieceTokenizer::Data {
  std::vector<std::string> id_to_token;  // index = id
  std::unordered_map<std::string, int32_t, StringViewHash, std::equal_to<>> token_to_id;
  std::string unk_token = "[UNK]";
  std::string cls_token = "[CLS]";
  std::string sep_token = "[SEP]";
  std::string pad_token = "[PAD]";
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;
  NormalizerOptions normalizer;
  // Tokens matched as exact, case-sensitive strings in the raw text before normalization
  // (HF "added tokens"). Kept sorted longest first so the first match is the longest.
  std::vector<std::pair<std::string, int32_t>> special_tokens;
  std::string source;  // file path or "builtin:bert-base-uncased"

  // Filled by finalize().
  int32_t unk_id = -1, cls_id = -1, sep_id = -1, pad_id = -1;
  size_t max_token_bytes = 0;  // longest vocabulary entry, bounds the WordPiece search
  std::vector<std::pair<std::u32string, int32_t>> special_u32;  // special_tokens as code points
};

// Adds one token with the next id (a duplicate string maps to its last id, as in HF).
void add_vocab_token(WordPieceTokenizer::Data& data, std::string token);

// Resolves the ids of the unk/cls/sep/pad tokens (each must be in the vocabulary), sorts the
// special tokens and computes search bounds. `what` names the source in error messages.
void finalize(WordPieceTokenizer::Data& data, std::string_view what);

// Parses vocab.txt content: one token per line (LF or CRLF), id = line index from 0.
// Registers [PAD] [UNK] [CLS] [SEP] [MASK] (those present) as special tokens.
WordPieceTokenizer::Data parse_vocab_txt(std::string_view content, std::string_view what);

// Parses HF tokenizer.json content (WordPiece model only).
WordPieceTokenizer::Data parse_tokenizer_json(std::string_view content, std::string_view what);

}  // namespace m2vk::tok
