// Internal: device memory sub-allocation. Memory comes in large blocks (one VkBuffer spanning
// each block), handed out as aligned ranges; buffers bigger than half a block get a block of
// their own. This keeps vkAllocateMemory calls few (drivers cap them, e.g. 4096) and binding
// offsets aligned to minStorageBufferOffsetAlignment.
#pragma once

#include <vulkan/vulkan.h>

#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "m2vk/host/buffer.hpp"
#include "m2vk/host/device_info.hpp"

namespace m2vk::host::detail {

struct Block {
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize size = 0;
  std::byte* mapped = nullptr;
  MemoryKind kind = MemoryKind::DeviceLocal;
  bool dedicated = false;
  std::map<VkDeviceSize, VkDeviceSize> free;  // offset -> size of each free range
  std::size_t live = 0;  // allocations handed out
  // Texel-buffer views into this block, by (offset, range, format); destroyed with the block, or
  // when the allocation they lie in is released.
  std::map<std::tuple<VkDeviceSize, VkDeviceSize, VkFormat>, VkBufferView> views;
};

struct Allocation {
  Block* block = nullptr;
  VkDeviceSize offset = 0;
  VkDeviceSize size = 0;  // reserved bytes (aligned)
};

class Allocator {
 public:
  Allocator(VkDevice device, VkPhysicalDevice physical, const DeviceInfo& info, VkDeviceSize block_size);
  ~Allocator();
  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;

  Buffer allocate(VkDeviceSize size, MemoryKind kind);
  void release(Allocation* allocation) noexcept;
  // A cached VkBufferView of `range` read as `format`. Throws HostError when the range is not
  // inside a buffer of this allocator, VulkanError when the view cannot be created.
  VkBufferView texel_view(const BufferRange& range, VkFormat format);
  std::size_t view_count() const;
  VkDeviceSize alignment() const { return alignment_; }
  std::size_t block_count() const { return blocks_.size(); }

 private:
  Block* new_block(VkDeviceSize size, MemoryKind kind, bool dedicated);
  void destroy_block(Block* block) noexcept;
  std::uint32_t memory_type(std::uint32_t type_bits, MemoryKind kind) const;

  VkDevice device_;
  VkPhysicalDeviceMemoryProperties mem_{};
  const DeviceInfo& info_;
  VkDeviceSize block_size_;
  VkDeviceSize alignment_;
  std::vector<std::unique_ptr<Block>> blocks_;
};

}  // namespace m2vk::host::detail
