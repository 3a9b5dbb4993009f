// Iterative decimation-in-time radix-2 FFT. Twiddles are computed directly with cos/sin of each
// angle (not by repeated multiplication) so the error stays at a few ulps of double.
#include "m2vk/ref/fft.hpp"

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

namespace m2vk::ref {

Fft::Fft(size_t n) : n_(n) {
  if (n == 0 || (n & (n - 1)) != 0) throw std::invalid_argument("Fft: size " + std::to_string(n) + " is not a power of two");
  twiddle_.resize(n / 2);
  for (size_t k = 0; k < n / 2; ++k) {
    const double a = -2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(n);
    twiddle_[k] = {std::cos(a), std::sin(a)};
  }
  bitrev_.resize(n);
  size_t bits = 0;
  while ((size_t{1} << bits) < n) ++bits;
  for (size_t i = 0; i < n; ++i) {
    size_t r = 0;
    for (size_t b = 0; b < bits; ++b)
      if (i & (size_t{1} << b)) r |= size_t{1} << (bits - 1 - b);
    bitrev_[i] = r;
  }
}

void Fft::transform(std::complex<double>* a, bool inverse) const {
  const size_t n = n_;
  for (size_t i = 0; i < n; ++i)
    if (i < bitrev_[i]) std::swap(a[i], a[bitrev_[i]]);
  for (size_t len = 2; len <= n; len <<= 1) {
    const size_t half = len / 2, step = n / len;
    for (size_t start = 0; start < n; start += len) {
      for (size_t j = 0; j < half; ++j) {
        std::complex<double> w = twiddle_[j * step];
        if (inverse) w = std::conj(w);
        const std::complex<double> u = a[start + j];
        const std::complex<double> v = a[start + j + half] * w;
        a[start + j] = u + v;
        a[start + j + half] = u - v;
      }
    }
  }
}

size_t conv_fft_size(size_t length) {
  const size_t need = length == 0 ? 1 : 2 * length - 1;
  size_t n = 1;
  while (n < need) n <<= 1;
  return n;
}

}  // namespace m2vk::ref
