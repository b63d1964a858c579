"""Shared helpers for the fractal-colour command-line tests (tests/colour_cli/*.py).

Every script is run by CTest (tests/colour_cli.cmake) as
    /usr/bin/python3 SCRIPT FRACTAL_RENDER FRACTAL_COLOUR SCRATCH_DIR
and exits 0 (pass) or 1 (fail). Failures are collected (Checker), so one run reports every broken
property, not just the first. The scratch directory is emptied first.

Expected colours are computed here, independently of the project's code, from the counts in the
HDF5 file with numpy and matplotlib's own colormaps; PNGs are decoded by a small pure-Python
decoder (zlib + PNG row filters), so neither side of a comparison uses the code under test.
"""
import os
import shutil
import struct
import subprocess
import sys
import zlib

import numpy as np


class Ctx:
    def __init__(self):
        if len(sys.argv) != 4:
            sys.exit(f"usage: {sys.argv[0]} FRACTAL_RENDER FRACTAL_COLOUR SCRATCH_DIR")
        self.render_bin = os.path.abspath(sys.argv[1])
        self.colour_bin = os.path.abspath(sys.argv[2])
        self.work = os.path.abspath(sys.argv[3])
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        self.failures = []

    # ---- bookkeeping -------------------------------------------------------------------------
    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def check(self, cond, msg):
        if cond:
            print(f"ok:   {msg}")
        else:
            print(f"FAIL: {msg}")
            self.failures.append(msg)
        return bool(cond)

    def finish(self):
        if self.failures:
            print(f"\n{len(self.failures)} check(s) failed:")
            for f in self.failures:
                print(f"  - {f}")
            sys.exit(1)
        print("\nall checks passed")
        sys.exit(0)

    # ---- running the programs ---------------------------------------------------------------
    @staticmethod
    def env(threads=1):
        e = dict(os.environ)
        e["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        e["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        e["OMP_NUM_THREADS"] = str(threads)
        return e

    def run(self, cmd, timeout=60, threads=1, limit_as=None):
        """Runs cmd; returns a CompletedProcess (text stdout/stderr) with .maxrss_kb, the child's own
        peak resident set size (os.wait4), and a negative returncode when a signal killed it.
        limit_as: an address-space limit (bytes) for the child, so a runaway allocation fails
        instead of exhausting the machine."""
        import resource
        import tempfile
        import time
        cmd = [str(c) for c in cmd]

        def pre():
            if limit_as:
                resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))

        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            child = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=self.env(threads),
                                     preexec_fn=pre if limit_as else None)
            deadline = time.monotonic() + timeout
            timed_out = False
            while True:
                pid, status, usage = os.wait4(child.pid, os.WNOHANG)
                if pid == child.pid:
                    break
                if time.monotonic() > deadline and not timed_out:
                    child.kill()
                    timed_out = True
                time.sleep(0.005)
            child.returncode = os.waitstatus_to_exitcode(status)  # tell Popen it is reaped
            out.seek(0)
            err.seek(0)
            p = subprocess.CompletedProcess(cmd, 124 if timed_out else child.returncode,
                                            out.read().decode(errors="replace"), err.read().decode(errors="replace"))
        p.maxrss_kb = usage.ru_maxrss
        print(f"$ {' '.join(cmd)}\n  -> exit {p.returncode}{' (TIMEOUT)' if timed_out else ''}, peak RSS {p.maxrss_kb // 1024} MB")
        for line in p.stderr.splitlines()[:5]:
            print(f"  stderr: {line}")
        return p

    def colour(self, *args, timeout=60, threads=1, limit_as=None):
        return self.run([self.colour_bin, *args], timeout=timeout, threads=threads, limit_as=limit_as)

    def render(self, out, *opts, width=33, height=21, frames=3, max_iter=50, extra=()):
        """Renders a small Julia sweep (singleton, no mpirun) and returns its path."""
        cmd = [self.render_bin, "--fractal", "julia", "--c-re", "-0.62772", "--c-im", "-0.42193",
               "--c-im-increment", "0.05", "--xmin", "-1.6", "--xmax", "1.6", "--ymin", "-1.2", "--ymax", "1.2",
               "--width", width, "--height", height, "--frames", frames, "--max-iter", max_iter,
               *opts, *extra, "-o", out]
        p = self.run(cmd)
        if p.returncode != 0 or not os.path.isfile(out):
            print(p.stdout)
            print(p.stderr)
            raise SystemExit(f"FAIL: could not render the test input {out} (exit {p.returncode})")
        return out


def stderr_lines(p):
    return [l for l in p.stderr.splitlines() if l.strip()]


def is_signal_exit(rc):
    """A crash: killed by a signal (negative), or a shell's 128+N (134 abort, 139 segfault...)."""
    return rc < 0 or rc >= 128


# ---- HDF5 ------------------------------------------------------------------------------------
def read_counts(path):
    import h5py
    with h5py.File(path, "r") as f:
        counts = f["counts"][...].astype(np.int64)
        max_iter = f["frames/max_iter"][...].astype(np.int64)
        fps = float(f["counts"].attrs["fps"])
    return counts, max_iter, fps


