#!/bin/bash
# Slurm test 3: a bad configuration through jobs/slurm/submit.sh. The render job fails fast (no MPI
# launch) with fractal-render's one-line error in its log, exit code 2 and state FAILED; the
# dependent colour job never runs (cancelled: its afterok can no longer be satisfied).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_slurm
start_cluster

printf 'fractal = julia\nwidth = 64\nmax-iter = -5\n' > bad.cfg
t0=$(date +%s.%N)
out=$(FRACTAL_RENDER_SBATCH_ARGS="--ntasks-per-node=2 --cpus-per-task=1 --time=5" \
      FRACTAL_COLOUR_SBATCH_ARGS="--cpus-per-task=1 --time=5" \
      "$JOBS/submit.sh" bad.cfg bad.h5 bad.mp4) || { fail "submit.sh failed: $out"; finish; }
echo "$out"
render=$(echo "$out" | sed -n 's/^render job \([0-9]*\):.*/\1/p')
colour=$(echo "$out" | sed -n 's/^colour job \([0-9]*\):.*/\1/p')
st=$(wait_job "$render" 30)
secs=$(since "$t0")
say "render job $render: $st, ExitCode $(job_field "$render" ExitCode), $secs s after submission"
log=fractal-render-$render.out
sed 's/^/  log: /' "$log"

check "render job FAILED with exit code 2" test "$st:$(job_field "$render" ExitCode)" = "FAILED:2:0"
check "it failed fast (under 15 s from submission)" awk -v s="$secs" 'BEGIN { exit !(s < 15) }'
check "its log holds exactly one fractal-render error line" test "$(grep -c '^fractal-render: error:' "$log")" = 1
check "the error line names --max-iter and the value" grep -q "^fractal-render: error: --max-iter .*'-5'" "$log"
check "no MPI launch happened" bash -c "! grep -q 'running: srun' '$log'"
check "no output file was created" bash -c "! ls bad.h5* 2>/dev/null | grep -q ."
st=$(wait_job "$colour" 20)
say "colour job $colour: $st ($(job_field "$colour" Reason))"
check "the colour job was cancelled without running" test "$st" = CANCELLED -a ! -e "fractal-colour-$colour.out"
finish
