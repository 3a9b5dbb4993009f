// Flags shared by the commands that run a model (embed, classify, compare, golden): one parser
// each, so every command accepts the same values and reports the same usage errors.
#pragma once

#include "cli_args.hpp"
#include "m2vk/model.hpp"

namespace m2vk::cli {

// --padding (max_length | longest), --max-length N and, where declared, --batch-size N.
RunOptions parse_run_options(const ArgParser& p);

// --device (default "auto"); a malformed spec is a UsageError naming the flag.
Device parse_device_flag(const ArgParser& p);

}  // namespace m2vk::cli
