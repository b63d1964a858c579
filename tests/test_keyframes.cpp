#include <gtest/gtest.h>
// Keyframed animation paths (keyframes.hpp, docs/ANIMATION.md): keys reached exactly, no
// overshoot, monotone cubic, constant log-width speed, ease at keys, the zoom fixed point,
// max-iter growth, and unchanged plans for jobs without keys.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "fractal/config/config.hpp"
#include "fractal/kernel/family.hpp"
#include "fractal/config/frame_plan.hpp"
#include "fractal/config/keyframes.hpp"

namespace fractal {
namespace {

using Args = std::vector<std::string>;

Config parse(Args args) {
  args.insert(args.begin(), "fractal-render");
  args.insert(args.end(), {"-o", "x.h5"});
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_config(static_cast<int>(argv.size()), argv.data()).config;
}

bool same(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

const char* const kModes[] = {"linear", "ease", "cubic"};

// ---------------------------------------------------------------------------------------------
// Keys are reached exactly, in every mode and on every track.

struct KeyData {
  std::uint64_t frame;
  double cre, cim, w, rot, ca, cb;
  std::uint32_t iter;
};
const std::vector<KeyData> kKeys = {
    {0, -0.75, 0.1, 3.5, 0.0, 0.7885, 0.0, 300},
    {7, -0.7436438870371, 0.1318259042053, 0.013, 33.3, 0.71, 123.4, 1000},
    {20, -0.74364388, 0.13182590, 2.7e-7, 91.0, 0.3333333333333333, 247.1, 4100},
    {33, 0.1, -0.6, 0.3, -12.5, 0.9, 360.0, 777},
};

Args key_args(bool polar) {
  Args a;
  for (const KeyData& k : kKeys) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "frame=%llu center=%.17g,%.17g width=%.17g rotation=%.17g %s=%.17g,%.17g max-iter=%u",
                  static_cast<unsigned long long>(k.frame), k.cre, k.cim, k.w, k.rot, polar ? "c-polar" : "c", k.ca, k.cb,
                  k.iter);
    a.insert(a.end(), {"--key", buf});
  }
  return a;
}

TEST(KeyframesExact, EveryTrackEveryModeHitsItsKeys) {
  for (bool polar : {false, true}) {
    for (const char* mode : kModes) {
      for (const char* centre : {"zoom", "linear", "ease", "cubic"}) {
        SCOPED_TRACE(std::string("mode ") + mode + ", centre " + centre + (polar ? ", c-polar" : ", c"));
        Args a = key_args(polar);
        a.insert(a.end(), {"--width", "64", "--height", "48", "--interp", mode, "--interp-center", centre});
        const Config cfg = parse(a);
        ASSERT_EQ(cfg.frames, 34u);
        const std::vector<FrameParams> plan = plan_frames(cfg);
        const PathEvaluator eval(cfg.path, path_base(cfg));
        for (const KeyData& k : kKeys) {
          const PathPoint p = eval.at(k.frame);
          EXPECT_TRUE(same(p.width, k.w)) << "frame " << k.frame << ": width " << p.width << " vs " << k.w;
          EXPECT_TRUE(same(p.center_re, k.cre)) << "frame " << k.frame;
          EXPECT_TRUE(same(p.center_im, k.cim)) << "frame " << k.frame;
          EXPECT_TRUE(same(p.rotation, k.rot)) << "frame " << k.frame;
          EXPECT_EQ(p.max_iter, k.iter) << "frame " << k.frame;
          double ere = k.ca, eim = k.cb;
          if (polar) {
            double cs, sn;
            rotation_cos_sin(k.cb, cs, sn);
            ere = k.ca * cs;
            eim = k.ca * sn;
          }
          EXPECT_TRUE(same(p.c_re, ere)) << "frame " << k.frame << ": " << p.c_re << " vs " << ere;
          EXPECT_TRUE(same(p.c_im, eim)) << "frame " << k.frame << ": " << p.c_im << " vs " << eim;
          // The stored plan: bounds from the key's centre and width, its rotation, c, max_iter.
          const FrameParams& f = plan[k.frame];
          const double h = k.w * 48.0 / 64.0;
          EXPECT_TRUE(same(f.xmin, k.cre - k.w / 2) && same(f.xmax, k.cre + k.w / 2)) << "frame " << k.frame;
          EXPECT_TRUE(same(f.ymin, k.cim - h / 2) && same(f.ymax, k.cim + h / 2)) << "frame " << k.frame;
          EXPECT_TRUE(same(f.rotation, k.rot));
          double cs, sn;
          rotation_cos_sin(k.rot, cs, sn);
          EXPECT_TRUE(same(f.rot_cos, cs) && same(f.rot_sin, sn));
          EXPECT_TRUE(same(f.c_re, ere) && same(f.c_im, eim));
          EXPECT_EQ(f.max_iter, k.iter);
        }
        // Polar: 0 -> 360 degrees really goes round (frame 26 is between 247.1 and 360 degrees:
        // the fourth quadrant), and never leaves the circle's radius range.
        if (polar) {
          const PathPoint p = eval.at(26);
          EXPECT_GT(p.c_re, 0.0);
          EXPECT_LT(p.c_im, 0.0);
        }
      }
    }
  }
}

// Before the first key and after the last, a track holds that key's value; a track with no keys
// keeps the base option's value.
TEST(KeyframesExact, HoldOutsideKeysAndBaseWithoutKeys) {
  const Config cfg = parse({"--key", "frame=5 width=0.5", "--key", "frame=9 width=0.25", "--frames", "15",
                            "--rotation", "12", "--c-re", "0.3", "--c-im", "-0.01", "--max-iter", "321",
                            "--xmin", "-1", "--xmax", "1.5", "--ymin", "-1", "--ymax", "1.5", "--width", "40"});
  const PathEvaluator eval(cfg.path, path_base(cfg));
  for (std::uint64_t f = 0; f <= 5; ++f) EXPECT_TRUE(same(eval.at(f).width, 0.5)) << f;
  for (std::uint64_t f = 9; f < 15; ++f) EXPECT_TRUE(same(eval.at(f).width, 0.25)) << f;
  const std::vector<FrameParams> plan = plan_frames(cfg);
  for (const FrameParams& p : plan) {
    EXPECT_TRUE(same(p.rotation, 12.0));
    EXPECT_TRUE(same(p.c_re, 0.3) && same(p.c_im, -0.01));
    EXPECT_EQ(p.max_iter, 321u);
    EXPECT_NEAR(0.5 * (p.xmin + p.xmax), 0.25, 1e-15);  // base centre: the bounds' midpoint
  }
}

// Keys may be given out of order; they are sorted by frame.
TEST(KeyframesExact, OutOfOrderKeysAreSorted) {
  const Config a = parse({"--key", "frame=10 width=0.1", "--key", "frame=0 width=2", "--key", "frame=4 rotation=45"});
  const Config b = parse({"--key", "frame=0 width=2", "--key", "frame=4 rotation=45", "--key", "frame=10 width=0.1"});
  ASSERT_EQ(a.path.key_texts(), b.path.key_texts());
  const auto pa = plan_frames(a), pb = plan_frames(b);
  ASSERT_EQ(pa.size(), 11u);
  for (std::size_t f = 0; f < pa.size(); ++f)
    EXPECT_TRUE(same(pa[f].xmin, pb[f].xmin) && same(pa[f].rotation, pb[f].rotation)) << f;
}

// ---------------------------------------------------------------------------------------------
// Monotone cubic

TEST(KeyframesCubic, NeverOvershootsWhereASplineWould) {
  // 0,0,1,1,1: a natural cubic spline through these dips below 0 in [0,10] and rises above 1 in
  // [20,30]; the monotone cubic stays inside every segment's [min, max].
  const std::vector<std::uint64_t> fr = {0, 10, 20, 30, 40};
  const Track t(fr, {0, 0, 1, 1, 1}, Interp::Cubic);
  double prev = -1;
  for (std::uint64_t f = 0; f <= 40; ++f) {
    const double v = t.at(f);
    const std::size_t k = std::min<std::size_t>(f / 10, 3);
    const double lo = std::min(t.values()[k], t.values()[k + 1]), hi = std::max(t.values()[k], t.values()[k + 1]);
    EXPECT_GE(v, lo) << "frame " << f;
    EXPECT_LE(v, hi) << "frame " << f;
    EXPECT_GE(v, prev) << "not monotone at frame " << f;
    prev = v;
  }
  // It is a real cubic, not linear: zero slope at frames 10 and 20 (flat neighbours).
  EXPECT_LT(t.at(12), 0.15);  // linear: 0.2
  EXPECT_GT(t.at(18), 0.85);  // linear: 0.8
  EXPECT_DOUBLE_EQ(t.at(15), 0.5);
}

TEST(KeyframesCubic, MonotoneInEverySegmentOnRandomData) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> val(-5, 5);
  std::uniform_int_distribution<int> gap(1, 40);
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 2 + trial % 7;
    std::vector<std::uint64_t> fr;
    std::vector<double> v;
    std::uint64_t f = static_cast<std::uint64_t>(gap(rng)) - 1;
    for (int i = 0; i < n; ++i) {
      fr.push_back(f);
      // Some flat stretches and some monotone runs.
      v.push_back(i > 0 && trial % 3 == 0 && i % 2 ? v.back() : val(rng));
      f += static_cast<std::uint64_t>(gap(rng));
    }
    const Track t(fr, v, Interp::Cubic);
    for (int k = 0; k + 1 < n; ++k) {
      const double lo = std::min(v[k], v[k + 1]), hi = std::max(v[k], v[k + 1]);
      const double dir = v[k + 1] >= v[k] ? 1.0 : -1.0;
      double prev = v[k];
      for (std::uint64_t g = fr[k]; g <= fr[k + 1]; ++g) {
        const double x = t.at(g);
        ASSERT_GE(x, lo) << "trial " << trial << " frame " << g;
        ASSERT_LE(x, hi) << "trial " << trial << " frame " << g;
        ASSERT_GE(dir * (x - prev), 0.0) << "trial " << trial << " segment " << k << " not monotone at frame " << g;
        prev = x;
      }
    }
    // Where the whole data set is monotone, so is the whole curve.
    if (std::is_sorted(v.begin(), v.end())) {
      for (std::uint64_t g = fr.front(); g < fr.back(); ++g) ASSERT_LE(t.at(g), t.at(g + 1)) << trial;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Width in log space; ease; zoom centre.

TEST(KeyframesWidth, LinearLogWidthHasConstantZoomSpeed) {
  const Config cfg = parse({"--fractal", "mandelbrot", "--width", "64", "--height", "36", "--key",
                            "frame=0 center=-0.75,0 width=3.5", "--key",
                            "frame=120 center=-0.743643887037151,0.131825904205330 width=1e-10",
                            "--interp-width", "linear"});
  const PathEvaluator eval(cfg.path, path_base(cfg));
  const double r0 = eval.width_at(1) / eval.width_at(0);
  EXPECT_NEAR(r0, std::pow(1e-10 / 3.5, 1.0 / 120), 1e-12);
  for (std::uint64_t f = 1; f < 120; ++f) {
    const double r = eval.width_at(f + 1) / eval.width_at(f);
    EXPECT_NEAR(r / r0, 1.0, 1e-12) << "frame " << f;
  }
}

TEST(KeyframesEase, ZeroSpeedAtKeys) {
  const Track t({0, 100, 200}, {0.0, 1.0, -2.0}, Interp::Ease);
  // Next to a key the step is O(1/n^2) of the segment (2/n = 2% of the mid-segment step for n =
  // 100 frames); linear would be 67% of it.
  for (std::uint64_t a : {0u, 100u}) {
    const double mid = std::fabs(t.at(a + 51) - t.at(a + 50));
    EXPECT_LT(std::fabs(t.at(a + 1) - t.at(a)), 0.05 * mid) << "after key " << a;
    EXPECT_LT(std::fabs(t.at(a + 100) - t.at(a + 99)), 0.05 * mid) << "before key " << a + 100;
  }
  // Linear, for contrast, moves at full speed next to a key.
  const Track l({0, 100}, {0.0, 1.0}, Interp::Linear);
  EXPECT_NEAR(l.at(1) - l.at(0), 0.01, 1e-15);
  EXPECT_NEAR(t.at(50), 0.5, 1e-15);
}

TEST(KeyframesZoom, FixedPointStaysOnScreen) {
  for (const char* wmode : kModes) {
    SCOPED_TRACE(std::string("interp-width ") + wmode);
    const Config cfg = parse({"--fractal", "mandelbrot", "--width", "64", "--height", "48", "--key",
                              "frame=0 center=-0.75,0 width=3.5", "--key", "frame=40 center=-0.7,0.2 width=0.05",
                              "--key", "frame=90 center=-0.74364,0.13182 width=1e-6", "--interp-width", wmode});
    ASSERT_EQ(cfg.path.center, Interp::Zoom);
    const PathEvaluator eval(cfg.path, path_base(cfg));
    const std::uint64_t seg[][2] = {{0, 40}, {40, 90}};
    for (const auto& s : seg) {
      const PathPoint a = eval.at(s[0]), b = eval.at(s[1]);
      // P = ca + k wa with k = (cb - ca) / (wa - wb): (P - c(f)) / w(f) = k for every f.
      const double kre = (b.center_re - a.center_re) / (a.width - b.width);
      const double kim = (b.center_im - a.center_im) / (a.width - b.width);
      const double pre = a.center_re + kre * a.width, pim = a.center_im + kim * a.width;
      for (std::uint64_t f = s[0]; f <= s[1]; ++f) {
        const PathPoint p = eval.at(f);
        EXPECT_NEAR((pre - p.center_re) / p.width, kre, 1e-9) << "frame " << f;
        EXPECT_NEAR((pim - p.center_im) / p.width, kim, 1e-9) << "frame " << f;
      }
      // And the centre does move (not a trivially constant path).
      EXPECT_NE(eval.at((s[0] + s[1]) / 2).center_re, a.center_re);
    }
  }
}

TEST(KeyframesZoom, ConstantWidthBehavesLikeCubic) {
  const Config z = parse({"--key", "frame=0 center=0,0 width=1", "--key", "frame=10 center=0.5,0.1",
                          "--key", "frame=30 center=0.2,0.4 width=1"});
  const Config c = parse({"--key", "frame=0 center=0,0 width=1", "--key", "frame=10 center=0.5,0.1",
                          "--key", "frame=30 center=0.2,0.4 width=1", "--interp-center", "cubic"});
  const auto pz = plan_frames(z), pc = plan_frames(c);
  for (std::size_t f = 0; f < pz.size(); ++f)
    EXPECT_TRUE(same(pz[f].xmin, pc[f].xmin) && same(pz[f].ymax, pc[f].ymax)) << f;
}

// ---------------------------------------------------------------------------------------------
// max-iter

TEST(KeyframesMaxIter, GrowthRule) {
  const Config cfg = parse({"--fractal", "mandelbrot", "--width", "32", "--height", "32", "--max-iter", "200",
                            "--max-iter-growth", "150", "--key", "frame=0 width=3", "--key", "frame=60 width=3e-8",
                            "--interp-width", "linear"});
  const auto plan = plan_frames(cfg);
  ASSERT_EQ(plan.size(), 61u);
  EXPECT_EQ(plan[0].max_iter, 200u);
  EXPECT_EQ(plan[60].max_iter, 200u + 150u * 8u);  // 8 decades
  EXPECT_EQ(plan[30].max_iter, 200u + 150u * 4u);  // half way in log width: 4 decades
  EXPECT_EQ(plan[15].max_iter, 200u + 150u * 2u);
  for (std::size_t f = 1; f < plan.size(); ++f) EXPECT_GE(plan[f].max_iter, plan[f - 1].max_iter) << f;
  EXPECT_EQ(cfg.max_iter_peak, 1400u);
  // Zooming out lowers the budget, never below 1.
  const Config out = parse({"--max-iter", "50", "--max-iter-growth", "100", "--key", "frame=0 width=1",
                            "--key", "frame=10 width=1000"});
  const auto po = plan_frames(out);
  EXPECT_EQ(po[0].max_iter, 50u);
  EXPECT_EQ(po[10].max_iter, 1u);
}

TEST(KeyframesMaxIter, PeakDecidesCountType) {
  // Base 1000 (uint16) but the deepest frame needs more than 65535: the file must be uint32.
  const Config g = parse({"--max-iter", "1000", "--max-iter-growth", "20000", "--key", "frame=0 width=2",
                          "--key", "frame=9 width=2e-4", "--width", "16"});
  EXPECT_EQ(g.max_iter, 1000u);
  EXPECT_EQ(g.max_iter_peak, 81000u);
  EXPECT_EQ(g.count_bytes(), 4u);
  std::uint32_t mx = 0;
  for (const auto& p : plan_frames(g)) mx = std::max(mx, p.max_iter);
  EXPECT_EQ(mx, g.max_iter_peak);
  const Config k = parse({"--key", "frame=0 max-iter=100", "--key", "frame=5 max-iter=70000", "--key",
                          "frame=9 max-iter=200", "--width", "16"});
  EXPECT_EQ(k.max_iter_peak, 70000u);
  EXPECT_EQ(k.count_bytes(), 4u);
  const Config s = parse({"--key", "frame=0 max-iter=100", "--key", "frame=9 max-iter=65535", "--width", "16"});
  EXPECT_EQ(s.count_bytes(), 2u);
}

TEST(KeyframesMaxIter, KeysInterpolateRounded) {
  const Config cfg = parse({"--key", "frame=0 max-iter=100", "--key", "frame=4 max-iter=103", "--interp", "linear",
                            "--width", "16"});
  const auto plan = plan_frames(cfg);
  const std::uint32_t expect[] = {100, 101, 102, 102, 103};  // 100.75 -> 101, 101.5 -> 102, 102.25 -> 102
  for (int f = 0; f < 5; ++f) EXPECT_EQ(plan[f].max_iter, expect[f]) << f;
}

// --preview keeps every iteration budget (a cut budget turns deep frames flat: issue 15): only the
// size and the supersampling change, so each preview frame's plan is the full job's.
TEST(KeyframesMaxIter, PreviewKeepsKeysAndGrowth) {
  const std::vector<std::string> job = {"--width", "1920", "--height", "1080", "--max-iter", "2000", "--key",
                                        "frame=0 width=3", "--key", "frame=9 width=3e-6", "--max-iter-growth", "400"};
  std::vector<std::string> pj = job;
  pj.insert(pj.begin(), "--preview");
  const Config full = parse(job), p = parse(pj);
  EXPECT_EQ(p.max_iter, 2000u);
  ASSERT_TRUE(p.path.max_iter_growth);
  EXPECT_EQ(*p.path.max_iter_growth, 400.0);
  EXPECT_EQ(plan_frames(p).back().max_iter, 2000u + 2400u);
  EXPECT_LT(p.width, full.width);
  const auto fp = plan_frames(full), pp = plan_frames(p);
  ASSERT_EQ(fp.size(), pp.size());
  for (std::size_t f = 0; f < fp.size(); ++f) EXPECT_EQ(pp[f].max_iter, fp[f].max_iter) << f;
  const Config k = parse({"--preview", "--key", "frame=0 max-iter=1000", "--key", "frame=3 max-iter=150"});
  EXPECT_EQ(*k.path.keys[0].max_iter, 1000u);
  EXPECT_EQ(*k.path.keys[1].max_iter, 150u);
}

// ---------------------------------------------------------------------------------------------
// Jobs without keys: the plan is the sweep / pan-zoom formula, plus family, power and rotation.

TEST(KeyframesUnchanged, SweepAndPanZoomPlans) {
  {
    const Config cfg = parse({"--c-re", "-0.8", "--c-im", "0.156", "--c-im-increment", "0.05", "--frames", "13",
                              "--width", "40", "--rotation", "30"});
    const auto plan = plan_frames(cfg);
    ASSERT_EQ(plan.size(), 13u);
    double cs, sn;
    rotation_cos_sin(30.0, cs, sn);
    for (std::uint64_t f = 0; f < 13; ++f) {
      const double t = static_cast<double>(f) / 12.0;
      EXPECT_TRUE(same(plan[f].c_im, 0.156 + 0.05 * t)) << f;
      EXPECT_TRUE(same(plan[f].c_re, -0.8));
      EXPECT_TRUE(same(plan[f].xmin, -1.8) && same(plan[f].ymax, 1.8));
      EXPECT_EQ(plan[f].max_iter, 256u);
      EXPECT_TRUE(same(plan[f].rotation, 30.0) && same(plan[f].rot_cos, cs) && same(plan[f].rot_sin, sn));
    }
  }
  {
    const Config cfg = parse({"--fractal", "mandelbrot", "--family", "multibrot", "--power", "3", "--frames", "21",
                              "--end-center-re", "-0.743643887037151", "--end-center-im", "0.131825904205330",
                              "--end-view-width", "1e-5", "--width", "64", "--height", "48"});
    const auto plan = plan_frames(cfg);
    const Bounds v0 = cfg.view, v1 = *cfg.end_view;
    const double cx0 = 0.5 * (v0.xmin + v0.xmax), cy0 = 0.5 * (v0.ymin + v0.ymax);
    const double w0 = v0.xmax - v0.xmin, h0 = v0.ymax - v0.ymin;
    const double cx1 = 0.5 * (v1.xmin + v1.xmax), cy1 = 0.5 * (v1.ymin + v1.ymax), w1 = v1.xmax - v1.xmin;
    for (std::uint64_t f = 0; f < 21; ++f) {
      const double t = static_cast<double>(f) / 20.0;
      Bounds e = v0;
      if (f == 20) {
        e = v1;
      } else if (f > 0) {
        const double cx = cx0 + (cx1 - cx0) * t, cy = cy0 + (cy1 - cy0) * t;
        const double w = w0 * std::pow(w1 / w0, t), h = h0 * (w / w0);
        e = {cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2};
      }
      EXPECT_TRUE(same(plan[f].xmin, e.xmin) && same(plan[f].xmax, e.xmax)) << f;
      EXPECT_TRUE(same(plan[f].ymin, e.ymin) && same(plan[f].ymax, e.ymax)) << f;
      EXPECT_EQ(plan[f].family, Family::Multibrot);
      EXPECT_EQ(plan[f].power, 3u);
      EXPECT_FALSE(plan[f].rotated());
    }
  }
}

}  // namespace
}  // namespace fractal
