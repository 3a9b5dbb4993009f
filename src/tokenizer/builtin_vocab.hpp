// The bert-base-uncased vocab.txt (data/vocab.txt, see data/NOTICE.md), embedded in the library
// at build time by embed_file.cmake so that no file has to be found at run time.
#pragma once

#include <string_view>

namespace m2vk::tok {

std::string_view builtin_bert_base_uncased_vocab();

}  // namespace m2vk::tok
