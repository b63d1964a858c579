#!/usr/bin/env python3
"""A failure on one rank while the others work or wait ends the whole job within 30 s: exit 1, one
line "fractal-render: rank N: error: REASON" (the failing rank, the reason), no process of the job
left; the same command then resumes and ends identical to an uninterrupted run. The failure is
injected with the test hook FRACTAL_TEST_FAIL_RANK / FRACTAL_TEST_FAIL_AFTER_ITEMS (scheduler.cpp)
on a worker and on rank 0."""
import os
import re

import resume_lib as R

E = R.E
args = E.parse_args()
E.need_h5py()
chk = E.Checker("resume.rank_failure")
JOB = R.sweep(frames=8)
OUT = os.path.join(args.work, "OUT.h5")
ref, ref_secs = R.reference(args, JOB)
print(f"reference: {ref_secs:.2f} s at -np 3")

for rank, after in ((2, 2), (0, 3)):
    what = f"rank {rank} fails after {after} items"
    env = {"FRACTAL_TEST_FAIL_RANK": str(rank), "FRACTAL_TEST_FAIL_AFTER_ITEMS": str(after)}
    job = R.Job(args, JOB + ["-o", OUT], np=3, env_extra=env)
    rc = job.wait(timeout=90)
    gone = R.wait_session_gone(job.sid, 30)
    print(f"{what}: exit {rc} after {job.secs:.2f} s")
    chk.check(rc == 1, f"{what}: expected exit 1\n  {job.describe()}")
    chk.check(job.secs < 30, f"{what}: the job took {job.secs:.1f} s to end")
    chk.check(gone is not None, f"{what}: processes left: {R.session_pids(job.sid)}")
    lines = R.fractal_lines(job.stderr)
    chk.check(len(lines) == 1 and re.match(rf"^fractal-render: rank {rank}: error: simulated failure", lines[0]),
              f"{what}: expected one line naming rank {rank} and the reason, got {lines}")
    chk.check(not os.path.exists(OUT), f"{what}: left OUT.h5")
    records = R.check_journal(chk, OUT + ".journal", what)
    r = E.render(args, JOB + ["-o", OUT], np=3, timeout=120)
    if chk.ok_run(r, f"{what}: resume"):
        R.same_as_reference(chk, OUT, ref, f"{what}, resumed ({records} chunks kept)")
        os.remove(OUT)

chk.done()
