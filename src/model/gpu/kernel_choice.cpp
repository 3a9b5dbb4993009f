// Run-time choice of the long-convolution backend and of the GEMM kernel family (see
// m2vk/gpu/kernel_choice.hpp).
#include "m2vk/gpu/kernel_choice.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "m2vk/host/host.hpp"
#include "m2vk/ops/op_error.hpp"
#include "m2vk/ops/vkfft_conv.hpp"
#include "m2vk/shaders.hpp"

namespace m2vk::gpu {

namespace {

using u32 = std::uint32_t;
using u64 = std::uint64_t;
using Json = nlohmann::json;
using ops::MatrixView;

constexpr int kFormat = 1;
constexpr u64 kTimedFloats = 1ull << 21;  // per buffer, per timed convolution
constexpr int kMaxReps = 5;

const char* backend_name(ops::FftBackend b) { return b == ops::FftBackend::Ours ? "ours" : "vkfft"; }

std::optional<ops::FftBackend> parse_backend(const std::string& s) {
  if (s == "ours") return ops::FftBackend::Ours;
  if (s == "vkfft") return ops::FftBackend::VkFFT;
  return std::nullopt;
}

// The file's entries, or an empty array when it is missing or not what we wrote.
Json read_entries(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Json::array();
  std::stringstream ss;
  ss << in.rdbuf();
  Json j = Json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("format", 0) != kFormat || !j.contains("entries") || !j["entries"].is_array())
    return Json::array();
  return j["entries"];
}

// Whether entry `e` was recorded under `key` and `is_it(e)` holds (the entry kind's own
// fields); a malformed entry matches nothing (it is skipped).
template <class IsIt>
bool matches_entry(const Json& e, const ChoiceKey& key, IsIt&& is_it) {
  try {
    return e.is_object() && e.at("device_uuid").get<std::string>() == key.device_uuid &&
           e.at("driver_version").get<u32>() == key.driver_version && e.at("kernels").get<std::string>() == key.kernels &&
           is_it(e);
  } catch (const std::exception&) {
    return false;
  }
}

bool matches(const Json& e, const ChoiceKey& key, u32 n, u32 rows) {
  return matches_entry(e, key, [&](const Json& j) { return j.at("n").get<u32>() == n && j.at("rows").get<u32>() == rows; });
}

// Writes the document around `entries` atomically (temp file + rename); "" or why not.
std::string write_entries(const std::filesystem::path& path, const Json& entries) {
  const Json doc = {{"format", kFormat}, {"entries", entries}};
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  // Unique per process and call: two models (or processes) may record at the same time.
  static std::atomic<unsigned> serial{0};
  const std::filesystem::path tmp =
      path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(serial.fetch_add(1));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << doc.dump(1) << "\n";
    out.flush();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return "cannot write " + tmp.string();
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return "cannot replace " + path.string() + ": " + ec.message();
  }
  return "";
}

bool matches_gemm(const Json& e, const ChoiceKey& key, const std::string& shape) {
  return matches_entry(e, key, [&](const Json& j) { return j.contains("gemm") && j.at("gemm").get<std::string>() == shape; });
}

const char* epilogue_family(ops::Epilogue e) {
  switch (e) {
    case ops::Epilogue::Gelu: return "gelu";
    case ops::Epilogue::Tanh: return "tanh";
    case ops::Epilogue::AddResidual: return "residual";
    case ops::Epilogue::Glu: return "glu";
    case ops::Epilogue::Sin: return "sin";
    case ops::Epilogue::Decay: return "decay";
    default: return "none";
  }
}

// Best time of up to `max_reps` submits of what `record(rec)` records: at least one, more while
// the wall time spent stays under `budget_ms`. Each is timed by the device's timestamps, or by
// wall clock where the device has none: on a GPU the timed work takes tens of microseconds, less
// than a submit-and-wait round trip (by wall clock every GEMM family measured the same
// 0.13-0.16 ms on an H200).
template <class Record>
double best_time_ms(host::Context& ctx, int max_reps, double budget_ms, Record&& record) {
  double best = std::numeric_limits<double>::infinity(), spent = 0;
  for (int i = 0; i < max_reps && (i == 0 || spent < budget_ms); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    host::CommandRecorder rec = ctx.record({.profile = true});
    record(rec);
    rec.submit_and_wait();
    const double wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    spent += wall;
    const std::vector<host::DispatchTiming> timings = rec.timings();
    double ms = timings.empty() ? wall : 0;
    for (const host::DispatchTiming& t : timings) ms += t.ms;
    best = std::min(best, ms);
  }
  return best;
}

