// safetensors: one test per rule of the format (each with its own error), and the writer
// (alignment, metadata, atomic replace) read back through the reader.
#include <gtest/gtest.h>

#include <cstring>

#include "m2vk/loader/safetensors.hpp"
#include "test_util.hpp"

namespace m2vk::loader::test {
namespace {

std::vector<uint8_t> file_of(const std::string& header, size_t data_bytes, uint64_t declared = UINT64_MAX) {
  uint64_t n = declared == UINT64_MAX ? header.size() : declared;
  std::vector<uint8_t> b(8);
  for (int i = 0; i < 8; ++i) b[size_t(i)] = uint8_t(n >> (8 * i));
  b.insert(b.end(), header.begin(), header.end());
  for (size_t i = 0; i < data_bytes; ++i) b.push_back(uint8_t(i * 7 + 1));
  return b;
}

std::string header_error(const std::vector<uint8_t>& f) {
  auto span = std::span<const std::byte>(reinterpret_cast<const std::byte*>(f.data()), f.size());
  return error_of([&] { parse_safetensors_header(span, f.size(), "x.safetensors"); });
}
std::string header_error(const std::string& header, size_t data_bytes) { return header_error(file_of(header, data_bytes)); }

TEST(Safetensors, ValidHeaderParses) {
  std::string h = R"({"__metadata__":{"k":"v"},"b":{"dtype":"I64","shape":[2],"data_offsets":[8,24]},)"
                  R"("a":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"z":{"dtype":"F32","shape":[0],"data_offsets":[24,24]}})";
  auto f = file_of(h, 24);
  auto span = std::span<const std::byte>(reinterpret_cast<const std::byte*>(f.data()), f.size());
  auto parsed = parse_safetensors_header(span, f.size(), "x");
  ASSERT_EQ(parsed.entries.size(), 3u);
  EXPECT_EQ(parsed.entries[0].name, "a");  // sorted by offset
  EXPECT_EQ(parsed.entries[1].name, "b");
  EXPECT_EQ(parsed.metadata.at("k"), "v");
}

TEST(Safetensors, EveryRuleHasItsError) {
  const std::string ok_entry = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  struct Case {
    std::string header;
    size_t data;
    const char* error;
  } cases[] = {
      {"{" + ok_entry + "}", 9, "does not match the header: data section is 9 bytes, tensors end at 8"},
      {"{" + ok_entry + "}", 7, "data section is 7 bytes"},
      {R"({"a":{"dtype":"F32")", 0, "not valid UTF-8 JSON"},
      {"{\"a\xff\":1}", 0, "not valid UTF-8 JSON"},
      {"[1,2]", 0, "not a JSON object"},
      {"{" + ok_entry + "," + ok_entry + "}", 8, "duplicate key \"a\""},
      {R"({"__metadata__":{"k":1}})", 0, "__metadata__ value for \"k\" is not a string"},
      {R"({"__metadata__":["x"]})", 0, "__metadata__ is not an object"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}})", 8, "unexpected field \"extra\""},
      {R"({"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", 8, "unsupported dtype \"Q7\""},
      {R"({"a":{"shape":[2],"data_offsets":[0,8]}})", 8, "lacks a string dtype"},
      {R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", 8, "lacks a shape array"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8, "lacks data_offsets"},
      {R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8, "shape entry must be a non-negative integer"},
      {R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8, "shape entry must be a non-negative integer"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8, "end 0 is before begin 8"},
      {R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8, "occupies 8 bytes but shape x dtype size is 12"},
      {R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8, "element count overflows"},
      {R"({"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}})", 8, "byte size overflows"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12, "first tensor \"a\" does not start at offset 0"},
      {R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})", 12,
       "hole before tensor \"b\""},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8,
       "overlaps the previous tensor"},
      {R"({"a":"x"})", 0, "header entry is not an object"},
  };
  for (const auto& c : cases) {
    std::string e = header_error(c.header, c.data);
    EXPECT_NE(e.find(c.error), std::string::npos) << "header " << c.header << "\n  got: " << e;
    EXPECT_NE(e.find("x.safetensors"), std::string::npos) << e;
  }
}

TEST(Safetensors, LengthPrefixRules) {
  EXPECT_NE(header_error(std::vector<uint8_t>{1, 2, 3}).find("too short for the 8-byte header length"), std::string::npos);
  EXPECT_NE(header_error(file_of("{}", 0, kSafetensorsMaxHeader + 1)).find("exceeds the limit"), std::string::npos);
  EXPECT_NE(header_error(file_of("{}", 0, 1000)).find("runs past the end of the file"), std::string::npos);
  EXPECT_EQ(header_error(file_of("{}", 0)), "");  // an empty checkpoint is valid
}

