// GPU buffers: owning Buffer (RAII, sub-allocated from large memory blocks) and non-owning
// BufferRange views used for bindings, copies and slicing of big tensors.
#pragma once

#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>

namespace m2vk::host {

namespace detail {
class Allocator;
struct Allocation;
}  // namespace detail

enum class MemoryKind {
  DeviceLocal,  // storage buffers for shaders; filled with Context::upload, read with download
  HostVisible,  // mapped, coherent: the CPU reads/writes mapped() directly (staging, readback)
};

// A view of bytes [offset, offset + size) of a VkBuffer. Cheap to copy; does not own anything,
// so it must not outlive its Buffer. `offset` is absolute inside `buffer`.
struct BufferRange {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceSize offset = 0;
  VkDeviceSize size = 0;
  std::byte* mapped = nullptr;  // host pointer to the first byte, when host-visible

  // Sub-view [offset, offset + size) relative to this view; throws HostError when out of range.
  BufferRange slice(VkDeviceSize rel_offset, VkDeviceSize rel_size) const;
  // Sub-view from rel_offset to the end of this view.
  BufferRange slice(VkDeviceSize rel_offset) const;
};

class Buffer {
 public:
  Buffer() = default;
  ~Buffer();
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  explicit operator bool() const { return range_.buffer != VK_NULL_HANDLE; }
  VkDeviceSize size() const { return range_.size; }
  MemoryKind kind() const { return kind_; }
  // The whole buffer as a view; Buffer converts to BufferRange implicitly.
  const BufferRange& range() const { return range_; }
  operator const BufferRange&() const { return range_; }  // NOLINT: implicit by design
  BufferRange slice(VkDeviceSize offset, VkDeviceSize size) const { return range_.slice(offset, size); }
  BufferRange slice(VkDeviceSize offset) const { return range_.slice(offset); }
  // Host pointer for MemoryKind::HostVisible buffers (nullptr otherwise).
  std::byte* mapped() const { return range_.mapped; }

  // Returns the memory to the allocator now (also done by the destructor).
  void reset();

 private:
  friend class detail::Allocator;
  detail::Allocator* allocator_ = nullptr;
  detail::Allocation* allocation_ = nullptr;
  BufferRange range_;
  MemoryKind kind_ = MemoryKind::DeviceLocal;
};

}  // namespace m2vk::host
