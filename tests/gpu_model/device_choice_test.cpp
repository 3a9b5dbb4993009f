// Device choice rules (src/model/gpu/device_choice.cpp) on fake device lists: explicit specs,
// M2VK_DEVICE, and CUDA_VISIBLE_DEVICES given as NVIDIA UUIDs or indices.
#include <gtest/gtest.h>

#include "m2vk/gpu/device_choice.hpp"
#include "m2vk/host/error.hpp"

namespace m2vk::gpu {
namespace {

host::DeviceInfo dev(std::size_t index, std::string name, std::uint32_t vendor, host::DeviceType type,
                     std::string uuid) {
  host::DeviceInfo d;
  d.index = index;
  d.name = std::move(name);
  d.vendor_id = vendor;
  d.type = type;
  d.uuid = std::move(uuid);
  d.has_compute_queue = true;
  return d;
}

// Two NVIDIA GPUs around an AMD one, plus lavapipe.
std::vector<host::DeviceInfo> fake_devices() {
  return {dev(0, "AMD Radeon RX 7900", 0x1002, host::DeviceType::DiscreteGpu, "11111111-2222-3333-4444-555555555555"),
          dev(1, "NVIDIA H100 80GB HBM3", kNvidiaVendorId, host::DeviceType::DiscreteGpu,
              "a1b2c3d4-0000-1111-2222-333344445555"),
          dev(2, "llvmpipe (LLVM 15.0.6, 256 bits)", 0x10005, host::DeviceType::Cpu,
              "6c6c766d-7069-7065-5555-494400000000"),
          dev(3, "NVIDIA H100 80GB HBM3", kNvidiaVendorId, host::DeviceType::DiscreteGpu,
              "f0e1d2c3-9999-8888-7777-666655554444")};
}

TEST(CudaVisibleDevices, ParsesIndicesAndUuids) {
  auto e = parse_cuda_visible_devices(" 1, GPU-a1b2c3d4-0000-1111-2222-333344445555 ,0");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].kind, CudaDeviceEntry::Kind::Index);
  EXPECT_EQ(e[0].index, 1u);
  EXPECT_EQ(e[1].kind, CudaDeviceEntry::Kind::Uuid);
  EXPECT_EQ(e[1].uuid_hex, "a1b2c3d4000011112222333344445555");
  EXPECT_EQ(e[2].index, 0u);
}

TEST(CudaVisibleDevices, StopsAtFirstInvalidEntryLikeCuda) {
  EXPECT_EQ(parse_cuda_visible_devices("0,-1,1").size(), 1u);
  EXPECT_TRUE(parse_cuda_visible_devices("-1").empty());
  EXPECT_TRUE(parse_cuda_visible_devices("").empty());
  EXPECT_TRUE(parse_cuda_visible_devices("MIG-0123").empty());
  EXPECT_TRUE(parse_cuda_visible_devices("GPU-xyz").empty());
}

TEST(CudaVisibleDevices, IndicesMapToNvidiaDevicesInOrder) {
  const auto devs = fake_devices();
  EXPECT_EQ(cuda_visible_vulkan_devices(devs, parse_cuda_visible_devices("1")), (std::vector<std::size_t>{3}));
  EXPECT_EQ(cuda_visible_vulkan_devices(devs, parse_cuda_visible_devices("1,0")), (std::vector<std::size_t>{3, 1}));
  // Out-of-range indices and duplicates are dropped.
  EXPECT_EQ(cuda_visible_vulkan_devices(devs, parse_cuda_visible_devices("5,0,0")), (std::vector<std::size_t>{1}));
}

TEST(CudaVisibleDevices, UuidsMatchVulkanDeviceUuids) {
  const auto devs = fake_devices();
  EXPECT_EQ(cuda_visible_vulkan_devices(devs, parse_cuda_visible_devices("GPU-f0e1d2c3-9999-8888-7777-666655554444")),
            (std::vector<std::size_t>{3}));
  // Prefixes work (unique among NVIDIA devices); a non-NVIDIA UUID never matches.
  EXPECT_EQ(cuda_visible_vulkan_devices(devs, parse_cuda_visible_devices("GPU-a1b2c3d4")), (std::vector<std::size_t>{1}));
  EXPECT_TRUE(cuda_visible_vulkan_devices(devs, parse_cuda_visible_devices("GPU-11111111")).empty());
}

TEST(ChooseDevice, FirstVisibleGpuIsTheDefault) {
  const auto devs = fake_devices();
  auto c = choose_device(devs, "", nullptr, "GPU-f0e1d2c3-9999-8888-7777-666655554444,0");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->index, 3u);
  EXPECT_NE(c->reason.find("CUDA_VISIBLE_DEVICES"), std::string::npos);
  c = choose_device(devs, "", nullptr, "1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->index, 3u);
}

TEST(ChooseDevice, ExplicitChoiceWinsOverEnvironment) {
  const auto devs = fake_devices();
  auto c = choose_device(devs, "llvmpipe", "0", "1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->index, 2u);
  c = choose_device(devs, "", "radeon", "1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->index, 0u);
  c = choose_device(devs, "f0e1d2c3", nullptr, nullptr);  // UUID prefix
  ASSERT_TRUE(c);
  EXPECT_EQ(c->index, 3u);
  EXPECT_THROW(choose_device(devs, "no-such-gpu", nullptr, nullptr), host::HostError);
  c = choose_device(devs, "", "cpu", nullptr);  // M2VK_DEVICE=cpu only steers "auto"
  ASSERT_TRUE(c);
  EXPECT_EQ(c->reason, "default ranking");
}

TEST(ChooseDevice, HiddenNvidiaGpusFallBackToOtherDevices) {
  const auto devs = fake_devices();
  auto c = choose_device(devs, "", nullptr, "-1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->index, 0u);  // the AMD GPU ranks above lavapipe
  // Only NVIDIA devices, all hidden: nothing to run on.
  std::vector<host::DeviceInfo> only_nv{devs[1], devs[3]};
  only_nv[0].index = 0;
  only_nv[1].index = 1;
  EXPECT_FALSE(choose_device(only_nv, "", nullptr, ""));
}

TEST(ChooseDevice, IgnoredWithoutNvidiaDevicesAndDefaultRanking) {
  std::vector<host::DeviceInfo> devs{fake_devices()[2], fake_devices()[0]};
  devs[0].index = 0;
  devs[1].index = 1;
  auto c = choose_device(devs, "", nullptr, "3");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->index, 1u);  // discrete AMD over lavapipe; CUDA_VISIBLE_DEVICES does not apply
  EXPECT_EQ(c->reason, "default ranking");
  EXPECT_FALSE(choose_device({}, "", nullptr, nullptr));
}

}  // namespace
}  // namespace m2vk::gpu
