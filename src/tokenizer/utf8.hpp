// Strict UTF-8 decoding and encoding for the tokenizer.
//
// HF's tokenizer receives Python str, which can never hold invalid UTF-8, so there is no
// behaviour to copy: invalid input is an error that names the byte offset, never a silent
// replacement.
#pragma once

#include <string>
#include <string_view>

namespace m2vk::tok {

// Decodes `text` into code points. Rejects truncated sequences, stray continuation bytes,
// overlong forms, surrogates (U+D800..U+DFFF) and values above U+10FFFF with a TokenizerError
// that starts with `what` and names the byte offset.
std::u32string decode_utf8(std::string_view text, std::string_view what);

// Appends the UTF-8 form of one valid code point.
void append_utf8(std::string& out, char32_t cp);

}  // namespace m2vk::tok
