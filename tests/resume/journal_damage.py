#!/usr/bin/env python3
"""The journal, not the HDF5 file, is the checkpoint, and only intact records count. From one
interrupted job's journal: a record torn mid-write (truncated anywhere in its last record), a
damaged byte in record k (everything from k on is dropped), zeros appended after the last record (a
crash that extended the file), a journal whose header is torn (it holds nothing: start afresh), and
an OUT.h5.partial that is garbage (never reopened) — every case resumes, keeps exactly the intact
records, and ends identical to an uninterrupted run. Also: a second job on an output in use is
refused (exit 2, one line, the first job unharmed), and a lock file left by a killed job blocks
nothing."""
import os
import random
import re
import time

import resume_lib as R

E = R.E
args = E.parse_args()
E.need_h5py()
chk = E.Checker("resume.journal_damage")
W = args.work
JOB = R.sweep(frames=8)
OUT = os.path.join(W, "OUT.h5")
J = OUT + ".journal"
rng = random.Random(7)
ref, ref_secs = R.reference(args, JOB)

# An interrupted job, deterministically: rank 0 alone, failing after 6 items (test hook).
job = R.Job(args, JOB + ["-o", OUT], np=0, env_extra={"FRACTAL_TEST_FAIL_RANK": "0", "FRACTAL_TEST_FAIL_AFTER_ITEMS": "6"})
job.wait(120)
j = R.read_journal(J)
if not chk.check(job.rc != 0 and j is not None and len(j[2]) > 2, f"no usable journal from the failed job\n  {job.describe()}"):
    chk.done()
header, nchunks, records, end, size = j
saved = open(J, "rb").read()
print(f"interrupted journal: {len(records)} records of {nchunks} chunks, {size} bytes")
offsets = []  # start of each record
pos = 24 + len("".join(f"{k} = {v}\n" for k, v in header.items()).encode()) + 8
for rec in records:
    offsets.append(pos)
    pos += 32 + rec[3] + 8


def resume_with(journal_bytes, expect_kept, what, partial=None):
    for f in os.listdir(W):
        if f.startswith("OUT.h5"):
            os.remove(os.path.join(W, f))
    if journal_bytes is not None:
        open(J, "wb").write(journal_bytes)
    if partial is not None:
        open(OUT + ".partial", "wb").write(partial)
    r = E.render(args, JOB + ["-o", OUT], np=2, timeout=120)
    if chk.ok_run(r, what):
        m = re.search(r"resuming: (\d+) of", r.out)
        kept = int(m.group(1)) if m else 0
        chk.check(kept == expect_kept, f"{what}: kept {kept} chunks, expected {expect_kept}")
        ok = R.same_as_reference(chk, OUT, ref, what)
        print(f"{what}: kept {kept}, {'identical' if ok else 'DIFFERENT'}")


n = len(records)
last = offsets[-1]
for cut in sorted(rng.sample(range(last + 1, size), 2)):
    resume_with(saved[:cut], n - 1, f"last record torn at byte {cut - last} of {size - last}")
k = n // 2
damaged = bytearray(saved)
damaged[offsets[k] + 32 + rng.randrange(records[k][3])] ^= 0x40
resume_with(bytes(damaged), k, f"a flipped bit in record {k}")
resume_with(saved + bytes(4096), n, "4096 zero bytes after the last record")
resume_with(saved[:30], 0, "header torn")
resume_with(saved, n, "OUT.h5.partial is garbage", partial=b"\0garbage, not HDF5" * 1000)

# ---- one job per output ----------------------------------------------------------------------
for f in os.listdir(W):
    if f.startswith("OUT.h5"):
        os.remove(os.path.join(W, f))
open(OUT + ".lock", "w").write("pid 1 on a node that died\n")  # stale: nobody holds it
first = R.Job(args, JOB + ["-o", OUT], np=1, log_name="first.log")  # one rank: slow enough to overlap
t = time.monotonic()
while not os.path.exists(J) and first.p.poll() is None and time.monotonic() - t < 30:
    time.sleep(0.01)
for extra in ([], ["--overwrite"]):
    r = E.direct(args, JOB + extra + ["-o", OUT], timeout=60)
    lines = [l for l in r.err.splitlines() if l.startswith("fractal-render")]
    chk.check(first.p.poll() is None, f"second job {extra}: the first job ended before the check (inconclusive)")
    chk.check(r.rc == 2 and len(lines) == 1 and "in use by another job" in lines[0],
              f"second job {extra}: expected exit 2 and one 'in use by another job' line\n  {r.describe()}")
    print(f"second job {extra or ''} while the first runs: exit {r.rc}: {lines[:1]}")
first.wait(120)
if chk.check(first.rc == 0, f"the first job failed\n  {first.describe()}"):
    R.same_as_reference(chk, OUT, ref, "the first job, with a stale lock file and a refused second job")

chk.done()
