"""Shared helpers for the fractal-render end-to-end tests (tests/e2e/*.py).

Every test script is run by CTest (tests/e2e.cmake) as
    python3 SCRIPT --bin FRACTAL_RENDER --mpiexec MPIEXEC --work SCRATCH_DIR --source SOURCE_DIR [--h5dump H5DUMP]
and exits 0 (pass), 1 (fail) or 77 (skipped: a prerequisite such as h5py is missing).
Failures are collected (Checker) so one run reports every broken property, not just the first.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

SKIP = 77


def parse_args(extra=None):
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True, help="fractal-render executable")
    p.add_argument("--mpiexec", required=True, help="mpiexec/mpirun executable")
    p.add_argument("--work", required=True, help="scratch directory (emptied first)")
    p.add_argument("--source", required=True, help="project source directory")
    p.add_argument("--h5dump", default="", help="h5dump executable (optional)")
    if extra:
        extra(p)
    a = p.parse_args()
    a.bin = os.path.abspath(a.bin)
    a.work = os.path.abspath(a.work)
    a.source = os.path.abspath(a.source)
    if os.sep in a.mpiexec:
        a.mpiexec = os.path.abspath(a.mpiexec)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    return a


def need_h5py():
    try:
        import h5py  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as e:
        print(f"SKIP: {e} (run the e2e tests with a Python that has numpy and h5py, e.g. /usr/bin/python3)")
        sys.exit(SKIP)


def base_env(threads=None):
    env = dict(os.environ)
    # Harmless when not root; CTest sets them too.
    env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    else:
        env.setdefault("OMP_NUM_THREADS", "1")
    return env


_flavour = {}


def mpi_flavour(mpiexec):
    if mpiexec not in _flavour:
        try:
            out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=60,
                                 env=base_env()).stdout
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        _flavour[mpiexec] = "openmpi" if ("Open MPI" in out or "OpenRTE" in out) else "other"
    return _flavour[mpiexec]


def mpi_cmd(args, np, threads=1, extra=()):
    """Command line running fractal-render on `np` ranks with `threads` OpenMP threads each."""
    cmd = [args.mpiexec, "-np", str(np)]
    if mpi_flavour(args.mpiexec) == "openmpi":
        cmd += ["--oversubscribe", "-x", "OMP_NUM_THREADS"]
    else:  # MPICH/Hydra
        cmd += ["-genv", "OMP_NUM_THREADS", str(threads)]
    return cmd + [args.bin] + list(extra)


class Result:
    def __init__(self, cmd, rc, out, err, secs):
        self.cmd, self.rc, self.out, self.err, self.secs = cmd, rc, out, err, secs

    def describe(self):
        return (f"command: {' '.join(repr(c) if (' ' in c or c == '') else c for c in self.cmd)}\n"
                f"  exit {self.rc} after {self.secs:.2f} s\n  stdout: {self.out[-1500:]!r}\n  stderr: {self.err[-1500:]!r}")


def run(cmd, cwd=None, threads=1, timeout=120, extra_env=None):
    t0 = time.monotonic()
    env = base_env(threads)
    env.update(extra_env or {})
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                           errors="replace", timeout=timeout)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc = "TIMEOUT"
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = (e.stderr or b"").decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
    return Result(cmd, rc, out, err, time.monotonic() - t0)


def render(args, opts, np=1, threads=1, cwd=None, timeout=120):
    """mpirun -np NP fractal-render OPTS"""
    return run(mpi_cmd(args, np, threads, opts), cwd=cwd, threads=threads, timeout=timeout)


def direct(args, opts, cwd=None, threads=1, timeout=60):
    """fractal-render OPTS, no mpirun (MPI singleton). One process needs no network transport:
    ob1 skips UCX's probing, half of a singleton's ~0.45 s start-up (these runs are mostly refusals)."""
    env = {"OMPI_MCA_pml": "ob1"} if "OMPI_MCA_pml" not in os.environ else {}
    return run([args.bin] + list(opts), cwd=cwd, threads=threads, timeout=timeout, extra_env=env)


HASH_RE = re.compile(r"^\s*verification\s+hash\s+([0-9a-f]{16})\s*$", re.M)


def printed_hash(stdout):
    m = HASH_RE.findall(stdout)
    return m[-1] if len(m) == 1 else None


class Checker:
    def __init__(self, name):
        self.name = name
        self.failures = []
        self.t0 = time.monotonic()

    def check(self, cond, msg):
        if not cond:
            self.failures.append(msg)
            print("FAIL:", msg, flush=True)
        return bool(cond)

    def ok_run(self, r, what):
        """A render that must succeed (exit 0)."""
        return self.check(r.rc == 0, f"{what}: expected exit 0\n  {r.describe()}")

    def done(self):
        secs = time.monotonic() - self.t0
        if self.failures:
            print(f"\n{self.name}: {len(self.failures)} failure(s) in {secs:.1f} s:")
            for f in self.failures:
                print(" -", f.splitlines()[0])
            sys.exit(1)
        print(f"{self.name}: all checks passed in {secs:.1f} s")
        sys.exit(0)


def load(path):
    """Everything comparable in an output file: counts, /frames/*, /chunks/*, and key attributes."""
    import h5py
    import numpy as np
    with h5py.File(path, "r") as f:
        d = {"counts": f["counts"][...]}
        for k in f["frames"]:
            d["frames/" + k] = f["frames"][k][...]
        for k in f["chunks"]:
            d["chunks/" + k] = f["chunks"][k][...]
        for k, v in f["counts"].attrs.items():
            d["counts@" + k] = np.asarray(v)
        d["@complete"] = np.asarray(f.attrs.get("complete", -1))
    return d


def compare_files(chk, a_path, b_path, what, keys=None):
    """Checks that two outputs hold identical counts (and per-frame data, chunk hashes, hash attribute)."""
    import numpy as np
    a, b = load(a_path), load(b_path)
    keys = keys or sorted(set(a) | set(b))
    same = True
    for k in keys:
        if k not in a or k not in b:
            same &= chk.check(False, f"{what}: '{k}' present in only one of {a_path}, {b_path}")
            continue
        x, y = a[k], b[k]
        if k == "counts":
            if not chk.check(x.shape == y.shape and x.dtype == y.dtype,
                             f"{what}: /counts shape/dtype {x.shape}/{x.dtype} vs {y.shape}/{y.dtype}"):
                same = False
                continue
            diff = np.argwhere(x != y)
            if len(diff):
                ex = ", ".join(f"[{','.join(map(str, i))}] {x[tuple(i)]} vs {y[tuple(i)]}" for i in diff[:8])
                same &= chk.check(False, f"{what}: /counts differ in {len(diff)} pixels, e.g. {ex}")
        else:
            eq = x.shape == y.shape and (np.array_equal(x, y, equal_nan=True) if x.dtype.kind == "f" else np.array_equal(x, y))
            if not eq and x.shape == y.shape and x.ndim == 1:
                idx = [i for i in range(len(x)) if not (x[i] == y[i] or (x.dtype.kind == "f" and np.isnan(x[i]) and np.isnan(y[i])))]
                detail = "; ".join(f"[{i}] {x[i].item()!r} vs {y[i].item()!r}" for i in idx[:6])
                same &= chk.check(False, f"{what}: '{k}' differs at {len(idx)} of {len(x)} entries: {detail}")
            else:
                same &= chk.check(eq, f"{what}: '{k}' differs: {x!r} vs {y!r}")
    return same


def listdir(path):
    return sorted(os.listdir(path))
