#!/bin/bash
# Submits the render job (anim.sh) and the colouring job (colour.sh) that starts only if the render
# succeeds (--dependency=afterok; it also waits through the render's requeues). Run it where you
# run sbatch (a login node), from the directory the relative paths and the job logs belong to.
#
#   jobs/slurm/submit.sh CONFIG.cfg OUT.h5 [OUT.mp4] [-- fractal-colour options...]
#
# Default OUT.mp4: OUT.h5 with .mp4. Prints the two job ids:
#   render job 123: ...
#   colour job 124: ...
# Environment (optional, word-split):
#   FRACTAL_SBATCH_ARGS         sbatch options for both jobs (e.g. "--partition=p --account=a")
#   FRACTAL_RENDER_SBATCH_ARGS  sbatch options for the render job (e.g. "--nodes=4 --time=12:00:00")
#   FRACTAL_COLOUR_SBATCH_ARGS  sbatch options for the colour job
#   FRACTAL_RENDER_ARGS         extra fractal-render options
#   FRACTAL_BIN_DIR             where fractal-render/fractal-colour are (default: this checkout's
#                               build/ when it has them; else the jobs look in PATH)
# and everything anim.sh and colour.sh read (FRACTAL_LAUNCHER, FRACTAL_MODULES, ...): sbatch
# passes the environment on to the jobs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage() { echo "usage: submit.sh CONFIG.cfg OUT.h5 [OUT.mp4] [-- fractal-colour options...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
config=$1 h5=$2; shift 2
video=${h5%.h5}.mp4
if [ $# -ge 1 ] && [ "$1" != -- ]; then video=$1; shift; fi
if [ $# -ge 1 ]; then [ "$1" = -- ] || usage; shift; fi
[ -f "$config" ] || { echo "submit.sh: error: $config: no such file" >&2; exit 2; }

if [ -z "${FRACTAL_BIN_DIR:-}" ] && [ -x "$here/../../build/fractal-render" ]; then
  FRACTAL_BIN_DIR=$(cd "$here/../../build" && pwd)
  export FRACTAL_BIN_DIR
fi

# shellcheck disable=SC2086
render=$(sbatch --parsable ${FRACTAL_SBATCH_ARGS:-} ${FRACTAL_RENDER_SBATCH_ARGS:-} \
         "$here/anim.sh" "$config" "$h5" ${FRACTAL_RENDER_ARGS:-})
render=${render%%;*}
# shellcheck disable=SC2086
colour=$(sbatch --parsable --dependency="afterok:$render" --kill-on-invalid-dep=yes \
         ${FRACTAL_SBATCH_ARGS:-} ${FRACTAL_COLOUR_SBATCH_ARGS:-} \
         "$here/colour.sh" "$h5" "$video" "$@")
colour=${colour%%;*}
echo "render job $render: $config -> $h5"
echo "colour job $colour: $h5 -> $video (after render job $render succeeds)"
