#!/bin/bash
# Multi-host test without Slurm: three "hosts" are network namespaces on this machine, each with
# its own host name (UTS namespace), loopback and one veth port on a bridge that lives in a fourth
# namespace (the "switch"), addresses 10.77.0.1-3/24; the machine's own network is not touched.
# mpirun starts in host 1 and launches its daemons on hosts 2 and 3 through rsh-netns.sh (the rsh
# agent: `ip netns exec`), from a hostfile of the three addresses, one rank per host, Open MPI
# restricted to TCP on 10.77.0.0/24 (btl tcp,self: no shared memory between ranks; oob on the same
# subnet). It renders configs/quick.cfg (deeper, so every rank gets work) and a deep view, and checks:
#   - each rank ran in a different network namespace, with that host's address and host name;
#   - the worker hosts' veth ports carried the traffic (their byte counters grew);
#   - /counts are identical to a single-host run.
# Every namespace (and with it every veth and the bridge) is deleted on exit, also on failure.
#   test-netns.sh --bin BUILD_DIR --source REPO --work SCRATCH_DIR
# Exit 0 pass, 1 fail, 77 skip (not root, no `ip`/`unshare`, or no network namespaces/veth/bridge).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN="" SRC="" WORK=""
while [ $# -gt 0 ]; do
  case $1 in
    --bin) BIN=$2; shift 2 ;; --source) SRC=$2; shift 2 ;; --work) WORK=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
{ [ -n "$BIN" ] && [ -n "$SRC" ] && [ -n "$WORK" ]; } || { echo "usage: $0 --bin DIR --source DIR --work DIR" >&2; exit 2; }
BIN=$(cd "$BIN" && pwd) SRC=$(cd "$SRC" && pwd)
T0=$(date +%s.%N)
say()  { printf '[%5s s] %s\n' "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" "$*"; }
skip() { echo "SKIP: $*"; exit 77; }
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }
check() { local what=$1; shift; if "$@"; then say "ok: $what"; else fail "$what"; fi; }

[ "$(id -u)" -eq 0 ] || skip "needs root (creates network namespaces)"
for c in ip unshare mpirun h5diff awk timeout; do
  command -v "$c" >/dev/null 2>&1 || skip "$c not installed (tools/install-deps.sh installs iproute2)"
done
[ -x "$BIN/fractal-render" ] || { echo "FAIL: $BIN/fractal-render not built"; exit 1; }

TAG=frmh$$                 # unique names: several runs may share the machine
SW=$TAG-sw
HOSTS=("$TAG-h1" "$TAG-h2" "$TAG-h3")
ADDRS=(10.77.0.1 10.77.0.2 10.77.0.3)
NAMES=(mh-host1 mh-host2 mh-host3)
SUBNET=10.77.0.0/24
MADE=()                    # namespaces created by this run, deleted on exit
MPI_PID="" WATCHDOG=""

