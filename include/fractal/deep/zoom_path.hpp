#pragma once
// Deep zooms into a fixed centre (docs/ANIMATION.md "Deep zooms"): the frames' widths as decimal
// text, from the first and last frame's widths as given (any exponent: 4 down to 1e-1000 and beyond).
#include <cstdint>
#include <string>

namespace fractal {
struct Config;
}

namespace fractal::deep {

// Frame f of `frames`: w(f) = w0 (w1 / w0)^(f / (frames - 1)), a constant zoom speed. Frame 0 and
// the last frame are w0 and w1 exactly as given; the others are computed in MPFR (correctly rounded
// log and exp at 128 bits, so the same text on every rank and machine) and written with 20
// significant digits. w0, w1: positive decimals MPFR reads.
std::string zoom_width_text(const std::string& w0, const std::string& w1, std::uint64_t f, std::uint64_t frames);

// A zoom sequence's frame f (--zoom-sequence R): w0 / R^f, MPFR, 20 significant digits (w0 at f = 0).
std::string sequence_width_text(const std::string& w0, double ratio, std::uint64_t f);

// Frame f's width of a deep zoom (cfg.deep_zoom): sequence_width_text or zoom_width_text; and the
// decades of zoom from frame 0 to it (f log10 R, or f / (frames - 1) zoom_decades(w0, w1)).
std::string frame_width_text(const Config& cfg, std::uint64_t f);
double frame_decades(const Config& cfg, std::uint64_t f);

// Frame f's centre of a deep zoom whose centre moves from c0 to c1 (cfg.end_center_*_text set):
// c(f) = c1 + (c0 - c1) (w(f) - w1) / (w0 - w1), linear in the width (docs/ANIMATION.md's "zoom"
// centre rule: c1 keeps its place on screen, and c(f) stays within |c0 - c1| / w0 frame widths of
// c1 at every depth, so one reference orbit at c1 serves every frame). MPFR at `bits`, as text with
// enough digits for them; frame 0 and the last frame are c0 and c1 as given. `axis` 0: real part,
// 1: imaginary part.
std::string zoom_centre_text(const Config& cfg, int axis, std::uint64_t f, long bits);
// A frame's centre (re, im: as stored) minus its reference's centre (ref_re, ref_im), both axes as
// m 2^e each (double mantissas, rounded once from MPFR at `bits` + 64 or more), for the kernels'
// offset of that frame.
void centre_offset(const std::string& re, const std::string& im, const std::string& ref_re, const std::string& ref_im,
                   long bits, double& re_m, std::int64_t& re_e, double& im_m, std::int64_t& im_e);

// log10(w0 / w1): the decades of zoom from w0 to w1 (negative when zooming out), in double.
double zoom_decades(const std::string& w0, const std::string& w1);

// Whether two decimals (check_decimal's syntax, any length) are the same number.
bool decimal_equal(const std::string& a, const std::string& b);

}  // namespace fractal::deep
