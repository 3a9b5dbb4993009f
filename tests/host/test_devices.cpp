// Device listing, ranking and selection by index, name substring, UUID and M2VK_DEVICE, on a
// synthetic device list (every rule, including ambiguity) and on the real one.
#include <cstdlib>
#include <string>
#include <vector>

#include "m2vk/host/host.hpp"
#include "vk_test.hpp"

namespace m2vk {
namespace {

using host::DeviceInfo;
using host::DeviceType;

DeviceInfo fake(std::size_t index, std::string name, DeviceType type, std::string uuid) {
  DeviceInfo d;
  d.index = index;
  d.name = std::move(name);
  d.type = type;
  d.uuid = std::move(uuid);
  d.has_compute_queue = true;
  return d;
}

// Three devices whose UUIDs share a prefix, as two cards of one vendor would.
std::vector<DeviceInfo> fake_devices() {
  return {fake(0, "llvmpipe (LLVM 15.0.6, 256 bits)", DeviceType::Cpu, "6d657361-3232-2e33-2e36-000000000000"),
          fake(1, "AMD Radeon RX 7900 XTX", DeviceType::DiscreteGpu, "00000000-0300-0000-0000-000000000000"),
          fake(2, "Intel(R) UHD Graphics 770", DeviceType::IntegratedGpu, "00000000-0200-0000-0000-000000000000")};
}

// Sets (or unsets) M2VK_DEVICE for one scope.
class EnvDevice {
 public:
  explicit EnvDevice(const char* value) {
    if (const char* old = std::getenv("M2VK_DEVICE")) old_ = old, had_ = true;
    if (value)
      ::setenv("M2VK_DEVICE", value, 1);
    else
      ::unsetenv("M2VK_DEVICE");
  }
  ~EnvDevice() {
    if (had_)
      ::setenv("M2VK_DEVICE", old_.c_str(), 1);
    else
      ::unsetenv("M2VK_DEVICE");
  }

