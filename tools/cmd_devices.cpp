// m2vk devices [--json] [--device SPEC]: every Vulkan device with what m2vk cares about. `*`
// marks the default device; the one --device (or M2VK_DEVICE) picks is marked "selected".
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_args.hpp"
#include "command.hpp"
#include "m2vk/gpu/spectrum_budget.hpp"
#include "m2vk/host/device_info.hpp"

namespace {

using m2vk::host::DeviceInfo;

std::string bytes_text(std::uint64_t b) {
  char buf[64];
  if (b >= (1ull << 30))
    std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(b) / (1ull << 30));
  else if (b >= (1ull << 20))
    std::snprintf(buf, sizeof buf, "%.0f MiB", static_cast<double>(b) / (1ull << 20));
  else
    std::snprintf(buf, sizeof buf, "%.0f KiB", static_cast<double>(b) / 1024.0);
  return buf;
}

const char* yes_no(bool b) { return b ? "yes" : "no"; }

nlohmann::ordered_json to_json(const DeviceInfo& d, bool is_default, bool selected) {
  nlohmann::ordered_json j;
  j["index"] = d.index;
  j["name"] = d.name;
  j["default"] = is_default;
  j["selected"] = selected;
  j["type"] = std::string(m2vk::host::device_type_name(d.type));
  j["vendor_id"] = d.vendor_id;
  j["vendor"] = d.vendor_name;
  j["device_id"] = d.device_id;
  j["driver_name"] = d.driver_name;
  j["driver_info"] = d.driver_info;
  j["api_version"] = d.api_version_string;
  j["uuid"] = d.uuid;
  j["memory_heaps"] = nlohmann::ordered_json::array();
  for (const auto& h : d.memory_heaps) j["memory_heaps"].push_back({{"size", h.size}, {"device_local", h.device_local}});
  const auto budget = m2vk::gpu::default_spectrum_budget(d, 0, m2vk::gpu::host_memory_available());
  j["spectrum_budget"] = {{"bytes", budget.bytes}, {"rule", budget.reason + ", less the model's weights on a GPU"}};
  j["subgroup_size"] = d.subgroup_size;
  j["max_shared_memory"] = d.max_shared_memory;
  j["max_storage_buffer_range"] = d.max_storage_buffer_range;
  j["max_memory_allocation_size"] = d.max_memory_allocation_size;
  j["max_workgroup_size"] = {d.max_workgroup_size[0], d.max_workgroup_size[1], d.max_workgroup_size[2]};
  j["max_workgroup_invocations"] = d.max_workgroup_invocations;
  j["max_workgroup_count"] = {d.max_workgroup_count[0], d.max_workgroup_count[1], d.max_workgroup_count[2]};
  j["fp16_arithmetic"] = d.fp16_arithmetic;
  j["vulkan_memory_model"] = d.vulkan_memory_model;
  j["int8_arithmetic"] = d.int8_arithmetic;
  j["storage_16bit"] = d.storage_16bit;
  j["cooperative_matrix"] = d.cooperative_matrix;
  j["coopmat_nv_f16"] = d.coopmat_nv_f16;
  j["push_descriptor"] = d.push_descriptor;
  j["compute_queue"] = d.has_compute_queue;
  j["timestamps"] = d.timestamps;
  j["timestamp_period_ns"] = d.timestamp_period_ns;
  return j;
}

