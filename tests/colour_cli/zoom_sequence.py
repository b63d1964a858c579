"""Exponential map (issue 15): fractal-render --zoom-sequence and fractal-colour composing a zoom.

Renders a real zoom into seahorse valley, width 4 -> 1e-9 (perturbation in the later keyframes), as a
zoom sequence (ratio 2, oversize = --supersample 2: 33 keyframes of 192x108 samples for a 96x54
video), and the same zoom directly, frame by frame (257 frames of the same widths, --supersample 2).
Checks, from the outside:
- the file records the sequence (ratio, keyframes, oversize, duration) and keyframe k's width is
  4 / 2^k (/frames/view_width);
- the composed video (--duration so that video frame j sits at z = j / 8 keyframe steps) has the
  frames asked for (PNGs, and an MP4 by ffprobe);
- no jump at a keyframe hand-over: the change between consecutive composed frames at a hand-over
  (j = 8m - 1 -> 8m) is no larger than the changes next to it (against the mean of the two changes
  either side: median below 1.06x, max below 1.22x; measured 1.01x and 1.13x; a 10% zoom-speed
  error inside the steps gives 1.10x and 1.28x and fails);
- composed frames look like the directly rendered ones (the same --norm smooth-log colouring, an
  absolute function of the smooth value at a fixed max_iter): mean absolute difference per frame
  (0..255 levels) median below 1.5 and at most 6.5 (measured 1.07 and 4.8), and no seam: the difference in a band around the fine keyframe's edge is
  not larger than over the frame;
- refusals: --frames with --zoom-sequence, --zoom-sequence without an end, --keyframes on a file
  that is not a sequence (exit 2, one line).
The figures (differences, rendering sizes) are printed.
"""
import os
import subprocess

import numpy as np

from colour_lib import Ctx, read_png, stderr_lines

ctx = Ctx()
CENTRE = ["--fractal", "mandelbrot", "--center-re", "-0.743643887037151", "--center-im", "0.131825904205330"]
W, H, S, K, STEPS = 96, 54, 2, 32, 8          # video size, oversize, keyframe steps, video frames per step
M = K * STEPS + 1                              # video frames: z = j / STEPS
COMMON = CENTRE + ["--view-width", "4", "--width", str(W), "--height", str(H), "--max-iter", "2000", "--smooth",
                   "--supersample", str(S)]


def render(name, *opts):
    out = ctx.path(name + ".h5")
    p = ctx.run([ctx.render_bin, *COMMON, *opts, "-o", out], timeout=300, threads=2)
    if p.returncode != 0 or not os.path.isfile(out):
        print(p.stdout, p.stderr)
        raise SystemExit(f"FAIL: could not render {out} (exit {p.returncode})")
    return out, p.stdout


END = "9.31322574615478515625e-10"  # 4 / 2^32 exactly: the video's frames j = 8m are keyframes
seq, log = render("seq", "--end-view-width", END, "--zoom-sequence", "2")
direct, _ = render("direct", "--end-view-width", END, "--frames", str(M))
short, _ = render("short", "--end-view-width", "1e-9", "--zoom-sequence", "2")  # ends 31.9 steps in

import h5py  # noqa: E402

with h5py.File(seq, "r") as f:
    a = f["counts"].attrs
    ctx.check(float(a["zoom_sequence_ratio"]) == 2.0 and int(a["zoom_sequence_keyframes"]) == K + 1 and
              int(a["zoom_sequence_oversize"]) == S and f["counts"].shape == (K + 1, H * S, W * S),
              f"sequence attributes: ratio {a['zoom_sequence_ratio']}, keyframes {a['zoom_sequence_keyframes']}, "
              f"oversize {a['zoom_sequence_oversize']}, /counts {f['counts'].shape}")
    widths = [float(v.decode() if isinstance(v, bytes) else v) for v in f["frames"]["view_width"][...]]
    rel = max(abs(w / (4.0 / 2 ** k) - 1) for k, w in enumerate(widths))
    ctx.check(rel < 1e-15, f"keyframe k has width 4 / 2^k (largest relative error {rel:.2e})")
    ctx.check(abs(float(a["zoom_sequence_steps"]) - K) < 1e-9, f"zoom_sequence_steps {a['zoom_sequence_steps']} == {K}")
    methods = list(f["frames"]["method"][...])
    ctx.check(methods[0] == 0 and methods[-1] == 1, f"keyframes: double first, perturbation last ({methods[0]}..{methods[-1]})")

