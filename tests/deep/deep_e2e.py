#!/usr/bin/env python3
"""End-to-end tests of deep zoom (perturbation from an MPFR reference orbit), CTest labels "deep"
and "deep-long" (tests/deep.cmake). One script, one case per run:

    deep_e2e.py --bin FRACTAL_RENDER --mpiexec MPIEXEC --work DIR --source SRC --checker DEEP_CHECK --case NAME

Cases (see CASES at the bottom): accuracy_1e14, accuracy_5e113, accuracy_1e50, accuracy_4e533,
accuracy_julia, accuracy_supersample_rotation, invariance, resume, bad_input, print_config, smooth,
distance, bla, accuracy_long. The accuracy cases judge the renderer's counts with tools/deep_check
(fractal-deep-check: direct MPFR iteration, no perturbation, shares no code with the renderer) at
>= 99.9 % exact. Exit 0 pass, 1 fail, 77 skipped (numpy/h5py missing).
"""
import os
import re
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "resume"))
import e2e_lib as E  # noqa: E402


def extra_args(p):
    p.add_argument("--checker", required=True, help="fractal-deep-check executable")
    p.add_argument("--case", required=True, help="which test to run")
    p.add_argument("--checker-threads", type=int, default=2, help="OMP_NUM_THREADS of the checker")
    p.add_argument("--colour", default="", help="fractal-colour executable (the distance case)")


args = E.parse_args(extra_args)
args.checker = os.path.abspath(args.checker)
E.need_h5py()
import h5py  # noqa: E402
import numpy as np  # noqa: E402

LOC = os.path.join(args.source, "tests", "data", "locations")
chk = E.Checker("deep." + args.case)

METHOD_LINE = {1: "precision: perturbation (double deltas)", 2: "precision: perturbation (extended-exponent deltas)"}
OVERALL_RE = re.compile(r"^overall: compared (\d+), exact (\d+) \(([0-9.]+)%\), precision-sensitive (\d+), "
                        r"position-sensitive (\d+)", re.M)

# A point of the Julia set of c = -0.8 + 0.156i: the 40th preimage (inverse branches chosen by a
# seeded coin) of the repelling fixed point (1 + sqrt(1 - 4c)) / 2, computed with gmpy2 at 2000 bits;
# forward iteration returns to the fixed point within 5e-591. Every view around it, at any depth,
# straddles the boundary (at 1e-40: counts 97..1068, 239 distinct values over 64x64).
JULIA_RE = ("-0.7716463839972265320104401011256626623569662818099902055371749536576120455150851227197846541354786530005630240"
            "343926292553784771927455366068049262279380369266516634206033280211453788851160248016734833849502298729151576468"
            "419868866768693158801536799498593856955321217679968857296900160181105460926612264591981558386334353153516076587"
            "37832409504515725017225775780556649149595051302301624622239436534204295703428780388679153")
JULIA_IM = ("-0.2759235745752983350767755001402739273828959462158422253864966908140522872214368512009087095849178439234513731"
            "930551154631735071614416953217200785544449690118023391943520749822874370677284382092040782536600348589275155251"
            "780122810947255776877300496432743656130924023871854638679470005851466455346216517319807111673374992232912053336"
            "31485532552098578036612927534656151486222136895219624392338542935377388460739783673115021")


# ---- helpers ----------------------------------------------------------------------------------

def kfr(name):
    """The fields of tests/data/locations/NAME.kfr as texts: Re, Im, Zoom, Iterations."""
    d = {}
    for line in open(os.path.join(LOC, name + ".kfr")):
        if ":" in line:
            k, v = line.split(":", 1)
            d[k.strip()] = v.strip()
    return d


def out_path(tag):
    return os.path.join(args.work, tag + ".h5")


def render(tag, opts, np_=2, threads=1, timeout=600, cwd=None):
    out = out_path(tag)
    r = E.render(args, list(opts) + ["-o", out, "--overwrite"], np=np_, threads=threads, timeout=timeout, cwd=cwd)
    print(f"{tag}: render at -np {np_} x {threads} thread(s): exit {r.rc} in {r.secs:.2f} s", flush=True)
    for line in r.out.splitlines():
        if "precision:" in line or line.lstrip().startswith("reference") or "verification" in line:
            print("   |" + line)
    return r, out


def run_checker(path, samples, min_exact=0.999, what="", timeout=600):
    """fractal-deep-check PATH --samples N --min-exact F; checks it passed. Returns (compared, exact)."""
    cmd = [args.checker, path, "--samples", str(samples), "--min-exact", str(min_exact)]
    r = E.run(cmd, threads=args.checker_threads, timeout=timeout)
    m = OVERALL_RE.search(r.out)
    print(f"{what}: checker ({samples} samples) exit {r.rc} in {r.secs:.2f} s", flush=True)
    for line in r.out.splitlines():
        if "pixel (" in line or "-sensitive (" in line or line.startswith("overall"):
            print("   |" + line)
    if not chk.check(m is not None, f"{what}: no 'overall:' line from the checker\n  {r.describe()}"):
        return None
    compared, exact, sens, psens = int(m.group(1)), int(m.group(2)), int(m.group(4)), int(m.group(5))
    frac = exact / compared if compared else 0.0
    print(f"{what}: FIGURE exact {exact}/{compared} = {100 * frac:.3f}% (excluded: precision-sensitive {sens}, "
          f"position-sensitive {psens})")
    chk.check(r.rc == 0, f"{what}: checker FAILED: {exact} of {compared} exact ({100 * frac:.3f}%), "
                         f"required >= {100 * min_exact:.1f}%\n  {r.describe()}")
    chk.check(compared >= 0.9 * min(samples, 10 ** 9),
              f"{what}: only {compared} of {samples} samples compared ({sens} precision-, {psens} position-sensitive)")
    chk.check(frac >= min_exact, f"{what}: exact fraction {frac:.5f} < {min_exact}")
    return compared, exact


def attr_text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def frames_text(f, key, i=0):
    return attr_text(f["frames"][key][i])


def check_deep_file(path, what, method, max_iter=None, roles=None):
    """format_version 3, /frames/method, /frames/max_iter, /counts@deep, /reference/<role>."""
    with h5py.File(path, "r") as f:
        chk.check(int(f.attrs["format_version"]) == 3, f"{what}: format_version {f.attrs['format_version']} != 3")
        chk.check(int(f.attrs["complete"]) == 1, f"{what}: complete != 1")
        m = f["frames/method"][...]
        chk.check((m == method).all(), f"{what}: /frames/method {m.tolist()} != {method}")
        if max_iter is not None:
            mi = f["frames/max_iter"][...]
            chk.check((mi == max_iter).all(), f"{what}: /frames/max_iter {mi.tolist()} != the location's {max_iter}")
            print(f"{what}: /frames/max_iter {mi.tolist()} (location: {max_iter})")
        deep = attr_text(f["counts"].attrs.get("deep", ""))
        chk.check(deep.startswith("perturbation"), f"{what}: /counts@deep is {deep!r}")
        chk.check("reference" in f, f"{what}: no /reference group")
        if "reference" in f:
            names = sorted(f["reference"])
            have = [n for n in names if not n.endswith("_exp")]
            if roles is not None:
                chk.check(have == sorted(roles), f"{what}: /reference holds {have}, expected {sorted(roles)}")
            for role in have:
                # the extended values (re, im, exponent) beside the doubles, one row per orbit entry
                x = f["reference"].get(role + "_exp")
                chk.check(x is not None and x.shape == (f["reference"][role].shape[0], 3),
                          f"{what}: /reference/{role}_exp missing or not [L, 3]")
                d = f["reference"][role]
                a = d.attrs
                ok = d.ndim == 2 and d.shape[1] == 2 and d.dtype == np.float64 and int(a["length"]) == d.shape[0]
                chk.check(ok, f"{what}: /reference/{role} is {d.shape} {d.dtype}, length attr {a.get('length')}")
                for k in ("precision_bits", "max_iter", "length", "escaped", "z0_re", "z0_im", "c_re", "c_im"):
                    chk.check(k in a, f"{what}: /reference/{role} lacks attribute {k}")
                if max_iter is not None and "max_iter" in a:
                    chk.check(int(a["max_iter"]) == max_iter, f"{what}: /reference/{role}@max_iter {a['max_iter']} != {max_iter}")
        return f["counts"][...]


def method_line_ok(r, method, what):
    chk.check(METHOD_LINE[method] in r.out,
              f"{what}: summary lacks '{METHOD_LINE[method]}'\n  {r.describe()}")


