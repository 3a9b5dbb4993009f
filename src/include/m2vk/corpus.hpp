// Resumable corpus job: embeds a file of texts (one per line: plain text, or JSON with "text" and
// an optional "id") into numbered shards plus a manifest, the format python/m2vk/corpus.py writes.
//
//   DIR/shard-00000.npy (or .safetensors), shard-00001..., DIR/manifest.json
//
// Every line is read and checked before anything is written: an unreadable line is an error naming
// FILE:LINE and no shard is written. Each shard and the manifest (rewritten after every shard) are
// written atomically, so after a kill -9 at any moment a rerun skips the shards the manifest lists
// and the finished folder is byte-identical to an uninterrupted run's. Shards start on batch
// boundaries, so the embeddings equal one embed() call over all texts with the same batch size.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>

#include "m2vk/io.hpp"
#include "m2vk/model.hpp"

namespace m2vk {

struct CorpusOptions {
  std::size_t shard_size = 1000;          // texts per shard (a multiple of run.batch_size keeps
                                          // every shard's batches those of one embed() call)
  EmbedFormat format = EmbedFormat::Npy;  // Npy or Safetensors
  RunOptions run;                         // padding, max_length, batch_size, normalize
  // Texts finished so far (skipped shards count as finished at the start) of the total.
  std::function<void(std::size_t done, std::size_t total)> progress;
};

struct CorpusResult {
  std::size_t texts = 0;
  std::size_t shards = 0;
  std::size_t skipped_shards = 0;  // finished by an earlier run
};

// Throws std::runtime_error naming FILE:LINE for an unreadable line, the manifest when it belongs
// to another job (input, model or options differ), or the file that could not be written.
CorpusResult embed_corpus(const Model& model, const std::filesystem::path& model_dir,
                          const std::filesystem::path& input, const std::filesystem::path& output_dir,
                          const CorpusOptions& options);

}  // namespace m2vk
