// m2vk embed: sentence embeddings for texts from arguments, --input FILE or stdin.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <unistd.h>

#include "cli_args.hpp"
#include "command.hpp"
#include "model_flags.hpp"
#include "m2vk/corpus.hpp"
#include "m2vk/io.hpp"
#include "m2vk/model.hpp"

namespace {

using m2vk::cli::UsageError;

// A wall-time breakdown: each stage, its share of `total_ms`, and what the stages do not cover.
void print_stages(const char* what, const std::vector<m2vk::gpu::StageTime>& stages, double total_ms) {
  std::fprintf(stderr, "%s: %.1f ms\n", what, total_ms);
  double covered = 0;
  for (const auto& s : stages) {
    std::fprintf(stderr, "  %-28s %10.1f ms %5.1f%%", s.stage.c_str(), s.ms, total_ms > 0 ? 100.0 * s.ms / total_ms : 0.0);
    if (s.count > 1) std::fprintf(stderr, "  (%zu times)", s.count);
    std::fputc('\n', stderr);
    covered += s.ms;
  }
  if (total_ms - covered > 0.05) std::fprintf(stderr, "  %-28s %10.1f ms\n", "other", total_ms - covered);
}

void note_random_weights(const m2vk::Model& model, const std::string& dir) {
  if (model.random_weights())
    std::fprintf(stderr, "m2vk embed: note: %s holds RANDOM weights (m2vk demo-model): the embeddings mean nothing\n",
                 dir.c_str());
}

// --output-dir: the resumable corpus job (m2vk/corpus.hpp), with rate and ETA on a terminal.
int run_corpus(const m2vk::cli::ArgParser& p, const std::string& model_dir, const std::string& dir,
               m2vk::EmbedFormat format, const m2vk::RunOptions& run, const m2vk::ModelLoadOptions& lo) {
  const auto input = p.get("--input");
  if (!input || *input == "-") throw UsageError("--output-dir needs --input FILE (a file, so a rerun can resume)");
  if (!p.positional().empty()) throw UsageError("--output-dir embeds --input FILE; give no texts as arguments");
  if (p.has("--output")) throw UsageError("give --output FILE or --output-dir DIR, not both");
  if (p.get("--format") && format == m2vk::EmbedFormat::Jsonl)
    throw UsageError("--output-dir writes npy (default) or safetensors shards");
  m2vk::CorpusOptions co;
  co.format = format == m2vk::EmbedFormat::Jsonl ? m2vk::EmbedFormat::Npy : format;
  co.run = run;
  if (auto n = p.get_int("--shard-size", 1, 1ll << 40)) co.shard_size = static_cast<size_t>(*n);
  m2vk::Model model = m2vk::Model::load(model_dir, lo);
  note_random_weights(model, model_dir);
  const auto start = std::chrono::steady_clock::now();
  size_t first = 0;
  bool started = false;
  if (::isatty(2))
    co.progress = [&](size_t done, size_t total) {
      if (!started) first = done, started = true;  // texts an earlier run finished: not in the rate
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double rate = s > 0 ? static_cast<double>(done - first) / s : 0;
      std::fprintf(stderr, "\rembedding %zu/%zu texts, %.1f texts/s", done, total, rate);
      if (rate > 0 && done < total) std::fprintf(stderr, ", ETA %.0f s   ", static_cast<double>(total - done) / rate);
      if (done == total) std::fputc('\n', stderr);
    };
  const m2vk::CorpusResult r = m2vk::embed_corpus(model, model_dir, *input, dir, co);
  std::fprintf(stderr, "m2vk embed: %zu texts in %zu shards under %s (%zu finished by an earlier run)\n", r.texts,
               r.shards, dir.c_str(), r.skipped_shards);
  return 0;
}

int run_embed(const std::vector<std::string>& args) {
  m2vk::cli::ArgParser p(
      "usage: m2vk embed --model DIR [options] [TEXT...]\n"
      "Embeds each TEXT (or each line of --input FILE / stdin: plain text, or JSONL with a \"text\" field)\n"
      "and writes one embedding per input, in input order.");
  p.option("--model", "model folder (config.json + checkpoint + tokenizer files)");
  m2vk::cli::declare_load_flags(p);
  p.flag("--profile", "GPU: print each op type's summed GPU time (timestamps) and the device memory used to stderr")
      .option("--padding",
              "max_length (default, reference-faithful: every text padded to --max-length, by default the "
              "model's l_max, as the model card does) | longest (pad to the longest text of each batch: faster, "
              "but since nothing masks padding the embeddings then differ from the reference and depend on "
              "batch composition)")
      .option("--max-length", "truncate (keeping [SEP]) and pad to N tokens, N <= l_max")
      .flag("--normalize", "L2-normalise each embedding")
      .option("--batch-size", "texts per forward pass (default 8)")
      .option("--format", "jsonl (default) | npy | safetensors")
      .option("--output", "output file (written atomically); default stdout (jsonl only)")
      .option("--input", "read texts from FILE ('-' = stdin), one per line")
      .option("--output-dir",
              "corpus job: embed --input FILE into DIR/shard-NNNNN.npy (or .safetensors with --format) plus "
              "DIR/manifest.json (line ranges and ids: a JSONL \"id\" field, else the line number); each file is "
              "written atomically and a rerun after an interruption skips the finished shards")
      .option("--shard-size", "corpus job: texts per shard (default 1000)");
  p.parse(args);
  if (p.help_requested()) {
    std::fputs(p.help_text().c_str(), stdout);
    return 0;
  }
  auto model_dir = p.get("--model");
  if (!model_dir) throw UsageError("--model DIR is required");

  m2vk::RunOptions run = m2vk::cli::parse_run_options(p);
  run.normalize = p.has("--normalize");
  run.profile = p.has("--profile");
  m2vk::EmbedFormat format;
  try {
    format = m2vk::parse_embed_format(p.get_or("--format", "jsonl"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--format: ") + e.what());
  }
  const auto output = p.get("--output");
  const m2vk::ModelLoadOptions lo = m2vk::cli::parse_load_options(p);
  if (auto dir = p.get("--output-dir")) return run_corpus(p, *model_dir, *dir, format, run, lo);
  if (p.has("--shard-size")) throw UsageError("--shard-size applies to a corpus job (--output-dir)");
  if (format != m2vk::EmbedFormat::Jsonl && !output) throw UsageError("--format npy/safetensors needs --output FILE");

  // Inputs: arguments, else --input FILE, else stdin.
  std::vector<std::string> texts = p.positional();
  if (auto in = p.get("--input")) {
    if (!texts.empty()) throw UsageError("give texts as arguments or with --input, not both");
    std::vector<m2vk::TextInput> lines;
    if (*in == "-") {
      lines = m2vk::read_text_lines(std::cin, "stdin");
    } else {
      std::ifstream f(*in);
      if (!f) throw std::runtime_error("cannot open input file " + *in);
      lines = m2vk::read_text_lines(f, *in);
    }
    for (auto& l : lines) texts.push_back(std::move(l.text));
  } else if (texts.empty()) {
    for (auto& l : m2vk::read_text_lines(std::cin, "stdin")) texts.push_back(std::move(l.text));
  }
  if (texts.empty()) throw UsageError("no input texts");

  const auto load_start = std::chrono::steady_clock::now();
  m2vk::Model model = m2vk::Model::load(*model_dir, lo);
  const double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - load_start).count();
  if (const std::string note = m2vk::cli::precision_note(model, lo); !note.empty())
    std::fprintf(stderr, "m2vk embed: note: %s\n", note.c_str());
  note_random_weights(model, *model_dir);
  const bool bar = ::isatty(2) && texts.size() > run.batch_size;
  if (bar)
    run.progress = [](const m2vk::ProgressInfo& pi) {
      std::fprintf(stderr, "\rembedding %zu/%zu", pi.done, pi.total);
      if (pi.done == pi.total) std::fputc('\n', stderr);
    };
  const auto embed_start = std::chrono::steady_clock::now();
  m2vk::EmbedResult r = model.embed(texts, run);
  const double embed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - embed_start).count();
  if (run.profile) {
    print_stages("load", model.load_stages(), load_ms);
    if (!model.gpu_model()) {
      std::fprintf(stderr, "m2vk embed: --profile measures GPU time; the CPU reference path has none\n");
    } else {
      print_stages("forward passes (summed; the first pass at a length also builds its filter spectra)",
                   r.profile.stages, r.profile.wall_ms());
      std::fprintf(stderr, "embed() wall time %.1f ms (forward passes %.1f ms; the rest is tokenization and packing)\n",
                   embed_ms, r.profile.wall_ms());
      std::fprintf(stderr, "GPU time on %s: %.3f ms in %zu submits\n", model.gpu_model()->device_info().name.c_str(),
                   r.profile.total_ms, r.profile.submits);
      std::fprintf(stderr, "%-32s %10s %7s %6s\n", "op", "ms", "calls", "%");
      for (const auto& op : r.profile.ops)
        std::fprintf(stderr, "%-32s %10.3f %7zu %5.1f%%\n", op.op.c_str(), op.ms, op.count,
                     r.profile.total_ms > 0 ? 100.0 * op.ms / r.profile.total_ms : 0.0);
      std::fprintf(stderr, "device memory: %s\n", m2vk::cli::describe_device_memory(model).c_str());
      std::fprintf(stderr, "%s\n", m2vk::cli::describe_spectrum_cache(model).c_str());
      std::fprintf(stderr, "GEMM precision: %s\n", std::string(m2vk::ops::precision_name(model.gpu_model()->gemm_precision())).c_str());
      for (const std::string& line : m2vk::cli::describe_kernel_choices(model)) std::fprintf(stderr, "kernel choice: %s\n", line.c_str());
    }
  }
  if (output)
    m2vk::write_embeddings(*output, format, r);
  else
    std::fputs(m2vk::embeddings_to_jsonl(r).c_str(), stdout);
  return 0;
}

}  // namespace

M2VK_COMMAND("embed", "sentence embeddings of texts (jsonl / npy / safetensors)", run_embed);
