// The scalar reference kernel: DESIGN.md's arithmetic, literally, one pixel at a time.
#include <cmath>

#include "fractal/kernel.hpp"

namespace fractal {

std::uint32_t iterate_point(double x, double y, double cx, double cy, std::uint32_t max_iter,
                            double r2) {
  for (std::uint32_t k = 1; k <= max_iter; ++k) {
    const double t = std::fma(x, x, cx);        // x*x + c_re, rounded once
    const double xn = std::fma(-y, y, t);       // t - y*y, rounded once
    const double yn = std::fma(x + x, y, cy);   // 2xy + c_im, rounded once
    x = xn;
    y = yn;
    if (std::fma(x, x, y * y) > r2) return k - 1;
  }
  return max_iter;
}

std::uint64_t render_row_scalar(const FrameParams& p, std::uint32_t row, std::uint32_t* out) {
  const double r2 = p.escape_radius * p.escape_radius;
  const double y = pixel_y(p, row);
  std::uint64_t sum = 0;
  for (std::uint32_t j = 0; j < p.width; ++j) {
    const double x = pixel_x(p, j);
    const std::uint32_t n = p.fractal == Fractal::Julia
                                ? iterate_point(x, y, p.c_re, p.c_im, p.max_iter, r2)
                                : iterate_point(p.z0_re, p.z0_im, x, y, p.max_iter, r2);
    out[j] = n;
    sum += n;
  }
  return sum;
}

}  // namespace fractal
