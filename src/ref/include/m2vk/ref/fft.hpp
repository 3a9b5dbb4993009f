// Radix-2 complex FFT in double precision (our own; no third-party code). Used by the reference
// long convolution, where any size N >= 2L-1 gives the exact linear convolution; we take the next
// power of two.
#pragma once

#include <complex>
#include <cstddef>
#include <vector>

namespace m2vk::ref {

class Fft {
 public:
  // n must be a power of two (1 is allowed). Precomputes twiddles and the bit-reversal table.
  explicit Fft(size_t n);
  size_t size() const { return n_; }
  // In place, X[k] = sum_j x[j] exp(-2 pi i jk/n).
  void forward(std::complex<double>* data) const { transform(data, false); }
  // In place, unnormalised: x[j] = sum_k X[k] exp(+2 pi i jk/n) (divide by n yourself).
  void inverse(std::complex<double>* data) const { transform(data, true); }

 private:
  void transform(std::complex<double>* data, bool inverse) const;
  size_t n_;
  std::vector<std::complex<double>> twiddle_;  // exp(-2 pi i k/n), k < n/2
  std::vector<size_t> bitrev_;
};

// Smallest power of two >= 2L-1 (>= 1): the FFT size of an exact length-L linear convolution with a
// two-sided kernel.
size_t conv_fft_size(size_t length);

}  // namespace m2vk::ref
