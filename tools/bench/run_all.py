#!/usr/bin/python3
"""The whole benchmark suite of issue #4, in under two minutes; builds nothing.

  tools/bench/run_all.py [--build DIR] [--repeat N] [--quick] [--json FILE] [--png FILE] [--deep [N]]

Runs, from an existing Release build (default: build/, as tools/build.sh makes it):
  1. kernel_bench: kernel-only G iterations/s per core of every kernel variant on (a) workload 2's
     view at 1024^2, 2000 it, interior skipping off, (b) the same with skipping on, (c) frame 0 of
     workload 1's spiral job, (d) a view inside the set (arithmetic ceiling); 1 thread and all.
  2. the whole program (tools/bench/render_overhead.py, one run at a time, the three jobs in
     alternation): workload 2 (4096^2, 2000 it) at -np 2 and at -np 1 with one thread (1 -> 2 core
     efficiency: two-rank throughput / twice the one-rank one), workload 1's 10-second 500-pixel
     job at -np 2.
  3. ingest_bench: rank 0's write rate in chunks/s against one rank's production rate; and
     ingest_mpi (mpirun -np 2): the same with the MPI receive of one chunk per message included.
  4. with --deep [N] (issue #14): tools/bench/deep_bench.py on the six Kalles Fraktaler locations
     at N x N (default 256; their own iteration counts), BLA on, 1 and 2 cores, with Fraktaler-3
     side by side when its build is there (deep_bench.py --f3; else ours only). A few minutes at
     256; the 1024^2 figures of docs/PERFORMANCE.md come from deep_bench.py itself (~12 minutes).
Every figure is a median of N runs (default 5). Prints a table against the issue's targets, writes
the figures as JSON (default docs/perf-figures.json) and a plot (default docs/perf-throughput.png).
The machine may be shared: the load average before and after is recorded with the figures.
"""
import argparse
import datetime
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")

# Targets from issue #4 (this machine: 2 cores).
TARGETS = {"a": 6.0, "c": 3.0, "d": 7.0}
W2_WALL_TARGET = 1.5   # s, -np 2, file written
W1_WALL_TARGET = 3.0   # s, -np 2
OUTSIDE_TARGET = 15.0  # % of wall outside the kernel
EFFICIENCY_TARGET = 95.0
RANKS_FED_TARGET = 256
# Reference workloads' own figures (docs/WORKLOADS.md / configs/*.cfg headers).
NUMPY_RATE = 0.05      # workload 2's numpy kernel, G it/s per core
W2_NUMPY_S = 226.0     # workload 2 on 2 processes, numpy
W1_PYTHON_S = 33.1     # workload 1's 10 s 500 px job on 48 cores
W1_PYTHON_2CORE_S = 600.0  # "10 s 500 px animations in about 600 s" on a 2-core laptop