# ---- PNG -------------------------------------------------------------------------------------
def read_png(path):
    """Decodes an 8- or 16-bit non-interlaced RGB/RGBA/grey PNG into a [H, W, C] numpy array.

    Checks the signature and every chunk's CRC. Returns (pixels, chunk_names)."""
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG (bad signature)")
    pos = 8
    idat = b""
    names = []
    ihdr = None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise ValueError(f"{path}: bad CRC in chunk {ctype!r}")
        names.append(ctype.decode("ascii"))
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat += body
        elif ctype == b"IEND":
            break
        pos += 12 + length
    if ihdr is None or names[-1] != "IEND":
        raise ValueError(f"{path}: no IHDR or IEND")
    w, h, depth, ctype, _comp, _filt, interlace = ihdr
    if interlace != 0:
        raise ValueError(f"{path}: interlaced PNGs are not supported here")
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    bpp = channels * depth // 8  # bytes per pixel (depth 8 or 16)
    stride = w * bpp
    raw = zlib.decompress(idat)
    if len(raw) != h * (stride + 1):
        raise ValueError(f"{path}: {len(raw)} bytes of image data for {w}x{h}")
    out = np.zeros((h, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int64)
        cur = np.zeros(stride, dtype=np.int64)
        if ft == 0:
            cur = line
        elif ft == 2:
            cur = (line + prev) & 0xFF
        elif ft in (1, 3, 4):  # depend on the reconstructed left neighbour: byte by byte
            for i in range(stride):
                a = int(cur[i - bpp]) if i >= bpp else 0
                b = int(prev[i])
                c = int(prev[i - bpp]) if i >= bpp else 0
                if ft == 1:
                    pred = a
                elif ft == 3:
                    pred = (a + b) // 2
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if (pa <= pb and pa <= pc) else (b if pb <= pc else c)
                cur[i] = (int(line[i]) + pred) & 0xFF
        else:
            raise ValueError(f"{path}: bad filter type {ft} in row {y}")
        out[y] = cur
        prev = cur
    if depth == 16:
        px = out.reshape(h, w * channels, 2).astype(np.uint16)
        px = (px[..., 0] << 8) | px[..., 1]
        return px.reshape(h, w, channels), names
    if depth != 8:
        raise ValueError(f"{path}: bit depth {depth} not supported here")
    return out.reshape(h, w, channels), names


# ---- expected colours ------------------------------------------------------------------------
def get_cmap(name):
    import matplotlib
    try:
        return matplotlib.colormaps[name]
    except AttributeError:  # matplotlib < 3.5
        import matplotlib.cm
        return matplotlib.cm.get_cmap(name)


def normalise(counts, max_iter, norm):
    c = counts.astype(np.float64)
    if norm == "linear":
        return c / float(max_iter)
    if norm == "log":
        return np.log1p(c) / np.log1p(float(max_iter))
    raise ValueError(norm)


def q8(rgb):
    """round(v * 255), clamped, as float."""
    return np.clip(np.round(np.asarray(rgb, dtype=np.float64) * 255.0), 0, 255)


def expected_frames(counts, max_iter, cmap_name, norm, interior=None):
    """Expected 8-bit colours: a list of candidate [H, W, 3] arrays per frame.

    matplotlib's float lookup (entry floor(t * N), t == 1 -> last entry) is used; interior pixels
    (count == max_iter) get `interior` (an (r, g, b) in [0, 1]) or the colormap's top colour
    cmap(1.0). The candidates also look up t nudged by one part in 10^12 either way, so a value
    that lands exactly on a table boundary (log1p may differ by an ulp between libm and numpy)
    may take either neighbour."""
    cmap = get_cmap(cmap_name)
    result = []
    for f in range(counts.shape[0]):
        mi = int(max_iter[f])
        t = normalise(counts[f], mi, norm)
        cands = []
        for nudge in (1.0, 1.0 - 1e-12, 1.0 + 1e-12):
            rgb = np.asarray(cmap(np.clip(t * nudge, 0.0, 1.0)))[..., :3]
            top = np.asarray(cmap(1.0))[:3] if interior is None else np.asarray(interior, dtype=np.float64)
            rgb = np.where((counts[f] >= mi)[..., None], top, rgb)
            cands.append(q8(rgb))
        result.append(cands)
    return result


def max_diff_any(png, cands):
    """Per-pixel best candidate: the largest channel difference of the pixel that fits worst."""
    png = png.astype(np.float64)
    per_px = np.min(np.stack([np.max(np.abs(png - c), axis=-1) for c in cands]), axis=0)
    return float(per_px.max()), per_px


def hex_colour(s):
    s = s.lstrip("#")
    return tuple(int(s[i:i + 2], 16) / 255.0 for i in (0, 2, 4))


def listing(d):
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def partial_files(root):
    found = []
    for dirpath, _dirs, files in os.walk(root):
        found += [os.path.join(dirpath, n) for n in files if n.endswith(".partial")]
    return found
