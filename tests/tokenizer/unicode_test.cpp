// The character classes behind normalization and splitting, on the characters where Hugging
// Face's fast tokenizer (Unicode 8.0 categories, Rust White_Space) differs from newer Unicode
// data or from the Python tokenizer; facts from tests/data/golden/tokenizer/README.md and the
// Unicode Character Database.
#include <gtest/gtest.h>

#include "normalizer.hpp"
#include "unicode8_tables.hpp"
#include "unicode_props.hpp"

namespace m2vk::tok {
namespace {

TEST(TokenizerUnicode, ControlIsCcCfCoOfUnicode8) {
  for (char32_t c : {0x00u, 0x07u, 0x1Bu, 0x7Fu, 0x85u, 0xADu, 0x200Bu, 0x200Du, 0xFEFFu, 0xE000u, 0xF8FFu, 0x10FFFDu,
                     0xE0001u}) {
    EXPECT_TRUE(is_bert_control(c)) << std::hex << static_cast<uint32_t>(c);
  }
  // Tab, LF, CR count as whitespace; unassigned code points (Cn) are kept; U+08E2 and U+0890
  // became Cf after Unicode 8.0.
  for (char32_t c : {0x09u, 0x0Au, 0x0Du, 0x20u, 0x41u, 0x378u, 0xFFFFu, 0x8E2u, 0x890u, 0xE9u}) {
    EXPECT_FALSE(is_bert_control(c)) << std::hex << static_cast<uint32_t>(c);
  }
}

TEST(TokenizerUnicode, WhitespaceIsUnicodeWhiteSpace) {
  for (char32_t c : {0x09u, 0x0Au, 0x0Bu, 0x0Cu, 0x0Du, 0x20u, 0x85u, 0xA0u, 0x1680u, 0x2000u, 0x200Au, 0x2028u,
                     0x2029u, 0x202Fu, 0x205Fu, 0x3000u}) {
    EXPECT_TRUE(is_bert_whitespace(c)) << std::hex << static_cast<uint32_t>(c);
  }
  for (char32_t c : {0x41u, 0x180Eu, 0x200Bu, 0xFEFFu, 0x1Fu}) {
    EXPECT_FALSE(is_bert_whitespace(c)) << std::hex << static_cast<uint32_t>(c);
  }
}

TEST(TokenizerUnicode, PunctuationIsAsciiPunctOrUnicode8P) {
  for (char32_t c : {U'!', U'$', U'+', U'<', U'^', U'`', U'|', U'~', U'_', char32_t{0xA7}, char32_t{0xBF},
                     char32_t{0x2014}, char32_t{0x3001}, char32_t{0xFF01}, char32_t{0x2E3B}}) {
    EXPECT_TRUE(is_bert_punctuation(c)) << std::hex << static_cast<uint32_t>(c);
  }
  // U+00A9 and U+20AC are symbols (So, Sc), not punctuation; U+2E49 was added after Unicode 8.0.
  for (char32_t c : {U'a', U'0', U' ', char32_t{0xA9}, char32_t{0x20AC}, char32_t{0x2E49}}) {
    EXPECT_FALSE(is_bert_punctuation(c)) << std::hex << static_cast<uint32_t>(c);
  }
}

TEST(TokenizerUnicode, NonspacingMarksAreUnicode8Mn) {
  EXPECT_TRUE(is_nonspacing_mark(0x301));
  EXPECT_TRUE(is_nonspacing_mark(0x1734));   // Mn in 8.0 (Mc since Unicode 14)
  EXPECT_FALSE(is_nonspacing_mark(0x1885));  // Lo in 8.0 (Mn since Unicode 9)
  EXPECT_FALSE(is_nonspacing_mark(0x903));   // Mc
  EXPECT_FALSE(is_nonspacing_mark(U'a'));
}

TEST(TokenizerUnicode, ChineseCharsFollowTheRustRanges) {
  EXPECT_TRUE(is_chinese_char(0x4E00));
  EXPECT_TRUE(is_chinese_char(0x9FFF));
  EXPECT_TRUE(is_chinese_char(0xF900));
  EXPECT_TRUE(is_chinese_char(0x2B920));
  EXPECT_FALSE(is_chinese_char(0x2B820));  // CJK Extension E before U+2B920 is not included
  EXPECT_FALSE(is_chinese_char(0x3042));   // hiragana
  EXPECT_FALSE(is_chinese_char(0xAC00));   // hangul
}

TEST(TokenizerUnicode, TablesAreSortedAndDisjoint) {
  auto check = [](const unicode8::CodepointRange* r, std::size_t n, const char* name) {
    ASSERT_GT(n, 0u) << name;
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_LE(r[i].first, r[i].last) << name << " " << i;
      if (i > 0) {
        EXPECT_GT(r[i].first, r[i - 1].last + 1) << name << " " << i << " (ranges must not touch)";
      }
    }
  };
  check(unicode8::kControlRanges, unicode8::kControlCount, "control");
  check(unicode8::kNonspacingMarkRanges, unicode8::kNonspacingMarkCount, "Mn");
  check(unicode8::kPunctuationRanges, unicode8::kPunctuationCount, "punctuation");
}

TEST(TokenizerUnicode, NormalizerSteps) {
  const NormalizerOptions bert;
  EXPECT_EQ(bert_normalize(U"\u00C5ngstr\u00F6m \u1EC7", bert), U"angstrom e");
  EXPECT_EQ(bert_normalize(U"a\u4E2Db", bert), U"a \u4E2D b");
  EXPECT_EQ(bert_normalize(U"x\u200By\tz\u00A0w\uFFFD", bert), U"xy z w");
  EXPECT_EQ(bert_normalize(U"\uD55C", bert), U"\u1112\u1161\u11AB");  // Hangul syllable -> jamo
  EXPECT_EQ(bert_normalize(U"\u03A3\u0399\u03A3", bert), U"\u03C3\u03B9\u03C3");  // no final-sigma rule
  NormalizerOptions keep_accents = bert;
  keep_accents.strip_accents = false;
  // Rust char::to_lowercase of U+0130 is two characters.
  EXPECT_EQ(bert_normalize(U"\u0130\u00C9", keep_accents), U"i\u0307\u00E9");
  const NormalizerOptions none{false, false, false, false};
  const std::u32string raw(U"A\u0000\u4E2D\u00C9", 4);
  EXPECT_EQ(bert_normalize(raw, none), raw);
}

}  // namespace
}  // namespace m2vk::tok
