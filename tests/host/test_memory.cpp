// Buffers: sub-allocation, staging transfers of any size, host-visible mapping, copies and
// fills, and the storage-range limit: a buffer larger than maxStorageBufferRange is processed
// in bound slices, and binding it whole is a clear error.
#include <algorithm>
#include <cstring>
#include <functional>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "pc/host_test.h"
#include "vk_test.hpp"

namespace m2vk {
namespace {

using host::Groups;

class MemoryTest : public test::VkTest {};

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const host::HostError& e) {
    return e.what();
  }
  return "no exception";
}

TEST_F(MemoryTest, RoundTripAnySizeThroughStaging) {
  // Odd byte counts, and one larger than the 16 MiB staging buffer (several chunks).
  for (std::size_t bytes : {std::size_t{1}, std::size_t{3}, std::size_t{4097}, std::size_t{(17u << 20) + 5}}) {
    std::vector<std::uint8_t> data(bytes);
    for (std::size_t i = 0; i < bytes; ++i) data[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 13);
    host::Buffer b = ctx().create_buffer(bytes);
    EXPECT_EQ(b.size(), bytes);
    EXPECT_EQ(b.mapped(), nullptr);  // device-local: only reachable through staging
    ctx().upload(b, data);
    std::vector<std::uint8_t> back(bytes);
    ctx().download(b, back.data(), bytes);
    EXPECT_TRUE(back == data) << bytes << " bytes";
  }
}

TEST_F(MemoryTest, PartialTransfersAtOffsets) {
  std::vector<std::uint32_t> zeros(1000, 0);
  host::Buffer b = upload(zeros);
  std::vector<std::uint32_t> part = {1, 2, 3};
  ctx().upload(b, part, 10 * sizeof(std::uint32_t));
  auto got = download<std::uint32_t>(b);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], i >= 10 && i < 13 ? i - 9 : 0u) << i;
  std::uint32_t one = 0;
  ctx().download(b, &one, sizeof one, 11 * sizeof(std::uint32_t));
  EXPECT_EQ(one, 2u);
  EXPECT_NE(error_of([&] { ctx().upload(b, part, 998 * sizeof(std::uint32_t)); }).find("does not fit"), std::string::npos);
  EXPECT_NE(error_of([&] { ctx().download(b.slice(0, 8), &one, 4, 6); }).find("does not fit"), std::string::npos);
}

TEST_F(MemoryTest, SubAllocationsAreAlignedAndDisjoint) {
  const VkDeviceSize align = ctx().limits().storage_offset_alignment;
  std::vector<host::Buffer> buffers;
  for (int i = 0; i < 50; ++i) buffers.push_back(ctx().create_buffer(1 + 37 * static_cast<VkDeviceSize>(i)));
  std::set<VkBuffer> handles;
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    const auto& r = buffers[i].range();
    EXPECT_EQ(r.offset % align, 0u);
    handles.insert(r.buffer);
    for (std::size_t j = 0; j < i; ++j) {
      const auto& q = buffers[j].range();
      if (q.buffer == r.buffer) {
        EXPECT_TRUE(r.offset >= q.offset + q.size || q.offset >= r.offset + r.size) << i << " vs " << j;
      }
    }
  }
  EXPECT_EQ(handles.size(), 1u);  // all small buffers share one block
  // Each buffer keeps its own contents.
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    std::vector<std::uint8_t> v(buffers[i].size(), static_cast<std::uint8_t>(i + 1));
    ctx().upload(buffers[i], v);
  }
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    auto v = download<std::uint8_t>(buffers[i]);
    EXPECT_EQ(std::count(v.begin(), v.end(), static_cast<std::uint8_t>(i + 1)), static_cast<long>(v.size())) << i;
  }
  // Freed space is reused.
  const host::BufferRange first = buffers[0].range();
  buffers[0].reset();
  host::Buffer again = ctx().create_buffer(1);
  EXPECT_EQ(again.range().buffer, first.buffer);
  EXPECT_EQ(again.range().offset, first.offset);
}

TEST_F(MemoryTest, HostVisibleBuffersAreMappedAndSeeShaderWrites) {
  const std::uint32_t n = 1000;
  host::Buffer b = ctx().create_buffer(n * sizeof(std::uint32_t), host::MemoryKind::HostVisible);
  ASSERT_NE(b.mapped(), nullptr);
  std::vector<std::uint32_t> init(n, 1);
  std::memcpy(b.mapped(), init.data(), n * sizeof(std::uint32_t));
  auto rec = ctx().record();
  rec.dispatch(ctx().pipeline("host_test_index"), {host::read_write(b)}, pc::HostIndexPC{n, 0, 41, 1}, Groups{host::div_up(n, 64)}, "add");
  rec.submit_and_wait();
  const auto* mapped = reinterpret_cast<const std::uint32_t*>(b.mapped());
  for (std::uint32_t i = 0; i < n; ++i) ASSERT_EQ(mapped[i], 42u) << i;
  EXPECT_EQ(download<std::uint32_t>(b.slice(8, 8)), (std::vector<std::uint32_t>{42, 42}));
}

