#!/usr/bin/env python3
"""Independent recompute: sampled pixels of a Julia frame and a Mandelbrot frame, recomputed here from
the per-frame bounds / c / max_iter stored in the file with DESIGN.md's pixel mapping and arithmetic
(own code: exact fma via fractions.Fraction, correctly rounded by float(Fraction)), must equal the
stored counts exactly."""
import os
import random
from fractions import Fraction

import e2e_lib as E

args = E.parse_args()
E.need_h5py()
import h5py  # noqa: E402

chk = E.Checker("recompute")


def fma(a, b, c):
    """a*b + c rounded once to the nearest double (ties to even), as IEEE 754 fusedMultiplyAdd."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def count(zr, zi, cr, ci, max_iter, r2, fused=True):
    """DESIGN.md 'Iteration semantics' with its exact roundings (fused=False: the naive, unfused
    arithmetic, used only to report how sensitive the sample is to the rounding contract)."""
    x, y = zr, zi
    for k in range(1, max_iter + 1):
        if fused:
            t = fma(x, x, cr)
            x, y = fma(-y, y, t), fma(x + x, y, ci)
            if fma(x, x, y * y) > r2:
                return k - 1
        else:
            x, y = (x * x + cr) - y * y, (x + x) * y + ci
            if x * x + y * y > r2:
                return k - 1
    return max_iter


def pixel(f, i, j, W, H):
    """DESIGN.md 'Pixel to complex plane': row 0 at the top."""
    dx = (f["xmax"] - f["xmin"]) / W
    dy = (f["ymax"] - f["ymin"]) / H
    return f["xmin"] + (j + 0.5) * dx, f["ymax"] - (i + 0.5) * dy


# Self-test of this reference against DESIGN.md's worked example.
c0 = (-0.62772, -0.42193)
chk.check(count(0.8, 0.8, *c0, 100, 4.0) == 2, "reference self-test: 0.8+0.8i should have count 2")
chk.check(count(0.0, 0.0, *c0, 100, 4.0) >= 10, "reference self-test: 0 should have count >= 10")
chk.check(count(3.0, 0.0, 0.0, 0.0, 50, 4.0) == 0, "reference self-test: 3+0i escapes at k=1 -> count 0")
chk.check(count(0.0, 0.0, 0.0, 0.0, 50, 4.0) == 50, "reference self-test: c=0 is interior")

JOBS = {
    "julia": ["--fractal", "julia", "--c-re", "-0.7269", "--c-im", "0.1869", "--c-im-increment", "0.002", "--frames", "3",
              "--xmin", "-0.6", "--xmax", "0.6", "--ymin", "-0.45", "--ymax", "0.45",
              "--width", "150", "--height", "110", "--strip-rows", "16", "--max-iter", "1000"],
    "mandel": ["--fractal", "mandelbrot", "--center-re", "-0.7453", "--center-im", "0.1127", "--view-width", "0.012",
               "--z0-re", "0.002", "--z0-im", "-0.001", "--escape-radius", "2.5", "--width", "140", "--height", "100",
               "--max-iter", "2000"],
}
rng = random.Random(20240611)
for job, opts in JOBS.items():
    path = os.path.join(args.work, job + ".h5")
    r = E.render(args, opts + ["-o", path], np=2, threads=2)
    print(f"{job}: rendered at -np 2 x 2 threads: exit {r.rc} in {r.secs:.2f} s")
    if not chk.ok_run(r, job):
        continue
    with h5py.File(path, "r") as h:
        frame = h["counts"].shape[0] - 1  # the last frame: the end of a sweep
        counts = h["counts"][frame]
        fr = {k: float(h["frames"][k][frame]) for k in ("xmin", "xmax", "ymin", "ymax", "c_re", "c_im")}
        max_iter = int(h["frames"]["max_iter"][frame])
        R = float(h["counts"].attrs["escape_radius"])
        fractal = h["counts"].attrs["fractal"]
        fractal = fractal.decode() if isinstance(fractal, bytes) else fractal
        z0 = (float(h["counts"].attrs["z0_re"]), float(h["counts"].attrs["z0_im"]))
    H, W = counts.shape
    r2 = R * R
    # The naive unfused arithmetic over the whole frame (numpy never contracts): pixels where it
    # disagrees with the file are exactly the ones that test the rounding contract.
    import numpy as np
    jj, ii = np.meshgrid(np.arange(W, dtype=np.float64), np.arange(H, dtype=np.float64))
    dx, dy = (fr["xmax"] - fr["xmin"]) / W, (fr["ymax"] - fr["ymin"]) / H
    px, py = fr["xmin"] + (jj + 0.5) * dx, fr["ymax"] - (ii + 0.5) * dy
    if fractal == "julia":
        x, y, cr, ci = px, py, np.full_like(px, fr["c_re"]), np.full_like(px, fr["c_im"])
    else:
        x, y, cr, ci = np.full_like(px, z0[0]), np.full_like(px, z0[1]), px, py
    naive = np.full(px.shape, max_iter, dtype=np.int64)
    alive = np.ones(px.shape, dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, max_iter + 1):
            x, y = (x * x + cr) - y * y, (x + x) * y + ci
            esc = alive & (x * x + y * y > r2)
            naive[esc] = k - 1
            alive &= ~esc
    sensitive = [tuple(p) for p in np.argwhere(naive != counts)]
    # 200 uniform pixels + 50 from the slow-escaping boundary band + up to 100 rounding-sensitive ones.
    every = [(i, j) for i in range(H) for j in range(W)]
    sample = rng.sample(every, 200)
    band = [(i, j) for (i, j) in every if max_iter // 10 <= counts[i, j] < max_iter]
    sample += rng.sample(band, min(50, len(band)))
    sample += rng.sample(sensitive, min(100, len(sensitive)))
    sample = list(dict.fromkeys(sample))
    chk.check(len(band) >= 50, f"{job}: only {len(band)} boundary pixels, the sample is too easy")
    print(f"{job}: the unfused arithmetic differs from the file on {len(sensitive)} of {W * H} pixels")
    bad, unfused_differs = [], 0
    for i, j in sample:
        x, y = pixel(fr, i, j, W, H)
        if fractal == "julia":
            zr, zi, cr, ci = x, y, fr["c_re"], fr["c_im"]
        else:
            zr, zi, cr, ci = z0[0], z0[1], x, y
        want = count(zr, zi, cr, ci, max_iter, r2)
        if want != int(counts[i, j]):
            bad.append(f"(frame {frame}, row {i}, col {j}) point {x!r},{y!r}: file {int(counts[i, j])}, expected {want}")
        if count(zr, zi, cr, ci, max_iter, r2, fused=False) != want:
            unfused_differs += 1
    chk.check(len(sensitive) == 0 or unfused_differs > 0,
              f"{job}: no sampled pixel distinguishes fused from unfused arithmetic")
    print(f"{job}: {len(sample)} pixels of frame {frame} ({W}x{H}, max_iter {max_iter}) recomputed: "
          f"{len(sample) - len(bad)} equal; the unfused reference differs on {unfused_differs} of them")
    chk.check(not bad, f"{job}: {len(bad)} of {len(sample)} recomputed counts differ:\n    " + "\n    ".join(bad[:40]))

chk.done()
