"""Bad input files: each refused with exit 1 and exactly one stderr line naming the file, no crash,
no output written, modest memory; an incomplete file needs --allow-partial and then shows its
missing strip in flat grey.

Every run gets an address-space limit (RLIMIT_AS, 4 GiB) so a runaway allocation fails instead of
exhausting the machine, and its own peak RSS (os.wait4) must stay below 500 MB."""
import os
import shutil

import h5py
import numpy as np

from colour_lib import (Ctx, expected_frames, is_signal_exit, listing, max_diff_any, read_counts, read_png,
                        stderr_lines)

ctx = Ctx()
STRIP = 4
good = ctx.render(ctx.path("good.h5"), width=33, height=21, frames=3, max_iter=50, extra=["--strip-rows", str(STRIP)])
bad_dir = ctx.path("bad")
os.makedirs(bad_dir)
AS_LIMIT = 4 << 30
RSS_LIMIT_KB = 500 * 1024


def bad(name):
    return os.path.join(bad_dir, name)


def copy_good(name):
    shutil.copy(good, bad(name))
    return bad(name)


def copy_attrs(src, dst):
    for k, v in src.attrs.items():
        dst.attrs[k] = v


def replace_counts(name, shape, dtype, chunks):
    """A copy of the good file whose /counts is replaced (same attributes, data written if small)."""
    path = copy_good(name)
    with h5py.File(path, "r+") as f:
        old = f["counts"]
        attrs = dict(old.attrs.items())
        del f["counts"]
        d = f.create_dataset("counts", shape=shape, dtype=dtype, chunks=chunks)
        for k, v in attrs.items():
            d.attrs[k] = v
    return path


# ---- building the bad files --------------------------------------------------------------------
cases = []  # (label, path, extra options, substring the message must contain or None)
PNG_ONLY = set()  # files whose damage is in the counts: --info (which reads no counts) accepts them

p = bad("text.h5")
with open(p, "w") as fh:
    fh.write("this is a text file, not HDF5\n" * 20)
cases.append(("text file renamed .h5", p, [], None))

p = bad("empty.h5")
open(p, "wb").close()
cases.append(("empty file", p, [], None))

p = bad("unrelated.h5")
with h5py.File(p, "w") as f:
    f.create_dataset("temperature", data=np.arange(100, dtype=np.float64))
    f.attrs["title"] = "weather"
cases.append(("unrelated HDF5 file", p, [], None))

p = copy_good("no_counts.h5")
with h5py.File(p, "r+") as f:
    del f["counts"]
cases.append(("/counts deleted", p, [], None))

with h5py.File(good, "r") as g:
    F, H, W = g["counts"].shape
cases.append(("/counts 2-D", replace_counts("counts_2d.h5", (H, W), "uint16", (STRIP, W)), [], None))
cases.append(("/counts float32", replace_counts("counts_f32.h5", (F, H, W), "float32", (1, STRIP, W)), [], None))
cases.append(("/counts int8", replace_counts("counts_i8.h5", (F, H, W), "int8", (1, STRIP, W)), [], None))
cases.append(("/counts int16 (signed)", replace_counts("counts_i16.h5", (F, H, W), "int16", (1, STRIP, W)), [], None))

p = copy_good("xmin_len.h5")
with h5py.File(p, "r+") as f:
    v = f["frames/xmin"][...]
    del f["frames/xmin"]
    f["frames/xmin"] = np.concatenate([v, v[:1]])
cases.append(("/frames/xmin of length 4 for 3 frames", p, [], None))

p = copy_good("xmin_short.h5")
with h5py.File(p, "r+") as f:
    v = f["frames/xmin"][...]
    del f["frames/xmin"]
    f["frames/xmin"] = v[:1]
cases.append(("/frames/xmin of length 1 for 3 frames", p, [], None))

# Absurd dimensions: /counts claims (1000000, 65536, 65536) (no data written), attrs from the good file.
ABSURD = (1000000, 65536, 65536)
cases.append(("absurd /counts shape, attrs from a good file",
              replace_counts("absurd.h5", ABSURD, "uint16", (1, STRIP, 65536)), [], None))

