// safetensors writing: aligned, streamed one tensor at a time, atomic (temp file + rename).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "checked_math.hpp"
#include "m2vk/loader/safetensors.hpp"

namespace m2vk::loader {

namespace {

constexpr size_t kDataAlignment = 64;

// Removes the temporary file unless the write was committed.
class TempFile {
 public:
  explicit TempFile(std::filesystem::path target) : target_(std::move(target)) {
    static std::atomic<unsigned> counter{0};
    tmp_ = target_;
    tmp_ += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) throw LoaderError(tmp_.string() + ": cannot create: " + std::strerror(errno));
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  void write(const void* p, size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
      ssize_t w = ::write(fd_, c, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw LoaderError(tmp_.string() + ": write failed: " + std::strerror(errno));
      }
      c += w;
      n -= static_cast<size_t>(w);
    }
  }
  void commit() {
    // No fsync: the rename only guarantees that readers never see a partial file, which is what
    // a cache needs; durability across power loss is not worth the time on multi-GB checkpoints.
    if (::close(fd_) != 0) {
      fd_ = -1;
      throw LoaderError(tmp_.string() + ": close failed: " + std::strerror(errno));
    }
    fd_ = -1;
    if (::rename(tmp_.c_str(), target_.c_str()) != 0) {
      throw LoaderError(target_.string() + ": rename from " + tmp_.string() + " failed: " + std::strerror(errno));
    }
    committed_ = true;
  }

 private:
  std::filesystem::path target_, tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

uint64_t write_safetensors(const std::filesystem::path& file, const std::vector<TensorToWrite>& tensors,
                           const std::map<std::string, std::string>& metadata,
                           const std::function<void(size_t, uint64_t)>& on_tensor) {
  // Largest element size first: every tensor then starts at a multiple of its element size.
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return dtype_size(tensors[a].dtype) > dtype_size(tensors[b].dtype);
  });
  nlohmann::ordered_json h = nlohmann::ordered_json::object();
  if (!metadata.empty()) h["__metadata__"] = metadata;
  std::vector<uint64_t> sizes(tensors.size());
  uint64_t offset = 0, largest = 0;
  for (size_t i : order) {
    const auto& t = tensors[i];
    uint64_t n = dtype_size(t.dtype);
    for (int64_t d : t.shape) {
      auto m = d < 0 ? std::nullopt : checked_mul(n, static_cast<uint64_t>(d));
      if (!m) throw LoaderError(file.string() + ": tensor \"" + t.name + "\": bad shape");
      n = *m;
    }
    if (h.contains(t.name) || t.name == "__metadata__") throw LoaderError(file.string() + ": duplicate tensor name \"" + t.name + "\"");
    h[t.name] = {{"dtype", std::string(dtype_name(t.dtype))}, {"shape", t.shape}, {"data_offsets", {offset, offset + n}}};
    sizes[i] = n;
    offset += n;
    largest = std::max(largest, n);
  }
  std::string header = h.dump();
  size_t padded = (8 + header.size() + kDataAlignment - 1) / kDataAlignment * kDataAlignment - 8;
  header.resize(padded, ' ');

  TempFile out(file);
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(uint64_t(header.size()) >> (8 * i));
  out.write(len, 8);
  out.write(header.data(), header.size());
  std::vector<std::byte> buf;
  buf.reserve(static_cast<size_t>(largest));
  uint64_t written = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    size_t i = order[k];
    buf.resize(static_cast<size_t>(sizes[i]));
    tensors[i].fill(buf);
    out.write(buf.data(), buf.size());
    written += sizes[i];
    if (on_tensor) on_tensor(k + 1, written);
  }
  out.commit();
  return written;
}

}  // namespace m2vk::loader