u32 rows_bucket(u32 rows) {
  u32 b = 256;
  while (b < rows && b < 65536) b *= 2;
  return b;
}

}  // namespace

std::string gemm_shape_class(const ops::GemmShape& s) {
  return "N=" + std::to_string(s.n) + " K=" + std::to_string(s.k) + " nb=" + std::to_string(s.nblocks) + " " +
         epilogue_family(s.epilogue) + (s.x_channel_major ? " channel-major" : " token-major") + " fp32 M<=" +
         std::to_string(rows_bucket(s.rows));
}

u32 gemm_timed_rows(const ops::GemmShape& s, bool cpu_device) {
  const u64 macs_per_row = std::max<u64>(1, u64(s.n) * (s.k / std::max<u32>(s.nblocks, 1)));
  const u64 cap = (cpu_device ? 1ull << 28 : 1ull << 30) / macs_per_row;
  const u64 rows = std::min<u64>(rows_bucket(s.rows), std::max<u64>(cap, 512));
  return static_cast<u32>(rows / 128 * 128);  // whole 128-row tiles (the buckets are multiples of 256)
}

std::string describe(const GemmChoice& c) {
  std::string s = "GEMM " + c.shape + ": " + ops::gemm_kernel_name(c.kernel) + " (" + c.source;
  if (!c.ms.empty()) {
    s += " on " + std::to_string(c.rows) + " rows:";
    for (std::size_t i = 0; i < c.ms.size(); ++i) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%s %s %.3g ms", i ? "," : "", ops::gemm_kernel_name(c.ms[i].first), c.ms[i].second);
      s += buf;
    }
  }
  return s + ")";
}

std::string describe(const FftChoice& c) {
  std::string s = "long convolution N=" + std::to_string(c.n) + ": " + backend_name(c.backend) + " (" + c.source;
  if (c.ours_ms >= 0 && c.vkfft_ms >= 0) {
    char buf[96];
    std::snprintf(buf, sizeof buf, " on %u rows: ours %.3g ms, vkfft %.3g ms", c.rows, c.ours_ms, c.vkfft_ms);
    s += buf;
  }
  return s + ")";
}

std::string kernels_identity() {
  static const std::string id = [] {  // the shipped kernels do not change while a process runs
    u64 h = 1469598103934665603ull;  // FNV-1a over names and SPIR-V words
    auto mix = [&](u64 v) {
      for (int i = 0; i < 8; ++i) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= 1099511628211ull;
      }
    };
    for (const std::string& name : shaders::names()) {
      for (char c : name) mix(static_cast<unsigned char>(c));
      for (u32 w : shaders::find(name)) mix(w);
    }
    mix(static_cast<u64>(ops::vkfft_version()));  // VkFFT generates its kernels: its version is part of them
    char buf[24];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return std::string(buf);
  }();
  return id;
}

ChoiceKey choice_key(const host::DeviceInfo& info) {
  return {info.uuid, info.driver_version, kernels_identity() + " subgroup " + std::to_string(info.subgroup_size)};
}

std::optional<FftChoice> KernelChoiceFile::find(const ChoiceKey& key, u32 n, u32 rows) const {
  for (const Json& e : read_entries(path_)) {
    if (!matches(e, key, n, rows)) continue;
    const auto backend = parse_backend(e.value("backend", ""));
    if (!backend) continue;
    FftChoice c;
    c.n = n;
    c.rows = rows;
    c.backend = *backend;
    c.ours_ms = e.value("ours_ms", -1.0);
    c.vkfft_ms = e.value("vkfft_ms", -1.0);
    c.source = "cache file";
    return c;
  }
  return std::nullopt;
}

