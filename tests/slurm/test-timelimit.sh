#!/bin/bash
# Slurm test 2: a render whose time limit is too short (--time=1 --signal=B:USR1@25), submitted
# with jobs/slurm/submit.sh. Slurm sends USR1 5-35 s into the first run (it checks limits every
# 30 s); anim.sh forwards it, the renderer keeps its work and exits 3, anim.sh requeues the job, the
# next run resumes, and so on until the job COMPLETES. Checks: Restarts >= 1, the renderer exited 3
# (never died of the signal), one appended log, /counts identical to one uninterrupted direct
# mpirun run, and the colour job (afterok, waiting through the requeues) makes a valid MP4.
# The work (120 frames of 96x96, one work item each) is sized at run time to about 50 s on one core
# (timed at 1/20 of the iteration budget), more than the at most 35 s before the first signal.
# Should the render still finish before it (the machine got faster), the test says so and runs
# once more with twice the work.
# Needs the renderer's checkpoint contract (exit 3 on USR1, resume on the same command: issue #5).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_slurm
command -v ffprobe >/dev/null || skip "ffprobe not installed"
start_cluster

BASE=(--frames 120 --width 96 --height 96 --strip-rows 16)
TIMEFORMAT=%R   # wall-clock seconds: the job will meet the same load as the calibration
secs=$( { time OMP_NUM_THREADS=1 "$BIN/fractal-render" "$SRC/configs/quick.cfg" "${BASE[@]}" --max-iter 50000 \
          -o calib.h5 >calib.log 2>&1; } 2>&1 ) || { cat calib.log; fail "calibration render failed"; finish; }
MAXITER=$(awk -v s="$secs" 'BEGIN { m = int(50000 * 50 / s); if (m < 100000) m = 100000; if (m > 50000000) m = 50000000; print m }')
say "calibration: max-iter 50000 took $secs s on one core -> max-iter $MAXITER for about 50 s"

for try in 1 2; do
  ARGS=("${BASE[@]}" --max-iter "$MAXITER")
  out_h5=deep$try.h5 out_mp4=deep$try.mp4
  reference_render "direct$try.h5" 1 "$SRC/configs/quick.cfg" "${ARGS[@]}" > "direct$try.log" 2>&1 &
  ref=$!; BG_PIDS+=("$ref")
  out=$(FRACTAL_RENDER_SBATCH_ARGS="--ntasks-per-node=1 --cpus-per-task=1 --time=1 --signal=B:USR1@25" \
        FRACTAL_COLOUR_SBATCH_ARGS="--cpus-per-task=1 --time=5" \
        FRACTAL_RENDER_ARGS="${ARGS[*]}" \
        "$JOBS/submit.sh" "$SRC/configs/quick.cfg" "$out_h5" "$out_mp4") || { fail "submit.sh failed: $out"; finish; }
  echo "$out"
  render=$(echo "$out" | sed -n 's/^render job \([0-9]*\):.*/\1/p')
  colour=$(echo "$out" | sed -n 's/^colour job \([0-9]*\):.*/\1/p')
  log=fractal-render-$render.out

  # Follow the job: report each state change (RUNNING, PENDING after a requeue, ...).
  last="" st=""
  while [ "$(date +%s)" -lt "$DEADLINE" ]; do
    st=$(job_field "$render" JobState); r=$(job_field "$render" Restarts)
    [ "$st/$r" != "$last" ] && say "render job $render: $st, restarts $r"
    last="$st/$r"
    case $st in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) break ;; esac
    if grep -q "renderer ended by a signal" "$log" 2>/dev/null; then
      sed 's/^/  log: /' "$log" | tail -n 30
      fail "the renderer died of the forwarded signal instead of checkpointing and exiting 3 (issue #5)"
      finish
    fi
    sleep 0.5
  done
  restarts=$(job_field "$render" Restarts)
  if [ "$try" = 1 ] && [ "$st" = COMPLETED ] && [ "${restarts:-0}" = 0 ]; then
    say "the render finished before Slurm's first signal: once more with twice the work"
    MAXITER=$(( MAXITER * 2 ))
    wait_job "$colour" 30 >/dev/null
    kill "$ref" 2>/dev/null; wait "$ref" 2>/dev/null
    continue
  fi
  break
done
sed 's/^/  log: /' "$log" | grep -E 'anim.sh|interrupted|resum|fractal-render: (done|error)|progress: 100' | cut -c1-200

check "render job COMPLETED with exit 0" test "$st:$(job_field "$render" ExitCode)" = "COMPLETED:0:0"
check "it was requeued at least once (Restarts=$restarts)" test "${restarts:-0}" -ge 1
check "the time-limit signal reached the job script" grep -q "received SIGUSR1" "$log"
check "the renderer exited 3 and the job requeued itself" grep -q "interrupted; requeued job $render" "$log"
check "the renderer never died of the signal" bash -c "! grep -q 'renderer ended by a signal' '$log'"
check "one log, appended by every run ($((restarts + 1)) runs)" \
  test "$(grep -c 'anim.sh\[[0-9]*\]: restart ' "$log")" -eq "$((restarts + 1))"
check "no journal or partial file is left" bash -c "! ls $out_h5.* 2>/dev/null | grep -q ."

say "waiting for the direct reference run"
wait "$ref"; refrc=$?
check "direct mpirun render exited 0" test "$refrc" -eq 0
check "/counts identical to the uninterrupted direct run" same_counts "direct$try.h5" "$out_h5"

st=$(wait_job "$colour" 30)
say "colour job $colour: $st, ExitCode $(job_field "$colour" ExitCode)"
check "colour job (afterok through the requeues) COMPLETED" test "$st:$(job_field "$colour" ExitCode)" = "COMPLETED:0:0"
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$out_mp4" 2>&1)
check "ffprobe accepts $out_mp4 with 120 frames" test "$frames" = 120
finish
