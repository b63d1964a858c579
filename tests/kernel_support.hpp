#pragma once
// Kernel test helpers shared by test_kernel.cpp and test_families.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fractal/kernel/kernel.hpp"

namespace fractal::test {

// Written after each row; a kernel that writes past `width` entries overwrites it.
inline constexpr std::uint32_t kGuard = 0xDEADBEEFu;

// Renders the whole frame (row-major) with one kernel; checks each returned row sum and that the
// kernel writes exactly `width` entries (a guard word after the row must survive).
inline std::vector<std::uint32_t> render(const FrameParams& p, KernelKind k) {
  const RowKernel fn = row_kernel(k);
  std::vector<std::uint32_t> img(std::size_t(p.width) * p.height);
  std::vector<std::uint32_t> row(p.width + 1);
  for (std::uint32_t i = 0; i < p.height; ++i) {
    row[p.width] = kGuard;
    const std::uint64_t sum = fn(p, i, row.data());
    std::uint64_t expect = 0;
    for (std::uint32_t j = 0; j < p.width; ++j) expect += row[j];
    EXPECT_EQ(sum, expect) << kernel_name(k) << " row " << i << ": returned sum != sum of counts";
    EXPECT_EQ(row[p.width], kGuard) << kernel_name(k) << " wrote past the end of row " << i;
    std::copy(row.begin(), row.end() - 1, img.begin() + std::ptrdiff_t(i) * p.width);
  }
  return img;
}

}  // namespace fractal::test
