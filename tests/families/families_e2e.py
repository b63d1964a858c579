#!/usr/bin/env python3
"""Families and rotation, end to end: burning ship, tricorn and multibrot (d = 3, 5, 8), Julia- and
Mandelbrot-type, rotated and not. Each job is rendered at -np 3 with the best kernel and at -np 1 with
--kernel scalar (counts must be identical), and sampled pixels are recomputed here, independently,
from the per-frame values stored in the file with docs/FORMAT.md's arithmetic ("Families and
rotation"): exact fma via fractions.Fraction, so a wrong rounding anywhere shows."""
import math
import os
import random
import sys
from fractions import Fraction

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import e2e_lib as E  # noqa: E402

args = E.parse_args()
E.need_h5py()
import h5py  # noqa: E402
import numpy as np  # noqa: E402

chk = E.Checker("families")


def fma(a, b, c):
    """a*b + c rounded once (IEEE fusedMultiplyAdd); inf/NaN operands: the unfused result is the same."""
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        return a * b + c
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def step(fam, d, x, y, cx, cy):
    if fam == "multibrot" and d >= 3:
        a, b = x, y
        for _ in range(d - 1):
            a, b = fma(a, x, -(b * y)), fma(a, y, b * x)
        return a + cx, b + cy
    t = fma(x, x, cx)
    if fam == "burning-ship":
        yn = fma(abs(x) + abs(x), abs(y), cy)
    elif fam == "tricorn":
        yn = fma(-(x + x), y, cy)
    else:
        yn = fma(x + x, y, cy)
    return fma(-y, y, t), yn


def count(fam, d, zr, zi, cr, ci, max_iter, r2):
    x, y = zr, zi
    for k in range(1, max_iter + 1):
        x, y = step(fam, d, x, y, cr, ci)
        if fma(x, x, y * y) > r2:  # NaN > r2 is false, as in C++
            return k - 1
    return max_iter


def point(fr, i, j, W, H):
    dx = (fr["xmax"] - fr["xmin"]) / W
    dy = (fr["ymax"] - fr["ymin"]) / H
    px, py = fr["xmin"] + (j + 0.5) * dx, fr["ymax"] - (i + 0.5) * dy
    c, s = fr["rotation_cos"], fr["rotation_sin"]
    if c == 1.0 and s == 0.0:
        return px, py
    cx, cy = 0.5 * (fr["xmin"] + fr["xmax"]), 0.5 * (fr["ymin"] + fr["ymax"])
    u, v = px - cx, py - cy
    return cx + fma(c, u, -(s * v)), cy + fma(s, u, c * v)


# Self-tests of the reference: classic values from DESIGN.md; conj symmetry of the tricorn step.
chk.check(count("multibrot", 2, 0.8, 0.8, -0.62772, -0.42193, 100, 4.0) == 2, "reference: DESIGN.md example")
chk.check(count("tricorn", 2, 0.0, 0.0, 0.0, 0.0, 40, 4.0) == 40, "reference: tricorn c = 0 interior")
chk.check(count("multibrot", 3, 0.0, 0.0, 1.5, 0.0, 40, 4.0) == 1, "reference: z^3: 0 -> 1.5 -> 4.875")

