#!/usr/bin/env python3
"""A stop signal ends the job within 30 s with exit 3 and one line naming the signal and the chunks
kept, leaves a journal that holds exactly those chunks (each once) and no OUT.h5; running the same
command again, at another rank count, ends identical to an uninterrupted run. Cases: SIGUSR1 to
mpirun (forwarded to every rank), SIGTERM to rank 0 alone, SIGINT to a worker alone (it asks rank 0
to stop the job)."""
import os
import re
import signal
import time

import resume_lib as R

E = R.E
args = E.parse_args()
E.need_h5py()

chk = E.Checker("resume.signals")
JOB = R.sweep(frames=12)
ref, ref_secs = R.reference(args, JOB)
print(f"reference: {ref_secs:.2f} s at -np 3")
OUT = os.path.join(args.work, "OUT.h5")
LINE = re.compile(r"^fractal-render: interrupted by (SIG\w+); (\d+) of (\d+) chunks kept in (\S+); "
                  r"run the same command to resume$")

CASES = [  # (what, whom to signal, signal, resume at -np)
    ("SIGUSR1 to mpirun", "mpirun", signal.SIGUSR1, 2),
    ("SIGTERM to rank 0", 0, signal.SIGTERM, 1),
    ("SIGINT to rank 1", 1, signal.SIGINT, 4),
]
for what, whom, sig, np_resume in CASES:
    for f in os.listdir(args.work):
        if f.startswith("OUT.h5"):
            os.remove(os.path.join(args.work, f))
    job = R.Job(args, JOB + ["-o", OUT], np=3)
    pids = job.wait_ranks(3)
    while job.elapsed() < 0.4 * ref_secs and job.p.poll() is None:
        time.sleep(0.01)
    if not chk.check(job.p.poll() is None and len(pids) == 3, f"{what}: job ended or ranks missing before the signal ({pids})"):
        job.wait()
        continue
    t_sig = time.monotonic()
    os.kill(job.p.pid if whom == "mpirun" else pids[whom], sig)
    rc = job.wait(timeout=60)
    secs = time.monotonic() - t_sig
    gone = R.wait_session_gone(job.sid, 30)
    print(f"{what}: exit {rc} {secs:.2f} s after the signal")
    chk.check(rc == R.EXIT_INTERRUPTED, f"{what}: expected exit 3\n  {job.describe()}")
    chk.check(secs < 30, f"{what}: took {secs:.1f} s to stop (limit 30 s)")
    chk.check(gone is not None, f"{what}: processes left after the job: {R.session_pids(job.sid)}")
    lines = R.fractal_lines(job.stderr)
    m = LINE.match(lines[0]) if len(lines) == 1 else None
    if chk.check(m, f"{what}: expected one 'interrupted by' line on stderr, got {lines}"):
        chk.check(m.group(1) == signal.Signals(sig).name, f"{what}: line names {m.group(1)}")
        kept, total = int(m.group(2)), int(m.group(3))
        records = R.check_journal(chk, OUT + ".journal", what)
        chk.check(records == kept, f"{what}: the line says {kept} chunks kept, the journal holds {records}")
        chk.check(0 < kept < total, f"{what}: {kept} of {total} kept: not a mid-run interruption")
    chk.check(not os.path.exists(OUT), f"{what}: an interrupted job left OUT.h5")
    chk.check(not os.path.exists(OUT + ".lock"), f"{what}: a stopped job left its lock file")

    r = E.render(args, JOB + ["-o", OUT], np=np_resume, timeout=120)
    if chk.ok_run(r, f"{what}: resume at -np {np_resume}"):
        chk.check("resuming:" in r.out, f"{what}: the resumed run does not say it resumes\n  {r.describe()}")
        R.same_as_reference(chk, OUT, ref, f"{what}, resumed at -np {np_resume}")

chk.done()
