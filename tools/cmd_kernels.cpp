// m2vk kernels [--device SPEC] [--json] [--model DIR] [--selected] [NAME...]: compiles every
// shipped shader variant on the chosen device and prints what the driver's compiler made of each
// one (registers, spills, scratch, shared memory, occupancy, instructions) where the driver
// reports it (VK_KHR_pipeline_executable_properties: RADV does, lavapipe does not and prints
// "n/a"). Every row says whether the forward pass selects that pipeline on this device for the
// model's shapes (L in kLengths up to the model's maximum, batch 1 and 8), as the planner
// (m2vk/gpu/pipeline_plan.hpp) finds it, and for which shapes.
// The context is compile-only, so this works on a device that cannot allocate memory, such as
// RADV's null device (VK_ICD_FILENAMES=.../radeon_icd.x86_64.json RADV_FORCE_FAMILY=navi21).
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_args.hpp"
#include "command.hpp"
#include "m2vk/batch.hpp"
#include "m2vk/config.hpp"
#include "m2vk/demo_model.hpp"
#include "m2vk/gpu/pipeline_plan.hpp"
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

// The shapes the selection is planned for (issue 13: the 80M-32k retrieval model's lengths).
constexpr std::uint32_t kLengths[] = {128, 512, 2048, 8192, 32768};
constexpr std::uint32_t kBatches[] = {1, 8};

struct Shape {
  std::uint32_t batch, length;
};

struct Compiled {
  std::string name;
  m2vk::host::SpecConstants spec;
  std::vector<Shape> selected_for;  // empty: the forward pass does not select it
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
  j["selected"] = !c.selected_for.empty();
  if (!c.selected_for.empty()) {
    j["shapes"] = nlohmann::ordered_json::array();
    for (const Shape& sh : c.selected_for) j["shapes"].push_back({{"batch", sh.batch}, {"length", sh.length}});
  }
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
  m2vk::cli::ArgParser args("m2vk kernels [--device SPEC] [--json] [--model DIR] [--selected] [NAME...]");
  args.option("--device", "device to compile for: index, UUID (prefix) or name substring (default: M2VK_DEVICE, else the default device)")
      .option("--model", "model folder whose config.json gives the shapes the forward pass is planned for (default: the 80M-32k "
                         "retrieval shapes, m2vk demo-model 80m-32k, without weights)")
      .flag("--selected", "only the pipelines the forward pass selects on this device")
      .flag("--json", "print JSON instead of a table");
  args.parse(argv);
  if (args.help_requested()) {
    std::printf("%s", args.help_text().c_str());
    std::printf("NAME...: only these shader variants (default: every shipped variant)\n");
    return 0;
  }
  std::vector<std::string> names = args.positional();
  const bool only_named = !names.empty();
  if (names.empty()) names = m2vk::shaders::names();
  for (const auto& n : names)
    if (!m2vk::shaders::try_find(n)) throw m2vk::cli::UsageError("unknown shader variant '" + n + "' (`m2vk kernels` lists them all)");
  if (only_named && args.has("--selected")) throw m2vk::cli::UsageError("--selected and NAME... exclude each other");

  m2vk::ModelConfig cfg = m2vk::demo_config(m2vk::DemoShape::M80M32k);
  if (args.has("--model")) cfg = m2vk::load_config_file(std::filesystem::path(args.get_or("--model", "")) / "config.json");

  m2vk::host::ContextOptions options;
  options.device_spec = args.get_or("--device", "");
  options.compile_only = true;
  options.capture_statistics = true;
  options.persist_pipeline_cache = false;  // statistics come from a fresh compile, never the cache
  options.validation = false;  // compiling only: nothing for the layer to check at run time
  auto ctx = m2vk::host::Context::create(options);

  // What the forward pass selects, shape by shape (lengths beyond the model's maximum skipped).
  // A shape the device cannot run (e.g. activations over its allocation limit) is reported, not
  // planned: the forward pass would refuse it with the same message.
  std::map<std::string, Compiled> selected;
  std::vector<std::pair<Shape, std::string>> not_planned;
  const std::int64_t max_len = m2vk::Batch::max_length(cfg);
  for (std::uint32_t L : kLengths) {
    if (L > max_len) continue;
    for (std::uint32_t B : kBatches) {
      m2vk::gpu::PipelinePlan plan;
      try {
        plan = m2vk::gpu::plan_forward_pipelines(*ctx, cfg, B, L);
      } catch (const std::exception& e) {
        not_planned.push_back({{B, L}, e.what()});
        continue;
      }
      for (const auto& [key, d] : plan) {
        Compiled& c = selected[key];
        c.name = key;
        c.spec = d.spec;
        c.selected_for.push_back({B, L});
      }
    }
  }

  std::vector<Compiled> rows;
  for (const auto& n : names) {
    Compiled c;
    c.name = n;
    if (auto it = selected.find(n); it != selected.end()) c = it->second;
    if (args.has("--selected") && c.selected_for.empty()) continue;
    rows.push_back(std::move(c));
  }
  if (!only_named)  // selected pipelines with specialization constants are rows of their own
    for (const auto& [key, c] : selected)
      if (!c.spec.empty()) rows.push_back(c);

  std::vector<Compiled> compiled;
  std::size_t failures = 0;
  for (Compiled c : rows) {
    const std::string variant = c.spec.empty() ? c.name : c.name.substr(0, c.name.find('{'));
    try {
      const auto& p = ctx->pipeline(variant, c.spec);
      c.executables = ctx->pipeline_statistics(p);
    } catch (const m2vk::host::UnsupportedShader& e) {
      c.unsupported = e.what();
      if (!c.selected_for.empty()) ++failures;  // the forward pass would need it here
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
    j["model"] = {{"hidden_size", cfg.hidden_size}, {"num_hidden_layers", cfg.num_hidden_layers}, {"max_length", max_len}};
    j["shapes_not_planned"] = nlohmann::ordered_json::array();
    for (const auto& [sh, why] : not_planned)
      j["shapes_not_planned"].push_back({{"batch", sh.batch}, {"length", sh.length}, {"reason", why}});
    j["pipelines"] = nlohmann::ordered_json::array();
    for (const auto& c : compiled) j["pipelines"].push_back(to_json(c));
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("device: %s (%s%s%s), subgroup size %u; statistics: %s\n", d.name.c_str(), d.driver_name.c_str(),
                d.driver_info.empty() ? "" : " ", d.driver_info.c_str(), d.subgroup_size,
                ctx->statistics_available() ? "from VK_KHR_pipeline_executable_properties" : "n/a (the driver reports none)");
    std::printf("selected (*): planned for batch 1 and 8 at L up to %lld of the model\n", static_cast<long long>(max_len));
    for (const auto& [sh, why] : not_planned)
      std::printf("not planned: batch %u x length %u: %s\n", sh.batch, sh.length, why.c_str());
    std::printf("  %-40s", "pipeline");
    for (const char* h : kHeaders) std::printf(" %8s", h);
    std::printf("\n");
    for (const auto& c : compiled) {
      std::printf("%c %-40s", c.selected_for.empty() ? ' ' : '*', c.name.c_str());
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
