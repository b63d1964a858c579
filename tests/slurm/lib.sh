# shellcheck shell=bash disable=SC2034
# Sourced by the tests in tests/slurm/ (bash). Usage of a test:
#   test-X.sh --bin BUILD_DIR --source REPO --work SCRATCH_DIR [--cluster CLUSTER_DIR] [--timeout S]
# Each test starts its own one-node Slurm (start-slurm.sh, on free ports) in CLUSTER_DIR, stops it by the PIDs it
# recorded on every exit path (trap), and exits 0 pass, 1 fail, 77 skip (not root, no Slurm).
# It gives up waiting 15 s before --timeout (CTest's TIMEOUT) to clean up in time; should it be
# killed anyway (CTest's timeout kill cannot be trapped), a watchdog process stops the cluster.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN="" SRC="" WORK="" CLUSTER="" TIMEOUT=600
while [ $# -gt 0 ]; do
  case $1 in
    --bin) BIN=$2; shift 2 ;;
    --source) SRC=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --cluster) CLUSTER=$2; shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
{ [ -n "$BIN" ] && [ -n "$SRC" ] && [ -n "$WORK" ]; } || { echo "usage: $0 --bin DIR --source DIR --work DIR [--cluster DIR]" >&2; exit 2; }
BIN=$(cd "$BIN" && pwd) SRC=$(cd "$SRC" && pwd)
CLUSTER=${CLUSTER:-$(dirname "$WORK")/cluster}
JOBS=$SRC/jobs/slurm
T0=$(date +%s.%N)
DEADLINE=$(( $(date +%s) + TIMEOUT - 15 ))   # every wait ends by then

since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }  # seconds since $1
say()  { printf '[%6s s] %s\n' "$(since "$T0")" "$*"; }
skip() { echo "SKIP: $*"; exit 77; }
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }
check() { local what=$1; shift; if "$@"; then say "ok: $what"; else fail "$what"; fi; }

require_slurm() {
  [ "$(id -u)" -eq 0 ] || skip "needs root (starts munged, slurmctld, slurmd)"
  local c
  for c in /usr/sbin/slurmctld /usr/sbin/slurmd /usr/sbin/munged sbatch scontrol squeue sinfo scancel srun munge unmunge setpriv mpirun h5diff awk; do
    command -v "$c" >/dev/null 2>&1 || skip "$c not installed (tools/install-deps.sh installs slurmctld slurmd slurm-client munge)"
  done
  [ -x "$BIN/fractal-render" ] || { echo "FAIL: $BIN/fractal-render not built"; exit 1; }
}

# Background processes of the test itself (a reference mpirun), ended by PID on exit.
BG_PIDS=()
WATCHDOG=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local p
  for p in "${BG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
  if [ -n "${SLURM_CONF:-}" ]; then
    [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -f "$CLUSTER/run/slurmctld.pid.bg" ] && dump_state
    "$HERE/stop-slurm.sh" "$CLUSTER" || true
  fi
  exit "$rc"
}
dump_state() {
  echo "---- squeue / scontrol show job (at failure) ----"
  squeue -t all 2>/dev/null
  scontrol show job 2>/dev/null | grep -E 'JobId=|JobState=|ExitCode=|Restarts=|Reason=' || true
  echo "---- job logs ----"
  local f
  for f in "$WORK"/*.out; do [ -f "$f" ] && { echo "== $f"; tail -n 40 "$f"; }; done
  echo "---- slurmctld.log (tail) ----"
  tail -n 20 "$CLUSTER/log/slurmctld.log" 2>/dev/null
}

start_cluster() {
  rm -rf "$WORK"; mkdir -p "$WORK"
  export SLURM_CONF=$CLUSTER/slurm.conf
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  "$HERE/stop-slurm.sh" "$CLUSTER" >/dev/null 2>&1   # leftovers of a killed earlier run
  rm -rf "$CLUSTER"
  "$HERE/start-slurm.sh" "$CLUSTER" >/dev/null || { echo "FAIL: could not start Slurm"; exit 1; }
  # Watchdog, in a session of its own: if this test dies without its trap (SIGKILL), stop the
  # daemons it started, unless a later start-slurm.sh has replaced them already.
  local ctld
  ctld=$(cat "$CLUSTER/run/slurmctld.pid.bg")
  # shellcheck disable=SC2016  # expanded by the watchdog's shell
  setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done
                  [ "$(cat "$3/run/slurmctld.pid.bg" 2>/dev/null)" = "$4" ] && "$2" "$3"' \
    watchdog $$ "$HERE/stop-slurm.sh" "$CLUSTER" "$ctld" </dev/null >/dev/null 2>&1 &
  WATCHDOG=$!
  say "slurm up: node $(sinfo -h -N -o '%N %c CPUs %T'), port $(sed -n 's/^SlurmctldPort=//p' "$SLURM_CONF")"
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export FRACTAL_BIN_DIR=$BIN
  cd "$WORK" || exit 1
}

job_field() { scontrol show job "$1" -o 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }

# wait_job ID MAX_S: polls until the job has ended (at most MAX_S, and not past DEADLINE); prints
# its final JobState, or STILL-<state> when it gave up.
wait_job() {
  local id=$1 deadline=$(( $(date +%s) + $2 )) st
  [ "$deadline" -gt "$DEADLINE" ] && deadline=$DEADLINE
  while :; do
    st=$(job_field "$id" JobState)
    case $st in
      COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|PREEMPTED|BOOT_FAIL|DEADLINE|OUT_OF_MEMORY) echo "$st"; return 0 ;;
    esac
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "STILL-${st:-UNKNOWN}"; return 1; fi
    kill -0 "$$" 2>/dev/null || return 1   # the test itself was killed: stop polling
    sleep 0.25
  done
}

# reference_render OUT.h5 NP [args]: fractal-render under a direct mpirun, outside Slurm.
reference_render() {
  local out=$1 np=$2; shift 2
  # --bind-to none: leave the cores Slurm's tasks are bound to to the scheduler of the OS
  # (and never past DEADLINE)
  env -u SLURM_CONF OMP_NUM_THREADS=1 timeout $(( DEADLINE - $(date +%s) )) \
    mpirun --oversubscribe --bind-to none -np "$np" "$BIN/fractal-render" "$@" -o "$out"
}

same_counts() { h5diff -q "$1" "$2" /counts /counts; }

finish() {
  if [ "$FAILED" -ne 0 ]; then say "FAILED"; exit 1; fi
  say "passed"; exit 0
}
