// DType helpers and the explicit float32 conversion.
#include <bit>
#include <cstdint>
#include <cstring>

#include "m2vk/loader/tensor_store.hpp"

namespace m2vk::loader {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F64: case DType::I64: return 8;
    case DType::F32: case DType::I32: return 4;
    case DType::F16: case DType::BF16: case DType::I16: return 2;
    case DType::I8: case DType::U8: case DType::BOOL: return 1;
  }
  return 0;
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::F64: return "F64";
    case DType::I8: return "I8";
    case DType::I16: return "I16";
    case DType::I32: return "I32";
    case DType::I64: return "I64";
    case DType::U8: return "U8";
    case DType::BOOL: return "BOOL";
  }
  return "?";
}

DType dtype_from_name(std::string_view n) {
  for (DType t : {DType::F32, DType::F16, DType::BF16, DType::F64, DType::I8, DType::I16, DType::I32,
                  DType::I64, DType::U8, DType::BOOL}) {
    if (dtype_name(t) == n) return t;
  }
  throw LoaderError("unknown dtype \"" + std::string(n) + "\"");
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

float half_to_float(uint16_t h) {
  // IEEE binary16 -> binary32, including subnormals, infinities and NaN.
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t man = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      int e = -1;
      do {
        ++e;
        man <<= 1;
      } while ((man & 0x400u) == 0);
      bits = sign | uint32_t(127 - 15 - e) << 23 | (man & 0x3ffu) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | man << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | man << 13;
  }
  return std::bit_cast<float>(bits);
}

template <typename T>
void convert(const std::byte* p, size_t n, float* out) {
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}

}  // namespace

std::vector<float> to_float32(const Tensor& t) {
  size_t n = t.bytes.size() / dtype_size(t.dtype);
  const std::byte* p = t.bytes.data();
  // float32 already (nearly every checkpoint): one copy, without first zero-filling the vector
  // (that pass alone was a sixth of a warm load of the 80M model, mostly first-touch page faults).
  if (t.dtype == DType::F32 && reinterpret_cast<std::uintptr_t>(p) % alignof(float) == 0) {
    const auto* f = reinterpret_cast<const float*>(p);
    return std::vector<float>(f, f + n);
  }
  std::vector<float> out(n);
  switch (t.dtype) {
    case DType::F32: convert<float>(p, n, out.data()); break;
    case DType::F64: convert<double>(p, n, out.data()); break;
    case DType::I8: convert<int8_t>(p, n, out.data()); break;
    case DType::I16: convert<int16_t>(p, n, out.data()); break;
    case DType::I32: convert<int32_t>(p, n, out.data()); break;
    case DType::I64: convert<int64_t>(p, n, out.data()); break;
    case DType::U8: convert<uint8_t>(p, n, out.data()); break;
    case DType::BOOL:
      for (size_t i = 0; i < n; ++i) out[i] = p[i] != std::byte{0} ? 1.0f : 0.0f;
      break;
    case DType::F16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = half_to_float(h);
      }
      break;
    case DType::BF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = std::bit_cast<float>(uint32_t(h) << 16);
      }
      break;
  }
  return out;
}

}  // namespace m2vk::loader
