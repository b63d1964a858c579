#!/usr/bin/env python3
"""A rank with more OpenMP threads than the cores its CPU binding allows gets one warning line on
stderr (and still renders correctly); a launch that gives each rank enough cores gets none.
Open MPI binds each rank to one core by default when it starts at most 2 ranks, so
`mpirun -np 1 --bind-to core` with OMP_NUM_THREADS=2 is the mistake, `--bind-to none` the fix.
Needs Open MPI and at least 2 usable CPUs (exit 77 otherwise)."""
import os
import sys

import e2e_lib as E

args = E.parse_args()
if E.mpi_flavour(args.mpiexec) != "openmpi" or len(os.sched_getaffinity(0)) < 2:
    print("skipped: needs Open MPI's mpirun and at least 2 CPUs")
    sys.exit(77)
chk = E.Checker("binding")
cfg = os.path.join(args.source, "configs", "quick.cfg")
out = os.path.join(args.work, "quick.h5")


def launch(np, threads, bind):
    cmd = [args.mpiexec, "-np", str(np)] + (["--bind-to", bind] if bind else []) + \
          ["-x", "OMP_NUM_THREADS", args.bin, cfg, "-o", out, "--overwrite"]
    return E.run(cmd, threads=threads, timeout=120)


hashes = set()
for np, threads, bind, warned in ((1, 2, "core", True), (1, 2, "none", False), (2, 1, None, False)):
    what = f"-np {np} x {threads} threads, binding {bind or 'default'}"
    r = launch(np, threads, bind)
    if not chk.ok_run(r, what):
        continue
    lines = [l for l in r.err.splitlines() if "warning" in l]
    print(f"{what}: {lines or 'no warning'}")
    if warned:
        chk.check(len(lines) == 1 and "rank 0 runs 2 OpenMP threads on 1 core(s)" in lines[0] and "--bind-to none" in lines[0],
                  f"{what}: expected one warning naming rank 0, its 2 threads on 1 core and the fix; got {lines}")
    else:
        chk.check(not lines, f"{what}: unexpected warning {lines}")
    hashes.add(E.printed_hash(r.out))
chk.check(len(hashes) == 1 and None not in hashes, f"the three launches printed different hashes: {hashes}")
chk.done()
