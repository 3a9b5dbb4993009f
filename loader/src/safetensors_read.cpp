// safetensors reading. Every rule of the format is checked with its own error:
//   file too short for the 8-byte length | header length over the limit | header past the end of file
//   header not valid UTF-8 JSON | header not an object | duplicate key | __metadata__ not a string map
//   entry not an object / missing or unexpected field | unknown dtype | bad shape | bad data_offsets
//   element count or byte size overflow | byte length != elements x dtype size
//   first tensor not at offset 0 | hole between tensors | overlapping tensors | file length != data end
#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "checked_math.hpp"
#include "m2vk/loader/safetensors.hpp"
#include "mapped_file.hpp"
#include "store_impl.hpp"

namespace m2vk::loader {

namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& what, const std::string& msg) { throw LoaderError(what + ": " + msg); }

uint64_t as_uint(const json& v, const std::string& what, const std::string& field) {
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
    fail(what, field + " must be a non-negative integer, got " + v.dump());
  }
  return v.get<uint64_t>();
}

}  // namespace

SafetensorsHeader parse_safetensors_header(std::span<const std::byte> bytes, uint64_t file_size, const std::string& what) {
  if (file_size < 8 || bytes.size() < 8) fail(what, "file is " + std::to_string(file_size) + " bytes, too short for the 8-byte header length");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t(std::to_integer<uint8_t>(bytes[size_t(i)])) << (8 * i);
  if (n > kSafetensorsMaxHeader) fail(what, "header length " + std::to_string(n) + " exceeds the limit of " + std::to_string(kSafetensorsMaxHeader));
  if (n > file_size - 8 || n > bytes.size() - 8) fail(what, "header length " + std::to_string(n) + " runs past the end of the file");
  std::string_view text(reinterpret_cast<const char*>(bytes.data() + 8), static_cast<size_t>(n));

  // Duplicate keys: the JSON library keeps the last one silently, so track keys per object.
  std::vector<std::set<std::string>> open;
  std::string duplicate;
  json::parser_callback_t cb = [&](int, json::parse_event_t ev, json& parsed) {
    if (ev == json::parse_event_t::object_start) open.emplace_back();
    else if (ev == json::parse_event_t::object_end && !open.empty()) open.pop_back();
    else if (ev == json::parse_event_t::key && !open.empty() && duplicate.empty()) {
      std::string k = parsed.get<std::string>();
      if (!open.back().insert(k).second) duplicate = k;
    }
    return true;
  };
  json h;
  try {
    h = json::parse(text.begin(), text.end(), cb);
  } catch (const json::exception& e) {
    fail(what, std::string("header is not valid UTF-8 JSON: ") + e.what());
  }
  if (!duplicate.empty()) fail(what, "duplicate key \"" + duplicate + "\" in header");
  if (!h.is_object()) fail(what, "header is not a JSON object");

  SafetensorsHeader out;
  out.header_size = n;
  for (auto it = h.begin(); it != h.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) fail(what, "__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) fail(what, "__metadata__ value for \"" + m.key() + "\" is not a string");
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    std::string where = "tensor \"" + name + "\"";
    if (!v.is_object()) fail(what, where + " header entry is not an object");
    for (auto f = v.begin(); f != v.end(); ++f) {
      if (f.key() != "dtype" && f.key() != "shape" && f.key() != "data_offsets") fail(what, where + " has unexpected field \"" + f.key() + "\"");
    }
    if (!v.contains("dtype") || !v["dtype"].is_string()) fail(what, where + " lacks a string dtype");
    if (!v.contains("shape") || !v["shape"].is_array()) fail(what, where + " lacks a shape array");
    if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2) {
      fail(what, where + " lacks data_offsets [begin, end]");
    }
    SafetensorsEntry e;
    e.name = name;
    try {
      e.dtype = dtype_from_name(v["dtype"].get<std::string>());
    } catch (const LoaderError&) {
      fail(what, where + " has unsupported dtype \"" + v["dtype"].get<std::string>() + "\"");
    }
    uint64_t numel = 1;
    for (const json& d : v["shape"]) {
      uint64_t x = as_uint(d, what, where + " shape entry");
      if (x > uint64_t(INT64_MAX)) fail(what, where + " shape entry too large");
      auto m = checked_mul(numel, x);
      if (!m) fail(what, where + " element count overflows");
      numel = *m;
      e.shape.push_back(static_cast<int64_t>(x));
    }
    auto nbytes = checked_mul(numel, dtype_size(e.dtype));
    if (!nbytes) fail(what, where + " byte size overflows");
    e.begin = as_uint(v["data_offsets"][0], what, where + " data_offsets[0]");
    e.end = as_uint(v["data_offsets"][1], what, where + " data_offsets[1]");
    if (e.end < e.begin) fail(what, where + " data_offsets end " + std::to_string(e.end) + " is before begin " + std::to_string(e.begin));
    if (e.end - e.begin != *nbytes) {
      fail(what, where + " occupies " + std::to_string(e.end - e.begin) + " bytes but shape x dtype size is " + std::to_string(*nbytes));
    }
    out.entries.push_back(std::move(e));
  }
  std::stable_sort(out.entries.begin(), out.entries.end(), [](const auto& a, const auto& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expect = 0;
  for (const auto& e : out.entries) {
    if (e.begin > expect) {
      fail(what, (expect == 0 ? "first tensor \"" + e.name + "\" does not start at offset 0"
                              : "hole before tensor \"" + e.name + "\" (bytes " + std::to_string(expect) + ".." + std::to_string(e.begin) + ")"));
    }
    if (e.begin < expect) fail(what, "tensor \"" + e.name + "\" overlaps the previous tensor (starts at " + std::to_string(e.begin) + ", previous ends at " + std::to_string(expect) + ")");
    expect = e.end;
  }
  uint64_t data_len = file_size - 8 - n;
  if (data_len != expect) {
    fail(what, "file length " + std::to_string(file_size) + " does not match the header: data section is " + std::to_string(data_len) +
                   " bytes, tensors end at " + std::to_string(expect));
  }
  return out;
}

TensorStore load_safetensors(const std::filesystem::path& file) {
  auto map = MappedFile::open(file);
  SafetensorsHeader h = parse_safetensors_header(map->bytes(), map->size(), file.string());
  auto impl = std::make_unique<TensorStore::Impl>();
  impl->source = file;
  impl->format = "safetensors";
  impl->metadata = h.metadata;
  const std::byte* data = map->bytes().data() + 8 + h.header_size;
  for (auto& e : h.entries) {
    Tensor t;
    t.name = std::move(e.name);
    t.dtype = e.dtype;
    t.shape = std::move(e.shape);
    t.bytes = std::span<const std::byte>(data + e.begin, static_cast<size_t>(e.end - e.begin));
    t.storage_id = t.name;
    impl->tensors.push_back(std::move(t));
  }
  impl->owners.push_back(map);
  impl->index();
  return TensorStore(std::move(impl));
}

TensorStore load_safetensors_index(const std::filesystem::path& index_json) {
  const std::string what = index_json.string();
  auto map = MappedFile::open(index_json);
  auto b = map->bytes();
  json j;
  try {
    j = json::parse(reinterpret_cast<const char*>(b.data()), reinterpret_cast<const char*>(b.data()) + b.size());
  } catch (const json::exception& e) {
    fail(what, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) fail(what, "lacks a weight_map object");
  // shard file -> names the index assigns to it
  std::vector<std::string> shard_order;
  std::map<std::string, std::set<std::string>> shards;
  for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
    if (!it.value().is_string()) fail(what, "weight_map entry \"" + it.key() + "\" is not a file name");
    std::string shard = it.value().get<std::string>();
    std::filesystem::path sp(shard);
    if (shard.empty() || sp.is_absolute() || sp.has_parent_path() || shard == "." || shard == "..") {
      fail(what, "weight_map entry \"" + it.key() + "\" names shard \"" + shard + "\" outside the index folder");
    }
    if (!shards.count(shard)) shard_order.push_back(shard);
    shards[shard].insert(it.key());
  }
  auto impl = std::make_unique<TensorStore::Impl>();
  impl->source = index_json;
  impl->format = "safetensors-sharded";
  for (const auto& shard : shard_order) {
    TensorStore s = load_safetensors(index_json.parent_path() / shard);
    auto& si = s.impl();
    const auto& want = shards[shard];
    for (auto& t : si.tensors) {
      if (!want.count(t.name)) fail(what, "shard " + shard + " holds tensor \"" + t.name + "\" that the weight_map does not assign to it");
      impl->tensors.push_back(std::move(t));
    }
    if (si.tensors.size() != want.size()) {
      for (const auto& n : want) {
        if (!s.find(n)) fail(what, "tensor \"" + n + "\" is missing from shard " + shard);
      }
    }
    for (auto& o : si.owners) impl->owners.push_back(std::move(o));
  }
  impl->notes.push_back("sharded: " + std::to_string(shard_order.size()) + " files");
  impl->index();
  return TensorStore(std::move(impl));
}

}  // namespace m2vk::loader
