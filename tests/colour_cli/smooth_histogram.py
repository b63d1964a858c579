"""--norm smooth-histogram (issue 15): one CDF of the /smooth values over the whole video.

Renders a small keyframed Mandelbrot zoom with --smooth (64x48, 6 frames, width 3.5 -> 2e-4 into
seahorse valley, --max-iter-growth: every frame has its own max_iter) and colours it with --cmap
gray and a red interior. Checks, from the outside:
- interior pixels (count == the frame's max_iter) are exactly the interior colour, all others grey;
- global: over ALL frames together, the grey level is a non-decreasing function of the pixel's
  smooth value (equal smooth values in different frames get equal colours), and it is the global
  empirical CDF (the fraction of exterior pixels of every frame with a smaller smooth value), within
  the colormap's 1/256 steps plus a little for the binning;
- the same checker rejects --norm smooth (smooth / the frame's max_iter) on the same file, so the
  global check can fail;
- the default norm: without --norm this zoom with /smooth is coloured exactly as with
  --norm smooth-histogram (and fractal-colour says so), while a zoom without /smooth and a Julia
  sweep with /smooth (no zoom) keep the default linear; --help names the rule.
"""
import os

import numpy as np

from colour_lib import Ctx, read_png

ctx = Ctx()
ZOOM = ["--fractal", "mandelbrot", "--width", "64", "--height", "48", "--max-iter", "150",
        "--max-iter-growth", "150", "--interp-width", "linear",
        "--key", "frame=0 center=-0.75,0 width=3.5",
        "--key", "frame=5 center=-0.743643887037151,0.131825904205330 width=2e-4"]


def render(name, *opts):
    out = ctx.path(name + ".h5")
    p = ctx.run([ctx.render_bin, *opts, "-o", out], timeout=120)
    if p.returncode != 0 or not os.path.isfile(out):
        print(p.stdout, p.stderr)
        raise SystemExit(f"FAIL: could not render {out} (exit {p.returncode})")
    return out


def load(path):
    import h5py
    with h5py.File(path, "r") as f:
        counts = f["counts"][...].astype(np.int64)
        smooth = f["smooth"][...] if "smooth" in f else None
        mi = f["frames/max_iter"][...].astype(np.int64)
        widths = f["frames/xmax"][...] - f["frames/xmin"][...]
    return counts, smooth, mi, widths


def colour_dir(h5, label, *opts):
    d = ctx.path(label)
    p = ctx.colour(h5, "--png-dir", d, *opts)
    if not ctx.check(p.returncode == 0, f"{label}: exit 0 (got {p.returncode}: {p.stderr.strip()})"):
        return None, p
    names = sorted(os.listdir(d))
    return [read_png(os.path.join(d, n))[0] for n in names], p


def global_violations(pngs, counts, smooth, mi):
    """(pixels out of order, largest CDF error in grey levels, equal-s pairs across frames that differ)
    for the exterior pixels of all frames together, sorted by smooth value."""
    s_all, g_all, f_all = [], [], []
    for f, png in enumerate(pngs):
        ext = counts[f] < mi[f]
        s_all.append(smooth[f][ext].astype(np.float64))
        g_all.append(png[..., 0][ext].astype(np.int64))
        f_all.append(np.full(int(ext.sum()), f))
    s, g, fr = np.concatenate(s_all), np.concatenate(g_all), np.concatenate(f_all)
    order = np.lexsort((g, s))  # by s, ties by grey
    s, g, fr = s[order], g[order], fr[order]
    # Out of order: a larger smooth value with a darker grey (ties in s must share the grey).
    drops = int((np.diff(g) < 0).sum())
    ties = (np.diff(s) == 0) & (fr[1:] != fr[:-1])
    tie_diff = int((ties & (np.diff(g) != 0)).sum())
    # The empirical CDF of s over every frame: fraction of values strictly below, and at or below.
    lo = np.searchsorted(s, s, side="left") / len(s)
    hi = np.searchsorted(s, s, side="right") / len(s)
    # gray has 256 entries: grey = floor(t * 256) (t = 1 -> 255); allow 3 levels for the binning.
    exp_lo, exp_hi = np.minimum(np.floor(lo * 256), 255), np.minimum(np.floor(hi * 256), 255)
    err = np.maximum(exp_lo - g, g - exp_hi).clip(min=0)
    return drops, float(err.max()), tie_diff, int(ties.sum())


