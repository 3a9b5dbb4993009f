// The safetensors cache (beside the checkpoint or in the user cache dir, rebuilt when the source
// changes) and streaming conversion with bit-exact verification.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>

#include "m2vk/loader/convert.hpp"
#include "m2vk/loader/safetensors.hpp"
#include "content_hash.hpp"
#include "store_impl.hpp"
#include "test_util.hpp"

namespace m2vk::loader::test {
namespace {

namespace fs = std::filesystem;

std::string notes_of(const TensorStore& s) {
  std::string r;
  for (const auto& n : s.notes()) r += n + "\n";
  return r;
}

struct CacheEnv {
  ScratchDir user;  // M2VK_CACHE_DIR
  ScratchDir models;
  CacheEnv() { ::setenv("M2VK_CACHE_DIR", user.path.c_str(), 1); }
  ~CacheEnv() { ::unsetenv("M2VK_CACHE_DIR"); }
};

TEST(Cache, WrittenBesideAWritableCheckpointThenUsed) {
  CacheEnv env;
  fs::copy(loader_data("views.pt"), env.models / "views.pt");
  TensorStore a = load_checkpoint(env.models / "views.pt");
  EXPECT_EQ(a.source(), env.models / "views.safetensors");
  EXPECT_NE(notes_of(a).find("cache written"), std::string::npos) << notes_of(a);
  expect_matches(a, expected().at("views.pt"), "", /*check_sharing=*/false);
  TensorStore b = load_checkpoint(env.models / "views.pt");
  EXPECT_NE(notes_of(b).find("cache used"), std::string::npos) << notes_of(b);
  EXPECT_NE(notes_of(b).find("cache of pytorch-zip checkpoint"), std::string::npos) << notes_of(b);
  expect_matches(b, expected().at("views.pt"), "", false);
  EXPECT_TRUE(fs::is_empty(env.user.path));
}

TEST(Cache, TouchedButUnchangedSourceKeepsTheCache) {
  CacheEnv env;
  fs::copy(loader_data("views.pt"), env.models / "views.pt");
  load_checkpoint(env.models / "views.pt");
  fs::last_write_time(env.models / "views.pt", fs::last_write_time(env.models / "views.pt") + std::chrono::seconds(5));
  TensorStore s = load_checkpoint(env.models / "views.pt");
  EXPECT_NE(notes_of(s).find("content hash unchanged"), std::string::npos) << notes_of(s);
}

TEST(Cache, ChangedSourceRebuildsTheCache) {
  CacheEnv env;
  fs::path f = env.models / "m.pt";
  fs::copy(loader_data("views.pt"), f);
  load_checkpoint(f);
  // Different size: another checkpoint under the same name.
  fs::remove(f);
  fs::copy(loader_data("dtypes.pt"), f);
  TensorStore s = load_checkpoint(f);
  EXPECT_NE(notes_of(s).find("cache rebuilt (source size changed)"), std::string::npos) << notes_of(s);
  expect_matches(s, expected().at("dtypes.pt"), "", false);
}

TEST(Cache, SameSizeDifferentContentRebuilds) {
  CacheEnv env;
  fs::path f = env.models / "legacy.pt";
  fs::copy(loader_data("views_legacy.pt"), f);
  TensorStore first = load_checkpoint(f);
  auto before = to_float32(first.at("half_t"));
  // The last bytes of a legacy file are raw storage data: change one value, keep the size.
  auto bytes = read_bytes(f);
  bytes[bytes.size() - 1] ^= 0x40;
  write_bytes(f, bytes);
  fs::last_write_time(f, fs::last_write_time(f) + std::chrono::seconds(5));
  TensorStore s = load_checkpoint(f);
  EXPECT_NE(notes_of(s).find("cache rebuilt (source content changed)"), std::string::npos) << notes_of(s);
  EXPECT_NE(to_float32(s.at("half_t")), before);
}

TEST(Cache, ReadOnlyFolderUsesTheUserCacheDir) {
  CacheEnv env;
  fs::copy(loader_data("views.pt"), env.models / "views.pt");
  ::chmod(env.models.path.c_str(), 0555);
  TensorStore s = load_checkpoint(env.models / "views.pt");
  ::chmod(env.models.path.c_str(), 0755);
  EXPECT_EQ(s.source().parent_path(), env.user.path);
  EXPECT_FALSE(fs::exists(env.models / "views.safetensors"));
  expect_matches(s, expected().at("views.pt"), "", false);
}

TEST(Cache, ForeignSafetensorsBesideIsNeverOverwritten) {
  CacheEnv env;
  fs::copy(loader_data("views.pt"), env.models / "views.pt");
  fs::copy(loader_data("sharded/model-00002-of-00002.safetensors"), env.models / "views.safetensors");
  auto before = read_bytes(env.models / "views.safetensors");
  TensorStore s = load_checkpoint(env.models / "views.pt");
  EXPECT_EQ(s.source().parent_path(), env.user.path);
  EXPECT_EQ(read_bytes(env.models / "views.safetensors"), before);
}

TEST(Cache, UnwritableCacheFallsBackToMemory) {
  CacheEnv env;
  write_bytes(env.user / "file", {'x'});
  ::setenv("M2VK_CACHE_DIR", (env.user / "file" / "sub").c_str(), 1);
  fs::copy(loader_data("views.pt"), env.models / "views.pt");
  ::chmod(env.models.path.c_str(), 0555);
  TensorStore s = load_checkpoint(env.models / "views.pt");
  ::chmod(env.models.path.c_str(), 0755);
  EXPECT_NE(notes_of(s).find("cache not written"), std::string::npos) << notes_of(s);
  EXPECT_EQ(s.format(), "pytorch-zip");
  expect_matches(s, expected().at("views.pt"));
}

TEST(Cache, BadSourceErrorIsTheReadersError) {
  CacheEnv env;
  auto z = read_bytes(loader_data("views.pt"));
  z.resize(z.size() / 2);
  write_bytes(env.models / "t.pt", z);
  std::string e = error_of([&] { load_checkpoint(env.models / "t.pt"); });
  EXPECT_NE(e.find("t.pt"), std::string::npos) << e;
  EXPECT_FALSE(fs::exists(env.models / "t.safetensors"));
}

TEST(Cache, ChunkedFileHashEqualsOneShotHash) {
  // The file hash reads 4 MiB chunks; block boundaries inside and across chunks must not matter.
  ScratchDir d;
  std::vector<uint8_t> b((9u << 20) + 13);
  uint32_t x = 12345;
  for (auto& v : b) v = uint8_t((x = x * 1664525u + 1013904223u) >> 24);
  write_bytes(d / "f", b);
  auto span = std::span<const std::byte>(reinterpret_cast<const std::byte*>(b.data()), b.size());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(content_hash(span)));
  EXPECT_EQ(file_content_hash(d / "f"), hex);
  b[5u << 20] ^= 1;
  write_bytes(d / "f", b);
  EXPECT_NE(file_content_hash(d / "f"), hex);
}

TEST(Convert, StreamsWithProgressAndVerifiesBitForBit) {
  ScratchDir d;
  std::vector<ConvertProgress> seen;
  auto r = convert_to_safetensors(loader_data("dtypes.pt"), d / "out.safetensors", [&](const ConvertProgress& p) {
    seen.push_back(p);
    seen.back().current = {};
  });
  EXPECT_EQ(r.source_format, "pytorch-zip");
  EXPECT_EQ(r.tensors, 12u);
  ASSERT_EQ(seen.size(), 12u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].tensors_done, i + 1);
    EXPECT_EQ(seen[i].tensors_total, 12u);
    if (i) {
      EXPECT_GE(seen[i].bytes_done, seen[i - 1].bytes_done);
    }
  }
  EXPECT_EQ(seen.back().bytes_done, seen.back().bytes_total);
  EXPECT_EQ(verify_conversion(loader_data("dtypes.pt"), d / "out.safetensors"), 12u);

  TensorStore s = load_safetensors(d / "out.safetensors");
  expect_matches(s, expected().at("dtypes.pt"), "", false);
  const auto& md = s.impl().metadata;
  EXPECT_EQ(md.at("m2vk.source_format"), "pytorch-zip");
  EXPECT_EQ(md.at("m2vk.source_size"), std::to_string(fs::file_size(loader_data("dtypes.pt"))));
  EXPECT_EQ(md.at("m2vk.source_hash").size(), 16u);
  EXPECT_NE(md.at("m2vk.source").find("dtypes.pt"), std::string::npos);

  // Flip one data byte of the output: verification names the tensor.
  auto bytes = read_bytes(d / "out.safetensors");
  bytes[bytes.size() - 1] ^= 1;
  write_bytes(d / "out.safetensors", bytes);
  std::string e = error_of([&] { verify_conversion(loader_data("dtypes.pt"), d / "out.safetensors"); });
  EXPECT_NE(e.find("differs from the source"), std::string::npos) << e;
}

TEST(Convert, EveryFormatConvertsAndVerifies) {
  ScratchDir d;
  for (const char* f : {"views.pt", "views_legacy.pt", "arrays.npz", "arrays_compressed.npz", "sharded"}) {
    fs::path out = d / (std::string(f) + ".safetensors");
    convert_to_safetensors(loader_data(f), out);
    EXPECT_EQ(verify_conversion(loader_data(f), out), expected().at(f).at("tensors").size()) << f;
  }
}

TEST(Convert, FailureLeavesNoOutput) {
  ScratchDir d;
  auto z = read_bytes(loader_data("views_legacy.pt"));
  z.resize(z.size() - 3);  // last storage cut short
  write_bytes(d / "cut.pt", z);
  std::string e = error_of([&] { convert_to_safetensors(d / "cut.pt", d / "out.safetensors"); });
  EXPECT_NE(e.find("runs past the end of the file"), std::string::npos) << e;
  size_t files = 0;
  for (const auto& x : fs::directory_iterator(d.path)) {
    (void)x;
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

}  // namespace
}  // namespace m2vk::loader::test
