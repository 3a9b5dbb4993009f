// TensorStore: lookup by name over tensors whose bytes the store owns.
#include "store_impl.hpp"

namespace m2vk::loader {

std::span<std::byte> TensorStore::Impl::alloc(size_t n) {
  std::shared_ptr<std::byte[]> buf(new std::byte[n == 0 ? 1 : n]);
  std::span<std::byte> s(buf.get(), n);
  owners.push_back(std::shared_ptr<const void>(buf, buf.get()));
  return s;
}

void TensorStore::Impl::index() {
  by_name.clear();
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (!by_name.emplace(tensors[i].name, i).second) {
      throw LoaderError(source.string() + ": duplicate tensor name \"" + tensors[i].name + "\"");
    }
  }
}

TensorStore::TensorStore() : impl_(std::make_unique<Impl>()) {}
TensorStore::TensorStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TensorStore::~TensorStore() = default;
TensorStore::TensorStore(TensorStore&&) noexcept = default;
TensorStore& TensorStore::operator=(TensorStore&&) noexcept = default;

const Tensor* TensorStore::find(std::string_view name) const {
  auto it = impl_->by_name.find(std::string(name));
  return it == impl_->by_name.end() ? nullptr : &impl_->tensors[it->second];
}

const Tensor& TensorStore::at(std::string_view name) const {
  if (const Tensor* t = find(name)) return *t;
  throw LoaderError(impl_->source.string() + ": no tensor named \"" + std::string(name) + "\"");
}

const std::vector<Tensor>& TensorStore::tensors() const { return impl_->tensors; }
const std::filesystem::path& TensorStore::source() const { return impl_->source; }
std::string TensorStore::format() const { return impl_->format; }
std::vector<std::string> TensorStore::notes() const { return impl_->notes; }

}  // namespace m2vk::loader
