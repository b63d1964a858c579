#!/usr/bin/env python3
"""kill -9 at any moment leaves a resumable state. Each run starts a small animation at -np 3
(oversubscribed), kills one process with SIGKILL (a random rank, rank 0 included, or mpirun) at a
seeded random moment between 5% and 95% of the run (the moment its journal first holds that
fraction of the chunks: robust to a machine whose speed varies), checks that the whole job
is gone within 30 s (no orphans) and that its journal names every chunk at most once, then runs the
same command again: the result must equal the uninterrupted reference (/counts, /frames, /chunks,
verification hash, every chunk stored once). Then --cycles kill/resume cycles on ONE job, and a
final resume: identical too. With --abandon: SIGUSR1 while every rank is inside an item of minutes
still ends the job within 30 s with exit 3 (rank 0 waits 20 s for the items, then aborts the job).

  kill_campaign.py ... --runs 20 --cycles 5 [--seed S]   (CTest resume.kill_campaign, label resume-long)
  kill_campaign.py ... --runs 3 --cycles 0 --fixed --frames 12   (CTest resume.kill_each: rank 1, rank 0, mpirun)
"""
import os
import random
import signal
import time

import resume_lib as R

E = R.E


def extra(p):
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--cycles", type=int, default=5)
    p.add_argument("--seed", type=int, default=20261121)
    p.add_argument("--fixed", action="store_true", help="targets rank 1, rank 0, mpirun at 30/50/70%%")
    p.add_argument("--long", action="store_true", help="skip (exit 77) unless FRACTAL_RESUME_LONG=1")
    p.add_argument("--abandon", action="store_true",
                   help="also: a stop signal while an item takes minutes ends the job within 30 s, exit 3")
    p.add_argument("--frames", type=int, default=48, help="frames of the animation (48: about 4 s at -np 3)")


args = E.parse_args(extra)
if args.long and os.environ.get("FRACTAL_RESUME_LONG") != "1":
    print("SKIP: the long kill campaign runs only with FRACTAL_RESUME_LONG=1 (about 5 minutes)")
    raise SystemExit(E.SKIP)
E.need_h5py()
chk = E.Checker("resume.kill_campaign")
rng = random.Random(args.seed)
JOB = R.sweep(frames=args.frames)
CHUNKS = args.frames * 23  # 360 rows in strips of 16
OUT = os.path.join(args.work, "OUT.h5")
ref, ref_secs = R.reference(args, JOB)
print(f"seed {args.seed}; reference: {ref_secs:.2f} s at -np 3", flush=True)


def clean():
    for f in os.listdir(args.work):
        if f.startswith("OUT.h5"):
            os.remove(os.path.join(args.work, f))


def journal_chunks():
    try:
        j = R.read_journal(OUT + ".journal")
    except OSError:
        return 0
    return len(j[2]) if j else 0


def kill_once(target, at_chunks, what, job_opts=JOB):
    """Starts the job, SIGKILLs `target` ("mpirun" or a rank) once its journal holds `at_chunks`
    chunks. Returns (killed, journal records, exit code, seconds to end) and checks the aftermath."""
    job = R.Job(args, job_opts + ["-o", OUT], np=3)
    while job.p.poll() is None and journal_chunks() < at_chunks:
        time.sleep(0.01)
    pids = {} if target == "mpirun" else job.wait_ranks(3)
    pid = job.p.pid if target == "mpirun" else pids.get(target)
    killed = False
    if job.p.poll() is None and pid is not None:
        try:
            os.kill(pid, signal.SIGKILL)
            killed = True
        except ProcessLookupError:
            pass
    t_kill = time.monotonic()
    rc = job.wait(timeout=60)
    gone = R.wait_session_gone(job.sid, 30)
    end_s = time.monotonic() - t_kill
    chk.check(gone is not None, f"{what}: processes still alive 30 s after the kill: {R.session_pids(job.sid)}")
    if gone is None:
        job.kill_all()
    if killed:
        chk.check(rc != 0, f"{what}: the job exited 0 although {target} was killed\n  {job.describe()}")
        chk.check(end_s < 30, f"{what}: the job took {end_s:.1f} s to end after the kill")
    records = R.check_journal(chk, OUT + ".journal", what)
    if killed and os.path.exists(OUT):
        killed = False  # the job had completed; the kill only hit a rank on its way out
    return killed, records, rc, end_s


def resume(what, job_opts=JOB, reference=None):
    r = E.render(args, job_opts + ["-o", OUT], np=3, timeout=180)
    if chk.ok_run(r, f"{what}: resume"):
        return R.same_as_reference(chk, OUT, reference or ref, f"{what}, resumed")
    return False


