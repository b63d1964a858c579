"""The same options twice give byte-identical PNG files (also with 1 vs 2 OpenMP threads).

PNGs carry no time stamp (no tIME chunk), so identical images must be identical files."""
import filecmp
import os

from colour_lib import Ctx, listing, read_png

ctx = Ctx()
h5 = ctx.render(ctx.path("julia.h5"), width=34, height=22, frames=3, max_iter=60)

option_sets = [
    ["--cmap", "viridis", "--norm", "linear"],
    ["--cmap", "twilight_shifted", "--norm", "log", "--interior", "#123456"],
    ["--cmap", "inferno", "--norm", "histogram", "--downscale", "2"],
    ["--cmap", "turbo", "--norm", "cycle", "--cycle-period", "16", "--cycle-speed", "3", "--png16"],
]
for k, opts in enumerate(option_sets):
    runs = []
    for r, threads in enumerate((1, 1, 2)):
        d = ctx.path(f"set{k}_run{r}")
        p = ctx.colour(h5, "--png-dir", d, *opts, threads=threads)
        ctx.check(p.returncode == 0, f"{' '.join(opts)} run {r} ({threads} threads): exit 0 (got {p.returncode})")
        runs.append(d)
    files = listing(runs[0])
    ctx.check(len(files) == 3, f"{' '.join(opts)}: 3 files ({files})")
    for r in (1, 2):
        ctx.check(listing(runs[r]) == files, f"{' '.join(opts)} run {r}: same file names")
        for n in files:
            a, b = os.path.join(runs[0], n), os.path.join(runs[r], n)
            ctx.check(os.path.isfile(b) and filecmp.cmp(a, b, shallow=False),
                      f"{' '.join(opts)} run {r}: {n} byte-identical to run 0")
    for n in files:
        _px, chunks = read_png(os.path.join(runs[0], n))
        ctx.check("tIME" not in chunks, f"{' '.join(opts)}: {n} has no tIME chunk ({chunks})")

# A single --png equals the same frame from --png-dir, byte for byte.
out = ctx.path("single.png")
p = ctx.colour(h5, "--png", out, "--frames", "2", *option_sets[0])
ctx.check(p.returncode == 0 and os.path.isfile(out) and
          filecmp.cmp(out, os.path.join(ctx.path("set0_run0"), "frame_00002.png"), shallow=False),
          "--png --frames 2 is byte-identical to --png-dir's frame_00002.png")
ctx.finish()
