// Forward-pass comparison (see m2vk/gpu/compare.hpp).
#include "m2vk/gpu/compare.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace m2vk::gpu {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Axis names of a golden tensor, outermost first.
std::vector<std::string> axes_of(const std::string& name, std::size_t rank) {
  if (name.find(".k_fwd") != std::string::npos || name.find(".k_rev") != std::string::npos ||
      name.find(".k_combined") != std::string::npos)
    return {"channel", "lag"};
  if (ends_with(name, "short_conv") || ends_with(name, "long_conv")) return {"batch", "channel", "token"};
  if (rank == 2) return {"batch", name == "logits" ? "class" : "channel"};
  if (rank == 3) return {"batch", "token", "channel"};
  std::vector<std::string> a;
  for (std::size_t i = 0; i < rank; ++i) a.push_back("axis" + std::to_string(i));
  return a;
}

}  // namespace

std::string describe_position(const std::string& name, const std::vector<int64_t>& shape, std::size_t i) {
  const auto axes = axes_of(name, shape.size());
  std::vector<int64_t> idx(shape.size());
  std::size_t rest = i;
  for (std::size_t k = shape.size(); k-- > 0;) {
    const auto d = static_cast<std::size_t>(std::max<int64_t>(1, shape[k]));
    idx[k] = static_cast<int64_t>(rest % d);
    rest /= d;
  }
  std::string s;
  for (std::size_t k = 0; k < shape.size(); ++k) s += (k ? ", " : "") + axes[k] + " " + std::to_string(idx[k]);
  return s;
}

IntermediateSink TensorComparer::reference_sink() {
  return [this](std::string_view name, const FloatTensor& t) {
    std::string n(name);
    if (!ref_.count(n)) order_.push_back(n);
    ref_[n] = t;
  };
}

IntermediateSink TensorComparer::output_sink() {
  return [this](std::string_view name, const FloatTensor& t) {
    std::string n(name);
    TensorDiff d;
    d.name = n;
    d.shape = t.shape;
    auto it = ref_.find(n);
    if (it == ref_.end()) {
      d.problem = "not produced by the reference";
    } else if (it->second.shape != t.shape) {
      d.problem = "shape " + shape_to_string(t.shape) + ", reference " + shape_to_string(it->second.shape);
    } else {
      d.compared = true;
      std::size_t worst = 0;
      for (std::size_t i = 0; i < t.data.size(); ++i) {
        const double r = it->second.data[i];
        double e = std::fabs(static_cast<double>(t.data[i]) - r);
        if (!std::isfinite(e)) e = std::numeric_limits<double>::infinity();
        if (e > d.max_abs) {
          d.max_abs = e;
          worst = i;
        }
        d.ref_max = std::max(d.ref_max, std::fabs(r));
      }
      d.scaled = d.max_abs / std::max(1.0, d.ref_max);
      d.where = describe_position(n, t.shape, worst);
      d.pass = d.scaled <= threshold_;
    }
    diffs_[n] = d;
    if (it != ref_.end()) ref_.erase(it);  // keep memory to what is still unmatched
  };
}

CompareReport TensorComparer::report() const {
  CompareReport r;
  r.ok = !order_.empty();
  for (const std::string& n : order_) {
    TensorDiff d;
    auto it = diffs_.find(n);
    if (it != diffs_.end()) {
      d = it->second;
    } else {
      d.name = n;
      d.shape = ref_.at(n).shape;
      d.problem = "not produced by the compared forward pass";
    }
    if (d.compared && d.scaled >= r.worst_scaled) {
      r.worst_scaled = d.scaled;
      r.worst = d.name;
    }
    r.ok = r.ok && d.pass;
    r.tensors.push_back(d);
  }
  for (const auto& [n, d] : diffs_)
    if (std::find(order_.begin(), order_.end(), n) == order_.end()) {
      r.tensors.push_back(d);
      r.ok = false;
    }
  return r;
}

}  // namespace m2vk::gpu