# ---- independent kills ----------------------------------------------------------------------
fixed = [(1, 0.3), (0, 0.5), ("mpirun", 0.7)]
identical = killed_n = 0
for i in range(args.runs):
    if args.fixed:
        target, frac = fixed[i % len(fixed)]
    else:
        target, frac = rng.choice([0, 1, 2, "mpirun"]), rng.uniform(0.05, 0.95)
    clean()
    what = f"run {i + 1}: kill -9 {'rank ' + str(target) if target != 'mpirun' else 'mpirun'} at {frac:.0%}"
    killed, records, rc, end_s = kill_once(target, frac * CHUNKS, what)
    killed_n += killed
    ok = resume(what)
    identical += bool(ok)
    kept = "no journal yet" if records is None else f"{records} chunks in the journal"
    print(f"{what}: {'killed' if killed else 'finished first'}, exit {rc}, gone in {end_s:.2f} s, "
          f"{kept}; resumed: {'identical' if ok else 'DIFFERENT'}", flush=True)
if args.runs:
    print(f"independent kills: {killed_n} of {args.runs} runs killed mid-run, {identical} of {args.runs} resumed identical")

# ---- kill/resume cycles on one job -----------------------------------------------------------
if args.cycles:
    # A longer job (6x the frames): after a kill the other ranks go on for up to ~2 s until mpirun
    # ends them (several hundred chunks), so each cycle must leave plenty of work for the next.
    JOB_C = R.sweep(frames=6 * args.frames)
    CHUNKS_C = 6 * CHUNKS
    ref_c, ref_c_secs = R.reference(args, JOB_C, name="ref-cycles.h5")
    clean()
    kept = []
    for c in range(args.cycles):
        have = journal_chunks()
        target = rng.choice([0, 1, 2, "mpirun"])
        at = have + int(rng.uniform(0.02, 0.08) * CHUNKS_C)
        what = f"cycle {c + 1}: kill -9 {'rank ' + str(target) if target != 'mpirun' else 'mpirun'} at {at} of {CHUNKS_C} chunks"
        killed, records, rc, end_s = kill_once(target, at, what, JOB_C)
        kept.append(records)
        print(f"{what}: {'killed' if killed else 'finished first'}, exit {rc}, {records} chunks in the journal", flush=True)
        if not killed:
            break
    chk.check(all(a is None or b is None or a <= b for a, b in zip(kept, kept[1:])),
              f"cycles: the journal shrank between cycles: {kept}")
    cycles_killed = sum(1 for k in kept if k is not None)
    chk.check(len(kept) == args.cycles and None not in kept, f"cycles: only {cycles_killed} of {args.cycles} kills hit mid-run")
    ok = resume(f"after {len(kept)} kill cycles", JOB_C, ref_c)
    print(f"{len(kept)} kill/resume cycles on one job ({ref_c_secs:.1f} s uninterrupted), journal sizes {kept}: "
          f"final result {'identical' if ok else 'DIFFERENT'}")

# ---- a stop while the items in flight take minutes --------------------------------------------
if args.abandon:
    clean()
    # Two frames, one chunk each, of about 4.5e12 iterations: minutes per item even for the fastest
    # kernel, so both are still in flight when the 20 s grace period ends.
    heavy = ["--fractal", "julia", "--width", "1500", "--height", "1500", "--max-iter", "2000000",
             "--strip-rows", "1500", "--xmin", "-0.5", "--xmax", "0.5", "--ymin", "-0.5", "--ymax", "0.5",
             "--frames", "2", "-o", OUT]
    job = R.Job(args, heavy, np=2)
    job.wait_ranks(2)
    time.sleep(2)
    t_sig = time.monotonic()
    os.kill(job.p.pid, signal.SIGUSR1)
    rc = job.wait(timeout=90)
    secs = time.monotonic() - t_sig
    gone = R.wait_session_gone(job.sid, 30)
    lines = R.fractal_lines(job.stderr)
    print(f"SIGUSR1 during items of minutes: exit {rc} after {secs:.1f} s; {lines}")
    chk.check(rc == R.EXIT_INTERRUPTED and secs < 30, f"abandon: expected exit 3 within 30 s\n  {job.describe()}")
    chk.check(gone is not None, f"abandon: processes left: {R.session_pids(job.sid)}")
    chk.check(len(lines) == 1 and "interrupted by SIGUSR1" in lines[0], f"abandon: expected one 'interrupted' line: {lines}")
    chk.check(R.read_journal(OUT + ".journal") is not None, "abandon: no valid journal left")

chk.done()
