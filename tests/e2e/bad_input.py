#!/usr/bin/env python3
"""Bad input: every numeric option refuses nan / inf / 1e309 / 18446744073709551616 / "10px" / "" (and
-1 / 0 where its range excludes them) with exit 2, EXACTLY one line on stderr naming the option and
the value, and no OUT.h5 / OUT.h5.partial left; likewise unknown options, extra positionals, bad config
files, empty views, existing outputs (untouched), missing or unwritable directories (exit 1); under
mpirun a refused job prints one line in all, not one per rank, and mpirun exits with the same code."""
import concurrent.futures
import itertools
import os
import re
import shutil
import stat

import e2e_lib as E

args = E.parse_args()
chk = E.Checker("bad_input")
W = args.work

BAD_ALWAYS = ["nan", "inf", "-inf", "1e309", "10px", ""]
BIG = "18446744073709551616"  # 2^64

# option -> (kind, context options needed so that the option under test is the only fault)
COORD, POSITIVE, INTEGER = "coordinate", "positive", "integer"
B = {"xmin": "-1", "xmax": "1", "ymin": "-1", "ymax": "1"}
C = {"center-re": "0", "center-im": "0", "view-width": "1"}
EC = {"end-center-re": "0", "end-center-im": "0", "end-view-width": "0.5"}


def others(group, name):
    return [f"--{k}={v}" for k, v in group.items() if k != name]


OPTIONS = {
    "c-re": (COORD, []), "c-im": (COORD, []), "c-im-increment": (COORD, ["--frames", "2"]),
    "z0-re": (COORD, ["--fractal", "mandelbrot"]), "z0-im": (COORD, ["--fractal", "mandelbrot"]),
    "max-iter": (INTEGER, []), "escape-radius": (POSITIVE, []),
    **{k: (COORD, others(B, k)) for k in B},
    "center-re": (COORD, others(C, "center-re")), "center-im": (COORD, others(C, "center-im")),
    "view-width": (POSITIVE, others(C, "view-width")),
    "width": (INTEGER, []), "height": (INTEGER, []), "num-steps": (INTEGER, []),
    "frames": (INTEGER, []), "duration": (POSITIVE, []), "fps": (POSITIVE, []),
    "end-center-re": (COORD, others(EC, "end-center-re")), "end-center-im": (COORD, others(EC, "end-center-im")),
    "end-view-width": (POSITIVE, others(EC, "end-view-width")),
    "strip-rows": (INTEGER, []), "compression-level": (INTEGER, []), "progress-interval": (POSITIVE, []),
    "max-iter-growth": (COORD, ["--key", "frame=1 width=1"]),  # keyframes (docs/ANIMATION.md); 0 is valid
    "power": (INTEGER, []), "rotation": (COORD, []), "supersample": (INTEGER, []),
    "preview-size": (INTEGER, ["--preview"]),
    # exponential map: R in (1, 1e6], with a centre view and an end width
    "zoom-sequence": (POSITIVE, others(C, "") + ["--end-view-width", "0.5"]),
}
NON_NUMERIC = {"help", "print-config", "output", "overwrite", "fractal", "kernel", "skip-disk-check", "no-interior-skip",
               "key", "interp", "interp-center", "interp-width", "interp-rotation", "interp-c", "interp-max-iter",
               "family", "smooth", "distance", "preview", "no-bla",
               # deep zoom: any positive decimal is a valid --zoom (1e309 too); tests/deep/ covers them
               "zoom", "location", "precision", "end-zoom"}


def refused_values(name, kind):
    v = list(BAD_ALWAYS)
    if name != "escape-radius":  # its range (0, 1e150] admits 2^64
        v.append(BIG)
    if kind in (POSITIVE, INTEGER):
        v += ["-1", "0"] if name != "compression-level" else ["-1", "10"]
    if kind == INTEGER:
        v += ["1.5"]
    return v


def small(name):
    """Keeps a wrongly accepted value cheap to render."""
    o = []
    if name not in ("width", "height", "num-steps"):
        o += ["--width", "16", "--height", "12"] if name not in ("view-width", "center-re", "center-im") else ["--width", "16"]
    if name != "max-iter":
        o += ["--max-iter", "20"]
    return o


def opt_re(name):
    return re.compile(r"(?<![\w-])--" + re.escape(name) + r"(?![\w-])")


_n = itertools.count(1)


def fresh_dir(tag):
    d = os.path.join(W, f"{next(_n):04d}-{re.sub(r'[^A-Za-z0-9_.-]', '_', tag)[:40]}")
    os.makedirs(d)
    return d


