// Values built by the non-executing pickle reader. Every value lives in the reader's arena (so
// cyclic or deeply shared structures cost nothing to free) and is plain data: a "call" in the
// pickle becomes an inert Object that records what would have been called, never a call.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "m2vk/loader/tensor_store.hpp"

namespace m2vk::loader::pickle {

enum class Kind : uint8_t {
  None, Bool, Int, Float, Str, Bytes, Tuple, List, Dict, Set,
  Global,      // a module.name reference (GLOBAL / STACK_GLOBAL), resolved by name only
  Object,      // REDUCE / NEWOBJ of something not interpreted: callee + args (+ BUILD state), inert
  Persistent,  // a persistent id the caller did not turn into anything else
  Storage,     // torch: a storage reference made from a persistent id
  Tensor,      // torch: _rebuild_tensor_v2(storage, offset, size, stride, ...)
};

struct Value {
  Kind kind = Kind::None;
  bool boolean = false;
  int64_t integer = 0;
  bool big_int = false;  // Int that does not fit int64 (raw little-endian bytes in `text`)
  double real = 0.0;
  std::string text;      // Str / Bytes contents; Global: module; Storage: key
  std::string text2;     // Global: name
  std::vector<Value*> items;                     // Tuple / List / Set; Object: APPENDed items
  std::vector<std::pair<Value*, Value*>> pairs;  // Dict; Object: SETITEM pairs
  Value* callee = nullptr;                       // Object: what REDUCE/NEWOBJ would call
  Value* args = nullptr;                         // Object: its arguments; Persistent: the pid
  Value* state = nullptr;                        // Object: BUILD state
  // Storage: element type, element count and (legacy views) element offset into the root storage.
  DType dtype = DType::U8;
  uint64_t numel = 0;
  uint64_t base = 0;
  // Tensor: storage, element offset, sizes, strides (validated when the tensor is selected).
  Value* storage = nullptr;
  int64_t offset = 0;
  std::vector<int64_t> sizes, strides;
};

// Short description for error messages ("int 3", "global os.system", "object of builtins.eval", ...).
std::string describe(const Value* v);

// Looks up a Str key in a Dict (or an Object's SETITEM pairs); nullptr if absent.
const Value* dict_get(const Value* dict, std::string_view key);

}  // namespace m2vk::loader::pickle