void print_text(const DeviceInfo& d, bool is_default, bool selected) {
  std::string marks;
  if (is_default) marks += "default";
  if (selected) marks += marks.empty() ? "selected" : ", selected";
  std::printf("%c %zu: %s%s\n", is_default ? '*' : ' ', d.index, d.name.c_str(), marks.empty() ? "" : ("  [" + marks + "]").c_str());
  auto row = [](const char* key, const std::string& value) { std::printf("      %-28s %s\n", key, value.c_str()); };
  char vendor[64];
  std::snprintf(vendor, sizeof vendor, " (0x%04x)", d.vendor_id);
  row("type", std::string(m2vk::host::device_type_name(d.type)));
  row("vendor", d.vendor_name + vendor);
  row("driver", d.driver_name.empty() ? "?" : d.driver_name + (d.driver_info.empty() ? "" : " (" + d.driver_info + ")"));
  row("Vulkan API", d.api_version_string);
  row("UUID", d.uuid.empty() ? "?" : d.uuid);
  std::string heaps;
  for (const auto& h : d.memory_heaps) heaps += (heaps.empty() ? "" : ", ") + bytes_text(h.size) + (h.device_local ? " device-local" : " host");
  row("memory heaps", heaps);
  // The default cache for Hyena filter spectra (--spectrum-budget overrides it): what decides
  // whether long inputs rebuild their spectra every pass.
  const auto budget = m2vk::gpu::default_spectrum_budget(d, 0, m2vk::gpu::host_memory_available());
  row("filter-spectrum budget", bytes_text(budget.bytes) + ": " + budget.reason + (d.type == m2vk::host::DeviceType::Cpu ? "" : ", less the model's weights"));
  row("subgroup size", std::to_string(d.subgroup_size));
  row("shared memory", bytes_text(d.max_shared_memory));
  row("maxStorageBufferRange", bytes_text(d.max_storage_buffer_range) + " (" + std::to_string(d.max_storage_buffer_range) + ")");
  row("max allocation", bytes_text(d.max_memory_allocation_size));
  row("workgroup size / invocations", std::to_string(d.max_workgroup_size[0]) + " x " + std::to_string(d.max_workgroup_size[1]) + " x " +
                                          std::to_string(d.max_workgroup_size[2]) + " / " + std::to_string(d.max_workgroup_invocations));
  row("fp16 / int8 arithmetic", std::string(yes_no(d.fp16_arithmetic)) + " / " + yes_no(d.int8_arithmetic));
  row("16-bit storage", yes_no(d.storage_16bit));
  row("cooperative matrix", std::string(yes_no(d.cooperative_matrix)) +
                                (d.coopmat_nv_f16 ? " (NV, fp16 16x16x16: fp16-coopmat GEMMs available)" : ""));
  row("push descriptors", yes_no(d.push_descriptor));
  char period[32];
  std::snprintf(period, sizeof period, "%g", static_cast<double>(d.timestamp_period_ns));
  row("timestamps", d.timestamps ? std::string("yes (") + period + " ns/tick)" : "no");
}

int run_devices(const std::vector<std::string>& argv) {
  m2vk::cli::ArgParser args("m2vk devices [--json] [--device SPEC]");
  args.flag("--json", "print JSON instead of text")
      .option("--device", "mark the device this spec selects: index, UUID (prefix) or name substring, or cpu for the CPU "
                            "reference path (default: M2VK_DEVICE)");
  args.parse(argv);
  if (args.help_requested()) {
    std::printf("%s", args.help_text().c_str());
    return 0;
  }
  if (!args.positional().empty()) throw m2vk::cli::UsageError("unexpected argument '" + args.positional()[0] + "'");

  std::vector<DeviceInfo> devices = m2vk::host::list_devices();
  if (devices.empty()) throw std::runtime_error("no Vulkan device found (install a GPU driver, or mesa-vulkan-drivers for lavapipe)");
  const std::size_t def = m2vk::host::default_device_index(devices);
  // "cpu" (--device or M2VK_DEVICE) picks the CPU reference path, not a Vulkan device: the
  // devices are listed and none is marked selected.
  const std::string spec = args.get_or("--device", "");
  const char* env = std::getenv("M2VK_DEVICE");
  const bool reference = (spec.empty() && env ? std::string(env) : spec) == "cpu";
  const std::size_t sel = reference ? devices.size() : m2vk::host::select_device(devices, spec);

  if (args.has("--json")) {
    nlohmann::ordered_json j;
    j["default"] = def;
    j["selected"] = reference ? nlohmann::ordered_json("cpu") : nlohmann::ordered_json(sel);
    j["devices"] = nlohmann::ordered_json::array();
    for (const auto& d : devices) j["devices"].push_back(to_json(d, d.index == def, d.index == sel));
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  for (const auto& d : devices) print_text(d, d.index == def, d.index == sel);
  if (reference) std::printf("selected: the CPU reference path (device \"cpu\"), no Vulkan device\n");
  return 0;
}

}  // namespace

M2VK_COMMAND("devices", "list the Vulkan devices and their compute capabilities", run_devices);
