#!/usr/bin/env python3
"""Keyframed animations end to end: the per-frame values fractal-render stores (/frames/xmin, xmax,
ymin, ymax, c_re, c_im, max_iter and, when present, rotation, rotation_cos, rotation_sin) equal BIT
FOR BIT an independent Python implementation of docs/ANIMATION.md's formulas (below, written from the
document, in its operation order; Python floats are IEEE doubles and math.log/exp/log10/cos/sin call
the same C library as the renderer).

1. A Julia job, 64x48, 25 frames, keys on every track (centre, width, rotation, c-polar, max-iter),
   given out of order and with a time= key, mixed interpolation modes; mpirun -np 2.
2. A Mandelbrot zoom with the growth rule and a static --rotation; mpirun -np 2.
3. Each example config configs/anim-*.cfg rendered with --preview --preview-size 48 (-np 2): exit 0,
   its keys are the file's keys, and its stored plan matches the model fed with the resolved config
   text stored in the file.
"""
import math
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import e2e_lib as E  # noqa: E402

args = E.parse_args()
E.need_h5py()
import h5py  # noqa: E402
import numpy as np  # noqa: E402

chk = E.Checker("anim_stored_plan")
W = args.work
U32_MAX = 4294967295


# ---- docs/ANIMATION.md, independently --------------------------------------------------------------

def round_half_away(x):
    """std::round for x >= 0 (exact: x - floor(x) is exact in binary floating point)."""
    f = math.floor(x)
    return f + 1 if x - f >= 0.5 else f


def round_max_iter(v):
    if not v >= 1.0:
        return 1
    if v >= float(U32_MAX):
        return U32_MAX
    return int(round_half_away(v))


def rotation_cos_sin(deg):
    r = math.fmod(deg, 360.0)
    if r < 0:
        r += 360.0
    if r >= 360.0:
        r -= 360.0
    exact = {0.0: (1.0, 0.0), 90.0: (0.0, 1.0), 180.0: (-1.0, 0.0), 270.0: (0.0, -1.0)}
    if r in exact:
        return exact[r]
    a = r * (math.pi / 180.0)
    return math.cos(a), math.sin(a)


def clamp(v, lo, hi):
    return lo if v < lo else hi if v > hi else v


class Track:
    def __init__(self, keys, mode):
        """keys: [(frame, value)] sorted by frame; mode: linear | ease | cubic."""
        self.f = [k[0] for k in keys]
        self.v = [k[1] for k in keys]
        self.mode = mode
        n = len(keys)
        self.m = [0.0] * n
        if n < 2:
            return
        h = [float(self.f[k + 1] - self.f[k]) for k in range(n - 1)]
        d = [(self.v[k + 1] - self.v[k]) / h[k] for k in range(n - 1)]
        self.m[0] = d[0]
        self.m[n - 1] = d[n - 2]
        for k in range(1, n - 1):
            d0, d1 = d[k - 1], d[k]
            if d0 == 0 or d1 == 0 or (d0 > 0) != (d1 > 0):
                self.m[k] = 0.0
            else:
                w1 = 2 * h[k] + h[k - 1]
                w2 = h[k] + 2 * h[k - 1]
                self.m[k] = (w1 + w2) / (w1 / d0 + w2 / d1)

    def empty(self):
        return not self.f

    def segment(self, fr):
        """k with f_k < fr < f_k+1, else None."""
        for k in range(len(self.f) - 1):
            if self.f[k] < fr < self.f[k + 1]:
                return k
        return None

    def held(self, fr):
        if fr <= self.f[0]:
            return 0
        if fr >= self.f[-1]:
            return len(self.f) - 1
        return self.f.index(fr)

    def interpolate(self, k, fr, mode):
        va, vb = self.v[k], self.v[k + 1]
        if va == vb:
            return va
        t = float(fr - self.f[k]) / float(self.f[k + 1] - self.f[k])
        if mode == "linear":
            v = va + (vb - va) * t
        elif mode == "ease":
            s = t * t * (3.0 - 2.0 * t)
            v = va + (vb - va) * s
        else:
            d = (vb - va) / float(self.f[k + 1] - self.f[k])
            alpha, beta = self.m[k] / d, self.m[k + 1] / d
            t2, u = t * t, 1.0 - t
            h01 = t2 * (3.0 - 2.0 * t)
            h10 = t * u * u
            h11 = t2 * (t - 1.0)
            q = clamp(h01 + h10 * alpha + h11 * beta, 0.0, 1.0)
            v = va + (vb - va) * q
        return clamp(v, min(va, vb), max(va, vb))

    def at(self, fr):
        k = self.segment(fr)
        return self.v[self.held(fr)] if k is None else self.interpolate(k, fr, self.mode)


