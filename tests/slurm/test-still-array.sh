#!/bin/bash
# Slurm test 4: the still-image job (jobs/slurm/still.sh: render + PNG in one job, srun) and the
# job-array example (jobs/slurm/array.sh: one task per configuration, through the documented
# fallback launcher FRACTAL_LAUNCHER=mpirun). Every output's /counts are identical to a direct
# mpirun run; the PNG has the rendered size; each array task has its own %x-%A_%a log.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_slurm
command -v ffprobe >/dev/null || skip "ffprobe not installed"
start_cluster

printf 'fractal = mandelbrot\nwidth = 96\nmax-iter = 300\nframes = 3\ncenter-re = -0.75\ncenter-im = 0.1\nview-width = 0.5\nend-center-re = -0.745\nend-center-im = 0.11\nend-view-width = 0.1\n' > zoom.cfg
cp "$SRC/configs/quick.cfg" sweep.cfg
still=$(sbatch --parsable --ntasks-per-node=2 --cpus-per-task=1 --time=5 \
        "$JOBS/still.sh" "$SRC/configs/w1-julia-still-800px.cfg" still.png --width 200 --height 200)
array=$(FRACTAL_LAUNCHER=mpirun sbatch --parsable --array=0-1 --ntasks-per-node=1 --cpus-per-task=1 --time=5 \
        "$JOBS/array.sh" arr sweep.cfg zoom.cfg -- --max-iter 150)
say "still job $still, array job $array"

for ref in "still-ref.h5 2 $SRC/configs/w1-julia-still-800px.cfg --width 200 --height 200" \
           "sweep-ref.h5 2 sweep.cfg --max-iter 150" "zoom-ref.h5 2 zoom.cfg --max-iter 150"; do
  # shellcheck disable=SC2086
  reference_render $ref >/dev/null 2>&1 || fail "direct render $ref"
done

st=$(wait_job "$still" 60); say "still job $still: $st, ExitCode $(job_field "$still" ExitCode)"
sed 's/^/  log: /' "fractal-still-$still.out" | grep -E 'still.sh|error' | cut -c1-160
check "still job COMPLETED with exit 0" test "$st:$(job_field "$still" ExitCode)" = "COMPLETED:0:0"
check "still.h5 /counts identical to a direct run" same_counts still-ref.h5 still.h5
check "still.png is a 200x200 PNG" test "$(ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 still.png 2>&1)" = "png,200,200"

for t in 0 1; do
  st=$(wait_job "${array}_$t" 60); say "array task ${array}_$t: $st, ExitCode $(job_field "${array}_$t" ExitCode)"
  check "array task $t COMPLETED with exit 0" test "$st:$(job_field "${array}_$t" ExitCode)" = "COMPLETED:0:0"
  check "array task $t logged to fractal-array-${array}_$t.out, ran under mpirun" \
    grep -q "running: mpirun -np 1 " "fractal-array-${array}_$t.out"
done
check "task 0 rendered sweep.cfg: /counts identical to a direct run" same_counts sweep-ref.h5 arr/sweep.h5
check "task 1 rendered zoom.cfg: /counts identical to a direct run" same_counts zoom-ref.h5 arr/zoom.h5
finish