# 1. The zoom: different max_iter and widths per frame, interior and exterior in every frame.
zoom = render("zoom", *ZOOM, "--smooth")
counts, smooth, mi, widths = load(zoom)
F = counts.shape[0]
ctx.check(counts.shape == (6, 48, 64), f"zoom shape {counts.shape} == (6, 48, 64)")
ctx.check(len(set(mi.tolist())) == F, f"every frame has its own max_iter: {mi.tolist()}")
ctx.check(widths[0] / widths[-1] > 1e3, f"a zoom: widths {widths[0]:.3g} .. {widths[-1]:.3g}")
interior_frac = [(counts[f] == mi[f]).mean() for f in range(F)]
ctx.check(all(0 < x < 1 for x in interior_frac), f"every frame has interior and exterior pixels: {interior_frac}")
ext_ranges = [(float(smooth[f][counts[f] < mi[f]].min()), float(smooth[f][counts[f] < mi[f]].max())) for f in range(F)]
print("exterior smooth range per frame:", [(round(a, 1), round(b, 1)) for a, b in ext_ranges])
overlap = sum(1 for f in range(1, F) if ext_ranges[f][0] < ext_ranges[f - 1][1])
ctx.check(overlap >= 2, f"the frames' smooth ranges overlap ({overlap} neighbours), so the global order is tested")

# 2. smooth-histogram: global mapping.
COL = ["--cmap", "gray", "--interior", "#ff0000"]
pngs, p = colour_dir(zoom, "sh", "--norm", "smooth-histogram", *COL)
if pngs:
    ctx.check(len(pngs) == F, f"{len(pngs)} PNGs == {F} frames")
    for f, png in enumerate(pngs):
        inter = counts[f] == mi[f]
        ctx.check(bool(np.all(png[inter] == [255, 0, 0])), f"frame {f}: interior pixels exactly #ff0000")
        ext = png[~inter]
        ctx.check(bool(np.all((ext[:, 0] == ext[:, 1]) & (ext[:, 1] == ext[:, 2]))), f"frame {f}: exterior pixels grey")
    drops, err, tie_diff, ties = global_violations(pngs, counts, smooth, mi)
    ctx.check(drops == 0, f"smooth-histogram: grey non-decreasing in smooth over all frames ({drops} pixels out of order)")
    ctx.check(tie_diff == 0, f"smooth-histogram: equal smooth values in different frames, equal colours "
                             f"({tie_diff} of {ties} such pairs differ)")
    ctx.check(err <= 3, f"smooth-histogram: grey == 256 x the global CDF of smooth, within {err:g} <= 3 levels")
    spread = [len(np.unique(png[..., 0][counts[f] < mi[f]])) for f, png in enumerate(pngs)]
    ctx.check(min(spread) >= 20, f"no flat frames: distinct greys per frame {spread}")
    # The global CDF's extremes: the darkest exterior pixel of the video is black, the brightest white.
    g_ext = np.concatenate([png[..., 0][counts[f] < mi[f]] for f, png in enumerate(pngs)])
    ctx.check(g_ext.min() <= 1 and g_ext.max() >= 254, f"greys span the map over the video: {g_ext.min()}..{g_ext.max()}")

# 3. The check has teeth: --norm smooth (s / the frame's own max_iter) is not one function of s.
pngs_s, _ = colour_dir(zoom, "smooth", "--norm", "smooth", *COL)
if pngs_s:
    drops, err, _td, _t = global_violations(pngs_s, counts, smooth, mi)
    ctx.check(drops > 0 and err > 3, f"control: --norm smooth fails the global check ({drops} out of order, error {err:g})")

# 4. The default norm.
pngs_d, pd = colour_dir(zoom, "default", *COL)
if pngs and pngs_d:
    ctx.check(all(np.array_equal(a, b) for a, b in zip(pngs, pngs_d)),
              "no --norm on a zoom with /smooth == --norm smooth-histogram")
    ctx.check("smooth-histogram" in pd.stdout, f"fractal-colour says it chose smooth-histogram: {pd.stdout.strip()[:200]!r}")
pngs_l, _ = colour_dir(zoom, "linear", "--norm", "linear", *COL)
if pngs and pngs_l:
    ctx.check(not all(np.array_equal(a, b) for a, b in zip(pngs, pngs_l)), "--norm linear differs from smooth-histogram")

plain = render("zoom-plain", *ZOOM)  # the same zoom without /smooth: linear
a, _ = colour_dir(plain, "plain-default", *COL)
b, _ = colour_dir(plain, "plain-linear", "--norm", "linear", *COL)
if a and b:
    ctx.check(all(np.array_equal(x, y) for x, y in zip(a, b)), "zoom without /smooth: the default is linear")

sweep = ctx.render(ctx.path("sweep.h5"), width=33, height=21, frames=3, max_iter=60, extra=["--smooth"])
a, ps = colour_dir(sweep, "sweep-default", *COL)
b, _ = colour_dir(sweep, "sweep-linear", "--norm", "linear", *COL)
if a and b:
    ctx.check(all(np.array_equal(x, y) for x, y in zip(a, b)), "Julia sweep with /smooth (no zoom): the default is linear")
    ctx.check("smooth-histogram" not in ps.stdout, "no smooth-histogram message for a sweep")

h = ctx.colour("--help")
help_text = " ".join(h.stdout.split())  # boost wraps the descriptions
ctx.check(h.returncode == 0 and "smooth-histogram" in help_text and "Default: smooth-histogram for a file with /smooth" in help_text
          and "deep zoom" in help_text,
          "--help names smooth-histogram and the deep-zoom default")
ctx.finish()
