// FftConv: argument checks, chunking to device limits, and the dispatches of our fused kernels
// (shaders/fft_conv_*.comp). The VkFFT backend lives in vkfft_conv.cpp.
#include "m2vk/ops/fft_conv.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <span>
#include <limits>
#include <string>

#include "m2vk/ops/fft_conv_span.hpp"
#include "m2vk/ops/vkfft_conv.hpp"
#include "pc/fft_conv.h"

namespace m2vk::ops {

namespace {

using host::Binding;
using host::BufferRange;
using detail::Span;
using detail::span_of;

constexpr std::uint32_t kBindings = 7;  // see shaders/include/fft_io.glsl
enum Slot : std::uint32_t { kX = 0, kA = 1, kG = 2, kOut = 3, kSpec = 4, kD = 5, kScratch = 6 };

std::string S(std::uint64_t v) { return std::to_string(v); }

// One kernel invocation set over `rows` rows: conv (x, a, g, out per row (b, c)) or kernel mode
// (x = kf, a = kr per channel row, writes spectra).
struct Job {
  const FftPlan* plan = nullptr;
  bool spectrum_mode = false;
  std::uint32_t rows = 0, channels = 0, len = 0;
  std::optional<FftTensor> t[4];  // x, a, g, out
  host::Access out_access = host::Access::Write;
  BufferRange spec;
  std::optional<BufferRange> d;
  pc::FftConvPC pc{};  // flags, strides and sizes; offsets and row_base are set per chunk
  const char* what = "fft_conv";
};

// Every slice starts where both a storage and a texel binding may (kernels read some as texels).
VkDeviceSize binding_align(const host::Limits& l) {
  return std::max<VkDeviceSize>({l.storage_offset_alignment, l.texel_offset_alignment, 16});
}

// The bindings as pipeline p declares them: slots it reads as uniform texel buffers
// (FFT_TEXEL_IN in shaders/include/fft_io.glsl) get R32F texels, the vec4 spectrum RGBA32F.
std::span<const host::Binding> bindings_for(const host::Pipeline& p, std::array<host::Binding, kBindings>& b) {
  for (std::uint32_t i = 0; i < p.binding_count; ++i)
    if (p.binding_kinds[i] == host::BindingKind::UniformTexelBuffer)
      b[i] = host::texels(b[i].range, i == kSpec ? VK_FORMAT_R32G32B32A32_SFLOAT : VK_FORMAT_R32_SFLOAT);
  return std::span<const host::Binding>(b.data(), p.binding_count);
}

void check_tensor(const char* name, const FftTensor& t, std::uint32_t batch, std::uint32_t channels,
                  std::uint32_t len) {
  if (t.range.buffer == VK_NULL_HANDLE) throw FftConvError(std::string("FFT convolution: tensor '") + name + "' is not bound");
  if (t.range.offset % 4 != 0)
    throw FftConvError(std::string("FFT convolution: tensor '") + name + "' offset " + S(t.range.offset) +
                       " is not a multiple of 4 bytes");
  std::uint64_t last = std::uint64_t(batch - 1) * t.sb + std::uint64_t(channels - 1) * t.sc + std::uint64_t(len - 1) * t.st;
  if ((last + 1) * 4 > t.range.size)
    throw FftConvError(std::string("FFT convolution: tensor '") + name + "' (B " + S(batch) + ", C " + S(channels) +
                       ", L " + S(len) + ", strides " + S(t.sb) + "/" + S(t.sc) + "/" + S(t.st) + ") needs " +
                       S((last + 1) * 4) + " bytes but its range holds " + S(t.range.size));
  if (last >= (1ull << 32))
    throw FftConvError(std::string("FFT convolution: tensor '") + name + "' spans more than 2^32 elements");
}

}  // namespace

// ---------------------------------------------------------------------------------------------

FftConv::FftConv(host::Context& ctx, FftConvOptions options)
    : ctx_(ctx), options_(options), cache_(options.spectrum_budget_bytes) {
  if (options_.backend == FftBackend::VkFFT && !options_.choose_backend) vkfft_ = std::make_unique<VkFftConv>(ctx);
}

FftBackend FftConv::backend_for(std::uint32_t n, std::uint32_t channels) {
  return options_.choose_backend ? options_.choose_backend(n, channels) : options_.backend;
}

VkFftConv& FftConv::vkfft() {
  if (!vkfft_) vkfft_ = std::make_unique<VkFftConv>(ctx_);
  return *vkfft_;
}

FftConv::~FftConv() = default;

// The register kernel needs subgroupShuffleXor (the planner checks the subgroup size).
bool FftConv::register_kernel() const { return options_.register_kernel && ctx_.device_info().subgroup_shuffle; }

std::uint64_t FftConv::scratch_bytes() const {
  std::uint64_t n = scratch_ ? scratch_.size() : 0;
  for (const auto& b : retired_scratch_) n += b.size();
  return n;
}

BufferRange FftConv::scratch(std::uint64_t bytes) {
  if (!scratch_ || scratch_.size() < bytes) {
    if (scratch_) retired_scratch_.push_back(std::move(scratch_));
    scratch_ = ctx_.create_buffer(bytes);
  }
  return scratch_.slice(0, bytes);
}

namespace {

void record_job(host::Context& ctx, host::CommandRecorder& rec, const Job& job, FftConv& op,
                const std::function<BufferRange(std::uint64_t)>& get_scratch) {
  (void)op;
  const host::Limits& lim = ctx.limits();
  const FftPlan& plan = *job.plan;
  const VkDeviceSize align = binding_align(lim);
  const std::uint64_t row_bytes = plan.spec_row_bytes();  // one row of scratch / spectrum

  const FftKernels k = fft_kernels(plan, job.spectrum_mode);
  const host::Pipeline* p_single = nullptr;
  const host::Pipeline *p_cols_fwd = nullptr, *p_rows = nullptr, *p_cols_inv = nullptr;
  if (plan.single_pass()) {
    p_single = &ctx.pipeline(k.single);
  } else {
    p_cols_fwd = &ctx.pipeline(k.cols_fwd);
    p_rows = &ctx.pipeline(k.rows);
    if (!k.cols_inv.empty()) p_cols_inv = &ctx.pipeline(k.cols_inv);
  }

  std::uint64_t max_rows = plan.single_pass() ? std::uint64_t(lim.max_workgroup_count[0]) * plan.cols : lim.max_workgroup_count[1];
  if (!plan.single_pass()) max_rows = std::min<std::uint64_t>(max_rows, lim.max_storage_range / row_bytes);
  if (max_rows == 0) throw FftConvError(std::string(job.what) + ": one row of " + S(row_bytes) + " bytes exceeds the binding limit");

  const std::uint32_t elem_len = job.len;
  // the register kernels read x, a, g (R32F) and the spectrum (RGBA32F) as texel buffers
  const std::uint64_t max_in = plan.reg ? std::min<std::uint64_t>(lim.max_storage_range, lim.max_texel_elements * 4)
                                         : lim.max_storage_range;
  const std::uint64_t max_spec = plan.reg && !job.spectrum_mode
                                     ? std::min<std::uint64_t>(lim.max_storage_range, lim.max_texel_elements * 16)
                                     : lim.max_storage_range;
  auto fits = [&](std::uint32_t r0, std::uint32_t n) {
    for (int i = 0; i < 4; ++i)
      if (job.t[i] && span_of(*job.t[i], job.channels, elem_len, r0, n, align, 4).range.size > (i == 3 ? lim.max_storage_range : max_in))
        return false;
    std::uint32_t c_lo = r0 / job.channels == (r0 + n - 1) / job.channels ? r0 % job.channels : 0;
    std::uint32_t c_hi = r0 / job.channels == (r0 + n - 1) / job.channels ? (r0 + n - 1) % job.channels : job.channels - 1;
    return std::uint64_t(c_hi - c_lo + 1) * row_bytes + align <= max_spec;
  };

  for (std::uint32_t r0 = 0; r0 < job.rows;) {
    std::uint32_t n = static_cast<std::uint32_t>(std::min<std::uint64_t>(job.rows - r0, max_rows));
    while (n > 0 && !fits(r0, n)) n /= 2;
    if (n == 0)
      throw FftConvError(std::string(job.what) + ": a single row does not fit in one storage binding (" +
                         S(lim.max_storage_range) + " bytes)");

    pc::FftConvPC pc = job.pc;
    pc.row_base = r0;
    std::array<Binding, kBindings> b{};
    // Present tensors get their span; absent ones alias x (never read: the flags say so).
    Span spans[4];
    for (int i = 0; i < 4; ++i)
      if (job.t[i]) spans[i] = span_of(*job.t[i], job.channels, elem_len, r0, n, align, 4);
    b[kX] = host::read(spans[0].range);
    b[kA] = job.t[1] ? host::read(spans[1].range) : b[kX];
    b[kG] = job.t[2] ? host::read(spans[2].range) : b[kX];
    b[kOut] = job.t[3] ? Binding{spans[3].range, job.out_access} : b[kX];
    pc.x_off = spans[0].elem_off;
    pc.a_off = job.t[1] ? spans[1].elem_off : 0;
    pc.g_off = job.t[2] ? spans[2].elem_off : 0;
    pc.out_off = job.t[3] ? spans[3].elem_off : 0;

    // spectrum rows of the channels in this chunk
    bool one_batch = r0 / job.channels == (r0 + n - 1) / job.channels;
    std::uint32_t c_lo = one_batch ? r0 % job.channels : 0;
    std::uint32_t c_hi = one_batch ? (r0 + n - 1) % job.channels : job.channels - 1;
    VkDeviceSize s_lo = job.spec.offset + std::uint64_t(c_lo) * row_bytes;
    VkDeviceSize s_start = s_lo / align * align;
    VkDeviceSize s_end = job.spec.offset + std::uint64_t(c_hi + 1) * row_bytes;
    BufferRange spec{job.spec.buffer, s_start, s_end - s_start, nullptr};
    pc.spec_off = static_cast<std::uint32_t>((job.spec.offset - s_start) / (plan.reg ? 16 : 8));
    b[kSpec] = job.spectrum_mode ? host::write(spec) : host::read(spec);
    b[kD] = job.d ? host::read(*job.d) : b[kX];

    pc.rows = n;
    if (plan.single_pass()) {
      b[kScratch] = b[kX];
      rec.dispatch(*p_single, bindings_for(*p_single, b), pc,
                   {host::div_up(n, plan.cols), 1, 1}, job.what);
    } else {
      BufferRange scr = get_scratch(std::uint64_t(n) * row_bytes);
      b[kScratch] = host::read_write(scr);
      host::Groups cols_groups{plan.m2 / plan.cols, n, 1};
      rec.dispatch(*p_cols_fwd, std::span<const Binding>(b.data(), p_cols_fwd->binding_count), pc, cols_groups,
                   job.what);
      rec.dispatch(*p_rows, std::span<const Binding>(b.data(), p_rows->binding_count), pc, {plan.m1 / 2, n, 1},
                   job.what);
      if (p_cols_inv)
        rec.dispatch(*p_cols_inv, std::span<const Binding>(b.data(), p_cols_inv->binding_count), pc, cols_groups,
                     job.what);
    }
    r0 += n;
  }
}

pc::FftConvPC base_pc(const FftPlan& plan, std::uint32_t len, std::uint32_t channels) {
  pc::FftConvPC pc{};
  pc.n = plan.n;
  pc.m1 = plan.m1;
  pc.m2 = plan.m2;
  pc.len = len;
  pc.channels = channels;
  pc.cols = plan.cols;
  return pc;
}

}  // namespace

std::shared_ptr<FilterSpectrum> FftConv::compute_spectrum(host::CommandRecorder& rec, const FilterInput& f,
                                                          std::uint32_t n) {
  if (f.channels == 0 || f.len == 0)
    throw FftConvError("FFT convolution spectrum: filter has " + S(f.channels) + " channels and length " + S(f.len));
  if (n == 0) n = fft_size_for(f.len);
  if (std::uint64_t(f.len) * 2 > n)
    throw FftConvError("FFT convolution spectrum: FFT size " + S(n) + " is below 2 * filter length " + S(f.len));
  if (backend_for(n, f.channels) == FftBackend::VkFFT) return vkfft().compute_spectrum(rec, f, n);

  std::uint32_t stride = f.stride ? f.stride : f.len;
  if (f.tap_stride == 0) throw FftConvError("FFT convolution spectrum: filter tap stride is 0");
  auto spec = std::make_shared<FilterSpectrum>();
  spec->backend = FftBackend::Ours;
  spec->plan = plan_for(n);
  spec->channels = f.channels;
  spec->len = f.len;
  spec->bidirectional = f.kr.has_value();
  spec->buffer = ctx_.create_buffer(std::uint64_t(f.channels) * spectrum_row_bytes(spec->plan, FftBackend::Ours));

  FftTensor kf{f.kf, 0, stride, f.tap_stride};
  check_tensor("kf", kf, 1, f.channels, f.len);
  Job job;
  job.plan = &spec->plan;
  job.spectrum_mode = true;
  job.rows = f.channels;
  job.channels = f.channels;
  job.len = f.len;
  job.t[0] = kf;
  if (f.kr) {
    FftTensor kr{*f.kr, 0, stride, f.tap_stride};
    check_tensor("kr", kr, 1, f.channels, f.len);
    job.t[1] = kr;
  }
  job.spec = spec->buffer.range();
  job.pc = base_pc(spec->plan, f.len, f.channels);
  job.pc.flags = f.kr ? M2VK_FFT_BIDIR : 0u;
  job.pc.filt_sc = stride;
  job.pc.filt_st = f.tap_stride;
  job.what = "fft_conv_spectrum";
  record_job(ctx_, rec, job, *this, [this](std::uint64_t bytes) { return scratch(bytes); });
  return spec;
}

std::shared_ptr<const FilterSpectrum> FftConv::spectrum(host::CommandRecorder& rec, const std::string& key,
                                                        const FilterInput& filter, std::uint32_t n) {
  if (n == 0) n = fft_size_for(filter.len);
  if (auto hit = cache_.find(key, n, backend_for(n, filter.channels))) {
    if (hit->channels == filter.channels && hit->len >= filter.len && hit->bidirectional == filter.kr.has_value())
      return hit;
  }
  std::shared_ptr<const FilterSpectrum> s = compute_spectrum(rec, filter, n);
  cache_.insert(key, s);
  return s;
}

void FftConv::record(host::CommandRecorder& rec, const FftConvArgs& a) {
  if (a.batch == 0 || a.channels == 0 || a.len == 0)
    throw FftConvError("FFT convolution: empty shape (B " + S(a.batch) + ", C " + S(a.channels) + ", L " + S(a.len) + ")");
  if (!a.spectrum) throw FftConvError("FFT convolution: no filter spectrum given");
  const FilterSpectrum& s = *a.spectrum;
  if (!options_.choose_backend && s.backend != options_.backend)
    throw FftConvError("FFT convolution: spectrum was made for the other backend");
  if (s.channels != a.channels)
    throw FftConvError("FFT convolution: spectrum has " + S(s.channels) + " channels, input has " + S(a.channels));
  if (a.len > s.len)
    throw FftConvError("FFT convolution: input length " + S(a.len) + " exceeds the filter length " + S(s.len) +
                       " of the spectrum");
  if (std::uint64_t(a.batch) * a.channels > std::numeric_limits<std::uint32_t>::max())
    throw FftConvError("FFT convolution: too many rows");
  check_tensor("x", a.x, a.batch, a.channels, a.len);
  check_tensor("out", a.out, a.batch, a.channels, a.len);
  for (const auto* g : {&a.pregate, &a.postgate}) {
    if (!*g) continue;
    const char* name = g == &a.pregate ? "pregate" : "postgate";
    check_tensor(name, **g, a.batch, a.channels, a.len);
    if ((*g)->sb != a.x.sb || (*g)->sc != a.x.sc || (*g)->st != a.x.st)
      throw FftConvError(std::string("FFT convolution: ") + name + " strides differ from x's");
  }
  if (a.d && a.d->size < std::uint64_t(a.channels) * 4)
    throw FftConvError("FFT convolution: D holds " + S(a.d->size) + " bytes, needs " + S(std::uint64_t(a.channels) * 4));
  if (s.backend == FftBackend::VkFFT) {
    vkfft().record(rec, a);
    return;
  }
  record_ours(rec, a);
}

void FftConv::record_ours(host::CommandRecorder& rec, const FftConvArgs& a) {
  const FilterSpectrum& s = *a.spectrum;
  Job job;
  job.plan = &s.plan;
  job.rows = a.batch * a.channels;
  job.channels = a.channels;
  job.len = a.len;
  job.t[0] = a.x;
  job.t[1] = a.pregate;
  job.t[2] = a.postgate;
  job.t[3] = a.out;
  job.out_access = a.accumulate ? host::Access::ReadWrite : host::Access::Write;
  job.spec = s.buffer.range();
  job.d = a.d;
  job.pc = base_pc(s.plan, a.len, a.channels);
  job.pc.flags = (a.pregate ? M2VK_FFT_PREGATE : 0u) | (a.postgate ? M2VK_FFT_POSTGATE : 0u) |
                 (a.accumulate ? M2VK_FFT_ACCUM : 0u) | (a.d ? M2VK_FFT_HAS_D : 0u);
  job.pc.in_sb = static_cast<std::uint32_t>(a.x.sb);
  job.pc.in_sc = static_cast<std::uint32_t>(a.x.sc);
  job.pc.in_st = static_cast<std::uint32_t>(a.x.st);
  job.pc.out_sb = static_cast<std::uint32_t>(a.out.sb);
  job.pc.out_sc = static_cast<std::uint32_t>(a.out.sc);
  job.pc.out_st = static_cast<std::uint32_t>(a.out.st);
  record_job(ctx_, rec, job, *this, [this](std::uint64_t bytes) { return scratch(bytes); });
}

void FftConv::warm_up(std::uint32_t n) {
  if (options_.backend == FftBackend::VkFFT && !options_.choose_backend) {
    vkfft().warm_up(n);
    return;
  }
  for (bool spectrum_mode : {false, true})
    for (const std::string& v : pipelines(n, spectrum_mode)) ctx_.pipeline(v);
}

FftPlan FftConv::plan_for(std::uint32_t n) const {
  return make_fft_plan(n, ctx_.limits(), options_.max_single, register_kernel(), options_.wide_register_kernel);
}

FftPlan FftConv::spectrum_plan(std::uint32_t n, FftBackend backend) const {
  return backend == FftBackend::Ours ? plan_for(n) : vkfft_spectrum_plan(n);
}

std::vector<std::string> FftConv::pipelines(std::uint32_t n, bool spectrum_mode) const {
  if (options_.backend == FftBackend::VkFFT) return vkfft_pipelines(spectrum_mode);
  return fft_kernels(plan_for(n), spectrum_mode).all();
}

// ---------------------------------------------------------------------------------------------

std::shared_ptr<const FilterSpectrum> SpectrumCache::find(const std::string& key, std::uint32_t n, FftBackend backend) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->key == key && it->n == n && it->backend == backend) {
      entries_.splice(entries_.begin(), entries_, it);
      return entries_.front().spectrum;
    }
  }
  return nullptr;
}

void SpectrumCache::insert(const std::string& key, std::shared_ptr<const FilterSpectrum> spectrum) {
  if (!spectrum) return;
  std::uint32_t n = spectrum->plan.n;
  FftBackend backend = spectrum->backend;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->key == key && it->n == n && it->backend == backend) {
      bytes_ -= it->spectrum->bytes();
      entries_.erase(it);
      break;
    }
  }
  bytes_ += spectrum->bytes();
  entries_.push_front(Entry{key, n, backend, std::move(spectrum)});
  while (bytes_ > budget_ && entries_.size() > 1) {
    bytes_ -= entries_.back().spectrum->bytes();
    entries_.pop_back();
    ++evictions_;
  }
}

void SpectrumCache::clear() {
  entries_.clear();
  bytes_ = 0;
}

}  // namespace m2vk::ops
