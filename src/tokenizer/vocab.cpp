#include "vocab.hpp"

#include <algorithm>

#include "utf8.hpp"

namespace m2vk::tok {

void add_vocab_token(WordPieceTokenizer::Data& data, std::string token) {
  const auto id = static_cast<int32_t>(data.id_to_token.size());
  data.token_to_id.insert_or_assign(token, id);
  data.id_to_token.push_back(std::move(token));
}

void finalize(WordPieceTokenizer::Data& data, std::string_view what) {
  if (data.id_to_token.empty()) throw TokenizerError(std::string(what) + ": the vocabulary is empty");
  auto require = [&](const std::string& token, const char* role) {
    auto it = data.token_to_id.find(token);
    if (it == data.token_to_id.end()) {
      throw TokenizerError(std::string(what) + ": the " + role + " token '" + token +
                           "' is not in the vocabulary");
    }
    return it->second;
  };
  data.unk_id = require(data.unk_token, "unknown");
  data.cls_id = require(data.cls_token, "classifier");
  data.sep_id = require(data.sep_token, "separator");
  data.pad_id = require(data.pad_token, "padding");
  data.max_token_bytes = 0;
  for (const auto& t : data.id_to_token) data.max_token_bytes = std::max(data.max_token_bytes, t.size());
  // Longest first, so scanning the list in order finds the leftmost-longest match (as HF's
  // Aho-Corasick LeftmostLongest does). Empty strings can never match.
  std::erase_if(data.special_tokens, [](const auto& s) { return s.first.empty(); });
  std::stable_sort(data.special_tokens.begin(), data.special_tokens.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  data.special_u32.clear();
  for (const auto& [token, id] : data.special_tokens) {
    data.special_u32.emplace_back(decode_utf8(token, std::string(what) + ": special token"), id);
  }
  // Longest in characters first (byte order above may differ for non-ASCII tokens).
  std::stable_sort(data.special_u32.begin(), data.special_u32.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

WordPieceTokenizer::Data parse_vocab_txt(std::string_view content, std::string_view what) {
  WordPieceTokenizer::Data data;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t nl = content.find('\n', pos);
    size_t end = nl == std::string_view::npos ? content.size() : nl;
    std::string_view line = content.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    add_vocab_token(data, std::string(line));
    pos = nl == std::string_view::npos ? content.size() : nl + 1;
  }
  if (data.id_to_token.empty()) throw TokenizerError(std::string(what) + ": the vocabulary is empty");
  for (const char* s : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    auto it = data.token_to_id.find(std::string_view(s));
    if (it != data.token_to_id.end()) data.special_tokens.emplace_back(s, it->second);
  }
  finalize(data, what);
  return data;
}

}  // namespace m2vk::tok
