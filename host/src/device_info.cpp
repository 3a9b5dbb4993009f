// Device enumeration and the facts `m2vk devices` prints.
#include <cstdio>
#include <cstring>

#include "device_query.hpp"
#include "m2vk/host/error.hpp"

namespace m2vk::host {

std::string_view device_type_name(DeviceType type) {
  switch (type) {
    case DeviceType::DiscreteGpu:
      return "discrete";
    case DeviceType::IntegratedGpu:
      return "integrated";
    case DeviceType::VirtualGpu:
      return "virtual";
    case DeviceType::Cpu:
      return "cpu";
    case DeviceType::Other:
      break;
  }
  return "other";
}

namespace detail {
namespace {

std::string vendor_name(std::uint32_t id) {
  switch (id) {
    case 0x1002:
      return "AMD";
    case 0x10DE:
      return "NVIDIA";
    case 0x8086:
      return "Intel";
    case 0x13B5:
      return "ARM";
    case 0x5143:
      return "Qualcomm";
    case 0x1010:
      return "Imagination";
    case 0x106B:
      return "Apple";
    case 0x14E4:
      return "Broadcom";
    case VK_VENDOR_ID_MESA:
      return "Mesa";
    default: {
      char buf[16];
      std::snprintf(buf, sizeof buf, "0x%04x", id);
      return buf;
    }
  }
}

std::string version_string(std::uint32_t v) {
  return std::to_string(VK_API_VERSION_MAJOR(v)) + "." + std::to_string(VK_API_VERSION_MINOR(v)) + "." +
         std::to_string(VK_API_VERSION_PATCH(v));
}

std::string uuid_string(const std::uint8_t* u) {
  std::string s;
  char buf[3];
  for (unsigned i = 0; i < VK_UUID_SIZE; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    std::snprintf(buf, sizeof buf, "%02x", u[i]);
    s += buf;
  }
  return s;
}

DeviceType to_type(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return DeviceType::DiscreteGpu;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return DeviceType::IntegratedGpu;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return DeviceType::VirtualGpu;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return DeviceType::Cpu;
    default:
      return DeviceType::Other;
  }
}

}  // namespace

std::uint32_t instance_api_version() {
  std::uint32_t v = VK_API_VERSION_1_0;
  auto fn = reinterpret_cast<PFN_vkEnumerateInstanceVersion>(vkGetInstanceProcAddr(nullptr, "vkEnumerateInstanceVersion"));
  if (fn) fn(&v);
  return v >= VK_API_VERSION_1_2 ? VK_API_VERSION_1_2 : v;
}

std::uint32_t find_compute_queue_family(VkPhysicalDevice physical) {
  std::uint32_t n = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &n, nullptr);
  std::vector<VkQueueFamilyProperties> families(n);
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &n, families.data());
  std::uint32_t any = UINT32_MAX;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!(families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) || families[i].queueCount == 0) continue;
    // A compute-only family is usually the async-compute engine: free of graphics work.
    if (!(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) return i;
    if (any == UINT32_MAX) any = i;
  }
  return any;
}

