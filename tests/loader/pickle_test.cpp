// The non-executing pickle reader on hand-written opcode streams: values it builds, and one named
// error per malformed or forbidden construct.
#include <gtest/gtest.h>

#include "pickle_reader.hpp"
#include "test_util.hpp"

namespace m2vk::loader::test {
namespace {

using pickle::Kind;
using pickle::Reader;
using pickle::Value;

std::vector<std::byte> bytes(std::initializer_list<int> b) {
  std::vector<std::byte> v;
  for (int x : b) v.push_back(std::byte(x));
  return v;
}
std::vector<std::byte> operator+(std::vector<std::byte> a, const std::string& s) {
  for (char c : s) a.push_back(std::byte(c));
  return a;
}
std::vector<std::byte> operator+(std::vector<std::byte> a, const std::vector<std::byte>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string load_error(const std::vector<std::byte>& p) {
  Reader r(p, "test.pkl");
  return error_of([&] { r.load(); });
}

TEST(Pickle, BuildsScalarsAndContainers) {
  // {'a': [1, -2, 300, 70000], 'b': (True, None, 1.5), 'c': -1 (LONG1), 'd': 2**64 (LONG1 9 bytes)}
  auto p = bytes({0x80, 2, '}', 'q', 0, '(', 'X', 1, 0, 0, 0}) + "a" + bytes({']', '(', 'K', 1, 'J', 0xfe, 0xff, 0xff, 0xff, 'M', 0x2c, 1,
                                                                              'J', 0x70, 0x11, 1, 0, 'e'}) +
           bytes({'X', 1, 0, 0, 0}) + "b" + bytes({0x88, 'N', 'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x87}) + bytes({'X', 1, 0, 0, 0}) + "c" +
           bytes({0x8a, 1, 0xff}) + bytes({'X', 1, 0, 0, 0}) + "d" + bytes({0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'u', '.'});
  Reader r(p, "test.pkl");
  const Value* v = r.load();
  ASSERT_EQ(v->kind, Kind::Dict);
  const Value* a = pickle::dict_get(v, "a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->kind, Kind::List);
  ASSERT_EQ(a->items.size(), 4u);
  EXPECT_EQ(a->items[0]->integer, 1);
  EXPECT_EQ(a->items[1]->integer, -2);
  EXPECT_EQ(a->items[2]->integer, 300);
  EXPECT_EQ(a->items[3]->integer, 70000);
  const Value* b = pickle::dict_get(v, "b");
  ASSERT_EQ(b->kind, Kind::Tuple);
  EXPECT_TRUE(b->items[0]->boolean);
  EXPECT_EQ(b->items[1]->kind, Kind::None);
  EXPECT_EQ(b->items[2]->real, 1.5);
  EXPECT_EQ(pickle::dict_get(v, "c")->integer, -1);
  EXPECT_TRUE(pickle::dict_get(v, "d")->big_int);
  EXPECT_EQ(r.position(), p.size());
}

TEST(Pickle, MemoSharesValues) {
  // [x, x] where x = [] stored with BINPUT and fetched with BINGET.
  auto p = bytes({0x80, 2, ']', '(', ']', 'q', 5, 'h', 5, 'e', '.'});
  Reader r(p, "test.pkl");
  const Value* v = r.load();
  ASSERT_EQ(v->items.size(), 2u);
  EXPECT_EQ(v->items[0], v->items[1]);
}

TEST(Pickle, GlobalsAreRecordedNeverCalled) {
  // os.system('echo pwned') through REDUCE: an inert Object naming the callee.
  auto p = bytes({0x80, 2, 'c'}) + "os\nsystem\n" + bytes({'X', 10, 0, 0, 0}) + "echo pwned" + bytes({0x85, 'R', '.'});
  Reader r(p, "test.pkl");
  const Value* v = r.load();
  ASSERT_EQ(v->kind, Kind::Object);
  EXPECT_EQ(pickle::describe(v), "object made by global os.system");
}

TEST(Pickle, InstObjAndExtAreRejected) {
  EXPECT_NE(load_error(bytes({'(', 'i'}) + "os\nsystem\n" + bytes({'.'})).find("INST opcode is not allowed"), std::string::npos);
  EXPECT_NE(load_error(bytes({'(', 'c'}) + "os\nsystem\n" + bytes({'o', '.'})).find("OBJ opcode is not allowed"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x82, 1, '.'})).find("EXT opcode 0x82"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x83, 1, 0, '.'})).find("EXT opcode 0x83"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x84, 1, 0, 0, 0, '.'})).find("EXT opcode 0x84"), std::string::npos);
}

TEST(Pickle, MalformedStreamsGiveNamedErrors) {
  EXPECT_NE(load_error(bytes({0x80, 2, '0', '.'})).find("stack underflow"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x80, 2, 0x85, '.'})).find("stack underflow"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x80, 2, '(', 'N', '.'})).find("unmatched MARK"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x80, 2, ']', 'N', 'e', '.'})).find("no MARK"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x80, 2, 'N'})).find("missing STOP"), std::string::npos);
  EXPECT_NE(load_error(bytes({})).find("missing STOP"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x80, 2, '.'})).find("empty stack"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x80, 2, 'j', 0xff, 0xff, 0xff, 0xff, '.'})).find("memo index 4294967295 was never stored"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x80, 2, 'N', 'r', 0xff, 0xff, 0xff, 0xff, '.'})).find("memo index 4294967295 is too large"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x80, 2, 'X', 0xe8, 3, 0, 0, 'a', '.'})).find("runs past the end"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x80, 2, 0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '.'})).find("runs past the end"),
            std::string::npos);
  EXPECT_NE(load_error(bytes({0x80, 2, 'J', 1, '.'})).find("runs past the end"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x80, 9, 'N', '.'})).find("unsupported pickle protocol 9"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x80, 2, 'I'}) + "12\n.").find("unsupported pickle opcode 0x49"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x80, 2, 'N', 'N', 'R', '.'})).find("not a tuple"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x80, 2, 'N', 'N', 'a', '.'})).find("APPEND to None"), std::string::npos);
  EXPECT_NE(load_error(bytes({0x80, 2, 'c'}) + "os").find("unterminated"), std::string::npos);
  // Errors name the input and the opcode offset.
  std::string e = load_error(bytes({0x80, 2, 'N', '0', '0', '.'}));
  EXPECT_NE(e.find("test.pkl: pickle offset 4"), std::string::npos) << e;
}

TEST(Pickle, Protocol4FramingAndMemoize) {
  // FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL, EMPTY_SET/ADDITEMS.
  auto p = bytes({0x80, 4, 0x95, 20, 0, 0, 0, 0, 0, 0, 0, 0x8c, 11}) + "collections" + bytes({0x94, 0x8c, 11}) + "OrderedDict" +
           bytes({0x94, 0x93, 0x94, 0x8f, '(', 'K', 1, 0x90, 0x86, '.'});
  Reader r(p, "test.pkl");
  const Value* v = r.load();
  ASSERT_EQ(v->kind, Kind::Tuple);
  EXPECT_EQ(pickle::describe(v->items[0]), "global collections.OrderedDict");
  EXPECT_EQ(v->items[1]->kind, Kind::Set);
  EXPECT_EQ(v->items[1]->items.size(), 1u);
}

}  // namespace
}  // namespace m2vk::loader::test
