// The pickle virtual machine, opcode by opcode. See pickle_reader.hpp for the contract.
//
// Handled opcodes (name, byte, what it does here):
//   PROTO 0x80          protocol number (accepted 0..5; only binary opcodes below are implemented)
//   FRAME 0x95          protocol-4 framing hint: 8-byte length, ignored (frames are not required)
//   STOP '.'            end: returns the top of the stack
//   MARK '('            pushes a mark; POP_MARK '1' drops everything down to it
//   POP '0', DUP '2'    stack housekeeping
//   NONE 'N', NEWTRUE 0x88, NEWFALSE 0x89
//   BININT 'J' (int32), BININT1 'K' (uint8), BININT2 'M' (uint16), LONG1 0x8a / LONG4 0x8b
//                       (little-endian two's complement; values beyond int64 are kept as raw bytes)
//   BINFLOAT 'G'        big-endian float64
//   BINUNICODE 'X' (u32 length), SHORT_BINUNICODE 0x8c (u8), BINUNICODE8 0x8d (u64): UTF-8 text
//   BINSTRING 'T', SHORT_BINSTRING 'U' (python 2 str), BINBYTES 'B', SHORT_BINBYTES 'C',
//   BINBYTES8 0x8e, BYTEARRAY8 0x96: byte strings
//   EMPTY_TUPLE ')', TUPLE1 0x85, TUPLE2 0x86, TUPLE3 0x87, TUPLE 't' (from mark)
//   EMPTY_LIST ']', LIST 'l' (from mark), APPEND 'a', APPENDS 'e'
//   EMPTY_DICT '}', DICT 'd' (from mark), SETITEM 's', SETITEMS 'u'
//   EMPTY_SET 0x8f, ADDITEMS 0x90, FROZENSET 0x91 (from mark)
//   BINPUT 'q', LONG_BINPUT 'r', MEMOIZE 0x94, BINGET 'h', LONG_BINGET 'j'   memo
//   GLOBAL 'c' (text "module\nname\n"), STACK_GLOBAL 0x93 (two strings): a Global value, not imported
//   REDUCE 'R'          callee + args: on_reduce hook or an inert Object
//   NEWOBJ 0x81, NEWOBJ_EX 0x92   class + args (+ kwargs): an inert Object
//   BUILD 'b'           records the state on an Object (ignored on other values)
//   BINPERSID 'Q'       persistent id: on_persistent hook (torch storages) or a Persistent value
// Rejected: INST 'i' and OBJ 'o' (call a class directly), EXT1/EXT2/EXT4 (extension registry),
// PERSID 'P' (text persistent id), NEXT_BUFFER / READONLY_BUFFER (out-of-band data) and the text
// opcodes of protocol 0 (INT, LONG, FLOAT, STRING, UNICODE, GET, PUT, ...), which torch.save never writes.
#include "pickle_reader.hpp"

#include <bit>
#include <cstring>

#include "m2vk/loader/tensor_store.hpp"

namespace m2vk::loader::pickle {

namespace {
// Limits that keep hostile input from consuming unbounded memory.
constexpr size_t kMaxValues = 16u << 20;
constexpr uint64_t kMaxMemoIndex = 1u << 30;

std::string hex_byte(unsigned b) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[(b >> 4) & 15] + digits[b & 15];
}
}  // namespace

std::string describe(const Value* v) {
  if (!v) return "nothing";
  switch (v->kind) {
    case Kind::None: return "None";
    case Kind::Bool: return v->boolean ? "True" : "False";
    case Kind::Int: return v->big_int ? "big int" : "int " + std::to_string(v->integer);
    case Kind::Float: return "float";
    case Kind::Str: return "str \"" + v->text.substr(0, 64) + "\"";
    case Kind::Bytes: return "bytes";
    case Kind::Tuple: return "tuple of " + std::to_string(v->items.size());
    case Kind::List: return "list of " + std::to_string(v->items.size());
    case Kind::Dict: return "dict of " + std::to_string(v->pairs.size());
    case Kind::Set: return "set";
    case Kind::Global: return "global " + v->text + "." + v->text2;
    case Kind::Object:
      if (v->callee && v->callee->kind == Kind::Global) return "object made by " + describe(v->callee);
      return "object";
    case Kind::Persistent: return "persistent id";
    case Kind::Storage: return "storage \"" + v->text + "\"";
    case Kind::Tensor: return "tensor";
  }
  return "?";
}

