// The reference orbit in MPFR (reference.hpp). One orbit is the serial part of a deep job: it runs
// on rank 0 before rendering; every other rank gets the rounded values by broadcast.
#include "fractal/deep/reference.hpp"

#include <mpfr.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "fractal/config/parse.hpp"
#include "mp.hpp"

namespace fractal::deep {

namespace {

void set_text(Mp& x, const std::string& text, const char* what) {
  if (mpfr_set_str(x.v, text.c_str(), 10, MPFR_RNDN) != 0)
    throw std::invalid_argument(std::string("reference orbit: ") + what + " '" + text + "' is not a decimal number");
}

// Z = x + i y as a CxExp: each part's 53-bit mantissa (MPFR, round to nearest), put on the larger
// part's exponent (exactly, or dropped when 2^1022 times smaller), normalised.
CxExp to_cxexp(const mpfr_t x, const mpfr_t y) {
  long ex = 0, ey = 0;
  const bool zx = mpfr_zero_p(x) != 0, zy = mpfr_zero_p(y) != 0;
  const double mx = zx ? 0.0 : mpfr_get_d_2exp(&ex, x, MPFR_RNDN);  // in [0.5, 1)
  const double my = zy ? 0.0 : mpfr_get_d_2exp(&ey, y, MPFR_RNDN);
  if (zx && zy) return {};
  const long e = zx ? ey : zy ? ex : std::max(ex, ey);
  auto on = [&](double m, long em, bool zero) {
    if (zero || em - e < -1022) return 0.0;
    return m * pow2(em - e);
  };
  return cx_scaled(on(mx, ex, zx), on(my, ey, zy), e);
}

}  // namespace

void ReferenceOrbit::set_values(std::vector<CxExp> values) {
  std::vector<double> d(2 * values.size());
  for (std::size_t n = 0; n < values.size(); ++n) cx_to_double(values[n], d[2 * n], d[2 * n + 1]);
  zx.assign(std::move(values));
  z.assign(std::move(d));
}

std::string ReferenceSpec::text() const {
  std::ostringstream os;
  os << "z0-re = " << z0_re << "\nz0-im = " << z0_im << "\nc-re = " << c_re << "\nc-im = " << c_im
     << "\nprecision-bits = " << precision_bits << "\nmax-iter = " << max_iter
     << "\nescape-radius = " << shortest_text(escape_radius) << "\n";
  return os.str();
}

std::uint32_t reference_precision(std::int64_t log2_dx, std::int64_t log2_mag) {
  const std::int64_t bits = std::max<std::int64_t>(0, log2_mag) - log2_dx + kPrecisionMargin;
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(bits, 64, MPFR_PREC_MAX));
}

ReferenceOrbit compute_reference(const ReferenceSpec& spec, const std::function<void(std::uint64_t)>& progress) {
  const mpfr_prec_t prec = spec.precision_bits;
  Mp x(prec), y(prec), cx(prec), cy(prec), xx(prec), yy(prec), xy(prec);
  Mp norm(64);  // |Z|^2 rounded up to 64 bits: only compared with R^2 (exact double)
  set_text(x, spec.z0_re, "z0-re");
  set_text(y, spec.z0_im, "z0-im");
  set_text(cx, spec.c_re, "c-re");
  set_text(cy, spec.c_im, "c-im");
  const double r2 = spec.escape_radius * spec.escape_radius;

  ReferenceOrbit out;
  out.spec = spec;
  std::vector<CxExp> zs;  // [length]
  zs.reserve(static_cast<std::size_t>(spec.max_iter) + 1);
  zs.push_back(to_cxexp(x.v, y.v));
  mpfr_sqr(xx.v, x.v, MPFR_RNDN);
  mpfr_sqr(yy.v, y.v, MPFR_RNDN);
  for (std::uint64_t n = 1; n <= spec.max_iter; ++n) {
    // Z' = (x^2 - y^2 + cx) + i (2xy + cy); xx, yy hold the squares of the current Z.
    mpfr_mul(xy.v, x.v, y.v, MPFR_RNDN);
    mpfr_sub(x.v, xx.v, yy.v, MPFR_RNDN);
    mpfr_add(x.v, x.v, cx.v, MPFR_RNDN);
    mpfr_mul_2ui(y.v, xy.v, 1, MPFR_RNDN);
    mpfr_add(y.v, y.v, cy.v, MPFR_RNDN);
    zs.push_back(to_cxexp(x.v, y.v));
    mpfr_sqr(xx.v, x.v, MPFR_RNDN);
    mpfr_sqr(yy.v, y.v, MPFR_RNDN);
    // The orbit stops at its first |Z_n|^2 > R^2 (the norm rounded to 64 bits: where exactly it
    // stops does not matter for correctness, the pixels test their own escape).
    mpfr_add(norm.v, xx.v, yy.v, MPFR_RNDN);
    if (mpfr_cmp_d(norm.v, r2) > 0) {
      out.escaped = true;
      break;
    }
    if (progress && (n & 0x3fff) == 0) progress(n);
  }
  out.set_values(std::move(zs));
  return out;
}

}  // namespace fractal::deep
