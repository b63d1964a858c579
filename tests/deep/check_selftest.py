#!/usr/bin/python3
"""Self-test of fractal-deep-check (CTest label "deep").

Builds tiny synthetic files in fractal-render's format_version 3 layout whose counts are computed here,
in Python, by direct gmpy2 iteration at generous precision (no code shared with either the renderer or
the checker), then checks that the checker
  * passes them (exit 0) with every compared pixel exact, for: a Mandelbrot frame at view width 1e-20
    (uint32 counts, variable-length strings), Julia frames at 1e-12, rotated, stored at supersample 2,
    at 3.2e-500 (a 540-digit centre, ~1800-bit arithmetic), and one with precision-sensitive pixels
    (uint16 counts, fixed-length strings);
  * skips method 0 frames unless --all-methods, honours --frames and --samples (stratified count);
  * excludes (and reports) pixels whose count changes between its two precisions;
  * FAILS (exit 1) copies with a few counts altered, naming the altered pixels, and passes them again
    with a low enough --min-exact; fails with exit 1 when nothing is compared;
  * exits 2 with one 'fractal-deep-check: error:' line for a missing file, a missing dataset or
    attribute, a malformed decimal, an incomplete file and bad options.
Usage: check_selftest.py --checker PATH --work DIR.  Exit 0 pass, 1 fail, 77 skipped (module missing).
"""
import argparse
import math
import os
import random
import re
import shutil
import subprocess
import sys

try:
    import gmpy2
    import h5py
    import numpy as np
    from gmpy2 import mpfr
except ImportError as e:  # pragma: no cover
    print(f"SKIP: {e}")
    sys.exit(77)

FAILURES = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        FAILURES.append(what)
    return cond


# ---------------------------------------------------------------- reference counts (gmpy2)
def ref_count(x, y, cr, ci, R2, max_iter):
    """count = (first k >= 1 with |z_k|^2 > R^2) - 1, or max_iter; z_0 is never tested."""
    x2, y2 = x * x, y * y
    for k in range(1, max_iter + 1):
        y = 2 * x * y + ci
        x = x2 - y2 + cr
        x2, y2 = x * x, y * y
        if x2 + y2 > R2:
            return k - 1
    return max_iter


def ref_frame(fractal, fr, W, H, R):
    """All W*H counts of one frame, mapping per the normative pixel rule, at generous precision."""
    c_abs = abs(gmpy2.mpc(mpfr(fr["center_re"], 64), mpfr(fr["center_im"], 64)))
    bits = max(0, int(-gmpy2.log2(mpfr(fr["view_width"], 64) / W)) + 1) + int(gmpy2.log2(max(c_abs, 1))) + 1 + 400
    out = np.zeros((H, W), dtype=np.int64)
    with gmpy2.local_context(gmpy2.context(), precision=bits):
        cre, cim = mpfr(fr["center_re"]), mpfr(fr["center_im"])
        dx = mpfr(fr["view_width"]) / W
        R2 = mpfr(R) ** 2
        cs, sn = mpfr(fr["cos"]), mpfr(fr["sin"])
        rotated = not (fr["cos"] == 1.0 and fr["sin"] == 0.0)
        if fractal == "julia":
            jr, ji = mpfr(fr["julia_re"]), mpfr(fr["julia_im"])
        for i in range(H):
            for j in range(W):
                u = (j + mpfr(0.5) - mpfr(W) / 2) * dx
                v = -(i + mpfr(0.5) - mpfr(H) / 2) * dx
                if rotated:
                    u, v = cs * u - sn * v, sn * u + cs * v
                px, py = cre + u, cim + v
                if fractal == "julia":
                    out[i, j] = ref_count(px, py, jr, ji, R2, fr["max_iter"])
                else:
                    out[i, j] = ref_count(mpfr(0), mpfr(0), px, py, R2, fr["max_iter"])
    return out


def julia_point(c, digits, seed):
    """A point of the Julia set of c to `digits` digits, by backward iteration (which contracts onto J)."""
    bits = int(digits * 3.33) + 200
    with gmpy2.local_context(gmpy2.context(), precision=bits):
        cc = gmpy2.mpc(c)
        z = gmpy2.mpc("0.1+0.2j")
        rnd = random.Random(seed)
        for _ in range(int(bits * 1.6)):
            z = gmpy2.sqrt(z - cc)
            if rnd.random() < 0.5:
                z = -z
        return f"{z.real:.{digits}e}", f"{z.imag:.{digits}e}"


