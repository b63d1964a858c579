"""--frames A:B[:STEP] / N selects exactly the right frames; --png needs exactly one frame.

A 7-frame file: each selection's --png-dir must hold exactly the selected frame_NNNNN.png files,
each with the right frame's pixels (compared with the full run). --png with several frames
selected is a usage error (exit 2, one stderr line, no file); --png with --frames N writes
exactly frame N."""
import os

import numpy as np

from colour_lib import Ctx, listing, partial_files, read_png, stderr_lines

ctx = Ctx()
h5 = ctx.render(ctx.path("seven.h5"), width=16, height=10, frames=7, max_iter=40)


def names(idx):
    return [f"frame_{i:05d}.png" for i in idx]


full = ctx.path("all")
p = ctx.colour(h5, "--png-dir", full)
ctx.check(p.returncode == 0 and listing(full) == names(range(7)), f"no --frames: all 7 frames ({listing(full)})")
ref = {i: read_png(os.path.join(full, n))[0] for i, n in enumerate(names(range(7))) if os.path.isfile(os.path.join(full, n))}
ctx.check(len(ref) == 7 and not np.array_equal(ref[0], ref[6]), "the 7 reference frames exist and differ")

selections = [
    ("1:6:2", [1, 3, 5]),
    ("0:7:3", [0, 3, 6]),
    (":3", [0, 1, 2]),
    ("4:", [4, 5, 6]),
    ("::2", [0, 2, 4, 6]),
    ("5:100", [5, 6]),
    ("2:3", [2]),
    ("6", [6]),
    ("0", [0]),
]
for k, (spec, idx) in enumerate(selections):
    d = ctx.path(f"sel{k}")
    p = ctx.colour(h5, "--png-dir", d, "--frames", spec)
    ctx.check(p.returncode == 0, f"--frames {spec}: exit 0 (got {p.returncode}: {p.stderr.strip()})")
    ctx.check(listing(d) == names(idx), f"--frames {spec}: files {listing(d)} == {names(idx)}")
    for i in idx:
        fp = os.path.join(d, f"frame_{i:05d}.png")
        if os.path.isfile(fp) and i in ref:
            ctx.check(np.array_equal(read_png(fp)[0], ref[i]), f"--frames {spec}: frame_{i:05d}.png holds frame {i}")

# --png with more than one frame selected: usage error, nothing written.
for spec in (None, "0:2", "1:7:3"):
    out = ctx.path(f"multi_{spec or 'all'}.png".replace(":", "_"))
    args = ["--png", out] + (["--frames", spec] if spec else [])
    p = ctx.colour(h5, *args)
    lines = stderr_lines(p)
    ctx.check(p.returncode == 2, f"--png with --frames {spec}: exit 2 (got {p.returncode})")
    ctx.check(len(lines) == 1, f"--png with --frames {spec}: exactly one stderr line (got {len(lines)})")
    ctx.check(not os.path.exists(out) and not os.path.exists(out + ".partial"), f"--png with --frames {spec}: no file written")

# --png with one frame selected writes exactly that frame.
for spec in ("1", "3:4", "5:6:9"):
    i = int(spec.split(":")[0])
    d = ctx.path(f"one_{spec.replace(':', '_')}")
    os.makedirs(d)
    out = os.path.join(d, "one.png")
    p = ctx.colour(h5, "--png", out, "--frames", spec)
    ctx.check(p.returncode == 0, f"--png --frames {spec}: exit 0 (got {p.returncode}: {p.stderr.strip()})")
    ctx.check(listing(d) == ["one.png"], f"--png --frames {spec}: exactly one file ({listing(d)})")
    if os.path.isfile(out) and i in ref:
        ctx.check(np.array_equal(read_png(out)[0], ref[i]), f"--png --frames {spec}: holds frame {i}")

# A one-frame file needs no --frames for --png.
h1 = ctx.render(ctx.path("single.h5"), width=16, height=10, frames=1, max_iter=40)
out = ctx.path("single.png")
p = ctx.colour(h1, "--png", out)
ctx.check(p.returncode == 0 and os.path.isfile(out), f"--png on a 1-frame file: exit 0 and written (got {p.returncode})")

ctx.check(partial_files(ctx.work) == [], "no *.partial file left")
ctx.finish()