def one_error_line(r, what, code=2, must=(), mpi=False):
    """exit `code`; stderr = exactly one line (under mpirun: exactly one line from fractal-render),
    containing every pattern/string in `must`."""
    ok = chk.check(r.rc == code, f"{what}: expected exit {code}\n  {r.describe()}")
    lines = r.err.splitlines()
    if mpi:  # mpirun adds its own boxed notice about the non-zero exit; ours must appear once
        ours = [l for l in lines if "fractal-render" in l or "error" in l.lower() and "--" in l]
        ok &= chk.check(len(ours) == 1, f"{what}: expected one error line from all ranks, got {len(ours)}: {ours}")
        line = ours[0] if ours else ""
    else:
        ok &= chk.check(len(lines) == 1 and r.err.endswith("\n"),
                        f"{what}: expected exactly one line on stderr, got {len(lines)}: {r.err!r}")
        line = lines[0] if lines else ""
    for m in must:
        hit = m.search(line) if hasattr(m, "search") else (m in line)
        ok &= chk.check(hit, f"{what}: error line does not name {getattr(m, 'pattern', m)!r}: {line!r}")
    return ok


def no_files(d, what, allowed=()):
    left = [f for f in E.listdir(d) if f not in allowed]
    return chk.check(not left, f"{what}: files left behind: {left}")


# --- 0. The table covers every option --help lists -----------------------------------------------
r = E.direct(args, ["--help"])
listed = set(re.findall(r"^  (?:-\w \[ )?--([a-z0-9-]+)", r.out, re.M))
chk.check(listed, f"--help lists no options: {r.out[:300]!r}")
unclassified = listed - set(OPTIONS) - NON_NUMERIC
chk.check(not unclassified, f"--help lists options this test does not classify (add them to OPTIONS): {sorted(unclassified)}")
missing = set(OPTIONS) - listed
chk.check(not missing, f"options not listed by --help: {sorted(missing)}")


# --- 1. Every numeric option x every value it must refuse, run directly (MPI singleton) ----------
def case(name, kind, value, form):
    d = fresh_dir(f"{name}{value}")
    ctx = OPTIONS[name][1]
    val = [f"--{name}={value}"] if form == "eq" else [f"--{name}", value]
    r = E.direct(args, ctx + small(name) + val + ["-o", "OUT.h5"], cwd=d)
    return name, value, form, d, r


jobs = []
for name, (kind, _) in OPTIONS.items():
    for value in refused_values(name, kind):
        jobs.append((name, kind, value, "sep"))
        if value == "-1":  # "--name -1" could be taken for a short option; "--name=-1" cannot
            jobs.append((name, kind, value, "eq"))
    jobs.append((name, kind, "", "eq"))  # "--name=": Boost's own message; must still name the option

results = []
later = []  # every other direct case, run in the same pool


def deferred(fn):
    later.append(fn)
    return fn


# Aliases of workload 1 report like their canonical option.
for alias, canon, value in [("max-iterations", "max-iter", "10px"), ("num-frames", "frames", "0"),
                            ("framerate", "fps", "inf"), ("c-imag-initial", "c-im", "nan"),
                            ("c-imag-increment", "c-im-increment", "")]:
    @deferred
    def _(alias=alias, canon=canon, value=value):
        d = fresh_dir(alias)
        r = E.direct(args, ["--width", "16"] + ([] if canon == "max-iter" else ["--max-iter", "20"]) +
                     [f"--{alias}", value, "-o", "OUT.h5"], cwd=d)
        one_error_line(r, f"alias --{alias} {value!r}", 2,
                       [re.compile(f"(?<![\\w-])--({re.escape(alias)}|{re.escape(canon)})(?![\\w-])"), f"'{value}'"])
        no_files(d, f"alias --{alias}")

# Bad values from a config file: one line naming the option, the value and the file.
for name, value in [("width", "10px"), ("max-iter", "nan"), ("xmin", "inf"), ("fps", "0"), ("frames", BIG)]:
    @deferred
    def _(name=name, value=value):
        d = fresh_dir("cfg-" + name)
        lines = [f"{name} = {value}"] + [f"{o.lstrip('-').split('=')[0]} = {o.split('=')[1]}"
                                         for o in OPTIONS[name][1] if "=" in o]
        with open(os.path.join(d, "job.cfg"), "w") as f:
            f.write("\n".join(lines) + "\n")
        r = E.direct(args, ["job.cfg", "-o", "OUT.h5"], cwd=d)
        one_error_line(r, f"config file '{name} = {value}'", 2,
                       [re.compile(r"(?<![\w-])(--)?" + re.escape(name) + r"(?![\w-])"), f"'{value}'", "job.cfg"])
        no_files(d, f"config file {name}", allowed=("job.cfg",))


