#include "mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "m2vk/loader/tensor_store.hpp"

namespace m2vk::loader {

namespace {
[[noreturn]] void fail(const std::filesystem::path& f, const char* call) {
  throw LoaderError(f.string() + ": " + call + " failed: " + std::strerror(errno));
}
}  // namespace

std::shared_ptr<MappedFile> MappedFile::open(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(file, "open");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    fail(file, "fstat");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw LoaderError(file.string() + ": not a regular file");
  }
  std::shared_ptr<MappedFile> m(new MappedFile());
  m->size_ = static_cast<size_t>(st.st_size);
  if (m->size_ > 0) {
    void* p = ::mmap(nullptr, m->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      errno = e;
      fail(file, "mmap");
    }
    m->data_ = static_cast<const std::byte*>(p);
    m->mapped_ = true;
  }
  ::close(fd);
  return m;
}

MappedFile::~MappedFile() {
  if (mapped_) ::munmap(const_cast<std::byte*>(data_), size_);
}

}  // namespace m2vk::loader
