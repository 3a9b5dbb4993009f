// Helpers shared by the loader tests: data paths, scratch folders, byte files, zip building and
// the expected values written by tools/make_fixtures.py.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "m2vk/loader/tensor_store.hpp"

namespace m2vk::loader::test {

std::filesystem::path data_dir();          // tests/data
std::filesystem::path loader_data(const std::string& name);  // tests/data/loader/<name>
const nlohmann::json& expected();          // tests/data/loader/expected.json

// A fresh empty folder under the build tree's temp space, removed by the destructor.
struct ScratchDir {
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::filesystem::path path;
  std::filesystem::path operator/(const std::string& n) const { return path / n; }
};

std::vector<uint8_t> read_bytes(const std::filesystem::path& f);
void write_bytes(const std::filesystem::path& f, const std::vector<uint8_t>& b);

std::string fnv1a64_hex(std::span<const std::byte> bytes);

struct ZipItem {
  std::string name;
  std::vector<uint8_t> data;
  bool deflate = false;
};
// Writes a zip with libzip (stored unless deflate).
void write_zip(const std::filesystem::path& f, const std::vector<ZipItem>& items);
// Reads every entry of a zip with libzip.
std::vector<ZipItem> read_zip(const std::filesystem::path& f);

// Checks a loaded store against one entry of expected.json (dtype, shape, FNV hash, first values,
// storage sharing when check_sharing). strip: prefix removed from the expected names.
void expect_matches(const TensorStore& store, const nlohmann::json& want, const std::string& strip = "",
                    bool check_sharing = true);

// Runs f and returns the LoaderError message ("" when nothing was thrown; other exceptions fail).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const LoaderError& e) {
    return e.what();
  }
  return "";
}

}  // namespace m2vk::loader::test