# ---------------------------------------------------------------- file writer (format_version 3)
def write_file(path, fractal, W, H, frames, counts, *, supersample=1, R=2.0, count_dtype=np.uint32,
               fixed_strings=False, complete=1):
    with h5py.File(path, "w") as f:
        f.attrs["format_version"] = np.uint32(3)
        f.attrs["complete"] = np.int32(complete)
        d = f.create_dataset("counts", data=np.asarray(counts, dtype=count_dtype), chunks=(1, H, W))
        if fixed_strings:
            d.attrs["fractal"] = np.bytes_(fractal)  # fixed-length ASCII
        else:
            d.attrs.create("fractal", fractal, dtype=h5py.string_dtype())  # variable-length UTF-8
        d.attrs["escape_radius"] = np.float64(R)
        d.attrs["width"] = np.uint32(W)
        d.attrs["height"] = np.uint32(H)
        d.attrs["supersample"] = np.uint32(supersample)
        g = f.create_group("frames")
        g["max_iter"] = np.array([fr["max_iter"] for fr in frames], dtype=np.uint32)
        g["rotation_cos"] = np.array([fr["cos"] for fr in frames], dtype=np.float64)
        g["rotation_sin"] = np.array([fr["sin"] for fr in frames], dtype=np.float64)
        g["method"] = np.array([fr["method"] for fr in frames], dtype=np.uint8)
        for name, key in (("center_re", "center_re"), ("center_im", "center_im"),
                          ("view_width", "view_width"), ("julia_c_re", "julia_re"),
                          ("julia_c_im", "julia_im")):
            vals = [fr.get(key, "") for fr in frames]
            if fixed_strings:
                n = max(1, max(len(v) for v in vals))
                g.create_dataset(name, data=np.array([v.encode() for v in vals], dtype=f"S{n}"))
            else:
                g.create_dataset(name, data=vals, dtype=h5py.string_dtype())


def run(checker, *args):
    p = subprocess.run([checker, *map(str, args)], capture_output=True, text=True, timeout=900)
    return p.returncode, p.stdout, p.stderr


FRAME_RE = re.compile(r"^frame (\d+): compared (\d+), exact (\d+) \(([\d.]+)%\), precision-sensitive (\d+), "
                      r"position-sensitive (\d+)$", re.M)
OVERALL_RE = re.compile(r"^overall: compared (\d+), exact (\d+) \(([\d.]+|n/a)%?\), precision-sensitive (\d+), "
                        r"position-sensitive \d+; "
                        r"required >= [\d.]+%: (PASSED|FAILED)$", re.M)


def frames_of(out):
    return {int(m[0]): (int(m[1]), int(m[2]), int(m[4])) for m in FRAME_RE.findall(out)}


def position_sensitive_of(out):
    return {int(m[0]): int(m[5]) for m in FRAME_RE.findall(out)}


def overall_of(out):
    m = OVERALL_RE.search(out)
    return (int(m[1]), int(m[2]), int(m[4]), m[5]) if m else None


