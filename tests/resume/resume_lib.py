"""Shared helpers for the interruption and resume tests (tests/resume/*.py, CTest label "resume").

Built on tests/e2e/e2e_lib.py (same arguments, Checker, comparisons). Adds: jobs run in their own
session so that every process of a job (mpirun and its ranks) can be found, signalled and proven
gone; the ranks' pids; a reader of the journal OUT.h5.journal (docs/FORMAT.md); and the check that
a resumed output equals an uninterrupted reference, chunk by chunk.
"""
import os
import signal
import struct
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import e2e_lib as E  # noqa: E402

EXIT_INTERRUPTED = 3

# A small Julia sweep with enough work to be killed mid-run: about 4 s at -np 3 on 2 cores
# (4.4e10 iterations), 552 chunks of 16 rows. Scripts may use fewer frames.
def sweep(frames=24, width=480, height=360, max_iter=12000):
    return ["--fractal", "julia", "--width", str(width), "--height", str(height), "--max-iter", str(max_iter),
            "--frames", str(frames), "--c-im-increment", "0.3", "--xmin", "-0.5", "--xmax", "0.5",
            "--ymin", "-0.375", "--ymax", "0.375", "--strip-rows", "16", "--progress-interval", "1"]


class Job:
    """fractal-render under mpirun (np > 0) or alone (np == 0), in a session of its own."""

    def __init__(self, args, opts, np=3, cwd=None, env_extra=None, log_name="job.log"):
        env = E.base_env(1)
        env.update(env_extra or {})
        if np > 0:
            cmd = E.mpi_cmd(args, np, 1, opts)
            if E.mpi_flavour(args.mpiexec) == "openmpi":
                for k in (env_extra or {}):
                    cmd[1:1] = ["-x", k]
        else:
            cmd = [args.bin] + list(opts)
        self.cmd = cmd
        self.log_path = os.path.join(cwd or args.work, log_name)
        self.err_path = self.log_path + ".err"
        self.log = open(self.log_path, "w")
        self.err = open(self.err_path, "w")
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(cmd, cwd=cwd or args.work, env=env, stdout=self.log, stderr=self.err,
                                  start_new_session=True)
        self.sid = self.p.pid
        self.direct = np <= 0
        self.rc = None

    def elapsed(self):
        return time.monotonic() - self.t0

    def rank_pids(self):
        """{rank: pid} of this job's fractal-render processes (found through /proc)."""
        found = {}
        for pid in session_pids(self.sid):
            try:
                env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
            except OSError:
                continue
            for kv in env:
                if kv.startswith(b"OMPI_COMM_WORLD_RANK=") or kv.startswith(b"PMI_RANK="):
                    found[int(kv.split(b"=", 1)[1])] = pid
        if not found and self.direct and self.p.poll() is None:
            found[0] = self.p.pid  # run without mpirun: the process is rank 0
        return found

    def wait_ranks(self, n, timeout=20):
        t = time.monotonic()
        while time.monotonic() - t < timeout and self.p.poll() is None:
            pids = self.rank_pids()
            if len(pids) >= n:
                return pids
            time.sleep(0.02)
        return self.rank_pids()

    def wait(self, timeout=120):
        try:
            self.rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_all()
            self.rc = "TIMEOUT"
        self.secs = self.elapsed()
        self.log.close()
        self.err.close()
        self.out = open(self.log_path, errors="replace").read()
        self.stderr = open(self.err_path, errors="replace").read()
        return self.rc

    def kill_all(self):
        for pid in session_pids(self.sid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def describe(self):
        return (f"command: {' '.join(self.cmd)}\n  exit {self.rc} after {self.secs:.2f} s\n"
                f"  stdout: {self.out[-1200:]!r}\n  stderr: {self.stderr[-1500:]!r}")


def session_pids(sid):
    """Every live process of session `sid` (the job's mpirun and all it started)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        # fields[0] = state, [3] = session
        if int(fields[3]) == sid and fields[0] != "Z":
            pids.append(int(d))
    return pids


def wait_session_gone(sid, timeout=30):
    """Seconds until no process of the session is left, or None after timeout."""
    t = time.monotonic()
    while time.monotonic() - t < timeout:
        if not session_pids(sid):
            return time.monotonic() - t
        time.sleep(0.05)
    return None


def fractal_lines(text):
    return [l for l in text.splitlines() if l.startswith("fractal-render:")]


# ---- the journal (docs/FORMAT.md "The journal") -----------------------------------------------

def read_journal(path):
    """(header dict, chunk_count, [(index, hash, iterations, nbytes, planes)], intact_end, file_size).
    planes: for a version-3 record, [(offset, size, crc32)] of /counts, /smooth, /distance in
    OUT.h5.partial (size 0: no such plane); None for versions 1 and 2 (the bytes are in the record)."""
    data = open(path, "rb").read()
    if len(data) < 24 or data[:8] != b"FRACTJNL":
        return None
    version, text_len, chunk_count = struct.unpack_from("<IIQ", data, 8)
    text = data[24:24 + text_len]
    crc, zero = struct.unpack_from("<II", data, 24 + text_len)
    if version not in (1, 2, 3) or crc != zlib.crc32(data[:24 + text_len]) or zero != 0:
        return None
    header = dict(l.split(" = ", 1) for l in text.decode().splitlines() if " = " in l)
    pos = 24 + text_len + 8
    records = []
    while pos + 32 <= len(data):
        magic, nbytes, index, h, it = struct.unpack_from("<IIQQQ", data, pos)
        if magic != 0x4B4E4843 or pos + 32 + nbytes + 8 > len(data) or index >= chunk_count:
            break
        crc, end = struct.unpack_from("<II", data, pos + 32 + nbytes)
        if end != 0x2E444E45 or crc != zlib.crc32(data[pos:pos + 32 + nbytes]):
            break
        planes = None
        if version == 3:
            if nbytes != 48:
                break
            planes = [struct.unpack_from("<QII", data, pos + 32 + 16 * i) for i in range(3)]
        records.append((index, h, it, nbytes, planes))
        pos += 32 + nbytes + 8
    return header, chunk_count, records, pos, len(data)


def check_journal(chk, path, what):
    """Every intact record names a distinct chunk. Returns the number of records (or None)."""
    j = read_journal(path) if os.path.exists(path) else None
    if j is None:
        return None
    _, _, records, _, _ = j
    idx = [r[0] for r in records]
    chk.check(len(idx) == len(set(idx)), f"{what}: the journal records {len(idx) - len(set(idx))} chunk(s) twice")
    return len(records)


# ---- comparing an output with the reference ---------------------------------------------------

def same_as_reference(chk, out, ref, what):
    """out is complete, equals ref (counts, /frames, /chunks, hash), holds every chunk once, and no
    journal, partial file or lock is left beside it."""
    import h5py
    if not chk.check(os.path.exists(out), f"{what}: {out} missing ({E.listdir(os.path.dirname(out))})"):
        return False
    ok = E.compare_files(chk, out, ref, what)
    with h5py.File(out, "r") as f:
        d = f["counts"]
        n = int(f["chunks/done"].shape[0])
        ok &= chk.check(d.id.get_num_chunks() == n, f"{what}: {d.id.get_num_chunks()} chunks stored, expected {n}")
        ok &= chk.check(bool((f["chunks/done"][...] == 1).all()), f"{what}: /chunks/done not all 1")
        ok &= chk.check(int(f.attrs["complete"]) == 1, f"{what}: complete != 1")
    for suffix in (".journal", ".partial", ".lock", ".journal.new", ".partial.new"):
        ok &= chk.check(not os.path.exists(out + suffix), f"{what}: {out + suffix} left behind")
    return ok


def reference(args, opts, name="ref.h5", np=3):
    """Renders the uninterrupted reference; returns (path, seconds)."""
    path = os.path.join(args.work, name)
    r = E.render(args, opts + ["-o", path], np=np, timeout=300)
    if r.rc != 0:
        print("reference render failed:\n ", r.describe())
        sys.exit(1)
    return path, r.secs
