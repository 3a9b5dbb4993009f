// FFT long convolution. The kernel of channel c is laid out on the circle of size N >= 2L-1 as
// K[j] = k_fwd[c,j] (j < L) and K[N-d] = k_rev[c,d-1] (d = 1..L-1), so a circular convolution of
// the zero-padded input gives exactly the two-sided linear sum for t < L.
#include "m2vk/ref/long_conv.hpp"

#include <complex>
#include <vector>

#include "m2vk/ref/fft.hpp"
#include "m2vk/ref/parallel.hpp"

namespace m2vk::ref {

namespace {

using cd = std::complex<double>;

// Splits the spectrum Z of z = a + i*b (a, b real) into the spectra of a and b at bin k.
inline void unpack(const std::vector<cd>& Z, size_t k, size_t n, cd& A, cd& B) {
  const cd zk = Z[k], zr = std::conj(Z[(n - k) & (n - 1)]);
  A = 0.5 * (zk + zr);
  B = cd(0, -0.5) * (zk - zr);
}

}  // namespace

void long_conv(const float* x, int64_t batch, int64_t channels, int64_t length, const double* k_fwd,
               const double* k_rev, const float* D, float* y) {
  const int64_t L = length;
  if (L <= 0 || channels <= 0 || batch <= 0) return;
  const size_t n = conv_fft_size(static_cast<size_t>(L));
  const Fft fft(n);
  const int64_t pairs = (channels + 1) / 2;
  parallel_for(pairs, 1, [&](int64_t p0, int64_t p1) {
    std::vector<cd> kbuf(n), xbuf(n), ka(n), kb(n);
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t ca = 2 * p, cb = 2 * p + 1;  // cb == channels: no partner (zero channel)
      const bool has_b = cb < channels;
      // Kernels of the two channels, packed as real + i*imag, on the circle of size n.
      std::fill(kbuf.begin(), kbuf.end(), cd(0, 0));
      for (int64_t c : {ca, cb}) {
        if (c >= channels) continue;
        const bool imag = c == cb;
        auto put = [&](size_t idx, double v) { kbuf[idx] += imag ? cd(0, v) : cd(v, 0); };
        for (int64_t j = 0; j < L; ++j) put(static_cast<size_t>(j), k_fwd[c * L + j]);
        if (k_rev)
          for (int64_t d = 1; d < L; ++d) put(n - static_cast<size_t>(d), k_rev[c * L + d - 1]);
      }
      fft.forward(kbuf.data());
      for (size_t k = 0; k < n; ++k) unpack(kbuf, k, n, ka[k], kb[k]);
      for (int64_t b = 0; b < batch; ++b) {
        const float* xa = x + (b * channels + ca) * L;
        const float* xb = has_b ? x + (b * channels + cb) * L : nullptr;
        for (size_t j = 0; j < n; ++j) xbuf[j] = cd(0, 0);
        for (int64_t j = 0; j < L; ++j) xbuf[static_cast<size_t>(j)] = cd(xa[j], xb ? xb[j] : 0.0);
        fft.forward(xbuf.data());
        // Multiply each channel's spectrum by its kernel's and re-pack: y_a + i*y_b.
        std::vector<cd>& prod = kbuf;  // kernel spectra already unpacked into ka/kb
        for (size_t k = 0; k < n; ++k) {
          cd A, B;
          unpack(xbuf, k, n, A, B);
          prod[k] = A * ka[k] + cd(0, 1) * (B * kb[k]);
        }
        fft.inverse(prod.data());
        const double inv_n = 1.0 / static_cast<double>(n);
        float* ya = y + (b * channels + ca) * L;
        float* yb = has_b ? y + (b * channels + cb) * L : nullptr;
        const double da = D ? D[ca] : 0.0, db = (D && has_b) ? D[cb] : 0.0;
        for (int64_t t = 0; t < L; ++t) {
          ya[t] = static_cast<float>(prod[static_cast<size_t>(t)].real() * inv_n + da * xa[t]);
          if (yb) yb[t] = static_cast<float>(prod[static_cast<size_t>(t)].imag() * inv_n + db * xb[t]);
        }
      }
    }
  });
}

void long_conv_direct(const float* x, int64_t batch, int64_t channels, int64_t length, const double* k_fwd,
                      const double* k_rev, const float* D, float* y) {
  const int64_t L = length;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t c = 0; c < channels; ++c) {
      const float* xr = x + (b * channels + c) * L;
      float* yr = y + (b * channels + c) * L;
      for (int64_t t = 0; t < L; ++t) {
        double acc = D ? static_cast<double>(D[c]) * xr[t] : 0.0;
        for (int64_t s = 0; s <= t; ++s) acc += k_fwd[c * L + t - s] * xr[s];
        if (k_rev)
          for (int64_t s = t + 1; s < L; ++s) acc += k_rev[c * L + s - t - 1] * xr[s];
        yr[t] = static_cast<float>(acc);
      }
    }
}

}  // namespace m2vk::ref