# ---- 1. accuracy of the KF benchmark locations ------------------------------------------------

LOCATIONS = {  # name: (size, samples, method)
    "1e14": (128, 400, 1),
    "5e113": (128, 200, 1),
    "1e50": (48, 80, 1),
    "4e533": (48, 60, 2),
    "5e227": (48, 24, 1),   # deep-long
    "1e1086": (48, 24, 2),  # deep-long
}


def accuracy_location(name):
    size, samples, method = LOCATIONS[name]
    k = kfr(name)
    iters = int(k["Iterations"])
    what = f"{name} at {size}x{size}"
    print(f"== {what}: render at -np 2 with the published {iters} iterations, then fractal-deep-check "
          f"on {samples} samples at >= 99.9% exact; method {method} ({METHOD_LINE[method]})")
    r, out = render(name, ["--location", os.path.join(LOC, name + ".kfr"), "--width", str(size), "--height", str(size),
                           "--strip-rows", "8"], timeout=1800)
    if not chk.ok_run(r, what):
        return
    method_line_ok(r, method, what)
    chk.check(f"max_iter {iters}," in r.out, f"{what}: summary does not say max_iter {iters}: {r.out[:200]!r}")
    check_deep_file(out, what, method, max_iter=iters, roles=["centre"])
    run_checker(out, samples, what=what, timeout=1800)


# ---- 2. Julia ---------------------------------------------------------------------------------

def accuracy_julia():
    for width, method in (("1e-40", 1), ("1e-320", 2)):
        what = f"julia c=-0.8+0.156i at width {width}"
        print(f"== {what}, 64x64, around a point of the Julia set: every pixel checked at >= 99.9% exact; method {method}")
        r, out = render(f"julia-{width}", ["--fractal", "julia", "--c-re", "-0.8", "--c-im", "0.156",
                                           "--center-re", JULIA_RE, "--center-im", JULIA_IM, "--view-width", width,
                                           "--width", "64", "--height", "64", "--max-iter", "3000", "--strip-rows", "8"])
        if not chk.ok_run(r, what):
            continue
        method_line_ok(r, method, what)
        counts = check_deep_file(out, what, method, max_iter=3000, roles=["julia-start", "julia-critical"])
        with h5py.File(out, "r") as f:
            jc = (frames_text(f, "julia_c_re"), frames_text(f, "julia_c_im"))
            chk.check(jc == ("-0.8", "0.156"), f"{what}: /frames/julia_c_re/im {jc}")
        distinct = len(np.unique(counts))
        print(f"{what}: counts {counts.min()}..{counts.max()}, {distinct} distinct values")
        chk.check(distinct >= 50, f"{what}: only {distinct} distinct counts: the view does not straddle the boundary")
        run_checker(out, 64 * 64, what=what)


# ---- 3. supersampling and rotation -------------------------------------------------------------

