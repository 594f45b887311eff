// Test support: a private temporary folder under the build tree, removed at scope exit.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace kcube::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern = std::string(KCUBE_TEST_BINARY_DIR) + "/tmp-test-XXXXXX";
    path_ = ::mkdtemp(pattern.data());
    std::filesystem::permissions(path_, std::filesystem::perms(0755));
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace kcube::test
