// Synchronous uploads and downloads through a host-visible staging buffer, in chunks, so any
// size works with a small fixed staging allocation.
#include <algorithm>
#include <cstring>
#include <string>

#include "context_state.hpp"
#include "m2vk/host/error.hpp"

namespace m2vk::host {
namespace {

constexpr VkDeviceSize kStagingSize = 16ull << 20;

void check_range(const BufferRange& r, std::size_t bytes, VkDeviceSize offset, const char* what) {
  if (!r.buffer) throw HostError(std::string(what) + ": the buffer is empty (moved-from or reset)");
  if (offset > r.size || bytes > r.size - offset)
    throw HostError(std::string(what) + " of " + std::to_string(bytes) + " bytes at offset " + std::to_string(offset) +
                    " does not fit in a buffer range of " + std::to_string(r.size) + " bytes");
}

BufferRange staging(detail::ContextState& s) {
  s.require_memory("a transfer");
  if (!s.staging) s.staging = s.allocator->allocate(kStagingSize, MemoryKind::HostVisible);
  return s.staging.range();
}

}  // namespace

void Context::upload(const BufferRange& dst, const void* data, std::size_t bytes, VkDeviceSize dst_offset) {
  check_range(dst, bytes, dst_offset, "upload");
  if (bytes == 0) return;
  if (dst.mapped) {  // host-visible and coherent: no copy on the GPU needed
    std::memcpy(dst.mapped + dst_offset, data, bytes);
    return;
  }
  BufferRange st = staging(*s_);
  const auto* src = static_cast<const std::byte*>(data);
  for (std::size_t done = 0; done < bytes;) {
    std::size_t n = static_cast<std::size_t>(std::min<VkDeviceSize>(st.size, bytes - done));
    std::memcpy(st.mapped, src + done, n);
    VkCommandBuffer cmd = s_->begin_commands();
    VkBufferCopy region{st.offset, dst.offset + dst_offset + done, n};
    vkCmdCopyBuffer(cmd, st.buffer, dst.buffer, 1, &region);
    s_->submit_and_wait(cmd, "upload of " + std::to_string(bytes) + " bytes");
    done += n;
  }
}

void Context::download(const BufferRange& src, void* data, std::size_t bytes, VkDeviceSize src_offset) {
  check_range(src, bytes, src_offset, "download");
  if (bytes == 0) return;
  if (src.mapped) {
    std::memcpy(data, src.mapped + src_offset, bytes);
    return;
  }
  BufferRange st = staging(*s_);
  auto* out = static_cast<std::byte*>(data);
  for (std::size_t done = 0; done < bytes;) {
    std::size_t n = static_cast<std::size_t>(std::min<VkDeviceSize>(st.size, bytes - done));
    VkCommandBuffer cmd = s_->begin_commands();
    VkBufferCopy region{src.offset + src_offset + done, st.offset, n};
    vkCmdCopyBuffer(cmd, src.buffer, st.buffer, 1, &region);
    s_->submit_and_wait(cmd, "download of " + std::to_string(bytes) + " bytes");
    std::memcpy(out + done, st.mapped, n);
    done += n;
  }
}

}  // namespace m2vk::host