def expect_error(checker, what, args, must_name):
    rc, out, err = run(checker, *args)
    lines = err.strip().splitlines()
    check(rc == 2 and len(lines) == 1 and lines[0].startswith("fractal-deep-check: error: ")
          and all(s in lines[0] for s in must_name),
          f"{what}: exit 2 with one error line naming {must_name} (rc {rc}, stderr {err.strip()!r})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checker", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    ck = a.checker
    if not os.access(ck, os.X_OK):
        print(f"checker {ck} is not executable")
        return 1
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    P = lambda n: os.path.join(a.work, n)

    # ---- file A: Mandelbrot, 12x9 at view width 1e-20 (near -0.7436+0.1318i, on the boundary), method 1
    mand = dict(center_re="-0.740192216788362761323497568429", center_im="0.120623822117057578972760366777",
                view_width="1e-20", max_iter=600, cos=1.0, sin=0.0, method=1)
    WA, HA = 12, 9
    print("computing reference counts (gmpy2) for A: mandelbrot 12x9, width 1e-20, max_iter 600")
    ca = ref_frame("mandelbrot", mand, WA, HA, 2.0)
    check(len(set(ca.ravel())) > 10, f"A's reference counts vary ({len(set(ca.ravel()))} distinct values)")
    write_file(P("A.h5"), "mandelbrot", WA, HA, [mand], ca[None])

    # ---- file B: Julia, stored 16x10 (supersample 2 of 8x5), uint16, fixed-length strings, 5 frames
    jc = ("-0.8", "0.156")
    re1, im1 = "0.344235282290454404314295609023726", "0.372664993858979008348199858878394"
    deep_re, deep_im = julia_point("-0.8+0.156j", 540, seed=7)
    th = math.radians(30)
    fB = [
        dict(center_re="0", center_im="0", view_width="3", max_iter=100, cos=1.0, sin=0.0, method=0),
        dict(center_re=re1, center_im=im1, view_width="1e-12", max_iter=600, cos=1.0, sin=0.0, method=2),
        dict(center_re=re1, center_im=im1, view_width="2e-12", max_iter=600, cos=math.cos(th),
             sin=math.sin(th), method=1),
        dict(center_re=deep_re, center_im=deep_im, view_width="3.2e-500", max_iter=3000, cos=1.0, sin=0.0,
             method=2),
        # c = -2: J is [-2, 2]; row 5 (v = -dx/2) lands 1e-60 above the real axis, which p1 (~101 bits)
        # cannot resolve against the centre and p2 can: those 16 pixels are precision-sensitive.
        dict(center_re="0.3", center_im="3.125" + "0" * 45 + "1e-12",  # 3.125e-12 + 1e-60, exactly
             view_width="1e-10", max_iter=400, cos=1.0, sin=0.0, method=1, julia=("-2", "0")),
    ]
    for fr in fB:
        fr["julia_re"], fr["julia_im"] = fr.pop("julia", jc)
    WB, HB = 16, 10
    cb = []
    for k, fr in enumerate(fB):
        print(f"computing reference counts (gmpy2) for B frame {k}: julia c={fr['julia_re']}+{fr['julia_im']}i, "
              f"width {fr['view_width']}, max_iter {fr['max_iter']}, rotation ({fr['cos']:.3f}, {fr['sin']:.3f})")
        cb.append(ref_frame("julia", fr, WB, HB, 2.0))
    check(len(set(cb[3].ravel())) > 10, f"B frame 3 (3.2e-500) reference counts vary ({len(set(cb[3].ravel()))} distinct)")
    write_file(P("B.h5"), "julia", WB, HB, fB, np.stack(cb), supersample=2, count_dtype=np.uint16,
               fixed_strings=True)

    # ---- passing runs
    rc, out, err = run(ck, P("A.h5"))
    print(out, end="")
    ov = overall_of(out)
    check(rc == 0 and ov and ov[3] == "PASSED", f"A passes (rc {rc}) {err.strip()}")
    check(ov and ov[0] + ov[2] == WA * HA and ov[1] == ov[0], f"A: all {WA * HA} pixels sampled, every compared one exact")

    rc, out, err = run(ck, P("B.h5"))
    print(out, end="")
    fr = frames_of(out)
    ov = overall_of(out)
    check(rc == 0 and ov and ov[3] == "PASSED", f"B passes (rc {rc}) {err.strip()}")
    check(sorted(fr) == [1, 2, 3, 4] and "frame 0: method 0" in out, "B: method 0 frame 0 skipped by default")
    ps = position_sensitive_of(out)
    check(all(c + s + ps[f] == WB * HB and e == c for f, (c, e, s) in fr.items()),
          f"B: every compared pixel of frames 1-4 exact (position-sensitive, excluded: {ps})")
    check(4 in fr and fr[4][2] >= WB and all(fr[k][2] == 0 for k in (1, 2, 3) if k in fr),
          f"B frame 4: the 1e-60 row is precision-sensitive (sensitive {fr.get(4)})")
    check("precision-sensitive (5, " in out, "precision-sensitive pixels are listed")

    rc, out, _ = run(ck, P("B.h5"), "--all-methods", "--frames", "0", "--quiet")
    ov = overall_of(out)
    check(rc == 0 and ov and ov[0] == WB * HB and ov[1] == ov[0] and "frame 0:" not in out,
          f"--all-methods checks method 0 frame 0; --quiet prints only the overall line ({out.strip()!r})")

    rc, out, _ = run(ck, P("B.h5"), "--frames", "0")
    check(rc == 1 and "nothing compared" in out and "method" in out, f"only a method 0 frame selected: exit 1, says why (rc {rc})")

    rc, out, _ = run(ck, P("B.h5"), "--frames", "1,3-3", "--samples", "7")
    fr = frames_of(out)
    check(rc == 0 and sorted(fr) == [1, 3] and all(c + s == 7 for c, e, s in fr.values()),
          f"--frames 1,3-3 --samples 7: frames 1 and 3, 7 samples each ({fr})")

    # ---- altered copies fail
    shutil.copy(P("A.h5"), P("A_bad.h5"))
    altered = [(0, 0), (4, 6), (8, 11)]
    with h5py.File(P("A_bad.h5"), "r+") as f:
        for i, j in altered:
            f["counts"][0, i, j] = ca[i, j] + 7
    rc, out, _ = run(ck, P("A_bad.h5"))
    print(out, end="")
    ov = overall_of(out)
    check(rc == 1 and ov and ov[3] == "FAILED" and ov[1] == ov[0] - 3, f"A with 3 altered counts fails (rc {rc})")
    for i, j in altered:
        check(f"  pixel ({i}, {j}): file {ca[i, j] + 7}, brute force {ca[i, j]}" in out, f"mismatch ({i}, {j}) reported")
    rc, out, _ = run(ck, P("A_bad.h5"), "--min-exact", "0.9")
    check(rc == 0 and "PASSED" in out, f"same file passes with --min-exact 0.9 (rc {rc})")

    shutil.copy(P("B.h5"), P("B_bad.h5"))
    with h5py.File(P("B_bad.h5"), "r+") as f:
        f["counts"][3, 2, 9] = cb[3][2, 9] - 1
        f["counts"][3, 7, 1] = cb[3][7, 1] + 1
    rc, out, _ = run(ck, P("B_bad.h5"), "--frames", "3", "--samples", "1000")
    check(rc == 1 and "FAILED" in out and "pixel (2, 9):" in out and "pixel (7, 1):" in out,
          f"B frame 3 (3.2e-500) with 2 altered counts fails (rc {rc})")

    # ---- errors: exit 2, one line
    expect_error(ck, "missing file", [P("nope.h5")], ["nope.h5"])
    expect_error(ck, "no file", [], ["FILE"])
    for opt, must in ((["--bogus"], ["--bogus"]), (["--samples", "0"], ["--samples", "'0'"]),
                      (["--samples", "abc"], ["--samples", "abc"]), (["--min-exact", "1.5"], ["--min-exact", "1.5"]),
                      (["--extra-bits", "-3"], ["--extra-bits", "-3"]), (["--frames", "9"], ["--frames", "9"]),
                      (["--frames", "2-1"], ["--frames", "2-1"]), (["--frames", "x"], ["--frames", "x"]),
                      (["--samples"], ["--samples"]), (["--quiet=1"], ["--quiet"])):
        expect_error(ck, f"bad option {' '.join(opt)}", [P("A.h5"), *opt], must)
    shutil.copy(P("A.h5"), P("A_nomethod.h5"))
    with h5py.File(P("A_nomethod.h5"), "r+") as f:
        del f["frames/method"]
    expect_error(ck, "missing dataset", [P("A_nomethod.h5")], ["/frames/method", "A_nomethod.h5"])
    shutil.copy(P("A.h5"), P("A_noattr.h5"))
    with h5py.File(P("A_noattr.h5"), "r+") as f:
        del f["counts"].attrs["escape_radius"]
    expect_error(ck, "missing attribute", [P("A_noattr.h5")], ["escape_radius"])
    write_file(P("A_baddec.h5"), "mandelbrot", WA, HA, [dict(mand, center_re="-0.74.01e")], ca[None])
    expect_error(ck, "malformed decimal", [P("A_baddec.h5")], ["/frames/center_re[0]", "-0.74.01e"])
    write_file(P("A_partial.h5"), "mandelbrot", WA, HA, [mand], ca[None], complete=0)
    expect_error(ck, "incomplete file", [P("A_partial.h5")], ["complete", "--allow-partial"])
    rc, out, _ = run(ck, P("A_partial.h5"), "--allow-partial")
    check(rc == 0, f"incomplete file passes with --allow-partial (rc {rc})")
    rc, out, _ = run(ck, "--help")
    check(rc == 0 and "--extra-bits" in out, "--help")

    print(f"{len(FAILURES)} failure(s)" if FAILURES else "all checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