const Value* dict_get(const Value* dict, std::string_view key) {
  if (!dict || (dict->kind != Kind::Dict && dict->kind != Kind::Object)) return nullptr;
  for (const auto& [k, v] : dict->pairs) {
    if (k->kind == Kind::Str && k->text == key) return v;
  }
  return nullptr;
}

Reader::Reader(std::span<const std::byte> data, std::string what) : data_(data), what_(std::move(what)) {}

void Reader::fail(const std::string& msg) const {
  throw LoaderError(what_ + ": pickle offset " + std::to_string(op_pos_) + ": " + msg);
}

Value* Reader::make(Kind k) {
  if (arena_.size() >= kMaxValues) fail("too many values (limit " + std::to_string(kMaxValues) + ")");
  arena_.push_back(std::make_unique<Value>());
  arena_.back()->kind = k;
  return arena_.back().get();
}

Value* Reader::pop() {
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("stack underflow");
  Value* v = stack_.back();
  stack_.pop_back();
  return v;
}

Value* Reader::top() {
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("stack underflow");
  return stack_.back();
}

std::vector<Value*> Reader::pop_mark() {
  if (marks_.empty()) fail("no MARK on the stack");
  size_t m = marks_.back();
  marks_.pop_back();
  std::vector<Value*> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
  stack_.resize(m);
  return items;
}

