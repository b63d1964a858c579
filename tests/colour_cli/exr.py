"""--exr DIR: one OpenEXR file per selected frame with Kalles Fraktaler's / Fraktaler-3's channels,
checked against the HDF5 datasets with readers that share no code with fractal-colour:

(a) exrheader (Debian's `openexr` package): the channel names and types, compression, size;
(b) a pure-Python EXR reader (below: scanline files, NO_COMPRESSION, ZIPS and ZIP, i.e. zlib +
    the byte-interleave and delta predictor of OpenEXR's zip codec), which checks every pixel:
    N = count + 1024 (0xFFFFFFFF where count == max_iter), NF = smooth + 1 - count clamped to [0, 1),
    DEX = /distance in sample spacings, DEY = 0, and the header attributes.

Inputs: a Mandelbrot pan/zoom (64x48, 2 double frames, --smooth --distance), the deep 1e14 view
at 32x32 (perturbation: /distance stored in sample spacings already), a 2x supersampled Julia file
without /smooth or /distance (only N; the full sample grid), and usage/runtime errors."""
import os
import shutil
import struct
import subprocess
import zlib

import h5py
import numpy as np

from colour_lib import Ctx, listing, partial_files, stderr_lines

ctx = Ctx()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIAS = 1024
BELOW_ONE = np.float32(np.nextafter(np.float32(1), np.float32(0)))


# ---- a small independent OpenEXR reader -------------------------------------------------------
PIXEL_SIZE = {0: 4, 1: 2, 2: 4}                     # UINT, HALF, FLOAT
PIXEL_DTYPE = {0: "<u4", 1: "<f2", 2: "<f4"}
LINES_PER_BLOCK = {0: 1, 2: 1, 3: 16}               # NO_COMPRESSION, ZIPS, ZIP


def _cstr(data, pos):
    end = data.index(b"\0", pos)
    return data[pos:end].decode("latin-1"), end + 1


def read_exr(path):
    """Returns (attributes, {channel: [H, W] array}) of a single-part scanline EXR file."""
    with open(path, "rb") as fh:
        data = fh.read()
    magic, version = struct.unpack_from("<iI", data, 0)
    if magic != 20000630:
        raise ValueError(f"{path}: not an OpenEXR file")
    if version & 0xFF != 2 or version & (0x200 | 0x800 | 0x1000):
        raise ValueError(f"{path}: version/flags {version:#x}: not a single-part scanline file")
    pos = 8
    attrs = {}
    while data[pos] != 0:
        name, pos = _cstr(data, pos)
        typ, pos = _cstr(data, pos)
        (size,) = struct.unpack_from("<i", data, pos)
        pos += 4
        raw = data[pos:pos + size]
        pos += size
        if typ == "int":
            val = struct.unpack("<i", raw)[0]
        elif typ == "double":
            val = struct.unpack("<d", raw)[0]
        elif typ == "float":
            val = struct.unpack("<f", raw)[0]
        elif typ == "string":
            val = raw.decode("utf-8")
        elif typ in ("compression", "lineOrder"):
            val = raw[0]
        elif typ == "box2i":
            val = struct.unpack("<4i", raw)
        elif typ == "chlist":
            val, p = [], 0
            while raw[p] != 0:
                cname, p = _cstr(raw, p)
                ptype, _linear, xs, ys = struct.unpack_from("<iB3xii", raw, p)
                p += 16
                val.append((cname, ptype, xs, ys))
        else:
            val = (typ, raw)
        attrs[name] = val
    pos += 1  # the header's terminating 0
    xmin, ymin, xmax, ymax = attrs["dataWindow"]
    w, h = xmax - xmin + 1, ymax - ymin + 1
    chans = attrs["channels"]
    comp = attrs["compression"]
    if comp not in LINES_PER_BLOCK:
        raise ValueError(f"{path}: compression {comp} not handled by this reader")
    if attrs.get("lineOrder", 0) != 0:
        raise ValueError(f"{path}: lineOrder {attrs['lineOrder']} (expected INCREASING_Y)")
    lpb = LINES_PER_BLOCK[comp]
    nblocks = (h + lpb - 1) // lpb
    offsets = struct.unpack_from(f"<{nblocks}Q", data, pos)
    line_bytes = sum(PIXEL_SIZE[c[1]] for c in chans) * w
    planes = {c[0]: np.zeros((h, w), dtype=PIXEL_DTYPE[c[1]]) for c in chans}
    for b, off in enumerate(offsets):
        y, size = struct.unpack_from("<ii", data, off)
        if y != ymin + b * lpb:
            raise ValueError(f"{path}: block {b} starts at line {y}")
        lines = min(lpb, ymax + 1 - y)
        payload = data[off + 8:off + 8 + size]
        expect = lines * line_bytes
        if comp != 0 and size < expect:
            t = np.frombuffer(zlib.decompress(payload), dtype=np.uint8)
            if t.size != expect:
                raise ValueError(f"{path}: block {b} inflates to {t.size} bytes, expected {expect}")
            # undo the delta predictor: d[0] = t[0], d[i] = (d[i-1] + t[i] - 128) mod 256
            t = ((np.cumsum(t.astype(np.int64) - 128) + 128) & 0xFF).astype(np.uint8)
            half = (expect + 1) // 2  # undo the interleave: even bytes first, then odd bytes
            raw = np.empty(expect, dtype=np.uint8)
            raw[0::2] = t[:half]
            raw[1::2] = t[half:]
            payload = raw.tobytes()
        elif size != expect:
            raise ValueError(f"{path}: block {b} holds {size} bytes, expected {expect}")
        p = 0
        for ln in range(lines):
            for cname, ptype, _xs, _ys in chans:
                n = PIXEL_SIZE[ptype] * w
                planes[cname][y - ymin + ln] = np.frombuffer(payload, dtype=PIXEL_DTYPE[ptype], count=w, offset=p)
                p += n
    return attrs, planes