# --- 2. Other usage errors ------------------------------------------------------------------------
def _usage(tag, opts, must, code=2, files=None, allowed=(), cwd=None):
    d = cwd or fresh_dir(tag)
    for fname, text in (files or {}).items():
        with open(os.path.join(d, fname), "w") as f:
            f.write(text)
    r = E.direct(args, opts, cwd=d)
    one_error_line(r, tag, code, must)
    no_files(d, tag, allowed=tuple(files or ()) + tuple(allowed))


def usage(*a, **k):
    later.append(lambda: _usage(*a, **k))


usage("unknown option", ["--bogus", "1", "-o", "OUT.h5"], ["--bogus"])
usage("unknown short option", ["-q", "-o", "OUT.h5"], ["-q"])
usage("two configs", ["a.cfg", "b.cfg", "-o", "OUT.h5"], [], files={"a.cfg": "width = 8\n", "b.cfg": "width = 8\n"})
usage("config unknown key", ["a.cfg", "-o", "OUT.h5"], ["a.cfg", "bogus"], files={"a.cfg": "width = 8\nbogus = 3\n"})
usage("config junk line", ["a.cfg", "-o", "OUT.h5"], ["a.cfg"], files={"a.cfg": "width = 8\nthis is not an option line\n"})
usage("config binary junk", ["a.cfg", "-o", "OUT.h5"], ["a.cfg"], files={"a.cfg": "width = 8\n\x01\x02[[[ ]]\n"})
usage("config missing", ["nope.cfg", "-o", "OUT.h5"], ["nope.cfg"])
usage("config with output", ["a.cfg", "-o", "OUT.h5"], ["a.cfg", "output"], files={"a.cfg": "output = X.h5\n"})
usage("option twice", ["--width", "8", "--width", "9", "-o", "OUT.h5"], ["width"])
usage("xmin == xmax", ["--xmin", "1", "--xmax", "1", "--ymin", "-1", "--ymax", "1", "-o", "OUT.h5"], ["--xmin", "--xmax"])
usage("xmin > xmax", ["--xmin", "2", "--xmax", "1", "--ymin", "-1", "--ymax", "1", "-o", "OUT.h5"], ["--xmin", "--xmax"])
usage("ymin > ymax", ["--xmin", "-1", "--xmax", "1", "--ymin", "1", "--ymax", "0.5", "-o", "OUT.h5"], ["--ymin", "--ymax"])
usage("bounds incomplete", ["--xmin", "-1", "--xmax", "1", "-o", "OUT.h5"], [re.compile(r"--y(min|max)")])
usage("julia option on mandelbrot", ["--fractal", "mandelbrot", "--c-re", "0.1", "-o", "OUT.h5"], ["--c-re"])
usage("bad fractal", ["--fractal", "newton", "-o", "OUT.h5"], ["--fractal", "'newton'"])
usage("bad kernel", ["--kernel", "sse9", "-o", "OUT.h5"], ["--kernel", "'sse9'"])
usage("no output", ["--width", "8"], ["--output"])
usage("empty output", ["--width", "8", "-o", ""], ["--output"])
usage("output is a directory", ["--width", "8", "-o", "sub"], ["sub"], allowed=("sub",),
      cwd=(lambda d: (os.mkdir(os.path.join(d, "sub")), d)[1])(fresh_dir("outdir")))

# Existing output without --overwrite: exit 2, file untouched, no .partial.
@deferred
def _():
    d = fresh_dir("exists")
    p = os.path.join(d, "OUT.h5")
    with open(p, "wb") as f:
        f.write(b"precious, not an HDF5 file\n")
    os.utime(p, (1_000_000_000, 1_000_000_000))
    before = (open(p, "rb").read(), os.stat(p).st_mtime_ns, os.stat(p).st_ino)
    r = E.direct(args, ["--width", "8", "--max-iter", "10", "-o", "OUT.h5"], cwd=d)
    one_error_line(r, "existing output without --overwrite", 2, ["OUT.h5", "--overwrite"])
    chk.check((open(p, "rb").read(), os.stat(p).st_mtime_ns, os.stat(p).st_ino) == before, "existing output was modified")
    no_files(d, "existing output", allowed=("OUT.h5",))


