// VkFFT backend of FftConv (see vkfft_conv.hpp): pack -> VkFFT R2C -> product -> VkFFT C2R -> epilogue.
#include "m2vk/ops/vkfft_conv.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "m2vk/ops/fft_conv_span.hpp"
#include "pc/fft_conv.h"

#if defined(M2VK_HAVE_VKFFT)
#define VKFFT_BACKEND 0
#include <vkFFT.h>
#endif

namespace m2vk::ops {

#if !defined(M2VK_HAVE_VKFFT)

bool vkfft_available() { return false; }
int vkfft_version() { return 0; }
struct VkFftConv::Plan {};
struct VkFftConv::Vk {};
VkFftConv::VkFftConv(host::Context& ctx) : ctx_(ctx) {
  throw FftConvError("FFT convolution: this build has no VkFFT backend (libvkfft-dev and glslang-dev missing)");
}
VkFftConv::~VkFftConv() = default;
std::shared_ptr<FilterSpectrum> VkFftConv::compute_spectrum(host::CommandRecorder&, const FilterInput&, std::uint32_t) {
  return nullptr;
}
void VkFftConv::record(host::CommandRecorder&, const FftConvArgs&) {}
void VkFftConv::warm_up(std::uint32_t) {}

#else

bool vkfft_available() { return true; }
int vkfft_version() { return VkFFTGetVersion(); }

namespace {
std::string S(std::uint64_t v) { return std::to_string(v); }
}  // namespace

struct VkFftConv::Vk {
  VkDevice device = VK_NULL_HANDLE;
  VkCommandPool pool = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  ~Vk() {
    if (fence) vkDestroyFence(device, fence, nullptr);
    if (pool) vkDestroyCommandPool(device, pool, nullptr);
  }
};

// A VkBuffer of its own (offset 0) for VkFFT: VkFFT 1.2.26 handles a bufferOffset inside a
// larger VkBuffer (our sub-allocated buffers) wrongly for multi-kernel sizes.
struct OwnBuffer {
  VkDevice device = VK_NULL_HANDLE;
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkDeviceSize size = 0;
  OwnBuffer() = default;
  OwnBuffer(const OwnBuffer&) = delete;
  OwnBuffer& operator=(const OwnBuffer&) = delete;
  ~OwnBuffer() {
    if (buffer) vkDestroyBuffer(device, buffer, nullptr);
    if (memory) vkFreeMemory(device, memory, nullptr);
  }
  host::BufferRange range() const { return host::BufferRange{buffer, 0, size, nullptr}; }
  void create(host::Context& ctx, VkDeviceSize bytes) {
    device = ctx.device();
    size = bytes;
    VkBufferCreateInfo bci{};
    bci.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
    bci.size = bytes;
    bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    host::check(vkCreateBuffer(device, &bci, nullptr, &buffer), "vkCreateBuffer", "VkFFT work buffer");
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device, buffer, &req);
    VkPhysicalDeviceMemoryProperties props;
    vkGetPhysicalDeviceMemoryProperties(ctx.physical_device(), &props);
    std::uint32_t type = UINT32_MAX;
    for (std::uint32_t i = 0; i < props.memoryTypeCount && type == UINT32_MAX; ++i)
      if ((req.memoryTypeBits & (1u << i)) && (props.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT))
        type = i;
    for (std::uint32_t i = 0; i < props.memoryTypeCount && type == UINT32_MAX; ++i)
      if (req.memoryTypeBits & (1u << i)) type = i;
    VkMemoryAllocateInfo mai{};
    mai.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
    mai.allocationSize = req.size;
    mai.memoryTypeIndex = type;
    host::check(vkAllocateMemory(device, &mai, nullptr, &memory), "vkAllocateMemory",
                "VkFFT work buffer of " + S(bytes) + " bytes");
    host::check(vkBindBufferMemory(device, buffer, memory, 0), "vkBindBufferMemory", "VkFFT work buffer");
  }
};

