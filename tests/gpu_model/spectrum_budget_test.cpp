// The default filter-spectrum budget (m2vk/gpu/spectrum_budget.hpp) from what a device has.
#include <gtest/gtest.h>

#include "m2vk/gpu/spectrum_budget.hpp"

namespace {

using m2vk::gpu::default_spectrum_budget;
using m2vk::host::DeviceInfo;
using m2vk::host::DeviceType;
constexpr std::uint64_t GiB = 1ull << 30;

DeviceInfo device(DeviceType type, std::uint64_t heap) {
  DeviceInfo d;
  d.type = type;
  d.memory_heaps = {{heap, true}, {64 * GiB, false}};
  return d;
}

TEST(SpectrumBudget, CpuDeviceUsesHalfOfTheAvailableHostMemoryNotItsNominalHeap) {
  // lavapipe reports a 2 GiB heap whatever the machine has; 20 GiB available -> 10 GiB.
  const auto b = default_spectrum_budget(device(DeviceType::Cpu, 2 * GiB), 440ull << 20, 20 * GiB);
  EXPECT_EQ(b.bytes, 10 * GiB);
  EXPECT_NE(b.reason.find("host memory"), std::string::npos) << b.reason;
}

TEST(SpectrumBudget, GpuKeepsTheWeightsAndAQuarterOfItsHeap) {
  const auto b = default_spectrum_budget(device(DeviceType::DiscreteGpu, 16 * GiB), 1 * GiB, 100 * GiB);
  EXPECT_EQ(b.bytes, 16 * GiB - 4 * GiB - 1 * GiB);  // host memory does not matter for a GPU
  EXPECT_NE(b.reason.find("device-local heap"), std::string::npos) << b.reason;
}

TEST(SpectrumBudget, NeverBelowAFloorEvenWhenTheWeightsFillTheHeap) {
  EXPECT_EQ(default_spectrum_budget(device(DeviceType::DiscreteGpu, 1 * GiB), 2 * GiB, std::nullopt).bytes, 64ull << 20);
  EXPECT_EQ(default_spectrum_budget(device(DeviceType::Cpu, 2 * GiB), 0, 16ull << 20).bytes, 64ull << 20);
}

TEST(SpectrumBudget, CpuDeviceWithUnknownHostMemoryFallsBackToTheHeapRule) {
  const auto b = default_spectrum_budget(device(DeviceType::Cpu, 8 * GiB), 0, std::nullopt);
  EXPECT_EQ(b.bytes, 6 * GiB);
  EXPECT_NE(b.reason.find("host memory unknown"), std::string::npos) << b.reason;
}

TEST(SpectrumBudget, HostMemoryAvailableIsReadOnLinux) {
  const auto avail = m2vk::gpu::host_memory_available();
  ASSERT_TRUE(avail.has_value()) << "/proc/meminfo has MemAvailable on every Linux since 3.14";
  EXPECT_GT(*avail, 16ull << 20);
}

}  // namespace
