#include "unicode_props.hpp"

#include <algorithm>
#include <cstddef>

#include "unicode8_tables.hpp"

namespace m2vk::tok {

namespace {

bool in_ranges(char32_t c, const unicode8::CodepointRange* ranges, std::size_t count) {
  // First range whose end is >= c; c is inside iff that range starts at or before c.
  const auto* end = ranges + count;
  const auto* it = std::lower_bound(ranges, end, c, [](const unicode8::CodepointRange& r, char32_t v) {
    return r.last < v;
  });
  return it != end && it->first <= c;
}

}  // namespace

bool is_bert_whitespace(char32_t c) {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
    case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool is_bert_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  if (c < 0x80) return c < 0x20 || c == 0x7F;
  return in_ranges(c, unicode8::kControlRanges, unicode8::kControlCount);
}

bool is_bert_punctuation(char32_t c) {
  if (c < 0x80) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
           (c >= 0x7B && c <= 0x7E);
  }
  return in_ranges(c, unicode8::kPunctuationRanges, unicode8::kPunctuationCount);
}

bool is_nonspacing_mark(char32_t c) {
  if (c < 0x300) return false;
  return in_ranges(c, unicode8::kNonspacingMarkRanges, unicode8::kNonspacingMarkCount);
}

bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

}  // namespace m2vk::tok
