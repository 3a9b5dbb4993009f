// Flags shared by the commands that run a model (embed, classify, compare, golden): one parser
// each, so every command accepts the same values and reports the same usage errors.
#pragma once

#include <string>
#include <vector>

#include "cli_args.hpp"
#include "m2vk/model.hpp"

namespace m2vk::cli {

// --padding (max_length | longest), --max-length N and, where declared, --batch-size N.
RunOptions parse_run_options(const ArgParser& p);

// --device (default "auto"); a malformed spec is a UsageError naming the flag.
Device parse_device_flag(const ArgParser& p);

// --device, --spectrum-budget MB, --precision fp32|fp16 and --kernels auto|ours|vkfft (declared
// with declare_load_flags) as load options.
void declare_load_flags(ArgParser& p);
ModelLoadOptions parse_load_options(const ArgParser& p);

// Why --precision fp16 did not take effect (CPU device, or no cooperative matrices), "" otherwise.
// --kernels (declared by declare_load_flags and by golden); a bad value is a UsageError naming the flag.
KernelPolicy parse_kernels_flag(const ArgParser& p);
// The help text of --kernels.
extern const char* const kKernelsHelp;
std::string precision_note(const Model& model, const ModelLoadOptions& options);

// "weights 396 MB, activations 69 MB (peak), filter spectra 94 MB" for a GPU model, "" otherwise.
std::string describe_device_memory(const Model& model);
// "spectrum files: 24 read (302 MB, 180 ms), 0 written (...) in DIR, cap ..." ("" without a GPU model).
std::string describe_spectrum_cache(const Model& model);
// --profile: the kernel choices made so far on the GPU, one line each (long convolution per FFT
// size, GEMM family per shape class); empty on the CPU path.
std::vector<std::string> describe_kernel_choices(const Model& model);

}  // namespace m2vk::cli
