// A small, strict command-line parser shared by the subcommands.
//
// Options are declared up front; anything undeclared, a missing value or a malformed number is a
// UsageError naming the flag. `--flag=value` and `--flag value` are both accepted.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace m2vk::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ArgParser {
 public:
  explicit ArgParser(std::string usage) : usage_(std::move(usage)) {}

  // Declares a flag that takes a value (e.g. "--device") and one that does not (e.g. "--verify").
  ArgParser& option(const std::string& name, const std::string& help);
  ArgParser& flag(const std::string& name, const std::string& help);

  // Parses args; throws UsageError. "-h"/"--help" sets help_requested().
  void parse(const std::vector<std::string>& args);

  bool help_requested() const { return help_; }
  std::string help_text() const;

  bool has(const std::string& name) const;
  std::optional<std::string> get(const std::string& name) const;
  std::string get_or(const std::string& name, const std::string& fallback) const;
  // Integer value of an option, with its bounds checked; throws UsageError naming the flag.
  std::optional<long long> get_int(const std::string& name, long long min, long long max) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  struct Spec {
    bool takes_value;
    std::string help;
  };
  std::string usage_;
  std::map<std::string, Spec> specs_;
  std::vector<std::string> order_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

}  // namespace m2vk::cli