struct VkFftConv::Plan {
  std::uint32_t n = 0, rows = 0;
  OwnBuffer work;  // rows * (n + 2) floats: VkFFT's in-place R2C layout
  std::uint64_t buffer_size = 0;
  // VkFFT keeps pointers to these handles (not copies), so they live here, at fixed addresses.
  VkBuffer vk_buffer = VK_NULL_HANDLE;
  VkPhysicalDevice physical_device = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  VkCommandPool pool = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  VkFFTApplication app{};
  bool initialized = false;
  ~Plan() {
    if (initialized) deleteVkFFT(&app);
  }
};

VkFftConv::VkFftConv(host::Context& ctx) : ctx_(ctx), vk_(std::make_unique<Vk>()) {
  vk_->device = ctx.device();
  VkCommandPoolCreateInfo pci{};
  pci.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
  pci.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pci.queueFamilyIndex = ctx.queue_family();
  host::check(vkCreateCommandPool(vk_->device, &pci, nullptr, &vk_->pool), "vkCreateCommandPool", "VkFFT backend");
  VkFenceCreateInfo fci{};
  fci.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
  host::check(vkCreateFence(vk_->device, &fci, nullptr, &vk_->fence), "vkCreateFence", "VkFFT backend");
}

VkFftConv::~VkFftConv() {
  plans_.clear();
  vk_.reset();
}

std::uint32_t VkFftConv::max_rows(std::uint32_t n) const {
  std::uint64_t row_bytes = (std::uint64_t(n) + 2) * 4;
  std::uint64_t rows = ctx_.limits().max_storage_range / row_bytes;
  if (rows == 0)
    throw FftConvError("FFT convolution (VkFFT): one row of " + S(row_bytes) + " bytes exceeds the binding limit");
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(rows, ctx_.limits().max_workgroup_count[1]));
}

VkFftConv::Plan& VkFftConv::plan(std::uint32_t n, std::uint32_t rows) {
  auto& slot = plans_[{n, rows}];
  if (slot) return *slot;
  auto p = std::make_unique<Plan>();
  p->n = n;
  p->rows = rows;
  p->buffer_size = std::uint64_t(rows) * (n + 2) * 4;
  p->work.create(ctx_, p->buffer_size);
  p->vk_buffer = p->work.buffer;
  p->physical_device = ctx_.physical_device();
  p->device = ctx_.device();
  p->queue = ctx_.queue();
  p->pool = vk_->pool;
  p->fence = vk_->fence;

  VkFFTConfiguration c{};
  c.FFTdim = 1;
  c.size[0] = n;
  c.numberBatches = rows;
  c.performR2C = 1;
  c.physicalDevice = &p->physical_device;
  c.device = &p->device;
  c.queue = &p->queue;
  c.commandPool = &p->pool;
  c.fence = &p->fence;
  c.buffer = &p->vk_buffer;
  c.bufferSize = &p->buffer_size;
  VkFFTResult r = initializeVkFFT(&p->app, c);
  if (r != VKFFT_SUCCESS)
    throw FftConvError("FFT convolution (VkFFT): initializeVkFFT failed with VkFFTResult " + S(std::uint64_t(r)) +
                       " for size " + S(n) + ", " + S(rows) + " rows");
  p->initialized = true;
  slot = std::move(p);
  return *slot;
}

void VkFftConv::warm_up(std::uint32_t n) { plan(n, max_rows(n)); }

namespace {

constexpr std::uint32_t kBindings = 7;  // shaders/include/fft_io.glsl

void dispatch(host::CommandRecorder& rec, const host::Pipeline& p, const std::array<host::Binding, kBindings>& b,
              const pc::FftConvPC& pc, host::Groups g, const char* name) {
  rec.dispatch(p, std::span<const host::Binding>(b.data(), p.binding_count), pc, g, name);
}

void append_fft(host::CommandRecorder& rec, VkFftConv::Plan& p, int inverse);

}  // namespace