# Output in a directory that does not exist: exit 1, the path named, nothing created.
@deferred
def _():
    d = fresh_dir("nodir")
    r = E.direct(args, ["--width", "8", "--max-iter", "10", "-o", "missing/deeper/OUT.h5"], cwd=d)
    one_error_line(r, "output in a missing directory", 1, ["missing/deeper"])
    no_files(d, "missing directory")


# Unwritable directory: exit 1, the path named. Root ignores permissions: use procfs there.
@deferred
def _():
    if os.geteuid() != 0:
        d = fresh_dir("readonly")
        ro = os.path.join(d, "ro")
        os.mkdir(ro)
        os.chmod(ro, stat.S_IRUSR | stat.S_IXUSR)
        r = E.direct(args, ["--width", "8", "--max-iter", "10", "-o", "ro/OUT.h5"], cwd=d)
        one_error_line(r, "unwritable directory", 1, ["ro/OUT.h5"])
        chk.check(E.listdir(ro) == [], "unwritable directory: something was created in it")
        os.chmod(ro, stat.S_IRWXU)
    elif os.path.isdir("/proc/self"):
        print("note: running as root, where permissions do not stop writes: "
              "using procfs (/proc/self, /proc) as the unwritable directory")
        r = E.direct(args, ["--width", "8", "--max-iter", "10", "--skip-disk-check", "-o", "/proc/self/OUT.h5"], cwd=W)
        one_error_line(r, "unwritable directory (/proc/self)", 1, ["/proc/self/OUT.h5"])
        # access() passes here for root; the HDF5 create itself fails and must still be one line, exit 1.
        r = E.direct(args, ["--width", "8", "--max-iter", "10", "--skip-disk-check", "-o", "/proc/OUT.h5"], cwd=W)
        one_error_line(r, "uncreatable file (/proc/OUT.h5)", 1, ["/proc/OUT.h5"])
    else:
        print("SKIPPED CASE: unwritable directory (running as root, and no procfs to stand in for one)")


jobs_fns = [lambda j=j: results.append(case(*j)) for j in jobs] + later
# Each run mostly waits for the MPI singleton start-up: 8 at a time keeps 2 cores busy.
with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
    for f in [pool.submit(fn) for fn in jobs_fns]:
        f.result()
for name, value, form, d, r in results:
    what = f"--{name}{'=' if form == 'eq' else ' '}{value!r}"
    must = [opt_re(name)]
    if not (form == "eq" and value == ""):
        must.append(f"'{value}'")
    one_error_line(r, what, 2, must)
    no_files(d, what)
print(f"{len(results)} option/value cases and {len(later)} other cases run")


# --- 3. Under mpirun: one line in total, and mpirun's exit code is the program's -----------------
mpi_later = []


def mpi_case(*a, **k):
    mpi_later.append(lambda: _mpi_case(*a, **k))


def _mpi_case(tag, np, opts, code, must, allowed=(), setup=None):
    d = fresh_dir("mpi-" + tag)
    if setup:
        setup(d)
    r = E.render(args, opts, np=np, cwd=d, timeout=60)
    one_error_line(r, f"mpirun -np {np}: {tag}", code, must, mpi=True)
    no_files(d, f"mpirun -np {np}: {tag}", allowed=allowed)


mpi_case("width 10px", 2, ["--width", "10px", "-o", "OUT.h5"], 2, [opt_re("width"), "'10px'"])
mpi_case("max-iter nan", 2, ["--max-iter", "nan", "-o", "OUT.h5"], 2, [opt_re("max-iter"), "'nan'"])
mpi_case("strip-rows 2^64", 2, ["--strip-rows", BIG, "-o", "OUT.h5"], 2, [opt_re("strip-rows"), f"'{BIG}'"])
mpi_case("fps 0", 3, ["--fps", "0", "-o", "OUT.h5"], 2, [opt_re("fps"), "'0'"])
mpi_case("unknown option", 3, ["--bogus", "-o", "OUT.h5"], 2, ["--bogus"])
mpi_case("height inf", 3, ["--height", "inf", "-o", "OUT.h5"], 2, [opt_re("height"), "'inf'"])


def make_existing(d):
    with open(os.path.join(d, "OUT.h5"), "w") as f:
        f.write("x")


mpi_case("existing output", 3, ["--width", "8", "--max-iter", "10", "-o", "OUT.h5"], 2, ["OUT.h5"],
         allowed=("OUT.h5",), setup=make_existing)
mpi_case("missing directory", 3, ["--width", "8", "--max-iter", "10", "-o", "missing/OUT.h5"], 1, ["missing"])
with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
    for f in [pool.submit(fn) for fn in mpi_later]:
        f.result()
print(f"{len(mpi_later)} mpirun cases run")

chk.done()
