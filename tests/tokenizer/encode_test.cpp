// encode / encode_batch behaviour beyond the golden records: invalid UTF-8, option errors,
// batch padding, the longest_first rule on every small length combination, long inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "golden_cases.hpp"
#include "m2vk/tokenizer.hpp"

namespace m2vk::tok {
namespace {

const WordPieceTokenizer& bert() {
  static const WordPieceTokenizer tok = WordPieceTokenizer::builtin_bert_base_uncased();
  return tok;
}

// CPU time of this process: unlike wall time it does not grow when other tests share the cores.
double cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

std::string error_of(std::string_view text, std::optional<std::string_view> pair = std::nullopt,
                     const EncodeOptions& opts = {}) {
  try {
    bert().encode(text, pair, opts);
  } catch (const TokenizerError& e) {
    return e.what();
  }
  return "(no TokenizerError)";
}

TEST(TokenizerEncode, InvalidUtf8NamesTheByteOffset) {
  struct Case {
    std::string text;
    const char* expected;
  };
  const Case cases[] = {
      {"ab\xff" "cd", "byte offset 2 (byte 0xFF: not a valid lead byte)"},
      {"ok \x80", "byte offset 3 (byte 0x80: unexpected continuation byte)"},
      {"abc\xe2\x82", "byte offset 3 (byte 0xE2: sequence truncated"},
      {"\xe2\x28\xa1", "byte offset 1 (byte 0x28: expected a continuation byte)"},
      {"x\xc0\xaf", "byte offset 1 (byte 0xC0: not a valid lead byte)"},
      {"x\xe0\x80\xaf", "byte offset 1 (byte 0xE0: overlong encoding)"},
      {"\xed\xa0\x80", "byte offset 0 (byte 0xED: encodes a UTF-16 surrogate)"},
      {"\xf4\x90\x80\x80", "byte offset 0 (byte 0xF4: code point above U+10FFFF)"},
  };
  for (const auto& c : cases) {
    const std::string msg = error_of(c.text);
    EXPECT_EQ(msg.rfind("text: invalid UTF-8", 0), 0u) << msg;
    EXPECT_NE(msg.find(c.expected), std::string::npos) << "expected '" << c.expected << "' in: " << msg;
  }
  const std::string msg = error_of("fine", std::string_view("bad\xff"));
  EXPECT_EQ(msg.rfind("text_pair: invalid UTF-8 at byte offset 3", 0), 0u) << msg;
  // Valid 4-byte characters and U+10FFFF itself are accepted.
  EXPECT_NO_THROW(bert().encode("\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"));
}

TEST(TokenizerEncode, InconsistentOptionsAreErrors) {
  EncodeOptions trunc;
  trunc.truncation = true;
  EXPECT_NE(error_of("x", std::nullopt, trunc).find("truncation needs max_length"), std::string::npos);
  EncodeOptions pad;
  pad.padding = Padding::MaxLength;
  EXPECT_NE(error_of("x", std::nullopt, pad).find("padding to max_length needs max_length"), std::string::npos);
  EncodeOptions tiny;
  tiny.truncation = true;
  tiny.max_length = 2;
  EXPECT_EQ(bert().encode("hello world", std::nullopt, tiny).tokens, (std::vector<std::string>{"[CLS]", "[SEP]"}));
  EXPECT_NE(error_of("a", std::string_view("b"), tiny).find("max_length 2 cannot hold the 3 special tokens"),
            std::string::npos);
  EXPECT_NE(error_of("a", std::nullopt, [] { EncodeOptions o; o.truncation = true; o.max_length = 1; return o; }())
                .find("max_length 1"),
            std::string::npos);
}

TEST(TokenizerEncode, EmptyPairCountsAsNoPair) {
  const auto single = bert().encode("hello world");
  const auto with_empty = bert().encode("hello world", std::string_view(""));
  EXPECT_EQ(with_empty.input_ids, single.input_ids);
  EXPECT_EQ(with_empty.token_type_ids, single.token_type_ids);
}

TEST(TokenizerEncode, WithoutSpecialTokens) {
  EncodeOptions opts;
  opts.add_special_tokens = false;
  EXPECT_EQ(bert().encode("Hello, world!", std::nullopt, opts).input_ids,
            (std::vector<int32_t>{7592, 1010, 2088, 999}));
  // Without special tokens the whole max_length is the budget.
  opts.truncation = true;
  opts.max_length = 3;
  EXPECT_EQ(bert().encode("Hello, world!", std::nullopt, opts).input_ids, (std::vector<int32_t>{7592, 1010, 2088}));
  const auto pair = bert().encode("a b c", std::string_view("d e"), opts);
  // 3 + 2 tokens into 3: both are cut, the shorter (second) to floor(3/2), the longer to the rest.
  EXPECT_EQ(pair.tokens, (std::vector<std::string>{"a", "b", "d"}));
  EXPECT_EQ(pair.token_type_ids, (std::vector<int32_t>{0, 0, 1}));
}

TEST(TokenizerEncode, MaxLengthPaddingLeavesLongerRowsAlone) {
  EncodeOptions opts;
  opts.max_length = 4;
  opts.padding = Padding::MaxLength;
  const auto e = bert().encode("one two three four five", std::nullopt, opts);
  EXPECT_EQ(e.input_ids.size(), 7u);  // no truncation asked: HF does not cut or pad
  const auto short_row = bert().encode("one", std::nullopt, opts);
  EXPECT_EQ(short_row.input_ids, (std::vector<int32_t>{101, 2028, 102, 0}));
  EXPECT_EQ(short_row.attention_mask, (std::vector<int32_t>{1, 1, 1, 0}));
  EXPECT_EQ(short_row.tokens.back(), "[PAD]");
}

TEST(TokenizerEncode, BatchLongestPadsToTheLongestRow) {
  const auto cases = testing::load_golden("cases.jsonl");
  std::vector<std::string> texts;
  size_t longest = 0;
  for (size_t i = 0; i < 12; ++i) {
    texts.push_back(cases[i].text);
    longest = std::max(longest, cases[i].input_ids.size());
  }
  EncodeOptions opts;
  opts.padding = Padding::Longest;
  const auto batch = bert().encode_batch(texts, opts);
  ASSERT_EQ(batch.size(), texts.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& want = cases[i].input_ids;
    ASSERT_EQ(batch[i].input_ids.size(), longest) << cases[i].id;
    EXPECT_TRUE(std::equal(want.begin(), want.end(), batch[i].input_ids.begin())) << cases[i].id;
    for (size_t k = 0; k < longest; ++k) {
      const bool real = k < want.size();
      EXPECT_EQ(batch[i].attention_mask[k], real ? 1 : 0) << cases[i].id << " position " << k;
      if (!real) {
        EXPECT_EQ(batch[i].input_ids[k], 0) << cases[i].id;
      }
    }
  }
  // Without padding every row keeps its own length.
  const auto plain = bert().encode_batch(texts);
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_EQ(plain[i].input_ids, cases[i].input_ids) << cases[i].id;
}

// The fast tokenizer's longest_first split (README of the golden data), checked on every pair of
// lengths up to 9 and every budget up to 14: "a" and "b" are one token each.
TEST(TokenizerEncode, LongestFirstRuleOnAllSmallLengths) {
  auto repeat = [](const char* word, size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += std::string(i ? " " : "") + word;
    return s;
  };
  for (size_t na = 1; na <= 9; ++na) {
    for (size_t nb = 1; nb <= 9; ++nb) {
      for (size_t max_length = 3; max_length <= 14; ++max_length) {
        const size_t budget = max_length - 3;
        size_t want_a = na, want_b = nb;
        if (na + nb > budget) {
          const bool a_shorter = na <= nb;
          const size_t s = a_shorter ? na : nb;
          size_t keep_s, keep_l;
          if (2 * s <= budget) {  // s <= B - s: the shorter one is kept whole
            keep_s = s, keep_l = budget - s;
          } else {
            keep_s = budget / 2, keep_l = (budget + 1) / 2;
          }
          want_a = a_shorter ? keep_s : keep_l;
          want_b = a_shorter ? keep_l : keep_s;
        }
        EncodeOptions opts;
        opts.truncation = true;
        opts.max_length = max_length;
        const auto e = bert().encode(repeat("a", na), repeat("b", nb), opts);
        const auto count = [&](const char* tok) {
          return static_cast<size_t>(std::count(e.tokens.begin(), e.tokens.end(), tok));
        };
        EXPECT_EQ(count("a"), want_a) << na << "+" << nb << " into " << max_length;
        EXPECT_EQ(count("b"), want_b) << na << "+" << nb << " into " << max_length;
        EXPECT_LE(e.input_ids.size(), max_length);
      }
    }
  }
}

// About 1 MB of text: the encoding of k copies of a sentence is k copies of its encoding (the
// copies are separated by spaces), and it is fast.
TEST(TokenizerEncode, MegabyteInputIsCorrectAndFast) {
  const auto cases = testing::load_golden("cases.jsonl");
  std::string unit;
  std::vector<int32_t> unit_ids;
  for (size_t i = 0; i < 48; ++i) {  // the English cases, with their accents, digits, punctuation
    unit += cases[i].text + " ";
    unit_ids.insert(unit_ids.end(), cases[i].input_ids.begin() + 1, cases[i].input_ids.end() - 1);
  }
  std::string text;
  size_t copies = 0;
  while (text.size() < (1u << 20)) {
    text += unit;
    ++copies;
  }
  EncodeOptions opts;
  opts.add_special_tokens = false;
  const double seconds_before = cpu_seconds();
  const auto e = bert().encode(text, std::nullopt, opts);
  const double seconds = cpu_seconds() - seconds_before;
  std::printf("1 MB text: %zu tokens in %.3f s of CPU time\n", e.input_ids.size(), seconds);
  ASSERT_EQ(e.input_ids.size(), copies * unit_ids.size());
  EXPECT_GT(e.input_ids.size(), 32768u);
  for (size_t k = 0; k < copies; ++k) {
    ASSERT_TRUE(std::equal(unit_ids.begin(), unit_ids.end(), e.input_ids.begin() + static_cast<std::ptrdiff_t>(k * unit_ids.size())))
        << "copy " << k;
  }
  // No time is asserted (tests never assert times); quadratic behaviour would run into the ctest
  // TIMEOUT instead, and the printed figure shows the speed.
}

// One enormous "word" (no spaces or punctuation) must not take quadratic time either.
TEST(TokenizerEncode, HugeSingleWordIsUnknownAndFast) {
  const std::string word(1u << 20, 'x');
  const double seconds_before = cpu_seconds();
  const auto e = bert().encode(word);
  std::printf("1 MB single word: %.3f s of CPU time\n", cpu_seconds() - seconds_before);
  EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "[UNK]", "[SEP]"}));
}

}  // namespace
}  // namespace m2vk::tok