std::string KernelChoiceFile::store(const ChoiceKey& key, const FftChoice& c) const {
  Json entries = Json::array();
  for (const Json& e : read_entries(path_))
    if (!matches(e, key, c.n, c.rows)) entries.push_back(e);
  entries.push_back({{"device_uuid", key.device_uuid},
                     {"driver_version", key.driver_version},
                     {"kernels", key.kernels},
                     {"n", c.n},
                     {"rows", c.rows},
                     {"backend", backend_name(c.backend)},
                     {"ours_ms", c.ours_ms},
                     {"vkfft_ms", c.vkfft_ms}});
  return write_entries(path_, entries);
}

std::optional<GemmChoice> KernelChoiceFile::find_gemm(const ChoiceKey& key, const std::string& shape) const {
  for (const Json& e : read_entries(path_)) {
    if (!matches_gemm(e, key, shape)) continue;
    const auto kernel = ops::parse_gemm_kernel(e.value("kernel", ""));
    if (!kernel || *kernel == ops::GemmKernel::Auto) continue;
    GemmChoice c;
    c.shape = shape;
    c.kernel = *kernel;
    c.source = "cache file";
    try {
      c.rows = e.value("rows", 0u);
      if (e.contains("ms") && e["ms"].is_object())
        for (const auto& [name, ms] : e["ms"].items())
          if (auto k = ops::parse_gemm_kernel(name); k && ms.is_number()) c.ms.emplace_back(*k, ms.get<double>());
    } catch (const std::exception&) {
      c.ms.clear();  // the timings are for the record only
    }
    return c;
  }
  return std::nullopt;
}

std::string KernelChoiceFile::store_gemm(const ChoiceKey& key, const GemmChoice& c) const {
  Json entries = Json::array();
  for (const Json& e : read_entries(path_))
    if (!matches_gemm(e, key, c.shape)) entries.push_back(e);
  Json ms = Json::object();
  for (const auto& [k, t] : c.ms) ms[ops::gemm_kernel_name(k)] = t;
  entries.push_back({{"device_uuid", key.device_uuid},
                     {"driver_version", key.driver_version},
                     {"kernels", key.kernels},
                     {"gemm", c.shape},
                     {"rows", c.rows},
                     {"kernel", ops::gemm_kernel_name(c.kernel)},
                     {"ms", ms}});
  return write_entries(path_, entries);
}

u32 timed_rows(u32 n, u32 channels) {
  const u64 cap = std::max<u64>(1, kTimedFloats / std::max<u32>(n / 2, 1));
  return static_cast<u32>(std::max<u64>(1, std::min<u64>(channels, cap)));
}

FftBackendChooser::FftBackendChooser(host::Context& ctx, KernelPolicy policy, ops::FftConvOptions ours,
                                     std::optional<std::filesystem::path> cache_file)
    : ctx_(ctx), policy_(policy), ours_(std::move(ours)) {
  ours_.backend = ops::FftBackend::Ours;
  ours_.choose_backend = nullptr;
  if (policy_ == KernelPolicy::VkFFT && !ops::vkfft_available())
    throw ops::FftConvError("kernels 'vkfft' asked for, but this build of m2vk has no VkFFT backend (vkFFT.h and glslang "
                            "were not found when it was built); use auto or ours");
  if (cache_file) file_.emplace(*cache_file);
  if (policy_ == KernelPolicy::Auto) key_ = choice_key(ctx.device_info());
}

ops::FftBackend FftBackendChooser::choose(u32 n, u32 channels) {
  if (auto it = by_n_.find(n); it != by_n_.end()) return it->second;
  FftChoice c;
  c.n = n;
  if (policy_ != KernelPolicy::Auto) {
    c.backend = policy_ == KernelPolicy::Ours ? ops::FftBackend::Ours : ops::FftBackend::VkFFT;
    c.source = "forced by --kernels";
  } else if (!ops::vkfft_available()) {
    c.source = "only candidate: this build has no VkFFT";
  } else {
    const u32 rows = timed_rows(n, channels);
    std::optional<FftChoice> hit = file_ ? file_->find(key_, n, rows) : std::nullopt;
    if (hit) {
      c = *hit;
    } else {
      c = measure(n, channels);
      // First recorded wins: if another process recorded this shape while we measured, use its
      // choice, so that every process on this device runs the same kernels (same bits).
      if (std::optional<FftChoice> other = file_ ? file_->find(key_, n, rows) : std::nullopt) {
        c = *other;
        c.source = "cache file (recorded by another process during this one's measurement)";
      } else if (file_ && c.source == "measured") {
        const std::string err = file_->store(key_, c);
        if (!err.empty()) c.source += " (not recorded: " + err + ")";
      }
    }
  }
  by_n_[n] = c.backend;
  made_.push_back(c);
  return c.backend;
}

