// Driver statistics of compiled pipelines, through VK_KHR_pipeline_executable_properties. The
// entry points are extension functions, so they are looked up on the device.
#include "pipeline_statistics.hpp"

#include <string>

#include "m2vk/host/error.hpp"

namespace m2vk::host::detail {
namespace {

double statistic_value(const VkPipelineExecutableStatisticKHR& s) {
  switch (s.format) {
    case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_BOOL32_KHR:
      return s.value.b32 ? 1.0 : 0.0;
    case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_INT64_KHR:
      return static_cast<double>(s.value.i64);
    case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_UINT64_KHR:
      return static_cast<double>(s.value.u64);
    case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_FLOAT64_KHR:
      return s.value.f64;
    default:
      return 0.0;
  }
}

}  // namespace

std::vector<PipelineExecutableStatistics> pipeline_statistics(VkDevice device, VkPipeline pipeline) {
  auto get_properties = reinterpret_cast<PFN_vkGetPipelineExecutablePropertiesKHR>(
      vkGetDeviceProcAddr(device, "vkGetPipelineExecutablePropertiesKHR"));
  auto get_statistics = reinterpret_cast<PFN_vkGetPipelineExecutableStatisticsKHR>(
      vkGetDeviceProcAddr(device, "vkGetPipelineExecutableStatisticsKHR"));
  if (!get_properties || !get_statistics)
    throw HostError("vkGetPipelineExecutable{Properties,Statistics}KHR are missing although " VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME
                    " is enabled");

  VkPipelineInfoKHR pi{};
  pi.sType = VK_STRUCTURE_TYPE_PIPELINE_INFO_KHR;
  pi.pipeline = pipeline;
  std::uint32_t n = 0;
  check(get_properties(device, &pi, &n, nullptr), "vkGetPipelineExecutablePropertiesKHR", "count");
  std::vector<VkPipelineExecutablePropertiesKHR> props(n);
  for (auto& p : props) p.sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_PROPERTIES_KHR;
  check(get_properties(device, &pi, &n, props.data()), "vkGetPipelineExecutablePropertiesKHR");
  props.resize(n);

  std::vector<PipelineExecutableStatistics> out;
  for (std::uint32_t i = 0; i < n; ++i) {
    PipelineExecutableStatistics e;
    e.executable = props[i].name;
    e.subgroup_size = props[i].subgroupSize;
    VkPipelineExecutableInfoKHR ei{};
    ei.sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INFO_KHR;
    ei.pipeline = pipeline;
    ei.executableIndex = i;
    std::uint32_t m = 0;
    check(get_statistics(device, &ei, &m, nullptr), "vkGetPipelineExecutableStatisticsKHR", "count");
    std::vector<VkPipelineExecutableStatisticKHR> stats(m);
    for (auto& s : stats) s.sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_STATISTIC_KHR;
    check(get_statistics(device, &ei, &m, stats.data()), "vkGetPipelineExecutableStatisticsKHR");
    stats.resize(m);
    for (const auto& s : stats) e.statistics.push_back({s.name, s.description, statistic_value(s)});
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace m2vk::host::detail
