#include "model_flags.hpp"

#include <stdexcept>
#include <string>

namespace m2vk::cli {

RunOptions parse_run_options(const ArgParser& p) {
  RunOptions run;
  const std::string padding = p.get_or("--padding", "max_length");
  if (padding == "max_length") run.padding = PaddingMode::MaxLength;
  else if (padding == "longest") run.padding = PaddingMode::Longest;
  else throw UsageError("--padding '" + padding + "': expected max_length or longest");
  if (auto n = p.get_int("--max-length", 2, 1 << 30)) run.max_length = *n;
  if (auto n = p.get_int("--batch-size", 1, 1 << 20)) run.batch_size = static_cast<size_t>(*n);
  return run;
}

Device parse_device_flag(const ArgParser& p) {
  try {
    return Device::parse(p.get_or("--device", "auto"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--device: ") + e.what());
  }
}

}  // namespace m2vk::cli
