#include "torch_pickle.hpp"

#include <cstring>
#include <unordered_map>

#include "checked_math.hpp"

namespace m2vk::loader {

using pickle::Kind;
using pickle::Value;

namespace {

constexpr uint64_t kMaxExpandedBytes = 256ull << 20;

bool is_global(const Value* v, std::string_view module, std::string_view name) {
  return v && v->kind == Kind::Global && v->text == module && v->text2 == name;
}

// torch.<X>Storage classes (and their torch.cuda twins) -> element type.
bool storage_dtype(const Value* g, DType& out) {
  if (!g || g->kind != Kind::Global || (g->text != "torch" && g->text != "torch.cuda")) return false;
  static const std::pair<const char*, DType> table[] = {
      {"FloatStorage", DType::F32}, {"DoubleStorage", DType::F64}, {"HalfStorage", DType::F16},
      {"BFloat16Storage", DType::BF16}, {"LongStorage", DType::I64}, {"IntStorage", DType::I32},
      {"ShortStorage", DType::I16}, {"CharStorage", DType::I8}, {"ByteStorage", DType::U8},
      {"BoolStorage", DType::BOOL}, {"UntypedStorage", DType::U8}};
  for (const auto& [n, t] : table) {
    if (g->text2 == n) {
      out = t;
      return true;
    }
  }
  return false;
}

bool int_tuple(const Value* v, std::vector<int64_t>& out) {
  if (!v || (v->kind != Kind::Tuple && v->kind != Kind::List)) return false;
  out.clear();
  for (const Value* x : v->items) {
    if (x->kind != Kind::Int || x->big_int) return false;
    out.push_back(x->integer);
  }
  return true;
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, ...) and the legacy _rebuild_tensor.
Value* rebuild_tensor(pickle::Reader& r, const Value* args, const char* fn) {
  const auto& a = args->items;
  if (a.size() < 4) r.fail(std::string(fn) + " needs 4 arguments, got " + std::to_string(a.size()));
  if (a[0]->kind != Kind::Storage) r.fail(std::string(fn) + " argument 0 is " + pickle::describe(a[0]) + ", not a storage");
  if (a[1]->kind != Kind::Int || a[1]->big_int || a[1]->integer < 0) r.fail(std::string(fn) + ": bad storage offset");
  Value* t = r.make(Kind::Tensor);
  t->storage = a[0];
  t->offset = a[1]->integer;
  if (!int_tuple(a[2], t->sizes)) r.fail(std::string(fn) + ": size is " + pickle::describe(a[2]) + ", not a tuple of ints");
  if (!int_tuple(a[3], t->strides)) r.fail(std::string(fn) + ": stride is " + pickle::describe(a[3]) + ", not a tuple of ints");
  if (t->sizes.size() != t->strides.size()) r.fail(std::string(fn) + ": size and stride differ in length");
  return t;
}

// The allow-list: the callables torch.save pickles around tensors. Everything else stays an inert
// Object (and is an error only if it sits where a tensor is expected).
Value* torch_reduce(pickle::Reader& r, Value* callee, Value* args) {
  if (!callee || callee->kind != Kind::Global) return nullptr;
  if (is_global(callee, "collections", "OrderedDict")) return r.make(Kind::Dict);
  if (is_global(callee, "torch._utils", "_rebuild_tensor_v2")) return rebuild_tensor(r, args, "_rebuild_tensor_v2");
  if (is_global(callee, "torch._utils", "_rebuild_tensor")) return rebuild_tensor(r, args, "_rebuild_tensor");
  if (is_global(callee, "torch._utils", "_rebuild_parameter") ||
      is_global(callee, "torch._utils", "_rebuild_parameter_with_state")) {
    if (args->items.empty() || args->items[0]->kind != Kind::Tensor) {
      r.fail("_rebuild_parameter argument 0 is " + pickle::describe(args->items.empty() ? nullptr : args->items[0]) +
             ", not a tensor");
    }
    return args->items[0];
  }
  if (is_global(callee, "torch._tensor", "_rebuild_from_type_v2")) {
    // (func, new_type, args, state): only tensor rebuilds through an allow-listed func.
    const auto& a = args->items;
    if (a.size() < 3 || a[2]->kind != Kind::Tuple) r.fail("_rebuild_from_type_v2: malformed arguments");
    if (!(is_global(a[1], "torch", "Tensor") || is_global(a[1], "torch.nn.parameter", "Parameter"))) return nullptr;
    return torch_reduce(r, a[0], a[2]);
  }
  return nullptr;
}

Value* torch_persistent(pickle::Reader& r, Value* pid, TorchFlavor flavor,
                        std::unordered_map<std::string, Value*>& storages) {
  if (pid->kind != Kind::Tuple || pid->items.empty() || pid->items[0]->kind != Kind::Str) {
    r.fail("persistent id is " + pickle::describe(pid) + ", not a ('storage', ...) tuple");
  }
  const auto& a = pid->items;
  if (a[0]->text != "storage") r.fail("persistent id of unsupported type \"" + a[0]->text + "\"");
  size_t want = flavor == TorchFlavor::Zip ? 5 : 6;
  if (a.size() != want) r.fail("storage persistent id has " + std::to_string(a.size()) + " fields, expected " + std::to_string(want));
  DType dt;
  if (!storage_dtype(a[1], dt)) r.fail("storage type " + pickle::describe(a[1]) + " is not an allowed storage class");
  if (a[2]->kind != Kind::Str) r.fail("storage key is " + pickle::describe(a[2]) + ", not a string");
  if (a[4]->kind != Kind::Int || a[4]->big_int || a[4]->integer < 0) r.fail("storage \"" + a[2]->text + "\": bad element count");
  const std::string& key = a[2]->text;
  uint64_t numel = static_cast<uint64_t>(a[4]->integer);
  Value*& root = storages[key];
  if (!root) {
    root = r.make(Kind::Storage);
    root->text = key;
    root->dtype = dt;
    root->numel = numel;
  } else if (root->dtype != dt || root->numel != numel) {
    r.fail("storage \"" + key + "\" referenced with different types or sizes");
  }
  if (flavor == TorchFlavor::Legacy && a[5]->kind != Kind::None) {
    // (view_key, offset, view_size): a view of the root storage, offsets in elements.
    const Value* vm = a[5];
    if (vm->kind != Kind::Tuple || vm->items.size() != 3 || vm->items[1]->kind != Kind::Int ||
        vm->items[2]->kind != Kind::Int || vm->items[1]->big_int || vm->items[2]->big_int ||
        vm->items[1]->integer < 0 || vm->items[2]->integer < 0) {
      r.fail("storage \"" + key + "\": malformed view metadata");
    }
    uint64_t off = static_cast<uint64_t>(vm->items[1]->integer);
    uint64_t size = static_cast<uint64_t>(vm->items[2]->integer);
    auto end = checked_add(off, size);
    if (!end || *end > numel) r.fail("storage view of \"" + key + "\" is out of range");
    Value* view = r.make(Kind::Storage);
    view->text = key;
    view->dtype = dt;
    view->numel = numel;
    view->base = off;
    return view;
  }
  return root;
}

[[noreturn]] void bad(const std::string& what, const std::string& name, const std::string& msg) {
  throw LoaderError(what + ": tensor \"" + name + "\": " + msg);
}

TorchTensorDesc describe_tensor(const Value* t, const std::string& name, const std::string& what) {
  TorchTensorDesc d;
  d.name = name;
  const Value* s = t->storage;
  d.dtype = s->dtype;
  d.storage_key = s->text;
  d.storage_numel = s->numel;
  d.shape = t->sizes;
  d.stride = t->strides;
  uint64_t es = dtype_size(d.dtype);
  if (!checked_mul(d.storage_numel, es)) bad(what, name, "storage size overflows");
  auto off = checked_add(s->base, static_cast<uint64_t>(t->offset));
  if (!off) bad(what, name, "storage offset overflows");
  d.offset = *off;
  uint64_t numel = 1;
  uint64_t last = 0;  // largest element index touched, relative to offset
  for (size_t i = 0; i < d.shape.size(); ++i) {
    if (d.shape[i] < 0) bad(what, name, "negative size " + std::to_string(d.shape[i]));
    if (d.stride[i] < 0) bad(what, name, "negative stride " + std::to_string(d.stride[i]));
    auto n = checked_mul(numel, static_cast<uint64_t>(d.shape[i]));
    if (!n) bad(what, name, "element count overflows");
    numel = *n;
  }
  auto nb = checked_mul(numel, es);
  if (!nb) bad(what, name, "byte size overflows");
  d.nbytes = *nb;
  // Stride-0 (expanded) views can describe far more elements than their storage holds; cap how far
  // one may blow up so a tiny hostile file cannot demand terabytes.
  if (d.nbytes > kMaxExpandedBytes && d.nbytes > d.storage_numel * es) {
    bad(what, name, "view expands storage \"" + d.storage_key + "\" to " + std::to_string(d.nbytes) + " bytes (limit " +
                        std::to_string(kMaxExpandedBytes) + " for views larger than their storage)");
  }
  if (numel > 0) {
    for (size_t i = 0; i < d.shape.size(); ++i) {
      auto step = checked_mul(static_cast<uint64_t>(d.shape[i] - 1), static_cast<uint64_t>(d.stride[i]));
      auto sum = step ? checked_add(last, *step) : std::nullopt;
      if (!sum) bad(what, name, "stride extent overflows");
      last = *sum;
    }
    auto end = checked_add(d.offset, last);
    if (!end || *end >= d.storage_numel) {
      bad(what, name, "view (offset " + std::to_string(d.offset) + ", last element " +
                          std::to_string(end ? *end : UINT64_MAX) + ") is out of range of storage \"" + d.storage_key +
                          "\" with " + std::to_string(d.storage_numel) + " elements");
    }
  }
  // Row-major contiguous check.
  bool contiguous = true;
  int64_t expect = 1;
  for (size_t i = d.shape.size(); i-- > 0;) {
    if (d.shape[i] != 1 && d.stride[i] != expect) contiguous = false;
    expect *= d.shape[i];
  }
  d.contiguous_whole = contiguous && d.offset == 0 && numel == d.storage_numel;
  return d;
}

bool has_tensor_value(const Value* dict) {
  if (!dict || dict->kind != Kind::Dict) return false;
  for (const auto& kv : dict->pairs) {
    if (kv.second->kind == Kind::Tensor) return true;
  }
  return false;
}

}  // namespace

std::shared_ptr<StorageMap> install_torch_hooks(pickle::Reader& reader, TorchFlavor flavor) {
  reader.on_reduce = torch_reduce;
  auto storages = std::make_shared<StorageMap>();
  reader.on_persistent = [flavor, storages](pickle::Reader& r, Value* pid) {
    return torch_persistent(r, pid, flavor, *storages);
  };
  return storages;
}

TorchStateDict select_state_dict(const Value* root, const std::string& what) {
  TorchStateDict out;
  const Value* sd = nullptr;
  if (has_tensor_value(root)) {
    sd = root;
  } else if (const Value* m = pickle::dict_get(pickle::dict_get(root, "state"), "model"); has_tensor_value(m)) {
    sd = m;
    out.notes.push_back("Composer checkpoint: weights taken from state.model");
  } else {
    for (const char* k : {"state_dict", "model_state_dict", "model", "module"}) {
      if (const Value* w = pickle::dict_get(root, k); has_tensor_value(w)) {
        sd = w;
        out.notes.push_back(std::string("weights taken from the \"") + k + "\" entry");
        break;
      }
    }
  }
  if (!sd && root && root->kind == Kind::Dict) {
    // A flat dict without a single tensor but with objects where tensors would be (e.g. a pickle
    // whose "weights" are os.system calls): treat it as the state dict so the entry is named.
    bool objects = false, nested = false;
    for (const auto& kv : root->pairs) {
      objects = objects || kv.second->kind == Kind::Object || kv.second->kind == Kind::Global ||
                kv.second->kind == Kind::Persistent;
      nested = nested || kv.second->kind == Kind::Dict;
    }
    if (objects && !nested) sd = root;
  }
  if (!sd) {
    std::string keys;
    if (root && root->kind == Kind::Dict) {
      for (const auto& kv : root->pairs) {
        if (kv.first->kind == Kind::Str) keys += (keys.empty() ? "" : ", ") + kv.first->text;
      }
    }
    throw LoaderError(what + ": no state dict (a dict of tensors) found; top level is " + pickle::describe(root) +
                      (keys.empty() ? "" : " with keys: " + keys));
  }
  size_t skipped = 0;
  for (const auto& [k, v] : sd->pairs) {
    if (k->kind != Kind::Str) throw LoaderError(what + ": state dict key is " + pickle::describe(k) + ", not a string");
    if (v->kind == Kind::Tensor) {
      out.tensors.push_back(describe_tensor(v, k->text, what));
    } else if (v->kind == Kind::Object || v->kind == Kind::Global || v->kind == Kind::Persistent) {
      // Something that would need code to run sits where a tensor belongs: refuse it.
      bad(what, k->text, "is " + pickle::describe(v) + ", which is not an allowed tensor constructor");
    } else {
      ++skipped;
    }
  }
  if (skipped) out.notes.push_back("skipped " + std::to_string(skipped) + " non-tensor state dict entries");
  return out;
}

void materialize(const TorchTensorDesc& d, std::span<const std::byte> storage, std::span<std::byte> out) {
  size_t es = dtype_size(d.dtype);
  if (d.nbytes == 0) return;
  const std::byte* base = storage.data() + d.offset * es;
  size_t nd = d.shape.size();
  if (nd == 0) {
    std::memcpy(out.data(), base, es);
    return;
  }
  // Walk every index except the last; copy the last dimension as one run when it is contiguous.
  int64_t inner = d.shape[nd - 1];
  int64_t inner_stride = d.stride[nd - 1];
  std::vector<int64_t> idx(nd - 1, 0);
  std::byte* dst = out.data();
  while (true) {
    int64_t off = 0;
    for (size_t i = 0; i + 1 < nd; ++i) off += idx[i] * d.stride[i];
    const std::byte* src = base + off * static_cast<int64_t>(es);
    if (inner_stride == 1) {
      std::memcpy(dst, src, static_cast<size_t>(inner) * es);
      dst += inner * static_cast<int64_t>(es);
    } else {
      for (int64_t j = 0; j < inner; ++j) {
        std::memcpy(dst, src + j * inner_stride * static_cast<int64_t>(es), es);
        dst += es;
      }
    }
    size_t i = nd - 1;
    while (i > 0) {
      --i;
      if (++idx[i] < d.shape[i]) break;
      idx[i] = 0;
      if (i == 0) return;
    }
    if (nd == 1) return;
  }
}

}  // namespace m2vk::loader