def _selftest_predictor():
    """The delta predictor as OpenEXR defines it: t[0] = d[0], t[i] = (d[i] - d[i-1] + 128) mod 256."""
    d = np.array([5, 250, 3, 3, 129], dtype=np.int64)
    t = d.copy()
    t[1:] = (d[1:] - d[:-1] + 128) & 0xFF
    back = (np.cumsum(t - 128) + 128) & 0xFF
    assert list(back) == list(d), back


_selftest_predictor()


# ---- exrheader ----------------------------------------------------------------------------------
EXRHEADER = shutil.which("exrheader")


def exrheader(path):
    p = subprocess.run([EXRHEADER, path], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout


def exrheader_channels(text):
    """{name: type text} from exrheader's 'channels (type chlist):' block."""
    out, inside = {}, False
    for line in text.splitlines():
        if line.startswith("channels"):
            inside = True
            continue
        if inside:
            if not line.startswith(" "):
                break
            name, rest = line.strip().split(",", 1)
            out[name] = rest.split(",")[0].strip()
    return out


# ---- expected channels from the HDF5 file ------------------------------------------------------
def h5_frames(path):
    with h5py.File(path, "r") as f:
        d = {k: f[k][...] for k in ("counts", "smooth", "distance") if k in f}
        fr = {k: f["frames/" + k][...] for k in f["frames"].keys()}
        attrs = dict(f["counts"].attrs)
    return d, fr, attrs


def expected(d, fr, attrs, f):
    counts = d["counts"][f].astype(np.int64)
    mi = int(fr["max_iter"][f])
    interior = counts >= mi
    exp = {"N": np.where(interior, 0xFFFFFFFF, counts + BIAS).astype(np.uint32)}
    if "smooth" in d:
        nf = ((d["smooth"][f].astype(np.float64) + 1.0) - counts.astype(np.float64)).astype(np.float32)
        nf = np.where(nf >= 0, np.minimum(nf, BELOW_ONE), np.float32(0))
        exp["NF"] = np.where(interior, np.float32(0), nf).astype(np.float32)
    if "distance" in d:
        method = int(fr["method"][f]) if "method" in fr else 0
        w = int(attrs["width"])
        scale = 1.0 if method != 0 else w / (float(fr["xmax"][f]) - float(fr["xmin"][f]))
        dex = (d["distance"][f].astype(np.float64) * scale).astype(np.float32)
        dex = np.where(np.isfinite(dex) & (dex > 0) & ~interior, dex, np.float32(0)).astype(np.float32)
        exp["DEX"] = dex
        exp["DEY"] = np.zeros_like(dex)
    return exp, interior


def check_file(label, exr_path, h5, f, compression):
    d, fr, attrs = h5_frames(h5)
    exp, interior = expected(d, fr, attrs, f)
    H, W = d["counts"].shape[1:]
    if EXRHEADER:
        rc, text = exrheader(exr_path)
        chans = exrheader_channels(text)
        want = {"N": "32-bit unsigned integer"}
        if "NF" in exp:
            want["NF"] = "32-bit floating-point"
        if "DEX" in exp:
            want["DEX"] = want["DEY"] = "32-bit floating-point"
        ctx.check(rc == 0 and chans == want, f"{label}: exrheader: channels {chans}")
        comp_word = {"none": "none", "zip": "zip, multi-scanline blocks", "zips": "zip, individual scanlines",
                     "piz": "piz"}[compression]
        ctx.check(f"compression (type compression): {comp_word}\n" in text, f"{label}: exrheader: compression '{comp_word}'")
        ctx.check(f"(0 0) - ({W - 1} {H - 1})" in text, f"{label}: exrheader: data window {W}x{H}")
        ctx.check("IterationsBias (type int): 1024" in text and f"Iterations (type int): {int(fr['max_iter'][f])}" in text,
                  f"{label}: exrheader: Iterations {int(fr['max_iter'][f])}, IterationsBias 1024")
    if compression == "piz":
        return
    try:
        a, planes = read_exr(exr_path)
    except Exception as e:  # noqa: BLE001 - reported as a failure
        ctx.check(False, f"{label}: the Python reader reads {exr_path} ({e})")
        return
    ctx.check(sorted(planes) == sorted(exp), f"{label}: channels {sorted(planes)} == {sorted(exp)}")
    ctx.check(a["dataWindow"] == (0, 0, W - 1, H - 1), f"{label}: data window {a['dataWindow']} is the stored {W}x{H} grid")
    ctx.check(a.get("Iterations") == int(fr["max_iter"][f]) and a.get("IterationsBias") == BIAS,
              f"{label}: Iterations {a.get('Iterations')}, IterationsBias {a.get('IterationsBias')}")
    ctx.check(a.get("fractal-hpc:frame") == f and a.get("fractal-hpc:escape_radius") == float(attrs["escape_radius"]),
              f"{label}: frame index {a.get('fractal-hpc:frame')}, escape radius {a.get('fractal-hpc:escape_radius')}")
    ctx.check(all(a.get("fractal-hpc:" + k) == float(fr[k][f]) for k in ("xmin", "xmax", "ymin", "ymax")),
              f"{label}: the frame's bounds, exactly")
    for name, e in exp.items():
        if name not in planes:
            continue
        got = planes[name]
        same = np.array_equal(got.view(np.uint32), e.view(np.uint32)) if got.dtype != np.uint32 else np.array_equal(got, e)
        bad = int(np.count_nonzero(got != e))
        ctx.check(same, f"{label}: every {name} pixel as expected ({bad} differ)")
    if "N" in planes:
        n = planes["N"].astype(np.int64)
        ctx.check(np.array_equal(np.where(n == 0xFFFFFFFF, int(fr["max_iter"][f]), n - a["IterationsBias"]),
                                 d["counts"][f].astype(np.int64)),
                  f"{label}: N - IterationsBias (interior: max_iter) == /counts")
    return a, planes, interior


def render(out, *args):
    p = ctx.run([ctx.render_bin, *args, "-o", out], timeout=60)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        raise SystemExit(f"FAIL: could not render {out}")
    return out


# 1. Mandelbrot pan/zoom, double frames, --smooth --distance.
mb = render(ctx.path("mb.h5"), "--fractal", "mandelbrot", "--center-re", "-0.75", "--center-im", "0",
            "--view-width", "3", "--end-center-re", "-0.7453", "--end-center-im", "0.1127", "--end-view-width", "0.05",
            "--width", "64", "--height", "48", "--frames", "2", "--max-iter", "200", "--smooth", "--distance")
for comp in ("none", "zip", "zips", "piz"):
    out = ctx.path("mb-" + comp)
    args = [mb, "--exr", out] + ([] if comp == "zip" else ["--exr-compression", comp])
    p = ctx.colour(*args)
    ctx.check(p.returncode == 0 and listing(out) == ["frame_00000.exr", "frame_00001.exr"],
              f"mandelbrot --exr ({comp}): exit {p.returncode}, files {listing(out)}")
    for f in range(2):
        r = check_file(f"mandelbrot {comp} frame {f}", os.path.join(out, f"frame_{f:05d}.exr"), mb, f, comp)
        if comp == "none" and r:
            a, planes, interior = r
            nf, dex = planes["NF"], planes["DEX"]
            ctx.check(interior.sum() > 0 and (~interior).sum() > 0,
                      f"frame {f}: {int(interior.sum())} interior and {int((~interior).sum())} escaped pixels tested")
            ctx.check(np.all(planes["N"][interior] == 0xFFFFFFFF) and np.all(nf[interior] == 0) and np.all(dex[interior] == 0),
                      f"frame {f}: interior pixels: N = 0xFFFFFFFF, NF = DEX = 0")
            esc = ~interior
            ctx.check(np.all((nf[esc] >= 0) & (nf[esc] < 1)) and np.count_nonzero((nf[esc] > 0.05) & (nf[esc] < 0.95)) > 100,
                      f"frame {f}: NF in [0, 1) and spread ({np.count_nonzero((nf[esc] > 0.05) & (nf[esc] < 0.95))} in (0.05, 0.95))")
            ctx.check(np.any(dex[esc] < 1) and np.any(dex[esc] > 2), f"frame {f}: DEX in pixels, below 1 and above 2 "
                                                                          f"(median {float(np.median(dex[esc])):.3g})")
            kfr = a.get("KallesFraktaler2+", "")
            lines = dict(l.split(": ", 1) for l in kfr.split("\r\n") if ": " in l)
            d, fr, _at = h5_frames(mb)
            zoom = 4.0 / (float(fr["ymax"][f]) - float(fr["ymin"][f]))
            ctx.check(abs(float(lines.get("Zoom", "nan")) / zoom - 1) < 1e-15 and lines.get("Iterations") == "200"
                      and abs(float(lines.get("Re", "nan")) - 0.5 * (fr["xmin"][f] + fr["xmax"][f])) < 1e-16,
                      f"frame {f}: KallesFraktaler2+ parameters {lines}")

# With a large escape radius /smooth lies in [count - 1, count) (FORMAT.md: within 1e-4 at R = 1000),
# so N + NF - IterationsBias is smooth + 1 for every escaped pixel (no clamping).
big = render(ctx.path("mb-r1000.h5"), "--fractal", "mandelbrot", "--center-re", "-0.75", "--center-im", "0",
             "--view-width", "3", "--width", "64", "--height", "48", "--max-iter", "200", "--escape-radius", "1000",
             "--smooth")
out = ctx.path("mb-r1000")
p = ctx.colour(big, "--exr", out)
r = check_file("R = 1000", os.path.join(out, "frame_00000.exr"), big, 0, "zip") if p.returncode == 0 else None
ctx.check(r is not None, f"R = 1000: --exr exit {p.returncode}")
if r:
    a, planes, interior = r
    d, fr, _at = h5_frames(big)
    esc = ~interior
    mu = planes["N"][esc].astype(np.float64) - BIAS + planes["NF"][esc]
    dev = np.abs(mu - (d["smooth"][0][esc].astype(np.float64) + 1.0))
    ctx.check(dev.max() <= 2e-4, f"R = 1000: |N + NF - IterationsBias - (smooth + 1)| <= {dev.max():.2g} for all "
                                 f"{int(esc.sum())} escaped pixels")

# --frames selects as for --png-dir; refusal and --overwrite; the other outputs at once.
sel = ctx.path("sel")
p = ctx.colour(mb, "--exr", sel, "--frames", "1", "--png-dir", ctx.path("sel-png"))
ctx.check(p.returncode == 0 and listing(sel) == ["frame_00001.exr"] and listing(ctx.path("sel-png")) == ["frame_00001.png"],
          f"--frames 1 with --png-dir: {listing(sel)}, {listing(ctx.path('sel-png'))}")
before = os.path.getmtime(os.path.join(sel, "frame_00001.exr"))
p = ctx.colour(mb, "--exr", sel, "--frames", "1")
ctx.check(p.returncode == 2 and len(stderr_lines(p)) == 1 and "--overwrite" in p.stderr,
          f"an existing EXR is refused: exit {p.returncode}, {stderr_lines(p)}")
p = ctx.colour(mb, "--exr", sel, "--frames", "1", "--overwrite")
ctx.check(p.returncode == 0 and listing(sel) == ["frame_00001.exr"], f"--overwrite replaces it: exit {p.returncode}")
check_file("overwritten frame 1", os.path.join(sel, "frame_00001.exr"), mb, 1, "zip")

# 2. Deep view (perturbation), 32x32.
deep = render(ctx.path("deep.h5"), os.path.join(ROOT, "configs", "deep-1e14.cfg"), "--width", "32", "--height", "32",
              "--smooth", "--distance")
out = ctx.path("deep-exr")
p = ctx.colour(deep, "--exr", out, "--exr-compression", "zips")
ctx.check(p.returncode == 0 and listing(out) == ["frame_00000.exr"], f"deep --exr: exit {p.returncode}, {listing(out)}")
r = check_file("deep frame 0", os.path.join(out, "frame_00000.exr"), deep, 0, "zips")
if r:
    a, planes, interior = r
    with h5py.File(deep, "r") as f:
        cre = f["frames/center_re"][0]
        cre = cre.decode() if isinstance(cre, bytes) else cre
        method = int(f["frames/method"][0])
    ctx.check(method != 0 and a.get("fractal-hpc:center_re") == cre, f"deep: method {method}, centre text {a.get('fractal-hpc:center_re')!r}")
    ctx.check(abs(float(a.get("fractal-hpc:zoom", "nan")) / 1e14 - 1) < 1e-14, f"deep: zoom text {a.get('fractal-hpc:zoom')}")
    ctx.check(np.count_nonzero(planes["DEX"]) > 500, f"deep: {np.count_nonzero(planes['DEX'])} pixels have a distance")

# 3. Supersampled Julia without /smooth, /distance: N only, the full 2x grid.
ss = ctx.render(ctx.path("ss.h5"), width=40, height=30, frames=1, max_iter=60, extra=("--supersample", "2"))
out = ctx.path("ss-exr")
p = ctx.colour(ss, "--exr", out, "--exr-compression", "none")
ctx.check(p.returncode == 0, f"supersampled --exr: exit {p.returncode}")
r = check_file("supersampled julia", os.path.join(out, "frame_00000.exr"), ss, 0, "none")
if r:
    ctx.check(r[1]["N"].shape == (60, 80) and "KallesFraktaler2+" not in r[0], f"supersampled: {r[1]['N'].shape} samples, no KF parameters for Julia")

# 4. Errors: usage (exit 2, one line naming the option), runtime (exit 1), nothing half-written.
bad = ctx.path("bad")
for label, args, word in (
        ("--exr-compression rle", [mb, "--exr", bad, "--exr-compression", "rle"], "--exr-compression"),
        ("--exr-compression without --exr", [mb, "--png-dir", bad, "--exr-compression", "zip"], "--exr-compression"),
        ("--exr empty", [mb, "--exr", ""], "--exr"),
        ("--exr without a value", [mb, "--exr"], "exr")):
    p = ctx.colour(*args)
    ctx.check(p.returncode == 2 and len(stderr_lines(p)) == 1 and word in p.stderr and not os.path.exists(bad),
              f"{label}: exit 2 with one line naming {word} (got {p.returncode}: {stderr_lines(p)})")
blocker = ctx.path("a-file")
open(blocker, "w").close()
p = ctx.colour(mb, "--exr", os.path.join(blocker, "sub"))
ctx.check(p.returncode == 1 and len(stderr_lines(p)) == 1 and "--exr" in p.stderr,
          f"--exr under a regular file: exit 1, one line (got {p.returncode}: {stderr_lines(p)})")
# A write that fails (a full disk: the temporary name points at /dev/full): exit 1, one line, no
# frame file, and the temporary name removed.
full = ctx.path("full")
os.makedirs(full)
os.symlink("/dev/full", os.path.join(full, "frame_00000.exr.partial"))
p = ctx.colour(mb, "--exr", full, "--frames", "0")
ctx.check(p.returncode == 1 and len(stderr_lines(p)) == 1 and "frame_00000.exr" in p.stderr,
          f"a failing write (/dev/full): exit 1, one line (got {p.returncode}: {stderr_lines(p)})")
ctx.check(listing(full) == [], f"a failing write leaves nothing behind ({listing(full)})")
ctx.check(partial_files(ctx.work) == [], f"no .partial file left behind ({partial_files(ctx.work)})")
if not EXRHEADER:
    print("note: exrheader (Debian package openexr) not found: the exrheader checks were skipped")
ctx.finish()
