#!/usr/bin/env python3
"""--preview shows the real picture (issue 15): the seahorse zoom (configs/anim-seahorse-zoom.cfg,
its path compressed to 12 frames: the same two keys at frames 0 and 11, 10.5 decades of zoom, the
config's max-iter-growth) rendered in full at 160x90 and with --preview --preview-size 80 (80x45).

Per frame, the preview must look like the full render seen smaller:
- the same per-frame max_iter (a preview keeps every iteration budget);
- the fraction of interior pixels (count == the frame's max_iter) within MARGIN of the full
  render's, and the mean of log1p(count) over 2x2 blocks of the full render within LOG_MARGIN of the
  preview's (the same picture at half the pixels);
- frames past the middle of the zoom are not flat: at least MIN_DISTINCT distinct counts and not
  (nearly) all interior.
A preview that cut the budgets (the old quarter rule) fails: from the middle on every pixel sits
at the reduced max_iter.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import e2e_lib as E  # noqa: E402

args = E.parse_args()
E.need_h5py()
import h5py  # noqa: E402
import numpy as np  # noqa: E402

chk = E.Checker("anim_preview_picture")
MARGIN = 0.08          # interior fraction, absolute
LOG_MARGIN = 0.35      # mean log1p(count) per frame
MIN_DISTINCT = 20
cfg = os.path.join(args.source, "configs", "anim-seahorse-zoom.cfg")
with open(cfg) as fh:
    keys = [l.split("=", 1)[1].strip() for l in fh.read().splitlines() if l.split("=")[0].strip() == "key"]
chk.check(len(keys) == 2 and keys[0].startswith("frame=0 ") and keys[1].startswith("frame=599 "),
          f"the config's keys are the expected two: {keys}")
# The same path in 12 frames (30 fps x 0.4 s): the last key moved from frame 599 to 11.
short = ["--duration", "0.4", "--key", keys[0], "--key", keys[1].replace("frame=599", "frame=11")]


def render(name, opts):
    d = os.path.join(args.work, name)
    os.makedirs(d, exist_ok=True)
    out = os.path.join(d, name + ".h5")
    r = E.render(args, [cfg, *short, *opts, "-o", out], np=2, cwd=d, timeout=120)
    print(f"{name}: {r.secs:.1f} s")
    return out if chk.ok_run(r, name) else None


full = render("full", ["--width", "160", "--height", "90"])
prev = render("preview", ["--width", "160", "--height", "90", "--preview", "--preview-size", "80"])
if full and prev:
    with h5py.File(full, "r") as f:
        cf, mf = f["counts"][...].astype(np.int64), f["frames/max_iter"][...].astype(np.int64)
    with h5py.File(prev, "r") as f:
        cp, mp = f["counts"][...].astype(np.int64), f["frames/max_iter"][...].astype(np.int64)
    chk.check(cf.shape == (12, 90, 160), f"full render {cf.shape} == (12, 90, 160)")
    chk.check(cp.shape == (12, 45, 80), f"preview {cp.shape} == (12, 45, 80)")
    chk.check(np.array_equal(mf, mp), f"preview max_iter per frame {mp.tolist()} == full {mf.tolist()}")
    chk.check(mf[-1] > 2500, f"the budget grows with the zoom: {mf[0]} .. {mf[-1]}")
    F = min(cf.shape[0], cp.shape[0])
    for f in range(F):
        a = cf[f]
        blocks = np.log1p(a.reshape(a.shape[0] // 2, 2, a.shape[1] // 2, 2).astype(np.float64)).mean(axis=(1, 3))
        fi_full = float((cf[f] == mf[f]).mean())
        fi_prev = float((cp[f] == mp[f]).mean())
        lf, lp = float(blocks.mean()), float(np.log1p(cp[f].astype(np.float64)).mean())
        distinct = len(np.unique(cp[f]))
        print(f"frame {f:2d}: max_iter {mf[f]:5d}/{mp[f]:5d}  interior full {fi_full:.3f} preview {fi_prev:.3f}  "
              f"mean log1p full(2x2) {lf:.3f} preview {lp:.3f}  preview distinct counts {distinct}")
        chk.check(abs(fi_full - fi_prev) <= MARGIN,
                  f"frame {f}: preview interior fraction {fi_prev:.3f} within {MARGIN} of the full render's {fi_full:.3f}")
        chk.check(abs(lf - lp) <= LOG_MARGIN,
                  f"frame {f}: preview mean log1p(count) {lp:.3f} within {LOG_MARGIN} of the full render's {lf:.3f}")
        if f >= F // 2:
            chk.check(distinct >= MIN_DISTINCT and fi_prev < 0.9,
                      f"frame {f} (past the middle) is not flat: {distinct} distinct counts, {fi_prev:.3f} interior")

chk.done()
