"""--downscale 2 on a 2x-supersampled render == the mean of 2x2 blocks of the full-resolution PNG.

fractal-colour averages the float colours before quantising, the test averages the quantised full
resolution PNG: the two differ by at most 1/255 (0.5 from the test's quantised input, 0.5 from
the output's rounding). A block that is one colour must come out exactly that colour. Also:
--downscale that does not divide the size is a usage error."""
import os

import numpy as np

from colour_lib import Ctx, get_cmap, listing, read_counts, read_png, stderr_lines

ctx = Ctx()
# 2x supersampling of a 33x21 image: 66x42 over the same view.
h5 = ctx.render(ctx.path("ss2.h5"), width=66, height=42, frames=2, max_iter=50)
counts, max_iter, _fps = read_counts(h5)

for label, opts in (("viridis-linear", ["--cmap", "viridis"]),
                    ("twilight_shifted-log", ["--cmap", "twilight_shifted", "--norm", "log", "--interior", "white"])):
    full, small = ctx.path(label + "-full"), ctx.path(label + "-ds2")
    p1 = ctx.colour(h5, "--png-dir", full, *opts)
    p2 = ctx.colour(h5, "--png-dir", small, "--downscale", "2", *opts)
    ctx.check(p1.returncode == 0 and p2.returncode == 0, f"{label}: both runs exit 0 ({p1.returncode}, {p2.returncode})")
    for n in listing(full):
        fp, sp = os.path.join(full, n), os.path.join(small, n)
        if not ctx.check(os.path.isfile(sp), f"{label}: {n} exists downscaled"):
            continue
        a = read_png(fp)[0].astype(np.float64)
        b = read_png(sp)[0].astype(np.float64)
        ctx.check(a.shape == (42, 66, 3) and b.shape == (21, 33, 3), f"{label} {n}: sizes {a.shape} -> {b.shape}")
        if b.shape != (21, 33, 3):
            continue
        blocks = a.reshape(21, 2, 33, 2, 3)
        mean = blocks.mean(axis=(1, 3))
        diff = np.abs(b - mean)
        ctx.check(diff.max() <= 1.0 + 1e-9, f"{label} {n}: max |downscaled - block mean| = {diff.max():.3f} <= 1/255")
        uniform = np.all(blocks == blocks[:, :1, :, :1, :], axis=(1, 3, 4))
        ctx.check(uniform.any() and np.array_equal(b[uniform], mean[uniform]),
                  f"{label} {n}: the {int(uniform.sum())} one-colour blocks keep their colour exactly")
        if label == "viridis-linear":
            # Independently from the counts: the mean of the 4 float colours, then round(v * 255).
            f = int(n[6:11])
            cm = get_cmap("viridis")
            rgb = np.asarray(cm(counts[f] / float(max_iter[f])))[..., :3]
            rgb[counts[f] >= max_iter[f]] = np.asarray(cm(1.0))[:3]
            exp = np.round(rgb.reshape(21, 2, 33, 2, 3).mean(axis=(1, 3)) * 255.0)
            d2 = np.abs(b - exp)
            ctx.check(d2.max() <= 1.0, f"{label} {n}: max |downscaled - mean of float colours| = {d2.max():g} <= 1/255"
                                       f" ({int((d2 > 0).sum())} channels off by 1)")
        ctx.check((~uniform).sum() > 10, f"{label} {n}: {(~uniform).sum()} mixed blocks are tested")

# Not dividing the size: 66x42 / 4 -> usage error, nothing written.
d = ctx.path("ds4")
p = ctx.colour(h5, "--png-dir", d, "--downscale", "4")
ctx.check(p.returncode == 2 and len(stderr_lines(p)) == 1, f"--downscale 4 on 66x42: exit 2 with one line (got {p.returncode}, {len(stderr_lines(p))})")
ctx.check(listing(d) == [], f"--downscale 4: no PNG written ({listing(d)})")
ctx.finish()
