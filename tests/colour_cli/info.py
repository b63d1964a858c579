"""--info prints frames, size, max_iter and completeness and exits 0 (also for an incomplete file),
writing nothing."""
import os
import re
import shutil

import numpy as np

from colour_lib import Ctx, listing

ctx = Ctx()
h5 = ctx.render(ctx.path("julia.h5"), width=33, height=21, frames=3, max_iter=50, extra=["--strip-rows", "4"])
p = ctx.colour(h5, "--info")
out = p.stdout
print(out)
ctx.check(p.returncode == 0, f"--info: exit 0 (got {p.returncode})")
ctx.check(p.stderr.strip() == "", f"--info: nothing on stderr ({p.stderr.strip()!r})")
ctx.check(re.search(r"\b3\b[^\n]*\bframe", out, re.I) or re.search(r"frames?\s+3\b", out, re.I),
          "--info: shows 3 frames")
ctx.check(re.search(r"\b33\s*x\s*21\b", out) is not None, "--info: shows the size 33x21")
ctx.check(re.search(r"max_iter\s*=?\s*50\b", out) is not None, "--info: shows max_iter 50")
ctx.check(re.search(r"complete\s+yes", out, re.I) is not None, "--info: says complete")
ctx.check(h5 in out or os.path.basename(h5) in out, "--info: names the file")
ctx.check(listing(ctx.work) == ["julia.h5"], f"--info: nothing written ({listing(ctx.work)})")

# A different file: other numbers must show.
h2 = ctx.render(ctx.path("other.h5"), width=20, height=12, frames=2, max_iter=77)
p = ctx.colour(h2, "--info")
ctx.check(p.returncode == 0 and re.search(r"\b20\s*x\s*12\b", p.stdout) and re.search(r"max_iter\s*=?\s*77\b", p.stdout)
          and re.search(r"frames?\s+2\b", p.stdout, re.I), "--info on a 2-frame 20x12 max_iter 77 file shows those")

# Incomplete file: --info still works and says so.
import h5py
part = ctx.path("partial.h5")
shutil.copy(h5, part)
with h5py.File(part, "r+") as f:
    f.attrs.modify("complete", np.int32(0))
    f["chunks/done"][4] = 0
p = ctx.colour(part, "--info")
print(p.stdout)
ctx.check(p.returncode == 0, f"--info on an incomplete file: exit 0 (got {p.returncode})")
ctx.check(re.search(r"complete\s+(no|NO)\b", p.stdout) is not None, "--info on an incomplete file: says complete NO")
n = int(re.search(r"(\d+) of (\d+) chunks", p.stdout).group(1)) if re.search(r"(\d+) of (\d+) chunks", p.stdout) else -1
m = int(re.search(r"(\d+) of (\d+) chunks", p.stdout).group(2)) if n >= 0 else -1
ctx.check(m == 18 and n == 17, f"--info on an incomplete file: 17 of 18 chunks (got {n} of {m})")
ctx.finish()
