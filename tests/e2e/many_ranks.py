#!/usr/bin/env python3
"""configs/quick.cfg at -np 48 (oversubscribed: more ranks than work items and than cores) completes
with exit 0 and gives exactly the counts of a -np 1 run."""
import os

import e2e_lib as E

args = E.parse_args()
E.need_h5py()
chk = E.Checker("many_ranks")
cfg = os.path.join(args.source, "configs", "quick.cfg")

outs = {}
for np in (1, 48):
    out = os.path.join(args.work, f"quick-np{np}.h5")
    r = E.render(args, [cfg, "-o", out], np=np, threads=1, timeout=240)
    print(f"-np {np}: exit {r.rc} in {r.secs:.2f} s")
    if chk.ok_run(r, f"quick.cfg at -np {np}"):
        chk.check(f"{np} rank(s)" in r.out, f"-np {np}: summary does not say '{np} rank(s)': {r.out[:300]!r}")
        chk.check(E.listdir(args.work).count(os.path.basename(out) + ".partial") == 0, f"-np {np}: .partial left behind")
        h = E.printed_hash(r.out)
        d = E.load(out)
        chk.check(h == f"{int(d['counts@verification_hash']):016x}",
                  f"-np {np}: printed hash {h} != attribute {int(d['counts@verification_hash']):016x}")
        chk.check(d["counts"].shape == (30, 320, 320), f"-np {np}: /counts shape {d['counts'].shape}, expected (30, 320, 320)")
        outs[np] = out

if len(outs) == 2:
    E.compare_files(chk, outs[1], outs[48], "quick.cfg -np 1 vs -np 48")
chk.done()
