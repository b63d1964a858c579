#!/bin/bash
# start-slurm.sh DIR: starts munged, slurmctld and slurmd (each in the foreground, in the
# background; no systemd) for a one-node test cluster whose files all live in DIR,
# records their PIDs in DIR/run/*.pid.bg for stop-slurm.sh, and waits until the node is idle.
# Needs root and Debian's slurmctld slurmd slurm-client munge. The cluster listens on two free
# ports it picks (FRACTAL_SLURM_PORT=P asks for P and P+1), so clusters of several build trees can
# run side by side, each with a munged of its own.
# Prints "export SLURM_CONF=DIR/slurm.conf" on success; exit 1 on failure (logs in DIR/log).
set -euo pipefail
DIR=${1:?usage: start-slurm.sh DIR}
mkdir -p "$DIR"/{state,spool,run,log}
DIR=$(cd "$DIR" && pwd)
HOST=$(hostname -s)
CPUS=$(nproc)
MEM=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))
fail() { echo "start-slurm.sh: $*" >&2; tail -n 5 "$DIR"/log/*.out "$DIR"/log/*.log 2>/dev/null >&2; exit 1; }
port_free() { ! ss -Htan "( sport = :$1 )" 2>/dev/null | grep -q .; }

if [ -n "${FRACTAL_SLURM_PORT:-}" ]; then
  PORT=$FRACTAL_SLURM_PORT
  { port_free "$PORT" && port_free $((PORT + 1)); } || fail "ports $PORT/$((PORT + 1)) are in use"
else
  # Below Linux's ephemeral range (32768-60999 by default), so no outgoing connection of another
  # program (mpirun's, another test's) can take the port between this check and the daemons' bind.
  for _ in $(seq 50); do
    PORT=$(( 20000 + RANDOM % 6000 * 2 ))
    port_free "$PORT" && port_free $((PORT + 1)) && break
  done
fi
# munge: a munged of this cluster's own, on its own socket (Debian's postinst created the key).
[ -s /etc/munge/munge.key ] || { /usr/sbin/mungekey --create --force; chown munge:munge /etc/munge/munge.key; }
MUNGE_DIR=$DIR/munge
if [ ${#MUNGE_DIR} -gt 80 ]; then   # a unix socket's path has at most 107 bytes
  MUNGE_DIR=$(mktemp -d /tmp/fractal-munge.XXXXXX); ln -sfn "$MUNGE_DIR" "$DIR/munge"
fi
install -d -o munge -g munge -m 0755 "$MUNGE_DIR"
SOCKET=$MUNGE_DIR/munge.socket
munge_ok() { munge -S "$SOCKET" -n </dev/null 2>/dev/null | unmunge -S "$SOCKET" 2>/dev/null | grep -q 'STATUS: *Success'; }
FIRST_JOB=$(( 1000 + RANDOM % 9000 * 100 ))   # job ids differ between side-by-side clusters
sed -e "s|@HOST@|$HOST|g" -e "s|@CPUS@|$CPUS|g" -e "s|@MEM@|$MEM|g" -e "s|@DIR@|$DIR|g" \
    -e "s|@SOCKET@|$SOCKET|g" -e "s|@CTLD_PORT@|$PORT|g" -e "s|@SLURMD_PORT@|$((PORT + 1))|g" \
    -e "s|@FIRST_JOB@|$FIRST_JOB|g" \
    "$(dirname "$0")/slurm.conf.in" > "$DIR/slurm.conf"
export SLURM_CONF=$DIR/slurm.conf

# setpriv execs munged directly as user munge, so $! is munged's own PID.
setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged --foreground --socket="$SOCKET" \
  --pid-file="$MUNGE_DIR/munged.pid" --log-file="$MUNGE_DIR/munged.log" --seed-file="$MUNGE_DIR/munged.seed" \
  </dev/null >"$DIR/log/munged.out" 2>&1 &
echo $! > "$DIR/run/munged.pid.bg"
for _ in $(seq 50); do munge_ok && break; sleep 0.1; done
munge_ok || fail "munged does not work"

# -D = foreground, so $! is the daemon's own PID.
/usr/sbin/slurmctld -D -f "$SLURM_CONF" </dev/null >"$DIR/log/slurmctld.out" 2>&1 &
echo $! > "$DIR/run/slurmctld.pid.bg"
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q 'is UP' && break; sleep 0.1; done
scontrol ping 2>/dev/null | grep -q 'is UP' || fail "slurmctld did not come up"
/usr/sbin/slurmd -D -f "$SLURM_CONF" </dev/null >"$DIR/log/slurmd.out" 2>&1 &
echo $! > "$DIR/run/slurmd.pid.bg"
st=""
for _ in $(seq 300); do
  st=$(sinfo -h -N -o '%T' 2>/dev/null | head -1)
  [ "$st" = idle ] && break; sleep 0.1
done
[ "$st" = idle ] || fail "node state '$st', not idle"
echo "export SLURM_CONF=$SLURM_CONF"