def model_plan(job):
    """job: dict with fractal, width, height, frames, view (xmin, xmax, ymin, ymax), rotation, c
    (re, im), max_iter, keys [dict frame -> fields], polar, interp per track, growth. Returns
    per-frame columns."""
    keys = sorted(job["keys"], key=lambda k: k["frame"])
    tr = lambda field: [(k["frame"], k[field]) for k in keys if field in k]  # noqa: E731
    it = job["interp"]
    cre = Track([(f, v[0]) for f, v in tr("center")], "cubic" if it["center"] == "zoom" else it["center"])
    cim = Track([(f, v[1]) for f, v in tr("center")], "cubic" if it["center"] == "zoom" else it["center"])
    wkeys = tr("width")
    logw = Track([(f, math.log(v)) for f, v in wkeys], it["width"])
    rot = Track(tr("rotation"), it["rotation"])
    ca = Track([(f, v[0]) for f, v in tr("c")], it["c"])
    cb = Track([(f, v[1]) for f, v in tr("c")], it["c"])
    iters = Track([(f, float(v)) for f, v in tr("max_iter")], it["max_iter"])
    x0, x1, y0, y1 = job["view"]
    base_cx, base_cy, base_w = 0.5 * (x0 + x1), 0.5 * (y0 + y1), x1 - x0

    def width_at(fr):
        if logw.empty():
            return base_w
        k = logw.segment(fr)
        if k is None:
            return wkeys[logw.held(fr)][1]
        w = math.exp(logw.interpolate(k, fr, it["width"]))
        wa, wb = wkeys[k][1], wkeys[k + 1][1]
        return clamp(w, min(wa, wb), max(wa, wb))

    def centre_at(t, fr):
        k = t.segment(fr)
        if k is None:
            return t.at(fr)
        if it["center"] != "zoom":
            return t.interpolate(k, fr, it["center"])
        fa, fb = t.f[k], t.f[k + 1]
        wa, wb = width_at(fa), width_at(fb)
        if logw.empty() or wa == wb:
            return t.interpolate(k, fr, "cubic")
        a, b = t.v[k], t.v[k + 1]
        s = clamp((wa - width_at(fr)) / (wa - wb), 0.0, 1.0)
        return clamp(a + (b - a) * s, min(a, b), max(a, b))

    w0 = width_at(0)
    cols = {n: [] for n in ("xmin", "xmax", "ymin", "ymax", "c_re", "c_im", "max_iter", "rotation",
                            "rotation_cos", "rotation_sin")}
    view_keys = not cre.empty() or not logw.empty()
    for fr in range(job["frames"]):
        w = width_at(fr)
        if view_keys:
            cx = base_cx if cre.empty() else centre_at(cre, fr)
            cy = base_cy if cim.empty() else centre_at(cim, fr)
            h = w * float(job["height"]) / float(job["width"])
            b = (cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2)
        else:
            b = (x0, x1, y0, y1)
        for n, v in zip(("xmin", "xmax", "ymin", "ymax"), b):
            cols[n].append(v)
        r = job["rotation"] if rot.empty() else rot.at(fr)
        rc, rs = rotation_cos_sin(r)
        cols["rotation"].append(r)
        cols["rotation_cos"].append(rc)
        cols["rotation_sin"].append(rs)
        if job["fractal"] != "julia":
            c = (math.nan, math.nan)
        elif ca.empty():
            c = job["c"]
        elif job["polar"]:
            R, deg = ca.at(fr), cb.at(fr)
            cs, sn = rotation_cos_sin(deg)
            c = (R * cs, R * sn)
        else:
            c = (ca.at(fr), cb.at(fr))
        cols["c_re"].append(c[0])
        cols["c_im"].append(c[1])
        if not iters.empty():
            mi = round_max_iter(iters.at(fr))
        elif job.get("growth") is not None:
            mi = round_max_iter(float(job["max_iter"]) + job["growth"] * math.log10(w0 / w))
        else:
            mi = job["max_iter"]
        cols["max_iter"].append(mi)
    return cols


# ---- the resolved config text -> job ---------------------------------------------------------------

