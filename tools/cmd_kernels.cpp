// m2vk kernels [--device SPEC] [--json] [--only NAME...]: compiles every shipped shader variant on
// the chosen device and prints what the driver's compiler made of each one (registers, spills,
// scratch, shared memory, occupancy, instructions) where the driver reports it
// (VK_KHR_pipeline_executable_properties: RADV does, lavapipe does not and prints "n/a").
// The context is compile-only, so this works on a device that cannot allocate memory, such as
// RADV's null device (VK_ICD_FILENAMES=.../radeon_icd.x86_64.json RADV_FORCE_FAMILY=navi21).
#include <cstdio>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_args.hpp"
#include "command.hpp"
#include "m2vk/host/context.hpp"
#include "m2vk/host/error.hpp"
#include "m2vk/shaders.hpp"

namespace {

using m2vk::host::PipelineExecutableStatistics;

// The statistics shown in the text table, as RADV names them (other drivers' names differ; the
// JSON carries every statistic the driver reports).
const char* const kColumns[] = {"VGPRs", "SGPRs", "Spilled VGPRs", "Spilled SGPRs", "Scratch size", "LDS size", "Subgroups per SIMD",
                                "Instructions"};
const char* const kHeaders[] = {"VGPRs", "SGPRs", "spillV", "spillS", "scratch", "LDS", "sg/SIMD", "instrs"};

struct Compiled {
  std::string name;
  std::string error;  // non-empty: the pipeline could not be created
  std::string unsupported;  // non-empty: the device lacks a feature the shader needs (not a failure)
  std::vector<PipelineExecutableStatistics> executables;
};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// A statistic of the first executable that reports it ("n/a" if none does).
std::string cell(const Compiled& c, const char* name) {
  for (const auto& e : c.executables)
    for (const auto& s : e.statistics)
      if (s.name == name) return number(s.value);
  return "n/a";
}

nlohmann::ordered_json to_json(const Compiled& c) {
  nlohmann::ordered_json j;
  j["name"] = c.name;
  j["compiled"] = c.error.empty() && c.unsupported.empty();
  if (!c.error.empty()) j["error"] = c.error;
  if (!c.unsupported.empty()) j["unsupported"] = c.unsupported;
  j["executables"] = nlohmann::ordered_json::array();
  for (const auto& e : c.executables) {
    nlohmann::ordered_json je;
    je["name"] = e.executable;
    je["subgroup_size"] = e.subgroup_size;
    nlohmann::ordered_json stats = nlohmann::ordered_json::object();
    for (const auto& s : e.statistics) stats[s.name] = s.value;
    je["statistics"] = std::move(stats);
    j["executables"].push_back(std::move(je));
  }
  return j;
}

int run_kernels(const std::vector<std::string>& argv) {
  m2vk::cli::ArgParser args("m2vk kernels [--device SPEC] [--json] [NAME...]");
  args.option("--device", "device to compile for: index, UUID (prefix) or name substring (default: M2VK_DEVICE, else the default device)")
      .flag("--json", "print JSON instead of a table");
  args.parse(argv);
  if (args.help_requested()) {
    std::printf("%s", args.help_text().c_str());
    std::printf("NAME...: only these shader variants (default: every shipped variant)\n");
    return 0;
  }
  std::vector<std::string> names = args.positional();
  if (names.empty()) names = m2vk::shaders::names();
  for (const auto& n : names)
    if (!m2vk::shaders::try_find(n)) throw m2vk::cli::UsageError("unknown shader variant '" + n + "' (`m2vk kernels` lists them all)");

  m2vk::host::ContextOptions options;
  options.device_spec = args.get_or("--device", "");
  options.compile_only = true;
  options.capture_statistics = true;
  options.persist_pipeline_cache = false;  // statistics come from a fresh compile, never the cache
  options.validation = false;  // compiling only: nothing for the layer to check at run time
  auto ctx = m2vk::host::Context::create(options);

  std::vector<Compiled> compiled;
  std::size_t failures = 0;
  for (const auto& n : names) {
    Compiled c;
    c.name = n;
    try {
      const auto& p = ctx->pipeline(n);
      c.executables = ctx->pipeline_statistics(p);
    } catch (const m2vk::host::UnsupportedShader& e) {
      c.unsupported = e.what();
    } catch (const std::exception& e) {
      c.error = e.what();
      ++failures;
    }
    compiled.push_back(std::move(c));
  }

  const auto& d = ctx->device_info();
  if (args.has("--json")) {
    nlohmann::ordered_json j;
    j["device"] = {{"name", d.name}, {"driver_name", d.driver_name}, {"driver_info", d.driver_info}, {"subgroup_size", d.subgroup_size}};
    j["statistics_available"] = ctx->statistics_available();
    j["pipelines"] = nlohmann::ordered_json::array();
    for (const auto& c : compiled) j["pipelines"].push_back(to_json(c));
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("device: %s (%s%s%s), subgroup size %u; statistics: %s\n", d.name.c_str(), d.driver_name.c_str(),
                d.driver_info.empty() ? "" : " ", d.driver_info.c_str(), d.subgroup_size,
                ctx->statistics_available() ? "from VK_KHR_pipeline_executable_properties" : "n/a (the driver reports none)");
    std::printf("%-40s", "pipeline");
    for (const char* h : kHeaders) std::printf(" %8s", h);
    std::printf("\n");
    for (const auto& c : compiled) {
      std::printf("%-40s", c.name.c_str());
      if (!c.error.empty()) {
        std::printf(" FAILED: %s\n", c.error.c_str());
        continue;
      }
      if (!c.unsupported.empty()) {
        std::printf(" not on this device: %s\n", c.unsupported.c_str());
        continue;
      }
      for (const char* col : kColumns) std::printf(" %8s", cell(c, col).c_str());
      std::printf("\n");
    }
  }
  if (failures) {
    std::fprintf(stderr, "m2vk kernels: %zu of %zu pipelines failed to compile on %s (see their rows)\n", failures, compiled.size(),
                 d.name.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

M2VK_COMMAND("kernels", "compile every shader variant on a device and print the driver's statistics (registers, spills, occupancy)",
             run_kernels);
