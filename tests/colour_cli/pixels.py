"""PNG pixels equal colours computed independently in Python from the file's counts.

Renders a tiny Julia sweep, colours it with fractal-colour (linear/viridis, log/twilight_shifted,
linear/viridis with --interior '#ff0000', and a reversed map) and compares every pixel of every
frame with matplotlib's colormap applied to count/max_iter (or log1p), interior = cmap(1.0) unless
--interior; at most 1/255 per channel apart."""
import os

import numpy as np

from colour_lib import Ctx, expected_frames, hex_colour, listing, max_diff_any, partial_files, read_counts, read_png

ctx = Ctx()
h5 = ctx.render(ctx.path("julia.h5"), width=33, height=21, frames=3, max_iter=50)
counts, max_iter, _fps = read_counts(h5)
F, H, W = counts.shape

# The input must exercise the colouring: interior and exterior pixels, many distinct counts.
interior = int((counts == max_iter[:, None, None]).sum())
ctx.check(counts.shape == (3, 21, 33), f"/counts shape {counts.shape} == (3, 21, 33)")
ctx.check(0 < interior < counts.size, f"the input has interior ({interior}) and exterior pixels")
ctx.check(len(np.unique(counts)) >= 10, f"the input has {len(np.unique(counts))} >= 10 distinct counts")

cases = [
    ("viridis-linear", ["--cmap", "viridis", "--norm", "linear"], "viridis", "linear", None),
    ("twilight_shifted-log", ["--cmap", "twilight_shifted", "--norm", "log"], "twilight_shifted", "log", None),
    ("viridis-interior-red", ["--cmap", "viridis", "--norm", "linear", "--interior", "#ff0000"], "viridis", "linear",
     hex_colour("#ff0000")),
    ("magma_r-log", ["--cmap", "magma_r", "--norm", "log"], "magma_r", "log", None),
]
names = [f"frame_{i:05d}.png" for i in range(F)]
for label, opts, cmap, norm, interior_rgb in cases:
    d = ctx.path(label)
    p = ctx.colour(h5, "--png-dir", d, *opts)
    if not ctx.check(p.returncode == 0, f"{label}: exit 0 (got {p.returncode}: {p.stderr.strip()})"):
        continue
    ctx.check(listing(d) == names, f"{label}: files {listing(d)} == {names}")
    expected = expected_frames(counts, max_iter, cmap, norm, interior_rgb)
    for f in range(F):
        fp = os.path.join(d, names[f])
        if not os.path.isfile(fp):
            continue
        try:
            png, chunks = read_png(fp)
        except ValueError as e:
            ctx.check(False, f"{label} frame {f}: decodes ({e})")
            continue
        ctx.check(png.shape == (H, W, 3) and png.dtype == np.uint8,
                  f"{label} frame {f}: 8-bit RGB {W}x{H} (got {png.shape} {png.dtype})")
        if png.shape != (H, W, 3):
            continue
        worst, per_px = max_diff_any(png, expected[f])
        bad = np.argwhere(per_px > 1)
        detail = ""
        if len(bad):
            y, x = bad[0]
            detail = (f"; first at row {y} col {x}: count {counts[f, y, x]}, png {tuple(png[y, x])}, "
                      f"expected {tuple(int(v) for v in expected[f][0][y, x])}")
        ctx.check(worst <= 1, f"{label} frame {f}: max channel difference {worst:g} <= 1/255 "
                              f"({len(bad)} pixels off){detail}")
        if interior_rgb is not None:
            mask = counts[f] == max_iter[f]
            ctx.check(bool(np.all(png[mask] == [255, 0, 0])), f"{label} frame {f}: interior pixels exactly #ff0000")
        if label == "viridis-linear" and f == 0:
            # Cross-check the decoder with matplotlib's own PNG reader.
            import matplotlib.image
            mpl = np.round(matplotlib.image.imread(fp)[..., :3] * 255).astype(np.uint8)
            ctx.check(np.array_equal(mpl, png), f"{label} frame 0: matplotlib.image.imread agrees with the decoder")
    ctx.check(partial_files(d) == [], f"{label}: no *.partial file left")

# --png16: the same colours at 16 bits, round(v * 65535); within 1/255 of the 8-bit expectation.
d16 = ctx.path("png16")
p = ctx.colour(h5, "--png-dir", d16, "--cmap", "viridis", "--norm", "linear", "--png16", "--frames", "1")
if ctx.check(p.returncode == 0, f"--png16: exit 0 (got {p.returncode})") and os.path.isfile(os.path.join(d16, names[1])):
    png, _ = read_png(os.path.join(d16, names[1]))
    exp = expected_frames(counts, max_iter, "viridis", "linear")[1]
    ctx.check(png.dtype == np.uint16 and png.shape == (H, W, 3), f"--png16: 16-bit RGB (got {png.dtype} {png.shape})")
    worst = min(float(np.abs(png.astype(np.float64) / 257.0 - c).max()) for c in exp)
    ctx.check(worst <= 1, f"--png16: max channel difference {worst:.3f} <= 1/255")
    ctx.check(len(np.unique(png % 257)) > 1, "--png16: uses the low bits (not just 8-bit values * 257)")

# Frames really differ (the sweep moves c), and colours are not all one value.
d = ctx.path("viridis-linear")
if len(listing(d)) == 3:
    a, _ = read_png(os.path.join(d, names[0]))
    b, _ = read_png(os.path.join(d, names[2]))
    ctx.check(not np.array_equal(a, b), "frames 0 and 2 differ")
    ctx.check(len(np.unique(a.reshape(-1, 3), axis=0)) >= 10, "frame 0 has >= 10 distinct colours")

ctx.finish()