def accuracy_supersample_rotation():
    what = "1e14 --supersample 2 at 64x64"
    print(f"== {what}: stored 128x128 samples, checker on 400 at >= 99.9% exact")
    r, out = render("1e14-ss2", ["--location", os.path.join(LOC, "1e14.kfr"), "--width", "64", "--height", "64",
                                 "--supersample", "2", "--strip-rows", "16"])
    if chk.ok_run(r, what):
        method_line_ok(r, 1, what)
        c = check_deep_file(out, what, 1, max_iter=4036)
        chk.check(c.shape == (1, 128, 128), f"{what}: /counts shape {c.shape}, expected (1, 128, 128)")
        run_checker(out, 400, what=what)

    what = "5e113 --rotation 30 at 64x64"
    print(f"== {what}: checker on 200 samples at >= 99.9% exact; the rotation must change the counts")
    loc = ["--location", os.path.join(LOC, "5e113.kfr"), "--width", "64", "--height", "64", "--strip-rows", "8"]
    r, out = render("5e113-rot30", loc + ["--rotation", "30"])
    r0, out0 = render("5e113-rot0", loc)
    if chk.ok_run(r, what) and chk.ok_run(r0, "5e113 unrotated at 64x64"):
        c = check_deep_file(out, what, 1, max_iter=35494)
        c0 = check_deep_file(out0, "5e113 unrotated", 1, max_iter=35494)
        with h5py.File(out, "r") as f:
            rot = float(f["frames/rotation"][0])
        chk.check(abs(rot - 30) < 1e-9, f"{what}: /frames/rotation {rot}")
        diff = int((c != c0).sum())
        print(f"{what}: {diff} of {c.size} counts differ from the unrotated view")
        chk.check(diff > c.size // 4, f"{what}: only {diff} counts differ from the unrotated view")
        run_checker(out, 200, what=what)


# ---- 4. rank / thread invariance --------------------------------------------------------------

def cpu_has_avx2_fma():
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    return "avx2" in flags and "fma" in flags


def invariance():
    jobs = {
        "5e113": ["--location", os.path.join(LOC, "5e113.kfr"), "--width", "48", "--height", "40", "--strip-rows", "4"],
        "4e533": ["--location", os.path.join(LOC, "4e533.kfr"), "--width", "32", "--height", "24", "--strip-rows", "4"],
    }
    avx2 = cpu_has_avx2_fma()
    for job, opts in jobs.items():
        runs = [(1, 1, "auto"), (3, 2, "auto"), (2, 1, "scalar")]
        # 4e533 has extended-exponent deltas: the AVX2 kernel for them too (the 4-lane one, which
        # --kernel auto does not pick on an AVX-512 CPU)
        if job == "4e533" and avx2:
            runs.append((1, 1, "avx2"))
        print(f"== {job}: -np 1 x 1, -np 3 x 2, -np 2 x 1 --kernel scalar"
              f"{', -np 1 x 1 --kernel avx2' if len(runs) > 3 else ''} give identical /counts, /frames, /chunks "
              "and hash (the first two with the best kernel this CPU has: AVX-512 perturbation where it exists)")
        if job == "4e533" and not avx2:
            print("  (no AVX2/FMA on this CPU: the --kernel avx2 run is left out)")
        ref = None
        for np_, th, kernel in runs:
            tag = f"inv-{job}-np{np_}-t{th}-{kernel}"
            r, out = render(tag, opts + ["--kernel", kernel], np_=np_, threads=th)
            if not chk.ok_run(r, tag):
                continue
            if kernel == "avx2":
                chk.check("perturbation kernel: avx2, 4 pixels at once" in r.out,
                          f"{tag}: summary lacks 'perturbation kernel: avx2, 4 pixels at once'\n  {r.describe()}")
            chk.check(f"{np_} rank(s) x {th} thread(s)" in r.out, f"{tag}: summary lacks '{np_} rank(s) x {th} thread(s)'")
            # one node: one copy of the orbits and BLA tables in MPI shared memory for all its ranks
            chk.check(f"one copy in MPI shared memory for the node's {np_} rank(s) (1 node(s))" in r.out,
                      f"{tag}: summary lacks the shared-memory line for {np_} rank(s)\n  {r.describe()}")
            h = E.printed_hash(r.out)
            d = E.load(out)
            attr = int(d["counts@verification_hash"])
            chk.check(h == f"{attr:016x}", f"{tag}: printed hash {h} != attribute {attr:016x}")
            if ref is None:
                ref = (tag, out, h)
            else:
                if E.compare_files(chk, ref[1], out, f"{job}: {ref[0]} vs {tag}"):
                    print(f"{tag}: identical to {ref[0]} (hash {h})")


# ---- 5. interruption and resume ---------------------------------------------------------------

REF_READ_RE = re.compile(r"reference orbits read from (\S+) in ([0-9.]+) s \(not recomputed\)")
REF_COMPUTED_RE = re.compile(r"reference orbits computed in ([0-9.]+) s")


def interrupt_mid_run(opts, out, what, min_records, limit_s=120):
    """fractal-render opts -o out on -np 2, sent SIGUSR1 once its journal holds min_records chunks.
    Returns (whether it was still running then, its exit status, the resume_lib.Job)."""
    import resume_lib as R
    job = R.Job(args, opts + ["-o", out], np=2, log_name=what.replace(" ", "_") + ".log")
    records = 0
    while job.p.poll() is None and job.elapsed() < limit_s:
        j = R.read_journal(out + ".journal") if os.path.exists(out + ".journal") else None
        records = len(j[2]) if j else 0
        if records >= min_records:
            break
        time.sleep(0.01)
    alive = job.p.poll() is None
    at = job.elapsed()
    if alive:
        os.kill(job.p.pid, signal.SIGUSR1)
    rc = job.wait(timeout=60)
    R.wait_session_gone(job.sid, 30)
    print(f"{what}: SIGUSR1 after {records} journal record(s) at {at:.2f} s, exit {rc} at {job.secs:.2f} s")
    return alive, rc, job


def resume():
    import resume_lib as R
    # 384x384 in 64 chunks, plain perturbation (--no-bla): ~4 s on 2 ranks even with the AVX-512
    # kernel, so that it is still running after the first journal checkpoint (2 s) shows 3 records
    opts = ["--location", os.path.join(LOC, "5e113.kfr"), "--width", "384", "--height", "384", "--strip-rows", "6",
            "--progress-interval", "1", "--no-bla"]
    print("== 5e113 384x384 --no-bla in 64 chunks of 6 rows on -np 2: SIGUSR1 mid-way -> exit 3 with OUT.h5.reference; "
          "the rerun reads it (not recomputed) and ends identical to an uninterrupted run")
    r, ref = render("uninterrupted", opts)
    if not chk.ok_run(r, "uninterrupted run"):
        return
    ref_hash = E.printed_hash(r.out)
    OUT = os.path.join(args.work, "OUT.h5")
    REFF = OUT + ".reference"

    def interrupted(what):
        for f in os.listdir(args.work):
            if f.startswith("OUT.h5"):
                os.remove(os.path.join(args.work, f))
        alive, rc, job = interrupt_mid_run(opts, OUT, what, 3)
        ok = chk.check(alive, f"{what}: the job ended before it could be interrupted\n  {job.describe()}")
        ok &= chk.check(rc == R.EXIT_INTERRUPTED, f"{what}: expected exit 3\n  {job.describe()}")
        ok &= chk.check(os.path.exists(REFF), f"{what}: no {REFF} beside the journal ({E.listdir(args.work)})")
        chk.check(os.path.exists(OUT + ".journal"), f"{what}: no journal left")
        chk.check(not os.path.exists(OUT), f"{what}: an interrupted job left OUT.h5")
        j = R.read_journal(OUT + ".journal") if os.path.exists(OUT + ".journal") else None
        if j:
            print(f"{what}: journal holds {len(j[2])} of {j[1]} chunks")
            chk.check(0 < len(j[2]) < j[1], f"{what}: {len(j[2])} of {j[1]} chunks: not a mid-run interruption")
        return ok

    # a) plain resume
    if interrupted("first interruption"):
        r = E.render(args, opts + ["-o", OUT], np=2, timeout=300)
        print(f"resume: exit {r.rc} in {r.secs:.2f} s")
        if chk.ok_run(r, "resume"):
            m = REF_READ_RE.search(r.out)
            if chk.check(m, f"resume: summary lacks 'reference orbits read from ... (not recomputed)'\n  {r.describe()}"):
                secs = float(m.group(2))
                print(f"resume: FIGURE reference orbits read from {m.group(1)} in {secs} s")
                chk.check(m.group(1).endswith("OUT.h5.reference"), f"resume: read from {m.group(1)}")
                chk.check(secs < 0.1, f"resume: reading the reference took {secs} s (limit 0.1 s)")
            chk.check(not REF_COMPUTED_RE.search(r.out), "resume: the summary also says the orbits were computed")
            chk.check("were not used" not in r.out + r.err, f"resume: a warning about the reference file: {r.err!r}")
            chk.check(E.printed_hash(r.out) == ref_hash, f"resume: hash {E.printed_hash(r.out)} != {ref_hash}")
            R.same_as_reference(chk, OUT, ref, "resumed")
            chk.check(not os.path.exists(REFF), f"resume: {REFF} left after completion")

    # b) damaged sidecar: a warning, recomputed, same result
    if interrupted("second interruption"):
        data = bytearray(open(REFF, "rb").read())
        pos = len(data) // 2
        data[pos] ^= 0x40
        open(REFF, "wb").write(bytes(data))
        print(f"damaged {REFF}: flipped bit 6 of byte {pos} of {len(data)}")
        r = E.render(args, opts + ["-o", OUT], np=2, timeout=300)
        print(f"resume with a damaged reference file: exit {r.rc} in {r.secs:.2f} s")
        if chk.ok_run(r, "resume (damaged reference)"):
            warn = [l for l in (r.out + "\n" + r.err).splitlines() if "were not used" in l]
            print("   |" + "\n   |".join(warn))
            chk.check(len(warn) == 1 and "recomputed them" in warn[0] and "OUT.h5.reference" in warn[0],
                      f"resume (damaged): expected one '... were not used: ...; recomputed them' line naming the file, "
                      f"got {warn}\n  {r.describe()}")
            chk.check(REF_COMPUTED_RE.search(r.out), f"resume (damaged): summary does not say 'computed in'\n  {r.describe()}")
            chk.check(not REF_READ_RE.search(r.out), "resume (damaged): summary says the orbits were read")
            chk.check(E.printed_hash(r.out) == ref_hash, f"resume (damaged): hash {E.printed_hash(r.out)} != {ref_hash}")
            R.same_as_reference(chk, OUT, ref, "resumed after damage")
            chk.check(not os.path.exists(REFF), f"resume (damaged): {REFF} left after completion")


# ---- 6. refused input -------------------------------------------------------------------------

def bad_input():
    d = os.path.join(args.work, "bad")
    os.makedirs(d)
    nozoom = os.path.join(d, "nozoom.kfr")
    open(nozoom, "w").write("Re: -0.75\nIm: 0.1\nIterations: 1000\n")
    deep = ["--fractal", "mandelbrot", "--center-re", "-0.75", "--center-im", "0.1"]
    deepw = deep + ["--view-width", "1e-30"]
    l50 = os.path.join(LOC, "1e50.kfr")
    big = "0." + "1" * 100001
    cases = [  # (what, options, texts the one stderr line must contain)
        ("--view-width abc", deep + ["--view-width", "abc"], ["--view-width", "abc"]),
        ("--view-width nan", deep + ["--view-width", "nan"], ["--view-width", "nan"]),
        ("--view-width -1e-50", deep + ["--view-width", "-1e-50"], ["--view-width", "-1e-50"]),
        ("--view-width 0", deep + ["--view-width", "0"], ["--view-width", "'0'"]),
        ("--view-width 1e-2000000", deep + ["--view-width", "1e-2000000"], ["--view-width", "2000000"]),
        ("--zoom 0", deep + ["--zoom", "0"], ["--zoom", "0"]),
        ("--center-re 1e7", ["--fractal", "mandelbrot", "--center-re", "1e7", "--center-im", "0", "--view-width", "1e-30"],
         ["--center-re", "1e7"]),
        ("--center-re of 100001 digits", ["--fractal", "mandelbrot", "--center-re", big, "--center-im", "0",
                                          "--view-width", "1e-30"], ["--center-re", "digits"]),
        ("--location missing.kfr", ["--location", os.path.join(d, "missing.kfr")], ["--location", "missing.kfr"]),
        ("--location without Zoom", ["--location", nozoom], ["--location", "nozoom.kfr", "Zoom"]),
        ("--family burning-ship deep", deepw + ["--family", "burning-ship"], ["--family", "burning-ship"]),
        ("--key c= on a deep Julia path", ["--fractal", "julia", "--key", "frame=0 center=0.1,0.1 width=1e-30 c=-0.8,0.156",
                                           "--key", "frame=10 width=1e-31"], ["--key", "c=-0.8,0.156", "Julia"]),
        ("--key width=1e-2000000", ["--fractal", "mandelbrot", "--key", "frame=0 center=-0.75,0.1 width=1e-2000000"],
         ["--key", "1e-2000000"]),
        ("--end-center-re 1e7 in a deep zoom", deepw + ["--end-center-re", "1e7", "--end-center-im", "0.1",
                                                        "--end-view-width", "1e-31", "--frames", "3"], ["--end-center-re", "1e7"]),
        ("--end-center-re without --end-center-im", deepw + ["--end-center-re", "-0.7", "--end-view-width", "1e-31",
                                                             "--frames", "3"], ["--end-center-im"]),
        ("--end-view-width 0", deepw + ["--end-view-width", "0", "--frames", "3"], ["--end-view-width", "'0'"]),
        ("--end-zoom with --end-view-width", deepw + ["--end-zoom", "1e31", "--end-view-width", "1e-31", "--frames", "3"],
         ["--end-zoom", "--end-view-width"]),
        ("--precision double on 1e50", ["--location", l50, "--precision", "double"], ["--precision", "double"]),
        ("--precision bogus", deepw + ["--precision", "bogus"], ["--precision", "bogus"]),
        ("--max-iter 4294967295 deep", deepw + ["--max-iter", "4294967295"], ["--max-iter", "4294967295", "reference orbit", "MiB"]),
    ]
    print(f"== {len(cases)} refused inputs: exit 2, exactly one stderr line naming option and value, nothing left behind")
    for what, opts, needles in cases:
        sub = os.path.join(d, re.sub(r"[^A-Za-z0-9]+", "_", what))
        os.makedirs(sub)
        r = E.direct(args, opts + ["--width", "16", "--height", "16", "-o", os.path.join(sub, "OUT.h5")], cwd=sub)
        lines = [l for l in r.err.splitlines() if l.strip()]
        print(f"{what}: exit {r.rc}: {lines[0][:240] if lines else '(no stderr)'}")
        chk.check(r.rc == 2, f"{what}: expected exit 2\n  {r.describe()}")
        if chk.check(len(lines) == 1, f"{what}: expected one stderr line, got {len(lines)}: {lines[:4]}"):
            chk.check(lines[0].startswith("fractal-render: error:"), f"{what}: line does not start 'fractal-render: error:'")
            for n in needles:
                chk.check(n in lines[0], f"{what}: the line does not contain {n!r}: {lines[0][:400]!r}")
            chk.check(len(lines[0]) < 1000, f"{what}: the line is {len(lines[0])} characters long")
        left = [f for f in os.listdir(sub) if f.startswith("OUT.h5")]
        chk.check(not left, f"{what}: left {left}")
    # Control: the same base view renders (the refusals above are the options', not the view's).
    sub = os.path.join(d, "control")
    os.makedirs(sub)
    r = E.direct(args, deepw + ["--width", "16", "--height", "16", "--max-iter", "200", "-o", os.path.join(sub, "OUT.h5")])
    chk.ok_run(r, "control: --view-width 1e-30 deep view")
    chk.check("precision: perturbation" in r.out, f"control: not rendered by perturbation: {r.out[:300]!r}")


# ---- 7. --print-config round trip --------------------------------------------------------------

def parse_cfg(text):
    d = {}
    for line in text.splitlines():
        if " = " in line:
            k, v = line.split(" = ", 1)
            d[k.strip()] = v
    return d


def print_config():
    k = kfr("1e1086")
    print(f"== --print-config of 1e1086.kfr reproduces Re/Im/Zoom ({len(k['Re'])}/{len(k['Im'])}/{len(k['Zoom'])} "
          f"characters) and max-iter {k['Iterations']}; printing the printed config again gives the same text")
    r = E.direct(args, ["--location", os.path.join(LOC, "1e1086.kfr"), "--width", "64", "--height", "48", "--print-config"])
    if chk.ok_run(r, "--print-config 1e1086"):
        cfg = parse_cfg(r.out)
        for key, kk in (("center-re", "Re"), ("center-im", "Im"), ("zoom", "Zoom"), ("max-iter", "Iterations")):
            chk.check(cfg.get(key) == k[kk], f"print-config: {key} = {cfg.get(key, '(missing)')[:80]!r}... "
                                             f"is not the .kfr's {kk} text {k[kk][:80]!r}...")
        chk.check(cfg.get("fractal") == "mandelbrot", f"print-config: fractal = {cfg.get('fractal')}")
        chk.check((cfg.get("width"), cfg.get("height")) == ("64", "48"), "print-config: width/height not 64/48")
        printed = os.path.join(args.work, "printed.cfg")
        open(printed, "w").write(r.out)
        r2 = E.direct(args, [printed, "--print-config"])
        if chk.ok_run(r2, "--print-config of the printed config"):
            same = r2.out == r.out
            print(f"print-config: {len(r.out)} characters; printed again: {'identical' if same else 'DIFFERENT'}")
            chk.check(same, f"print-config: printing the printed config differs:\n{r.out[:600]}\n---\n{r2.out[:600]}")

    k = kfr("1e50")
    print("== a config with the 1e50 Re/Im/Zoom/Iterations texts renders the same counts as --location 1e50.kfr (32x32)")
    cfg = os.path.join(args.work, "1e50.cfg")
    open(cfg, "w").write(f"fractal = mandelbrot\ncenter-re = {k['Re']}\ncenter-im = {k['Im']}\nzoom = {k['Zoom']}\n"
                         f"max-iter = {k['Iterations']}\nwidth = 32\nheight = 32\nstrip-rows = 8\n")
    ra, a = render("1e50-location", ["--location", os.path.join(LOC, "1e50.kfr"), "--width", "32", "--height", "32",
                                      "--strip-rows", "8"])
    rb, b = render("1e50-config", [cfg])
    if chk.ok_run(ra, "1e50 --location") and chk.ok_run(rb, "1e50 config"):
        if E.compare_files(chk, a, b, "1e50: --location vs config",
                           keys=["counts", "frames/center_re", "frames/center_im", "frames/view_width", "frames/max_iter",
                                 "frames/method", "counts@verification_hash"]):
            print(f"1e50: config and --location identical (hash {E.printed_hash(ra.out)})")
        with h5py.File(a, "r") as f:
            chk.check(frames_text(f, "center_re") == k["Re"], f"1e50: /frames/center_re {frames_text(f, 'center_re')[:60]!r}... is not the .kfr text")


# ---- 8. smooth ----------------------------------------------------------------------------------

def smooth_reference(path, i, j, bits):
    """The smooth value of pixel (i, j) by direct gmpy2 iteration (docs/FORMAT.md formula), or None."""
    try:
        import gmpy2
        from gmpy2 import mpfr
    except ImportError:
        return None
    import math
    with h5py.File(path, "r") as f:
        H, W = f["counts"].shape[1:]
        cre, cim, vw = frames_text(f, "center_re"), frames_text(f, "center_im"), frames_text(f, "view_width")
        mi = int(f["frames/max_iter"][0])
    gmpy2.get_context().precision = bits
    dx = mpfr(vw) / W
    cr = mpfr(cre) + dx * (j + 0.5 - W / 2)
    ci = mpfr(cim) - dx * (i + 0.5 - H / 2)
    x = y = mpfr(0)
    for k in range(1, mi + 1):
        x, y = x * x - y * y + cr, 2 * x * y + ci
        if x * x + y * y > 4:
            break
    else:
        return float(mi), mi
    n = k - 1
    m = k
    while m < k + 64 and x * x + y * y <= mpfr(2) ** 64:
        x, y = x * x - y * y + cr, 2 * x * y + ci
        m += 1
    L = 0.5 * math.log(float(x * x + y * y))
    return m - 1 - math.log(L / math.log(2.0)) / math.log(2.0), n


def smooth():
    mi = 22735  # about the median count of 5e113 at 64x64: about half the pixels are interior
    print(f"== 5e113 64x64 --smooth at --max-iter {mi}: /smooth exists; escaped pixels within [count - 1.5, count + 1] "
          "(docs/FORMAT.md: (n - 1, n] up to the effect of c; |c| = 1.77 here reaches about n - 1.37), not all integers; interior = max_iter; "
          "/counts unchanged by --smooth; 6 pixels equal a direct gmpy2 computation within 0.01")
    loc = ["--location", os.path.join(LOC, "5e113.kfr"), "--width", "64", "--height", "64", "--strip-rows", "8",
           "--max-iter", str(mi)]
    r, out = render("5e113-smooth", loc + ["--smooth"])
    r0, out0 = render("5e113-nosmooth", loc)
    if not (chk.ok_run(r, "--smooth") and chk.ok_run(r0, "without --smooth")):
        return
    with h5py.File(out, "r") as f:
        if not chk.check("smooth" in f, f"--smooth: no /smooth in {list(f)}"):
            return
        c = f["counts"][...]
        s = f["smooth"][...]
        chk.check(f["smooth"].dtype == np.float32 and s.shape == c.shape, f"/smooth {s.dtype} {s.shape} vs /counts {c.shape}")
    with h5py.File(out0, "r") as f:
        chk.check(np.array_equal(f["counts"][...], c), "--smooth changed /counts")
    esc = c < mi
    ne, ni = int(esc.sum()), int((~esc).sum())
    d = s[esc].astype(np.float64) - c[esc]
    integral = float(np.mean(s[esc] == np.round(s[esc]))) if ne else 1.0
    print(f"smooth: {ne} escaped, {ni} interior; smooth - count in [{d.min():.4f}, {d.max():.4f}]; "
          f"{100 * integral:.2f}% of escaped smooth values are integers")
    chk.check(ne > 100 and ni > 100, f"smooth: {ne} escaped / {ni} interior: the test needs both")
    chk.check(ne and d.min() >= -1.5 and d.max() <= 1.0, f"smooth: smooth - count spans [{d.min()}, {d.max()}]")
    chk.check(integral < 0.5, f"smooth: {100 * integral:.1f}% of escaped pixels have an integral smooth value")
    chk.check(ni == 0 or (s[~esc] == mi).all(), f"smooth: interior values {np.unique(s[~esc])[:5]} != {mi}")
    # Independent values: a few escaped pixels (and one interior) by direct gmpy2 iteration.
    picks = [tuple(p) for p in np.argwhere(esc[0])[:: max(1, ne // 5)][:5]] + [tuple(np.argwhere(~esc[0])[0])]
    for (i, j) in picks:
        ref = smooth_reference(out, int(i), int(j), 448)
        if ref is None:
            print("note: gmpy2 missing, the direct smooth comparison is skipped")
            break
        want, n = ref
        got = float(s[0, i, j])
        print(f"smooth: pixel ({i}, {j}): count {c[0, i, j]} (gmpy2 {n}), smooth {got:.4f} (gmpy2 {want:.4f})")
        chk.check(n == c[0, i, j], f"smooth: pixel ({i}, {j}) count {c[0, i, j]} != gmpy2 {n}")
        chk.check(abs(got - want) <= 0.01, f"smooth: pixel ({i}, {j}) smooth {got} != gmpy2 {want}")


# ---- /distance ---------------------------------------------------------------------------------

DIST_RE = re.compile(r"^overall /distance: compared (\d+), within \S+ (\d+) \(([0-9.]+)%\), largest relative difference (\S+);", re.M)


def distance():
    print("== --distance in deep views: /distance in pixel spacings, judged by fractal-deep-check's MPFR derivative "
          "(relative 1e-3) on 1e14 (double deltas), 4e533 and Julia 1e-320 (extended-exponent deltas); /counts "
          "unchanged by --distance; a damaged /distance fails the checker; fractal-colour --boundary paints from it")
    jobs = [
        ("1e14", 1, ["--location", os.path.join(LOC, "1e14.kfr"), "--width", "64", "--height", "64"], int(kfr("1e14")["Iterations"])),
        ("4e533", 2, ["--location", os.path.join(LOC, "4e533.kfr"), "--width", "12", "--height", "12"], int(kfr("4e533")["Iterations"])),
        ("julia-1e-320", 2, ["--fractal", "julia", "--c-re", "-0.8", "--c-im", "0.156", "--center-re", JULIA_RE,
                             "--center-im", JULIA_IM, "--view-width", "1e-320", "--width", "32", "--height", "32",
                             "--max-iter", "3000"], 3000),
    ]
    for tag, method, opts, mi in jobs:
        what = f"{tag} --distance"
        r, out = render(tag + "-dist", opts + ["--distance", "--smooth", "--strip-rows", "4"], timeout=900)
        r0, out0 = render(tag + "-nodist", opts + ["--strip-rows", "4"], timeout=900)
        if not (chk.ok_run(r, what) and chk.ok_run(r0, tag + " without --distance")):
            continue
        method_line_ok(r, method, what)
        with h5py.File(out, "r") as f, h5py.File(out0, "r") as f0:
            if not chk.check("distance" in f, f"{what}: no /distance in {list(f)}"):
                continue
            c, d = f["counts"][...], f["distance"][...]
            chk.check(np.array_equal(c, f0["counts"][...]), f"{what}: --distance changed /counts")
            chk.check(int(f["frames/method"][0]) == method, f"{what}: /frames/method {f['frames/method'][0]}")
        esc = c < mi
        dpos = d[esc]
        print(f"{what}: {int(esc.sum())} escaped pixels, distance (pixel spacings) median {np.median(dpos):.4g}, "
              f"range {dpos.min():.3g} .. {dpos.max():.3g}; interior {int((c == mi).sum())}")
        chk.check(esc.sum() > 0 and (dpos > 0).all() and np.isfinite(dpos).all(),
                  f"{what}: escaped pixels with a distance <= 0 or not finite: {int((~(dpos > 0)).sum())}")
        chk.check((d[c == mi] == 0).all(), f"{what}: interior pixels with a distance != 0")
        # in pixel spacings: a view at 1e-14 .. 1e-533 has O(1) values, complex-plane units would be ~1e-16 or 0
        # in pixel spacings: O(1e-3 .. 1e2) at every depth (dense filaments: 4e533's median is ~5e-3); in
        # complex-plane units the values would be ~1e-16 (1e14) or round to 0 in float32 (4e533, 1e-320)
        chk.check(1e-6 < float(np.median(dpos)) < 1e4, f"{what}: median distance {np.median(dpos)} is not in pixel spacings")
        rc = E.run([args.checker, out, "--samples", str(c.size)], threads=args.checker_threads, timeout=900)
        m = DIST_RE.search(rc.out)
        print(f"{what}: checker exit {rc.rc} in {rc.secs:.2f} s")
        for line in rc.out.splitlines():
            if line.startswith("overall") or "distance (" in line:
                print("   |" + line)
        chk.check(rc.rc == 0, f"{what}: the checker failed\n  {rc.describe()}")
        if chk.check(m is not None, f"{what}: no 'overall /distance:' line\n  {rc.describe()}"):
            print(f"{what}: FIGURE /distance {m.group(2)}/{m.group(1)} within 1e-3, largest relative difference {m.group(4)}")
            chk.check(int(m.group(1)) >= 0.5 * esc.sum(), f"{what}: only {m.group(1)} distances compared")
        if tag == "1e14":
            # The check can fail: every 50th escaped sample's distance off by 1 % (2 % of the compared
            # distances, beyond the 0.1 % the checker allows).
            bad = out_path("1e14-dist-damaged")
            import shutil
            shutil.copyfile(out, bad)
            where = np.argwhere(esc[0])[::50]
            with h5py.File(bad, "r+") as f:
                d0 = f["distance"][0]
                for i, j in where:
                    d0[i, j] *= np.float32(1.01)
                f["distance"][0] = d0
            rb = E.run([args.checker, bad, "--samples", str(c.size), "--quiet"], threads=args.checker_threads, timeout=900)
            print(f"{what}: damaged /distance at {len(where)} escaped pixels: checker exit {rb.rc}")
            chk.check(rb.rc == 1 and "overall /distance" in rb.out and "FAILED" in rb.out,
                      f"{what}: the checker did not fail on a damaged /distance\n  {rb.describe()}")
            if args.colour:
                png = out_path("1e14-boundary").replace(".h5", ".png")
                png0 = out_path("1e14-noboundary").replace(".h5", ".png")
                rc1 = E.run([args.colour, out, "--png", png, "--boundary", "0.5", "--boundary-colour", "#ff00ff"], timeout=120)
                rc0 = E.run([args.colour, out, "--png", png0], timeout=120)
                if chk.check(rc1.rc == 0 and rc0.rc == 0, f"fractal-colour --boundary: exit {rc1.rc}/{rc0.rc}\n  {rc1.describe()}"):
                    import matplotlib.image as mpimg
                    a, a0 = mpimg.imread(png), mpimg.imread(png0)
                    magenta = (np.abs(a[..., 0] - 1) < 1e-3) & (a[..., 1] < 1e-3) & (np.abs(a[..., 2] - 1) < 1e-3)
                    want = int(((d[0] < 0.5) & (c[0] < mi)).sum())
                    print(f"fractal-colour --boundary 0.5: {int(magenta.sum())} boundary pixels; /distance < 0.5 at {want}")
                    chk.check(magenta.sum() == want and 0 < want < c[0].size,
                              f"--boundary 0.5 painted {int(magenta.sum())} pixels, /distance < 0.5 at {want} escaped pixels")


# ---- BLA against plain perturbation --------------------------------------------------------------

CHECK_ANY_RE = re.compile(r"^overall: compared (\d+), exact (\d+) \([^)]*\), precision-sensitive (\d+), "
                          r"position-sensitive (\d+)", re.M)  # also "(n/a)" when every pixel is excluded
BLA_LINE_RE = re.compile(r"BLA tables built in ([0-9.]+) s: (\d+) steps of 2\^3 \.\. 2\^(\d+) iterations, epsilon 2\^(-\d+)")


def bla():
    print("== BLA (default) against --no-bla (plain perturbation) on the same pixels: the fraction of identical "
          "counts, and fractal-deep-check on every pixel where they differ: BLA may be wrong (not position- or "
          "precision-sensitive) at no more than 0.1 % of all pixels; the plain run must pass the checker too")
    jobs = [
        ("1e14", ["--location", os.path.join(LOC, "1e14.kfr"), "--width", "128", "--height", "128"], 200),
        ("5e113", ["--location", os.path.join(LOC, "5e113.kfr"), "--width", "64", "--height", "64"], 100),
        ("1e50", ["--location", os.path.join(LOC, "1e50.kfr"), "--width", "48", "--height", "48"], 30),
        ("4e533", ["--location", os.path.join(LOC, "4e533.kfr"), "--width", "32", "--height", "32"], 30),
        ("julia-1e-320", ["--fractal", "julia", "--c-re", "-0.8", "--c-im", "0.156", "--center-re", JULIA_RE,
                          "--center-im", JULIA_IM, "--view-width", "1e-320", "--width", "48", "--height", "48",
                          "--max-iter", "3000"], 400),
    ]
    for tag, opts, plain_samples in jobs:
        rb, outb = render(tag + "-bla", opts + ["--strip-rows", "4"], timeout=900)
        rp, outp = render(tag + "-plain", opts + ["--strip-rows", "4", "--no-bla"], timeout=900)
        if not (chk.ok_run(rb, tag + " with BLA") and chk.ok_run(rp, tag + " --no-bla")):
            continue
        m = BLA_LINE_RE.search(rb.out)
        chk.check(m is not None, f"{tag}: no 'BLA tables built' line\n  {rb.describe()}")
        chk.check("BLA off (--no-bla)" in rp.out, f"{tag} --no-bla: the summary does not say BLA is off")
        with h5py.File(outb, "r") as fb, h5py.File(outp, "r") as fp:
            cb, cp = fb["counts"][0], fp["counts"][0]
            eps_b = float(fb["reference"].attrs["bla_epsilon"])
            eps_p = float(fp["reference"].attrs["bla_epsilon"])
        chk.check(eps_p == 0 and m is not None and eps_b == 2.0 ** int(m.group(4)),
                  f"{tag}: /reference bla_epsilon {eps_b} (BLA) / {eps_p} (plain)")
        diff = np.argwhere(cb != cp)
        same = 1 - len(diff) / cb.size
        print(f"{tag}: FIGURE identical with and without BLA {100 * same:.3f}% ({len(diff)} of {cb.size} differ); "
              f"render {rb.secs:.2f} s with BLA, {rp.secs:.2f} s without")
        if len(diff):
            pix = ",".join(f"{i}:{j}" for i, j in diff)
            rc = E.run([args.checker, outb, "--pixels", pix, "--quiet", "--min-exact", "0"],
                       threads=args.checker_threads, timeout=900)
            mo = CHECK_ANY_RE.search(rc.out)
            if chk.check(mo is not None, f"{tag}: checker on the differing pixels printed no overall line\n  {rc.describe()}"):
                compared, exact = int(mo.group(1)), int(mo.group(2))
                wrong = compared - exact
                print(f"{tag}: of the {len(diff)} differing pixels, BLA exact at {exact}, wrong at {wrong}, "
                      f"precision-sensitive {mo.group(3)}, position-sensitive {mo.group(4)}")
                chk.check(wrong <= 0.001 * cb.size,
                          f"{tag}: BLA wrong at {wrong} of {cb.size} pixels (more than 0.1 %)")
        run_checker(outp, plain_samples, what=tag + " --no-bla", timeout=900)


# ---- deep-long ----------------------------------------------------------------------------------

def accuracy_long():
    for name in ("5e227", "1e1086"):
        t = time.monotonic()
        accuracy_location(name)
        print(f"{name}: FIGURE {time.monotonic() - t:.1f} s in all")


# ---- 8. deep zooms: every frame its own view, one reference ------------------------------------

def zoom():
    loc = kfr("5e113")
    frames, growth, base_iter = 24, 305, 1000
    opts = ["--fractal", "mandelbrot", "--center-re", loc["Re"], "--center-im", loc["Im"], "--view-width", "4",
            "--end-zoom", loc["Zoom"], "--max-iter", str(base_iter), "--max-iter-growth", str(growth),
            "--width", "48", "--height", "27", "--frames", str(frames), "--smooth"]
    what = "zoom 4 -> 5e113"
    print(f"== {what}: {frames} frames of 48x27, max-iter-growth {growth}: per-frame views and budgets, one reference "
          "orbit, sampled frames exact against MPFR, identical for -np 1 x 1 and -np 3 x 1 --kernel scalar")
    r, out = render("zoom-np2", opts, np_=2)
    if not chk.ok_run(r, what):
        return
    m = re.search(r"one reference for all (\d+) perturbation frames \((\d+) with double deltas, (\d+) extended\), "
                  r"(\d+) frame\(s\) in double", r.out)
    if chk.check(m is not None, f"{what}: no deep-zoom reference line\n  {r.describe()}"):
        npert, ndouble = int(m.group(1)), int(m.group(4))
        chk.check(npert + ndouble == frames and ndouble >= 1 and npert >= frames - 4,
                  f"{what}: {npert} perturbation + {ndouble} double frames")
    chk.check("BLA tables: one per frame" in r.out, f"{what}: summary lacks the per-frame BLA line")
    with h5py.File(out, "r") as f:
        method = f["frames"]["method"][...]
        max_iter = f["frames"]["max_iter"][...].astype(np.int64)
        widths = [attr_text(v) for v in f["frames"]["view_width"][...]]
        roles = sorted(k for k in f["reference"].keys() if not k.endswith("_exp")) if "reference" in f else []
        ref_iter = int(f["reference"]["centre"].attrs["max_iter"]) if roles == ["centre"] else -1
    chk.check(list(method[:1]) == [0] and method[-1] == 1 and all(np.diff(method) >= 0),
              f"{what}: /frames/method {list(method)}: double at the start, then perturbation")
    # widths: 4 .. the location's, geometric (log10 steps equal to 1e-9 decades)
    lw = np.array([float(mpmath_log10(w)) for w in widths])
    steps = np.diff(lw)
    chk.check(widths[0] == "4" and abs(steps.max() - steps.min()) < 1e-9,
              f"{what}: view widths not geometric from 4: first {widths[0]}, log10 steps {steps.min()}..{steps.max()}")
    decades = lw[0] - lw[-1]
    expect = np.array([int(np.floor(base_iter + growth * decades * k / (frames - 1) + 0.5)) for k in range(frames)])
    chk.check(np.array_equal(max_iter, expect), f"{what}: /frames/max_iter {list(max_iter)} != {list(expect)}")
    chk.check(roles == ["centre"] and ref_iter == int(max_iter.max()),
              f"{what}: /reference {roles}, max_iter {ref_iter}: expected one orbit 'centre' at {max_iter.max()}")
    pert = [k for k in range(frames) if method[k] != 0]
    pick = sorted({pert[0], pert[len(pert) // 3], pert[2 * len(pert) // 3], pert[-1]})
    cmd = [args.checker, out, "--frames", ",".join(map(str, pick)), "--samples", "40"]
    rc = E.run(cmd, threads=args.checker_threads, timeout=600)
    mm = OVERALL_RE.search(rc.out)
    print(f"{what}: checker on frames {pick}: exit {rc.rc}; {mm.group(0) if mm else rc.out[-300:]}")
    if chk.check(mm is not None and rc.rc == 0, f"{what}: checker failed on frames {pick}\n  {rc.describe()}"):
        compared, exact = int(mm.group(1)), int(mm.group(2))
        print(f"{what}: FIGURE exact {exact}/{compared} on frames {pick}")
        chk.check(compared >= 0.9 * 40 * len(pick) and exact >= 0.999 * compared, f"{what}: {exact}/{compared} exact")
    # The last frame is the still at the end view with the same budget: the same orbit, the same
    # BLA table (its own |dc|), so the same counts bit for bit.
    r2, still = render("zoom-still", ["--fractal", "mandelbrot", "--center-re", loc["Re"], "--center-im", loc["Im"],
                                      "--zoom", loc["Zoom"], "--max-iter", str(max_iter[-1]), "--width", "48",
                                      "--height", "27", "--smooth"], np_=1)
    if chk.ok_run(r2, "end still"):
        with h5py.File(out, "r") as f, h5py.File(still, "r") as g:
            a, b = f["counts"][frames - 1], g["counts"][0]
            chk.check(np.array_equal(a, b), f"{what}: last frame differs from the still in {int((a != b).sum())} pixels")
            chk.check(attr_text(g["frames"]["view_width"][0]) == widths[-1],
                      f"{what}: end width {widths[-1]} vs the still's {attr_text(g['frames']['view_width'][0])}")
    for np_, kernel in ((1, "auto"), (3, "scalar")):
        tag = f"zoom-np{np_}-{kernel}"
        r3, o3 = render(tag, opts + ["--kernel", kernel], np_=np_)
        if chk.ok_run(r3, tag) and E.compare_files(chk, out, o3, f"{what}: np 2 vs {tag}"):
            print(f"{tag}: identical to -np 2")
    # Interrupted and resumed: the per-frame BLA tables are rebuilt where needed, the result is
    # the uninterrupted one bit for bit.
    import resume_lib as R
    ropts = [o for o in opts] + ["--progress-interval", "1"]
    ropts[ropts.index("--width") + 1], ropts[ropts.index("--height") + 1] = "384", "216"
    ropts[ropts.index("--frames") + 1] = "40"
    r, ref = render("zoom-uninterrupted", ropts)
    if chk.ok_run(r, "zoom uninterrupted"):
        OUT = os.path.join(args.work, "ZOOM.h5")
        alive, rc, job = interrupt_mid_run(ropts, OUT, "zoom", 2)
        if chk.check(alive and rc == R.EXIT_INTERRUPTED, f"zoom: not interrupted mid-run (exit {rc})\n  {job.describe()}"):
            r = E.render(args, ropts + ["-o", OUT], np=2, timeout=300)
            if chk.ok_run(r, "zoom resumed"):
                chk.check(REF_READ_RE.search(r.out) is not None, "zoom resumed: the reference orbit was recomputed")
                R.same_as_reference(chk, OUT, ref, "zoom resumed")
    # Julia, deeper than double deltas reach: frames on both sides of 2^-960, every pixel checked.
    what = "julia zoom 1e-280 -> 1e-300"
    print(f"== {what}: 4 frames of 24x24, double then extended-exponent deltas, every pixel checked")
    r, out = render("zoom-julia", ["--fractal", "julia", "--c-re", "-0.8", "--c-im", "0.156", "--center-re", JULIA_RE,
                                   "--center-im", JULIA_IM, "--view-width", "1e-280", "--end-view-width", "1e-300",
                                   "--frames", "4", "--width", "24", "--height", "24", "--max-iter", "3000"], np_=2)
    if chk.ok_run(r, what):
        with h5py.File(out, "r") as f:
            method = list(f["frames"]["method"][...])
        chk.check(method[0] == 1 and method[-1] == 2, f"{what}: /frames/method {method}: expected 1 ... 2")
        run_checker(out, 24 * 24, what=what)
    # A deep zoom whose centre moves, from -0.5+0i (width 4) towards the location: the end centre
    # keeps its place on screen, every frame's centre is stored as text, one reference (the end
    # centre's) serves all, sampled frames are exact against MPFR from their own centres, and the
    # last frame is again the still.
    what = "moving zoom -0.5 -> 5e113"
    mopts = [o if o != loc["Re"] else "-0.5" for o in opts]
    mopts[mopts.index("--center-im") + 1] = "0"
    mopts += ["--end-center-re", loc["Re"], "--end-center-im", loc["Im"]]
    r, out = render("zoom-moving", mopts, np_=2)
    if chk.ok_run(r, what):
        chk.check("towards the end centre" in r.out, f"{what}: summary lacks the moving-zoom reference line\n  {r.describe()}")
        with h5py.File(out, "r") as f:
            cre = [attr_text(v) for v in f["frames"]["center_re"][...]]
            method = f["frames"]["method"][...]
            ref_c = attr_text(f["reference"]["centre"].attrs["c_re"])
            last = f["counts"][frames - 1]
        chk.check(cre[0] == "-0.5" and cre[-1] == loc["Re"] and len(set(cre)) == frames and ref_c == loc["Re"],
                  f"{what}: centres {cre[0]} .. {cre[-1][:20]} ({len(set(cre))} distinct), reference at {ref_c[:20]}")
        pert = [k for k in range(frames) if method[k] != 0]
        pick = sorted({pert[0], pert[len(pert) // 2], pert[-2], pert[-1]})
        rc = E.run([args.checker, out, "--frames", ",".join(map(str, pick)), "--samples", "40"], threads=args.checker_threads,
                   timeout=600)
        mm = OVERALL_RE.search(rc.out)
        print(f"{what}: checker on frames {pick}: exit {rc.rc}; {mm.group(0) if mm else rc.out[-300:]}")
        chk.check(mm is not None and rc.rc == 0, f"{what}: checker failed on frames {pick}\n  {rc.describe()}")
        with h5py.File(still, "r") as g:
            chk.check(np.array_equal(last, g["counts"][0]), f"{what}: last frame differs from the still")
        r3, o3 = render("zoom-moving-np1-scalar", mopts + ["--kernel", "scalar"], np_=1)
        if chk.ok_run(r3, "moving np1 scalar") and E.compare_files(chk, out, o3, f"{what}: np 2 vs np 1 scalar"):
            print(f"{what}: -np 1 --kernel scalar identical to -np 2")


# ---- 9. deep keyframes: --key with arbitrary-precision centres and widths ----------------------

def check_frames(out, pick, samples, what):
    """fractal-deep-check OUT --frames PICK --samples N: exit 0 and >= 99.9 % exact."""
    rc = E.run([args.checker, out, "--frames", ",".join(map(str, pick)), "--samples", str(samples)],
               threads=args.checker_threads, timeout=600)
    mm = OVERALL_RE.search(rc.out)
    print(f"{what}: checker on frames {pick}: exit {rc.rc}; {mm.group(0) if mm else rc.out[-300:]}")
    if chk.check(mm is not None and rc.rc == 0, f"{what}: checker failed on frames {pick}\n  {rc.describe()}"):
        compared, exact = int(mm.group(1)), int(mm.group(2))
        print(f"{what}: FIGURE exact {exact}/{compared} on frames {pick}")
        chk.check(compared >= 0.9 * samples * len(pick) and exact >= 0.999 * compared, f"{what}: {exact}/{compared} exact")


def keys():
    loc, l50 = kfr("5e113"), kfr("1e50")
    # (1) A keyframed zoom from the whole set to the 5e113 location through a key on a 40-digit
    # prefix of its centre, eased widths, budget growing with depth: one reference (the deepest centre
    # key's), each frame's width and centre from the keys in MPFR, sampled frames exact against MPFR,
    # -np 1 --kernel scalar identical, the last frame the still at that view.
    frames, growth, base_iter = 24, 305, 1000
    end_w = "8.88e-114"
    opts = ["--fractal", "mandelbrot", "--width", "48", "--height", "27", "--max-iter", str(base_iter),
            "--max-iter-growth", str(growth), "--interp-width", "ease", "--smooth",
            "--key", "frame=0 center=-0.5,0 width=4",
            "--key", f"frame=10 center={loc['Re'][:40]},{loc['Im'][:40]} width=1e-30",
            "--key", f"frame={frames - 1} center={loc['Re']},{loc['Im']} width={end_w}"]
    what = "keyed zoom 4 -> 5e113"
    print(f"== {what}: {frames} frames of 48x27, three keys (the middle one on a 40-digit prefix), eased widths")
    r, out = render("keys-np2", opts, np_=2)
    if not chk.ok_run(r, what):
        return
    chk.check(re.search(r"keyframed: every frame lies within a few frame widths of the deepest centre key, one reference "
                        r"there for all \d+ perturbation frames", r.out) is not None,
              f"{what}: no one-reference line\n  {r.describe()}")
    with h5py.File(out, "r") as f:
        method = f["frames"]["method"][...]
        ref = f["frames"]["reference"][...]
        max_iter = f["frames"]["max_iter"][...].astype(np.int64)
        widths = [attr_text(v) for v in f["frames"]["view_width"][...]]
        cre = [attr_text(v) for v in f["frames"]["center_re"][...]]
        cim = [attr_text(v) for v in f["frames"]["center_im"][...]]
        roles = sorted(k for k in f["reference"].keys() if not k.endswith("_exp"))
        ref_c = attr_text(f["reference"]["centre"].attrs["c_re"])
        ref_iter = int(f["reference"]["centre"].attrs["max_iter"])
    chk.check(widths[0] == "4" and widths[10] == "1e-30" and widths[-1] == end_w,
              f"{what}: key widths {widths[0]}, {widths[10]}, {widths[-1]}")
    chk.check(cre[0] == "-0.5" and cre[10] == loc["Re"][:40] and cre[-1] == loc["Re"] and cim[-1] == loc["Im"],
              f"{what}: key centres {cre[0]}, {cre[10][:45]}, {cre[-1][:45]}")
    lw = np.array([float(mpmath_log10(w)) for w in widths])
    chk.check(all(np.diff(lw) < 0), f"{what}: widths not decreasing: {widths}")
    # Ease: zero speed at the keys, so the steps next to a key are the segment's smallest.
    steps = -np.diff(lw)
    chk.check(steps[0] < steps[4] and steps[9] < steps[5] and steps[10] < steps[16],
              f"{what}: eased log-width steps {np.round(steps, 3).tolist()}")
    expect = np.array([int(np.floor(base_iter + growth * (lw[0] - lw[k]) + 0.5)) for k in range(frames)])
    chk.check(np.abs(max_iter - expect).max() <= 1, f"{what}: /frames/max_iter {list(max_iter)} vs {list(expect)}")
    pert = [k for k in range(frames) if method[k] != 0]
    chk.check(roles == ["centre"] and ref_c == loc["Re"] and ref_iter == int(max_iter.max()) and
              all(ref[k] == 0 for k in pert) and all(ref[k] == -1 for k in range(frames) if method[k] == 0),
              f"{what}: /reference {roles} at {ref_c[:30]} ({ref_iter} iterations), /frames/reference {list(ref)}")
    check_frames(out, sorted({pert[0], pert[len(pert) // 3], 10, pert[2 * len(pert) // 3], pert[-1]}), 60, what)
    r3, o3 = render("keys-np1-scalar", opts + ["--kernel", "scalar"], np_=1)
    if chk.ok_run(r3, "keys np1 scalar") and E.compare_files(chk, out, o3, f"{what}: np 2 vs np 1 scalar"):
        print(f"{what}: -np 1 --kernel scalar identical to -np 2")
    r2, still = render("keys-still", ["--fractal", "mandelbrot", "--center-re", loc["Re"], "--center-im", loc["Im"],
                                      "--view-width", end_w, "--max-iter", str(max_iter[-1]), "--width", "48",
                                      "--height", "27", "--smooth"], np_=1)
    if chk.ok_run(r2, "keys end still"):
        with h5py.File(out, "r") as f, h5py.File(still, "r") as g:
            a, b = f["counts"][frames - 1], g["counts"][0]
            chk.check(np.array_equal(a, b), f"{what}: last frame differs from the still in {int((a != b).sum())} pixels")
    # (3) Julia, keyed across 2^-960 with a rotation track: the first key on a 290-character prefix of
    # the point (within a frame width of it at 1e-280), one reference at the deeper key, every pixel
    # of every frame exact against MPFR from the frame's own centre and rotation.
    what = "julia keyed 1e-280 -> 1e-300, rotating"
    r, jout = render("keys-julia", ["--fractal", "julia", "--c-re", "-0.8", "--c-im", "0.156", "--width", "24", "--height", "24",
                                    "--max-iter", "3000", "--key", f"frame=0 center={JULIA_RE[:290]},{JULIA_IM[:290]} width=1e-280 rotation=0",
                                    "--key", f"frame=3 center={JULIA_RE},{JULIA_IM} width=1e-300 rotation=30"], np_=2)
    if chk.ok_run(r, what):
        with h5py.File(jout, "r") as f:
            method = list(f["frames"]["method"][...])
            rot = list(f["frames"]["rotation"][...])
            roles = sorted(k for k in f["reference"].keys() if not k.endswith("_exp"))
        chk.check(method[0] == 1 and method[-1] == 2 and rot[0] == 0 and rot[-1] == 30 and 0 < rot[1] < rot[2] < 30,
                  f"{what}: /frames/method {method}, rotation {rot}")
        chk.check(roles == ["julia-critical", "julia-start"], f"{what}: /reference {roles}")
        run_checker(jout, 24 * 24 * 4, what=what)
    # The example config: a deep keyed path with one reference (at 16 pixels across, all 1800 frames).
    r, ex = render("keys-example", [os.path.join(args.source, "configs", "anim-deep-keys-5e113.cfg"), "--preview",
                                    "--preview-size", "16"], np_=2)
    if chk.ok_run(r, "configs/anim-deep-keys-5e113.cfg --preview"):
        chk.check("one reference there for all" in r.out and "1800 frame(s)" in r.out,
                  f"configs/anim-deep-keys-5e113.cfg: not 1800 frames on one reference\n  {r.describe()}")
    # (2) Two deep places: into a 60-digit prefix of the 5e113 centre (1e-40), back out to the whole
    # set (a zoom= key), into the 1e50 location (a location= key: its .kfr's centre and zoom): two
    # references, each serving the frames near it; both exact against MPFR; --print-config reads back
    # to the same job, the same counts.
    what = "keyed path through two deep places"
    frames = 25
    opts = ["--fractal", "mandelbrot", "--width", "40", "--height", "24", "--max-iter", "3000", "--smooth",
            "--key", "frame=0 center=-0.5,0 width=4",
            "--key", f"frame=8 center={loc['Re'][:60]},{loc['Im'][:60]} width=1e-40",
            "--key", "frame=16 center=-0.5,0 zoom=1.5",
            "--key", f"frame=24 location={os.path.join(LOC, '1e50.kfr')}"]
    print(f"== {what}: {frames} frames of 40x24")
    r, out = render("keys-two", opts, np_=2)
    if not chk.ok_run(r, what):
        return
    chk.check("2 references (the path leaves a few frame widths of each" in r.out, f"{what}: no two-reference line\n  {r.describe()}")
    with h5py.File(out, "r") as f:
        ref = f["frames"]["reference"][...]
        roles = sorted(k for k in f["reference"].keys() if not k.endswith("_exp"))
        c0 = attr_text(f["reference"]["centre"].attrs["c_re"])
        c1 = attr_text(f["reference"]["centre-1"].attrs["c_re"]) if "centre-1" in f["reference"] else ""
    chk.check(roles == ["centre", "centre-1"] and c0 == loc["Re"][:60] and c1 == l50["Re"],
              f"{what}: /reference {roles}: {c0[:30]}, {c1[:30]}")
    first = [k for k in range(frames) if ref[k] == 0]
    second = [k for k in range(frames) if ref[k] == 1]
    chk.check(first and second and max(first) < 16 < min(second) and ref[8] == 0 and ref[24] == 1,
              f"{what}: /frames/reference {list(ref)}")
    if first and second:
        check_frames(out, sorted({first[0], 8, first[-1], second[0], 24}), 30, what)
    pc = E.direct(args, opts + ["--print-config"])
    cfg = os.path.join(args.work, "keys-two.cfg")
    open(cfg, "w").write(pc.out)
    r4, o4 = render("keys-two-from-config", [cfg], np_=1)
    if chk.ok_run(r4, "keys from --print-config"):
        E.compare_files(chk, out, o4, f"{what}: from its --print-config")


def mpmath_log10(text):
    import mpmath
    mpmath.mp.prec = 128
    return mpmath.log10(mpmath.mpf(text))


CASES = {
    "accuracy_1e14": lambda: accuracy_location("1e14"),
    "accuracy_5e113": lambda: accuracy_location("5e113"),
    "accuracy_1e50": lambda: accuracy_location("1e50"),
    "accuracy_4e533": lambda: accuracy_location("4e533"),
    "accuracy_julia": accuracy_julia,
    "accuracy_supersample_rotation": accuracy_supersample_rotation,
    "invariance": invariance,
    "resume": resume,
    "bad_input": bad_input,
    "print_config": print_config,
    "smooth": smooth,
    "distance": distance,
    "bla": bla,
    "accuracy_long": accuracy_long,
    "zoom": zoom,
    "keys": keys,
}

if args.case not in CASES:
    print(f"unknown --case {args.case!r}; one of {', '.join(CASES)}")
    sys.exit(2)
CASES[args.case]()
chk.done()