FftChoice FftBackendChooser::measure(u32 n, u32 channels) {
  FftChoice c;
  c.n = n;
  c.rows = timed_rows(n, channels);
  const u32 L = n / 2, R = c.rows;
  const u64 bytes = u64(R) * L * 4;
  try {
    host::Buffer filt = ctx_.create_buffer(bytes), x = ctx_.create_buffer(bytes), out = ctx_.create_buffer(bytes);
    {
      host::CommandRecorder rec = ctx_.record();
      rec.fill(filt.range(), 0);
      rec.fill(x.range(), 0x3f800000u);  // 1.0f: values do not change the work
      rec.submit_and_wait();
    }
    ops::FilterInput f;
    f.kf = filt.range();
    f.channels = R;
    f.len = L;
    // Best time of one convolution of R rows: a warm-up (pipelines, VkFFT plan) first, then
    // best_time_ms.
    auto time_backend = [&](ops::FftBackend b) {
      ops::FftConvOptions o = ours_;
      o.backend = b;
      ops::FftConv op(ctx_, o);
      ops::FftConvArgs a;
      a.batch = 1;
      a.channels = R;
      a.len = L;
      a.x = ops::FftTensor::channel_major(x.range(), R, L);
      a.out = ops::FftTensor::channel_major(out.range(), R, L);
      std::shared_ptr<ops::FilterSpectrum> spec;
      {
        host::CommandRecorder rec = ctx_.record();
        spec = op.compute_spectrum(rec, f, n);
        a.spectrum = spec.get();
        op.record(rec, a);
        rec.submit_and_wait();
      }
      return best_time_ms(ctx_, kMaxReps, budget_ms_, [&](host::CommandRecorder& rec) { op.record(rec, a); });
    };
    c.ours_ms = time_backend(ops::FftBackend::Ours);
    try {
      c.vkfft_ms = time_backend(ops::FftBackend::VkFFT);
    } catch (const std::exception& e) {
      c.backend = ops::FftBackend::Ours;
      c.source = std::string("only candidate: VkFFT failed here: ") + e.what();
      return c;
    }
  } catch (const std::exception& e) {
    c.backend = ops::FftBackend::Ours;
    c.source = std::string("only candidate: timing failed: ") + e.what();
    return c;
  }
  c.backend = c.vkfft_ms < c.ours_ms ? ops::FftBackend::VkFFT : ops::FftBackend::Ours;
  c.source = "measured";
  return c;
}

GemmChooser::GemmChooser(host::Context& ctx, ops::GemmKernel forced, std::optional<std::filesystem::path> cache_file)
    : ctx_(ctx), forced_(forced) {
  if (forced_ != ops::GemmKernel::Auto) {
    if (auto missing = ops::gemm_kernel_missing(ctx.device_info(), forced_))
      throw ops::OpError(std::string("--gemm ") + ops::gemm_kernel_name(forced_) + ": cannot run on '" +
                         ctx.device_info().name + "' (" + *missing + ")");
    candidates_ = {forced_};
  } else {
    candidates_ = ops::gemm_kernel_candidates(ctx.device_info());
  }
  if (cache_file) file_.emplace(*cache_file);
  key_ = choice_key(ctx.device_info());
}

