// Subcommand registry of the m2vk CLI.
//
// Each subcommand is a cmd_<name>.cpp file that defines a function and registers it with
// M2VK_COMMAND. Registration happens through a static object, which works because the
// command files are compiled straight into the executable (not into a static library,
// where unreferenced objects would be dropped).
#pragma once

#include <string>
#include <vector>

namespace m2vk::cli {

// Runs a subcommand. args excludes the program and subcommand names. Returns the exit code.
using CommandFn = int (*)(const std::vector<std::string>& args);

struct Command {
  std::string name;
  std::string summary;  // one line for `m2vk help`
  CommandFn run;
};

// All registered commands, sorted by name.
std::vector<Command> commands();

struct CommandRegistrar {
  CommandRegistrar(const char* name, const char* summary, CommandFn fn);
};

}  // namespace m2vk::cli

#define M2VK_CONCAT_INNER(a, b) a##b
#define M2VK_CONCAT(a, b) M2VK_CONCAT_INNER(a, b)
#define M2VK_COMMAND(name, summary, fn) \
  static ::m2vk::cli::CommandRegistrar M2VK_CONCAT(m2vk_command_, __LINE__)(name, summary, fn)
