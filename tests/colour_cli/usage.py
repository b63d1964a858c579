"""Usage errors: exit 2 with exactly one stderr line (naming the option), no crash, nothing written.
--help exits 0."""
import os

from colour_lib import Ctx, is_signal_exit, listing, stderr_lines

ctx = Ctx()
h5 = ctx.render(ctx.path("julia.h5"), width=33, height=21, frames=3, max_iter=50)
out = ctx.path("out")

png = os.path.join(out, "x.png")
mp4 = os.path.join(out, "x.mp4")
webm = os.path.join(out, "x.webm")
cases = [
    # (label, args, a word the message must contain)
    ("unknown option", [h5, "--png-dir", out, "--no-such-option"], "no-such-option"),
    ("--cmap nonsense", [h5, "--png-dir", out, "--cmap", "nonsense"], "--cmap"),
    ("--cmap empty", [h5, "--png-dir", out, "--cmap", ""], "--cmap"),
    ("--norm nonsense", [h5, "--png-dir", out, "--norm", "nonsense"], "--norm"),
    ("--crf 99 (h264)", [h5, "--video", mp4, "--crf", "99"], "--crf"),
    ("--crf 52 (h264)", [h5, "--video", mp4, "--crf", "52"], "--crf"),
    ("--crf 64 (vp9)", [h5, "--video", webm, "--codec", "vp9", "--crf", "64"], "--crf"),
    ("--crf -1", [h5, "--video", mp4, "--crf", "-1"], "--crf"),
    ("--codec mpeg2", [h5, "--video", mp4, "--codec", "mpeg2"], "--codec"),
    ("--preset nonsense", [h5, "--video", mp4, "--preset", "nonsense"], "--preset"),
    ("--fps 0", [h5, "--video", mp4, "--fps", "0"], "--fps"),
    ("--fps nan", [h5, "--video", mp4, "--fps", "nan"], "--fps"),
    ("--downscale 0", [h5, "--png-dir", out, "--downscale", "0"], "--downscale"),
    ("--downscale x", [h5, "--png-dir", out, "--downscale", "x"], "--downscale"),
    ("--downscale -2", [h5, "--png-dir", out, "--downscale", "-2"], "--downscale"),
    ("--frames 5:2 (selects nothing)", [h5, "--png-dir", out, "--frames", "5:2"], "--frames"),
    ("--frames 3 (past the end)", [h5, "--png-dir", out, "--frames", "3"], "--frames"),
    ("--frames 7:9", [h5, "--png-dir", out, "--frames", "7:9"], "--frames"),
    ("--frames x", [h5, "--png-dir", out, "--frames", "x"], "--frames"),
    ("--frames 0:3:0", [h5, "--png-dir", out, "--frames", "0:3:0"], "--frames"),
    ("--frames 1:2:3:4", [h5, "--png-dir", out, "--frames", "1:2:3:4"], "--frames"),
    ("--frames -1", [h5, "--png-dir", out, "--frames", "-1"], "--frames"),
    ("--frames empty", [h5, "--png-dir", out, "--frames", ""], "--frames"),
    ("--interior nonsense", [h5, "--png-dir", out, "--interior", "#12345g"], "--interior"),
    ("--interior 256,0,0", [h5, "--png-dir", out, "--interior", "256,0,0"], "--interior"),
    ("--cycle-period 0", [h5, "--png-dir", out, "--norm", "cycle", "--cycle-period", "0"], "--cycle-period"),
    ("--png and --png-dir", [h5, "--png", png, "--png-dir", out, "--frames", "0"], "--png"),
    ("--cmap and --cmap-file", [h5, "--png-dir", out, "--cmap", "viridis", "--cmap-file", "/dev/null"], "--cmap"),
    ("nothing to do", [h5], "--png"),
    ("no input file", ["--png-dir", out], "input"),
    ("two input files", [h5, h5, "--png-dir", out], "input"),
    ("--png-dir without a value", [h5, "--png-dir"], "png-dir"),
    ("--png empty path", [h5, "--png", ""], "--png"),
]
for label, args, word in cases:
    p = ctx.colour(*args)
    lines = stderr_lines(p)
    ctx.check(not is_signal_exit(p.returncode), f"{label}: no crash (exit {p.returncode})")
    ctx.check(p.returncode == 2, f"{label}: exit 2 (got {p.returncode})")
    ctx.check(len(lines) == 1, f"{label}: exactly one stderr line (got {len(lines)}: {lines[:3]})")
    ctx.check(len(lines) == 1 and word in lines[0], f"{label}: the message mentions {word!r}")
    ctx.check(p.stdout.strip() == "", f"{label}: nothing on stdout ({p.stdout.strip()[:80]!r})")
    ctx.check(listing(out) == [], f"{label}: nothing written ({listing(out)})")

p = ctx.colour("--help")
ctx.check(p.returncode == 0 and "--png-dir" in p.stdout and "--cmap" in p.stdout and p.stderr.strip() == "",
          f"--help: exit 0, usage on stdout (got {p.returncode})")
ctx.finish()
