// Filter spectra on disk between processes (m2vk/gpu/spectrum_store.hpp), on lavapipe with the
// validation layer: a second model instance reads what the first wrote instead of building it,
// and gets bit for bit the same outputs (which match the CPU reference); corrupt, foreign or
// over-cap files are never used; the folder stays within its cap.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "m2vk/golden.hpp"
#include "m2vk/gpu/gpu_model.hpp"
#include "m2vk/model.hpp"
#include "m2vk/ops/fft_conv.hpp"
#include "m2vk/ref/forward.hpp"
#include "gpu_test_util.hpp"

namespace m2vk {
namespace {

namespace fs = std::filesystem;

Batch random_batch(const ModelConfig& cfg, int64_t L, uint32_t seed) { return test::random_batch(cfg, 1, L, seed); }

std::vector<fs::path> spectrum_files(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".spectrum") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::uint64_t folder_bytes(const fs::path& dir) {
  std::uint64_t s = 0;
  for (const fs::path& p : spectrum_files(dir)) s += fs::file_size(p);
  return s;
}

std::size_t filter_ops(const gpu::GpuProfile& p) {
  return static_cast<std::size_t>(
      std::count_if(p.ops.begin(), p.ops.end(), [](const gpu::OpTime& o) { return o.op.rfind("filter: ", 0) == 0; }));
}

void expect_validation_clean(gpu::GpuModel& gm) {
  for (const auto& m : gm.context().validation_messages()) ADD_FAILURE() << "validation: " << m.id << ": " << m.message;
}

class SpectrumStoreTest : public test::TinyDemoModelTest<7> {
 protected:
  gpu::GpuOptions options(std::uint64_t cap = 1ull << 30) const {
    gpu::GpuOptions o;
    o.validation = true;
    o.kernels = KernelPolicy::Ours;  // the same backend in every instance, whatever auto would time
    o.spectrum_store_bytes = cap;
    o.spectrum_store_dir = store_.path() / "spectra";
    return o;
  }
  fs::path folder() const { return store_.path() / "spectra"; }
  std::size_t spectra_per_pass() const {
    return static_cast<std::size_t>(cfg_.num_hidden_layers) * (cfg_.residual_long_conv ? 2 : 1);
  }

