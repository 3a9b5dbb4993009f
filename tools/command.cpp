#include "command.hpp"

#include <algorithm>

namespace m2vk::cli {
namespace {
// Function-local static: safe against static-initialisation order across command files.
std::vector<Command>& registry() {
  static std::vector<Command> r;
  return r;
}
}  // namespace

CommandRegistrar::CommandRegistrar(const char* name, const char* summary, CommandFn fn) {
  registry().push_back(Command{name, summary, fn});
}

std::vector<Command> commands() {
  std::vector<Command> out = registry();
  std::sort(out.begin(), out.end(), [](const Command& a, const Command& b) { return a.name < b.name; });
  return out;
}

}  // namespace m2vk::cli
