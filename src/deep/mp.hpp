#pragma once
// Internal to src/deep: an mpfr_t for the duration of a scope, and a number as decimal text.
#include <mpfr.h>

#include <string>

namespace fractal::deep {

struct Mp {
  explicit Mp(mpfr_prec_t prec) { mpfr_init2(v, prec); }
  ~Mp() { mpfr_clear(v); }
  Mp(const Mp&) = delete;
  Mp& operator=(const Mp&) = delete;
  mpfr_t v;
};

// v as "d.ddd...e±N" with `digits` digits after the point (mpfr_asprintf "%.*Re"); `fallback` if
// that fails.
inline std::string mp_text(const mpfr_t v, int digits, const std::string& fallback) {
  char* s = nullptr;
  mpfr_asprintf(&s, "%.*Re", digits, v);
  std::string out = s ? s : fallback;
  if (s) mpfr_free_str(s);
  return out;
}

}  // namespace fractal::deep
