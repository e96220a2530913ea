// A fresh directory under the system's temp dir, removed with everything in it when the object
// goes out of scope: for tests and benchmarks, never for data.
// Thread-safety: owned by one test; path() may be read from any thread.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace tapistry {

class TempDir {
 public:
  // `prefix` names the directory (`<tmp>/<prefix>-XXXXXX`) so a leftover says whose it was.
  explicit TempDir(const std::string& prefix = "tap") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Empty when the directory could not be made (tests assert on it).
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace tapistry
