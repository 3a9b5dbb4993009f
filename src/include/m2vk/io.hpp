// Reading texts and writing results for the CLI (kept in the library so tests reach them).
// Every file is written to a temporary name beside the target and renamed, so a failure leaves no
// partial output.
#pragma once

#include <filesystem>
#include <istream>
#include <string>
#include <vector>

#include "m2vk/model.hpp"

namespace m2vk {

// One input per non-empty line: plain text, or (a line starting with '{') a JSON object with a
// string "text" field and an optional "text_pair". Throws std::runtime_error naming source:line.
std::vector<TextInput> read_text_lines(std::istream& in, const std::string& source_name);

enum class EmbedFormat { Jsonl, Npy, Safetensors };
// "jsonl" / "npy" / "safetensors"; throws std::invalid_argument listing the choices.
EmbedFormat parse_embed_format(const std::string& name);

// {"index": i, "embedding": [...], "tokens": n, "truncated": false} per line; floats with 9
// significant digits (exact float round trip).
std::string embeddings_to_jsonl(const EmbedResult& result);
// {"index", "label", "score", "scores": {label: p}, "logits": [...]} per line (regression: "value").
std::string classifications_to_jsonl(const ClassifyResult& result);

// NumPy .npy (format 1.0, '<f4', C order) bytes of a (rows, cols) float32 array.
std::string npy_bytes(const std::vector<float>& data, int64_t rows, int64_t cols);

// Writes `bytes` to `path` atomically (temp file + rename).
void write_file_atomically(const std::filesystem::path& path, const std::string& bytes);
// Writes the embeddings in `format` to `path` atomically. safetensors: tensor "embeddings" (N, H) F32
// plus "tokens" (N) I64, metadata random_weights / normalized.
void write_embeddings(const std::filesystem::path& path, EmbedFormat format, const EmbedResult& result);

}  // namespace m2vk