TEST(Safetensors, LoadIsZeroCopyAndNamesTheFile) {
  ScratchDir d;
  write_bytes(d / "m.safetensors", file_of(R"({"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}})", 3));
  TensorStore s = load_safetensors(d / "m.safetensors");
  ASSERT_EQ(s.tensors().size(), 1u);
  EXPECT_EQ(to_float32(s.at("a")), (std::vector<float>{1, 8, 15}));
  write_bytes(d / "bad.safetensors", file_of(R"({"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}})", 2));
  std::string e = error_of([&] { load_checkpoint(d / "bad.safetensors"); });
  EXPECT_NE(e.find("bad.safetensors"), std::string::npos) << e;
}

TEST(Safetensors, WriterAlignsAndRoundTrips) {
  ScratchDir d;
  std::vector<uint8_t> u8 = {1, 2, 3};
  std::vector<double> f64 = {1.5, -2.25};
  std::vector<TensorToWrite> list = {
      {"bytes", DType::U8, {3}, [&](std::span<std::byte> o) { std::memcpy(o.data(), u8.data(), 3); }},
      {"doubles", DType::F64, {2, 1}, [&](std::span<std::byte> o) { std::memcpy(o.data(), f64.data(), 16); }},
      {"empty", DType::F32, {0, 4}, [](std::span<std::byte> o) { EXPECT_TRUE(o.empty()); }},
  };
  size_t calls = 0;
  uint64_t n = write_safetensors(d / "w.safetensors", list, {{"source", "test"}}, [&](size_t done, uint64_t) { EXPECT_EQ(done, ++calls); });
  EXPECT_EQ(n, 19u);
  EXPECT_EQ(calls, 3u);
  auto raw = read_bytes(d / "w.safetensors");
  uint64_t hn = 0;
  std::memcpy(&hn, raw.data(), 8);
  EXPECT_EQ((8 + hn) % 64, 0u) << "data section must start 64-byte aligned";
  TensorStore s = load_safetensors(d / "w.safetensors");
  EXPECT_EQ(to_float32(s.at("doubles")), (std::vector<float>{1.5f, -2.25f}));
  EXPECT_EQ(s.at("doubles").shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(to_float32(s.at("bytes")), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(s.at("empty").shape, (std::vector<int64_t>{0, 4}));
  // Larger element sizes come first, so every tensor is aligned to its element size.
  EXPECT_EQ(s.tensors()[0].name, "doubles");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(s.at("doubles").bytes.data()) % 8, 0u);
}

TEST(Safetensors, WriterFailureLeavesNoFile) {
  ScratchDir d;
  write_bytes(d / "keep.safetensors", {'o', 'l', 'd'});
  std::vector<TensorToWrite> list = {
      {"a", DType::F32, {1}, [](std::span<std::byte> o) { std::memset(o.data(), 0, o.size()); }},
      {"b", DType::F32, {1}, [](std::span<std::byte>) { throw LoaderError("source went away"); }},
  };
  EXPECT_NE(error_of([&] { write_safetensors(d / "keep.safetensors", list, {}); }).find("source went away"), std::string::npos);
  EXPECT_EQ(read_bytes(d / "keep.safetensors"), (std::vector<uint8_t>{'o', 'l', 'd'}));  // untouched
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(d.path)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u) << "temporary file left behind";
  std::vector<TensorToWrite> dup = {{"a", DType::F32, {1}, {}}, {"a", DType::F32, {1}, {}}};
  EXPECT_NE(error_of([&] { write_safetensors(d / "dup.safetensors", dup, {}); }).find("duplicate tensor name"), std::string::npos);
}

TEST(Safetensors, ShardedIndexErrors) {
  ScratchDir d;
  std::filesystem::copy(loader_data("sharded"), d.path / "m");
  auto index = d.path / "m" / "model.safetensors.index.json";
  write_bytes(index, {'{', '}'});
  EXPECT_NE(error_of([&] { load_checkpoint(d.path / "m"); }).find("lacks a weight_map"), std::string::npos);
  std::string j = R"({"weight_map":{"a":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}})";
  write_bytes(index, std::vector<uint8_t>(j.begin(), j.end()));
  EXPECT_NE(error_of([&] { load_checkpoint(d.path / "m"); }).find("does not assign"), std::string::npos);
  j = R"({"weight_map":{"a":"../x.safetensors"}})";
  write_bytes(index, std::vector<uint8_t>(j.begin(), j.end()));
  EXPECT_NE(error_of([&] { load_checkpoint(d.path / "m"); }).find("outside the index folder"), std::string::npos);
  j = R"({"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors","q":"model-00002-of-00002.safetensors"}})";
  write_bytes(index, std::vector<uint8_t>(j.begin(), j.end()));
  EXPECT_NE(error_of([&] { load_checkpoint(d.path / "m"); }).find("\"q\" is missing from shard"), std::string::npos);
}

}  // namespace
}  // namespace m2vk::loader::test
