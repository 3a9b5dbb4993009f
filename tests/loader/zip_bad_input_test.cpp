// Damaged and hostile zip checkpoints: each gives a LoaderError naming the file and the record.
#include <gtest/gtest.h>
#include <zip.h>

#include <cstring>

#include "m2vk/loader/tensor_store.hpp"
#include "test_util.hpp"

namespace m2vk::loader::test {
namespace {

LoadOptions no_cache() {
  LoadOptions o;
  o.use_cache = false;
  return o;
}

std::string load_error(const std::filesystem::path& f) {
  return error_of([&] { load_checkpoint(f, no_cache()); });
}

// Offset of the zip header with signature PK<a><b> whose file name is `name`.
size_t find_header(const std::vector<uint8_t>& z, uint8_t a, uint8_t b, const std::string& name) {
  size_t name_at = a == 1 ? 46 : 30;
  for (size_t i = 0; i + name_at + name.size() <= z.size(); ++i) {
    if (z[i] == 'P' && z[i + 1] == 'K' && z[i + 2] == a && z[i + 3] == b &&
        std::memcmp(&z[i + name_at], name.data(), name.size()) == 0 &&
        z[i + name_at - (a == 1 ? 18 : 4)] == name.size()) {
      return i;
    }
  }
  ADD_FAILURE() << "no header for " << name;
  return 0;
}
void put32(std::vector<uint8_t>& z, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) z[at + size_t(i)] = uint8_t(v >> (8 * i));
}

std::vector<ZipItem> views_items() { return read_zip(loader_data("views.pt")); }

std::vector<ZipItem> without(std::vector<ZipItem> items, const std::string& name) {
  std::erase_if(items, [&](const ZipItem& it) { return it.name == name; });
  return items;
}

TEST(ZipBadInput, RebuiltArchiveStillLoads) {  // the baseline the other cases modify
  ScratchDir d;
  write_zip(d / "m.pt", views_items());
  EXPECT_EQ(load_error(d / "m.pt"), "");
}

TEST(ZipBadInput, NotAZip) {
  ScratchDir d;
  write_bytes(d / "x.pt", {'h', 'e', 'l', 'l', 'o'});
  EXPECT_NE(load_error(d / "x.pt").find("unrecognised checkpoint format"), std::string::npos);
  write_bytes(d / "y.pt", {'P', 'K', 3, 4, 0, 0, 0});
  std::string e = load_error(d / "y.pt");
  EXPECT_NE(e.find("y.pt"), std::string::npos) << e;
  EXPECT_NE(e.find("zip"), std::string::npos) << e;
  write_bytes(d / "empty.pt", {});
  EXPECT_NE(load_error(d / "empty.pt").find("unrecognised"), std::string::npos);
}

TEST(ZipBadInput, Truncated) {
  ScratchDir d;
  auto z = read_bytes(loader_data("views.pt"));
  for (size_t keep : {z.size() / 2, z.size() - 10, size_t(100)}) {
    write_bytes(d / "t.pt", std::vector<uint8_t>(z.begin(), z.begin() + static_cast<std::ptrdiff_t>(keep)));
    std::string e = load_error(d / "t.pt");
    EXPECT_NE(e.find("t.pt"), std::string::npos) << keep << ": " << e;
  }
}

TEST(ZipBadInput, CrcMismatch) {
  ScratchDir d;
  auto z = read_bytes(loader_data("views.pt"));
  size_t h = find_header(z, 3, 4, "views/data/0");
  size_t data = h + 30 + (z[h + 26] | z[h + 27] << 8) + (z[h + 28] | z[h + 29] << 8);
  z[data + 5] ^= 0x40;
  write_bytes(d / "crc.pt", z);
  std::string e = load_error(d / "crc.pt");
  EXPECT_NE(e.find("views/data/0"), std::string::npos) << e;
  EXPECT_NE(e.find("CRC"), std::string::npos) << e;
}

TEST(ZipBadInput, CompressedRecordsAreRejected) {
  ScratchDir d;
  auto items = views_items();
  for (auto& it : items) it.deflate = it.name == "views/data/0";
  write_zip(d / "c.pt", items);
  std::string e = load_error(d / "c.pt");
  EXPECT_NE(e.find("\"views/data/0\": is compressed"), std::string::npos) << e;
}

TEST(ZipBadInput, EncryptedRecordsAreRejected) {
  if (!zip_encryption_method_supported(ZIP_EM_AES_256, 1)) GTEST_SKIP() << "libzip built without AES";
  ScratchDir d;
  write_zip(d / "e.pt", views_items());
  int err = 0;
  zip_t* z = zip_open((d / "e.pt").c_str(), 0, &err);
  ASSERT_NE(z, nullptr);
  zip_int64_t idx = zip_name_locate(z, "views/data/1", 0);
  ASSERT_EQ(zip_file_set_encryption(z, static_cast<zip_uint64_t>(idx), ZIP_EM_AES_256, "secret"), 0);
  ASSERT_EQ(zip_close(z), 0);
  std::string e = load_error(d / "e.pt");
  EXPECT_NE(e.find("views/data/1"), std::string::npos) << e;
  EXPECT_NE(e.find("encrypted"), std::string::npos) << e;
}

TEST(ZipBadInput, MissingRecords) {
  ScratchDir d;
  write_zip(d / "a.pt", without(views_items(), "views/data.pkl"));
  EXPECT_NE(load_error(d / "a.pt").find("missing <folder>/data.pkl"), std::string::npos);
  write_zip(d / "b.pt", without(views_items(), "views/data/1"));
  std::string e = load_error(d / "b.pt");
  EXPECT_NE(e.find("missing storage record views/data/1"), std::string::npos) << e;
  write_zip(d / "c.pt", without(views_items(), "views/version"));
  EXPECT_NE(load_error(d / "c.pt").find("missing record views/version"), std::string::npos);
}

TEST(ZipBadInput, StorageRecordOfWrongSize) {
  ScratchDir d;
  auto items = views_items();
  for (auto& it : items) {
    if (it.name == "views/data/0") it.data.resize(200);
  }
  write_zip(d / "s.pt", items);
  std::string e = load_error(d / "s.pt");
  EXPECT_NE(e.find("views/data/0 holds 200 bytes, expected 240"), std::string::npos) << e;
}

TEST(ZipBadInput, ByteOrderRecord) {
  ScratchDir d;
  auto items = views_items();
  items.push_back({"views/byteorder", {'b', 'i', 'g'}});
  write_zip(d / "big.pt", items);
  std::string e = load_error(d / "big.pt");
  EXPECT_NE(e.find("byte order \"big\""), std::string::npos) << e;
  items.back().data = {'l', 'i', 't', 't', 'l', 'e'};
  write_zip(d / "little.pt", items);
  EXPECT_EQ(load_error(d / "little.pt"), "");
}

TEST(ZipBadInput, SeveralDataPkl) {
  ScratchDir d;
  auto items = views_items();
  items.push_back({"other/data.pkl", items[0].data});
  write_zip(d / "two.pt", items);
  EXPECT_NE(load_error(d / "two.pt").find("several data.pkl records"), std::string::npos);
}

TEST(ZipBadInput, DuplicateEntryNames) {
  ScratchDir d;
  auto items = views_items();
  items.push_back({"views/data/X", items[1].data});
  write_zip(d / "dup.pt", items);
  auto z = read_bytes(d / "dup.pt");
  // Rename every "views/data/X" (local and central headers) to "views/data/0".
  std::string from = "views/data/X";
  for (size_t i = 0; i + from.size() <= z.size(); ++i) {
    if (std::memcmp(&z[i], from.data(), from.size()) == 0) z[i + from.size() - 1] = '0';
  }
  write_bytes(d / "dup.pt", z);
  std::string e = load_error(d / "dup.pt");
  EXPECT_NE(e.find("dup.pt"), std::string::npos) << e;
  EXPECT_NE(e.find("duplicate"), std::string::npos) << e;
}

TEST(ZipBadInput, AbsurdSizesInTheDirectory) {
  ScratchDir d;
  auto z = read_bytes(loader_data("views.pt"));
  size_t c = find_header(z, 1, 2, "views/data/0");
  put32(z, c + 24, 0xfffffff0u);  // uncompressed size in the central directory
  write_bytes(d / "size.pt", z);
  std::string e = load_error(d / "size.pt");
  EXPECT_NE(e.find("size.pt: zip entry \"views/data/0\": stored entry sizes disagree"), std::string::npos) << e;
}

TEST(ZipBadInput, ZipBombRatioIsRejected) {
  ScratchDir d;
  auto z = read_bytes(loader_data("arrays_compressed.npz"));
  size_t l = find_header(z, 3, 4, "a_f32.npy");
  size_t c = find_header(z, 1, 2, "a_f32.npy");
  put32(z, l + 22, 0xfff00000u);  // claimed uncompressed size, local and central
  put32(z, c + 24, 0xfff00000u);
  write_bytes(d / "bomb.npz", z);
  std::string e = load_error(d / "bomb.npz");
  EXPECT_NE(e.find("\"a_f32.npy\": impossible compression ratio"), std::string::npos) << e;
}

}  // namespace
}  // namespace m2vk::loader::test
