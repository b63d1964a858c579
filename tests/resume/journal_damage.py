#!/usr/bin/env python3
"""The journal is the checkpoint, and only intact records whose chunk bytes still verify count;
the HDF5 file is never reopened through HDF5. From one interrupted job's journal and .partial file:
a record torn mid-write (truncated anywhere in its last record), a damaged byte in record k
(everything from k on is dropped), zeros appended after the last record (a crash that extended the
file), a journal whose header is torn (it holds nothing: start afresh), one chunk's bytes damaged in
OUT.h5.partial (that chunk alone is rendered again), an OUT.h5.partial that is garbage or missing
(every chunk is rendered again), and the leftovers of a resume interrupted while it rebuilt the
output (.partial.new / .journal.new), and a version-2 journal of the previous release (the chunks inside
its records, no .partial) — every case resumes, keeps exactly the chunks expected, and
ends identical to an uninterrupted run. Also: a second job on an output in use is refused (exit 2,
one line, the first job unharmed), and a lock file left by a killed job blocks nothing."""
import os
import random
import re
import struct
import time
import zlib

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
P = OUT + ".partial"
saved_partial = open(P, "rb").read()
print(f"interrupted journal: {len(records)} records of {nchunks} chunks, {size} bytes")
offsets = []  # start of each record
pos = 24 + len("".join(f"{k} = {v}\n" for k, v in header.items()).encode()) + 8
for rec in records:
    offsets.append(pos)
    pos += 32 + rec[3] + 8


def resume_with(journal_bytes, expect_kept, what, partial=saved_partial, extra=None, journal_name=J):
    for f in os.listdir(W):
        if f.startswith("OUT.h5"):
            os.remove(os.path.join(W, f))
    if journal_bytes is not None:
        open(journal_name, "wb").write(journal_bytes)
    if partial is not None:
        open(P, "wb").write(partial)
    for name, data in (extra or {}).items():
        open(os.path.join(W, name), "wb").write(data)
    r = E.render(args, JOB + ["-o", OUT], np=2, timeout=120)
    if chk.ok_run(r, what):
        m = re.search(r"resuming: (\d+) of", r.out)
        kept = int(m.group(1)) if m else 0
        chk.check(kept == expect_kept, f"{what}: kept {kept} chunks, expected {expect_kept}")
        dropped = re.search(r"resuming: (\d+) recorded chunk\(s\) no longer intact", r.out)
        dropped = int(dropped.group(1)) if dropped else 0
        want_dropped = n - expect_kept if what.startswith("partial:") else 0
        chk.check(dropped == want_dropped, f"{what}: reported {dropped} chunks no longer intact, expected {want_dropped}")
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
# The chunks' bytes in OUT.h5.partial: one damaged, all garbage, the file gone.
k2 = rng.randrange(n)
off, size, _ = records[k2][4][0]
hurt = bytearray(saved_partial)
hurt[off + rng.randrange(size)] ^= 0x01
resume_with(saved, n - 1, f"partial: chunk {records[k2][0]}'s bytes damaged", partial=bytes(hurt))
resume_with(saved, 0, "partial: OUT.h5.partial is garbage", partial=b"\0garbage, not HDF5" * 1000)
resume_with(saved, 0, "partial: OUT.h5.partial is missing", partial=None)
# A resume interrupted while rebuilding: the new pair unfinished (dropped, the old pair counts);
# the new file alone; the new journal alone (the file was renamed already: it is the journal).
junk = b"\0half-built" * 500
resume_with(saved, n, "rebuild interrupted before the renames",
            extra={"OUT.h5.partial.new": junk, "OUT.h5.journal.new": saved[:100]})
resume_with(saved, n, "rebuild interrupted: only the new file there", extra={"OUT.h5.partial.new": junk})
resume_with(saved, n, "rebuild interrupted between the renames", journal_name=J + ".new")


def version2(journal, partial):
    """The same journal as an earlier release wrote it (version 2: each record holds the chunk's
    planes themselves), built from the version-3 journal and the bytes it points at."""
    text_len = struct.unpack_from("<I", journal, 12)[0]
    head = bytearray(journal[:24 + text_len])
    struct.pack_into("<I", head, 8, 2)
    out = bytes(head) + struct.pack("<II", zlib.crc32(bytes(head)), 0)
    for index, h, it, _, planes in records:
        data = [partial[off:off + size] for off, size, _ in planes]
        payload = struct.pack("<IIII", *(len(d) for d in data), 0) + b"".join(data)
        rec = struct.pack("<IIQQQ", 0x4B4E4843, len(payload), index, h, it) + payload
        out += rec + struct.pack("<II", zlib.crc32(rec), 0x2E444E45)
    return out


# A journal of the previous release (version 2) resumes without its .partial file.
resume_with(version2(saved, saved_partial), n, "a version-2 journal (chunks inside), no .partial", partial=None)
# A finished job deletes its journal without waiting for the disk: after a crash the journal may
# be back beside the complete OUT.h5 (and no .partial). The job is then complete, not re-rendered.
before = open(OUT, "rb").read()
open(J, "wb").write(saved)
r = E.render(args, JOB + ["-o", OUT], np=2, timeout=120)
if chk.ok_run(r, "journal back beside the finished file"):
    chk.check("already complete" in r.out and not os.path.exists(J) and open(OUT, "rb").read() == before,
              f"journal back beside the finished file: not recognised as complete\n  {r.describe()}")
    print("journal back beside the finished file: complete, journal removed")

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
