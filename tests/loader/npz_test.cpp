// npz archives: values against numpy's own reading; column-major and big-endian arrays rejected;
// the .npy header parser's errors.
#include <gtest/gtest.h>

#include "m2vk/loader/tensor_store.hpp"
#include "npy_header.hpp"
#include "test_util.hpp"

namespace m2vk::loader::test {
namespace {

LoadOptions no_cache() {
  LoadOptions o;
  o.use_cache = false;
  return o;
}

TEST(Npz, RejectsFortranOrderAndBigEndian) {
  std::string e = error_of([&] { load_checkpoint(loader_data("fortran.npz"), no_cache()); });
  EXPECT_NE(e.find("x.npy"), std::string::npos) << e;
  EXPECT_NE(e.find("fortran_order True"), std::string::npos) << e;
  e = error_of([&] { load_checkpoint(loader_data("bigendian.npz"), no_cache()); });
  EXPECT_NE(e.find("\">f4\" is big-endian"), std::string::npos) << e;
}

std::string npy_error(const std::string& dict, int version = 1) {
  std::vector<std::byte> b;
  for (char c : std::string("\x93NUMPY")) b.push_back(std::byte(c));
  b.push_back(std::byte(version));
  b.push_back(std::byte(0));
  b.push_back(std::byte(dict.size() & 0xff));
  b.push_back(std::byte(dict.size() >> 8));
  for (char c : dict) b.push_back(std::byte(c));
  return error_of([&] { parse_npy_header(b, "a.npy"); });
}

TEST(Npz, NpyHeaderErrors) {
  EXPECT_EQ(npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), "");
  EXPECT_EQ(npy_error("{'descr': '|b1', 'fortran_order': False, 'shape': (), }"), "");
  EXPECT_NE(npy_error("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }").find("\"<c8\" is not supported"), std::string::npos);
  EXPECT_NE(npy_error("{'descr': '<f4', 'shape': (2,), }").find("needs descr, fortran_order and shape"), std::string::npos);
  EXPECT_NE(npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }").find("bad shape entry"), std::string::npos);
  EXPECT_NE(npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }").find("overflows"),
            std::string::npos);
  EXPECT_NE(npy_error("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}").find("unexpected key 'x'"), std::string::npos);
  EXPECT_NE(npy_error("{'descr': '<f4'", 7).find("version 7"), std::string::npos);
  std::vector<std::byte> junk(12, std::byte{0});
  EXPECT_NE(error_of([&] { parse_npy_header(junk, "j.npy"); }).find("bad magic"), std::string::npos);
}

TEST(Npz, ArraySizeMustMatchHeader) {
  ScratchDir d;
  auto items = read_zip(loader_data("arrays.npz"));
  for (auto& it : items) {
    if (it.name == "c_i64.npy") it.data.pop_back();
  }
  write_zip(d / "short.npz", items);
  std::string e = error_of([&] { load_checkpoint(d / "short.npz", no_cache()); });
  EXPECT_NE(e.find("c_i64.npy"), std::string::npos) << e;
  EXPECT_NE(e.find("header implies"), std::string::npos) << e;
}

}  // namespace
}  // namespace m2vk::loader::test
