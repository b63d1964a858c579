#!/usr/bin/env python3
"""Every result-affecting parameter is compared with what was recorded. Against an interrupted job's
journal and against a finished OUT.h5, changing any one of them (fractal, size, frames, max_iter,
hence the data type, escape radius, c, the sweep, z0, the view, the end view, fps, strip rows,
compression level) is refused: exit 2, one line on stderr naming the parameter, nothing written
(the journal is byte-for-byte unchanged, no OUT.h5, no lock left). Settings that do not change
the file (kernel, progress interval, rank count) may change: the job resumes and ends identical to
an uninterrupted run, and the same command on the finished file exits 0 and renders nothing."""
import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import resume_lib as R

E = R.E
args = E.parse_args()
E.need_h5py()
chk = E.Checker("resume.params_refused")
W = args.work

# Three small jobs (each option given once, so a variant replaces a value).
JULIA = {"fractal": "julia", "width": "64", "height": "48", "frames": "6", "max-iter": "300", "c-re": "-0.7",
         "c-im": "0.27", "c-im-increment": "0.05", "xmin": "-1.5", "xmax": "1.5", "ymin": "-1.125",
         "ymax": "1.125", "escape-radius": "2", "fps": "30", "strip-rows": "8", "compression-level": "1"}
ZOOM = {"fractal": "mandelbrot", "width": "60", "height": "40", "frames": "5", "max-iter": "200",
        "center-re": "-0.75", "center-im": "0.1", "view-width": "2.5", "end-center-re": "-0.74",
        "end-center-im": "0.12", "end-view-width": "0.5", "strip-rows": "8"}
MANDEL = {"fractal": "mandelbrot", "width": "50", "height": "40", "frames": "2", "max-iter": "150",
          "z0-re": "0.1", "z0-im": "-0.05", "strip-rows": "8"}


def opts(d, out="OUT.h5"):
    o = []
    for k, v in d.items():
        o += [f"--{k}", v]
    return o + ["-o", out]


def variant(base, **changes):
    d = dict(base)
    for k, v in changes.items():
        k = k.replace("_", "-")
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


# (base job, changes, words the message must contain)
CASES = [
    (JULIA, dict(fractal="mandelbrot", c_re=None, c_im=None, c_im_increment=None), ["--fractal"]),
    (JULIA, dict(width="65"), ["--width"]),
    (JULIA, dict(height="47"), ["--height"]),
    (JULIA, dict(frames="7"), ["--frames"]),
    (JULIA, dict(max_iter="301"), ["--max-iter"]),
    (JULIA, dict(max_iter="70000"), ["--max-iter"]),  # uint16 -> uint32: the data type changes too
    (JULIA, dict(escape_radius="3"), ["--escape-radius"]),
    (JULIA, dict(c_re="-0.71"), ["--c-re"]),
    (JULIA, dict(c_im="0.28"), ["--c-im"]),
    (JULIA, dict(c_im_increment="0.06"), ["--c-im-increment"]),
    (JULIA, dict(xmin="-1.6"), ["--xmin"]),
    (JULIA, dict(xmax="1.4"), ["--xmax"]),
    (JULIA, dict(ymin="-1.2"), ["--ymin"]),
    (JULIA, dict(ymax="1.2"), ["--ymax"]),
    (JULIA, dict(fps="25"), ["--fps"]),
    (JULIA, dict(strip_rows="16"), ["--strip-rows"]),
    (JULIA, dict(compression_level="0"), ["--compression-level"]),
    (JULIA, dict(compression_level="6"), ["--compression-level"]),
    (ZOOM, dict(end_view_width="0.4"), ["end view"]),
    (ZOOM, dict(end_center_re="-0.7"), ["end view"]),
    (ZOOM, dict(center_re="-0.7"), ["--xmin"]),
    (MANDEL, dict(z0_re="0.2"), ["--z0-re"]),
    (MANDEL, dict(z0_im="0.0"), ["--z0-im"]),
]
HARMLESS = ["--kernel", "scalar", "--progress-interval", "0.5"]


