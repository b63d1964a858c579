#!/usr/bin/env python3
"""fractal-colour on files with /smooth, /distance and --supersample:
- a --supersample 2 file is averaged to its output size by default; --downscale 1 keeps the samples;
- the averaged PNG of a checker-like view (a Julia view with large count contrast) is the mean of
  the coloured samples: fractal-colour averages the float colours and rounds once (round(v*255)),
  so against the mean of the 16-bit samples (--png16 --downscale 1) it is within 0.5/255 + the
  16-bit rounding, and one-colour blocks keep their colour exactly;
- --norm smooth: along a gradient line no two neighbouring pixels differ by a full band step,
  while --norm linear on the same line does; smooth-log and smooth-cycle run;
- --boundary W paints exterior pixels with /distance < W sample spacings, and only those;
- a file without /smooth or /distance: --norm smooth / --boundary exit 2 with one line;
- --info names family, power, supersample, rotation and the optional datasets."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "colour_cli"))
import e2e_lib as E  # noqa: E402

args = E.parse_args(lambda p: p.add_argument("--colour", required=True))
E.need_h5py()
import h5py  # noqa: E402
import numpy as np  # noqa: E402
from colour_lib import read_png  # noqa: E402

chk = E.Checker("extras.colour")
W = args.work


def path(n):
    return os.path.join(W, n)


def render(opts, name):
    r = E.direct(args, opts + ["-o", path(name)], timeout=120)
    if not chk.ok_run(r, name):
        chk.done()
    return path(name)


def colour(*a):
    return E.run([args.colour, *a], timeout=120)


JULIA = ["--fractal", "julia", "--c-re", "-0.8", "--c-im", "0.156", "--xmin", "-1.6", "--xmax", "1.6",
         "--ymin", "-0.9", "--ymax", "0.9", "--max-iter", "300"]
ss = render(JULIA + ["--width", "64", "--height", "36", "--supersample", "2", "--smooth", "--distance"], "ss.h5")

# Default: averaged to the output size. --downscale 1: every sample.
r = colour(ss, "--png", path("avg.png"), "--cmap", "viridis", "--norm", "log")
r1 = colour(ss, "--png", path("full16.png"), "--cmap", "viridis", "--norm", "log", "--downscale", "1", "--png16")
r8 = colour(ss, "--png", path("full8.png"), "--cmap", "viridis", "--norm", "log", "--downscale", "1")
if chk.ok_run(r, "default downscale") and chk.ok_run(r1, "--downscale 1 --png16") and chk.ok_run(r8, "--downscale 1"):
    avg = read_png(path("avg.png"))[0].astype(np.float64)
    full16 = read_png(path("full16.png"))[0].astype(np.float64)
    full8 = read_png(path("full8.png"))[0].astype(np.float64)
    chk.check(avg.shape == (36, 64, 3), f"default output size {avg.shape}, expected (36, 64, 3) (the output size)")
    chk.check(full16.shape == (72, 128, 3) and full8.shape == (72, 128, 3), f"--downscale 1 sizes {full16.shape} {full8.shape}")
    if avg.shape == (36, 64, 3) and full16.shape == (72, 128, 3):
        blocks = full16.reshape(36, 2, 64, 2, 3) / 65535.0
        mean = blocks.mean(axis=(1, 3)) * 255.0
        diff = np.abs(avg - mean)
        chk.check(diff.max() <= 0.5 + 255 / 65535 + 1e-9, f"averaged PNG vs mean of coloured samples: max diff {diff.max():.4f} > 0.5")
        chk.check(np.array_equal(avg, np.round(mean)) or (np.abs(avg - np.round(mean)) <= 1).all(), "rounded mean")
        b8 = full8.reshape(36, 2, 64, 2, 3)
        uniform = np.all(b8 == b8[:, :1, :, :1, :], axis=(1, 3, 4))
        mixed = ~uniform
        chk.check(uniform.any() and mixed.sum() > 50, f"the view should have one-colour and mixed blocks ({uniform.sum()}, {mixed.sum()})")
        chk.check(np.array_equal(avg[uniform], b8[:, 0, :, 0, :][uniform]), "one-colour blocks keep their colour exactly")
        # The mean is not just one sample of the block (the test could tell a subsampling apart).
        chk.check(np.abs(avg[mixed] - b8[:, 0, :, 0, :][mixed]).max() > 20, "averaging is indistinguishable from subsampling")

# --norm smooth on a gradient: a line of pixels crossing band edges.
GRAD = ["--fractal", "mandelbrot", "--xmin", "0.3", "--xmax", "2.0", "--ymin", "-0.0085", "--ymax", "0.0085",
        "--width", "800", "--height", "8", "--max-iter", "16", "--smooth"]
g = render(GRAD, "grad.h5")
with h5py.File(g, "r") as f:
    counts = f["counts"][0].astype(np.int64)
chk.check(len(np.unique(counts[4])) >= 6, f"the gradient line should cross several bands: {np.unique(counts[4])}")
for norm in ("smooth", "linear"):
    r = colour(g, "--png", path(f"grad-{norm}.png"), "--cmap", "gray", "--norm", norm)
    if not chk.ok_run(r, f"--norm {norm}"):
        continue
    img = read_png(path(f"grad-{norm}.png"))[0].astype(np.float64)[4, :, 0]
    step = np.abs(np.diff(img))
    # A full band step in grey levels: the 256-entry table over max_iter = 16 counts: 16 levels.
    band = 256.0 / 16
    at_edges = step[np.diff(counts[4]) != 0]
    if norm == "linear":
        chk.check(at_edges.min() >= band - 1, f"--norm linear should jump by a band at every edge: {at_edges.min()}")
    else:
        chk.check(step.max() < band / 2, f"--norm smooth: neighbours differ by {step.max()} >= half a band step {band:.2f}")
for norm in ("smooth-log", "smooth-cycle"):
    r = colour(g, "--png", path(f"grad-{norm}.png"), "--norm", norm, "--cycle-period", "8")
    chk.ok_run(r, f"--norm {norm}")

# --boundary: exactly the exterior pixels closer than W samples.
with h5py.File(ss, "r") as f:
    cnt = f["counts"][0]
    dist = f["distance"][0]
    mi = int(f["frames/max_iter"][0])
    spacing = (f["frames/xmax"][0] - f["frames/xmin"][0]) / f["counts"].shape[2]
r = colour(ss, "--png", path("bnd.png"), "--downscale", "1", "--boundary", "1.5", "--boundary-colour", "#ff00ff",
           "--interior", "black", "--cmap", "gray")
if chk.ok_run(r, "--boundary"):
    img = read_png(path("bnd.png"))[0]
    magenta = np.all(img == [255, 0, 255], axis=2)
    want = (cnt < mi) & (dist < 1.5 * spacing)
    chk.check(want.sum() > 20 and np.array_equal(magenta, want),
              f"--boundary: {int(magenta.sum())} magenta pixels, {int(want.sum())} expected, {int((magenta != want).sum())} differ")

# Missing datasets: exit 2, one line naming the option and the file.
plain = render(JULIA + ["--width", "32", "--height", "18"], "plain.h5")
for opts, words in ((["--norm", "smooth"], ["--norm smooth", "/smooth", "--smooth"]),
                    (["--norm", "smooth-cycle"], ["/smooth", "--smooth"]),
                    (["--boundary", "2"], ["--boundary", "/distance", "--distance"])):
    r = colour(plain, "--png", path("x.png"), *opts)
    lines = [l for l in r.err.splitlines() if l.strip()]
    chk.check(r.rc == 2 and len(lines) == 1 and all(w in lines[0] for w in words) and "plain.h5" in lines[0],
              f"{opts} on a file without the dataset: expected exit 2 and one line naming {words}\n  {r.describe()}")
for bad in (["--boundary", "0"], ["--boundary", "-1"], ["--boundary", "x"], ["--boundary", "1", "--boundary-colour", "pink"],
            ["--norm", "smoothest"]):
    r = colour(ss, "--png", path("x.png"), *bad)
    chk.check(r.rc == 2 and bad[-2] in r.err, f"{bad}: expected exit 2 naming {bad[-2]}\n  {r.describe()}")

# --info
r = colour(ss, "--info")
if chk.ok_run(r, "--info"):
    for w in ("family        multibrot, power 2", "supersample   2", "rotation      0 degrees", "/smooth", "/distance"):
        chk.check(w in r.out, f"--info lacks {w!r}:\n{r.out}")
r = colour(plain, "--info")
chk.check(r.rc == 0 and "optional data  none" in r.out, f"--info of a plain file:\n{r.out}")
chk.done()
