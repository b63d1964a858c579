#!/usr/bin/env python3
"""Rank/thread/kernel invariance: the same job rendered at -np 1..4 x OMP_NUM_THREADS 1..2 (and with
every kernel this CPU has) gives identical /counts, /frames, /chunks and verification_hash; the hash
printed on stdout ("verification  hash %016x") equals the file's attribute."""
import os

import e2e_lib as E

args = E.parse_args()
E.need_h5py()
chk = E.Checker("invariance")

JOBS = {
    # Julia sweep: 7 frames, odd sizes, 67 rows in strips of 10 (last strip short).
    "julia": ["--fractal", "julia", "--c-re", "-0.62772", "--c-im", "-0.42193", "--c-im-increment", "0.3",
              "--frames", "7", "--width", "101", "--height", "67", "--strip-rows", "10", "--max-iter", "300"],
    # Mandelbrot pan/zoom into the seahorse valley, z0 != 0, strips of 7 rows.
    "mandel": ["--fractal", "mandelbrot", "--center-re", "-0.745", "--center-im", "0.11", "--view-width", "0.05",
               "--end-center-re", "-0.7436", "--end-center-im", "0.1318", "--end-view-width", "0.004",
               "--z0-re", "0.01", "--z0-im", "-0.005", "--frames", "4", "--width", "97", "--height", "61",
               "--strip-rows", "7", "--max-iter", "700"],
}

for job, opts in JOBS.items():
    ref = None
    runs = [(np, th, None) for np in (1, 2, 3, 4) for th in (1, 2)]
    runs += [(2, 1, k) for k in ("scalar", "avx2", "avx512")]
    for np, th, kernel in runs:
        tag = f"{job}-np{np}-t{th}" + (f"-{kernel}" if kernel else "")
        out = os.path.join(args.work, tag + ".h5")
        extra = ["--kernel", kernel] if kernel else []
        r = E.render(args, opts + extra + ["-o", out], np=np, threads=th)
        if kernel and r.rc == 2 and "not supported by this CPU" in r.err:
            print(f"note: {tag}: kernel {kernel} not supported on this CPU, skipped")
            continue
        print(f"{tag}: exit {r.rc} in {r.secs:.2f} s")
        if not chk.ok_run(r, tag):
            continue
        chk.check(f"{np} rank(s) x {th} thread(s)" in r.out,
                  f"{tag}: summary line does not report '{np} rank(s) x {th} thread(s)' (OMP_NUM_THREADS not honoured?): {r.out[:300]!r}")
        chk.check(os.path.exists(out) and not os.path.exists(out + ".partial"), f"{tag}: output missing or .partial left")
        h = E.printed_hash(r.out)
        data = E.load(out)
        attr = int(data["counts@verification_hash"])
        chk.check(h is not None, f"{tag}: stdout has not exactly one 'verification  hash XXXXXXXXXXXXXXXX' line: {r.out[-400:]!r}")
        if h is not None:
            chk.check(h == f"{attr:016x}", f"{tag}: printed hash {h} != attribute verification_hash {attr:016x}")
        chk.check(int(data["@complete"]) == 1, f"{tag}: complete != 1")
        if ref is None:
            ref = (tag, out)
        else:
            E.compare_files(chk, ref[1], out, f"{job}: {ref[0]} vs {tag}")

    # The hash must actually depend on the counts: one more iteration of budget changes some counts.
    if ref:
        variant = list(opts)
        i = variant.index("--max-iter")
        variant[i + 1] = str(int(variant[i + 1]) + 1)
        other = os.path.join(args.work, f"{job}-other.h5")
        r = E.render(args, variant + ["-o", other], np=1)
        if chk.ok_run(r, f"{job}: max-iter+1 variant"):
            a, b = E.load(ref[1]), E.load(other)
            if chk.check((a["counts"] != b["counts"]).any(), f"{job}: max-iter+1 changed no count"):
                chk.check(int(a["counts@verification_hash"]) != int(b["counts@verification_hash"]),
                          f"{job}: different counts but the same verification_hash")

chk.done()
