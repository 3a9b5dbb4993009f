// Unicode 8.0 category tables (generated into unicode8_tables.cpp by tools/gen_unicode8_tables.js).
// Sorted, non-overlapping, inclusive code point ranges.
#pragma once

#include <cstddef>

namespace m2vk::tok::unicode8 {

struct CodepointRange {
  char32_t first, last;
};

extern const CodepointRange kControlRanges[];  // Cc | Cf | Co
extern const std::size_t kControlCount;
extern const CodepointRange kNonspacingMarkRanges[];  // Mn
extern const std::size_t kNonspacingMarkCount;
extern const CodepointRange kPunctuationRanges[];  // P*
extern const std::size_t kPunctuationCount;

}  // namespace m2vk::tok::unicode8
