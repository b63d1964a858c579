#!/bin/bash
# Slurm test 1: jobs/slurm/submit.sh on configs/quick.cfg. The render job (srun --mpi=pmix, 2 ranks)
# completes with /counts identical to a direct mpirun run; the colour job, started by
# --dependency=afterok, writes an MP4 that ffprobe accepts (h264, all 30 frames).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_slurm
command -v ffprobe >/dev/null || skip "ffprobe not installed"
start_cluster

reference_render direct.h5 2 "$SRC/configs/quick.cfg" > direct.log 2>&1 &
ref=$!; BG_PIDS+=("$ref")

out=$(FRACTAL_RENDER_SBATCH_ARGS="--ntasks-per-node=2 --cpus-per-task=1 --time=5" \
      FRACTAL_COLOUR_SBATCH_ARGS="--cpus-per-task=1 --time=5" \
      "$JOBS/submit.sh" "$SRC/configs/quick.cfg" quick.h5 quick.mp4) || { fail "submit.sh failed: $out"; finish; }
echo "$out"
render=$(echo "$out" | sed -n 's/^render job \([0-9]*\):.*/\1/p')
colour=$(echo "$out" | sed -n 's/^colour job \([0-9]*\):.*/\1/p')
check "submit.sh printed both job ids ($render, $colour)" test -n "$render" -a -n "$colour"
check "colour job depends on the render job (afterok)" grep -q "^afterok:${render}(" <<< "$(job_field "$colour" Dependency)"

st=$(wait_job "$render" 60); say "render job $render: $st, ExitCode $(job_field "$render" ExitCode)"
check "render job COMPLETED with exit 0" test "$st:$(job_field "$render" ExitCode)" = "COMPLETED:0:0"
check "render log is fractal-render-$render.out and reports completion" grep -q "complete: quick.h5" "fractal-render-$render.out"
check "render ran under srun --mpi=pmix" grep -q "running: srun --mpi=pmix" "fractal-render-$render.out"
st=$(wait_job "$colour" 60); say "colour job $colour: $st, ExitCode $(job_field "$colour" ExitCode)"
check "colour job COMPLETED with exit 0" test "$st:$(job_field "$colour" ExitCode)" = "COMPLETED:0:0"

wait "$ref"; refrc=$?
check "direct mpirun render exited 0" test "$refrc" -eq 0
check "/counts identical to the direct mpirun run" same_counts direct.h5 quick.h5

probe=$(ffprobe -v error -count_frames -select_streams v:0 \
        -show_entries stream=codec_name,width,height,nb_read_frames -of default=nw=1 quick.mp4 2>&1)
while read -r l; do echo "  ffprobe: $l"; done <<< "$probe"
check "ffprobe accepts quick.mp4: h264, 320x320, 30 frames" \
  test "$(echo "$probe" | tr '\n' ' ')" = "codec_name=h264 width=320 height=320 nb_read_frames=30 "
finish
