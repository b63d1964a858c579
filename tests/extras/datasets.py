#!/usr/bin/env python3
"""/smooth and /distance (--smooth --distance) and --supersample, end to end: the datasets exist
as float32 with /counts' shape, chunks and filters; /counts is bit for bit the same as without
them; the values are the same at -np 1, 2 and 3; a job killed with kill -9 and run again ends with
the same /smooth and /distance; --supersample 2 stores exactly the counts of a render at twice the
width and height of the same view, with width/height (stored grid) and output_width/height
attributes; the job identity refuses resuming with --smooth toggled."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resume"))
import resume_lib as R  # noqa: E402

E = R.E
args = E.parse_args(lambda p: p.add_argument("--colour", default=""))
E.need_h5py()
import h5py  # noqa: E402
import numpy as np  # noqa: E402

chk = E.Checker("extras.datasets")
W = args.work
JOB = ["--fractal", "julia", "--c-re", "-0.62772", "--c-im", "-0.42193", "--c-im-increment", "0.2",
       "--frames", "3", "--width", "101", "--height", "67", "--strip-rows", "10", "--max-iter", "400",
       "--xmin", "-1.6", "--xmax", "1.6", "--ymin", "-1.0", "--ymax", "1.0"]
EXTRAS = ["--smooth", "--distance"]


def out(name):
    return os.path.join(W, name)


def render(opts, name, np_=2):
    r = E.render(args, opts + ["-o", out(name)], np=np_, timeout=120)
    chk.ok_run(r, name)
    return out(name)


def planes(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][...] for k in ("counts", "smooth", "distance") if k in f}


plain = render(JOB, "plain.h5")
ex2 = render(JOB + EXTRAS, "extras-np2.h5")
with h5py.File(ex2, "r") as f:
    c = f["counts"]
    for name in ("smooth", "distance"):
        if not chk.check(name in f, f"/{name} missing from {ex2}"):
            continue
        d = f[name]
        chk.check(d.dtype == np.dtype("<f4"), f"/{name} dtype {d.dtype}, expected little-endian float32")
        chk.check(d.shape == c.shape, f"/{name} shape {d.shape} != /counts {c.shape}")
        chk.check(d.chunks == c.chunks, f"/{name} chunks {d.chunks} != /counts {c.chunks}")
        chk.check(d.compression == c.compression and d.compression_opts == c.compression_opts and d.shuffle == c.shuffle,
                  f"/{name} filters differ from /counts: {d.compression} {d.compression_opts} {d.shuffle}")
    counts = c[...]
    mi = f["frames/max_iter"][...]
    s = f["smooth"][...]
    dist = f["distance"][...]
    interior = counts == mi[:, None, None]
    chk.check(interior.any() and (~interior).any(), "the test view should have interior and exterior pixels")
    chk.check(np.array_equal(s[interior], np.broadcast_to(mi[:, None, None], counts.shape)[interior].astype("f4")),
              "interior /smooth != max_iter")
    chk.check(bool((dist[interior] == 0).all()), "interior /distance != 0")
    ext = ~interior
    diff = s[ext] - counts[ext]
    chk.check(bool(np.isfinite(s).all()) and diff.min() > -1.5 and diff.max() < 0.5,
              f"/smooth - count outside (-1.5, 0.5): {diff.min()} .. {diff.max()}")
    chk.check(bool((dist[ext] > 0).all()) and bool(np.isfinite(dist).all()), "exterior /distance not positive and finite")
with h5py.File(plain, "r") as f:
    chk.check("smooth" not in f and "distance" not in f, "a job without --smooth/--distance stores them")
a, b = planes(plain), planes(ex2)
chk.check(a["counts"].dtype == b["counts"].dtype and np.array_equal(a["counts"], b["counts"]),
          "/counts differ between runs with and without --smooth --distance")
E.compare_files(chk, plain, ex2, "counts with vs without extras", keys=["counts", "chunks/hash", "counts@verification_hash"])

for np_ in (1, 3):
    p = planes(render(JOB + EXTRAS, f"extras-np{np_}.h5", np_))
    for k in ("counts", "smooth", "distance"):
        chk.check(k in p and p[k].tobytes() == b[k].tobytes(), f"/{k} differs between -np 2 and -np {np_}")

# Resuming with a different --smooth is refused, naming it.
r = E.render(args, JOB + ["--distance", "-o", ex2], np=1)
chk.check(r.rc == 2 and "--smooth" in r.err, f"the existing file has --smooth, this job not: expected exit 2 naming --smooth\n  {r.describe()}")

# kill -9 mid-run, then the same command: identical planes.
KJOB = R.sweep(frames=8, width=240, height=180, max_iter=6000) + EXTRAS
ref = render(KJOB, "kill-ref.h5", 2)
K = out("killed.h5")
job = R.Job(args, KJOB + ["-o", K], np=2)
t0 = time.monotonic()
killed = False
while time.monotonic() - t0 < 60 and job.p.poll() is None:
    j = R.read_journal(K + ".journal") if os.path.exists(K + ".journal") else None
    if j and len(j[2]) >= 6:
        job.kill_all()
        killed = True
        break
    time.sleep(0.01)
job.wait(60)
chk.check(killed, f"the job ended before it could be killed (make it longer)\n  {job.describe()}")
j = R.read_journal(K + ".journal")
kept = len(j[2]) if j else 0
print(f"killed with {kept} chunk records in the journal")
r = E.render(args, KJOB + ["-o", K], np=2, timeout=120)
if chk.ok_run(r, "resume after kill -9"):
    chk.check(not killed or "resuming:" in r.out, f"the second run did not resume\n  {r.describe()}")
    x, y = planes(ref), planes(K)
    for k in ("counts", "smooth", "distance"):
        chk.check(k in y and x[k].tobytes() == y[k].tobytes(), f"/{k} of the resumed job differs from the reference")
    chk.check(not os.path.exists(K + ".journal"), "journal left behind")

# --supersample 2 == twice the width and height, same view, bit for bit.
SS = ["--fractal", "mandelbrot", "--center-re", "-0.745", "--center-im", "0.11", "--view-width", "0.05",
      "--width", "48", "--height", "32", "--max-iter", "500", "--strip-rows", "8"]
ss = render(SS + ["--supersample", "2", "--smooth"], "ss2.h5")
big = render(["--fractal", "mandelbrot", "--center-re", "-0.745", "--center-im", "0.11", "--view-width", "0.05",
              "--width", "96", "--height", "64", "--max-iter", "500", "--strip-rows", "8", "--smooth"], "ss-big.h5")
with h5py.File(ss, "r") as f, h5py.File(big, "r") as g:
    chk.check(f["counts"].shape == (1, 64, 96), f"--supersample 2 /counts shape {f['counts'].shape}, expected (1, 64, 96)")
    at = f["counts"].attrs
    chk.check((int(at["width"]), int(at["height"]), int(at["output_width"]), int(at["output_height"]), int(at["supersample"])) ==
              (96, 64, 48, 32, 2), f"--supersample 2 attributes: {dict(at)}")
    chk.check(np.array_equal(f["counts"][...], g["counts"][...]), "--supersample 2 counts != the 2x render of the same view")
    chk.check(f["smooth"][...].tobytes() == g["smooth"][...].tobytes(), "--supersample 2 smooth != the 2x render's")
    for k in ("xmin", "xmax", "ymin", "ymax"):
        chk.check(f["frames/" + k][0] == g["frames/" + k][0], f"/frames/{k} differs")
    for k in ("rotation", "rotation_cos", "rotation_sin"):
        chk.check(k in f["frames"] and f["frames/" + k].dtype == np.float64 and f["frames/" + k].shape == (1,),
                  f"/frames/{k} missing or not float64 [frames]")
    chk.check(f["counts"].attrs["family"] in ("multibrot", b"multibrot") and int(f["counts"].attrs["power"]) == 2,
              "family/power attributes")
    chk.check(int(f.attrs["format_version"]) == 3, "format_version != 3")
chk.done()
