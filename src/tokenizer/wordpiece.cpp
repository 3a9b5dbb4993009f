#include "wordpiece.hpp"

#include <string>

#include "unicode_props.hpp"
#include "utf8.hpp"

namespace m2vk::tok {

void wordpiece_word(std::u32string_view word, const WordPieceTokenizer::Data& data, std::vector<int32_t>& out) {
  if (word.empty()) return;
  if (word.size() > data.max_input_chars_per_word) {
    out.push_back(data.unk_id);
    return;
  }
  // UTF-8 of the word plus the byte offset where each character starts (and the end). The
  // buffers are reused across words of this thread: allocating them per word was the main cost.
  thread_local std::string bytes;
  thread_local std::vector<size_t> starts;
  thread_local std::string key;
  bytes.clear();
  starts.clear();
  for (char32_t c : word) {
    starts.push_back(bytes.size());
    append_utf8(bytes, c);
  }
  starts.push_back(bytes.size());

  const size_t first_out = out.size();
  size_t start = 0;  // character index
  while (start < word.size()) {
    const std::string_view prefix =
        start > 0 ? std::string_view(data.continuing_subword_prefix) : std::string_view();
    int32_t found = -1;
    size_t end = word.size();
    // Skip candidates longer than any vocabulary entry: they cannot match.
    while (end > start && starts[end] - starts[start] + prefix.size() > data.max_token_bytes) --end;
    for (; end > start; --end) {
      key.assign(prefix);
      key.append(bytes, starts[start], starts[end] - starts[start]);
      auto it = data.token_to_id.find(std::string_view(key));
      if (it != data.token_to_id.end()) {
        found = it->second;
        break;
      }
    }
    if (found < 0) {
      out.resize(first_out);
      out.push_back(data.unk_id);
      return;
    }
    out.push_back(found);
    start = end;
  }
}

void pretokenize_and_wordpiece(std::u32string_view text, const WordPieceTokenizer::Data& data,
                               std::vector<int32_t>& out) {
  size_t word_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    const bool space = is_bert_whitespace(c);
    if (space || is_bert_punctuation(c)) {
      wordpiece_word(text.substr(word_start, i - word_start), data, out);
      if (!space) wordpiece_word(text.substr(i, 1), data, out);
      word_start = i + 1;
    }
  }
  wordpiece_word(text.substr(word_start), data, out);
}

}  // namespace m2vk::tok
