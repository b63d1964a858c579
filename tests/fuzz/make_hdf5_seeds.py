"""Seed files for the HDF5 input fuzzer (tests/fuzz/hdf5_fuzz.cpp).

    /usr/bin/python3 make_hdf5_seeds.py FRACTAL_RENDER OUT_DIR

Writes into OUT_DIR (emptied first):
  base_*.h5    valid files from the real fractal-render (tiny: 17x9 and 24x16 pixels, 2-3 frames,
               uint16 and uint32 counts, compression 0/1/9, several strip heights); the fuzzer
               byte-mutates these and requires each unmutated one to read back cleanly;
  ok_*.h5      valid variations made with h5py that the reader must also accept (HDF5's own
               filter pipelines: deflate without shuffle, fletcher32, no filter, big-endian
               counts, chunks stored with deflate or shuffle skipped; a user block;
               libver='latest' metadata; a partial file);
  bad_*.h5     structured damage that byte flips seldom produce: wrong shapes and types, huge
               claimed dimensions with no data, soft and external links, filters that are not
               available (unknown ids, mandatory and optional), absurd attributes, ...; each
               must be refused with one line (the fuzzer byte-mutates them as well);
  odd_*.h5     oddities the reader may accept or refuse (never crash);
  same_counts.txt  "OK_FILE BASE_FILE" lines: ok_ files that must decode to the base file's counts.
Deterministic: the same fractal-render gives the same seeds (the timestamps aside).
Exit 0, or 1 with a message if a seed cannot be made.
"""
import os
import shutil
import subprocess
import sys
import zlib

import h5py
import numpy as np

if len(sys.argv) != 3:
    sys.exit(f"usage: {sys.argv[0]} FRACTAL_RENDER OUT_DIR")
RENDER, OUT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
tmp = os.path.join(OUT, "tmp")
os.makedirs(tmp)


def render(name, *opts):
    out = os.path.join(OUT, name)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1")
    cmd = [RENDER, *[str(o) for o in opts], "--kernel", "scalar", "--progress-interval", "60", "-o", out]
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    if p.returncode != 0 or not os.path.isfile(out):
        print(p.stdout)
        sys.exit(f"FAIL: could not render seed {name} (exit {p.returncode})")
    return out


JULIA = ["--fractal", "julia", "--c-re", "-0.62772", "--c-im", "-0.42193", "--c-im-increment", "0.05",
         "--xmin", "-1.6", "--xmax", "1.6", "--ymin", "-1.2", "--ymax", "1.2"]
MANDEL = ["--fractal", "mandelbrot", "--xmin", "-2", "--xmax", "0.5", "--ymin", "-1.25", "--ymax", "1.25"]
base = {
    "u16_z1": render("base_u16_z1.h5", *JULIA, "--width", 17, "--height", 9, "--frames", 3, "--max-iter", 50,
                     "--strip-rows", 4, "--compression-level", 1),
    "u16_z0": render("base_u16_z0.h5", *JULIA, "--width", 17, "--height", 9, "--frames", 2, "--max-iter", 300,
                     "--strip-rows", 9, "--compression-level", 0),
    "u32_z1": render("base_u32_z1.h5", *JULIA, "--width", 17, "--height", 9, "--frames", 2, "--max-iter", 70000,
                     "--strip-rows", 2, "--compression-level", 1),
    "u32_z0": render("base_u32_z0.h5", *JULIA, "--width", 17, "--height", 9, "--frames", 3, "--max-iter", 70000,
                     "--strip-rows", 1, "--compression-level", 0),
    "m_u16_z9": render("base_m_u16_z9.h5", *MANDEL, "--width", 24, "--height", 16, "--frames", 2, "--max-iter", 100,
                       "--strip-rows", 5, "--compression-level", 9),
    "m_u32_z1": render("base_m_u32_z1.h5", *MANDEL, "--width", 24, "--height", 16, "--frames", 1, "--max-iter", 100000,
                       "--strip-rows", 16, "--compression-level", 1),
    # format_version 2's optional planes: /smooth and /distance (float32), a 2x supersampled grid.
    "ex_u16_z1": render("base_ex_u16_z1.h5", *MANDEL, "--width", 12, "--height", 8, "--frames", 2, "--max-iter", 100,
                        "--supersample", 2, "--smooth", "--distance", "--strip-rows", 5, "--compression-level", 1),
}
GOOD = base["u16_z1"]
with h5py.File(GOOD, "r") as g:
    F, H, W = g["counts"].shape
    STRIP = g["counts"].chunks[1]
    SPF = (H + STRIP - 1) // STRIP


