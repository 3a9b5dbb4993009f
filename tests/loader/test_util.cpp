#include "test_util.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zip.h>

#include <atomic>
#include <fstream>
#include <map>
#include <random>

namespace m2vk::loader::test {

std::filesystem::path data_dir() { return M2VK_TEST_DATA; }
std::filesystem::path loader_data(const std::string& name) { return data_dir() / "loader" / name; }

const nlohmann::json& expected() {
  static const nlohmann::json j = [] {
    std::ifstream in(loader_data("expected.json"));
    return nlohmann::json::parse(in);
  }();
  return j;
}

ScratchDir::ScratchDir() {
  static std::atomic<int> n{0};
  path = std::filesystem::temp_directory_path() /
         ("m2vk-loader-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
}
ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::permissions(path, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
  std::filesystem::remove_all(path, ec);
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& f) {
  std::ifstream in(f, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}
void write_bytes(const std::filesystem::path& f, const std::vector<uint8_t>& b) {
  std::ofstream out(f, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::string fnv1a64_hex(std::span<const std::byte> bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (std::byte b : bytes) h = (h ^ std::to_integer<uint64_t>(b)) * 0x100000001b3ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

void write_zip(const std::filesystem::path& f, const std::vector<ZipItem>& items) {
  std::filesystem::remove(f);
  int err = 0;
  zip_t* z = zip_open(f.c_str(), ZIP_CREATE | ZIP_EXCL, &err);
  ASSERT_NE(z, nullptr) << "zip_open " << err;
  for (const auto& it : items) {
    zip_source_t* s = zip_source_buffer(z, it.data.data(), it.data.size(), 0);
    ASSERT_NE(s, nullptr);
    zip_int64_t idx = zip_file_add(z, it.name.c_str(), s, ZIP_FL_ENC_UTF_8);
    ASSERT_GE(idx, 0) << zip_strerror(z);
    zip_set_file_compression(z, static_cast<zip_uint64_t>(idx), it.deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  ASSERT_EQ(zip_close(z), 0);
}

std::vector<ZipItem> read_zip(const std::filesystem::path& f) {
  std::vector<ZipItem> out;
  int err = 0;
  zip_t* z = zip_open(f.c_str(), ZIP_RDONLY, &err);
  if (!z) {
    ADD_FAILURE() << "cannot open " << f;
    return out;
  }
  for (zip_int64_t i = 0; i < zip_get_num_entries(z, 0); ++i) {
    zip_stat_t st;
    zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &st);
    ZipItem it{st.name, std::vector<uint8_t>(st.size)};
    zip_file_t* zf = zip_fopen_index(z, static_cast<zip_uint64_t>(i), 0);
    zip_fread(zf, it.data.data(), it.data.size());
    zip_fclose(zf);
    out.push_back(std::move(it));
  }
  zip_discard(z);
  return out;
}

void expect_matches(const TensorStore& store, const nlohmann::json& want, const std::string& strip, bool check_sharing) {
  const auto& tensors = want.at("tensors");
  EXPECT_EQ(store.tensors().size(), tensors.size()) << store.source();
  auto local = [&](const std::string& n) { return n.starts_with(strip) ? n.substr(strip.size()) : n; };
  for (auto it = tensors.begin(); it != tensors.end(); ++it) {
    std::string name = local(it.key());
    const Tensor* t = store.find(name);
    ASSERT_NE(t, nullptr) << "missing tensor " << name << " in " << store.source();
    const auto& w = it.value();
    EXPECT_EQ(dtype_name(t->dtype), w.at("dtype").get<std::string>()) << name;
    EXPECT_EQ(t->shape, w.at("shape").get<std::vector<int64_t>>()) << name;
    EXPECT_EQ(fnv1a64_hex(t->bytes), w.at("fnv1a64").get<std::string>()) << name << " bytes differ from torch.load";
    auto values = to_float32(*t);
    auto wv = w.at("values").get<std::vector<double>>();
    ASSERT_LE(wv.size(), values.size()) << name;
    for (size_t i = 0; i < wv.size(); ++i) {
      // to_float32 of I64 / F64 rounds to float; compare at float precision.
      EXPECT_EQ(values[i], static_cast<float>(wv[i])) << name << "[" << i << "]";
    }
  }
  if (!check_sharing) return;
  for (const auto& group : want.at("shared")) {
    std::string first = local(group.at(0).get<std::string>());
    for (const auto& n : group) {
      EXPECT_EQ(store.at(local(n.get<std::string>())).storage_id, store.at(first).storage_id)
          << n << " should share storage with " << first;
    }
  }
  // Keys that do not share in torch must not share here either.
  std::map<std::string, int> groups;
  for (const auto& t : store.tensors()) ++groups[t.storage_id];
  size_t shared_keys = 0;
  for (const auto& group : want.at("shared")) shared_keys += group.size();
  size_t ours = 0;
  for (const auto& [id, n] : groups) {
    if (n > 1) ours += size_t(n);
  }
  EXPECT_EQ(ours, shared_keys) << "storage sharing differs from torch in " << store.source();
}

}  // namespace m2vk::loader::test