fps = 30
duration = f"{M / fps:.6f}"
colour = ["--norm", "smooth-log", "--cmap", "viridis"]
p = ctx.colour(seq, "--png-dir", ctx.path("composed"), "--duration", duration, "--fps", str(fps), *colour, timeout=300, threads=2)
ctx.check(p.returncode == 0, f"compose {M} frames: exit {p.returncode} {p.stderr.strip()[:300]}")
p = ctx.colour(direct, "--png-dir", ctx.path("direct"), *colour, timeout=300, threads=2)
ctx.check(p.returncode == 0, f"colour the direct zoom: exit {p.returncode} {p.stderr.strip()[:300]}")
names = sorted(os.listdir(ctx.path("composed")))
ctx.check(len(names) == M, f"{len(names)} composed PNGs for {M} video frames")
C = np.stack([read_png(ctx.path("composed", n))[0].astype(np.float64) for n in names])
D = np.stack([read_png(ctx.path("direct", n))[0].astype(np.float64) for n in sorted(os.listdir(ctx.path("direct")))])
ctx.check(C.shape == D.shape == (M, H, W, 3), f"composed {C.shape} and direct {D.shape} frames are {M} x {H}x{W}")

# Temporal continuity: hand-overs no worse than the steps within a keyframe step.
step = np.abs(np.diff(C, axis=0)).mean(axis=(1, 2, 3))  # step[j]: frame j -> j + 1
hand = [j for j in range(M - 1) if (j + 1) % STEPS == 0]
inside = [j for j in range(M - 1) if (j + 1) % STEPS != 0]
print(f"FIGURE consecutive composed frames: mean |change| within steps median {np.median(step[inside]):.2f}, "
      f"max {step[inside].max():.2f}; at hand-overs median {np.median(step[hand]):.2f}, max {step[hand].max():.2f} levels")
# Locally: a hand-over's change against the two changes either side of it (the zoom's own detail
# varies along it).
local = [step[j] / np.mean([step[j - 2], step[j - 1], step[j + 1], step[j + 2]]) for j in hand if 2 <= j < M - 3]
print(f"FIGURE hand-over change / its neighbours' mean: median {np.median(local):.3f}, max {max(local):.3f}")
ctx.check(np.median(local) < 1.06 and max(local) < 1.22,
          f"no jump at a hand-over: hand-over change x{np.median(local):.3f} (median), x{max(local):.3f} (max) its neighbours'")
dstep = np.abs(np.diff(D, axis=0)).mean(axis=(1, 2, 3))
print(f"FIGURE consecutive direct frames: mean |change| median {np.median(dstep):.2f}, max {dstep.max():.2f} levels")

# Composed vs direct, and the fine keyframe's edge.
diff = np.abs(C - D).mean(axis=3)  # [M, H, W]
per_frame = diff.mean(axis=(1, 2))
print(f"FIGURE composed vs direct: mean |difference| per frame median {np.median(per_frame):.2f}, "
      f"max {per_frame.max():.2f} (frame {int(per_frame.argmax())}) levels of 255")
ctx.check(np.median(per_frame) < 1.5 and per_frame.max() < 6.5,
          f"composed frames look like the direct ones (median {np.median(per_frame):.2f}, max {per_frame.max():.2f})")
band_mean, all_mean = [], []
yy, xx = np.mgrid[0:H, 0:W]
for j in range(M - 1):
    a = (j % STEPS) / STEPS
    if not 0.25 <= a <= 0.75:
        continue
    sf = 2.0 ** (1 - a)
    r = 2 * np.maximum(np.abs((xx + 0.5) / W - 0.5), np.abs((yy + 0.5) / H - 0.5)) * sf
    ring = np.abs(r - 1) < 2.0 * sf / W * 2  # about two video pixels either side of the fine edge
    band_mean.append(diff[j][ring].mean())
    all_mean.append(diff[j].mean())
ratio = float(np.mean(band_mean) / max(np.mean(all_mean), 1e-9))
print(f"FIGURE difference at the fine keyframe's edge {np.mean(band_mean):.2f} vs the frame {np.mean(all_mean):.2f} levels (x{ratio:.2f})")
ctx.check(ratio < 1.6, f"no seam at the fine keyframe's edge (x{ratio:.2f} of the frame's difference)")