# The same with every attribute and /frames consistent with that shape, and no /chunks group (the
# reader accepts a complete file without it): refusing it, or at least not allocating per-chunk
# state for 1e6 x 16384 chunks, is what is asked.
p = replace_counts("absurd_consistent.h5", ABSURD, "uint16", (1, STRIP, 65536))
with h5py.File(p, "r+") as f:
    c = f["counts"]
    c.attrs.modify("width", np.uint32(65536))
    c.attrs.modify("height", np.uint32(65536))
    c.attrs.modify("frames", np.uint64(ABSURD[0]))
    for k in list(f["frames"].keys()):
        v = f["frames"][k][...]
        del f["frames"][k]
        f["frames"].create_dataset(k, data=np.full(ABSURD[0], v[0], dtype=v.dtype))
    del f["chunks"]
cases.append(("absurd /counts shape with consistent attrs and /frames, no /chunks", p, [], None))

p = copy_good("truncated.h5")
size = os.path.getsize(p)
with open(p, "r+b") as fh:
    fh.truncate(size // 2)
cases.append(("file truncated to half its size", p, [], None))

# Incomplete: complete = 0 and chunk k (frame 1, strip 2: rows 8..11) not done.
SPF = (H + STRIP - 1) // STRIP
MISSING_FRAME, MISSING_STRIP = 1, 2
K = MISSING_FRAME * SPF + MISSING_STRIP
incomplete = copy_good("incomplete.h5")
with h5py.File(incomplete, "r+") as f:
    f.attrs.modify("complete", np.int32(0))
    f["chunks/done"][K] = 0
cases.append(("incomplete file (complete = 0, one chunk not done)", incomplete, [], "--allow-partial"))

# /counts through an external link to another file holding a perfectly good /counts.
ext_target = bad("external_target.h5")
with h5py.File(good, "r") as g, h5py.File(ext_target, "w") as t:
    g.copy("counts", t)
p = copy_good("external.h5")
with h5py.File(p, "r+") as f:
    del f["counts"]
    f["counts"] = h5py.ExternalLink(os.path.basename(ext_target), "/counts")
cases.append(("/counts as an external link", p, [], None))

p = copy_good("softlink.h5")
with h5py.File(p, "r+") as f:
    f.move("counts", "counts_real")
    f["counts"] = h5py.SoftLink("/counts_real")
cases.append(("/counts as a soft link", p, [], None))

p = copy_good("format.h5")
with h5py.File(p, "r+") as f:
    f.attrs["format"] = "something-else"
cases.append(("format attribute 'something-else'", p, [], None))

p = copy_good("version.h5")
with h5py.File(p, "r+") as f:
    f.attrs.modify("format_version", np.int32(4))
cases.append(("format_version 4", p, [], None))

p = copy_good("above_max.h5")
with h5py.File(p, "r+") as f:
    f["counts"][0, 3, 5] = 51  # max_iter is 50
cases.append(("a count above max_iter", p, [], None))
PNG_ONLY.add(p)

# Garbage over the compressed bytes of frame 0's first chunk (the deflate stream no longer decodes).
p = copy_good("corrupt_chunk.h5")
with h5py.File(p, "r") as f:
    info = f["counts"].id.get_chunk_info(0)
with open(p, "r+b") as fh:
    fh.seek(info.byte_offset)
    fh.write(bytes((37 * i + 11) & 0xFF for i in range(info.size)))
cases.append(("garbage in a compressed chunk", p, [], None))
PNG_ONLY.add(p)

p = copy_good("contiguous.h5")
with h5py.File(p, "r+") as f:
    data, attrs = f["counts"][...], dict(f["counts"].attrs.items())
    del f["counts"]
    d = f.create_dataset("counts", data=data)  # contiguous, not strips
    for k, v in attrs.items():
        d.attrs[k] = v
cases.append(("/counts not chunked", p, [], None))

p = bad("a_directory.h5")
os.makedirs(p)
cases.append(("a directory", p, [], None))
cases.append(("a missing file", bad("does_not_exist.h5"), [], None))

# ---- running them --------------------------------------------------------------------------------
for label, path, extra, must_mention in cases:
    out_dir = ctx.path("out", os.path.basename(path).replace(".", "_"))
    os.makedirs(out_dir)
    png = os.path.join(out_dir, "out.png")
    for mode, args in (("--png", ["--png", png, "--frames", "0"]), ("--info", ["--info"])):
        p = ctx.colour(path, *args, *extra, limit_as=AS_LIMIT)
        lines = stderr_lines(p)
        what = f"{label} ({mode})"
        ctx.check(not is_signal_exit(p.returncode), f"{what}: no crash (exit {p.returncode})")
        ctx.check(p.returncode == 1, f"{what}: exit 1 (got {p.returncode})")
        ctx.check(len(lines) == 1, f"{what}: exactly one stderr line (got {len(lines)}: {lines[:3]})")
        ctx.check(len(lines) >= 1 and os.path.basename(path) in lines[0], f"{what}: the message names the file")
        ctx.check(not any("bad_alloc" in l for l in lines),
                  f"{what}: refused before allocating (no std::bad_alloc under a {AS_LIMIT >> 30} GiB address-space limit)")
        ctx.check(p.maxrss_kb < RSS_LIMIT_KB, f"{what}: peak RSS {p.maxrss_kb // 1024} MB < 500 MB")
        if must_mention:
            ctx.check(len(lines) == 1 and must_mention in lines[0], f"{what}: message mentions {must_mention}")
        if must_mention or path in PNG_ONLY:
            break  # --info reads no counts: fine on these (incomplete: tested in info.py)
    ctx.check(listing(out_dir) == [], f"{label}: no output written ({listing(out_dir)})")

# --png-dir must not leave frames behind for a file refused only when a frame is read.
d = ctx.path("out", "above_max_dir")
p = ctx.colour(bad("above_max.h5"), "--png-dir", d, "--frames", "0", limit_as=AS_LIMIT)
ctx.check(p.returncode == 1 and listing(d) == [], f"count above max_iter with --png-dir: exit 1, no frame written ({listing(d)})")

# ---- --allow-partial: accepted; the missing strip is flat grey, everything else as usual ----------
d = ctx.path("partial_pngs")
p = ctx.colour(incomplete, "--png-dir", d, "--allow-partial", "--cmap", "viridis", "--norm", "linear", limit_as=AS_LIMIT)
ctx.check(p.returncode == 0, f"incomplete file with --allow-partial: exit 0 (got {p.returncode}: {p.stderr.strip()})")
names = [f"frame_{i:05d}.png" for i in range(F)]
ctx.check(listing(d) == names, f"--allow-partial: all frames written ({listing(d)})")
counts, max_iter, _ = read_counts(good)
expected = expected_frames(counts, max_iter, "viridis", "linear")
rows = np.zeros(H, dtype=bool)
rows[MISSING_STRIP * STRIP:min(H, (MISSING_STRIP + 1) * STRIP)] = True
for f in range(F):
    fp = os.path.join(d, names[f])
    if not os.path.isfile(fp):
        continue
    png = read_png(fp)[0].astype(np.int64)
    if f == MISSING_FRAME:
        grey = png[rows]
        ctx.check(np.abs(grey - 128).max() <= 1, f"--allow-partial frame {f}: rows {np.flatnonzero(rows).tolist()} flat grey "
                                                  f"(128,128,128) +-1 (got {np.unique(grey.reshape(-1, 3), axis=0)[:3].tolist()})")
        worst, _ = max_diff_any(png[~rows], [c[~rows] for c in expected[f]])
        ctx.check(worst <= 1, f"--allow-partial frame {f}: the other rows have their usual colours (max diff {worst:g})")
    else:
        worst, _ = max_diff_any(png, expected[f])
        ctx.check(worst <= 1, f"--allow-partial frame {f}: complete frame has its usual colours (max diff {worst:g})")

ctx.finish()
