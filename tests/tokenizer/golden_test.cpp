// Every record of the Hugging Face golden files must come out identical: ids, token types,
// attention mask and token strings. The expectations were produced by the Rust `tokenizers`
// library (see tests/data/golden/tokenizer/README.md), independently of this code.
#include <gtest/gtest.h>

#include "golden_cases.hpp"
#include "m2vk/tokenizer.hpp"

namespace m2vk::tok {
namespace {

using testing::GoldenCase;
using testing::load_golden;

void expect_matches(const WordPieceTokenizer& tok, const GoldenCase& c, const EncodeOptions& opts) {
  SCOPED_TRACE("case " + c.id);
  std::optional<std::string_view> pair;
  if (c.text_pair) pair = *c.text_pair;
  Encoding e = tok.encode(c.text, pair, opts);
  EXPECT_EQ(e.tokens, c.tokens);
  EXPECT_EQ(e.input_ids, c.input_ids);
  EXPECT_EQ(e.token_type_ids, c.token_type_ids);
  EXPECT_EQ(e.attention_mask, c.attention_mask);
}

TEST(TokenizerGolden, AllCasesMatchHuggingFaceFast) {
  const auto cases = load_golden("cases.jsonl");
  ASSERT_EQ(cases.size(), 230u);
  const auto tok = WordPieceTokenizer::builtin_bert_base_uncased();
  for (const auto& c : cases) expect_matches(tok, c, {});
}

TEST(TokenizerGolden, TruncationAndPaddingMatchHuggingFaceFast) {
  const auto cases = load_golden("truncation.jsonl");
  ASSERT_EQ(cases.size(), 10u);
  const auto tok = WordPieceTokenizer::builtin_bert_base_uncased();
  for (const auto& c : cases) {
    ASSERT_TRUE(c.max_length.has_value()) << c.id;
    ASSERT_EQ(c.raw.at("truncation"), "longest_first") << c.id;
    ASSERT_EQ(c.raw.at("padding"), "max_length") << c.id;
    EncodeOptions opts;
    opts.max_length = c.max_length;
    opts.truncation = true;
    opts.padding = Padding::MaxLength;
    expect_matches(tok, c, opts);
  }
}

// The golden vocab file loaded from disk gives the same results as the embedded copy.
TEST(TokenizerGolden, VocabFileMatchesBuiltin) {
  const auto from_file = WordPieceTokenizer::from_vocab_file(testing::golden_dir() + "/vocab.txt");
  EXPECT_EQ(from_file.vocab_size(), 30522u);
  EXPECT_EQ(from_file.source(), testing::golden_dir() + "/vocab.txt");
  for (const auto& c : load_golden("cases.jsonl")) expect_matches(from_file, c, {});
}

}  // namespace
}  // namespace m2vk::tok
