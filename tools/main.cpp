// m2vk: command-line front end. Dispatches to the registered subcommands; the only place
// (with the cmd_*.cpp files) that prints to the terminal or chooses an exit code.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli_args.hpp"
#include "command.hpp"

namespace {

// To stdout when asked for (`m2vk help`), to stderr after a usage error.
void print_usage(std::FILE* out) {
  std::fprintf(out, "usage: m2vk <command> [options]\n\ncommands:\n");
  for (const auto& c : m2vk::cli::commands()) std::fprintf(out, "  %-12s %s\n", c.name.c_str(), c.summary.c_str());
  std::fprintf(out, "\n`m2vk <command> --help` shows a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  std::string name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    print_usage(stdout);
    return 0;
  }
  if (name == "--version") {
    std::printf("m2vk 0.1.0\n");
    return 0;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& c : m2vk::cli::commands()) {
    if (c.name != name) continue;
    try {
      return c.run(args);
    } catch (const m2vk::cli::UsageError& e) {
      std::fprintf(stderr, "m2vk %s: %s (see `m2vk %s --help`)\n", name.c_str(), e.what(), name.c_str());
      return 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "m2vk %s: error: %s\n", name.c_str(), e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "m2vk: unknown command '%s'\n", name.c_str());
  print_usage(stderr);
  return 2;
}
