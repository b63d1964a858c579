#!/usr/bin/env python3
"""A full disk ends the job with exit 1 and one line naming the file and the reason ("No space left
on device"); the journal stays valid up to its last complete record. Moving the journal to a file
system with space and running the same command there (-o pointing into it), or freeing space and
running it again in place, ends identical to an uninterrupted run.

The disk is a 3 MiB tmpfs mounted for the test (root only). Where mounting is not permitted, the
test hook FRACTAL_TEST_JOURNAL_LIMIT (journal.cpp) makes the journal's writes fail with ENOSPC
instead, and the in-place case frees the space by dropping the hook."""
import os
import shutil
import subprocess
import sys

import resume_lib as R

E = R.E


def unmount_stale():
    # A previous run killed before its clean-up may have left its tmpfs mounted in the work dir.
    try:
        mounts = [l.split()[1] for l in open("/proc/mounts")]
    except OSError:
        return
    for m in mounts:
        if "/resume/disk_full" in m or m.endswith("/disk_full/small"):
            subprocess.run(["umount", "-l", m], capture_output=True)


unmount_stale()
args = E.parse_args()
E.need_h5py()
chk = E.Checker("resume.disk_full")
W = args.work
# Shuffle only (no deflate): about 4.1 MB of chunks, so a 3 MiB disk fills about a third of the way.
JOB = R.sweep(frames=12, max_iter=1500) + ["--compression-level", "0", "--skip-disk-check"]
ref, _ = R.reference(args, JOB)

small = os.path.join(W, "small")
os.makedirs(small)
mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", small], capture_output=True).returncode == 0
env = {} if mounted else {"FRACTAL_TEST_DISK_LIMIT": str(1_500_000)}
print("full disk:", "a 3 MiB tmpfs" if mounted else "mount not permitted: the injected ENOSPC test hook")


def resume_in(d, what, kept, env_extra=None):
    out = os.path.join(d, "OUT.h5")
    job = R.Job(args, JOB + ["-o", out], np=3, env_extra=env_extra, log_name=os.path.join(W, "resume.log"))
    job.wait(120)
    if chk.check(job.rc == 0, f"{what}: expected exit 0\n  {job.describe()}"):
        chk.check(f"resuming: {kept} of" in job.out, f"{what}: did not resume with the {kept} chunks recorded\n  {job.describe()}")
        R.same_as_reference(chk, out, ref, what)


try:
    out = os.path.join(small, "OUT.h5")
    job = R.Job(args, JOB + ["-o", out], np=3, env_extra=env, log_name=os.path.join(W, "full.log"))
    rc = job.wait(120)
    gone = R.wait_session_gone(job.sid, 30)
    lines = R.fractal_lines(job.stderr)
    print(f"full disk: exit {rc}; {lines}")
    chk.check(rc == 1, f"full disk: expected exit 1\n  {job.describe()}")
    chk.check(gone is not None, f"full disk: processes left: {R.session_pids(job.sid)}")
    if chk.check(len(lines) == 1, f"full disk: expected one message, got {lines}"):
        chk.check(small in lines[0] and "No space left on device" in lines[0],
                  f"full disk: the message names neither the path nor the reason: {lines[0]}")
    records = R.check_journal(chk, out + ".journal", "full disk")
    chk.check(records is not None and records > 0, f"full disk: no intact journal records ({records})")
    print(f"full disk: {records} chunks kept in the journal")

    # Moved to space: the journal and the .partial file it points into.
    big = os.path.join(W, "big")
    os.makedirs(big)
    shutil.copy(out + ".journal", os.path.join(big, "OUT.h5.journal"))
    shutil.copy(out + ".partial", os.path.join(big, "OUT.h5.partial"))
    resume_in(big, "journal and .partial moved to a disk with space", records)

    # Space freed in place.
    if mounted:
        chk.check(subprocess.run(["mount", "-o", "remount,size=64m", small]).returncode == 0, "remount with more space")
    resume_in(small, "space freed, same directory", records)
finally:
    if mounted:
        subprocess.run(["umount", small])

chk.done()