def snapshot(d):
    return {f: open(os.path.join(d, f), "rb").read() for f in sorted(os.listdir(d))}


def refused(src, job, changes, words, against, i):
    what = f"{against}: {' '.join(f'--{k.replace(chr(95), chr(45))} {v}' for k, v in changes.items())}"
    d = f"{src}.case{i}"  # a copy each, so that the cases can run side by side
    shutil.copytree(src, d)
    before = snapshot(d)
    r = E.direct(args, opts(variant(job, **changes)), cwd=d)
    lines = [l for l in r.err.splitlines() if l.strip()]
    chk.check(r.rc == 2, f"{what}: expected exit 2\n  {r.describe()}")
    if chk.check(len(lines) == 1, f"{what}: expected one stderr line, got {lines}"):
        for w in words + ["--overwrite"]:
            chk.check(w in lines[0], f"{what}: the message does not name '{w}': {lines[0]}")
    chk.check(snapshot(d) == before, f"{what}: files changed: {sorted(before)} -> {E.listdir(d)}")
    shutil.rmtree(d)


def refuse_all(d, job, against):
    """Every case of CASES for this job, four at a time (a run is mostly MPI start-up, not CPU)."""
    cases = [(c, w) for base, c, w in CASES if base is job]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda iw: refused(d, job, iw[1][0], iw[1][1], against, iw[0]), enumerate(cases)))
    return len(cases)


counts = {"journal": 0, "finished file": 0}
for name, job in (("julia", JULIA), ("zoom", ZOOM), ("mandel", MANDEL)):
    d = os.path.join(W, name)
    os.makedirs(d)
    r = E.render(args, opts(job, os.path.join(d, "ref.h5")), np=2)
    chk.ok_run(r, f"{name}: reference")
    ref = os.path.join(d, "ref.h5")
    # An interrupted job, deterministically: the test hook makes rank 0 fail after one item.
    env = {"FRACTAL_TEST_FAIL_RANK": "0", "FRACTAL_TEST_FAIL_AFTER_ITEMS": "1"}
    failed = R.Job(args, opts(job), np=0, cwd=d, env_extra=env, log_name="../" + name + ".fail.log")
    failed.wait(60)
    chk.check(failed.rc != 0 and os.path.exists(os.path.join(d, "OUT.h5.journal")),
              f"{name}: the injected failure left no journal\n  {failed.describe()}")
    os.remove(os.path.join(d, "OUT.h5.partial"))  # never needed to resume
    if os.path.exists(os.path.join(d, "OUT.h5.lock")):
        os.remove(os.path.join(d, "OUT.h5.lock"))  # left by the dead job (its lock died with it)
    os.rename(ref, os.path.join(W, name + "-ref.h5"))
    ref = os.path.join(W, name + "-ref.h5")
    counts["journal"] += refuse_all(d, job, f"{name} journal")
    # Harmless changes resume, at another rank count.
    r = E.render(args, opts(job) + HARMLESS, np=3, cwd=d)
    if chk.ok_run(r, f"{name}: resume with another kernel, progress interval and rank count"):
        chk.check("resuming:" in r.out, f"{name}: did not resume\n  {r.describe()}")
        R.same_as_reference(chk, os.path.join(d, "OUT.h5"), ref, f"{name}: resumed")
    # Now against the finished file.
    counts["finished file"] += refuse_all(d, job, f"{name} finished file")
    before = snapshot(d)
    st = os.stat(os.path.join(d, "OUT.h5"))
    r = E.direct(args, opts(job) + HARMLESS, cwd=d)
    if chk.ok_run(r, f"{name}: the same command on the finished file"):
        chk.check("already complete" in r.out, f"{name}: no 'already complete' message\n  {r.describe()}")
        chk.check(snapshot(d) == before and os.stat(os.path.join(d, "OUT.h5")).st_mtime_ns == st.st_mtime_ns,
                  f"{name}: the finished file or its directory changed")

print(f"refused: {counts['journal']} changed parameters against a journal, {counts['finished file']} against a finished file")
chk.done()
