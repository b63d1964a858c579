#!/usr/bin/python3
"""Whole-program benchmark of fractal-render: how much of the wall time is outside the kernel.

Runs a config (default: reference workload 2, 4096^2 pixels, 2000 iterations) several times under
mpirun and reports the medians of wall time, the kernel ("compute") share and the split of the
rest (compression, waiting + communication, rank 0 writing), as printed by fractal-render's
end-of-run report. Usage:

  tools/bench/render_overhead.py [--np 2] [--repeat 5] [--config configs/w2-mandelbrot-seahorse-4096px.cfg]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_once(binary, config, nprocs, out, extra):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = ["mpirun", "-np", str(nprocs), "--oversubscribe", binary, config, "-o", out, "--overwrite",
           "--progress-interval", "1000"] + extra
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    launch_wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"render failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    m = re.search(r"wall time\s+([\d.]+) s; per rank \(mean\): compute ([\d.]+) s \(([\d.]+)%\), "
                  r"compression ([\d.]+) s \(([\d.]+)%\), waiting\+communication ([\d.]+) s \(([\d.]+)%\); "
                  r"rank 0 writing ([\d.]+) s", p.stdout)
    rate = re.search(r"throughput\s+([\d.]+) G iterations/s overall, ([\d.]+) per core", p.stdout)
    if not m or not rate:
        sys.exit("could not parse the report:\n" + p.stdout)
    wall, compute, _, compress, _, other, _, write = map(float, m.groups())
    return dict(wall=wall, compute=compute, compress=compress, other=other, write=write,
                outside=1 - compute / wall, grate=float(rate.group(1)), core=float(rate.group(2)),
                launch=launch_wall)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--np", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--config", default=os.path.join(ROOT, "configs/w2-mandelbrot-seahorse-4096px.cfg"))
    ap.add_argument("--binary", default=os.path.join(ROOT, "build/fractal-render"))
    ap.add_argument("extra", nargs="*", help="extra fractal-render options (after --)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        runs = [run_once(a.binary, a.config, a.np, os.path.join(d, "bench.h5"), a.extra) for _ in range(a.repeat)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"config {os.path.basename(a.config)}, -np {a.np}, {a.repeat} runs (medians)")
    print(f"  wall (in-program)       {med['wall']:.3f} s   (mpirun end to end {med['launch']:.3f} s)")
    print(f"  compute (kernel)        {med['compute']:.3f} s   {100 * med['compute'] / med['wall']:.1f}%")
    print(f"  compression             {med['compress']:.3f} s   {100 * med['compress'] / med['wall']:.1f}%")
    print(f"  waiting+communication   {med['other']:.3f} s   {100 * med['other'] / med['wall']:.1f}%")
    print(f"  rank 0 writing          {med['write']:.3f} s   (overlapped with rank 0's rendering)")
    print(f"  outside the kernel      {100 * med['outside']:.1f}% of wall (target <= 15%)")
    print(f"  throughput              {med['grate']:.2f} G it/s overall, {med['core']:.2f} per core")
    print("  per run outside-kernel %: " + " ".join(f"{100 * r['outside']:.1f}" for r in runs))


if __name__ == "__main__":
    main()
