#pragma once
// Helpers shared by the GoogleTest suites.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <string>
#include <system_error>

namespace fractal::test {

// A fresh directory for this test's files, removed when the test ends.
struct ScopedDir {
  std::filesystem::path path;
  ScopedDir(const ScopedDir&) = delete;
  ScopedDir& operator=(const ScopedDir&) = delete;
  explicit ScopedDir(std::filesystem::path p) : path(std::move(p)) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScopedDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  operator const std::filesystem::path&() const { return path; }
  std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

// A directory named after the running test (and the process), under GoogleTest's temp dir.
inline ScopedDir test_dir(const std::string& prefix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "_" + info->name();
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return ScopedDir(std::filesystem::path(::testing::TempDir()) /
                   (prefix + "_" + std::to_string(::getpid()) + "_" + name));
}

}  // namespace fractal::test