def run(cmd, env=ENV, timeout=None):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        sys.exit(f"run_all: failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    return p.stdout


def loadavg():
    try:
        return [float(x) for x in open("/proc/loadavg").read().split()[:3]]
    except OSError:
        return None


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def kernel_bench(build, repeat):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        out = run([os.path.join(build, "tools/bench/kernel_bench"), "--repeat", str(repeat), "--json", f.name,
                   "--root", ROOT])
        print(out, end="")
        return json.load(open(f.name))["results"]


def ingest_bench(build, repeat, tmp):
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        out = run([os.path.join(build, "tools/bench/ingest_bench"), "--repeat", str(repeat), "--json", f.name,
                   "--dir", tmp, "--root", ROOT])
        print(out, end="")
        return json.load(open(f.name))["results"]


def ingest_mpi(build, repeat, tmp):
    """Rank 0's ingest with the MPI receive of one chunk per message (mpirun -np 2 ingest_mpi)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        out = run(["mpirun", "-np", "2", "--oversubscribe", os.path.join(build, "tools/bench/ingest_mpi"),
                   "--repeat", str(repeat), "--json", f.name, "--dir", tmp, "--root", ROOT])
        print(out, end="")
        return json.load(open(f.name))["results"]


def whole_program_once(build, config, np, threads=None):
    """One run through render_overhead.py (--repeat 1), parsed from its summary."""
    env = dict(ENV)
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = run([sys.executable, os.path.join(ROOT, "tools/bench/render_overhead.py"), "--np", str(np),
               "--repeat", "1", "--config", os.path.join(ROOT, config),
               "--binary", os.path.join(build, "fractal-render")], env=env)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of everything the run started (mpirun, the ranks, the Python wrapper).
    cpu_s = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    num = r"([\d.]+)"
    m = {
        "wall_s": re.search(r"wall \(in-program\)\s+" + num + r" s\s+\(mpirun end to end " + num, out),
        "compute_s": re.search(r"compute \(kernel\)\s+" + num, out),
        "compression_s": re.search(r"compression\s+" + num, out),
        "waiting_s": re.search(r"waiting\+communication\s+" + num, out),
        "outside_pct": re.search(r"outside the kernel\s+" + num + "%", out),
        "throughput": re.search(r"throughput\s+" + num + r" G it/s overall, " + num + " per core", out),
    }
    if not all(m.values()):
        sys.exit("run_all: cannot parse render_overhead.py's output:\n" + out)
    return {
        "wall_s": float(m["wall_s"].group(1)), "mpirun_s": float(m["wall_s"].group(2)),
        "compute_s": float(m["compute_s"].group(1)), "compression_s": float(m["compression_s"].group(1)),
        "waiting_s": float(m["waiting_s"].group(1)), "outside_pct": float(m["outside_pct"].group(1)),
        "g_it_s": float(m["throughput"].group(1)), "g_it_s_per_core": float(m["throughput"].group(2)),
        "cpu_s": cpu_s,
        "g_it_per_cpu_s": float(m["throughput"].group(1)) * float(m["wall_s"].group(1)) / cpu_s,
    }


def whole_program(build, jobs, repeat):
    """The jobs run in alternation, `repeat` rounds (so a change of the machine's load hits all of
    them alike); medians per job of every figure, and the runs themselves."""
    runs = {key: [] for key in jobs}
    for _ in range(repeat):
        for key, (config, np, threads) in jobs.items():
            runs[key].append(whole_program_once(build, config, np, threads))
    out = {}
    for key, (config, np, threads) in jobs.items():
        med = {f: statistics.median(r[f] for r in runs[key]) for f in runs[key][0]}
        out[key] = dict(config=config, np=np, threads_per_rank=threads, repeat=repeat, runs=runs[key], **med)
        print(f"  {key:10s} {config}: -np {np}{f' x {threads} thread' if threads else ''}: "
              f"in-program {med['wall_s']:.3f} s, mpirun {med['mpirun_s']:.3f} s, kernel {med['compute_s']:.3f} s, "
              f"compression {med['compression_s']:.3f} s, waiting+comm {med['waiting_s']:.3f} s, "
              f"outside the kernel {med['outside_pct']:.1f}%, {med['g_it_s']:.2f} G it/s, "
              f"{med['g_it_per_cpu_s']:.2f} G it per CPU-second")
    return out


def plot(kern, whole, ingest, png, ingest_m=()):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 5.6), gridspec_kw={"width_ratios": [2.2, 1.3, 1.2]})
    cases = ["a", "b", "c", "d"]
    labels = {"a": "(a) w2 view\nskip off", "b": "(b) w2 view\nskip on", "c": "(c) w1 spiral\nframe 0",
              "d": "(d) inside\nthe set"}
    kernels = [k for k in ("scalar", "avx2", "avx512") if any(r["kernel"] == k for r in kern)]
    width = 0.8 / max(1, len(kernels))
    colours = {"scalar": "#9e9e9e", "avx2": "#4c72b0", "avx512": "#dd8452"}
    for i, k in enumerate(kernels):
        vals, walls = [], []
        for c in cases:
            r = [x for x in kern if x["kernel"] == k and x["case"] == c and x["threads"] == 1]
            vals.append(r[0]["rate_per_cpu_second"] if r else 0)
            walls.append(r[0]["rate_per_core"] if r else 0)
        xs = [j + (i - (len(kernels) - 1) / 2) * width for j in range(len(cases))]
        ax1.bar(xs, vals, width, label=k + " (1 thread)", color=colours[k])
        ax1.plot(xs, walls, "k.", ms=5, label="per wall-second" if i == len(kernels) - 1 else None)
        for x, v in zip(xs, vals):
            ax1.text(x, v, f"{v:.1f}", ha="center", va="bottom", fontsize=7)
    for j, c in enumerate(cases):
        if c in TARGETS:
            ax1.plot([j - 0.45, j + 0.45], [TARGETS[c]] * 2, "k--", lw=1)
    ax1.plot([], [], "k--", lw=1, label="issue #4 target")
    ax1.axhline(NUMPY_RATE, color="tab:red", lw=1, ls=":", label=f"w2 numpy original ({NUMPY_RATE})")
    ax1.set_xticks(range(len(cases)), [labels[c] for c in cases])
    ax1.set_ylabel("G iterations per CPU-second (median)")
    ax1.set_yscale("log")
    ax1.set_title("Kernel only (iterations = sum of counts)")
    ax1.set_ylim(top=ax1.get_ylim()[1] * 3)
    ax1.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)

    names = ["w2 4096² -np 2", "w1 10 s 500 px -np 2"]
    got = [whole["w2_np2"]["mpirun_s"], whole["w1_np2"]["mpirun_s"]]
    tgt = [W2_WALL_TARGET, W1_WALL_TARGET]
    ax2.bar(range(2), got, 0.5, color="#55a868", label="fractal-render (mpirun, median)")
    for j, (g, t) in enumerate(zip(got, tgt)):
        ax2.plot([j - 0.35, j + 0.35], [t, t], "k--", lw=1)
        ax2.text(j, g, f"{g:.2f} s", ha="center", va="bottom", fontsize=8)
    ax2.plot([], [], "k--", lw=1, label="target")
    ax2.set_xticks(range(2), names, fontsize=8)
    ax2.set_ylabel("seconds, end to end, file written")
    ax2.set_title(f"Whole program (2 cores)\nnumpy w2: {W2_NUMPY_S:.0f} s; Python w1: {W1_PYTHON_2CORE_S:.0f} s",
                  fontsize=9)
    ax2.set_ylim(top=max(max(got), max(tgt)) * 1.25)
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1)

    wl = [r["workload"] for r in ingest]
    fed = [r["ranks_fed"] for r in ingest]
    fed_cpu = [r["ranks_fed_cpu"] for r in ingest]
    xs = range(len(wl))
    mpi = {r["workload"]: r["ranks_fed"] for r in ingest_m}
    ax3.bar([x - 0.27 for x in xs], fed, 0.27, label="write path, per wall-second of rank 0", color="#8172b2")
    ax3.bar(list(xs), fed_cpu, 0.27, label="write path, per CPU-second of rank 0", color="#ccb974")
    if mpi:
        ax3.bar([x + 0.27 for x in xs], [mpi.get(w, 0) for w in wl], 0.27,
                label="with the MPI receive (1 chunk per message)", color="#64b5cd")
    ax3.axhline(RANKS_FED_TARGET, color="k", ls="--", lw=1, label="target (w1)")
    ax3.set_xticks(list(xs), wl, fontsize=7)
    ax3.set_ylabel("ranks (1 core each) rank 0 can feed")
    ax3.set_title("Rank 0 ingest / one rank's production\n(HDF5 chunk write + journal record; + MPI receive)", fontsize=9)
    ax3.set_ylim(top=max(max(fed), max(fed_cpu), RANKS_FED_TARGET) * 1.15)
    ax3.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1)
    fig.suptitle(f"fractal-hpc throughput on {cpu_model()} ({os.cpu_count()} cores, shared machine)", fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"), help="build directory (default: build/)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="3 repeats instead of 5")
    ap.add_argument("--json", default=os.path.join(ROOT, "docs/perf-figures.json"))
    ap.add_argument("--png", default=os.path.join(ROOT, "docs/perf-throughput.png"))
    ap.add_argument("--deep", nargs="?", const=256, type=int, metavar="N",
                    help="also the deep-zoom benchmark (deep_bench.py) at N x N (default 256)")
    ap.add_argument("--f3", default="/tmp/peers", help="Fraktaler-3's build dir for --deep (skipped when absent)")
    a = ap.parse_args()
    repeat = 3 if a.quick else a.repeat
    build = os.path.abspath(a.build)
    for exe in ("fractal-render", "tools/bench/kernel_bench", "tools/bench/ingest_bench", "tools/bench/ingest_mpi"):
        if not os.access(os.path.join(build, exe), os.X_OK):
            sys.exit(f"run_all: {os.path.join(build, exe)} missing: build first (tools/build.sh, or cmake --build {build})")

    t0 = time.time()
    load0 = loadavg()
    print(f"== kernel only ({repeat} runs each)")
    kern = kernel_bench(build, repeat)
    print(f"== whole program (kernel phase took {time.time() - t0:.0f} s)")
    w2, w1 = "configs/w2-mandelbrot-seahorse-4096px.cfg", "configs/w1-julia-sweep-10s-500px.cfg"
    whole = whole_program(build, {"w2_np2": (w2, 2, None), "w2_np1_t1": (w2, 1, 1), "w1_np2": (w1, 2, None)},
                          repeat)
    eff = 100 * whole["w2_np2"]["g_it_s"] / (2 * whole["w2_np1_t1"]["g_it_s"])
    # The same from CPU time (iterations per CPU-second, all processes): blind to waiting, but
    # not to a busy machine taking cores away from a run, unlike the wall-time ratio.
    eff_cpu = 100 * whole["w2_np2"]["g_it_per_cpu_s"] / whole["w2_np1_t1"]["g_it_per_cpu_s"]
    print(f"== rank 0 ingest ({time.time() - t0:.0f} s so far)")
    with tempfile.TemporaryDirectory() as tmp:
        ingest = ingest_bench(build, max(3, repeat - 2), tmp)
        ingest_m = ingest_mpi(build, max(3, repeat - 2), tmp)
    deep = None
    if a.deep:
        print(f"== deep zoom, {a.deep}x{a.deep} ({time.time() - t0:.0f} s so far)")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "deep.json")
            cmd = [sys.executable, os.path.join(ROOT, "tools/bench/deep_bench.py"), "--build", build, "--size", str(a.deep),
                   "--cores", "1,2", "--variants", "bla:", "--repeats", str(max(1, repeat - 2)), "--json", out,
                   "--work", os.path.join(tmp, "work"), "--f3", a.f3]
            if not os.access(os.path.join(a.f3, "f3-src", "fraktaler-3.cli"), os.X_OK):
                cmd.append("--no-f3")
                print(f"  (no Fraktaler-3 build under {a.f3}: ours only; ../shared/peers/fraktaler3/ builds it)")
            print(run(cmd, timeout=3600)[-3000:])
            deep = json.load(open(out))
    load1 = loadavg()
    elapsed = time.time() - t0

    def k(case, kernel, threads=1, key="rate_per_core"):
        r = [x for x in kern if x["case"] == case and x["kernel"] == kernel and x["threads"] == threads]
        return r[0][key] if r else None

    best = "avx512" if any(r["kernel"] == "avx512" for r in kern) else ("avx2" if any(r["kernel"] == "avx2" for r in kern) else "scalar")
    w1_fed = next(r for r in ingest if r["workload"] == "w1")
    w1_mpi = next(r for r in ingest_m if r["workload"] == "w1")
    # Kernel targets are judged per CPU-second (what a core delivers while this process has it);
    # the per-wall-second figure is printed next to it, as on a shared machine it is lower.
    cpu = lambda c: k(c, best, key="rate_per_cpu_second")
    rows = [
        (f"(a) w2 view 1024^2, skip off (wall {k('a', best):.2f})", cpu("a"), ">= 6.0", cpu("a") >= 6.0),
        (f"(b) w2 view 1024^2, skip on (wall {k('b', best):.2f})", cpu("b"), "-", None),
        (f"(c) w1 spiral frame 0 (wall {k('c', best):.2f})", cpu("c"), ">= 3.0", cpu("c") >= 3.0),
        (f"(d) inside the set (wall {k('d', best):.2f})", cpu("d"), ">= 7.0", cpu("d") >= 7.0),
        ("w2 4096^2 -np 2, s (mpirun, file written)", whole["w2_np2"]["mpirun_s"], "<= 1.5", whole["w2_np2"]["mpirun_s"] <= 1.5),
        ("w1 10 s 500 px -np 2, s (mpirun)", whole["w1_np2"]["mpirun_s"], "<= 3.0", whole["w1_np2"]["mpirun_s"] <= 3.0),
        ("w2 -np 2: outside the kernel, % of wall", whole["w2_np2"]["outside_pct"], "<= 15", whole["w2_np2"]["outside_pct"] <= 15),
        ("w1 -np 2: outside the kernel, % of wall", whole["w1_np2"]["outside_pct"], "<= 15", whole["w1_np2"]["outside_pct"] <= 15),
        ("1 -> 2 cores efficiency on w2, % (wall)", eff, ">= 95", eff >= 95),
        ("1 -> 2 cores efficiency on w2, % (CPU time)", eff_cpu, ">= 95", eff_cpu >= 95),
        (f"rank 0 feeds on w1, write path alone (CPU: {w1_fed['ranks_fed_cpu']:.0f})", w1_fed["ranks_fed"], ">= 256",
         w1_fed["ranks_fed"] >= 256),
        ("rank 0 feeds on w1, with the MPI receive", w1_mpi["ranks_fed"], ">= 256", w1_mpi["ranks_fed"] >= 256),
    ]
    print(f"\n== summary ({best} kernel; medians of {repeat} runs; {elapsed:.0f} s; load average {load0} -> {load1})")
    print("  kernel: G iterations per CPU-second, 1 thread (per wall-second in brackets)")
    for name, val, target, ok in rows:
        flag = "" if ok is None else ("ok" if ok else "MISSED")
        print(f"  {name:52s} {val:9.2f}   target {target:7s} {flag}")

    figures = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "loadavg_before": load0, "loadavg_after": load1},
        "repeat": repeat, "elapsed_s": elapsed, "best_kernel": best,
        "kernel": kern, "whole_program": whole, "efficiency_1_to_2_cores_pct": eff, "efficiency_1_to_2_cores_cpu_time_pct": eff_cpu, "ingest": ingest,
        "ingest_with_mpi": ingest_m,
        "targets": {"kernel_g_it_s_per_core": TARGETS, "w2_np2_s": W2_WALL_TARGET, "w1_10s_np2_s": W1_WALL_TARGET,
                    "outside_kernel_pct": OUTSIDE_TARGET, "efficiency_pct": EFFICIENCY_TARGET,
                    "ranks_fed_w1": RANKS_FED_TARGET},
        "summary": [{"figure": n, "value": v, "target": t, "met": ok} for n, v, t, ok in rows],
    }
    if deep is not None:
        figures["deep"] = deep
    with open(a.json, "w") as f:
        json.dump(figures, f, indent=1)
    plot(kern, whole, ingest, a.png, ingest_m)
    print(f"wrote {os.path.relpath(a.json, ROOT)} and {os.path.relpath(a.png, ROOT)}")


if __name__ == "__main__":
    main()