SMALL = ["--width", "72", "--height", "54", "--strip-rows", "7", "--max-iter", "300"]
JOBS = {
    "ship-mandel": ["--fractal", "mandelbrot", "--family", "burning-ship", "--center-re", "-1.75",
                    "--center-im", "-0.03", "--view-width", "0.12"],
    "ship-julia-rot": ["--fractal", "julia", "--family", "burning-ship", "--c-re", "-1.4", "--c-im", "-0.05",
                       "--center-re", "0", "--center-im", "0", "--view-width", "3.2", "--rotation", "30"],
    "tricorn-mandel-rot": ["--fractal", "mandelbrot", "--family", "tricorn", "--center-re", "-0.3",
                           "--center-im", "0", "--view-width", "3.6", "--rotation", "237.5"],
    "tricorn-julia": ["--fractal", "julia", "--family", "tricorn", "--c-re", "-0.6", "--c-im", "0.3"],
    "multi3-mandel": ["--fractal", "mandelbrot", "--family", "multibrot", "--power", "3",
                      "--center-re", "0", "--center-im", "0.5", "--view-width", "1.2", "--escape-radius", "3"],
    "multi5-julia-rot": ["--fractal", "julia", "--power", "5", "--c-re", "0.54", "--c-im", "0.2",
                         "--rotation", "-75", "--view-width", "2.4", "--center-re", "0", "--center-im", "0"],
    "multi8-mandel": ["--fractal", "mandelbrot", "--power", "8", "--view-width", "2.8", "--center-re", "0",
                      "--center-im", "0"],
    "classic-mandel-rot": ["--fractal", "mandelbrot", "--center-re", "-0.75", "--center-im", "0.1",
                           "--view-width", "2.6", "--rotation", "45", "--frames", "2"],
}
rng = random.Random(7)
for job, opts in JOBS.items():
    fast = os.path.join(args.work, job + ".h5")
    ref = os.path.join(args.work, job + "-scalar.h5")
    r = E.render(args, opts + SMALL + ["-o", fast], np=3, threads=1)
    if not chk.ok_run(r, job + " at -np 3"):
        continue
    r = E.render(args, opts + SMALL + ["--kernel", "scalar", "-o", ref], np=1, threads=1)
    if not chk.ok_run(r, job + " scalar at -np 1"):
        continue
    with h5py.File(fast, "r") as h, h5py.File(ref, "r") as g:
        counts = h["counts"][...]
        chk.check(np.array_equal(counts, g["counts"][...]), f"{job}: -np 3 (best kernel) and -np 1 scalar differ")
        a = h["counts"].attrs
        fam = a["family"].decode() if isinstance(a["family"], bytes) else str(a["family"])
        d = int(a["power"]) if "power" in a else 2
        fractal = a["fractal"].decode() if isinstance(a["fractal"], bytes) else str(a["fractal"])
        R = float(a["escape_radius"])
        z0 = (float(a["z0_re"]), float(a["z0_im"]))
        f = counts.shape[0] - 1
        fr = {k: float(h["frames"][k][f]) for k in
              ("xmin", "xmax", "ymin", "ymax", "c_re", "c_im", "rotation_cos", "rotation_sin", "rotation")}
        max_iter = int(h["frames"]["max_iter"][f])
    want_fam = opts[opts.index("--family") + 1] if "--family" in opts else "multibrot"
    chk.check(fam == want_fam, f"{job}: family attribute {fam!r}, expected {want_fam!r}")
    frame = counts[f]
    H, W = frame.shape
    levels = len(np.unique(frame))
    chk.check(levels >= 8, f"{job}: only {levels} distinct counts: the view is too plain to test anything")
    every = [(i, j) for i in range(H) for j in range(W)]
    band = [(i, j) for (i, j) in every if 5 <= frame[i, j] < max_iter]
    sample = rng.sample(every, 40) + rng.sample(band, min(40, len(band)))
    bad = []
    for i, j in dict.fromkeys(sample):
        x, y = point(fr, i, j, W, H)
        zr, zi, cr, ci = (x, y, fr["c_re"], fr["c_im"]) if fractal == "julia" else (z0[0], z0[1], x, y)
        want = count(fam, d, zr, zi, cr, ci, max_iter, R * R)
        if want != int(frame[i, j]):
            bad.append(f"(row {i}, col {j}) point {x!r},{y!r}: file {int(frame[i, j])}, expected {want}")
    print(f"{job}: {fam} d={d} {fractal} rotation {fr['rotation']}: {len(set(sample))} pixels recomputed, "
          f"{len(bad)} differ; {levels} distinct counts")
    chk.check(not bad, f"{job}: recomputed counts differ:\n    " + "\n    ".join(bad[:20]))

chk.done()
