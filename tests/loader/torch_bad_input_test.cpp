// The torch layer on hand-made pickles: the allow-list, storage references and view validation.
#include <gtest/gtest.h>

#include "pickle_reader.hpp"
#include "test_util.hpp"
#include "torch_pickle.hpp"

namespace m2vk::loader::test {
namespace {

// Emits pickle opcodes (protocol 2) for the shapes of data torch.save writes.
struct P {
  std::vector<std::byte> b;
  P() { op(0x80).op(2); }
  P& op(int c) {
    b.push_back(std::byte(c));
    return *this;
  }
  P& str(const std::string& s) {
    op('X');
    for (int i = 0; i < 4; ++i) op(int((s.size() >> (8 * i)) & 0xff));
    for (char c : s) op(c);
    return *this;
  }
  P& i32(int32_t v) {
    op('J');
    for (int i = 0; i < 4; ++i) op(int((uint32_t(v) >> (8 * i)) & 0xff));
    return *this;
  }
  P& i64(int64_t v) {  // LONG1 with 8 bytes
    op(0x8a).op(8);
    for (int i = 0; i < 8; ++i) op(int((uint64_t(v) >> (8 * i)) & 0xff));
    return *this;
  }
  P& global(const std::string& m, const std::string& n) {
    op('c');
    for (char c : m + "\n" + n + "\n") op(c);
    return *this;
  }
  P& ints(const std::vector<int64_t>& v) {
    op('(');
    for (int64_t x : v) i64(x);
    return op('t');
  }
  P& storage(const std::string& type_mod, const std::string& type, const std::string& key, int64_t numel) {
    op('(').str("storage").global(type_mod, type).str(key).str("cpu").i64(numel).op('t').op('Q');
    return *this;
  }
  // _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())
  P& tensor(int64_t numel, int64_t offset, const std::vector<int64_t>& size, const std::vector<int64_t>& stride,
            const std::string& type = "FloatStorage") {
    global("torch._utils", "_rebuild_tensor_v2").op('(');
    storage("torch", type, "0", numel);
    i64(offset).ints(size).ints(stride).op(0x89).global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
    return *this;
  }
};

std::string state_dict_error(P body) {
  // {'w': <body>}
  P p;
  p.op('}').op('(').str("w");
  p.b.insert(p.b.end(), body.b.begin() + 2, body.b.end());
  p.op('u').op('.');
  pickle::Reader r(p.b, "t.pkl");
  install_torch_hooks(r, TorchFlavor::Zip);
  return error_of([&] { select_state_dict(r.load(), "t.pt"); });
}

TEST(TorchPickle, ValidTensorIsAccepted) {
  P t;
  t.tensor(6, 0, {2, 3}, {3, 1});
  EXPECT_EQ(state_dict_error(t), "");
}

TEST(TorchPickle, DisallowedGlobalUsedAsTensor) {
  P sys;
  sys.global("os", "system").str("echo pwned").op(0x85).op('R');
  std::string e = state_dict_error(sys);
  EXPECT_NE(e.find("tensor \"w\""), std::string::npos) << e;
  EXPECT_NE(e.find("global os.system"), std::string::npos) << e;
  EXPECT_NE(e.find("not an allowed tensor constructor"), std::string::npos) << e;

  P ev;
  ev.global("builtins", "eval").str("1+1").op(0x85).op('R');
  EXPECT_NE(state_dict_error(ev).find("builtins.eval"), std::string::npos);

  P bare;  // a bare global (no call) where a tensor belongs
  bare.global("os", "system");
  EXPECT_NE(state_dict_error(bare).find("not an allowed tensor constructor"), std::string::npos);
}

TEST(TorchPickle, DisallowedGlobalAsStorageOrStorageType) {
  P t;  // _rebuild_tensor_v2(os.system('x'), ...)
  t.global("torch._utils", "_rebuild_tensor_v2").op('(').global("os", "system").str("x").op(0x85).op('R');
  t.i64(0).ints({1}).ints({1}).op(0x89).op('t').op('R');
  std::string e = state_dict_error(t);
  EXPECT_NE(e.find("argument 0 is object made by global os.system, not a storage"), std::string::npos) << e;

  P s;
  s.global("torch._utils", "_rebuild_tensor_v2").op('(');
  s.storage("os", "system", "0", 4).i64(0).ints({1}).ints({1}).op('t').op('R');
  e = state_dict_error(s);
  EXPECT_NE(e.find("not an allowed storage class"), std::string::npos) << e;
}

TEST(TorchPickle, ViewsOutsideTheirStorageAreErrors) {
  auto err = [](int64_t numel, int64_t off, std::vector<int64_t> size, std::vector<int64_t> stride) {
    P t;
    t.tensor(numel, off, size, stride);
    return state_dict_error(t);
  };
  EXPECT_NE(err(4, 0, {5}, {1}).find("out of range of storage \"0\" with 4 elements"), std::string::npos);
  EXPECT_NE(err(4, 4, {1}, {1}).find("out of range"), std::string::npos);      // offset past the end
  EXPECT_NE(err(4, 0, {2, 2}, {3, 1}).find("out of range"), std::string::npos);  // stride past the end
  EXPECT_EQ(err(4, 3, {1}, {1}), "");                                           // last element exactly
  EXPECT_EQ(err(4, 0, {0, 7}, {100, 100}), "");                                 // empty views touch nothing
  EXPECT_NE(err(4, 0, {2}, {-1}).find("negative stride"), std::string::npos);
  EXPECT_NE(err(4, 0, {-2}, {1}).find("negative size"), std::string::npos);
  EXPECT_NE(err(4, 0, {int64_t(1) << 62, int64_t(1) << 62}, {1, 1}).find("overflows"), std::string::npos);
  EXPECT_NE(err(4, 0, {5, 2}, {int64_t(1) << 62, 1}).find("stride extent overflows"), std::string::npos);
  EXPECT_NE(err(int64_t(1) << 62, 0, {1}, {1}).find("storage size overflows"), std::string::npos);
  // Stride-0 views may repeat their storage, but not without bound.
  EXPECT_EQ(err(3, 0, {4, 3}, {0, 1}), "");
  EXPECT_NE(err(1, 0, {int64_t(1) << 40}, {0}).find("view expands storage"), std::string::npos);
}

TEST(TorchPickle, MalformedPersistentIdsAndRebuildArgs) {
  P pid;  // BINPERSID of a plain string
  pid.str("storage").op('Q');
  EXPECT_NE(state_dict_error(pid).find("not a ('storage', ...) tuple"), std::string::npos);

  P few;  // _rebuild_tensor_v2 with two arguments
  few.global("torch._utils", "_rebuild_tensor_v2").op('(').storage("torch", "FloatStorage", "0", 4).i64(0).op('t').op('R');
  EXPECT_NE(state_dict_error(few).find("needs 4 arguments"), std::string::npos);

  P mismatch;  // same storage key with two dtypes
  mismatch.op('(').storage("torch", "FloatStorage", "0", 4).storage("torch", "LongStorage", "0", 4).op('t');
  EXPECT_NE(state_dict_error(mismatch).find("different types or sizes"), std::string::npos);
}

TEST(TorchPickle, NoStateDictIsNamed) {
  P p;
  p.op(']').op('.');
  pickle::Reader r(p.b, "t.pkl");
  install_torch_hooks(r, TorchFlavor::Zip);
  std::string e = error_of([&] { select_state_dict(r.load(), "t.pt"); });
  EXPECT_NE(e.find("t.pt: no state dict"), std::string::npos) << e;
}

TEST(TorchPickle, UnknownObjectsBesideTheWeightsAreTolerated) {
  // {'state_dict': {'w': tensor}, 'meta': composer.core.time.Timestamp.__new__() + BUILD}: the
  // unknown class is recorded, never called, and does not stop the weights from loading.
  P p;
  p.op('}').op('(').str("state_dict").op('}').op('(').str("w");
  P t;
  t.tensor(2, 0, {2}, {1});
  p.b.insert(p.b.end(), t.b.begin() + 2, t.b.end());
  p.op('u');
  p.str("meta").global("composer.core.time", "Timestamp").op(')').op(0x81).op('}').op('b');
  p.op('u').op('.');
  pickle::Reader r(p.b, "t.pkl");
  install_torch_hooks(r, TorchFlavor::Zip);
  auto sd = select_state_dict(r.load(), "t.pt");
  ASSERT_EQ(sd.tensors.size(), 1u);
  EXPECT_EQ(sd.tensors[0].name, "w");
  EXPECT_EQ(sd.tensors[0].shape, std::vector<int64_t>{2});
}

}  // namespace
}  // namespace m2vk::loader::test