namespace {

// Whether VK_NV_cooperative_matrix (present on `physical`) has its feature bit and offers the shape
// gemm_coopmat.comp uses: M = N = K = 16, fp16 A/B, fp32 C/D, subgroup scope.
bool has_nv_f16_coopmat(VkInstance instance, VkPhysicalDevice physical) {
  VkPhysicalDeviceCooperativeMatrixFeaturesNV cm{};
  cm.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV;
  VkPhysicalDeviceFeatures2 features{};
  features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
  features.pNext = &cm;
  vkGetPhysicalDeviceFeatures2(physical, &features);
  if (!cm.cooperativeMatrix) return false;
  auto props_fn = reinterpret_cast<PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesNV>(
      vkGetInstanceProcAddr(instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesNV"));
  if (!props_fn) return false;
  std::uint32_t n = 0;
  if (props_fn(physical, &n, nullptr) != VK_SUCCESS) return false;
  VkCooperativeMatrixPropertiesNV blank{};
  blank.sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV;
  std::vector<VkCooperativeMatrixPropertiesNV> shapes(n, blank);
  if (props_fn(physical, &n, shapes.data()) != VK_SUCCESS) return false;
  for (const auto& c : shapes) {
    if (c.MSize == 16 && c.NSize == 16 && c.KSize == 16 && c.AType == VK_COMPONENT_TYPE_FLOAT16_NV &&
        c.BType == VK_COMPONENT_TYPE_FLOAT16_NV && c.CType == VK_COMPONENT_TYPE_FLOAT32_NV &&
        c.DType == VK_COMPONENT_TYPE_FLOAT32_NV && c.scope == VK_SCOPE_SUBGROUP_NV) {
      return true;
    }
  }
  return false;
}

}  // namespace

DeviceInfo query_device_info(VkInstance instance, VkPhysicalDevice physical, std::size_t index) {
  DeviceInfo info;
  info.index = index;

  VkPhysicalDeviceProperties base{};
  vkGetPhysicalDeviceProperties(physical, &base);
  const bool v11 = base.apiVersion >= VK_API_VERSION_1_1;
  const bool v12 = base.apiVersion >= VK_API_VERSION_1_2;

  std::uint32_t ext_count = 0;
  vkEnumerateDeviceExtensionProperties(physical, nullptr, &ext_count, nullptr);
  std::vector<VkExtensionProperties> exts(ext_count);
  vkEnumerateDeviceExtensionProperties(physical, nullptr, &ext_count, exts.data());
  auto has_ext = [&](const char* name) {
    for (const auto& e : exts)
      if (std::strcmp(e.extensionName, name) == 0) return true;
    return false;
  };

  VkPhysicalDeviceDriverProperties driver{};
  driver.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES;
  VkPhysicalDeviceSubgroupProperties subgroup{};
  subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES;
  VkPhysicalDeviceMaintenance3Properties maint3{};
  maint3.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES;
  VkPhysicalDeviceIDProperties ids{};
  ids.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES;
  VkPhysicalDeviceProperties2 props{};
  props.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
  if (v11) {
    props.pNext = &subgroup;
    subgroup.pNext = &maint3;
    maint3.pNext = &ids;
    if (v12 || has_ext(VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME)) ids.pNext = &driver;
    vkGetPhysicalDeviceProperties2(physical, &props);
  } else {
    props.properties = base;
  }
  const VkPhysicalDeviceProperties& p = props.properties;
  const VkPhysicalDeviceLimits& l = p.limits;

  info.name = p.deviceName;
  info.type = to_type(p.deviceType);
  info.vendor_id = p.vendorID;
  info.vendor_name = vendor_name(p.vendorID);
  info.device_id = p.deviceID;
  info.driver_version = p.driverVersion;
  info.api_version = p.apiVersion;
  info.api_version_string = version_string(p.apiVersion);
  if (ids.pNext == &driver) {
    info.driver_name = driver.driverName;
    info.driver_info = driver.driverInfo;
  }
  if (v11) info.uuid = uuid_string(ids.deviceUUID);
  info.subgroup_size = v11 ? subgroup.subgroupSize : 1;
  info.subgroup_shuffle = v11 && (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                          (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT);
  info.max_shared_memory = l.maxComputeSharedMemorySize;
  info.max_storage_buffer_range = l.maxStorageBufferRange;
  info.max_memory_allocation_size = v11 ? maint3.maxMemoryAllocationSize : 0;
  info.min_storage_buffer_offset_alignment = l.minStorageBufferOffsetAlignment;
  info.max_texel_buffer_elements = l.maxTexelBufferElements;
  info.min_texel_buffer_offset_alignment = l.minTexelBufferOffsetAlignment;
  info.max_push_constants_size = l.maxPushConstantsSize;
  for (int i = 0; i < 3; ++i) {
    info.max_workgroup_size[i] = l.maxComputeWorkGroupSize[i];
    info.max_workgroup_count[i] = l.maxComputeWorkGroupCount[i];
  }
  info.max_workgroup_invocations = l.maxComputeWorkGroupInvocations;
  info.timestamp_period_ns = l.timestampPeriod;

  VkPhysicalDeviceMemoryProperties mem{};
  vkGetPhysicalDeviceMemoryProperties(physical, &mem);
  VkDeviceSize largest_heap = 0;
  for (std::uint32_t i = 0; i < mem.memoryHeapCount; ++i) {
    info.memory_heaps.push_back({mem.memoryHeaps[i].size, (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0});
    if (mem.memoryHeaps[i].size > largest_heap) largest_heap = mem.memoryHeaps[i].size;
  }
  // Vulkan 1.0 devices do not report an allocation limit; the largest heap bounds it.
  if (info.max_memory_allocation_size == 0) info.max_memory_allocation_size = largest_heap;

  if (v12) {
    VkPhysicalDeviceVulkan11Features f11{};
    f11.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES;
    VkPhysicalDeviceVulkan12Features f12{};
    f12.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES;
    f11.pNext = &f12;
    VkPhysicalDeviceFeatures2 features{};
    features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
    features.pNext = &f11;
    vkGetPhysicalDeviceFeatures2(physical, &features);
    info.fp16_arithmetic = f12.shaderFloat16;
    info.vulkan_memory_model = f12.vulkanMemoryModel;
    info.int8_arithmetic = f12.shaderInt8;
    info.storage_16bit = f11.storageBuffer16BitAccess;
  }
  info.cooperative_matrix = has_ext("VK_KHR_cooperative_matrix") || has_ext(VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME);
  if (v12 && has_ext(VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME)) info.coopmat_nv_f16 = has_nv_f16_coopmat(instance, physical);
  info.push_descriptor = has_ext(VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);

  std::uint32_t family = find_compute_queue_family(physical);
  info.has_compute_queue = family != UINT32_MAX;
  if (info.has_compute_queue) {
    std::uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical, &n, nullptr);
    std::vector<VkQueueFamilyProperties> families(n);
    vkGetPhysicalDeviceQueueFamilyProperties(physical, &n, families.data());
    info.timestamps = families[family].timestampValidBits > 0 && l.timestampPeriod > 0.0f;
  }
  return info;
}

}  // namespace detail

std::vector<DeviceInfo> list_devices() {
  VkApplicationInfo app{};
  app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
  app.pApplicationName = "m2vk";
  app.apiVersion = detail::instance_api_version();
  VkInstanceCreateInfo ci{};
  ci.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
  ci.pApplicationInfo = &app;
  VkInstance instance = VK_NULL_HANDLE;
  check(vkCreateInstance(&ci, nullptr, &instance), "vkCreateInstance", "listing Vulkan devices (is a Vulkan driver installed?)");
  std::vector<DeviceInfo> out;
  try {
    std::uint32_t n = 0;
    check(vkEnumeratePhysicalDevices(instance, &n, nullptr), "vkEnumeratePhysicalDevices");
    std::vector<VkPhysicalDevice> physical(n);
    check(vkEnumeratePhysicalDevices(instance, &n, physical.data()), "vkEnumeratePhysicalDevices");
    for (std::uint32_t i = 0; i < n; ++i) out.push_back(detail::query_device_info(instance, physical[i], i));
  } catch (...) {
    vkDestroyInstance(instance, nullptr);
    throw;
  }
  vkDestroyInstance(instance, nullptr);
  return out;
}

}  // namespace m2vk::host
