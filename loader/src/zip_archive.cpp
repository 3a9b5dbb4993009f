#include "zip_archive.hpp"

#include <zip.h>

#include <algorithm>
#include <set>

#include "m2vk/loader/tensor_store.hpp"

namespace m2vk::loader {

namespace {
// Deflate cannot expand data by more than about 1032:1; anything claiming more is a bomb.
constexpr uint64_t kMaxDeflateRatio = 1032;

std::string zip_error_text(int code) {
  zip_error_t err;
  zip_error_init_with_code(&err, code);
  std::string s = zip_error_strerror(&err);
  zip_error_fini(&err);
  return s;
}
}  // namespace

ZipArchive::ZipArchive(const std::filesystem::path& file, bool allow_deflate) : path_(file) {
  std::error_code ec;
  file_size_ = std::filesystem::file_size(file, ec);
  if (ec) throw LoaderError(file.string() + ": cannot read file size: " + ec.message());
  int code = 0;
  zip_ = zip_open(file.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (!zip_) {
    if (code == ZIP_ER_NOZIP) throw LoaderError(file.string() + ": not a zip archive");
    if (code == ZIP_ER_EXISTS) throw LoaderError(file.string() + ": duplicate entry names in the zip directory");
    throw LoaderError(file.string() + ": zip_open failed: " + zip_error_text(code));
  }
  zip_int64_t n = zip_get_num_entries(zip_, 0);
  std::set<std::string> names;
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip_, static_cast<zip_uint64_t>(i), 0, &st) != 0) {
      std::string msg = zip_strerror(zip_);
      zip_discard(zip_);
      throw LoaderError(file.string() + ": zip entry " + std::to_string(i) + ": " + msg);
    }
    Entry e;
    e.name = (st.valid & ZIP_STAT_NAME) ? st.name : "";
    e.size = st.size;
    e.comp_size = st.comp_size;
    e.method = st.comp_method;
    e.index = static_cast<uint64_t>(i);
    std::string where = file.string() + ": zip entry \"" + e.name + "\"";
    auto reject = [&](const std::string& msg) {
      zip_discard(zip_);
      zip_ = nullptr;
      throw LoaderError(where + ": " + msg);
    };
    if (!names.insert(e.name).second) reject("duplicate entry name");
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) reject("is encrypted");
    if (e.method == ZIP_CM_STORE) {
      if (e.size != e.comp_size) reject("stored entry sizes disagree");
    } else if (e.method == ZIP_CM_DEFLATE && allow_deflate) {
      if (e.comp_size == 0 ? e.size > 0 : e.size / e.comp_size > kMaxDeflateRatio) reject("impossible compression ratio (zip bomb?)");
    } else {
      reject("is compressed (method " + std::to_string(e.method) + "); checkpoint records must be stored");
    }
    if (e.comp_size > file_size_) reject("claims " + std::to_string(e.comp_size) + " bytes, more than the file holds");
    entries_.push_back(std::move(e));
  }
}

ZipArchive::~ZipArchive() {
  if (zip_) zip_discard(zip_);
}

const ZipArchive::Entry* ZipArchive::find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

void ZipArchive::read(const Entry& e, std::span<std::byte> out) const {
  std::string where = path_.string() + ": zip entry \"" + e.name + "\"";
  if (out.size() != e.size) throw LoaderError(where + ": buffer size mismatch");
  zip_file_t* f = zip_fopen_index(zip_, e.index, 0);
  if (!f) throw LoaderError(where + ": cannot open: " + zip_strerror(zip_));
  uint64_t got = 0;
  // Read to the end (one extra read) so that libzip checks the CRC.
  while (true) {
    std::byte scratch[1];
    void* dst = got < out.size() ? static_cast<void*>(out.data() + got) : static_cast<void*>(scratch);
    zip_uint64_t want = got < out.size() ? out.size() - got : 1;
    zip_int64_t r = zip_fread(f, dst, want);
    if (r < 0) {
      std::string msg = zip_file_strerror(f);
      zip_fclose(f);
      throw LoaderError(where + ": read failed: " + msg);
    }
    if (r == 0) break;
    if (got >= out.size()) {
      zip_fclose(f);
      throw LoaderError(where + ": holds more data than its recorded size");
    }
    got += static_cast<uint64_t>(r);
  }
  int rc = zip_fclose(f);
  if (got != out.size()) throw LoaderError(where + ": truncated (" + std::to_string(got) + " of " + std::to_string(out.size()) + " bytes)");
  if (rc != 0) throw LoaderError(where + ": " + zip_error_text(rc));
}

std::vector<std::byte> ZipArchive::read(const Entry& e) const {
  std::vector<std::byte> v(e.size);
  read(e, v);
  return v;
}

std::vector<std::byte> ZipArchive::read_prefix(const Entry& e, uint64_t n) const {
  std::string where = path_.string() + ": zip entry \"" + e.name + "\"";
  std::vector<std::byte> v(static_cast<size_t>(std::min(n, e.size)));
  zip_file_t* f = zip_fopen_index(zip_, e.index, 0);
  if (!f) throw LoaderError(where + ": cannot open: " + zip_strerror(zip_));
  uint64_t got = 0;
  while (got < v.size()) {
    zip_int64_t r = zip_fread(f, v.data() + got, v.size() - got);
    if (r < 0) {
      std::string msg = zip_file_strerror(f);
      zip_fclose(f);
      throw LoaderError(where + ": read failed: " + msg);
    }
    if (r == 0) break;
    got += static_cast<uint64_t>(r);
  }
  zip_fclose(f);
  if (got != v.size()) throw LoaderError(where + ": truncated");
  return v;
}

}  // namespace m2vk::loader