del_ns() {  # del_ns NAME: end what runs in it (our orted/ranks), delete it (its veths and bridge go too)
  local p
  for p in $(ip netns pids "$1" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  ip netns del "$1" 2>/dev/null
}
# Namespaces left by an earlier run of this test that was killed outright (its PID is gone).
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^frmh[0-9]+-(sw|h[123])$'); do
  pid=${ns#frmh}; pid=${pid%%-*}
  kill -0 "$pid" 2>/dev/null || { echo "removing stale namespace $ns"; del_ns "$ns"; }
done

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "$MPI_PID" ] && kill -TERM "$MPI_PID" 2>/dev/null && sleep 1
  local ns
  for ns in "${MADE[@]}"; do del_ns "$ns" || echo "cleanup: could not delete namespace $ns" >&2; done
  [ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
  left=$(ip netns list 2>/dev/null | grep -c "^$TAG-")
  [ "$left" -eq 0 ] || { echo "cleanup: $left namespace(s) of $TAG left"; rc=1; }
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Watchdog, in a session of its own: should this script be killed without its trap (CTest's
# timeout), it deletes this run's namespaces.
# shellcheck disable=SC2016  # expanded by the watchdog's shell
setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done
                for ns in $(ip netns list | awk "{print \$1}" | grep "^$2-"); do
                  for p in $(ip netns pids "$ns"); do kill -KILL "$p"; done; ip netns del "$ns"
                done' watchdog $$ "$TAG" </dev/null >/dev/null 2>&1 &
WATCHDOG=$!

mkns() { ip netns add "$1" 2>/dev/null || return 1; MADE+=("$1"); ip -n "$1" link set lo up; }
mkns "$SW" || skip "cannot create network namespaces (ip netns add: needs CAP_SYS_ADMIN and a kernel with netns)"
ip -n "$SW" link add br0 type bridge 2>/dev/null || skip "no bridge support in this kernel"
ip -n "$SW" link set br0 up
for i in 0 1 2; do
  h=${HOSTS[$i]}
  mkns "$h" || { echo "FAIL: ip netns add $h"; exit 1; }
  # the veth pair is created inside the switch namespace, its host end moved straight into host i
  ip -n "$SW" link add "port$i" type veth peer name eth0 netns "$h" 2>/dev/null || skip "no veth support in this kernel"
  ip -n "$SW" link set "port$i" master br0 up
  ip -n "$h" addr add "${ADDRS[$i]}/24" dev eth0
  ip -n "$h" link set eth0 up
done
say "hosts: ${HOSTS[*]} at ${ADDRS[*]} on a bridge in $SW"
for i in 0 1 2; do  # carrier on both ends of each port (no ping on a minimal system)
  check "${HOSTS[$i]}'s port is up" bash -c "for t in \$(seq 50); do ip -n ${HOSTS[$i]} link show eth0 | grep -q LOWER_UP && ip -n $SW link show port$i | grep -q LOWER_UP && exit 0; sleep 0.1; done; exit 1"
done
[ "$FAILED" -eq 0 ] || exit 1

rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK" || exit 1
printf '%s slots=1\n' "${ADDRS[@]}" > hostfile
export FRACTAL_NETNS_MAP="${ADDRS[0]}=${HOSTS[0]}:${NAMES[0]} ${ADDRS[1]}=${HOSTS[1]}:${NAMES[1]} ${ADDRS[2]}=${HOSTS[2]}:${NAMES[2]}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
# shellcheck disable=SC2054  # the commas belong to Open MPI's btl list
MPIRUN=(mpirun --hostfile hostfile -np 3 --map-by node --bind-to none
        --mca plm rsh --mca plm_rsh_agent "$HERE/rsh-netns.sh" --mca plm_rsh_no_tree_spawn 1
        --mca pml ob1 --mca btl tcp,self --mca btl_tcp_if_include "$SUBNET" --mca oob_tcp_if_include "$SUBNET"
        -x OMP_NUM_THREADS -x PATH -x LD_LIBRARY_PATH)
# mpirun itself runs on host 1 (its own namespace and host name, like the daemons).
# shellcheck disable=SC2016  # expanded by the inner shell
on_host1() { ip netns exec "${HOSTS[0]}" unshare --uts /bin/sh -c 'hostname "$1"; shift; exec "$@"' sh "${NAMES[0]}" "$@"; }
tx_bytes() { ip netns exec "$1" cat /sys/class/net/eth0/statistics/tx_bytes; }

# 1. Where do the ranks run?
txw=("$(tx_bytes "${HOSTS[1]}")" "$(tx_bytes "${HOSTS[2]}")")
# shellcheck disable=SC2016  # expanded by each rank's shell
on_host1 timeout 30 "${MPIRUN[@]}" /bin/sh -c 'echo "rank $OMPI_COMM_WORLD_RANK $(hostname) $(ip -4 -o addr show dev eth0 | awk "{print \$4}") $(readlink /proc/self/ns/net)"' \
  > where.txt 2> where.err
rc=$?
sort where.txt | sed 's/^/  /'
[ "$rc" -eq 0 ] || { sed 's/^/  stderr: /' where.err | tail -n 20; fail "mpirun across the namespaces failed (status $rc)"; exit 1; }
txw1=("$(tx_bytes "${HOSTS[1]}")" "$(tx_bytes "${HOSTS[2]}")")
base=$(( txw1[0] - txw[0] > txw1[1] - txw[1] ? txw1[0] - txw[0] : txw1[1] - txw[1] ))
say "a job that only starts and ends sends $base bytes from a worker host"
check "3 ranks" test "$(wc -l < where.txt)" -eq 3
check "in 3 different network namespaces" test "$(awk '{print $5}' where.txt | sort -u | wc -l)" -eq 3
check "each with its own host name and address" \
  test "$(sort where.txt | awk '{print $3, $4}' | tr '\n' ' ')" = "${NAMES[0]} ${ADDRS[0]}/24 ${NAMES[1]} ${ADDRS[1]}/24 ${NAMES[2]} ${ADDRS[2]}/24 "

# 2. The render across the three hosts, and a single-host reference.
ARGS=("$SRC/configs/quick.cfg" --max-iter 20000 --strip-rows 32)
tx0=("$(tx_bytes "${HOSTS[1]}")" "$(tx_bytes "${HOSTS[2]}")")
on_host1 timeout 60 "${MPIRUN[@]}" "$BIN/fractal-render" "${ARGS[@]}" -o multi.h5 > multi.log 2>&1 &
MPI_PID=$!
wait "$MPI_PID"; rc=$?; MPI_PID=""
tail -n 8 multi.log | sed 's/^/  /'
check "3-host render exited 0" test "$rc" -eq 0
tx1=("$(tx_bytes "${HOSTS[1]}")" "$(tx_bytes "${HOSTS[2]}")")
d2=$(( tx1[0] - tx0[0] )) d3=$(( tx1[1] - tx0[1] ))
say "bytes sent by host 2: $d2, by host 3: $d3 (over their veth ports)"
check "both worker hosts sent results over the network (> 20 kB more than start/end alone)" \
  test "$d2" -gt $(( base + 20000 )) -a "$d3" -gt $(( base + 20000 ))

timeout 60 mpirun --oversubscribe -np 2 "$BIN/fractal-render" "${ARGS[@]}" -o single.h5 > single.log 2>&1
check "single-host render exited 0" test $? -eq 0
check "/counts identical to the single-host run" h5diff -q multi.h5 single.h5 /counts /counts

# 3. A deep view across the three hosts: the reference orbit and BLA tables go from rank 0 to one
#    rank per node (here every host is a node) and live in each node's shared-memory window.
DEEP=(--location "$SRC/tests/data/locations/5e113.kfr" --width 64 --height 48 --strip-rows 1)
on_host1 timeout 60 "${MPIRUN[@]}" "$BIN/fractal-render" "${DEEP[@]}" -o deep-multi.h5 > deep-multi.log 2>&1
rc=$?
grep -E 'orbits and BLA|perturbation kernel|verification' deep-multi.log | sed 's/^/  /'
check "3-host deep render exited 0" test "$rc" -eq 0
check "one shared copy per node on 3 nodes" grep -q "for the node's 1 rank(s) (3 node(s))" deep-multi.log
timeout 60 mpirun --oversubscribe -np 2 "$BIN/fractal-render" "${DEEP[@]}" -o deep-single.h5 > deep-single.log 2>&1
check "single-host deep render exited 0" test $? -eq 0
check "deep /counts identical to the single-host run" h5diff -q deep-multi.h5 deep-single.h5 /counts /counts

[ "$FAILED" -eq 0 ] || { say "FAILED"; exit 1; }
say "passed"
