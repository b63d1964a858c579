#!/bin/bash
# fractal-hpc post-processing job: colour a finished fractal-render file into a video or PNGs.
# See jobs/slurm/README.md. Usually submitted by submit.sh, after the render job (afterok).
#
#   sbatch [sbatch options] jobs/slurm/colour.sh IN.h5 OUT [fractal-colour options...]
#
# OUT decides the output: *.mp4 / *.mkv / *.webm -> --video OUT; *.png -> --png OUT (one frame:
# add --frames N, default frame 0); a name ending in / (or an existing directory) -> --png-dir OUT.
# An existing OUT is replaced (--overwrite; it is derived data); FRACTAL_COLOUR_OVERWRITE=0 refuses.
# fractal-colour runs on one node with threads; it refuses an unfinished IN.h5 (exit 1).
#
# Environment: FRACTAL_BIN_DIR, FRACTAL_MODULES as for anim.sh.
# Exit status: fractal-colour's: 0 done, 1 runtime failure (bad/unfinished input, write error),
# 2 usage error (one line in the log).
#
#SBATCH --job-name=fractal-colour
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=4
#SBATCH --time=00:30:00
#SBATCH --output=%x-%j.out
##SBATCH --partition=PARTITION
##SBATCH --account=ACCOUNT
set -uo pipefail

log() { printf '[%s] colour.sh[%s]: %s\n' "$(date '+%F %T')" "${SLURM_JOB_ID:-no job}" "$*"; }
[ $# -ge 2 ] || { echo "usage: sbatch colour.sh IN.h5 OUT.mp4|OUT.png|OUTDIR/ [fractal-colour options...]" >&2; exit 2; }
IN=$1 OUT=$2; shift 2

if [ -n "${FRACTAL_MODULES:-}" ]; then
  # shellcheck disable=SC2086
  module load $FRACTAL_MODULES || { log "error: module load $FRACTAL_MODULES failed"; exit 1; }
fi
if [ -n "${FRACTAL_BIN_DIR:-}" ]; then
  COLOUR=$FRACTAL_BIN_DIR/fractal-colour
elif [ -x "${SLURM_SUBMIT_DIR:-.}/build/fractal-colour" ]; then
  COLOUR=${SLURM_SUBMIT_DIR:-.}/build/fractal-colour
else
  COLOUR=$(command -v fractal-colour || echo fractal-colour)
fi
[ -x "$COLOUR" ] || { log "error: $COLOUR: no such executable (set FRACTAL_BIN_DIR)"; exit 1; }

case $OUT in
  */)                     what=(--png-dir "$OUT") ;;
  *.png|*.PNG)            what=(--png "$OUT"); case " $* " in *" --frames"*) ;; *) what+=(--frames 0) ;; esac ;;
  *) if [ -d "$OUT" ]; then what=(--png-dir "$OUT"); else what=(--video "$OUT"); fi ;;
esac
[ "${FRACTAL_COLOUR_OVERWRITE:-1}" = 1 ] && what+=(--overwrite)
cmd=("$COLOUR" "$IN" "${what[@]}" "$@")
log "running: ${cmd[*]}"
# fractal-colour stops cleanly on TERM (time limit, scancel) and leaves no half-written output.
"${cmd[@]}" &
child=$!
trap 'log "received SIGTERM"; kill -TERM "$child" 2>/dev/null' TERM
while :; do
  wait "$child"; rc=$?
  kill -0 "$child" 2>/dev/null && continue
  wait "$child" 2>/dev/null; rc2=$?
  [ "$rc2" -ne 127 ] && rc=$rc2
  break
done
if [ "$rc" -eq 0 ]; then log "done: $OUT"; else log "error: fractal-colour failed (status $rc)"; fi
exit "$rc"
