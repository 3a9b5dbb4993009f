#include "utf8.hpp"

#include <cstdio>

#include "m2vk/tokenizer.hpp"

namespace m2vk::tok {

namespace {

[[noreturn]] void fail(std::string_view what, size_t offset, unsigned char byte, const char* why) {
  char buf[96];
  std::snprintf(buf, sizeof buf, ": invalid UTF-8 at byte offset %zu (byte 0x%02X: %s)", offset,
                static_cast<unsigned>(byte), why);
  throw TokenizerError(std::string(what) + buf);
}

}  // namespace

std::u32string decode_utf8(std::string_view text, std::string_view what) {
  std::u32string out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char b0 = s[i];
    if (b0 < 0x80) {  // ASCII fast path: most text is mostly ASCII
      out.push_back(b0);
      ++i;
      continue;
    }
    size_t len;
    char32_t cp;
    char32_t min;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2, cp = b0 & 0x1F, min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3, cp = b0 & 0x0F, min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4, cp = b0 & 0x07, min = 0x10000;
    } else if (b0 >= 0x80 && b0 <= 0xBF) {
      fail(what, i, b0, "unexpected continuation byte");
    } else {
      fail(what, i, b0, "not a valid lead byte");
    }
    if (n - i < len) fail(what, i, b0, "sequence truncated by the end of the text");
    for (size_t k = 1; k < len; ++k) {
      const unsigned char b = s[i + k];
      if ((b & 0xC0) != 0x80) fail(what, i + k, b, "expected a continuation byte");
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min) fail(what, i, b0, "overlong encoding");
    if (cp >= 0xD800 && cp <= 0xDFFF) fail(what, i, b0, "encodes a UTF-16 surrogate");
    if (cp > 0x10FFFF) fail(what, i, b0, "code point above U+10FFFF");
    out.push_back(cp);
    i += len;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace m2vk::tok
