// Character classes exactly as Hugging Face's Rust BERT normalizer and pre-tokenizer define them.
//
// The categories (control, nonspacing mark, punctuation) come from Unicode 8.0 because that is
// what the `unicode_categories` crate used by `tokenizers` ships; whitespace is the Unicode
// White_Space property (Rust `char::is_whitespace`), stable since Unicode 6.3.
#pragma once

namespace m2vk::tok {

// Rust `is_whitespace`: tab, LF, CR and every White_Space character.
bool is_bert_whitespace(char32_t c);
// Rust `is_control`: Cc | Cf | Co (Unicode 8.0), except tab, LF and CR which count as whitespace.
// Unassigned code points (Cn) are NOT controls.
bool is_bert_control(char32_t c);
// ASCII punctuation (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~, which includes some symbols) or any
// Unicode 8.0 P* character.
bool is_bert_punctuation(char32_t c);
// Unicode 8.0 Mn, the marks accent stripping removes after NFD.
bool is_nonspacing_mark(char32_t c);
// The CJK ideograph blocks of the Rust `is_chinese_char` (note: Extension E starts at U+2B920
// there, not U+2B820).
bool is_chinese_char(char32_t c);

}  // namespace m2vk::tok
