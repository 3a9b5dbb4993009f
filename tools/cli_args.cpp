#include "cli_args.hpp"

#include <charconv>
#include <sstream>

namespace m2vk::cli {

ArgParser& ArgParser::option(const std::string& name, const std::string& help) {
  specs_[name] = Spec{true, help};
  order_.push_back(name);
  return *this;
}

ArgParser& ArgParser::flag(const std::string& name, const std::string& help) {
  specs_[name] = Spec{false, help};
  order_.push_back(name);
  return *this;
}

void ArgParser::parse(const std::vector<std::string>& args) {
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_positional || a.size() < 2 || a[0] != '-' || a == "-") {
      positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    if (a == "-h" || a == "--help") {
      help_ = true;
      continue;
    }
    std::string name = a;
    std::optional<std::string> inline_value;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
    }
    auto it = specs_.find(name);
    if (it == specs_.end()) throw UsageError("unknown option '" + name + "'");
    if (!it->second.takes_value) {
      if (inline_value) throw UsageError("option '" + name + "' takes no value");
      values_[name] = "";
      continue;
    }
    if (inline_value) {
      values_[name] = *inline_value;
    } else {
      if (i + 1 >= args.size()) throw UsageError("option '" + name + "' needs a value");
      values_[name] = args[++i];
    }
  }
}

std::string ArgParser::help_text() const {
  std::ostringstream os;
  os << usage_ << "\n";
  if (!order_.empty()) os << "\noptions:\n";
  for (const auto& name : order_) {
    const Spec& s = specs_.at(name);
    std::string left = "  " + name + (s.takes_value ? " VALUE" : "");
    os << left;
    if (left.size() < 26) os << std::string(26 - left.size(), ' ');
    else os << "\n" << std::string(26, ' ');
    os << s.help << "\n";
  }
  os << "  -h, --help                show this help\n";
  return os.str();
}

bool ArgParser::has(const std::string& name) const { return values_.count(name) != 0; }

std::optional<std::string> ArgParser::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string ArgParser::get_or(const std::string& name, const std::string& fallback) const {
  auto v = get(name);
  return v ? *v : fallback;
}

std::optional<long long> ArgParser::get_int(const std::string& name, long long min, long long max) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  long long out = 0;
  const char* b = v->data();
  const char* e = b + v->size();
  auto [p, ec] = std::from_chars(b, e, out);
  if (ec != std::errc() || p != e) throw UsageError("option '" + name + "' expects an integer, got '" + *v + "'");
  if (out < min || out > max)
    throw UsageError("option '" + name + "' must be in [" + std::to_string(min) + ", " + std::to_string(max) +
                     "], got " + *v);
  return out;
}

}  // namespace m2vk::cli