def parse_pair(s):
    a, b = s.split(",")
    return (float(a), float(b))


def parse_key(text, fps):
    k = {}
    for item in text.split():
        name, v = item.split("=", 1)
        if name == "frame":
            k["frame"] = int(v)
        elif name == "time":
            k["frame"] = int(round_half_away(float(v) * fps))
        elif name == "center":
            k["center"] = parse_pair(v)
        elif name == "width":
            k["width"] = float(v)
        elif name == "rotation":
            k["rotation"] = float(v)
        elif name in ("c", "c-polar"):
            k["c"] = parse_pair(v)
            k["polar"] = name == "c-polar"
        elif name == "max-iter":
            k["max_iter"] = int(v)
        else:
            raise ValueError(f"unknown key field {name!r}")
    return k


def job_from_text(text):
    o, keys = {}, []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, v = (s.strip() for s in line.split("=", 1))
        if name == "key":
            keys.append(v)
        else:
            o[name] = v
    fps = float(o.get("fps", "30"))
    ks = [parse_key(k, fps) for k in keys]
    interp_all = o.get("interp", "cubic")
    return {
        "fractal": o.get("fractal", "julia"),
        "width": int(o["width"]), "height": int(o["height"]),
        "frames": int(o["frames"]) if "frames" in o else max(k["frame"] for k in ks) + 1,
        "view": tuple(float(o[n]) for n in ("xmin", "xmax", "ymin", "ymax")) if "xmin" in o else None,
        "rotation": float(o.get("rotation", "0")),
        "c": (float(o.get("c-re", "nan")), float(o.get("c-im", "nan"))),
        "max_iter": int(o.get("max-iter", "256")),
        "keys": ks,
        "polar": any(k.get("polar") for k in ks),
        "interp": {"center": o.get("interp-center", "zoom"),
                   **{t: o.get("interp-" + t.replace("_", "-"), interp_all)
                      for t in ("width", "rotation", "c", "max_iter")}},
        "growth": float(o["max-iter-growth"]) if "max-iter-growth" in o else None,
    }


# ---- comparison -----------------------------------------------------------------------------------

def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def compare(path, job, what):
    with h5py.File(path, "r") as f:
        g = f["frames"]
        stored = {n: g[n][...] for n in g}
    want = model_plan(job)
    if not chk.check(len(stored["xmin"]) == job["frames"],
                     f"{what}: {len(stored['xmin'])} frames stored, {job['frames']} expected"):
        return
    names = ["xmin", "xmax", "ymin", "ymax", "c_re", "c_im", "max_iter"]
    names += [n for n in ("rotation", "rotation_cos", "rotation_sin") if n in stored]
    for n in names:
        got = stored[n]
        bad = []
        for fr in range(job["frames"]):
            a, b = got[fr].item(), want[n][fr]
            same = a == b if n == "max_iter" else (
                bits(a) == bits(b) or (math.isnan(a) and math.isnan(b)))
            if not same:
                bad.append(f"[{fr}] stored {a!r} model {b!r}")
        chk.check(not bad, f"{what}: /frames/{n} differs from docs/ANIMATION.md's model in {len(bad)} of "
                           f"{job['frames']} frames: {'; '.join(bad[:4])}")
    return stored


def render(opts, name, np_=2):
    d = os.path.join(W, name)
    os.makedirs(d, exist_ok=True)
    out = os.path.join(d, name + ".h5")
    r = E.render(args, list(opts) + ["-o", out], np=np_, cwd=d, timeout=120)
    return out if chk.ok_run(r, name) else None


# 1. Every track keyed, keys out of order, a time= key, mixed modes.
KEYS_A = [
    "frame=24 center=-0.1,0.25 width=0.05 rotation=200 c-polar=0.7885,360 max-iter=250",
    "frame=0 center=0,0 width=3.2 rotation=0 c-polar=0.7885,0 max-iter=100",
    "time=0.2 rotation=30",  # frame 6 at 30 fps
    "frame=17 width=1.5 c-polar=0.7,250",
    "frame=10 center=0.3,-0.2 width=0.8 max-iter=400 c-polar=0.75,200",
]
opts_a = ["--fractal", "julia", "--width", "64", "--height", "48", "--fps", "30", "--max-iter", "180",
          "--interp-rotation", "ease", "--interp-c", "linear", "--frames", "25"]
for k in KEYS_A:
    opts_a += ["--key", k]
