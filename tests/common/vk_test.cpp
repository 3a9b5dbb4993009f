#include "vk_test.hpp"

#include <cmath>
#include <memory>
#include <random>
#include <sstream>

namespace m2vk::test {

host::Context& vk_context() {
  static std::unique_ptr<host::Context> ctx = [] {
    host::ContextOptions opt;
    opt.validation = true;  // a GPU test is only trusted when the validation layer is clean
    return host::Context::create(opt);
  }();
  return *ctx;
}

void VkTest::SetUp() { ctx().clear_validation_messages(); }

void VkTest::TearDown() {
  for (const auto& m : ctx().validation_messages())
    ADD_FAILURE() << "validation " << (m.severity == host::ValidationMessage::Severity::Error ? "error" : "warning") << " ["
                  << m.id << "]: " << m.message;
  ctx().clear_validation_messages();
}

std::vector<float> random_floats(std::size_t n, std::uint32_t seed, float lo, float hi) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

::testing::AssertionResult all_close(const std::vector<float>& got, const std::vector<double>& want, double atol, double rtol) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " != expected size " << want.size();
  std::size_t bad = 0, worst = 0;
  double worst_excess = -1.0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    double tol = atol + rtol * std::fabs(want[i]);
    double diff = std::isfinite(got[i]) ? std::fabs(static_cast<double>(got[i]) - want[i]) : INFINITY;
    if (!(diff <= tol)) {
      ++bad;
      if (diff - tol > worst_excess) {
        worst_excess = diff - tol;
        worst = i;
      }
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  std::ostringstream os;
  os << bad << " of " << got.size() << " values differ; worst at [" << worst << "]: got " << got[worst] << ", want " << want[worst]
     << " (atol " << atol << ", rtol " << rtol << ")";
  return ::testing::AssertionFailure() << os.str();
}

::testing::AssertionResult all_close(const std::vector<float>& got, const std::vector<float>& want, double atol, double rtol) {
  return all_close(got, std::vector<double>(want.begin(), want.end()), atol, rtol);
}

}  // namespace m2vk::test