std::shared_ptr<FilterSpectrum> VkFftConv::compute_spectrum(host::CommandRecorder& rec, const FilterInput& f,
                                                            std::uint32_t n) {
  std::uint32_t stride = f.stride ? f.stride : f.len;
  const std::uint64_t extent = std::uint64_t(f.channels - 1) * stride + std::uint64_t(f.len - 1) * f.tap_stride + 1;
  if (extent * 4 > ctx_.limits().max_storage_range)
    throw FftConvError("FFT convolution (VkFFT): filter table exceeds one binding");
  // Channels in equal slices of at most one binding each, so one plan serves them all.
  std::uint32_t per = max_rows(n);
  std::uint32_t slices = (f.channels + per - 1) / per;
  std::uint32_t rows = (f.channels + slices - 1) / slices;
  Plan& p = plan(n, rows);
  auto spec = std::make_shared<FilterSpectrum>();
  spec->backend = FftBackend::VkFFT;
  spec->plan = vkfft_spectrum_plan(n);
  const std::uint64_t row_bytes = spectrum_row_bytes(spec->plan, FftBackend::VkFFT);
  spec->channels = f.channels;
  spec->len = f.len;
  spec->bidirectional = f.kr.has_value();
  spec->buffer = ctx_.create_buffer(std::uint64_t(f.channels) * row_bytes);

  pc::FftConvPC pc{};
  pc.n = n;
  pc.len = f.len;
  pc.channels = f.channels;
  pc.flags = f.kr ? M2VK_FFT_BIDIR : 0u;
  pc.filt_sc = stride;
  pc.filt_st = f.tap_stride;
  std::array<host::Binding, kBindings> b{};
  b.fill(host::read(f.kf));
  if (f.kr) b[1] = host::read(*f.kr);
  b[6] = host::write(p.work.range());
  for (std::uint32_t c0 = 0; c0 < f.channels; c0 += rows) {
    std::uint32_t count = std::min(rows, f.channels - c0);
    pc.row_base = c0;
    dispatch(rec, ctx_.pipeline(kVkfftPackKernel), b, pc, {host::div_up(n / 2 + 1, 256), count, 1},
             "vkfft_pack_kernel");
    append_fft(rec, p, -1);
    rec.copy(p.work.range().slice(0, count * row_bytes), spec->buffer.slice(c0 * row_bytes, count * row_bytes),
             "vkfft_spectrum_copy");
  }
  return spec;
}

