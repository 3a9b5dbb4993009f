// Buffer ownership and BufferRange slicing.
#include "m2vk/host/buffer.hpp"

#include <string>
#include <utility>

#include "allocator.hpp"
#include "m2vk/host/error.hpp"

namespace m2vk::host {

BufferRange BufferRange::slice(VkDeviceSize rel_offset, VkDeviceSize rel_size) const {
  if (rel_offset > size || rel_size > size - rel_offset)
    throw HostError("buffer slice [" + std::to_string(rel_offset) + ", +" + std::to_string(rel_size) +
                    ") is outside the range of " + std::to_string(size) + " bytes");
  BufferRange r = *this;
  r.offset = offset + rel_offset;
  r.size = rel_size;
  r.mapped = mapped ? mapped + rel_offset : nullptr;
  return r;
}

BufferRange BufferRange::slice(VkDeviceSize rel_offset) const {
  if (rel_offset > size)
    throw HostError("buffer slice offset " + std::to_string(rel_offset) + " is past the end of " + std::to_string(size) + " bytes");
  return slice(rel_offset, size - rel_offset);
}

Buffer::~Buffer() { reset(); }

Buffer::Buffer(Buffer&& other) noexcept
    : allocator_(std::exchange(other.allocator_, nullptr)),
      allocation_(std::exchange(other.allocation_, nullptr)),
      range_(std::exchange(other.range_, BufferRange{})),
      kind_(other.kind_) {}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    reset();
    allocator_ = std::exchange(other.allocator_, nullptr);
    allocation_ = std::exchange(other.allocation_, nullptr);
    range_ = std::exchange(other.range_, BufferRange{});
    kind_ = other.kind_;
  }
  return *this;
}

void Buffer::reset() {
  if (allocator_ && allocation_) allocator_->release(allocation_);
  allocator_ = nullptr;
  allocation_ = nullptr;
  range_ = BufferRange{};
}

}  // namespace m2vk::host
