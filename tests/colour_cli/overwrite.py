"""Existing outputs are refused without --overwrite (exit 2, one line, file unchanged) and replaced
with it; a successful run leaves no *.partial file. For --png, --png-dir and --video."""
import os
import time

from colour_lib import Ctx, listing, partial_files, read_png, stderr_lines

ctx = Ctx()
h5 = ctx.render(ctx.path("julia.h5"), width=33, height=21, frames=3, max_iter=50)
SENTINEL = b"not a png: must survive a refused run\n"


def plant(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(SENTINEL)
    old = time.time() - 1000
    os.utime(path, (old, old))
    return os.stat(path).st_mtime_ns


def unchanged(path, mtime):
    with open(path, "rb") as f:
        return f.read() == SENTINEL and os.stat(path).st_mtime_ns == mtime


def is_png(path):
    try:
        return read_png(path)[0].shape == (21, 33, 3)
    except (OSError, ValueError):
        return False


def is_video(path):
    with open(path, "rb") as f:
        head = f.read(64)
    return (b"ftyp" in head or head[:4] == b"\x1a\x45\xdf\xa3") and os.path.getsize(path) > 200


cases = [
    ("--png", ctx.path("png", "one.png"), ["--frames", "1"], is_png),
    ("--png-dir", ctx.path("dir", "frame_00002.png"), [], is_png),
    ("--video", ctx.path("mp4", "v.mp4"), [], is_video),
    ("--video vp9", ctx.path("webm", "v.webm"), ["--codec", "vp9"], is_video),
]
for opt, target, extra, valid in cases:
    mtime = plant(target)
    outdir = os.path.dirname(target)
    arg = outdir if opt == "--png-dir" else target
    flag = opt.split()[0]
    before = listing(outdir)
    p = ctx.colour(h5, flag, arg, *extra)
    lines = stderr_lines(p)
    ctx.check(p.returncode == 2, f"{opt} onto an existing file: exit 2 (got {p.returncode})")
    ctx.check(len(lines) == 1 and "overwrite" in lines[0], f"{opt}: one stderr line mentioning --overwrite ({lines})")
    ctx.check(unchanged(target, mtime), f"{opt}: existing {os.path.basename(target)} unchanged (bytes and mtime)")
    ctx.check(listing(outdir) == before, f"{opt}: nothing else written ({listing(outdir)})")

    p = ctx.colour(h5, flag, arg, *extra, "--overwrite")
    ctx.check(p.returncode == 0, f"{opt} --overwrite: exit 0 (got {p.returncode}: {p.stderr.strip()})")
    ctx.check(valid(target), f"{opt} --overwrite: {os.path.basename(target)} replaced by a valid output")
    ctx.check(not any(n.endswith(".partial") for n in listing(outdir)), f"{opt} --overwrite: no *.partial left ({listing(outdir)})")
    if opt == "--png-dir":
        ctx.check(listing(outdir) == [f"frame_{i:05d}.png" for i in range(3)], f"--png-dir --overwrite: all 3 frames ({listing(outdir)})")

    # Once written, a second run without --overwrite is refused again and keeps the good output.
    with open(target, "rb") as f:
        good = f.read()
    p = ctx.colour(h5, flag, arg, *extra)
    with open(target, "rb") as f:
        ctx.check(p.returncode == 2 and f.read() == good, f"{opt}: rerun without --overwrite refused, output kept ({p.returncode})")

# --png-dir: one existing frame among several blocks the whole run (nothing written).
d = ctx.path("dir2")
mtime = plant(os.path.join(d, "frame_00001.png"))
p = ctx.colour(h5, "--png-dir", d)
ctx.check(p.returncode == 2 and listing(d) == ["frame_00001.png"] and unchanged(os.path.join(d, "frame_00001.png"), mtime),
          f"--png-dir with frame 1 existing: exit 2, no frame written ({p.returncode}, {listing(d)})")
# ...but a selection that avoids it is fine.
p = ctx.colour(h5, "--png-dir", d, "--frames", "2")
ctx.check(p.returncode == 0 and listing(d) == ["frame_00001.png", "frame_00002.png"],
          f"--png-dir --frames 2 beside an existing frame 1: exit 0 ({p.returncode}, {listing(d)})")

# A fresh successful run of every kind leaves no *.partial anywhere.
fresh = ctx.path("fresh")
p = ctx.colour(h5, "--png-dir", os.path.join(fresh, "d"), "--video", os.path.join(fresh, "v.mp4"))
ctx.check(p.returncode == 0 and len(listing(os.path.join(fresh, "d"))) == 3 and os.path.isfile(os.path.join(fresh, "v.mp4")),
          f"--png-dir and --video together: exit 0, both written ({p.returncode})")
ctx.check(partial_files(ctx.work) == [], f"no *.partial file anywhere ({partial_files(ctx.work)})")
ctx.finish()