  test::TempDir store_;
};

TEST_F(SpectrumStoreTest, ASecondInstanceReadsTheSpectraAndGetsTheSameBits) {
  const Batch b = random_batch(cfg_, 200, 3);
  ForwardResult first;
  {
    gpu::GpuModel gm(parts_->config, parts_->weights, options());
    gpu::GpuProfile p;
    first = gm.forward(b, nullptr, &p);
    ASSERT_NE(gm.spectrum_store(), nullptr);
    EXPECT_EQ(gm.spectrum_store()->stats().written, spectra_per_pass()) << gm.spectrum_store()->stats().last_skip;
    EXPECT_EQ(gm.spectrum_store()->stats().read, 0u);
    EXPECT_GT(filter_ops(p), 0u);
    expect_validation_clean(gm);
  }
  EXPECT_EQ(spectrum_files(folder()).size(), spectra_per_pass());
  gpu::GpuModel gm(parts_->config, parts_->weights, options());
  gpu::GpuProfile p;
  const ForwardResult second = gm.forward(b, nullptr, &p);
  EXPECT_EQ(gm.spectrum_store()->stats().read, spectra_per_pass());
  EXPECT_EQ(gm.spectrum_store()->stats().written, 0u);
  EXPECT_EQ(filter_ops(p), 0u) << "no filter was evaluated";
  EXPECT_EQ(second.last_hidden_state.data, first.last_hidden_state.data);
  EXPECT_EQ(second.pooled.data, first.pooled.data);
  const ForwardResult want = ref::forward(parts_->config, parts_->weights, b);
  EXPECT_LE(scaled_error(second.pooled.data, want.pooled.data), 1e-4);
  // A longer pass of the same FFT size reuses them too (they were built at its longest length).
  ASSERT_EQ(ops::fft_size_for(200), ops::fft_size_for(250));
  gpu::GpuModel third(parts_->config, parts_->weights, options());
  const Batch longer = random_batch(cfg_, 250, 4);
  const ForwardResult r3 = third.forward(longer);
  EXPECT_EQ(third.spectrum_store()->stats().read, spectra_per_pass());
  EXPECT_LE(scaled_error(r3.pooled.data, ref::forward(parts_->config, parts_->weights, longer).pooled.data), 1e-4);
  expect_validation_clean(gm);
}

TEST_F(SpectrumStoreTest, CorruptTruncatedAndForeignFilesAreNeverUsed) {
  const Batch b = random_batch(cfg_, 100, 5);
  ForwardResult clean;
  {
    gpu::GpuModel gm(parts_->config, parts_->weights, options());
    clean = gm.forward(b);
  }
  std::vector<fs::path> files = spectrum_files(folder());
  ASSERT_EQ(files.size(), spectra_per_pass());
  {  // flip one payload byte of the first file, cut the second short
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-100, std::ios::end);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(-100, std::ios::end);
    f.write(&c, 1);
  }
  fs::resize_file(files[1], fs::file_size(files[1]) - 7);
  {
    gpu::GpuModel gm(parts_->config, parts_->weights, options());
    const ForwardResult r = gm.forward(b);
    EXPECT_EQ(gm.spectrum_store()->stats().read, spectra_per_pass() - 2);
    EXPECT_EQ(gm.spectrum_store()->stats().written, 2u) << "the two bad files are rebuilt and rewritten";
    EXPECT_EQ(r.pooled.data, clean.pooled.data);
    expect_validation_clean(gm);
  }
  // Other weights: the same names and shapes, another hash, so none of these files is used.
  ModelParts other = *parts_;
  other.weights.layers[0].mixer.filter1.fwd.w6.data[0] += 0.25f;
  gpu::GpuModel gm(parts_->config, other.weights, options());
  const ForwardResult r = gm.forward(b);
  EXPECT_EQ(gm.spectrum_store()->stats().read, spectra_per_pass() - 1) << "only the changed filter is foreign";
  EXPECT_LE(scaled_error(r.pooled.data, ref::forward(parts_->config, other.weights, b).pooled.data), 1e-4);
}

TEST_F(SpectrumStoreTest, TheFolderStaysWithinItsCap) {
  // Measure one FFT size's set of spectra (N = 256), then cap the folder at 2.5 such sets: the
  // set of N = 512 (about twice as large) fits the cap, but not beside the first, whose least
  // recently used files are evicted.
  std::uint64_t set_bytes = 0;
  {
    gpu::GpuModel gm(parts_->config, parts_->weights, options());
    gm.forward(random_batch(cfg_, 100, 6));
    set_bytes = folder_bytes(folder());
    ASSERT_GT(set_bytes, 0u);
  }
  fs::remove_all(folder());
  const std::uint64_t cap = set_bytes * 5 / 2;
  gpu::GpuModel gm(parts_->config, parts_->weights, options(cap));
  gm.forward(random_batch(cfg_, 100, 6));
  ASSERT_EQ(ops::fft_size_for(200), 2 * ops::fft_size_for(100));
  gm.forward(random_batch(cfg_, 200, 7));
  EXPECT_LT(spectrum_files(folder()).size(), 2 * spectra_per_pass()) << "some of the first set evicted";
  EXPECT_LE(folder_bytes(folder()), cap);
  EXPECT_EQ(gm.spectrum_store()->stats().written, 2 * spectra_per_pass());
  // A set larger than the whole cap is not stored at all (it would only evict itself).
  fs::remove_all(folder());
  gpu::GpuModel tiny(parts_->config, parts_->weights, options(set_bytes / 2));
  tiny.forward(random_batch(cfg_, 100, 6));
  EXPECT_EQ(tiny.spectrum_store()->stats().written, 0u);
  EXPECT_EQ(tiny.spectrum_store()->stats().skipped, spectra_per_pass());
  EXPECT_NE(tiny.spectrum_store()->stats().last_skip.find("exceed the spectrum file cap"), std::string::npos)
      << tiny.spectrum_store()->stats().last_skip;
  EXPECT_TRUE(spectrum_files(folder()).empty());
}

TEST_F(SpectrumStoreTest, OffMeansNoFolderAndTheDefaultDependsOnTheDevice) {
  gpu::GpuModel gm(parts_->config, parts_->weights, options(0));
  gm.forward(random_batch(cfg_, 64, 8));
  EXPECT_EQ(gm.spectrum_store(), nullptr);
  EXPECT_FALSE(fs::exists(folder()));
  EXPECT_EQ(gm.spectrum_store_reason(), "off (asked for)");
  host::DeviceInfo cpu, gpu_dev;
  cpu.type = host::DeviceType::Cpu;
  gpu_dev.type = host::DeviceType::DiscreteGpu;
  ::unsetenv("M2VK_SPECTRUM_CACHE_MB");
  EXPECT_EQ(gpu::default_spectrum_store(cpu).bytes, 4ull << 30);
  EXPECT_EQ(gpu::default_spectrum_store(gpu_dev).bytes, 0u);
  ::setenv("M2VK_SPECTRUM_CACHE_MB", "12", 1);
  EXPECT_EQ(gpu::default_spectrum_store(gpu_dev).bytes, 12ull << 20);
  ::setenv("M2VK_SPECTRUM_CACHE_MB", "lots", 1);
  EXPECT_EQ(gpu::default_spectrum_store(cpu).bytes, 4ull << 30);
  EXPECT_NE(gpu::default_spectrum_store(cpu).reason.find("is not a number of MB, ignored"), std::string::npos);
  ::unsetenv("M2VK_SPECTRUM_CACHE_MB");
}

}  // namespace
}  // namespace m2vk
