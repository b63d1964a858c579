#!/usr/bin/env python3
"""File layout (DESIGN.md "The HDF5 file", normative): h5dump reads the header and the data with no
plugin; h5py finds every documented group, dataset and attribute with the documented types; counts
are uint16 for max_iter <= 65535 and uint32 above; chunks are [1, strip_rows, width]; shuffle + deflate."""
import datetime
import os
import re
import shutil

import e2e_lib as E

args = E.parse_args()
E.need_h5py()
import h5py  # noqa: E402
import numpy as np  # noqa: E402

chk = E.Checker("file_layout")
W = args.work


def out(name):
    return os.path.join(W, name)


jobs = {
    "julia.h5": ["--fractal", "julia", "--frames", "3", "--width", "64", "--height", "48", "--strip-rows", "16",
                 "--max-iter", "200", "--fps", "24", "--c-im-increment", "0.1"],
    "big.h5": ["--fractal", "mandelbrot", "--width", "12", "--height", "10", "--strip-rows", "4",
               "--max-iter", "70000", "--z0-re", "0.0625", "--z0-im", "-0.03125", "--escape-radius", "3"],
    "edge.h5": ["--fractal", "mandelbrot", "--width", "12", "--height", "10", "--max-iter", "65535"],
    "level0.h5": ["--width", "40", "--height", "30", "--strip-rows", "8", "--max-iter", "50", "--compression-level", "0"],
    "level9.h5": ["--width", "40", "--height", "30", "--strip-rows", "8", "--max-iter", "50", "--compression-level", "9"],
}
ok = {}
for name, opts in jobs.items():
    r = E.render(args, opts + ["-o", out(name)], np=2)
    print(f"{name}: exit {r.rc} in {r.secs:.2f} s")
    ok[name] = chk.ok_run(r, name)
chk.check(not [f for f in E.listdir(W) if f.endswith(".partial")], f".partial files left: {E.listdir(W)}")

# --- h5dump -------------------------------------------------------------------------------------
h5dump = args.h5dump or shutil.which("h5dump")
if not h5dump:
    print("note: h5dump not found, h5dump checks skipped")
elif ok["julia.h5"]:
    r = E.run([h5dump, "-H", "-p", out("julia.h5")])
    if chk.check(r.rc == 0, f"h5dump -H -p failed\n  {r.describe()}"):
        t = r.out
        for pat in [r'GROUP "/"', r'DATASET "counts"', r'GROUP "frames"', r'GROUP "chunks"',
                    r'CHUNKED \( 1, 16, 64 \)', r'SHUFFLE', r'COMPRESSION DEFLATE \{ LEVEL 1 \}',
                    r'DATASPACE\s+SIMPLE \{ \( 3, 48, 64 \)', r'H5T_STD_U16LE',
                    r'ATTRIBUTE "format"', r'ATTRIBUTE "complete"', r'ATTRIBUTE "verification_hash"']:
            chk.check(re.search(pat, t), f"h5dump -H -p output lacks /{pat}/")
        for ds in ["xmin", "xmax", "ymin", "ymax", "c_re", "c_im", "max_iter"]:
            chk.check(f'DATASET "{ds}"' in t, f"h5dump -H shows no /frames/{ds}")
    # Reading every chunk through the filters must work with a stock h5dump (no plugin).
    for name in ("julia.h5", "big.h5", "level9.h5"):
        if ok[name]:
            r = E.run([h5dump, "-d", "/counts", out(name)])
            chk.check(r.rc == 0 and "DATA {" in r.out, f"h5dump -d /counts {name} failed\n  {r.describe()}")

# --- h5py: names, types, values -----------------------------------------------------------------
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")


def s(v):
    return v.decode() if isinstance(v, bytes) else v


