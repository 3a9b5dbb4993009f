// Which file of a model folder holds the weights, and which reader a file needs.
#pragma once

#include <filesystem>

namespace m2vk::loader {

// A file is returned as is; a folder is searched (see load_checkpoint). Throws LoaderError listing
// what was looked for.
std::filesystem::path resolve_checkpoint(const std::filesystem::path& file_or_dir);

bool is_safetensors_file(const std::filesystem::path& file);
bool is_safetensors_index(const std::filesystem::path& file);

}  // namespace m2vk::loader
