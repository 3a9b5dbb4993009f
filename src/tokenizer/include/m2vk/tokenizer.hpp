// BERT WordPiece tokenizer that reproduces Hugging Face's fast tokenizer (the Rust `tokenizers`
// library) for bert-base-uncased: BertNormalizer + BertPreTokenizer + WordPiece + the
// `[CLS] A [SEP] (B [SEP])` template, with its truncation and padding rules.
//
// Library target: m2vk_tokenizer. All errors are TokenizerError with a message that names the
// file, field, line or byte offset at fault. A tokenizer is immutable after loading and cheap to
// copy (the vocabulary is shared), so one instance may be used from several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace m2vk::tok {

struct TokenizerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class Padding {
  None,       // no padding
  Longest,    // encode_batch: pad every row to the longest row of the batch
  MaxLength,  // pad to EncodeOptions::max_length (rows already longer stay as they are, as in HF)
};

struct EncodeOptions {
  bool add_special_tokens = true;
  std::optional<size_t> max_length;  // required for MaxLength padding and for truncation
  bool truncation = false;           // longest_first for pairs (HF fast semantics)
  Padding padding = Padding::None;
};

// One encoded sequence (or pair). All four vectors have the same length.
struct Encoding {
  std::vector<int32_t> input_ids, token_type_ids, attention_mask;
  std::vector<std::string> tokens;  // vocabulary strings of input_ids
};

// The normalization steps of HF's BertNormalizer (defaults: bert-base-uncased).
struct NormalizerOptions {
  bool clean_text = true;            // drop controls / U+0000 / U+FFFD, map whitespace to ' '
  bool handle_chinese_chars = true;  // put spaces around CJK ideographs
  bool strip_accents = true;         // NFD, then drop nonspacing marks
  bool lowercase = true;             // per-character lowercase
};

class WordPieceTokenizer {
 public:
  // vocab.txt: one token per line, the line index (from 0) is the id. Uses the
  // bert-base-uncased normalizer, `[UNK]`, `##` and a 100-character word limit.
  static WordPieceTokenizer from_vocab_file(const std::filesystem::path& path);
  // HF tokenizer.json with a WordPiece model; reads model.vocab, unk_token,
  // continuing_subword_prefix, max_input_chars_per_word, the BertNormalizer flags and the
  // added (special) tokens. Other model, normalizer or pre-tokenizer types are rejected.
  static WordPieceTokenizer from_tokenizer_json(const std::filesystem::path& path);
  // The bert-base-uncased vocabulary shipped with (and embedded in) the library.
  static WordPieceTokenizer builtin_bert_base_uncased();
  // tokenizer.json, else vocab.txt, else the builtin vocab; `source()` says which was used.
  static WordPieceTokenizer from_model_dir(const std::filesystem::path& dir);

  // Encodes a text (and an optional second text; an empty pair counts as no pair, as in HF).
  // Throws TokenizerError for invalid UTF-8 (naming the byte offset) or inconsistent options.
  Encoding encode(std::string_view text, std::optional<std::string_view> pair = std::nullopt,
                  const EncodeOptions& options = {}) const;
  // Batch: Padding::Longest pads every row to the longest row of the batch.
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts,
                                     const EncodeOptions& options = {}) const;
  // Batch of (text, optional pair) records; same padding rules as encode_batch.
  std::vector<Encoding> encode_pairs(
      const std::vector<std::pair<std::string, std::optional<std::string>>>& records,
      const EncodeOptions& options = {}) const;

  // Right-pads `e` to `length` with [PAD], token type 0 and attention mask 0 (no-op if it is
  // already that long), as Padding::Longest does for a batch.
  void pad(Encoding& e, size_t length) const;

  size_t vocab_size() const;
  int32_t pad_id() const;
  int32_t unk_id() const;
  int32_t cls_id() const;
  int32_t sep_id() const;
  // Where the vocabulary came from: the file path, or "builtin:bert-base-uncased".
  const std::string& source() const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  // Throws TokenizerError for an id outside [0, vocab_size()).
  const std::string& id_to_token(int32_t id) const;
  const NormalizerOptions& normalizer_options() const;

  struct Data;  // the immutable vocabulary and settings (defined in the library)

 private:
  explicit WordPieceTokenizer(std::shared_ptr<const Data> data);
  std::shared_ptr<const Data> data_;
};

}  // namespace m2vk::tok
