#include "content_hash.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <vector>

#include "m2vk/loader/tensor_store.hpp"

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

// Streaming state: whole 32-byte blocks go through the four lanes; the tail is mixed in at the end.
struct Hasher {
  uint64_t a = P1 + P2, b = P2, c = 0, d = 0 - P1;
  uint64_t total = 0;
  // Consumes whole blocks; returns how many bytes were used (a multiple of 32).
  size_t blocks(const std::byte* p, size_t n) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
      a = round(a, load64(p + i));
      b = round(b, load64(p + i + 8));
      c = round(c, load64(p + i + 16));
      d = round(d, load64(p + i + 24));
    }
    total += i;
    return i;
  }
  uint64_t finish(const std::byte* tail, size_t n) {
    uint64_t h = std::rotl(a, 1) + std::rotl(b, 7) + std::rotl(c, 12) + std::rotl(d, 18) + P5 + total + n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) h = std::rotl(h ^ round(0, load64(tail + i)), 27) * P1 + P4;
    for (; i < n; ++i) h = std::rotl(h ^ (std::to_integer<uint64_t>(tail[i]) * P5), 11) * P1;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
  }
};

std::string hex16(uint64_t h) {
  char buf[17];
  for (int k = 0; k < 16; ++k) buf[k] = "0123456789abcdef"[(h >> (60 - 4 * k)) & 15];
  buf[16] = 0;
  return buf;
}
}  // namespace

uint64_t content_hash(std::span<const std::byte> data) {
  Hasher h;
  size_t used = h.blocks(data.data(), data.size());
  return h.finish(data.data() + used, data.size() - used);
}

std::string file_content_hash(const std::filesystem::path& file) {
  // read() in chunks rather than mmap: page-cache pages read this way do not count towards the
  // process's resident set, which keeps conversion's peak RSS near the largest tensor.
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw LoaderError(file.string() + ": open failed: " + std::strerror(errno));
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  constexpr size_t kChunk = 4u << 20;
  std::vector<std::byte> buf(kChunk);
  Hasher h;
  size_t have = 0;  // bytes in buf not yet consumed (always < 32 between reads)
  while (true) {
    ssize_t r = ::read(fd, buf.data() + have, kChunk - have);
    if (r < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      throw LoaderError(file.string() + ": read failed: " + std::strerror(e));
    }
    if (r == 0) break;
    have += static_cast<size_t>(r);
    size_t used = h.blocks(buf.data(), have);
    std::memmove(buf.data(), buf.data() + used, have - used);
    have -= used;
  }
  ::close(fd);
  return hex16(h.finish(buf.data(), have));
}

}  // namespace m2vk::loader
