#!/bin/bash
# stop-slurm.sh DIR: cancels the test cluster's jobs, waits for them to leave, then stops exactly the
# daemons start-slurm.sh recorded in DIR/run/*.pid.bg (never by name). Safe to call twice.
DIR=${1:?usage: stop-slurm.sh DIR}
export SLURM_CONF=$DIR/slurm.conf
if [ -f "$DIR/run/slurmctld.pid.bg" ] && kill -0 "$(cat "$DIR/run/slurmctld.pid.bg")" 2>/dev/null; then
  scancel --full --user=root 2>/dev/null || true
  for _ in $(seq 100); do   # running/completing job steps end before slurmd goes
    squeue -h -t all -o '%T' 2>/dev/null |
      grep -qvE 'COMPLETED|FAILED|CANCELLED|TIMEOUT|PREEMPTED|NODE_FAIL|BOOT_FAIL|DEADLINE|OUT_OF_MEMORY' || break
    sleep 0.1
  done
fi
# slurmd and slurmctld together (each takes a second or two to go), then munged.
stop() {  # stop NAME...: TERM to each recorded PID, wait up to 10 s, then KILL
  local d f pid pids=()
  for d in "$@"; do
    f=$DIR/run/$d.pid.bg
    [ -f "$f" ] || continue
    pid=$(cat "$f"); rm -f "$f"
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid"; pids+=("$d:$pid")
  done
  for _ in $(seq 100); do
    local alive=0
    for d in "${pids[@]}"; do kill -0 "${d#*:}" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.1
  done
  for d in "${pids[@]}"; do
    kill -0 "${d#*:}" 2>/dev/null && { echo "stop-slurm.sh: ${d%%:*} (${d#*:}) still alive, sending KILL" >&2; kill -KILL "${d#*:}"; }
  done
  return 0
}
stop slurmd slurmctld
stop munged
# a munge directory moved to /tmp for a short socket path (start-slurm.sh)
if [ -L "$DIR/munge" ]; then
  case $(readlink "$DIR/munge") in /tmp/fractal-munge.*) rm -rf "$(readlink "$DIR/munge")" ;; esac
  rm -f "$DIR/munge"
fi
exit 0
