// m2vk convert SRC [DST] [--verify]: converts a checkpoint (file or model folder, any format) to
// safetensors, streaming tensor by tensor; --verify then compares every tensor with the source bit
// for bit. Progress is drawn on stderr when it is a terminal; the library only reports it.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "cli_args.hpp"
#include "command.hpp"
#include "m2vk/loader/convert.hpp"

namespace {

void draw_progress(const m2vk::loader::ConvertProgress& p) {
  constexpr int kWidth = 30;
  double f = p.bytes_total ? double(p.bytes_done) / double(p.bytes_total) : 1.0;
  int filled = int(f * kWidth);
  std::string bar(size_t(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r[%s] %3d%%  %zu/%zu tensors  %.1f/%.1f MB", bar.c_str(), int(f * 100), p.tensors_done, p.tensors_total,
               double(p.bytes_done) / 1e6, double(p.bytes_total) / 1e6);
  if (p.tensors_done == p.tensors_total) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

int run_convert(const std::vector<std::string>& args) {
  m2vk::cli::ArgParser p("m2vk convert SRC [DST] [options]\n  Converts a checkpoint to safetensors (DST defaults to <stem>.safetensors beside SRC).");
  p.flag("--verify", "compare every converted tensor with the source, bit for bit");
  p.parse(args);
  if (p.help_requested()) {
    std::printf("%s", p.help_text().c_str());
    return 0;
  }
  const auto& pos = p.positional();
  if (pos.empty() || pos.size() > 2) throw m2vk::cli::UsageError("expected SRC [DST]");
  std::filesystem::path src = pos[0];
  std::filesystem::path dst;
  if (pos.size() == 2) {
    dst = pos[1];
  } else {
    std::filesystem::path file = src;
    if (std::filesystem::is_directory(src)) file = src / "model";  // folder: DST inside it
    dst = file.parent_path() / (file.stem().string() + ".safetensors");
  }
  if (std::filesystem::absolute(dst) == std::filesystem::absolute(src)) throw m2vk::cli::UsageError("DST is the same file as SRC");
  m2vk::loader::ProgressFn progress;
  if (::isatty(STDERR_FILENO)) progress = draw_progress;
  auto t0 = std::chrono::steady_clock::now();
  auto r = m2vk::loader::convert_to_safetensors(src, dst, progress);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& n : r.notes) std::printf("note: %s\n", n.c_str());
  std::printf("converted %s (%s): %zu tensors, %llu bytes -> %s in %.2f s\n", src.c_str(), r.source_format.c_str(), r.tensors,
              static_cast<unsigned long long>(r.data_bytes), r.output.c_str(), secs);
  if (p.has("--verify")) {
    size_t n = m2vk::loader::verify_conversion(src, dst);
    std::printf("verified: %zu tensors identical to the source\n", n);
  }
  return 0;
}

}  // namespace

M2VK_COMMAND("convert", "convert a checkpoint to safetensors (streaming, optional --verify)", run_convert);
