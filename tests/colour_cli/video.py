"""--video: h264 MP4 and vp9 WebM with the right frame count, even-padded size and frame rate.

ffprobe (counting the decoded frames) must report: the number of selected frames, the size padded
up to even (33x21 -> 34x22; 34x22 stays), the file's fps (stored by fractal-render) unless --fps
overrides it. No *.partial file may be left behind."""
import os
import shutil
import subprocess

import numpy as np

from colour_lib import Ctx, listing, partial_files

ctx = Ctx()
ffprobe = shutil.which("ffprobe")
if not ctx.check(ffprobe is not None, "ffprobe is installed"):
    ctx.finish()

odd = ctx.render(ctx.path("odd.h5"), width=33, height=21, frames=5, max_iter=50, extra=["--fps", "24"])
even = ctx.render(ctx.path("even.h5"), width=34, height=22, frames=4, max_iter=50, extra=["--fps", "25"])


def probe(path):
    p = subprocess.run([ffprobe, "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                        "stream=nb_read_frames,width,height,r_frame_rate,codec_name,pix_fmt", "-of", "default=nw=1",
                        path], capture_output=True, text=True, timeout=60)
    info = dict(l.split("=", 1) for l in p.stdout.splitlines() if "=" in l)
    print(f"  ffprobe {os.path.basename(path)}: {info} {p.stderr.strip()}")
    return info


def rate(text):
    try:
        a, b = text.split("/")
        return float(a) / float(b)
    except (ValueError, ZeroDivisionError):
        return float("nan")


cases = [
    # name, input, options, frames, width, height, fps, codec
    ("odd.mp4", odd, [], 5, 34, 22, 24, "h264"),
    ("odd.webm", odd, ["--codec", "vp9"], 5, 34, 22, 24, "vp9"),
    ("odd_fps12.mp4", odd, ["--fps", "12"], 5, 34, 22, 12, "h264"),
    ("odd_fps12.webm", odd, ["--codec", "vp9", "--fps", "12"], 5, 34, 22, 12, "vp9"),
    ("odd_sel.mp4", odd, ["--frames", "1:5:2", "--crf", "30", "--preset", "ultrafast"], 2, 34, 22, 24, "h264"),
    ("odd_crf60.webm", odd, ["--crf", "60", "--codec", "vp9", "--frames", "4"], 1, 34, 22, 24, "vp9"),
    ("even.mp4", even, [], 4, 34, 22, 25, "h264"),
    ("even_ds2.webm", even, ["--codec", "vp9", "--downscale", "2"], 4, 18, 12, 25, "vp9"),
    ("even_ds2_odd.mp4", even, ["--downscale", "2", "--fps", "29.97"], 4, 18, 12, 29.97, "h264"),
]
for name, h5, opts, nframes, w, h, fps, codec in cases:
    d = ctx.path(name.replace(".", "_"))
    os.makedirs(d)
    out = os.path.join(d, name)
    p = ctx.colour(h5, "--video", out, *opts)
    if not ctx.check(p.returncode == 0, f"{name}: exit 0 (got {p.returncode}: {p.stderr.strip()})"):
        continue
    ctx.check(listing(d) == [name], f"{name}: only the video in its directory ({listing(d)})")
    info = probe(out)
    ctx.check(info.get("codec_name") == codec, f"{name}: codec {info.get('codec_name')} == {codec}")
    ctx.check(info.get("nb_read_frames") == str(nframes), f"{name}: {info.get('nb_read_frames')} decoded frames == {nframes}")
    ctx.check((info.get("width"), info.get("height")) == (str(w), str(h)),
              f"{name}: size {info.get('width')}x{info.get('height')} == {w}x{h}")
    ctx.check(abs(rate(info.get("r_frame_rate", "")) - fps) < 1e-3, f"{name}: r_frame_rate {info.get('r_frame_rate')} == {fps}")
    ctx.check(info.get("pix_fmt") == "yuv420p", f"{name}: pix_fmt {info.get('pix_fmt')} == yuv420p")

# Colours survive the encode: decode frame 0 of odd.mp4 with ffmpeg, reading it as tagged (BT.709,
# limited range), and compare with the PNG of frame 0. Lossy 4:2:0 on a 33x21 fractal is noisy per
# pixel, so the checks are on the median error and the mean per-channel bias (a wrong matrix or
# range shows as a bias of several levels). The padding must repeat the edge (no black border).
ffmpeg = shutil.which("ffmpeg")
mp4 = ctx.path("odd_mp4", "odd.mp4")
if ffmpeg and os.path.isfile(mp4):
    png = ctx.path("odd_frame0.png")
    p = ctx.colour(odd, "--png", png, "--frames", "0")
    raw = subprocess.run([ffmpeg, "-v", "error", "-i", mp4, "-frames:v", "1", "-vf",
                          "scale=in_color_matrix=bt709:in_range=tv:flags=accurate_rnd+full_chroma_int",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, timeout=60).stdout
    if ctx.check(len(raw) == 34 * 22 * 3 and p.returncode == 0, f"decoded frame 0 of odd.mp4 ({len(raw)} bytes)"):
        from colour_lib import read_png
        vid = np.frombuffer(raw, dtype=np.uint8).reshape(22, 34, 3).astype(np.float64)
        ref = read_png(png)[0].astype(np.float64)
        d = vid[:21, :33] - ref
        med, bias = float(np.median(np.abs(d))), d.mean(axis=(0, 1))
        ctx.check(med <= 8, f"odd.mp4 frame 0 matches the PNG: median |diff| {med:g} <= 8 levels")
        ctx.check(float(np.abs(bias).max()) <= 2.5, f"odd.mp4 frame 0: per-channel bias {np.round(bias, 2)} within 2.5 levels")
        ctx.check(np.abs(vid[21, :33] - ref[20]).mean() < 30 and np.abs(vid[:21, 33] - ref[:, 32]).mean() < 30,
                  "the padded row/column repeat the edge (no black border)")

ctx.check(partial_files(ctx.work) == [], f"no *.partial file left ({partial_files(ctx.work)})")
ctx.finish()
