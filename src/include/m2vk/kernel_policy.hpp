// Which long-convolution implementation the GPU forward pass uses (`--kernels auto|ours|vkfft`):
// auto times both on the device at first use of an FFT size and keeps the faster
// (m2vk/gpu/kernel_choice.hpp); ours and vkfft force one.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace m2vk {

enum class KernelPolicy { Auto, Ours, VkFFT };

inline const char* kernel_policy_name(KernelPolicy p) {
  return p == KernelPolicy::Auto ? "auto" : p == KernelPolicy::Ours ? "ours" : "vkfft";
}

// "auto" | "ours" | "vkfft"; throws std::invalid_argument naming the value and the choices.
inline KernelPolicy parse_kernel_policy(std::string_view s) {
  if (s == "auto") return KernelPolicy::Auto;
  if (s == "ours") return KernelPolicy::Ours;
  if (s == "vkfft") return KernelPolicy::VkFFT;
  throw std::invalid_argument("'" + std::string(s) + "': expected auto, ours or vkfft");
}

}  // namespace m2vk
