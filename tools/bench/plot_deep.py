#!/usr/bin/python3
"""Plots a deep_bench.py JSON (--json FILE) as docs/deep-speed.png: per KF location, the whole-job
seconds of Fraktaler-3 (1 core) and of ours on 1 and 2 cores, log scale, with the ratio F3 / ours.

  /usr/bin/python3 tools/bench/plot_deep.py FILE.json [OUT.png]
"""
import json
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    d = json.load(open(sys.argv[1]))
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.join(ROOT, "docs", "deep-speed.png")
    locs = [l for l in ["1e14", "1e50", "5e113", "5e227", "4e533", "1e1086"] if any(r["loc"] == l for r in d["runs"])]

    def median(renderer, cores, loc, key):
        v = [r[key] for r in d["runs"] if r["renderer"] == renderer and r["loc"] == loc and r.get("status") == "ok"
             and (renderer == "f3" or r["cores"] == cores)]
        return statistics.median(v) if v else float("nan")

    series = [("Fraktaler-3, 1 core (CPU s)", "f3", 1, "cpu_s", "#888888"),
              ("fractal-render, 1 core", "ours", 1, "job_wall_s", "#1f77b4"),
              ("fractal-render, 2 cores", "ours", 2, "job_wall_s", "#aec7e8")]
    fig, ax = plt.subplots(figsize=(9, 4.2), dpi=110)
    w = 0.27
    for k, (label, who, cores, key, colour) in enumerate(series):
        ys = [median(who, cores, l, key) for l in locs]
        ax.bar([i + (k - 1) * w for i in range(len(locs))], ys, w, label=label, color=colour)
    for i, l in enumerate(locs):
        f3, ours = median("f3", 1, l, "cpu_s"), median("ours", 1, l, "job_wall_s")
        ax.text(i, max(f3, ours) * 1.25, f"{f3 / ours:.1f}x", ha="center", fontsize=9)
    size = sorted({r["size"] for r in d["runs"]})
    c = d.get("cpu", {})
    cpu = f"{c.get('model name', '?')} family {c.get('cpu family', '?')} model {c.get('model', '?')}" if isinstance(c, dict) else str(c)
    vals = [median(w, k, l, key) for _, w, k, key, _ in series for l in locs]
    vals = [v for v in vals if v == v]
    ax.set_xticks(range(len(locs)), [f"{l}\n{d['iterations'].get(l, '')} it" for l in locs])
    ax.set_yscale("log")
    ax.set_ylim(min(vals) * 0.5, max(vals) * 6)
    ax.set_ylabel("seconds, whole job (log)")
    ax.set_title(f"KF benchmark locations at {'/'.join(map(str, size))}^2, escape radius 625, BLA on "
                 f"(label: Fraktaler-3 / ours, 1 core); {cpu}", fontsize=9)
    ax.legend(fontsize=8, loc="upper center", ncol=3, frameon=False)
    fig.tight_layout()
    fig.savefig(out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
