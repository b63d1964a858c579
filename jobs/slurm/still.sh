#!/bin/bash
# fractal-hpc still-image job: renders one frame and colours it into a PNG, in one job.
# See jobs/slurm/README.md.
#
#   sbatch [sbatch options] jobs/slurm/still.sh CONFIG.cfg OUT.png [fractal-render options...]
#
# The counts go to OUT.h5 (OUT.png with .h5), next to the picture: re-colour them later with
# fractal-colour without rendering again. Frame 0 is coloured (a still config has one frame, e.g.
# configs/w1-julia-still-4000px.cfg). Checkpoint, requeue and resume at the time limit as anim.sh.
#
# Environment: as anim.sh (FRACTAL_BIN_DIR, FRACTAL_MODULES, FRACTAL_LAUNCHER, ...), plus
#   FRACTAL_COLOUR_ARGS  fractal-colour options, word-split (e.g. "--cmap magma --norm log")
# Exit status: as anim.sh; 1 also when colouring fails.
#
#SBATCH --job-name=fractal-still
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=4
#SBATCH --cpus-per-task=4
#SBATCH --time=00:30:00
#SBATCH --signal=B:USR1@120
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=%x-%j.out
##SBATCH --partition=PARTITION
##SBATCH --account=ACCOUNT
set -uo pipefail   # no -e: every exit status is looked at

JOB_KIND=still.sh
[ $# -ge 2 ] || { echo "usage: sbatch still.sh CONFIG.cfg OUT.png [fractal-render options...]" >&2; exit 2; }
CONFIG=$1 PNG=$2; shift 2
case $PNG in *.png|*.PNG) ;; *) echo "still.sh: error: OUT must end in .png, got '$PNG'" >&2; exit 2 ;; esac
H5=${PNG%.*}.h5

# >>> shared block: identical in anim.sh, still.sh and array.sh (tests/slurm/check-scripts.sh) >>>>>>
log() { printf '[%s] %s[%s]: %s\n' "$(date '+%F %T')" "$JOB_KIND" "${SLURM_JOB_ID:-no job}" "$*"; }

# ---- software environment ------------------------------------------------------------------------
if [ -n "${FRACTAL_MODULES:-}" ]; then
  # shellcheck disable=SC2086
  module load $FRACTAL_MODULES || { log "error: module load $FRACTAL_MODULES failed"; exit 1; }
fi
if [ -n "${FRACTAL_BIN_DIR:-}" ]; then
  RENDER=$FRACTAL_BIN_DIR/fractal-render
elif [ -x "${SLURM_SUBMIT_DIR:-.}/build/fractal-render" ]; then
  RENDER=${SLURM_SUBMIT_DIR:-.}/build/fractal-render
else
  RENDER=$(command -v fractal-render || echo fractal-render)
fi
[ -x "$RENDER" ] || { log "error: $RENDER: no such executable (set FRACTAL_BIN_DIR)"; exit 1; }

# ---- ranks x threads -----------------------------------------------------------------------------
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
export OMP_PLACES=${OMP_PLACES:-cores}
export OMP_PROC_BIND=${OMP_PROC_BIND:-close}
NTASKS=${SLURM_NTASKS:-1}
RESTARTS=${SLURM_RESTART_COUNT:-0}

# ---- the render, checkpointed on USR1/TERM/INT ---------------------------------------------------
# The batch shell gets USR1 (--signal=B:USR1@N) or TERM (time limit, scancel): ask the renderer,
# through the launcher (srun and mpirun forward USR1 to every rank), to stop handing out work and
# keep what it has; it exits 3 within 30 s. A signal before the launch cancels the launch.
interrupted="" child=""
# shellcheck disable=SC2317  # called by the traps
on_signal() {
  log "received SIG$1: asking the renderer to checkpoint and stop"
  interrupted=$1
  [ -n "$child" ] && kill -USR1 "$child" 2>/dev/null
}
trap 'on_signal USR1' USR1
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT

# Interrupted: requeue this job; its next run executes the same command and resumes.
requeue_or_exit() {  # requeue_or_exit OUTPUT; never returns
  if [ "${FRACTAL_REQUEUE:-1}" = 1 ] && [ -n "${SLURM_JOB_ID:-}" ] && [ "$RESTARTS" -lt "${FRACTAL_MAX_RESTARTS:-20}" ]; then
    trap '' TERM USR1 INT   # requeueing TERMinates this shell: finish the log line first
    if scontrol requeue "$SLURM_JOB_ID"; then
      log "interrupted; requeued job $SLURM_JOB_ID (restart $((RESTARTS + 1))), it resumes $1"
      exit 3
    fi
    log "scontrol requeue failed"
  fi
  log "interrupted; NOT requeued: submit the same command again to resume $1"
  exit 3
}

render() {  # render CONFIG OUTPUT [options...]; exits unless the render completed
  local config=$1 output=$2; shift 2
  # Fail fast on a bad configuration: one process, one error line, no MPI job started.
  local rc=0
  "$RENDER" "$config" "$@" -o "$output" --print-config >/dev/null || rc=$?
  if [ "$rc" -eq 2 ]; then
    log "error: configuration rejected (the line above); nothing rendered"
    exit 2
  elif [ "$rc" -ne 0 ]; then
    log "warning: the configuration check could not run here (status $rc); launching anyway"
  fi
  local cmd
  case ${FRACTAL_LAUNCHER:-srun} in
    srun)   # Debian's (and most sites') Open MPI speak PMIx to srun
      # shellcheck disable=SC2206
      cmd=(srun --mpi="${FRACTAL_SRUN_MPI:-pmix}" --kill-on-bad-exit=1 --cpus-per-task="$OMP_NUM_THREADS" --cpu-bind=cores
           ${FRACTAL_SRUN_ARGS:-}) ;;
    mpirun) # fallback: Open MPI's mpirun reads the allocation (hosts, -np) from Slurm itself
      # shellcheck disable=SC2206
      cmd=(mpirun -np "$NTASKS" --map-by "slot:PE=$OMP_NUM_THREADS" --bind-to core
           ${FRACTAL_MPIRUN_ARGS:-}) ;;
    *) log "error: FRACTAL_LAUNCHER must be srun or mpirun, got '${FRACTAL_LAUNCHER}'"; exit 2 ;;
  esac
  cmd+=("$RENDER" "$config" "$@" -o "$output")
  log "restart $RESTARTS; $NTASKS ranks x $OMP_NUM_THREADS threads on ${SLURM_JOB_NUM_NODES:-1} node(s) ${SLURM_JOB_NODELIST:-}"
  [ -n "$interrupted" ] && requeue_or_exit "$output"
  log "running: ${cmd[*]}"

  "${cmd[@]}" &
  child=$!
  [ -n "$interrupted" ] && kill -USR1 "$child" 2>/dev/null   # signalled during the fork
  local rc2
  while :; do
    wait "$child"; rc=$?
    kill -0 "$child" 2>/dev/null && continue  # a trap interrupted wait(); the renderer still runs
    wait "$child" 2>/dev/null; rc2=$?          # the real status if wait() was interrupted
    [ "$rc2" -ne 127 ] && rc=$rc2
    break
  done
  child=""

  case $rc in
    0) log "complete: $output"; return 0 ;;
    2) log "error: configuration or usage error (see above)"; exit 2 ;;
    3) requeue_or_exit "$output" ;;          # interrupted, resumable
    *) if [ -n "$interrupted" ] && [ "$rc" -gt 128 ]; then
         log "renderer ended by a signal (status $rc) after SIG$interrupted; its journal keeps what arrived"
         requeue_or_exit "$output"
       fi
       log "error: render failed (status $rc)"; exit "$rc" ;;
  esac
}
# <<< end of shared block <<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<

cd "${SLURM_SUBMIT_DIR:-.}" || exit 1
render "$CONFIG" "$H5" "$@"

COLOUR=$(dirname "$RENDER")/fractal-colour
[ -x "$COLOUR" ] || COLOUR=$(command -v fractal-colour || echo fractal-colour)
read -r -a colour_args <<< "${FRACTAL_COLOUR_ARGS:-}"
cmd=("$COLOUR" "$H5" --png "$PNG" --frames 0 --overwrite "${colour_args[@]}")
log "running: ${cmd[*]}"
if "${cmd[@]}"; then log "done: $PNG"; exit 0; fi
log "error: colouring failed"
exit 1
