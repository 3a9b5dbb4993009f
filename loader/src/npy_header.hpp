// The header of a .npy array: magic, version, and the Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "m2vk/loader/tensor_store.hpp"

namespace m2vk::loader {

struct NpyHeader {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t data_offset = 0;  // bytes from the start of the .npy to the data
  uint64_t nbytes = 0;       // elements x dtype size
};

// Parses the header at the start of `bytes` (which may be only a prefix of the array). Little-endian
// (or byte-order-free) dtypes and fortran_order False only. `what` names the array in errors.
NpyHeader parse_npy_header(std::span<const std::byte> bytes, const std::string& what);

}  // namespace m2vk::loader
