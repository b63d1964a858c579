#!/bin/bash
# fractal-hpc render job: one fractal-render run (animation or still) under Slurm, checkpointed and
# requeued at the time limit. See jobs/slurm/README.md.
#
#   sbatch [sbatch options] jobs/slurm/anim.sh CONFIG.cfg OUT.h5 [fractal-render options...]
#   FRACTAL_CONFIG=CONFIG.cfg FRACTAL_OUTPUT=OUT.h5 sbatch jobs/slurm/anim.sh
#
# Relative paths are relative to the directory sbatch was run from. OUT.h5 must be on a file system
# every node of the job sees (rank 0 writes it; the resume journal OUT.h5.journal sits next to it).
#
# Environment (all optional; sbatch passes the submitting shell's environment to the job):
#   FRACTAL_BIN_DIR      directory holding fractal-render (default: $SLURM_SUBMIT_DIR/build if it
#                        has one, else fractal-render from PATH, e.g. after a `module load`)
#   FRACTAL_MODULES      modules to `module load` first (e.g. "openmpi hdf5/openmpi")
#   FRACTAL_LAUNCHER     srun (default) | mpirun
#   FRACTAL_MPIRUN_ARGS  extra mpirun arguments (FRACTAL_LAUNCHER=mpirun)
#   FRACTAL_SRUN_MPI     srun's --mpi plugin (default pmix: what Debian's Open MPI supports)
#   FRACTAL_SRUN_ARGS    extra srun arguments
#   FRACTAL_REQUEUE      1 (default): requeue this job when interrupted; 0: exit 3 instead
#   FRACTAL_MAX_RESTARTS give up requeueing after this many restarts (default 20)
#
# Exit status (also the job's ExitCode in `scontrol show job` / sacct):
#   0  OUT.h5 is complete (also when it already was: nothing is rendered again)
#   1  runtime failure (the renderer's message names the path and the reason), or the launcher failed
#   2  usage or configuration error: one line from fractal-render in the log, nothing started
#   3  interrupted (signal, time limit) and NOT requeued: submit the same command again to resume
#   A job that requeued itself shows no exit status: it is PENDING again (Restarts=N) and its next
#   run resumes where this one stopped, appending to the same log.
#   Other: the renderer died of signal (status - 128), e.g. 137 = killed (out of memory?).
#
# ---- resources: adapt to your site (README: "Adapting to a site", "Ranks x threads") ----------
#SBATCH --job-name=fractal-render
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=4
#SBATCH --cpus-per-task=4
#SBATCH --time=01:00:00
# ---- checkpoint at the time limit ----------------------------------------------------------------
# USR1 to this batch shell 120 s before the limit (Slurm may send it up to 60 s earlier still); the
# renderer needs at most 30 s to stop and keep its work, the rest is margin.
#SBATCH --signal=B:USR1@120
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=%x-%j.out
# ---- site settings (uncomment / edit) ------------------------------------------------------------
##SBATCH --partition=PARTITION
##SBATCH --account=ACCOUNT
set -uo pipefail   # no -e: every exit status is looked at

JOB_KIND=anim.sh
usage() { echo "usage: sbatch anim.sh CONFIG.cfg OUT.h5 [fractal-render options...]" >&2; exit 2; }

CONFIG=${FRACTAL_CONFIG:-}
OUTPUT=${FRACTAL_OUTPUT:-}
if [ $# -ge 1 ] && [ -z "$CONFIG" ]; then CONFIG=$1; shift; fi
if [ $# -ge 1 ] && [ -z "$OUTPUT" ]; then OUTPUT=$1; shift; fi
EXTRA=("$@")
{ [ -n "$CONFIG" ] && [ -n "$OUTPUT" ]; } || usage

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
render "$CONFIG" "$OUTPUT" "${EXTRA[@]}"
exit 0
