// A non-executing pickle reader for the subset of the pickle protocol that torch.save emits
// (protocol 2, plus the binary opcodes of protocols 3-5 that a newer pickler may choose).
//
// It runs the pickle virtual machine over a byte span, building plain Values (pickle_value.hpp).
// Nothing is ever imported or called: GLOBAL only records the module and name; REDUCE and NEWOBJ
// hand the callee and arguments to the caller's `on_reduce` hook, which may interpret an
// allow-listed callee (e.g. torch._utils._rebuild_tensor_v2) by building a value, and otherwise
// returns nullptr so that an inert Object is recorded. Opcodes that would call code by
// themselves (INST, OBJ), use the extension registry (EXT1/2/4) or out-of-band buffers, and any
// opcode not listed in pickle_reader.cpp, are errors naming the opcode and its offset.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "pickle_value.hpp"

namespace m2vk::loader::pickle {

class Reader {
 public:
  // `what` names the input in error messages (e.g. "model.bin: archive/data.pkl").
  Reader(std::span<const std::byte> data, std::string what);

  // Runs from the current position to STOP and returns the value on top of the stack. Can be called
  // again to read a following pickle in the same span (legacy torch files hold several).
  Value* load();
  size_t position() const { return pos_; }

  // Interprets REDUCE (callee, args tuple); return nullptr to record an inert Object.
  std::function<Value*(Reader&, Value* callee, Value* args)> on_reduce;
  // Interprets BINPERSID (the pid value); return nullptr to keep a Persistent value.
  std::function<Value*(Reader&, Value* pid)> on_persistent;

  Value* make(Kind k);
  [[noreturn]] void fail(const std::string& msg) const;  // LoaderError "<what>: pickle offset N: msg"

 private:
  Value* pop();
  Value* top();
  std::vector<Value*> pop_mark();
  std::span<const std::byte> take(uint64_t n);
  uint64_t uint_le(size_t n);
  void memo_put(uint64_t idx);
  Value* memo_get(uint64_t idx);
  Value* global(std::string module, std::string name);

  std::span<const std::byte> data_;
  std::string what_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;  // offset of the opcode being executed, for errors
  std::vector<Value*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Value*> memo_;
  std::vector<std::unique_ptr<Value>> arena_;
};

}  // namespace m2vk::loader::pickle
