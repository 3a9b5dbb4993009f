#include "m2vk/corpus.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace m2vk {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct CorpusLine {
  std::size_t number = 0;  // 1-based line number
  json id;                 // the JSON "id", else the line number
  std::string text;
};

// Every non-empty line, checked before any work: UTF-8, JSON syntax, a string "text".
std::vector<CorpusLine> read_corpus(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open input file " + path.string());
  std::vector<CorpusLine> lines;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto where = [&] { return path.string() + ":" + std::to_string(number) + ": "; };
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (line[line.find_first_not_of(" \t")] == '{') {
      json obj;
      try {
        obj = json::parse(line);
      } catch (const json::parse_error& e) {
        throw std::runtime_error(where() + "invalid JSON: " + e.what());
      }
      if (!obj.contains("text") || !obj["text"].is_string())
        throw std::runtime_error(where() + "JSON line has no string \"text\" field");
      lines.push_back({number, obj.contains("id") ? obj["id"] : json(number), obj["text"].get<std::string>()});
    } else {
      try {
        (void)json(line).dump();  // throws on invalid UTF-8, naming the byte
      } catch (const json::type_error& e) {
        throw std::runtime_error(where() + "not UTF-8: " + e.what());
      }
      lines.push_back({number, json(number), line});
    }
  }
  if (in.bad()) throw std::runtime_error("cannot read " + path.string());
  return lines;
}

std::string sha256_hex(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 is unavailable (OpenSSL)");
  std::vector<char> block(1 << 20);
  while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0)
    EVP_DigestUpdate(ctx.get(), block.data(), static_cast<std::size_t>(in.gcount()));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &n);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

json manifest_json(const json& job, const std::map<std::size_t, json>& done, std::size_t count) {
  json shards = json::array();
  for (const auto& [index, shard] : done) shards.push_back(shard);
  return {{"job", job}, {"complete", done.size() == count}, {"shards", shards}};
}

}  // namespace

CorpusResult embed_corpus(const Model& model, const fs::path& model_dir, const fs::path& input,
                          const fs::path& output_dir, const CorpusOptions& options) {
  if (options.shard_size < 1) throw std::invalid_argument("shard_size must be at least 1");
  if (options.format == EmbedFormat::Jsonl) throw std::invalid_argument("corpus shards are npy or safetensors");
  const std::vector<CorpusLine> lines = read_corpus(input);
  std::error_code ec;
  fs::create_directories(output_dir, ec);
  if (ec) throw std::runtime_error("cannot create output folder " + output_dir.string() + ": " + ec.message());
  const std::string ext = options.format == EmbedFormat::Npy ? ".npy" : ".safetensors";
  const json job = {{"input", input.filename().string()},
                    {"input_sha256", sha256_hex(input)},
                    {"model", fs::absolute(model_dir).lexically_normal().string()},
                    {"dim", model.config().hidden_size},
                    {"padding", options.run.padding == PaddingMode::MaxLength ? "max_length" : "longest"},
                    {"max_length", options.run.max_length.value_or(model.max_length())},
                    {"batch_size", options.run.batch_size},
                    {"normalize", options.run.normalize},
                    {"shard_size", options.shard_size},
                    {"format", ext.substr(1)},
                    {"rows", lines.size()}};
  const fs::path manifest_path = output_dir / "manifest.json";
  std::map<std::size_t, json> done;
  if (fs::exists(manifest_path)) {
    json previous;
    try {
      std::ifstream in(manifest_path);
      previous = json::parse(in);
    } catch (const json::exception& e) {
      throw std::runtime_error(manifest_path.string() + ": not a corpus manifest (" + e.what() + ")");
    }
    if (!previous.is_object() || previous.value("job", json()) != job)
      throw std::runtime_error(manifest_path.string() +
                               ": written by a different job (input, model or options differ); use another output folder");
    for (const json& s : previous.value("shards", json::array()))
      if (fs::exists(output_dir / s.at("file").get<std::string>())) done[s.at("index").get<std::size_t>()] = s;
  }
  const std::size_t count = (lines.size() + options.shard_size - 1) / options.shard_size;
  CorpusResult result;
  result.texts = lines.size();
  result.shards = count;
  result.skipped_shards = done.size();
  std::size_t finished = 0;
  for (const auto& [index, s] : done) finished += s.at("rows").get<std::size_t>();
  if (options.progress) options.progress(finished, lines.size());
  for (std::size_t index = 0; index < count; ++index) {
    if (done.count(index)) continue;
    const std::size_t begin = index * options.shard_size;
    const std::size_t end = std::min(lines.size(), begin + options.shard_size);
    std::vector<std::string> texts;
    json ids = json::array();
    for (std::size_t i = begin; i < end; ++i) {
      texts.push_back(lines[i].text);
      ids.push_back(lines[i].id);
    }
    RunOptions run = options.run;
    run.progress = nullptr;
    const EmbedResult r = model.embed(texts, run);
    char name[32];
    std::snprintf(name, sizeof name, "shard-%05zu", index);
    write_embeddings(output_dir / (name + ext), options.format, r);
    done[index] = {{"index", index},           {"file", name + ext},
                   {"rows", end - begin},      {"first_line", lines[begin].number},
                   {"last_line", lines[end - 1].number}, {"ids", ids}};
    write_file_atomically(manifest_path, manifest_json(job, done, count).dump(1) + "\n");
    finished += end - begin;
    if (options.progress) options.progress(finished, lines.size());
  }
  if (lines.empty() || result.skipped_shards == count)
    write_file_atomically(manifest_path, manifest_json(job, done, count).dump(1) + "\n");
  return result;
}

}  // namespace m2vk