TEST_F(MemoryTest, CopyAndFill) {
  std::vector<std::uint32_t> src(300);
  std::iota(src.begin(), src.end(), 1u);
  host::Buffer a = upload(src);
  host::Buffer b = filled(300 * 4, 0xdeadbeefu);
  auto rec = ctx().record();
  rec.copy(a.slice(0, 100 * 4), b.slice(50 * 4));  // b[50..150) = 1..100
  rec.fill(b.slice(0, 10 * 4), 7);  // independent of the copy: no barrier needed
  rec.copy(b.slice(60 * 4, 4 * 4), a.slice(0, 4 * 4));  // a[0..4) = 11..14 (reads the copy's output)
  rec.submit_and_wait();
  EXPECT_EQ(rec.barrier_count(), 1u);
  auto gb = download<std::uint32_t>(b);
  for (std::uint32_t i = 0; i < 300; ++i) {
    std::uint32_t want = i < 10 ? 7u : (i >= 50 && i < 150 ? i - 49 : 0xdeadbeefu);
    ASSERT_EQ(gb[i], want) << i;
  }
  auto ga = download<std::uint32_t>(a.slice(0, 5 * 4));
  EXPECT_EQ(ga, (std::vector<std::uint32_t>{11, 12, 13, 14, 5}));
  auto rec2 = ctx().record();
  EXPECT_THROW(rec2.copy(a.range(), b.slice(0, 8)), host::HostError);  // destination too small
  EXPECT_THROW(rec2.copy(a.slice(0, 64), a.slice(32, 64)), host::HostError);  // overlap
  EXPECT_THROW(rec2.fill(a.slice(0, 6), 0), host::HostError);  // not a multiple of 4
  EXPECT_THROW((void)a.slice(1000, 300 * 4), host::HostError);
}

TEST_F(MemoryTest, BufferLargerThanStorageRangeIsProcessedInSlices) {
  const VkDeviceSize range = ctx().limits().max_storage_range;
  // 136 MiB on lavapipe (range 128 MiB): just over the limit, since page faults dominate the cost.
  const VkDeviceSize bytes = range + (8ull << 20);
  if (bytes > ctx().limits().max_allocation_size) GTEST_SKIP() << "device cannot allocate " << bytes << " bytes in one buffer";
  host::Buffer big = ctx().create_buffer(bytes);
  const host::Pipeline& p = ctx().pipeline("host_test_index");

  // Binding the whole buffer is refused with the sizes named.
  {
    auto rec = ctx().record();
    const std::uint32_t n = 1024;
    std::string msg = error_of([&] { rec.dispatch(p, {host::write(big)}, pc::HostIndexPC{n, 0, 1, 0}, Groups{16}, "whole"); });
    EXPECT_NE(msg.find(std::to_string(bytes)), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::to_string(range)), std::string::npos) << msg;
    EXPECT_NE(msg.find("maxStorageBufferRange"), std::string::npos) << msg;
  }

  // Two slices, each within the range, each given its own base index.
  const std::uint64_t total = bytes / 4;
  const std::uint64_t first = (range / 4) / 64 * 64;  // slice boundary: element count, offset stays aligned
  auto rec = ctx().record();
  for (auto [begin, count] : {std::pair<std::uint64_t, std::uint64_t>{0, first}, {first, total - first}}) {
    host::BufferRange slice = big.slice(begin * 4, count * 4);
    ASSERT_LE(slice.size, range);
    std::uint32_t groups = host::div_up(count, 64);
    std::uint32_t gx = std::min<std::uint32_t>(groups, 65535), gy = host::div_up(groups, gx);
    rec.dispatch(p, {host::write(slice)}, pc::HostIndexPC{static_cast<std::uint32_t>(count), static_cast<std::uint32_t>(begin), 1, 0},
                 Groups{gx, gy}, "slice");
  }
  rec.submit_and_wait();
  EXPECT_EQ(rec.barrier_count(), 0u);  // disjoint slices: no barrier between them
  // Checked chunk by chunk through one reused host vector (fresh pages are slow to fault in).
  std::vector<std::uint32_t> got(std::size_t{4} << 20);
  std::uint64_t wrong = 0, first_wrong = 0, first_value = 0;
  for (std::uint64_t begin = 0; begin < total; begin += got.size()) {
    const std::uint64_t count = std::min<std::uint64_t>(got.size(), total - begin);
    ctx().download(big, got.data(), count * 4, begin * 4);
    for (std::uint64_t i = 0; i < count; ++i)
      if (got[i] != static_cast<std::uint32_t>(begin + i) && wrong++ == 0) first_wrong = begin + i, first_value = got[i];
  }
  EXPECT_EQ(wrong, 0u) << "first wrong element " << first_wrong << " = " << first_value;
}

TEST_F(MemoryTest, AllocationLargerThanTheDeviceAllowsIsAClearError) {
  const VkDeviceSize too_big = ctx().limits().max_allocation_size + 4096;
  std::string msg = error_of([&] { (void)ctx().create_buffer(too_big); });
  EXPECT_NE(msg.find(std::to_string(too_big)), std::string::npos) << msg;
  EXPECT_NE(msg.find(std::to_string(ctx().limits().max_allocation_size)), std::string::npos) << msg;
  EXPECT_NE(error_of([&] { (void)ctx().create_buffer(0); }).find("empty"), std::string::npos);
  // The context still works afterwards.
  host::Buffer ok = upload(std::vector<float>{1.0f, 2.0f});
  EXPECT_EQ(download<float>(ok), (std::vector<float>{1.0f, 2.0f}));
}

}  // namespace
}  // namespace m2vk
