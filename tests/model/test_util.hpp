// Helpers shared by the model tests (and the GPU model tests): a self-removing temporary directory,
// golden-set paths, and a runner for the built m2vk binary.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace m2vk::test {

inline std::filesystem::path golden_dir(const std::string& set) {
  return std::filesystem::path(M2VK_TEST_DATA) / "golden" / set;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "m2vk-model-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CliRun {
  int code;         // exit status, -1 if the command could not run or was killed
  std::string out;  // stdout (plus stderr when asked for)
};

// Runs `m2vk <args>` through the shell (args are shell words: quote paths with quote_path).
// stderr goes to the test log unless with_stderr merges it into `out`.
inline CliRun run_cli(const std::string& binary, const std::string& args, bool with_stderr = false) {
  const std::string cmd = binary + " " + args + (with_stderr ? " 2>&1" : "");
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {-1, ""};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline std::string quote_path(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

}  // namespace m2vk::test
