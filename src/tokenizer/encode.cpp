#include "encode.hpp"

#include <algorithm>
#include <string>

#include "normalizer.hpp"
#include "utf8.hpp"
#include "wordpiece.hpp"

namespace m2vk::tok {

namespace {

using AddedList = std::vector<std::pair<std::u32string, int32_t>>;

// Length of the longest added token that starts at text[i], with its id; 0 if none.
size_t match_added(std::u32string_view text, size_t i, const AddedList& tokens, int32_t& id) {
  for (const auto& [token, token_id] : tokens) {  // longest first
    if (text.size() - i >= token.size() && text.compare(i, token.size(), token) == 0) {
      id = token_id;
      return token.size();
    }
  }
  return 0;
}

// Splits `text` around the added tokens of `tokens` (leftmost-longest): each piece between
// them goes to `piece`, each match appends its id.
template <class PieceFn>
void split_added(std::u32string_view text, const AddedList& tokens, std::vector<int32_t>& out, PieceFn&& piece) {
  size_t piece_start = 0;
  for (size_t i = 0; !tokens.empty() && i < text.size();) {
    int32_t id = -1;
    const size_t n = match_added(text, i, tokens, id);
    if (n == 0) {
      ++i;
      continue;
    }
    piece(text.substr(piece_start, i - piece_start));
    out.push_back(id);
    i += n;
    piece_start = i;
  }
  piece(text.substr(piece_start));
}

// A piece of raw text between raw-matched added tokens: normalize, split around the normalized
// added tokens, and WordPiece the rest.
void encode_segment(std::u32string_view segment, const WordPieceTokenizer::Data& data, std::vector<int32_t>& out) {
  if (segment.empty()) return;
  const std::u32string normalized = bert_normalize(segment, data.normalizer);
  split_added(normalized, data.normalized_added, out,
              [&](std::u32string_view piece) { pretokenize_and_wordpiece(piece, data, out); });
}

// HF fast longest_first for a pair: returns the kept lengths of (a, b) for a token budget.
std::pair<size_t, size_t> longest_first(size_t na, size_t nb, size_t budget) {
  if (na + nb <= budget) return {na, nb};
  const bool swapped = na > nb;  // on a tie the first sequence counts as the shorter one
  size_t s = swapped ? nb : na;
  size_t l = swapped ? na : nb;
  if (s <= budget && s <= budget - s) {
    l = budget - s;  // the shorter one fits whole; cut the longer one to the rest
  } else {
    s = budget / 2;
    l = budget - s;  // = s + budget % 2
  }
  return swapped ? std::pair{l, s} : std::pair{s, l};
}

}  // namespace

std::vector<int32_t> encode_sequence(std::string_view text, const WordPieceTokenizer::Data& data,
                                     std::string_view what) {
  const std::u32string cps = decode_utf8(text, what);
  std::vector<int32_t> ids;
  ids.reserve(cps.size() / 4 + 4);
  split_added(cps, data.raw_added, ids, [&](std::u32string_view segment) { encode_segment(segment, data, ids); });
  return ids;
}

void check_options(const EncodeOptions& options) {
  if (options.truncation && !options.max_length) {
    throw TokenizerError("encode options: truncation needs max_length");
  }
  if (options.padding == Padding::MaxLength && !options.max_length) {
    throw TokenizerError("encode options: padding to max_length needs max_length");
  }
}

Encoding assemble(std::vector<int32_t> a, std::optional<std::vector<int32_t>> b, const WordPieceTokenizer::Data& data,
                  const EncodeOptions& options) {
  check_options(options);
  if (options.truncation) {
    const size_t specials = options.add_special_tokens ? (b ? 3 : 2) : 0;
    const size_t max_length = *options.max_length;
    if (max_length < specials) {
      throw TokenizerError("encode options: max_length " + std::to_string(max_length) + " cannot hold the " +
                           std::to_string(specials) + " special tokens");
    }
    const size_t budget = max_length - specials;
    if (b) {
      auto [ka, kb] = longest_first(a.size(), b->size(), budget);
      a.resize(ka);
      b->resize(kb);
    } else if (a.size() > budget) {
      a.resize(budget);
    }
  }

  Encoding e;
  const size_t total = a.size() + (b ? b->size() : 0) + (options.add_special_tokens ? (b ? 3 : 2) : 0);
  e.input_ids.reserve(total);
  e.token_type_ids.reserve(total);
  auto push = [&](int32_t id, int32_t type) {
    e.input_ids.push_back(id);
    e.token_type_ids.push_back(type);
  };
  if (options.add_special_tokens) push(data.cls_id, 0);
  for (int32_t id : a) push(id, 0);
  if (options.add_special_tokens) push(data.sep_id, 0);
  if (b) {
    for (int32_t id : *b) push(id, 1);
    if (options.add_special_tokens) push(data.sep_id, 1);
  }
  e.attention_mask.assign(e.input_ids.size(), 1);
  e.tokens.reserve(e.input_ids.size());
  for (int32_t id : e.input_ids) e.tokens.push_back(data.id_to_token[static_cast<size_t>(id)]);
  if (options.padding == Padding::MaxLength) pad_to(e, *options.max_length, data);
  return e;
}

void pad_to(Encoding& e, size_t length, const WordPieceTokenizer::Data& data) {
  if (e.input_ids.size() >= length) return;
  e.input_ids.resize(length, data.pad_id);
  e.token_type_ids.resize(length, 0);
  e.attention_mask.resize(length, 0);
  e.tokens.resize(length, data.pad_token);
}

}  // namespace m2vk::tok
