// m2vk classify: labels and softmax scores of a sequence-classification model, as JSONL.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <unistd.h>

#include "cli_args.hpp"
#include "command.hpp"
#include "model_flags.hpp"
#include "m2vk/io.hpp"
#include "m2vk/model.hpp"

namespace {

using m2vk::cli::UsageError;

int run_classify(const std::vector<std::string>& args) {
  m2vk::cli::ArgParser p(
      "usage: m2vk classify --model DIR [options] [TEXT...]\n"
      "Classifies each TEXT (or each line of --input FILE / stdin: plain text, or JSONL with \"text\" and an\n"
      "optional \"text_pair\") and prints one JSON line per input: label (id2label), score, all scores\n"
      "(softmax) and logits; a one-label model is a regression and prints \"value\".");
  p.option("--model", "model folder");
  m2vk::cli::declare_load_flags(p);
  p.option("--padding", "max_length (default, reference-faithful) | longest (opt-in; changes the outputs)")
      .option("--max-length", "truncate and pad to N tokens, N <= l_max")
      .option("--batch-size", "texts per forward pass (default 8)")
      .option("--output", "output file (written atomically); default stdout")
      .option("--input", "read inputs from FILE ('-' = stdin), one per line");
  p.parse(args);
  if (p.help_requested()) {
    std::fputs(p.help_text().c_str(), stdout);
    return 0;
  }
  auto model_dir = p.get("--model");
  if (!model_dir) throw UsageError("--model DIR is required");
  m2vk::RunOptions run = m2vk::cli::parse_run_options(p);
  const m2vk::ModelLoadOptions lo = m2vk::cli::parse_load_options(p);

  std::vector<m2vk::TextInput> inputs;
  for (const auto& t : p.positional()) inputs.push_back({t, std::nullopt});
  if (auto in = p.get("--input")) {
    if (!inputs.empty()) throw UsageError("give texts as arguments or with --input, not both");
    if (*in == "-") {
      inputs = m2vk::read_text_lines(std::cin, "stdin");
    } else {
      std::ifstream f(*in);
      if (!f) throw std::runtime_error("cannot open input file " + *in);
      inputs = m2vk::read_text_lines(f, *in);
    }
  } else if (inputs.empty()) {
    inputs = m2vk::read_text_lines(std::cin, "stdin");
  }
  if (inputs.empty()) throw UsageError("no input texts");

  m2vk::Model model = m2vk::Model::load(*model_dir, lo);
  if (const std::string note = m2vk::cli::precision_note(model, lo); !note.empty())
    std::fprintf(stderr, "m2vk classify: note: %s\n", note.c_str());
  if (model.random_weights())
    std::fprintf(stderr, "m2vk classify: note: %s holds RANDOM weights (m2vk demo-model): the labels mean nothing\n",
                 model_dir->c_str());
  if (::isatty(2) && inputs.size() > run.batch_size)
    run.progress = [](const m2vk::ProgressInfo& pi) {
      std::fprintf(stderr, "\rclassifying %zu/%zu", pi.done, pi.total);
      if (pi.done == pi.total) std::fputc('\n', stderr);
    };
  const std::string out = m2vk::classifications_to_jsonl(model.classify(inputs, run));
  if (auto o = p.get("--output"))
    m2vk::write_file_atomically(*o, out);
  else
    std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace

M2VK_COMMAND("classify", "labels and scores of a classification model (JSONL)", run_classify);
