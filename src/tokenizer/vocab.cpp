#include "vocab.hpp"

#include <algorithm>

#include "normalizer.hpp"
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
  data.raw_added.clear();
  data.normalized_added.clear();
  for (const auto& t : data.added_tokens) {
    std::u32string content = decode_utf8(t.content, std::string(what) + ": added token");
    if (t.normalized) content = bert_normalize(content, data.normalizer);
    if (content.empty()) continue;  // can never match
    (t.normalized ? data.normalized_added : data.raw_added).emplace_back(std::move(content), t.id);
  }
  auto longest_first = [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); };
  std::stable_sort(data.raw_added.begin(), data.raw_added.end(), longest_first);
  std::stable_sort(data.normalized_added.begin(), data.normalized_added.end(), longest_first);
}

void add_default_special_tokens(WordPieceTokenizer::Data& data) {
  for (const char* s : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    auto it = data.token_to_id.find(std::string_view(s));
    if (it != data.token_to_id.end()) data.added_tokens.push_back({s, it->second, false});
  }
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
  add_default_special_tokens(data);
  finalize(data, what);
  return data;
}

}  // namespace m2vk::tok