def path(name):
    return os.path.join(OUT, name)


def copy(name, src=GOOD):
    shutil.copy(src, path(name))
    return path(name)


def attrs_of(obj):
    return {k: obj.attrs[k] for k in obj.attrs.keys()}


def set_attrs(obj, attrs):
    for k, v in attrs.items():
        obj.attrs[k] = v


def replace_counts(name, src=GOOD, fill=None, **create):
    """A copy of src whose /counts is re-created with `create` (h5py create_dataset arguments),
    keeping its attributes; `fill` (an array or a function of the old counts) is written if given."""
    p = copy(name, src)
    with h5py.File(p, "r+") as f:
        old = f["counts"]
        a, counts = attrs_of(old), old[...]
        del f["counts"]
        d = f.create_dataset("counts", **create)
        set_attrs(d, a)
        if callable(fill):
            fill = fill(counts)
        if fill is not None:
            d[...] = fill
    return p


def shuffled_chunk(block, itemsize):
    """fractal-render's stored bytes before deflate: HDF5's shuffle of the little-endian values."""
    raw = np.ascontiguousarray(block).view(np.uint8).reshape(-1, itemsize)
    return raw.T.copy().tobytes()


def consistent(name, frames, height, width, dtype, strip, max_iter=50, done=1, complete=1, fill_frames=True,
               filters="shuffle+deflate"):
    """A file whose every shape and attribute agrees with a claimed [frames, height, width] /counts
    that has no chunk on disk (only the metadata is small)."""
    p = path(name)
    with h5py.File(GOOD, "r") as g, h5py.File(p, "w") as f:
        set_attrs(f, attrs_of(g))
        f.attrs.modify("complete", np.int32(complete))
        kw = dict(shape=(frames, height, width), dtype=dtype, chunks=(1, strip, width))
        if filters == "shuffle+deflate":
            kw.update(shuffle=True, compression="gzip", compression_opts=1)
        d = f.create_dataset("counts", **kw)
        set_attrs(d, attrs_of(g["counts"]))
        d.attrs.modify("width", np.uint32(width))
        d.attrs.modify("height", np.uint32(height))
        d.attrs.modify("frames", np.uint64(frames))
        d.attrs.modify("strip_rows", np.uint32(strip))
        fr = f.create_group("frames")
        for k in ("xmin", "xmax", "ymin", "ymax", "c_re", "c_im"):
            v = g["frames"][k][0]
            if fill_frames:
                fr.create_dataset(k, shape=(frames,), dtype="f8", fillvalue=v)
            else:
                fr.create_dataset(k, data=np.full(frames, v))
        fr.create_dataset("max_iter", shape=(frames,), dtype="u4", fillvalue=max_iter)
        spf = (height + strip - 1) // strip
        cg = f.create_group("chunks")
        cg.attrs["strips_per_frame"] = np.uint32(spf)
        cg.create_dataset("done", shape=(frames * spf,), dtype="u1", fillvalue=done)
        cg.create_dataset("hash", shape=(frames * spf,), dtype="u8")
        cg.create_dataset("iterations", shape=(frames * spf,), dtype="u8")
    return p


# ---- valid variations: must be read ---------------------------------------------------------------
def chunks_kw(**extra):
    return dict(shape=(F, H, W), dtype="u2", chunks=(1, STRIP, W), **extra)


replace_counts("ok_deflate_only.h5", fill=lambda c: c, **chunks_kw(compression="gzip", compression_opts=4))
replace_counts("ok_fletcher32.h5", fill=lambda c: c, **chunks_kw(shuffle=True, compression="gzip", fletcher32=True))
replace_counts("ok_no_filters.h5", fill=lambda c: c, **chunks_kw())
replace_counts("ok_big_endian.h5", fill=lambda c: c, shape=(F, H, W), dtype=">u2", chunks=(1, STRIP, W), shuffle=True,
               compression="gzip")
