// Device memory blocks and first-fit sub-allocation with coalescing free lists.
#include "allocator.hpp"

#include <algorithm>
#include <string>

#include "m2vk/host/error.hpp"

namespace m2vk::host::detail {
namespace {

VkDeviceSize align_up(VkDeviceSize v, VkDeviceSize a) { return (v + a - 1) / a * a; }

std::string mib(VkDeviceSize bytes) {
  return std::to_string(bytes) + " bytes (" + std::to_string(static_cast<double>(bytes) / (1024.0 * 1024.0)) + " MiB)";
}

const char* kind_name(MemoryKind kind) { return kind == MemoryKind::DeviceLocal ? "device-local" : "host-visible"; }

}  // namespace

Allocator::Allocator(VkDevice device, VkPhysicalDevice physical, const DeviceInfo& info, VkDeviceSize block_size)
    : device_(device), info_(info), block_size_(block_size) {
  vkGetPhysicalDeviceMemoryProperties(physical, &mem_);
  // 64 bytes also covers nonCoherentAtomSize on common devices and keeps vec4 loads aligned;
  // buffers also start on texel-buffer offset alignment, so a whole buffer binds as texels.
  alignment_ = std::max<VkDeviceSize>({info.min_storage_buffer_offset_alignment, info.min_texel_buffer_offset_alignment, 64});
  if (block_size_ < (1u << 20)) block_size_ = 1u << 20;
}

Allocator::~Allocator() {
  for (auto& b : blocks_) destroy_block(b.get());
}

std::uint32_t Allocator::memory_type(std::uint32_t type_bits, MemoryKind kind) const {
  VkMemoryPropertyFlags need = kind == MemoryKind::DeviceLocal
                                   ? VkMemoryPropertyFlags{0}
                                   : VkMemoryPropertyFlags{VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT};
  VkMemoryPropertyFlags want = kind == MemoryKind::DeviceLocal ? VkMemoryPropertyFlags{VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT}
                                                               : VkMemoryPropertyFlags{VK_MEMORY_PROPERTY_HOST_CACHED_BIT};
  std::uint32_t best = UINT32_MAX;
  for (std::uint32_t i = 0; i < mem_.memoryTypeCount; ++i) {
    if (!(type_bits & (1u << i))) continue;
    VkMemoryPropertyFlags f = mem_.memoryTypes[i].propertyFlags;
    if ((f & need) != need) continue;
    if ((f & want) == want) return i;
    if (best == UINT32_MAX) best = i;
  }
  if (best == UINT32_MAX)
    throw HostError(std::string("no Vulkan memory type suitable for ") + kind_name(kind) + " buffers on " + info_.name);
  return best;
}

Block* Allocator::new_block(VkDeviceSize size, MemoryKind kind, bool dedicated) {
  auto block = std::make_unique<Block>();
  block->size = size;
  block->kind = kind;
  block->dedicated = dedicated;
  std::string what = std::string(kind_name(kind)) + " buffer of " + mib(size);
  VkBufferCreateInfo bci{};
  bci.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  bci.size = size;
  // Uniform texel buffers: some kernels read through texel fetches, which lavapipe compiles to
  // unrolled gathers where it compiles storage-buffer loads to a per-lane loop.
  bci.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
              VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  bci.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  check(vkCreateBuffer(device_, &bci, nullptr, &block->buffer), "vkCreateBuffer", what);
  try {
    VkMemoryRequirements req{};
    vkGetBufferMemoryRequirements(device_, block->buffer, &req);
    VkMemoryAllocateInfo mai{};
    mai.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
    mai.allocationSize = req.size;
    mai.memoryTypeIndex = memory_type(req.memoryTypeBits, kind);
    check(vkAllocateMemory(device_, &mai, nullptr, &block->memory), "vkAllocateMemory", what);
    check(vkBindBufferMemory(device_, block->buffer, block->memory, 0), "vkBindBufferMemory", what);
    // Only host-visible buffers are mapped: device-local ones always go through staging, even
    // on unified-memory devices, so one code path is exercised everywhere.
    if (kind == MemoryKind::HostVisible) {
      void* p = nullptr;
      check(vkMapMemory(device_, block->memory, 0, VK_WHOLE_SIZE, 0, &p), "vkMapMemory", what);
      block->mapped = static_cast<std::byte*>(p);
    }
  } catch (...) {
    destroy_block(block.get());
    throw;
  }
  block->free[0] = size;
  blocks_.push_back(std::move(block));
  return blocks_.back().get();
}

void Allocator::destroy_block(Block* block) noexcept {
  for (const auto& [key, view] : block->views) vkDestroyBufferView(device_, view, nullptr);
  block->views.clear();
  if (block->buffer) vkDestroyBuffer(device_, block->buffer, nullptr);
  if (block->memory) vkFreeMemory(device_, block->memory, nullptr);  // unmaps too
  block->buffer = VK_NULL_HANDLE;
  block->memory = VK_NULL_HANDLE;
}

Buffer Allocator::allocate(VkDeviceSize size, MemoryKind kind) {
  if (size == 0) throw HostError("cannot create an empty (0-byte) buffer");
  if (size > info_.max_memory_allocation_size)
    throw HostError("buffer of " + mib(size) + " exceeds the device's maximum allocation size of " +
                    mib(info_.max_memory_allocation_size) + " on " + info_.name + "; split the tensor into several buffers");
  VkDeviceSize heap = 0;
  for (const auto& h : info_.memory_heaps) heap = std::max(heap, h.size);
  if (size > heap)
    throw HostError("buffer of " + mib(size) + " exceeds the largest memory heap (" + mib(heap) + ") of " + info_.name);

  const VkDeviceSize reserved = align_up(size, alignment_);
  Block* block = nullptr;
  VkDeviceSize offset = 0;
  if (reserved > block_size_ / 2) {
    block = new_block(reserved, kind, true);
    block->free.clear();
  } else {
    for (auto& b : blocks_) {
      if (b->dedicated || b->kind != kind) continue;
      for (auto it = b->free.begin(); it != b->free.end(); ++it) {
        if (it->second < reserved) continue;  // free offsets are always aligned
        block = b.get();
        offset = it->first;
        VkDeviceSize rest = it->second - reserved;
        b->free.erase(it);
        if (rest) block->free[offset + reserved] = rest;
        break;
      }
      if (block) break;
    }
    if (!block) {
      block = new_block(block_size_, kind, false);
      block->free.clear();
      if (block_size_ > reserved) block->free[reserved] = block_size_ - reserved;
    }
  }
  block->live++;

  Buffer buf;
  buf.allocator_ = this;
  buf.allocation_ = new Allocation{block, offset, reserved};
  buf.kind_ = kind;
  buf.range_.buffer = block->buffer;
  buf.range_.offset = offset;
  buf.range_.size = size;
  buf.range_.mapped = block->mapped ? block->mapped + offset : nullptr;
  return buf;
}

void Allocator::release(Allocation* a) noexcept {
  Block* b = a->block;
  b->live--;
  // Views of the released bytes: a later allocation there would reuse them safely, but keeping
  // them would let the cache grow without bound over many short-lived buffers.
  for (auto it = b->views.lower_bound({a->offset, 0, VK_FORMAT_UNDEFINED});
       it != b->views.end() && std::get<0>(it->first) < a->offset + a->size;) {
    vkDestroyBufferView(device_, it->second, nullptr);
    it = b->views.erase(it);
  }
  if (!b->dedicated) {
    auto [it, inserted] = b->free.emplace(a->offset, a->size);
    (void)inserted;
    auto next = std::next(it);
    if (next != b->free.end() && it->first + it->second == next->first) {
      it->second += next->second;
      b->free.erase(next);
    }
    if (it != b->free.begin()) {
      auto prev = std::prev(it);
      if (prev->first + prev->second == it->first) {
        prev->second += it->second;
        b->free.erase(it);
      }
    }
  }
  delete a;
  // Empty dedicated blocks go back at once; keep one empty shared block per kind for reuse.
  if (b->live == 0) {
    bool keep = !b->dedicated;
    if (keep) {
      for (auto& other : blocks_)
        if (other.get() != b && !other->dedicated && other->kind == b->kind && other->live == 0) keep = false;
    }
    if (!keep) {
      destroy_block(b);
      blocks_.erase(std::find_if(blocks_.begin(), blocks_.end(), [b](const auto& p) { return p.get() == b; }));
    }
  }
}

VkBufferView Allocator::texel_view(const BufferRange& range, VkFormat format) {
  Block* block = nullptr;
  for (auto& b : blocks_)
    if (b->buffer == range.buffer) block = b.get();
  if (!block || range.offset + range.size > block->size)
    throw HostError("texel view of [" + std::to_string(range.offset) + ", +" + std::to_string(range.size) +
                    "): not a range of a buffer created by this Context");
  const auto key = std::make_tuple(range.offset, range.size, format);
  auto it = block->views.find(key);
  if (it != block->views.end()) return it->second;
  VkBufferViewCreateInfo ci{};
  ci.sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO;
  ci.buffer = range.buffer;
  ci.format = format;
  ci.offset = range.offset;
  ci.range = range.size;
  VkBufferView view = VK_NULL_HANDLE;
  check(vkCreateBufferView(device_, &ci, nullptr, &view), "vkCreateBufferView",
        "offset " + std::to_string(range.offset) + ", " + std::to_string(range.size) + " bytes, format " + std::to_string(format));
  block->views.emplace(key, view);
  return view;
}

std::size_t Allocator::view_count() const {
  std::size_t n = 0;
  for (const auto& b : blocks_) n += b->views.size();
  return n;
}

}  // namespace m2vk::host::detail
