// The immutable state behind a WordPieceTokenizer: vocabulary, WordPiece settings, normalizer
// flags and the added (special) tokens matched in the text. Loaders fill a Data, then call finalize().
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
  // HF "added tokens" (the special tokens, and any tokens a user added). Those not marked
  // `normalized` are matched as exact, case-sensitive strings in the raw text; the others in the
  // normalized text, with their content normalized the same way.
  struct AddedToken {
    std::string content;
    int32_t id;
    bool normalized;
  };
  std::vector<AddedToken> added_tokens;
  std::string source;  // file path or "builtin:bert-base-uncased"

  // Filled by finalize().
  int32_t unk_id = -1, cls_id = -1, sep_id = -1, pad_id = -1;
  size_t max_token_bytes = 0;  // longest vocabulary entry, bounds the WordPiece search
  // added_tokens as code points, longest first (so the first match at a position is the
  // longest, as HF's leftmost-longest Aho-Corasick gives): raw ones and normalized ones.
  std::vector<std::pair<std::u32string, int32_t>> raw_added, normalized_added;
};

// Adds one token with the next id (a duplicate string maps to its last id, as in HF).
void add_vocab_token(WordPieceTokenizer::Data& data, std::string token);

// Resolves the ids of the unk/cls/sep/pad tokens (each must be in the vocabulary), sorts the
// added tokens and computes search bounds. `what` names the source in error messages.
void finalize(WordPieceTokenizer::Data& data, std::string_view what);

// The five BERT special tokens that are in the vocabulary, as raw-matched added tokens.
void add_default_special_tokens(WordPieceTokenizer::Data& data);

// Parses vocab.txt content: one token per line (LF or CRLF), id = line index from 0.
// Registers [PAD] [UNK] [CLS] [SEP] [MASK] (those present) as raw-matched added tokens.
WordPieceTokenizer::Data parse_vocab_txt(std::string_view content, std::string_view what);

// Parses HF tokenizer.json content (WordPiece model only).
WordPieceTokenizer::Data parse_tokenizer_json(std::string_view content, std::string_view what);

}  // namespace m2vk::tok
