#!/usr/bin/python3
"""Colour + encode throughput of fractal-colour against the ffmpeg command-line tool.

Renders frames of reference workload 1's spiral job (1080x1080, 500 iterations; --frames N of
them), then times, in alternation, `--repeat` times each:
  A. fractal-colour IN.h5 --video OUT.mp4 (read HDF5 + colour + encode, h264 crf 18 preset medium)
  B. ffmpeg reading the same frames as raw RGB on stdin, same codec settings
     (the raw frames are fractal-colour's own PNG output, decoded once beforehand)
and prints the medians and the ratio B/A (the target is >= 0.9: we may be at most 10% slower).

  tools/bench/colour_vs_ffmpeg.py [--frames 60] [--repeat 3]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def run(cmd, **kw):
    p = subprocess.run(cmd, env=ENV, capture_output=True, **kw)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stdout.decode(errors='replace')}\n{p.stderr.decode(errors='replace')}")
    return p


def timed(cmd, **kw):
    t0 = time.perf_counter()
    run(cmd, **kw)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--crf", default="18")
    ap.add_argument("--preset", default="medium")
    a = ap.parse_args()
    render = os.path.join(ROOT, "build/fractal-render")
    colour = os.path.join(ROOT, "build/fractal-colour")
    with tempfile.TemporaryDirectory() as d:
        h5 = os.path.join(d, "spiral.h5")
        run(["mpirun", "-np", "2", "--oversubscribe", render, os.path.join(ROOT, "configs/w1-julia-spiral-60s-1080px.cfg"),
             "--duration", str(a.frames / 30), "-o", h5])
        pngs = os.path.join(d, "png")
        run([colour, h5, "--png-dir", pngs, "--cmap", "viridis"])
        import matplotlib.image as mpimg  # Debian's python3-matplotlib
        import numpy as np
        raw = os.path.join(d, "frames.rgb")
        with open(raw, "wb") as out:
            for name in sorted(os.listdir(pngs)):
                img = mpimg.imread(os.path.join(pngs, name))  # float [0, 1]
                out.write(np.round(img[:, :, :3] * 255).astype(np.uint8).tobytes())
        h, w = img.shape[:2]
        ours, theirs = [], []
        for _ in range(a.repeat):
            ours.append(timed([colour, h5, "--video", os.path.join(d, "a.mp4"), "--overwrite", "--cmap", "viridis",
                               "--crf", a.crf, "--preset", a.preset]))
            with open(raw, "rb") as stdin:
                theirs.append(timed(["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
                                     "-s", f"{w}x{h}", "-r", "30", "-i", "-", "-c:v", "libx264", "-crf", a.crf,
                                     "-preset", a.preset, "-pix_fmt", "yuv420p", os.path.join(d, "b.mp4")], stdin=stdin))
        mo, mt = statistics.median(ours), statistics.median(theirs)
        print(f"{a.frames} frames of {w}x{h}, h264 crf {a.crf} preset {a.preset}, {a.repeat} runs each (medians)")
        print(f"  fractal-colour (read + colour + encode): {mo:.2f} s = {a.frames / mo:.1f} frames/s")
        print(f"  ffmpeg CLI (raw RGB on stdin + encode):  {mt:.2f} s = {a.frames / mt:.1f} frames/s")
        print(f"  throughput ratio fractal-colour / ffmpeg: {mt / mo:.3f} (target >= 0.9)")
        print("  runs: ours " + " ".join(f"{t:.2f}" for t in ours) + "; ffmpeg " + " ".join(f"{t:.2f}" for t in theirs))


if __name__ == "__main__":
    main()