void VkFftConv::record(host::CommandRecorder& rec, const FftConvArgs& a) {
  const std::uint32_t n = a.spectrum->plan.n;
  const std::uint64_t total = std::uint64_t(a.batch) * a.channels, maxr = max_rows(n), C = a.channels;
  // Rows per slice, equal so one plan serves all slices (a short last one runs idle rows). A
  // slice must not wrap from channel C-1 to channel 0 unless it holds whole batches: its spectra
  // are bound as one contiguous channel range, and all C channels' spectra may exceed a binding
  // (768 channels at N = 65536: 201 MB).
  std::uint64_t rows64 = total;
  const bool within_batch = total > maxr && C > maxr;
  if (within_batch) {
    const std::uint64_t per_batch = (C + maxr - 1) / maxr;
    rows64 = (C + per_batch - 1) / per_batch;
  } else if (total > maxr) {
    rows64 = (maxr / C) * C;  // whole batches
  }
  const std::uint32_t rows = static_cast<std::uint32_t>(rows64);
  Plan& p = plan(n, rows);
  const VkDeviceSize align = std::max<VkDeviceSize>(ctx_.limits().storage_offset_alignment, 16);

  pc::FftConvPC pc{};
  pc.n = n;
  pc.len = a.len;
  pc.channels = a.channels;
  pc.flags = (a.pregate ? M2VK_FFT_PREGATE : 0u) | (a.postgate ? M2VK_FFT_POSTGATE : 0u) |
             (a.accumulate ? M2VK_FFT_ACCUM : 0u) | (a.d ? M2VK_FFT_HAS_D : 0u);
  pc.in_sb = static_cast<std::uint32_t>(a.x.sb);
  pc.in_sc = static_cast<std::uint32_t>(a.x.sc);
  pc.in_st = static_cast<std::uint32_t>(a.x.st);
  pc.out_sb = static_cast<std::uint32_t>(a.out.sb);
  pc.out_sc = static_cast<std::uint32_t>(a.out.sc);
  pc.out_st = static_cast<std::uint32_t>(a.out.st);

  std::array<host::Binding, kBindings> b{};
  // the spectrum as a (1, C, N/2 + 1) tensor of complex values, sliced like the others
  FftTensor spec_t{a.spectrum->buffer.range(), 0, n / 2 + 1, 1};
  if (a.d) b[5] = host::read(*a.d);
  b[6] = host::read_write(p.work.range());

  const host::Pipeline& pack = ctx_.pipeline(kVkfftPack);
  const host::Pipeline& mul = ctx_.pipeline(kVkfftMul);
  const host::Pipeline& unpack = ctx_.pipeline(kVkfftUnpack);
  for (std::uint64_t r0 = 0, count64 = 0; r0 < total; r0 += count64) {
    count64 = std::min<std::uint64_t>(rows, within_batch ? C - r0 % C : total - r0);
    const std::uint32_t count = static_cast<std::uint32_t>(count64);
    pc.row_base = static_cast<std::uint32_t>(r0);
    // Bind only the slices of the tensors these rows touch (tensors may exceed one binding).
    auto sp = [&](const FftTensor& t) {
      detail::Span s = detail::span_of(t, a.channels, a.len, pc.row_base, count, align, 4);
      if (s.range.size > ctx_.limits().max_storage_range)
        throw FftConvError("FFT convolution (VkFFT): a slice of " + S(count) + " rows exceeds one binding");
      return s;
    };
    detail::Span sx = sp(a.x);
    pc.x_off = sx.elem_off;
    b[0] = b[1] = b[2] = host::read(sx.range);
    if (!a.d) b[5] = b[0];
    if (a.pregate) {
      detail::Span s = sp(*a.pregate);
      b[1] = host::read(s.range);
      pc.a_off = s.elem_off;
    }
    if (a.postgate) {
      detail::Span s = sp(*a.postgate);
      b[2] = host::read(s.range);
      pc.g_off = s.elem_off;
    }
    detail::Span ss = detail::span_of(spec_t, a.channels, n / 2 + 1, pc.row_base, count, align, 8);
    if (ss.range.size > ctx_.limits().max_storage_range)
      throw FftConvError("FFT convolution (VkFFT): the spectra of one slice exceed one binding");
    b[4] = host::read(ss.range);
    pc.spec_off = ss.elem_off;
    detail::Span so = sp(a.out);
    b[3] = a.accumulate ? host::read_write(so.range) : host::write(so.range);
    pc.out_off = so.elem_off;
    if (count < rows) rec.fill(p.work.range(), 0, "vkfft_clear_idle_rows");
    dispatch(rec, pack, b, pc, {host::div_up(n / 2 + 1, 256), count, 1}, "vkfft_pack");
    append_fft(rec, p, -1);
    dispatch(rec, mul, b, pc, {host::div_up(n / 2 + 1, 256), count, 1}, "vkfft_mul");
    append_fft(rec, p, 1);
    dispatch(rec, unpack, b, pc, {host::div_up(a.len, 256), count, 1}, "vkfft_unpack");
  }
}

namespace {

void append_fft(host::CommandRecorder& rec, VkFftConv::Plan& p, int inverse) {
  // A named op of its own, so profiles (--profile) and the FFT chooser's timestamps see VkFFT's
  // passes too.
  rec.begin_external(inverse == -1 ? "vkfft_forward" : "vkfft_inverse", {host::read_write(p.work.range())});
  VkCommandBuffer cmd = rec.command_buffer();
  VkFFTLaunchParams lp{};
  lp.commandBuffer = &cmd;
  lp.buffer = &p.vk_buffer;
  VkFFTResult r = VkFFTAppend(&p.app, inverse, &lp);
  rec.end_external();
  if (r != VKFFT_SUCCESS)
    throw FftConvError("FFT convolution (VkFFT): VkFFTAppend failed with VkFFTResult " + S(std::uint64_t(r)) +
                       " (size " + S(p.n) + ")");
}

}  // namespace

#endif

}  // namespace m2vk::ops
