#include "npy_header.hpp"

#include <cstring>

#include "checked_math.hpp"

namespace m2vk::loader {

namespace {

// A tiny reader for the restricted Python literal numpy writes.
struct Lit {
  std::string_view s;
  size_t p = 0;
  const std::string& what;
  [[noreturn]] void fail(const std::string& m) const { throw LoaderError(what + ": npy header: " + m); }
  void ws() {
    while (p < s.size() && (s[p] == ' ' || s[p] == '\n' || s[p] == '\t')) ++p;
  }
  bool eat(char c) {
    ws();
    if (p < s.size() && s[p] == c) {
      ++p;
      return true;
    }
    return false;
  }
  std::string str() {
    ws();
    if (p >= s.size() || (s[p] != '\'' && s[p] != '"')) fail("expected a string");
    char q = s[p++];
    size_t start = p;
    while (p < s.size() && s[p] != q) ++p;
    if (p >= s.size()) fail("unterminated string");
    return std::string(s.substr(start, p++ - start));
  }
  std::string word() {
    ws();
    size_t start = p;
    while (p < s.size() && (std::isalnum(static_cast<unsigned char>(s[p])) || s[p] == '_')) ++p;
    return std::string(s.substr(start, p - start));
  }
};

DType descr_dtype(const std::string& d, const std::string& what) {
  if (d.size() < 2) throw LoaderError(what + ": npy dtype \"" + d + "\" is not supported");
  char order = d[0];
  std::string code = d.substr(1);
  if (order == '>' && code != "i1" && code != "u1" && code != "b1") {
    throw LoaderError(what + ": npy dtype \"" + d + "\" is big-endian; only little-endian is supported");
  }
  if (order != '<' && order != '|' && order != '>') throw LoaderError(what + ": npy dtype \"" + d + "\" is not supported");
  static const std::pair<const char*, DType> table[] = {{"f4", DType::F32}, {"f2", DType::F16}, {"f8", DType::F64},
                                                         {"i1", DType::I8},  {"i2", DType::I16}, {"i4", DType::I32},
                                                         {"i8", DType::I64}, {"u1", DType::U8},  {"b1", DType::BOOL}};
  for (const auto& [c, t] : table) {
    if (code == c) return t;
  }
  throw LoaderError(what + ": npy dtype \"" + d + "\" is not supported");
}

}  // namespace

NpyHeader parse_npy_header(std::span<const std::byte> bytes, const std::string& what) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) throw LoaderError(what + ": not a .npy array (bad magic)");
  unsigned major = std::to_integer<unsigned>(bytes[6]);
  uint64_t len = 0, start = 0;
  if (major == 1) {
    len = std::to_integer<uint64_t>(bytes[8]) | std::to_integer<uint64_t>(bytes[9]) << 8;
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw LoaderError(what + ": npy header truncated");
    for (int i = 0; i < 4; ++i) len |= std::to_integer<uint64_t>(bytes[size_t(8 + i)]) << (8 * i);
    start = 12;
  } else {
    throw LoaderError(what + ": npy format version " + std::to_string(major) + " is not supported");
  }
  if (len > bytes.size() - start) throw LoaderError(what + ": npy header length " + std::to_string(len) + " runs past the end of the array");
  Lit l{std::string_view(reinterpret_cast<const char*>(bytes.data() + start), static_cast<size_t>(len)), 0, what};
  NpyHeader h;
  bool have_descr = false, have_order = false, have_shape = false;
  if (!l.eat('{')) l.fail("expected '{'");
  while (!l.eat('}')) {
    std::string key = l.str();
    if (!l.eat(':')) l.fail("expected ':' after '" + key + "'");
    if (key == "descr") {
      h.dtype = descr_dtype(l.str(), what);
      have_descr = true;
    } else if (key == "fortran_order") {
      std::string w = l.word();
      if (w == "True") throw LoaderError(what + ": fortran_order True (column-major) arrays are not supported");
      if (w != "False") l.fail("fortran_order must be True or False");
      have_order = true;
    } else if (key == "shape") {
      if (!l.eat('(')) l.fail("shape must be a tuple");
      while (!l.eat(')')) {
        std::string w = l.word();
        if (w.empty() || w.size() > 18 || w.find_first_not_of("0123456789") != std::string::npos) l.fail("bad shape entry \"" + w + "\"");
        h.shape.push_back(std::stoll(w));
        if (!l.eat(',')) {
          if (!l.eat(')')) l.fail("expected ',' or ')' in shape");
          break;
        }
      }
      have_shape = true;
    } else {
      l.fail("unexpected key '" + key + "'");
    }
    if (!l.eat(',')) {
      if (!l.eat('}')) l.fail("expected ',' or '}'");
      break;
    }
  }
  if (!have_descr || !have_order || !have_shape) l.fail("needs descr, fortran_order and shape");
  uint64_t n = dtype_size(h.dtype);
  for (int64_t d : h.shape) {
    auto m = checked_mul(n, static_cast<uint64_t>(d));
    if (!m) l.fail("array size overflows");
    n = *m;
  }
  h.nbytes = n;
  h.data_offset = start + len;
  return h;
}

}  // namespace m2vk::loader