std::span<const std::byte> Reader::take(uint64_t n) {
  if (n > data_.size() - pos_) {
    fail("length " + std::to_string(n) + " runs past the end of the data (" +
         std::to_string(data_.size() - pos_) + " bytes left)");
  }
  auto s = data_.subspan(pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return s;
}

uint64_t Reader::uint_le(size_t n) {
  auto s = take(n);
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t(std::to_integer<uint8_t>(s[i])) << (8 * i);
  return v;
}

void Reader::memo_put(uint64_t idx) {
  if (idx > kMaxMemoIndex) fail("memo index " + std::to_string(idx) + " is too large");
  memo_[idx] = top();
}

Value* Reader::memo_get(uint64_t idx) {
  auto it = memo_.find(idx);
  if (it == memo_.end()) fail("memo index " + std::to_string(idx) + " was never stored");
  return it->second;
}

Value* Reader::global(std::string module, std::string name) {
  Value* g = make(Kind::Global);
  g->text = std::move(module);
  g->text2 = std::move(name);
  return g;
}

Value* Reader::load() {
  stack_.clear();
  marks_.clear();
  memo_.clear();
  auto str_value = [&](Kind k, uint64_t n) {
    auto s = take(n);
    Value* v = make(k);
    v->text.assign(reinterpret_cast<const char*>(s.data()), s.size());
    stack_.push_back(v);
  };
  auto int_value = [&](int64_t x) {
    Value* v = make(Kind::Int);
    v->integer = x;
    stack_.push_back(v);
  };
  auto long_value = [&](uint64_t n) {
    auto s = take(n);
    Value* v = make(Kind::Int);
    if (n <= 8) {
      uint64_t u = 0;
      for (size_t i = 0; i < n; ++i) u |= uint64_t(std::to_integer<uint8_t>(s[i])) << (8 * i);
      if (n > 0 && n < 8 && (std::to_integer<uint8_t>(s[n - 1]) & 0x80)) u |= ~uint64_t(0) << (8 * n);  // sign-extend
      v->integer = static_cast<int64_t>(u);
    } else {
      v->big_int = true;
      v->text.assign(reinterpret_cast<const char*>(s.data()), s.size());
    }
    stack_.push_back(v);
  };
  auto read_line = [&]() {
    size_t start = pos_;
    while (pos_ < data_.size() && data_[pos_] != std::byte{'\n'}) ++pos_;
    if (pos_ >= data_.size()) fail("unterminated text argument");
    std::string s(reinterpret_cast<const char*>(data_.data() + start), pos_ - start);
    ++pos_;
    return s;
  };
  auto append_to = [&](Value* target, const std::vector<Value*>& items) {
    if (target->kind != Kind::List && target->kind != Kind::Object) fail("APPEND to " + describe(target));
    target->items.insert(target->items.end(), items.begin(), items.end());
  };
  auto setitems_on = [&](Value* target, const std::vector<Value*>& kv) {
    if (target->kind != Kind::Dict && target->kind != Kind::Object) fail("SETITEM on " + describe(target));
    if (kv.size() % 2) fail("SETITEMS with an odd number of items");
    for (size_t i = 0; i < kv.size(); i += 2) target->pairs.emplace_back(kv[i], kv[i + 1]);
  };
  auto tuple_of = [&](std::vector<Value*> items) {
    Value* t = make(Kind::Tuple);
    t->items = std::move(items);
    stack_.push_back(t);
  };
  auto reduce = [&](Value* callee, Value* args) {
    Value* r = on_reduce ? on_reduce(*this, callee, args) : nullptr;
    if (!r) {
      r = make(Kind::Object);
      r->callee = callee;
      r->args = args;
    }
    stack_.push_back(r);
  };

  while (true) {
    if (pos_ >= data_.size()) {
      op_pos_ = pos_;
      fail("missing STOP (data ends)");
    }
    op_pos_ = pos_;
    unsigned op = std::to_integer<uint8_t>(data_[pos_++]);
    switch (op) {
      case 0x80: {  // PROTO
        uint64_t p = uint_le(1);
        if (p > 5) fail("unsupported pickle protocol " + std::to_string(p));
        break;
      }
      case 0x95: uint_le(8); break;  // FRAME
      case '.': {                    // STOP
        if (!marks_.empty()) fail("unmatched MARK at STOP");
        if (stack_.empty()) fail("STOP with an empty stack");
        return stack_.back();
      }
      case '(': marks_.push_back(stack_.size()); break;  // MARK
      case '1': pop_mark(); break;                        // POP_MARK
      case '0': pop(); break;                             // POP
      case '2': stack_.push_back(top()); break;           // DUP
      case 'N': stack_.push_back(make(Kind::None)); break;
      case 0x88:
      case 0x89: {
        Value* v = make(Kind::Bool);
        v->boolean = op == 0x88;
        stack_.push_back(v);
        break;
      }
      case 'J': int_value(static_cast<int32_t>(static_cast<uint32_t>(uint_le(4)))); break;  // BININT
      case 'K': int_value(static_cast<int64_t>(uint_le(1))); break;                         // BININT1
      case 'M': int_value(static_cast<int64_t>(uint_le(2))); break;                         // BININT2
      case 0x8a: long_value(uint_le(1)); break;                                             // LONG1
      case 0x8b: long_value(uint_le(4)); break;                                             // LONG4
      case 'G': {  // BINFLOAT, big-endian
        auto s = take(8);
        uint64_t u = 0;
        for (size_t i = 0; i < 8; ++i) u = (u << 8) | std::to_integer<uint8_t>(s[i]);
        Value* v = make(Kind::Float);
        v->real = std::bit_cast<double>(u);
        stack_.push_back(v);
        break;
      }
      case 'X': str_value(Kind::Str, uint_le(4)); break;    // BINUNICODE
      case 0x8c: str_value(Kind::Str, uint_le(1)); break;   // SHORT_BINUNICODE
      case 0x8d: str_value(Kind::Str, uint_le(8)); break;   // BINUNICODE8
      case 'T': str_value(Kind::Str, uint_le(4)); break;    // BINSTRING (python 2 str)
      case 'U': str_value(Kind::Str, uint_le(1)); break;    // SHORT_BINSTRING
      case 'B': str_value(Kind::Bytes, uint_le(4)); break;  // BINBYTES
      case 'C': str_value(Kind::Bytes, uint_le(1)); break;  // SHORT_BINBYTES
      case 0x8e: str_value(Kind::Bytes, uint_le(8)); break;  // BINBYTES8
      case 0x96: str_value(Kind::Bytes, uint_le(8)); break;  // BYTEARRAY8
      case ')': tuple_of({}); break;                          // EMPTY_TUPLE
      case 0x85: {                                            // TUPLE1
        Value* a = pop();
        tuple_of({a});
        break;
      }
      case 0x86: {  // TUPLE2
        Value* b = pop();
        Value* a = pop();
        tuple_of({a, b});
        break;
      }
      case 0x87: {  // TUPLE3
        Value* c = pop();
        Value* b = pop();
        Value* a = pop();
        tuple_of({a, b, c});
        break;
      }
      case 't': tuple_of(pop_mark()); break;  // TUPLE
      case ']': stack_.push_back(make(Kind::List)); break;
      case 'l': {  // LIST
        Value* l = make(Kind::List);
        l->items = pop_mark();
        stack_.push_back(l);
        break;
      }
      case 'a': {  // APPEND
        Value* v = pop();
        append_to(top(), {v});
        break;
      }
      case 'e': {  // APPENDS
        auto items = pop_mark();
        append_to(top(), items);
        break;
      }
      case '}': stack_.push_back(make(Kind::Dict)); break;
      case 'd': {  // DICT
        auto kv = pop_mark();
        Value* d = make(Kind::Dict);
        stack_.push_back(d);
        setitems_on(d, kv);
        break;
      }
      case 's': {  // SETITEM
        Value* v = pop();
        Value* k = pop();
        setitems_on(top(), {k, v});
        break;
      }
      case 'u': {  // SETITEMS
        auto kv = pop_mark();
        setitems_on(top(), kv);
        break;
      }
      case 0x8f: stack_.push_back(make(Kind::Set)); break;  // EMPTY_SET
      case 0x90: {                                          // ADDITEMS
        auto items = pop_mark();
        Value* s = top();
        if (s->kind != Kind::Set) fail("ADDITEMS to " + describe(s));
        s->items.insert(s->items.end(), items.begin(), items.end());
        break;
      }
      case 0x91: {  // FROZENSET
        Value* s = make(Kind::Set);
        s->items = pop_mark();
        stack_.push_back(s);
        break;
      }
      case 'q': memo_put(uint_le(1)); break;  // BINPUT
      case 'r': memo_put(uint_le(4)); break;  // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); break;  // MEMOIZE
      case 'h': stack_.push_back(memo_get(uint_le(1))); break;  // BINGET
      case 'j': stack_.push_back(memo_get(uint_le(4))); break;  // LONG_BINGET
      case 'c': {  // GLOBAL
        std::string module = read_line();
        std::string name = read_line();
        stack_.push_back(global(std::move(module), std::move(name)));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        Value* name = pop();
        Value* module = pop();
        if (name->kind != Kind::Str || module->kind != Kind::Str) fail("STACK_GLOBAL needs two strings");
        stack_.push_back(global(module->text, name->text));
        break;
      }
      case 'R': {  // REDUCE
        Value* args = pop();
        Value* callee = pop();
        if (args->kind != Kind::Tuple) fail("REDUCE arguments are " + describe(args) + ", not a tuple");
        reduce(callee, args);
        break;
      }
      case 0x81:    // NEWOBJ: cls.__new__(cls, *args), recorded only
      case 0x92: {  // NEWOBJ_EX: cls, args, kwargs; kwargs dropped, otherwise as NEWOBJ
        if (op == 0x92) pop();
        Value* args = pop();
        Value* cls = pop();
        Value* o = make(Kind::Object);
        o->callee = cls;
        o->args = args;
        stack_.push_back(o);
        break;
      }
      case 'b': {  // BUILD
        Value* state = pop();
        Value* obj = top();
        if (obj->kind == Kind::Object) obj->state = state;
        break;
      }
      case 'Q': {  // BINPERSID
        Value* pid = pop();
        Value* r = on_persistent ? on_persistent(*this, pid) : nullptr;
        if (!r) {
          r = make(Kind::Persistent);
          r->args = pid;
        }
        stack_.push_back(r);
        break;
      }
      case 'i': fail("INST opcode is not allowed (it calls a class)");
      case 'o': fail("OBJ opcode is not allowed (it calls a class)");
      case 0x82: case 0x83: case 0x84: fail("EXT opcode " + hex_byte(op) + " is not allowed (extension registry)");
      case 'P': fail("PERSID (text persistent id) is not supported");
      case 0x97: case 0x98: fail("out-of-band buffer opcode " + hex_byte(op) + " is not supported");
      default: fail("unsupported pickle opcode " + hex_byte(op));
    }
  }
}

}  // namespace m2vk::loader::pickle