 private:
  std::string old_;
  bool had_ = false;
};

std::string error_of(const std::vector<DeviceInfo>& devices, const std::string& spec) {
  try {
    host::select_device(devices, spec);
  } catch (const host::HostError& e) {
    return e.what();
  }
  return "no exception";
}

TEST(DeviceSelect, DefaultPrefersDiscreteThenIntegratedThenVirtualThenCpu) {
  EnvDevice none(nullptr);
  auto d = fake_devices();
  EXPECT_EQ(host::default_device_index(d), 1u);
  EXPECT_EQ(host::select_device(d, ""), 1u);
  d[1].type = DeviceType::VirtualGpu;
  EXPECT_EQ(host::default_device_index(d), 2u);  // integrated beats virtual
  d[2].type = DeviceType::Cpu;
  EXPECT_EQ(host::default_device_index(d), 1u);  // virtual beats CPU
  d[1].has_compute_queue = false;
  EXPECT_EQ(host::default_device_index(d), 0u);  // first CPU with compute
  EXPECT_THROW(host::default_device_index({}), host::HostError);
}

TEST(DeviceSelect, ByIndexNameAndUuid) {
  EnvDevice none(nullptr);
  auto d = fake_devices();
  EXPECT_EQ(host::select_device(d, "0"), 0u);
  EXPECT_EQ(host::select_device(d, "2"), 2u);
  EXPECT_EQ(host::select_device(d, "llvmpipe"), 0u);
  EXPECT_EQ(host::select_device(d, "RADEON"), 1u);  // case-insensitive substring
  EXPECT_EQ(host::select_device(d, "uhd graphics"), 2u);
  EXPECT_EQ(host::select_device(d, "6d657361-3232-2e33-2e36-000000000000"), 0u);  // full, dashed
  EXPECT_EQ(host::select_device(d, "6D6573613232"), 0u);  // prefix, no dashes, upper case
  EXPECT_EQ(host::select_device(d, "00000000-03"), 1u);  // prefix with a dash
  EXPECT_EQ(host::select_device(d, "0000000002"), 2u);
}

TEST(DeviceSelect, UnknownOrAmbiguousSpecsListTheDevices) {
  EnvDevice none(nullptr);
  auto d = fake_devices();
  for (const std::string spec : {"3", "nvidia", "ffffffff", "99999999999999999999999"}) {
    std::string msg = error_of(d, spec);
    EXPECT_NE(msg.find("'" + spec + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("0: llvmpipe"), std::string::npos) << msg;
    EXPECT_NE(msg.find("2: Intel(R) UHD Graphics 770 [integrated]"), std::string::npos) << msg;
  }
  EXPECT_NE(error_of(d, "00000000").find("several"), std::string::npos);  // UUID prefix of two devices
  EXPECT_NE(error_of(d, "e").find("several"), std::string::npos);  // name substring of three
  EXPECT_THROW(host::select_device({}, "0"), host::HostError);
}

TEST(DeviceSelect, EnvironmentVariableIsUsedWhenNoSpecIsGiven) {
  auto d = fake_devices();
  {
    EnvDevice env("intel");
    EXPECT_EQ(host::select_device(d, ""), 2u);
    EXPECT_EQ(host::select_device(d, "0"), 0u);  // an explicit spec wins
  }
  {
    EnvDevice env("");
    EXPECT_EQ(host::select_device(d, ""), 1u);  // empty: the default
  }
  {
    EnvDevice env("no-such-device");
    std::string msg = error_of(d, "");
    EXPECT_NE(msg.find("M2VK_DEVICE 'no-such-device'"), std::string::npos) << msg;
  }
}

TEST(DeviceList, RealDevicesDescribeThemselves) {
  auto devices = host::list_devices();
  ASSERT_FALSE(devices.empty());
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const auto& d = devices[i];
    EXPECT_EQ(d.index, i);
    EXPECT_FALSE(d.name.empty());
    EXPECT_EQ(d.uuid.size(), 36u) << d.uuid;
    EXPECT_GE(d.api_version, VK_API_VERSION_1_1);
    EXPECT_GT(d.max_storage_buffer_range, 0u);
    EXPECT_GE(d.max_memory_allocation_size, d.max_storage_buffer_range);
    EXPECT_FALSE(d.memory_heaps.empty());
    EXPECT_GT(d.subgroup_size, 0u);
    EXPECT_GE(d.max_shared_memory, 16384u);  // Vulkan's required minimum
    EXPECT_GE(d.max_workgroup_invocations, 128u);
  }
}

TEST(DeviceList, ContextSelectsByIndexNameAndUuid) {
  EnvDevice none(nullptr);
  auto devices = host::list_devices();
  ASSERT_FALSE(devices.empty());
  const DeviceInfo& last = devices.back();
  host::ContextOptions opt;
  opt.validation = true;
  opt.persist_pipeline_cache = false;
  for (std::string spec : {std::to_string(last.index), last.uuid, last.uuid.substr(0, 13)}) {
    opt.device_spec = spec;
    auto ctx = host::Context::create(opt);
    EXPECT_EQ(ctx->device_info().uuid, last.uuid) << spec;
    EXPECT_EQ(ctx->device_info().name, last.name) << spec;
    EXPECT_TRUE(ctx->validation_messages().empty());
  }
  opt.device_spec = "no such device anywhere";
  try {
    host::Context::create(opt);
    ADD_FAILURE() << "unknown device accepted";
  } catch (const host::HostError& e) {
    EXPECT_NE(std::string(e.what()).find(last.name), std::string::npos) << e.what();
  }
}

TEST(DeviceList, LavapipeByNameAndEnvironment) {
  auto devices = host::list_devices();
  bool has_lavapipe = false;
  for (const auto& d : devices) has_lavapipe |= d.name.find("llvmpipe") != std::string::npos;
  if (!has_lavapipe) GTEST_SKIP() << "lavapipe is not installed";
  EnvDevice env("llvmpipe");
  host::ContextOptions opt;
  opt.validation = false;
  opt.persist_pipeline_cache = false;
  auto ctx = host::Context::create(opt);  // spec empty: M2VK_DEVICE decides
  EXPECT_NE(ctx->device_info().name.find("llvmpipe"), std::string::npos);
  EXPECT_EQ(ctx->device_info().type, DeviceType::Cpu);
  EXPECT_EQ(ctx->limits().max_storage_range, ctx->device_info().max_storage_buffer_range);
}

}  // namespace
}  // namespace m2vk
