#include "m2vk/io.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "m2vk/loader/safetensors.hpp"

namespace m2vk {

namespace fs = std::filesystem;

std::vector<TextInput> read_text_lines(std::istream& in, const std::string& source_name) {
  std::vector<TextInput> out;
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (line[line.find_first_not_of(" \t")] != '{') {
      out.push_back({line, std::nullopt});
      continue;
    }
    const std::string where = source_name + ":" + std::to_string(lineno);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      throw std::runtime_error(where + ": line starts with '{' but is not valid JSON: " + e.what());
    }
    auto t = j.find("text");
    if (!j.is_object() || t == j.end() || !t->is_string())
      throw std::runtime_error(where + ": JSON line has no string field \"text\"");
    TextInput ti{t->get<std::string>(), std::nullopt};
    if (auto p = j.find("text_pair"); p != j.end() && !p->is_null()) {
      if (!p->is_string()) throw std::runtime_error(where + ": field \"text_pair\" is not a string");
      ti.pair = p->get<std::string>();
    }
    out.push_back(std::move(ti));
  }
  if (in.bad()) throw std::runtime_error("cannot read " + source_name);
  return out;
}

EmbedFormat parse_embed_format(const std::string& name) {
  if (name == "jsonl") return EmbedFormat::Jsonl;
  if (name == "npy") return EmbedFormat::Npy;
  if (name == "safetensors") return EmbedFormat::Safetensors;
  throw std::invalid_argument("format '" + name + "': expected jsonl, npy or safetensors");
}

namespace {

std::string fmt_float(float v) {
  if (!std::isfinite(v)) return "null";  // JSON has no NaN/Inf
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  return buf;
}

}  // namespace

std::string embeddings_to_jsonl(const EmbedResult& r) {
  std::string out;
  for (int64_t i = 0; i < r.count; ++i) {
    out += "{\"index\": " + std::to_string(i) + ", \"embedding\": [";
    for (int64_t c = 0; c < r.dim; ++c) out += (c ? ", " : "") + fmt_float(r.data[i * r.dim + c]);
    out += "], \"tokens\": " + std::to_string(r.tokens.at(i)) +
           ", \"truncated\": " + (r.truncated.at(i) ? "true" : "false");
    if (r.random_weights) out += ", \"random_weights\": true";
    out += "}\n";
  }
  return out;
}

std::string classifications_to_jsonl(const ClassifyResult& r) {
  std::string out;
  const int64_t C = r.num_labels;
  for (int64_t i = 0; i < r.count; ++i) {
    nlohmann::ordered_json j;
    j["index"] = i;
    if (C == 1) {
      j["value"] = r.scores[i];
    } else {
      j["label"] = r.labels[r.predicted[i]];
      j["score"] = r.scores[i * C + r.predicted[i]];
      nlohmann::ordered_json scores;
      for (int64_t c = 0; c < C; ++c) scores[r.labels[c]] = r.scores[i * C + c];
      j["scores"] = scores;
    }
    j["logits"] = std::vector<float>(r.logits.begin() + i * C, r.logits.begin() + (i + 1) * C);
    j["tokens"] = r.tokens.at(i);
    j["truncated"] = static_cast<bool>(r.truncated.at(i));
    if (r.random_weights) j["random_weights"] = true;
    out += j.dump() + "\n";
  }
  return out;
}

std::string npy_bytes(const std::vector<float>& data, int64_t rows, int64_t cols) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                       std::to_string(cols) + "), }";
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64
  // and ended by '\n'.
  const size_t total = 10 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  out.push_back(static_cast<char>(len & 0xff));
  out.push_back(static_cast<char>(len >> 8));
  out += header;
  out.append(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float));
  return out;
}

void write_file_atomically(const fs::path& path, const std::string& bytes) {
  const fs::path tmp = path.string() + ".tmp-" + std::to_string(::getpid());
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot create " + tmp.string());
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  std::error_code ec;
  if (!out) {
    fs::remove(tmp, ec);
    throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error("cannot rename " + tmp.string() + " to " + path.string());
  }
}

void write_embeddings(const fs::path& path, EmbedFormat format, const EmbedResult& r) {
  if (format == EmbedFormat::Jsonl) return write_file_atomically(path, embeddings_to_jsonl(r));
  if (format == EmbedFormat::Npy) return write_file_atomically(path, npy_bytes(r.data, r.count, r.dim));
  std::vector<loader::TensorToWrite> t;
  t.push_back({"embeddings", loader::DType::F32, {r.count, r.dim},
               [&r](std::span<std::byte> dst) { std::memcpy(dst.data(), r.data.data(), dst.size()); }});
  t.push_back({"tokens", loader::DType::I64, {r.count}, [&r](std::span<std::byte> dst) {
                 for (size_t i = 0; i < r.tokens.size(); ++i) std::memcpy(dst.data() + 8 * i, &r.tokens[i], 8);
               }});
  loader::write_safetensors(path, t,
                            {{"random_weights", r.random_weights ? "true" : "false"},
                             {"normalized", r.normalized ? "true" : "false"},
                             {"padded_length", std::to_string(r.padded_length)}});
}

}  // namespace m2vk