# A sequence whose end lies between keyframes: 33 keyframes (the last narrower than asked), and the
# video ends at the width asked for: its last frame is resampled from keyframes 31 and 32.
with h5py.File(short, "r") as f:
    steps = float(f["counts"].attrs["zoom_sequence_steps"])
    ctx.check(f["counts"].shape[0] == K + 1 and abs(steps - np.log2(4e9)) < 1e-9,
              f"1e-9: {f['counts'].shape[0]} keyframes, zoom_sequence_steps {steps} (log2(4e9) = {np.log2(4e9):.6f})")
p = ctx.colour(short, "--png", ctx.path("short-last.png"), "--frames", str(M - 1), "--duration", duration, "--fps", str(fps),
               *colour, timeout=120, threads=2)
if ctx.check(p.returncode == 0, f"compose the last frame of the 1e-9 zoom: exit {p.returncode} {p.stderr.strip()[:200]}"):
    last = read_png(ctx.path("short-last.png"))[0].astype(np.float64)
    # the direct zoom's frame of the nearest width (z = 31.9 steps: frame 255 of 257 sits at 31.875)
    d_near = np.abs(last - D[255]).mean()
    d_end = np.abs(last - D[M - 1]).mean()
    print(f"FIGURE 1e-9 zoom's last composed frame vs direct frames at z = 31.875 / 32: {d_near:.2f} / {d_end:.2f} levels")
    ctx.check(d_near < d_end, "the 1e-9 zoom ends at 1e-9 (nearer the direct frame of that width than the last keyframe)")

# A video of the composition.
mp4 = ctx.path("zoom.mp4")
p = ctx.colour(seq, "--video", mp4, "--duration", "2", "--fps", "24", timeout=300, threads=2)
ctx.check(p.returncode == 0, f"compose a video: exit {p.returncode} {p.stderr.strip()[:200]}")
q = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=width,height,nb_read_frames,r_frame_rate",
                    "-of", "csv=p=0", mp4], capture_output=True, text=True)
ctx.check(q.stdout.strip() == f"{W},{H},24/1,48", f"ffprobe of the composed video: {q.stdout.strip()!r} (want {W},{H},24/1,48)")

# --print-config round trip: the resolved configuration of a sequence reproduces it.
for name, extra in (("seq", ["--end-view-width", "1e-9", "--zoom-sequence", "2"]),
                    ("zoom", ["--end-zoom", "5e8", "--frames", "7", "--max-iter-growth", "100"])):
    p1 = ctx.run([ctx.render_bin, *COMMON, *extra, "--print-config"])
    cfg = ctx.path(name + "-resolved.cfg")
    open(cfg, "w").write(p1.stdout)
    p2 = ctx.run([ctx.render_bin, cfg, "--print-config"])
    ctx.check(p1.returncode == 0 and p2.returncode == 0 and p1.stdout == p2.stdout and "end-" in p1.stdout,
              f"{name}: --print-config round trip (exit {p1.returncode}, {p2.returncode}; {p2.stderr.strip()[:200]})")

# Refusals: exit 2, one line naming the option.
for what, cmd, needle in [
    ("--frames with --zoom-sequence", [ctx.render_bin, *COMMON, "--end-view-width", "1e-3", "--zoom-sequence", "2",
                                       "--frames", "5", "-o", ctx.path("bad1.h5")], "--frames"),
    ("--zoom-sequence without an end", [ctx.render_bin, *COMMON, "--zoom-sequence", "2", "-o", ctx.path("bad2.h5")],
     "--zoom-sequence"),
    ("--zoom-sequence 1", [ctx.render_bin, *COMMON, "--end-view-width", "1e-3", "--zoom-sequence", "1",
                           "-o", ctx.path("bad3.h5")], "--zoom-sequence"),
    ("--keyframes on a plain zoom", [ctx.colour_bin, direct, "--keyframes", "--png", ctx.path("bad.png")], "--keyframes"),
    ("--duration on a plain zoom", [ctx.colour_bin, direct, "--duration", "2", "--png-dir", ctx.path("badd")], "--duration"),
]:
    p = ctx.run(cmd)
    lines = stderr_lines(p)
    ctx.check(p.returncode == 2 and len(lines) == 1 and needle in lines[0],
              f"{what}: exit {p.returncode}, {len(lines)} line(s): {lines[:2]}")
ctx.check(not any(n.startswith("bad") for n in os.listdir(ctx.work)), "refusals left no files")
ctx.finish()