ops::GemmKernel GemmChooser::choose(const ops::GemmShape& shape) {
  const std::string cls = gemm_shape_class(shape);
  if (auto it = by_class_.find(cls); it != by_class_.end()) return it->second;
  GemmChoice c;
  c.shape = cls;
  if (forced_ != ops::GemmKernel::Auto) {
    c.kernel = forced_;
    c.source = "forced by --gemm";
  } else if (candidates_.size() == 1) {
    c.kernel = candidates_[0];
    c.source = "only candidate on this device";
  } else if (std::optional<GemmChoice> hit = file_ ? file_->find_gemm(key_, cls) : std::nullopt;
             hit && std::find(candidates_.begin(), candidates_.end(), hit->kernel) != candidates_.end()) {
    c = *hit;
  } else {
    c = measure(shape);
    // First recorded wins, as for the FFT backend: every process on this device runs the same kernels.
    if (std::optional<GemmChoice> other = file_ ? file_->find_gemm(key_, cls) : std::nullopt;
        other && std::find(candidates_.begin(), candidates_.end(), other->kernel) != candidates_.end()) {
      c = *other;
      c.source = "cache file (recorded by another process during this one's measurement)";
    } else if (file_ && c.source == "measured") {
      const std::string err = file_->store_gemm(key_, c);
      if (!err.empty()) c.source += " (not recorded: " + err + ")";
    }
  }
  by_class_[cls] = c.kernel;
  made_.push_back(c);
  return c.kernel;
}

GemmChoice GemmChooser::measure(const ops::GemmShape& shape) {
  GemmChoice c;
  c.shape = gemm_shape_class(shape);
  c.rows = gemm_timed_rows(shape, ctx_.device_info().type == host::DeviceType::Cpu);
  c.kernel = candidates_[0];
  const u32 M = c.rows, K = shape.k, N = shape.n, nb = std::max<u32>(shape.nblocks, 1);
  const bool glu = shape.epilogue == ops::Epilogue::Glu;
  const u32 ncols = glu ? N / 2 : N;
  try {
    auto buffer = [&](u64 floats) {
      host::Buffer b = ctx_.create_buffer(std::max<u64>(floats, 4) * 4);
      return b;
    };
    host::Buffer x = buffer(u64(M) * K), w = buffer(u64(N) * (K / nb)), bias = buffer(N), out = buffer(u64(M) * ncols);
    host::Buffer res = buffer(shape.epilogue == ops::Epilogue::AddResidual ? u64(M) * ncols : 1);
    host::Buffer col = buffer(N), row = buffer(M);
    {
      host::CommandRecorder rec = ctx_.record();
      // Small values (1/64): the work does not depend on them, and sin/exp stay in range.
      for (const host::Buffer* b : {&x, &w, &bias, &res, &col, &row}) rec.fill(b->range(), 0x3c800000u);
      rec.submit_and_wait();
    }
    ops::LinearWeights lw;
    lw.weight = w.range();
    lw.bias = bias.range();
    lw.in = K;
    lw.out = N;
    lw.nblocks = nb;
    const MatrixView xv = shape.x_channel_major ? MatrixView::channel_major(x.range(), 1, M, K)
                                                : MatrixView::row_major(x.range(), 1, M, K);
    const MatrixView ov = MatrixView::row_major(out.range(), 1, M, ncols);
    ops::GemmOptions o;
    o.epilogue = shape.epilogue;
    if (shape.epilogue == ops::Epilogue::AddResidual) o.residual = MatrixView::row_major(res.range(), 1, M, ncols);
    if (shape.epilogue == ops::Epilogue::Sin) o.sin_freq = col.range();
    if (shape.epilogue == ops::Epilogue::Decay) {
      o.decay_deltas = col.range();
      o.decay_t = row.range();
    }
    // Best time of one GEMM: a warm-up (pipeline creation; llvmpipe compiles at the first
    // dispatch) first, then best_time_ms over up to 3 repetitions.
    for (ops::GemmKernel k : candidates_) {
      o.kernel = k;
      auto gemm = [&](host::CommandRecorder& rec) { ops::record_linear(ctx_, rec, xv, lw, ov, o); };
      best_time_ms(ctx_, 1, 0, gemm);
      c.ms.emplace_back(k, best_time_ms(ctx_, 3, budget_ms_, gemm));
    }
  } catch (const std::exception& e) {
    c.kernel = candidates_[0];
    c.ms.clear();
    c.source = std::string("rule's choice: timing failed: ") + e.what();
    return c;
  }
  // Strictly faster to displace the rule's choice (the first candidate).
  double best = c.ms[0].second;
  for (const auto& [k, ms] : c.ms)
    if (ms < best) {
      best = ms;
      c.kernel = k;
    }
  c.source = "measured";
  return c;
}

}  // namespace m2vk::gpu