def check_common(name, f, frames, height, width, strip_rows, max_iter, dtype, fractal, level=1):
    a = f.attrs
    for k in ["format", "format_version", "software_version", "created", "command_line", "config", "complete"]:
        chk.check(k in a, f"{name}: root attribute '{k}' missing (have {sorted(a)})")
    chk.check(s(a.get("format")) == "fractal-hpc", f"{name}: format = {a.get('format')!r}")
    fv = a.get("format_version")
    chk.check(fv is not None and np.issubdtype(np.asarray(fv).dtype, np.integer) and int(fv) >= 1,
              f"{name}: format_version {fv!r} is not a positive integer")
    chk.check(isinstance(s(a.get("software_version")), str) and s(a.get("software_version")),
              f"{name}: software_version {a.get('software_version')!r}")
    created = s(a.get("created", ""))
    if chk.check(isinstance(created, str) and ISO.match(created), f"{name}: created {created!r} is not ISO 8601 UTC"):
        when = datetime.datetime.strptime(created[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
        age = abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds())
        chk.check(age < 3600, f"{name}: created {created} is {age:.0f} s away from now (not UTC?)")
    cl = s(a.get("command_line", ""))
    chk.check(isinstance(cl, str) and name in cl and "fractal-render" in cl, f"{name}: command_line {cl!r}")
    cfg = s(a.get("config", ""))
    chk.check(isinstance(cfg, str) and f"max-iter = {max_iter}" in cfg, f"{name}: config attribute {cfg!r}")
    chk.check(int(a.get("complete", -1)) == 1, f"{name}: complete = {a.get('complete')!r}")

    for g in ["counts", "frames", "chunks"]:
        chk.check(g in f, f"{name}: /{g} missing")
    if "counts" not in f or "frames" not in f:
        return
    c = f["counts"]
    chk.check(isinstance(c, h5py.Dataset), f"{name}: /counts is not a dataset")
    if strip_rows is None:  # default strip height: whatever the file says, within [1, height]
        strip_rows = int(c.attrs.get("strip_rows", 0))
        chk.check(1 <= strip_rows <= height, f"{name}: default strip_rows {strip_rows} not in [1, {height}]")
    chk.check(c.shape == (frames, height, width), f"{name}: /counts shape {c.shape}")
    chk.check(c.dtype == np.dtype(dtype), f"{name}: /counts dtype {c.dtype}, expected {dtype}")
    chk.check(c.chunks == (1, strip_rows, width), f"{name}: /counts chunks {c.chunks}, expected {(1, strip_rows, width)}")
    chk.check(c.shuffle, f"{name}: /counts has no shuffle filter")
    if level == 0:
        chk.check(c.compression is None, f"{name}: level 0 should be shuffle only, got {c.compression}")
    else:
        chk.check(c.compression == "gzip" and c.compression_opts == level,
                  f"{name}: compression {c.compression} {c.compression_opts}, expected gzip {level}")
    plist = c.id.get_create_plist()
    filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    chk.check(set(filters) <= {h5py.h5z.FILTER_SHUFFLE, h5py.h5z.FILTER_DEFLATE, h5py.h5z.FILTER_FLETCHER32},
              f"{name}: non-built-in filters {filters}")
    ca = c.attrs
    for k in ["fractal", "escape_radius", "width", "height", "frames", "fps", "z0_re", "z0_im", "strip_rows",
              "verification_hash", "total_iterations"]:
        chk.check(k in ca, f"{name}: /counts attribute '{k}' missing (have {sorted(ca)})")
    chk.check(s(ca.get("fractal")) == fractal, f"{name}: fractal attribute {ca.get('fractal')!r}")
    chk.check(int(ca.get("width", -1)) == width and int(ca.get("height", -1)) == height and
              int(ca.get("frames", -1)) == frames and int(ca.get("strip_rows", -1)) == strip_rows,
              f"{name}: width/height/frames/strip_rows attributes {[ca.get(k) for k in ('width', 'height', 'frames', 'strip_rows')]}")
    fr = f["frames"]
    for k in ["xmin", "xmax", "ymin", "ymax", "c_re", "c_im", "max_iter"]:
        if not chk.check(k in fr, f"{name}: /frames/{k} missing"):
            continue
        want = np.uint32 if k == "max_iter" else np.float64
        chk.check(fr[k].dtype == np.dtype(want) and fr[k].shape == (frames,),
                  f"{name}: /frames/{k} is {fr[k].dtype} {fr[k].shape}, expected {np.dtype(want)} ({frames},)")
    if "max_iter" in fr:
        chk.check((fr["max_iter"][...] == max_iter).all(), f"{name}: /frames/max_iter {fr['max_iter'][...]}")
    counts = c[...]
    chk.check(counts.max() <= max_iter, f"{name}: a count exceeds max_iter: {counts.max()}")
    if "chunks" in f:
        n = frames * -(-height // strip_rows)
        ch = f["chunks"]
        for k in ["done", "hash", "iterations"]:
            if chk.check(k in ch, f"{name}: /chunks/{k} missing"):
                chk.check(ch[k].shape == (n,), f"{name}: /chunks/{k} shape {ch[k].shape}, expected ({n},)")
        if "done" in ch:
            chk.check((ch["done"][...] == 1).all(), f"{name}: /chunks/done not all 1: {ch['done'][...]}")
        if "iterations" in ch and "total_iterations" in ca:
            chk.check(int(ch["iterations"][...].sum()) == int(ca["total_iterations"]),
                      f"{name}: sum(/chunks/iterations) {int(ch['iterations'][...].sum())} != total_iterations {int(ca['total_iterations'])}")
    return counts


if ok["julia.h5"]:
    with h5py.File(out("julia.h5"), "r") as f:
        check_common("julia.h5", f, 3, 48, 64, 16, 200, np.uint16, "julia")
        ca, fr = f["counts"].attrs, f["frames"]
        chk.check(float(ca["escape_radius"]) == 2.0 and float(ca["fps"]) == 24.0,
                  f"julia.h5: escape_radius {ca['escape_radius']} fps {ca['fps']}")
        for k, v in [("xmin", -1.8), ("xmax", 1.8), ("ymin", -1.8), ("ymax", 1.8), ("c_re", -0.62772)]:
            chk.check((fr[k][...] == v).all(), f"julia.h5: /frames/{k} = {fr[k][...]}, expected {v} in every frame")
        ci = fr["c_im"][...]
        chk.check(ci[0] == -0.42193 and ci[-1] == -0.42193 + 0.1 and abs(ci[1] - (-0.42193 + 0.05)) < 1e-12,
                  f"julia.h5: /frames/c_im {ci.tolist()}, expected linear from -0.42193 to -0.42193+0.1, ends included")

if ok["big.h5"]:
    with h5py.File(out("big.h5"), "r") as f:
        counts = check_common("big.h5", f, 1, 10, 12, 4, 70000, np.uint32, "mandelbrot")
        ca = f["counts"].attrs
        chk.check(float(ca["z0_re"]) == 0.0625 and float(ca["z0_im"]) == -0.03125 and float(ca["escape_radius"]) == 3.0,
                  f"big.h5: z0 {ca['z0_re']},{ca['z0_im']} escape_radius {ca['escape_radius']}")
        if counts is not None:
            chk.check((counts == 70000).any(), f"big.h5: no interior pixel stored as 70000 (values above 65535 lost?): max {counts.max()}")

if ok["edge.h5"]:
    with h5py.File(out("edge.h5"), "r") as f:
        counts = check_common("edge.h5", f, 1, 10, 12, None, 65535, np.uint16, "mandelbrot")
        if counts is not None:
            chk.check((counts == 65535).any(), "edge.h5: no interior pixel stored as 65535")
            chk.check(float(f["counts"].attrs["z0_re"]) == 0.0 and float(f["counts"].attrs["z0_im"]) == 0.0,
                      "edge.h5: default z0 is not 0")

if ok["level0.h5"] and ok["level9.h5"]:
    with h5py.File(out("level0.h5"), "r") as f0, h5py.File(out("level9.h5"), "r") as f9:
        check_common("level0.h5", f0, 1, 30, 40, 8, 50, np.uint16, "julia", level=0)
        check_common("level9.h5", f9, 1, 30, 40, 8, 50, np.uint16, "julia", level=9)
        chk.check(np.array_equal(f0["counts"][...], f9["counts"][...]), "compression level 0 and 9 give different counts")

chk.done()