replace_counts("ok_fletcher_only.h5", fill=lambda c: c, **chunks_kw(fletcher32=True))
replace_counts("ok_shuffle_fletcher.h5", fill=lambda c: c, **chunks_kw(shuffle=True, fletcher32=True))
with h5py.File(base["u32_z1"], "r") as g:
    F32, H32, W32 = g["counts"].shape
    S32 = g["counts"].chunks[1]
replace_counts("ok_big_endian_u32.h5", src=base["u32_z1"], fill=lambda c: c, shape=(F32, H32, W32), dtype=">u4",
               chunks=(1, S32, W32), compression="gzip")
# A chunk stored with shuffle skipped (filter mask bit 0): deflated, not shuffled.
p = copy("ok_shuffle_skipped.h5")
with h5py.File(p, "r+") as f:
    d = f["counts"]
    block = np.zeros((STRIP, W), dtype="<u2")
    block[:STRIP] = d[1, :STRIP, :]
    d.id.write_direct_chunk((1, 0, 0), zlib.compress(block.tobytes(), 6), filter_mask=0b01)
# A chunk stored with deflate skipped (filter mask bit 1): HDF5 reads it through the pipeline.
p = copy("ok_deflate_skipped.h5")
with h5py.File(p, "r+") as f:
    d = f["counts"]
    block = np.zeros((STRIP, W), dtype=np.uint16)
    rows = min(STRIP, H)
    block[:rows] = d[0, :rows, :]
    d.id.write_direct_chunk((0, 0, 0), shuffled_chunk(block, 2), filter_mask=0b10)
# A user block before the superblock, and the newest metadata formats (other chunk indexes).
with h5py.File(GOOD, "r") as g, h5py.File(path("ok_userblock.h5"), "w", userblock_size=1024) as f:
    set_attrs(f, attrs_of(g))
    for k in g.keys():
        g.copy(k, f)
for name, src in (("ok_latest_u16.h5", GOOD), ("ok_latest_u32.h5", base["u32_z1"])):
    with h5py.File(src, "r") as g, h5py.File(path(name), "w", libver="latest") as f:
        set_attrs(f, attrs_of(g))
        for k in g.keys():
            g.copy(k, f)
# A partial file (fractal-colour needs --allow-partial; the fuzzer reads it both ways).
p = copy("ok_partial.h5")
with h5py.File(p, "r+") as f:
    f.attrs.modify("complete", np.int32(0))
    done = f["chunks/done"][...]
    done[1] = 0
    done[-1] = 0
    f["chunks/done"][...] = done

# ---- structured damage: must be refused --------------------------------------------------------
replace_counts("struct_counts_2d.h5", shape=(H, W), dtype="u2", chunks=(STRIP, W))
replace_counts("struct_counts_4d.h5", shape=(F, H, W, 1), dtype="u2", chunks=(1, STRIP, W, 1))
replace_counts("struct_counts_1d.h5", shape=(F * H * W,), dtype="u2", chunks=(W,))
replace_counts("struct_counts_scalar.h5", fill=np.uint16(3), shape=(), dtype="u2")
replace_counts("struct_counts_null.h5", data=h5py.Empty("<u2"))
for dt in ("f4", "i2", "u1", "u8", "i4", "f8"):
    replace_counts(f"struct_counts_{dt}.h5", fill=lambda c: c, shape=(F, H, W), dtype=dt, chunks=(1, STRIP, W))
replace_counts("struct_counts_compound.h5", shape=(F, H, W), dtype=np.dtype([("a", "u2"), ("b", "u2")]), chunks=(1, STRIP, W))
replace_counts("struct_counts_string.h5", shape=(F, H, W), dtype="S2", chunks=(1, STRIP, W))
replace_counts("struct_counts_enum.h5", shape=(F, H, W), dtype=h5py.enum_dtype({"a": 0, "b": 1}, basetype="u2"),
               chunks=(1, STRIP, W))
replace_counts("struct_counts_array.h5", shape=(F, H, W), dtype=np.dtype(("u2", (2,))), chunks=(1, STRIP, W))
replace_counts("struct_counts_contiguous.h5", fill=lambda c: c, shape=(F, H, W), dtype="u2")
replace_counts("struct_counts_compact.h5", fill=lambda c: c, shape=(F, H, W), dtype="u2")  # re-laid below
with h5py.File(path("struct_counts_compact.h5"), "r+") as f:
    a, c = attrs_of(f["counts"]), f["counts"][...]
    del f["counts"]
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    sid = h5py.h5s.create_simple((F, H, W))
    did = h5py.h5d.create(f.id, b"counts", h5py.h5t.STD_U16LE, sid, dcpl=dcpl)
    did.write(h5py.h5s.ALL, h5py.h5s.ALL, np.ascontiguousarray(c))
    set_attrs(f["counts"], a)
