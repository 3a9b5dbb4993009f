// Filter spectra on disk (see m2vk/gpu/spectrum_store.hpp).
//
// File layout: "M2VKSPEC", u32 format, u32 key length, key (the identity and SpectrumId::text()),
// u64 payload bytes, payload (the spectrum buffer as the device holds it), u64 XXH3 of the
// payload. The payload streams through a host chunk in both directions, so neither a read nor a
// write holds a second copy of a spectrum in memory.
#include "m2vk/gpu/spectrum_store.hpp"

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <system_error>
#include <vector>

#include <unistd.h>

#include "m2vk/host/host.hpp"

namespace m2vk::gpu {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kMagic[8] = {'M', '2', 'V', 'K', 'S', 'P', 'E', 'C'};
constexpr std::uint32_t kFormat = 1;
constexpr std::size_t kChunk = 16u << 20;
// Room left on the disk after a write: a cache must not be what fills it.
constexpr std::uint64_t kDiskMargin = 1ull << 30;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

struct XxhState {
  XXH3_state_t* s = XXH3_createState();
  XxhState() {
    if (!s) throw std::bad_alloc();
    XXH3_64bits_reset(s);
  }
  ~XxhState() { XXH3_freeState(s); }
  XxhState(const XxhState&) = delete;
  XxhState& operator=(const XxhState&) = delete;
  void update(const void* p, std::size_t n) { XXH3_64bits_update(s, p, n); }
  std::uint64_t digest() const { return XXH3_64bits_digest(s); }
};

template <typename T>
bool read_pod(std::istream& in, T& v) {
  return static_cast<bool>(in.read(reinterpret_cast<char*>(&v), sizeof v));
}
template <typename T>
void write_pod(std::ostream& out, const T& v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof v);
}

// Payload bytes a spectrum of `id` has.
std::uint64_t expected_payload(const SpectrumId& id) {
  return std::uint64_t(id.channels) * ops::spectrum_row_bytes(id.plan, id.backend);
}

// Bytes of a whole file: magic, format, key length, key, payload length, payload, payload hash.
std::uint64_t file_bytes(std::uint64_t key_len, std::uint64_t payload) { return 8 + 4 + 4 + key_len + 8 + payload + 8; }

std::string temp_name(const fs::path& target) {
  static std::atomic<unsigned> counter{0};
  return target.filename().string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

}  // namespace

std::string SpectrumId::text() const {
  std::string s = filter + " backend=" + (backend == ops::FftBackend::Ours ? "ours" : "vkfft") + " n=" + std::to_string(plan.n);
  if (backend == ops::FftBackend::Ours)
    s += " m1=" + std::to_string(plan.m1) + " m2=" + std::to_string(plan.m2) + " cols=" + std::to_string(plan.cols) +
         " smem=" + std::to_string(plan.smem) + " reg=" + std::to_string(plan.reg) + " wide=" + std::to_string(plan.wide);
  s += " channels=" + std::to_string(channels) + " len=" + std::to_string(len) + " bidirectional=" + std::to_string(bidirectional);
  return s;
}

SpectrumStoreDefault default_spectrum_store(const host::DeviceInfo& info) {
  std::string note;
  if (const char* env = std::getenv("M2VK_SPECTRUM_CACHE_MB"); env && *env) {
    char* end = nullptr;
    const unsigned long long mb = std::strtoull(env, &end, 10);
    if (end && *end == '\0' && env[0] != '-' && mb < (1ull << 40))
      return {mb << 20, mb ? "M2VK_SPECTRUM_CACHE_MB=" + std::string(env) : "off (M2VK_SPECTRUM_CACHE_MB=0)"};
    note = "; M2VK_SPECTRUM_CACHE_MB=" + std::string(env) + " is not a number of MB, ignored";
  }
  if (info.type == host::DeviceType::Cpu)
    return {4ull << 30, "4096 MB (a CPU device builds spectra in seconds and reads them back in a fraction)" + note};
  return {0, "off (a GPU builds spectra faster than it could read and upload them)" + note};
}

std::string spectrum_device_identity(const host::DeviceInfo& info) {
  return "device=" + info.uuid + " driver=" + std::to_string(info.driver_version) + " (" + info.driver_name + " " +
         info.driver_info + ") subgroup=" + std::to_string(info.subgroup_size);
}

