#pragma once
// The deep part of a job (docs/FORMAT.md "Deep zoom"): for a job whose frames use perturbation,
// the reference orbits it needs and the DeepFrame each frame's kernel reads. Planned alike on
// every rank from the Config; the orbits are then filled on rank 0 (computed, or read back on
// resume) and broadcast to the others, and attach() links the frames to them.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fractal/config/config.hpp"
#include "fractal/config/frame_plan.hpp"
#include "fractal/deep/perturb.hpp"
#include "fractal/deep/reference.hpp"

namespace fractal::deep {

struct DeepJob {
  // [orbits]. Mandelbrot: the orbits of the references ("centre", then "centre-1", ... for a deep
  // keyframed path that needs several). Julia: the orbits from the references ("julia-start",
  // "julia-start-1", ...), then Julia's critical orbit from 0 ("julia-critical").
  std::vector<ReferenceSpec> specs;
  std::vector<std::string> roles;
  std::vector<ReferenceOrbit> orbits;  // [orbits], once filled
  std::uint8_t lanes = 1;              // DeepFrame::lanes of every frame (8: AVX-512, 4: AVX2)
  bool bla = true;                     // BLA tables (--no-bla: plain perturbation)
  double bla_eps = 0;                  // their epsilon (bla_epsilon of the sample grid)
  std::vector<BlaTable> bla_tables;    // [orbits], once built (run/deep_setup.hpp); empty with per_frame_bla
  // A deep zoom: a table depends on the frame's largest |dc| (Mandelbrot) and on whether its deltas
  // are extended, so each frame gets its own, built on the rank that renders it (prepare_frames) from the shared orbit; the same
  // operations everywhere, so the counts stay independent of ranks and threads.
  bool per_frame_bla = false;
  bool keyed = false;  // a deep keyframed path (references by centre keys, docs/ANIMATION.md)
  std::map<std::uint64_t, std::vector<std::unique_ptr<BlaTable>>> frame_tables;  // this rank's: frame -> [start, rebase] (one when the same)
  double frame_bla_s = 0;                  // this rank's time building them
  std::uint64_t frame_bla_builds = 0;
  std::vector<DeepFrame> frames;       // [frames]; meaningful where method[f] is not Double
  std::vector<Method> method;          // [frames], every frame
  std::vector<std::uint32_t> frame_ref;  // [frames]: the orbit a perturbation frame starts from (its reference)
  // [frames]: the frame's view and Julia c as exact decimal text, as /frames stores them.
  std::vector<std::string> center_re, center_im, view_width, julia_c_re, julia_c_im;

  bool active() const { return !specs.empty(); }
  std::size_t references() const;               // the references (start orbits) of the frames
  std::size_t rebase_orbit(std::size_t f) const;  // the orbit frame f rebases to
  std::uint32_t precision_bits() const { return specs.empty() ? 0 : specs[0].precision_bits; }
  // The BLA table of orbit k, for the largest |dc| of the frames that use it (the same operations
  // on every node: the tables are identical everywhere); whether the tables hold extended-exponent
  // steps (some frame has extended deltas); that largest |dc|.
  BlaTable build_bla_table(std::size_t k) const;
  bool bla_extended() const;
  RealExp bla_dc_max() const;
  RealExp dc_max(std::size_t f) const;  // frame f's largest |dc| (0 for Julia and double frames)
  // Before rendering rows of these frames: with per_frame_bla, builds their tables (keeping those
  // already built, dropping the others) and links the frames to them; else nothing. Call on the
  // rendering thread, outside parallel regions.
  void prepare_frames(const std::vector<std::uint64_t>& frames);
  // The orbits are filled (and the tables built): links every perturbation frame to them and sets
  // plan[f].deep.
  void attach(std::vector<FrameParams>& plan);
};

// The deep part of cfg's job (inactive when every frame is a double frame). Throws nothing: the
// Config was validated (parse_config).
DeepJob plan_deep(const Config& cfg, const std::vector<FrameParams>& plan);

// The view's pixel spacing (on the stored sample grid) from its width text, or from a zoom text
// (Kalles Fraktaler's convention: the view's height is 4 / zoom): m * 2^e with m in [1, 2), by
// MPFR from the text. Returns false when the text is not a positive number MPFR reads.
bool pixel_spacing(const std::string& view_width, const std::string& zoom, std::uint32_t sample_width,
                   std::uint32_t sample_height, RealExp& dx);
// The view width as decimal text for a view given by its zoom: 4 / zoom * width / height, 20
// significant digits.
std::string width_from_zoom(const std::string& zoom, std::uint32_t width, std::uint32_t height);

}  // namespace fractal::deep
