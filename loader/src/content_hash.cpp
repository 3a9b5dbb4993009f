#include "content_hash.hpp"

#include <bit>
#include <cstring>

#include "mapped_file.hpp"

namespace m2vk::loader {

namespace {
constexpr uint64_t P1 = 11400714785074694791ull, P2 = 14029467366897019727ull, P3 = 1609587929392839161ull,
                   P4 = 9650029242287828579ull, P5 = 2870177450012600261ull;

uint64_t round(uint64_t acc, uint64_t in) { return std::rotl(acc + in * P2, 31) * P1; }
uint64_t load64(const std::byte* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
}  // namespace

uint64_t content_hash(std::span<const std::byte> data) {
  const std::byte* p = data.data();
  size_t n = data.size();
  uint64_t a = P1 + P2, b = P2, c = 0, d = 0 - P1;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a = round(a, load64(p + i));
    b = round(b, load64(p + i + 8));
    c = round(c, load64(p + i + 16));
    d = round(d, load64(p + i + 24));
  }
  uint64_t h = std::rotl(a, 1) + std::rotl(b, 7) + std::rotl(c, 12) + std::rotl(d, 18) + P5 + n;
  for (; i + 8 <= n; i += 8) h = std::rotl(h ^ round(0, load64(p + i)), 27) * P1 + P4;
  for (; i < n; ++i) h = std::rotl(h ^ (std::to_integer<uint64_t>(p[i]) * P5), 11) * P1;
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}

std::string file_content_hash(const std::filesystem::path& file) {
  auto m = MappedFile::open(file);
  uint64_t h = content_hash(m->bytes());
  char buf[17];
  for (int k = 0; k < 16; ++k) buf[k] = "0123456789abcdef"[(h >> (60 - 4 * k)) & 15];
  buf[16] = 0;
  return buf;
}

}  // namespace m2vk::loader