replace_counts("struct_chunk_half_width.h5", shape=(F, H, W), dtype="u2", chunks=(1, STRIP, (W + 1) // 2))
replace_counts("struct_chunk_two_frames.h5", shape=(F, H, W), dtype="u2", chunks=(2, STRIP, W))
replace_counts("struct_counts_unlimited.h5", fill=lambda c: c, shape=(F, H, W), maxshape=(None, None, None), dtype="u2",
               chunks=(1, STRIP, W), shuffle=True, compression="gzip")
# Huge claimed dimensions with no data: attributes from the good file, then consistent ones.
replace_counts("struct_huge_dims.h5", shape=(1000000, 65536, 65536), dtype="u2", chunks=(1, 4, 65536))
consistent("struct_huge_consistent.h5", 2, 65536, 65536, "u2", 256)
consistent("struct_huge_consistent_u32.h5", 1, 16384, 16384, "u4", 64, max_iter=70000)
consistent("struct_huge_one_row.h5", 1, 1, 65536, "u2", 1)
consistent("struct_huge_strip.h5", 1, 65536, 65536, "u4", 8192, max_iter=70000, filters="none")
consistent("struct_huge_partial.h5", 1, 8192, 8192, "u2", 512, done=0, complete=0)
consistent("struct_million_frames.h5", 1000000, 9, 17, "u2", 4)
consistent("struct_many_chunks.h5", 1000000, 65536, 17, "u2", 1)
# Every chunk claimed done and the file complete, but chunk data missing or made up.
p = replace_counts("struct_chunk_missing.h5", shape=(F, H, W), dtype="u2", chunks=(1, STRIP, W), shuffle=True,
                   compression="gzip")  # no data written at all
p = copy("struct_chunk_garbage.h5")
with h5py.File(p, "r+") as f:
    f["counts"].id.write_direct_chunk((1, 0, 0), bytes((37 * i + 11) & 0xFF for i in range(40)))
p = copy("struct_chunk_oversized.h5")
with h5py.File(p, "r+") as f:
    f["counts"].id.write_direct_chunk((0, STRIP, 0), bytes(i & 0xFF for i in range(STRIP * W * 2 * 3)))
p = copy("struct_chunk_tiny.h5")
with h5py.File(p, "r+") as f:
    f["counts"].id.write_direct_chunk((2, 0, 0), b"\x78")
p = copy("struct_chunk_shuffle_only_wrong_size.h5", base["u16_z0"])
with h5py.File(p, "r+") as f:
    f["counts"].id.write_direct_chunk((0, 0, 0), b"\x01\x02\x03")
p = copy("struct_chunk_mask_all.h5")
with h5py.File(p, "r+") as f:
    f["counts"].id.write_direct_chunk((0, 0, 0), bytes(STRIP * W * 2), filter_mask=0xFFFFFFFF)
p = copy("struct_count_above_max.h5")
with h5py.File(p, "r+") as f:
    f["counts"][1, 2, 3] = 51
# Built-in HDF5 filters that are no part of the format (refused before any chunk is decoded).
replace_counts("struct_filter_scaleoffset.h5", fill=lambda c: c, **chunks_kw(scaleoffset=0))
replace_counts("struct_filter_szip.h5", fill=lambda c: c, **chunks_kw(compression="szip"))
p = copy("struct_filter_nbit.h5")
with h5py.File(p, "r+") as f:
    a, c = attrs_of(f["counts"]), f["counts"][...]
    del f["counts"]
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((1, STRIP, W))
    dcpl.set_filter(5, h5py.h5z.FLAG_MANDATORY, ())  # H5Z_FILTER_NBIT (h5py has no set_nbit)
    sid = h5py.h5s.create_simple((F, H, W))
    did = h5py.h5d.create(f.id, b"counts", h5py.h5t.STD_U16LE, sid, dcpl=dcpl)
    did.write(h5py.h5s.ALL, h5py.h5s.ALL, np.ascontiguousarray(c))
    set_attrs(f["counts"], a)
# Known filters in an order no writer of this format uses; a fletcher32 checksum that fails; a
# partial-precision integer type.
p = copy("struct_filter_order.h5")
with h5py.File(p, "r+") as f:
    a = attrs_of(f["counts"])
    del f["counts"]
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((1, STRIP, W))
    dcpl.set_deflate(1)
    dcpl.set_shuffle()
    h5py.h5d.create(f.id, b"counts", h5py.h5t.STD_U16LE, h5py.h5s.create_simple((F, H, W)), dcpl=dcpl)
    set_attrs(f["counts"], a)
    f["counts"][...] = np.zeros((F, H, W), dtype=np.uint16)
p = copy("struct_fletcher_wrong.h5", path("ok_shuffle_fletcher.h5"))
with h5py.File(p, "r+") as f:
    d = f["counts"]
    block = np.zeros((STRIP, W), dtype=np.uint16)
    block[:STRIP] = d[0, :STRIP, :]
    d.id.write_direct_chunk((0, 0, 0), shuffled_chunk(block, 2) + b"\x01\x02\x03\x04")
p = copy("struct_counts_precision.h5")
with h5py.File(p, "r+") as f:
    a = attrs_of(f["counts"])
    del f["counts"]
    tid = h5py.h5t.STD_U16LE.copy()
    tid.set_precision(12)
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((1, STRIP, W))
    dcpl.set_shuffle()
    h5py.h5d.create(f.id, b"counts", tid, h5py.h5s.create_simple((F, H, W)), dcpl=dcpl)
    set_attrs(f["counts"], a)
# Filters that are not available: unknown ids (optional, so HDF5 lets the dataset be created),
# alone, after shuffle+deflate, between them; szip where the build lacks an encoder.
for name, ids in (("alone", [32001]), ("after", ["shuffle", "deflate", 32001]), ("between", ["shuffle", 32001, "deflate"]),
                  ("second", ["shuffle", 307]), ("lz4", [32004]), ("blosc", [32001, "deflate"])):
    p = copy(f"struct_filter_{name}.h5")
    with h5py.File(p, "r+") as f:
        a, c = attrs_of(f["counts"]), f["counts"][...]
        del f["counts"]
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((1, STRIP, W))
        for fid in ids:
            if fid == "shuffle":
                dcpl.set_shuffle()
            elif fid == "deflate":
                dcpl.set_deflate(1)
            else:
                dcpl.set_filter(fid, h5py.h5z.FLAG_OPTIONAL, (1, 2, 3))
        sid = h5py.h5s.create_simple((F, H, W))
        did = h5py.h5d.create(f.id, b"counts", h5py.h5t.STD_U16LE, sid, dcpl=dcpl)
        set_attrs(f["counts"], a)
        # Chunks as fractal-render stores them, claimed to have passed every filter.
        for fr in range(F):
            for s in range(SPF):
                block = np.zeros((STRIP, W), dtype=np.uint16)
                rows = min(STRIP, H - s * STRIP)
                block[:rows] = c[fr, s * STRIP:s * STRIP + rows]
                did.write_direct_chunk((fr, s * STRIP, 0), shuffled_chunk(block, 2))
# The optional flag byte-patched to mandatory in the filter pipeline message (flags field 1 -> 0).
src = path("struct_filter_alone.h5")
data = bytearray(open(src, "rb").read())
# Version 1 pipeline entry: id (2 bytes LE) = 32001, name length (2), flags (2) = 1, nvalues (2) = 3.
needle = (32001).to_bytes(2, "little") + (0).to_bytes(2, "little") + (1).to_bytes(2, "little") + (3).to_bytes(2, "little")
at = data.find(needle)
if at < 0:
    sys.exit("FAIL: could not find the filter pipeline entry to patch")
data[at + 4] = 0
open(path("struct_filter_mandatory.h5"), "wb").write(bytes(data))
# Links: /counts, /frames, /chunks and /frames/xmin as soft or external links.
ext = path("tmp/external_target.h5")
with h5py.File(GOOD, "r") as g, h5py.File(ext, "w") as t:
    for k in g.keys():
        g.copy(k, t)
for obj in ("counts", "frames", "chunks", "frames/xmin", "chunks/done"):
    tag = obj.replace("/", "_")
    p = copy(f"struct_external_{tag}.h5")
    with h5py.File(p, "r+") as f:
        del f[obj]
        f[obj] = h5py.ExternalLink("tmp/external_target.h5", "/" + obj)
    p = copy(f"struct_soft_{tag}.h5")
    with h5py.File(p, "r+") as f:
        f.move(obj, obj + "_real")
        f[obj] = h5py.SoftLink("/" + obj + "_real")
p = copy("struct_external_dangling.h5")
with h5py.File(p, "r+") as f:
    del f["frames"]
    f["frames"] = h5py.ExternalLink("/nonexistent/elsewhere.h5", "/frames")
p = copy("struct_hard_link_loop.h5")
with h5py.File(p, "r+") as f:
    f["frames/loop"] = f["/"]
    f["chunks/up"] = f["/"]
p = copy("struct_counts_is_group.h5")
with h5py.File(p, "r+") as f:
    del f["counts"]
    f.create_group("counts")
p = copy("struct_frames_is_dataset.h5")
with h5py.File(p, "r+") as f:
    del f["frames"]
    f["frames"] = np.zeros(3)
p = copy("struct_counts_datatype.h5")
with h5py.File(p, "r+") as f:
    del f["counts"]
    f["counts"] = np.dtype("u2")  # a committed datatype named counts
# Virtual dataset /counts mapping another file.
p = copy("struct_counts_virtual.h5")
with h5py.File(p, "r+") as f:
    a = attrs_of(f["counts"])
    del f["counts"]
    layout = h5py.VirtualLayout(shape=(F, H, W), dtype="u2")
    layout[...] = h5py.VirtualSource("tmp/external_target.h5", "counts", shape=(F, H, W))
    f.create_virtual_dataset("counts", layout)
    set_attrs(f["counts"], a)
# Attributes: wrong types, arrays where scalars belong, absurd sizes.
def attr_case(name, obj, key, value, dtype=None, shape=None):
    p = copy(name)
    with h5py.File(p, "r+") as f:
        o = f[obj]
        if key in o.attrs:
            del o.attrs[key]
        if dtype is not None:
            o.attrs.create(key, value, shape=shape, dtype=dtype)
        else:
            o.attrs[key] = value
    return p


VSTR = h5py.string_dtype()
attr_case("struct_attr_format_array_vlen.h5", "/", "format", ["fractal-hpc"] * 64, dtype=VSTR)
attr_case("struct_attr_format_array_fixed.h5", "/", "format", np.array([b"fractal-hpc"] * 300, dtype="S11"))
attr_case("struct_attr_created_array.h5", "/", "created", ["2026"] * 5, dtype=VSTR)
attr_case("struct_attr_config_array_fixed.h5", "/", "config", np.array([b"x" * 200] * 50, dtype="S200"))
attr_case("struct_attr_format_empty.h5", "/", "format", h5py.Empty("S10"))
attr_case("struct_attr_format_int.h5", "/", "format", np.int32(7))
attr_case("struct_attr_format_utf8.h5", "/", "format", "fractal-hpc\u00e9")
attr_case("struct_attr_format_big_fixed.h5", "/", "format", np.array(b"fractal-hpc" + b"\0" * 60000, dtype="S60011"))
attr_case("struct_attr_config_huge.h5", "/", "config", "k = v\n" * 200000)
attr_case("struct_attr_version_string.h5", "/", "format_version", "1")
attr_case("struct_attr_version_array.h5", "/", "format_version", np.array([1, 1], dtype=np.int32))
attr_case("struct_attr_version_float.h5", "/", "format_version", np.float64(1.5))
attr_case("struct_attr_version_int8.h5", "/", "format_version", np.int8(1))
attr_case("struct_attr_version_huge.h5", "/", "format_version", np.int64(1 << 40))
attr_case("struct_attr_complete_string.h5", "/", "complete", "yes")
attr_case("struct_attr_complete_compound.h5", "/", "complete", np.zeros(1, dtype=[("a", "i4"), ("b", "f8")])[0])
attr_case("struct_attr_width_big.h5", "counts", "width", np.uint64(1 << 40))
attr_case("struct_attr_width_negative.h5", "counts", "width", np.int64(-17))
attr_case("struct_attr_height_array.h5", "counts", "height", np.array([9, 9], dtype=np.uint32))
attr_case("struct_attr_fractal_array.h5", "counts", "fractal", ["julia"] * 9, dtype=VSTR)
attr_case("struct_attr_fractal_null.h5", "counts", "fractal", h5py.Empty(VSTR))
attr_case("struct_attr_escape_string.h5", "counts", "escape_radius", "two")
attr_case("struct_attr_fps_nan.h5", "counts", "fps", np.float64("nan"))
attr_case("struct_attr_escape_nan.h5", "counts", "escape_radius", np.float64("nan"))
attr_case("struct_attr_fps_array.h5", "counts", "fps", np.zeros(8000))
# /frames and /chunks with wrong shapes, types and values.
def frames_case(name, key, value, group="frames"):
    p = copy(name)
    with h5py.File(p, "r+") as f:
        del f[group][key]
        if value is not None:
            f[group][key] = value
    return p


frames_case("struct_xmin_long.h5", "xmin", np.zeros(F + 1))
frames_case("struct_xmin_2d.h5", "xmin", np.zeros((F, 1)))
frames_case("struct_xmin_int.h5", "xmin", np.zeros(F, dtype=np.int32))
frames_case("struct_xmin_string.h5", "xmin", np.array([b"x"] * F))
frames_case("struct_xmin_missing.h5", "xmin", None)
frames_case("struct_max_iter_zero.h5", "max_iter", np.zeros(F, dtype=np.uint32))
frames_case("struct_max_iter_big_u16.h5", "max_iter", np.full(F, 70000, dtype=np.uint32))
frames_case("struct_max_iter_float.h5", "max_iter", np.full(F, 50.0))
frames_case("struct_max_iter_signed.h5", "max_iter", np.full(F, -1, dtype=np.int64))
frames_case("struct_max_iter_u64.h5", "max_iter", np.full(F, (1 << 40) + 50, dtype=np.uint64))
frames_case("struct_xmin_nan.h5", "xmin", np.full(F, np.nan))
frames_case("struct_done_short.h5", "done", np.ones(F * SPF - 1, dtype=np.uint8), group="chunks")
frames_case("struct_done_float.h5", "done", np.ones(F * SPF), group="chunks")
frames_case("struct_done_twos.h5", "done", np.full(F * SPF, 2, dtype=np.uint8), group="chunks")
frames_case("struct_done_missing.h5", "done", None, group="chunks")
# Huge max_iter in a uint32 file with tiny counts: the float colouring path and sparse histograms.
p = copy("ok_max_iter_huge.h5", base["u32_z1"])
with h5py.File(p, "r+") as f:
    f["frames/max_iter"][...] = np.full(f["frames/max_iter"].shape, 4294967295, dtype=np.uint32)

# struct_* files must be refused, except these, which the reader may accept or refuse (harmless
# oddities: HDF5 converts the number, extra links, NaN views, fps defaulting, ...): renamed odd_*,
# the others bad_*.
ODD = {"attr_version_float", "attr_version_int8", "attr_fps_nan", "attr_escape_nan", "attr_format_big_fixed",
       "attr_config_huge", "hard_link_loop", "xmin_nan", "done_twos", "chunk_mask_all", "counts_unlimited",
       "huge_partial", "attr_fractal_array", "attr_created_array"}
for n in sorted(os.listdir(OUT)):
    if n.startswith("struct_"):
        stem = n[len("struct_"):-len(".h5")]
        os.rename(path(n), path(("odd_" if stem in ODD else "bad_") + stem + ".h5"))
# Expected counts: these valid variations hold the same counts as the base file they came from.
with open(path("same_counts.txt"), "w") as fh:
    for n in ("ok_deflate_only", "ok_fletcher32", "ok_no_filters", "ok_big_endian", "ok_fletcher_only",
              "ok_shuffle_fletcher", "ok_shuffle_skipped", "ok_deflate_skipped", "ok_userblock", "ok_latest_u16"):
        fh.write(f"{n}.h5 {os.path.basename(GOOD)}\n")
    fh.write(f"ok_latest_u32.h5 {os.path.basename(base['u32_z1'])}\n")
    fh.write(f"ok_max_iter_huge.h5 {os.path.basename(base['u32_z1'])}\n")
    fh.write(f"ok_big_endian_u32.h5 {os.path.basename(base['u32_z1'])}\n")

# The targets of the external links stay in tmp/ (the fuzzer loads only *.h5 directly in OUT).
print(f"{len([n for n in os.listdir(OUT) if n.endswith('.h5')])} seed files in {OUT}")
