#!/usr/bin/env python3
"""--help exits 0 and lists every option (once, also under mpirun); --print-config prints a config
that, fed back as a config file, prints itself again and renders identical counts; it is the text
stored in the file's root attribute 'config'."""
import os

import e2e_lib as E

args = E.parse_args()
E.need_h5py()
import h5py  # noqa: E402

chk = E.Checker("help_print_config")
W = args.work

EVERY_OPTION = [
    "help", "print-config", "output", "overwrite", "fractal", "c-re", "c-im", "z0-re", "z0-im", "max-iter",
    "escape-radius", "xmin", "xmax", "ymin", "ymax", "center-re", "center-im", "view-width", "width", "height",
    "num-steps", "frames", "duration", "fps", "c-im-increment", "end-center-re", "end-center-im", "end-view-width",
    "strip-rows", "compression-level", "kernel", "progress-interval", "skip-disk-check"]

# --- --help ------------------------------------------------------------------------------------------
for flag in ("--help", "-h"):
    d = os.path.join(W, "help" + flag)
    os.makedirs(d)
    r = E.direct(args, [flag], cwd=d)
    if chk.check(r.rc == 0, f"{flag}: expected exit 0\n  {r.describe()}"):
        chk.check(r.err == "", f"{flag}: wrote to stderr: {r.err!r}")
        chk.check("Usage:" in r.out, f"{flag}: no 'Usage:' line")
        missing = [o for o in EVERY_OPTION if f"--{o}" not in r.out.replace("[ --", "--")]
        chk.check(not missing, f"{flag}: options not listed: {missing}")
    chk.check(E.listdir(d) == [], f"{flag}: created files {E.listdir(d)}")
r = E.render(args, ["--help"], np=2, cwd=W)
chk.check(r.rc == 0 and r.out.count("Usage:") == 1, f"mpirun -np 2 --help: expected exit 0 and one help text\n  {r.describe()}")
r = E.direct(args, ["--width", "10px", "--help"], cwd=W)  # --help wins over everything else
chk.check(r.rc == 0 and "Usage:" in r.out, f"--help with another (bad) option: expected exit 0 and the help\n  {r.describe()}")

# --- --print-config round trip -------------------------------------------------------------------------
quick = os.path.join(args.source, "configs", "quick.cfg")
JOBS = {
    "julia-sweep": ["--c-re", "0.30000000000000004", "--c-im", "-0.42193", "--c-im-increment", "0.1", "--frames", "5",
                    "--width", "63", "--height", "41", "--max-iter", "150", "--strip-rows", "9", "--fps", "12.5",
                    "--escape-radius", "2.5"],
    "mandel-zoom": ["--fractal", "mandelbrot", "--center-re", "-0.7436438870371587", "--center-im", "0.13182590420531198",
                    "--view-width", "0.01", "--end-center-re", "-0.74364", "--end-center-im", "0.13182",
                    "--end-view-width", "0.0007", "--frames", "4", "--width", "57", "--height", "38",
                    "--max-iter", "400", "--z0-re", "0.001", "--z0-im", "-0.002", "--compression-level", "3"],
    "quick-overridden": [quick, "--frames", "3", "--width", "48", "--height", "40", "--max-iter", "90"],
    "duration": ["--fractal", "mandelbrot", "--duration", "0.2", "--fps", "10", "--width", "30", "--max-iter", "50"],
}
for job, opts in JOBS.items():
    d = os.path.join(W, job)
    os.makedirs(d)
    r = E.direct(args, opts + ["--print-config", "-o", "never.h5"], cwd=d)
    if not chk.check(r.rc == 0 and r.out.strip(), f"{job}: --print-config failed\n  {r.describe()}"):
        continue
    text = r.out
    chk.check(E.listdir(d) == [], f"{job}: --print-config created files {E.listdir(d)}")
    with open(os.path.join(d, "printed.cfg"), "w") as f:
        f.write(text)
    r2 = E.direct(args, ["printed.cfg", "--print-config"], cwd=d)
    chk.check(r2.rc == 0 and r2.out == text,
              f"{job}: the printed config, fed back, prints differently:\n--- first\n{text}--- second\n{r2.out}{r2.err}")
    ra = E.render(args, opts + ["-o", "direct.h5"], np=2, cwd=d)
    rb = E.render(args, ["printed.cfg", "-o", "fromcfg.h5"], np=2, cwd=d)
    if chk.ok_run(ra, f"{job}: render from options") and chk.ok_run(rb, f"{job}: render from the printed config"):
        E.compare_files(chk, os.path.join(d, "direct.h5"), os.path.join(d, "fromcfg.h5"), f"{job}: options vs printed config")
        with h5py.File(os.path.join(d, "direct.h5"), "r") as f:
            stored = f.attrs.get("config")
            stored = stored.decode() if isinstance(stored, bytes) else stored
        chk.check(stored == text, f"{job}: root attribute 'config' differs from --print-config:\n{stored!r}\nvs\n{text!r}")
    print(f"{job}: round trip done")

chk.done()