std::uint64_t hash_bytes(const void* data, std::size_t bytes, std::uint64_t seed) {
  return XXH3_64bits_withSeed(data, bytes, seed);
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

SpectrumStore::SpectrumStore(fs::path dir, std::uint64_t max_bytes, std::string identity)
    : dir_(std::move(dir)), max_bytes_(max_bytes), identity_(std::move(identity)) {}

std::string SpectrumStore::key(const SpectrumId& id) const { return identity_ + "\n" + id.text(); }

fs::path SpectrumStore::path_for(const SpectrumId& id) const {
  const std::string k = key(id);
  return dir_ / (hex64(hash_bytes(k.data(), k.size())) + ".spectrum");
}

std::shared_ptr<ops::FilterSpectrum> SpectrumStore::load(host::Context& ctx, const SpectrumId& id) {
  const auto t0 = Clock::now();
  const fs::path path = path_for(id);
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  const std::string want = key(id);
  char magic[8];
  std::uint32_t format = 0, key_len = 0;
  if (!in.read(magic, 8) || std::memcmp(magic, kMagic, 8) != 0 || !read_pod(in, format) || format != kFormat ||
      !read_pod(in, key_len) || key_len != want.size())
    return nullptr;
  std::string got(key_len, '\0');
  std::uint64_t payload = 0;
  if (!in.read(got.data(), key_len) || got != want || !read_pod(in, payload) || payload == 0) return nullptr;
  const std::uint64_t expect = expected_payload(id);
  std::error_code ec;
  const std::uint64_t file_size = fs::file_size(path, ec);
  if (ec || payload != expect || file_size != file_bytes(key_len, payload)) return nullptr;

  auto s = std::make_shared<ops::FilterSpectrum>();
  s->backend = id.backend;
  s->plan = id.plan;
  s->channels = id.channels;
  s->len = id.len;
  s->bidirectional = id.bidirectional;
  s->buffer = ctx.create_buffer(payload);
  std::vector<char> chunk(static_cast<std::size_t>(std::min<std::uint64_t>(payload, kChunk)));
  XxhState h;
  for (std::uint64_t off = 0; off < payload;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(payload - off, chunk.size()));
    if (!in.read(chunk.data(), static_cast<std::streamsize>(n))) return nullptr;
    h.update(chunk.data(), n);
    ctx.upload(s->buffer.range(), chunk.data(), n, off);
    off += n;
  }
  std::uint64_t stored_hash = 0;
  if (!read_pod(in, stored_hash)) return nullptr;
  if (stored_hash != h.digest()) {
    fs::remove(path, ec);  // corrupt: the next process rebuilds and rewrites it
    return nullptr;
  }
  fs::last_write_time(path, fs::file_time_type::clock::now(), ec);  // recently used, for eviction
  ++stats_.read;
  stats_.read_bytes += payload;
  stats_.read_ms += ms_since(t0);
  return s;
}

void SpectrumStore::evict_for(std::uint64_t incoming) {
  struct File {
    fs::file_time_type when;
    std::uint64_t size;
    fs::path path;
  };
  std::vector<File> files;
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".spectrum") continue;
    std::error_code e1, e2;
    const auto size = it->file_size(e1);
    const auto when = it->last_write_time(e2);
    if (e1 || e2) continue;
    files.push_back({when, size, it->path()});
    total += size;
  }
  std::sort(files.begin(), files.end(), [](const File& a, const File& b) { return a.when < b.when; });
  for (const File& f : files) {
    if (total + incoming <= max_bytes_) break;
    if (fs::remove(f.path, ec)) total -= f.size;
  }
}

std::string SpectrumStore::save(host::Context& ctx, const SpectrumId& id, const ops::FilterSpectrum& s,
                                std::uint64_t group_bytes) {
  const auto t0 = Clock::now();
  auto skip = [&](std::string why) {
    ++stats_.skipped;
    stats_.last_skip = why;
    return why;
  };
  const std::uint64_t payload = s.bytes();
  const std::string k = key(id);
  const std::uint64_t bytes = file_bytes(k.size(), payload);
  if (group_bytes > max_bytes_)
    return skip("the spectra of FFT size " + std::to_string(id.plan.n) + " (" + std::to_string(group_bytes >> 20) +
                " MB) exceed the spectrum file cap (" + std::to_string(max_bytes_ >> 20) + " MB)");
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return skip("cannot create " + dir_.string() + ": " + ec.message());
  const fs::space_info sp = fs::space(dir_, ec);
  if (ec || sp.available < bytes + kDiskMargin) return skip("too little free disk space in " + dir_.string());
  evict_for(bytes);

  const fs::path target = path_for(id), tmp = dir_ / temp_name(target);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return skip("cannot write " + tmp.string());
    out.write(kMagic, 8);
    write_pod(out, kFormat);
    write_pod(out, static_cast<std::uint32_t>(k.size()));
    out.write(k.data(), static_cast<std::streamsize>(k.size()));
    write_pod(out, payload);
    std::vector<char> chunk(static_cast<std::size_t>(std::min<std::uint64_t>(payload, kChunk)));
    XxhState h;
    for (std::uint64_t off = 0; off < payload && out;) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(payload - off, chunk.size()));
      ctx.download(s.buffer.range(), chunk.data(), n, off);
      h.update(chunk.data(), n);
      out.write(chunk.data(), static_cast<std::streamsize>(n));
      off += n;
    }
    write_pod(out, h.digest());
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      return skip("writing " + tmp.string() + " failed");
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return skip("cannot rename into " + target.string());
  }
  ++stats_.written;
  stats_.written_bytes += payload;
  stats_.write_ms += ms_since(t0);
  return "";
}

}  // namespace m2vk::gpu
