#include "normalizer.hpp"

#include <algorithm>

#include <utf8proc.h>

#include "unicode_props.hpp"

namespace m2vk::tok {

namespace {

int combining_class(char32_t c) {
  if (c < 0x300) return 0;
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

// Canonical decomposition (NFD) of the whole string: decompose every character, then put each
// run of combining marks into canonical order (a stable sort by combining class).
std::u32string nfd(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size() + text.size() / 4);
  utf8proc_int32_t buf[32];  // the longest canonical decomposition is 4 code points
  for (char32_t c : text) {
    if (c < 0xC0) {  // nothing below U+00C0 decomposes canonically
      out.push_back(c);
      continue;
    }
    int boundclass = UTF8PROC_BOUNDCLASS_START;
    const utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buf, 32,
                                                       UTF8PROC_DECOMPOSE, &boundclass);
    if (n <= 0 || n > 32) {  // cannot happen for a valid scalar value; keep the character
      out.push_back(c);
      continue;
    }
    for (utf8proc_ssize_t k = 0; k < n; ++k) out.push_back(static_cast<char32_t>(buf[k]));
  }
  for (size_t i = 0; i < out.size();) {
    if (combining_class(out[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < out.size() && combining_class(out[j]) != 0) ++j;
    if (j - i > 1) {
      std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(j),
                       [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    }
    i = j;
  }
  return out;
}

// Rust `char::to_lowercase`: the simple mapping, except U+0130 whose full lowercase is two
// characters (it only gets here when accents are not stripped; NFD splits it otherwise).
char32_t lower(char32_t c) {
  if (c < 0x80) return c >= 'A' && c <= 'Z' ? c + 32 : c;
  return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c)));
}

void append_lower(std::u32string& out, char32_t c) {
  if (c == 0x130) {
    out.push_back(U'i');
    out.push_back(0x307);
  } else {
    out.push_back(lower(c));
  }
}

}  // namespace

std::u32string bert_normalize(std::u32string_view text, const NormalizerOptions& options) {
  // Written by index into a buffer sized for the worst case (every character a CJK ideograph
  // with two spaces): push_back per character was a measurable share of the time on long text.
  std::u32string s(text.size() * (options.handle_chinese_chars ? 3 : 1), U'\0');
  size_t n = 0;
  bool needs_nfd = false;
  for (char32_t c : text) {
    if (options.clean_text) {
      if (c == 0 || c == 0xFFFD || is_bert_control(c)) continue;
      if (is_bert_whitespace(c)) c = U' ';
    }
    needs_nfd |= c >= 0xC0;
    if (options.handle_chinese_chars && is_chinese_char(c)) {
      s[n++] = U' ';
      s[n++] = c;
      s[n++] = U' ';
    } else {
      s[n++] = c;
    }
  }
  s.resize(n);
  if (options.strip_accents && needs_nfd) {
    std::u32string decomposed = nfd(s);
    s.clear();
    for (char32_t c : decomposed) {
      if (!is_nonspacing_mark(c)) s.push_back(c);
    }
  }
  if (options.lowercase) {
    if (s.find(char32_t{0x130}) == std::u32string::npos) {
      for (char32_t& c : s) c = lower(c);  // one character in, one out
    } else {
      std::u32string lowered;
      lowered.reserve(s.size() + 8);
      for (char32_t c : s) append_lower(lowered, c);
      s = std::move(lowered);
    }
  }
  return s;
}

}  // namespace m2vk::tok