out = render(opts_a, "keyed_julia")
if out:
    job = {"fractal": "julia", "width": 64, "height": 48, "frames": 25, "view": (-1.8, 1.8, -1.8, 1.8),
           "rotation": 0.0, "c": (-0.62772, -0.42193), "max_iter": 180, "polar": True,
           "keys": [parse_key(k, 30.0) for k in KEYS_A],
           "interp": {"center": "zoom", "width": "cubic", "rotation": "ease", "c": "linear", "max_iter": "cubic"},
           "growth": None}
    stored = compare(out, job, "keyed julia")
    if stored is not None:
        # The keys themselves, spelled out: reached exactly.
        chk.check(stored["max_iter"][10] == 400 and stored["max_iter"][24] == 250, "max-iter keys not reached")
        chk.check(stored["xmin"][10] == 0.3 - 0.4 and stored["xmax"][24] == -0.1 + 0.025, "view keys not reached")
        if "rotation" in stored:
            chk.check(stored["rotation"][6] == 30.0 and stored["rotation"][24] == 200.0, "rotation keys not reached")
        chk.check(stored["c_re"][0] == 0.7885 and stored["c_im"][0] == 0.0, "c-polar key at frame 0 not reached")
        # ... and the path really moves between them (not a held constant).
        chk.check(len(set(stored["c_re"].tolist())) > 20, "c does not move between keys")

# 2. Mandelbrot zoom with the growth rule, static rotation, centre 'zoom', linear log width.
opts_b = ["--fractal", "mandelbrot", "--width", "48", "--height", "32", "--max-iter", "64", "--rotation", "10",
          "--max-iter-growth", "90", "--interp-width", "linear",
          "--key", "frame=0 center=-0.75,0 width=3.5", "--key", "frame=20 center=-0.743643887037151,0.131825904205330 width=1e-7"]
out = render(opts_b, "growth_zoom")
if out:
    with h5py.File(out, "r") as f:
        text = f.attrs["config"]
        text = text.decode() if isinstance(text, bytes) else str(text)
    job = {"fractal": "mandelbrot", "width": 48, "height": 32, "frames": 21, "view": (-2.0, 0.5, -1.25, 1.25),
           "rotation": 10.0, "c": (math.nan, math.nan), "max_iter": 64, "polar": False,
           "keys": [parse_key("frame=0 center=-0.75,0 width=3.5", 30.0),
                    parse_key("frame=20 center=-0.743643887037151,0.131825904205330 width=1e-7", 30.0)],
           "interp": {"center": "zoom", "width": "linear", "rotation": "cubic", "c": "cubic", "max_iter": "cubic"},
           "growth": 90.0}
    stored = compare(out, job, "growth zoom")
    if stored is not None:
        chk.check(stored["max_iter"][0] == 64 and stored["max_iter"][20] == round_max_iter(64 + 90 * math.log10(3.5e7)),
                  f"growth rule end values: {stored['max_iter'][[0, 20]]}")
    # The resolved text alone reproduces the same model (what example configs rely on below).
    compare(out, job_from_text(text), "growth zoom (from the stored config text)")

# 3. The example configs, as previews.
for name in ("anim-seahorse-zoom", "anim-julia-circle", "anim-pan-zoom-rotate"):
    cfg = os.path.join(args.source, "configs", name + ".cfg")
    out = render([cfg, "--preview", "--preview-size", "48"], name)
    if not out:
        continue
    with h5py.File(out, "r") as f:
        text = f.attrs["config"]
        text = text.decode() if isinstance(text, bytes) else str(text)
        chk.check(max(f["counts"].shape[1:]) == 48, f"{name}: preview is {f['counts'].shape}, not 48 px across")
    with open(cfg) as fh:
        file_job = job_from_text("\n".join(l for l in fh.read().splitlines()
                                           if l.split("=")[0].strip() in ("key", "fps")) + "\nwidth = 1\nheight = 1")
    job = job_from_text(text)
    strip = lambda ks: [{k: v for k, v in d.items() if k != "max_iter"} for d in ks]  # noqa: E731
    chk.check(strip(job["keys"]) == strip(sorted(file_job["keys"], key=lambda k: k["frame"])),
              f"{name}: stored keys {job['keys']} are not the file's {file_job['keys']}")
    if job["view"] is None:
        chk.check(False, f"{name}: no view in the stored config text")
        continue
    compare(out, job, name + " --preview")

chk.done()
