#!/bin/bash
# Open MPI rsh/ssh agent for tests/multihost: "runs on host ADDR" = runs in that host's network
# namespace (and its own UTS namespace, so the "host" has its own host name).
#   rsh-netns.sh [-x] ADDR COMMAND...      (called by mpirun/prterun as --mca plm_rsh_agent)
# FRACTAL_NETNS_MAP="ADDR=NAMESPACE[:HOSTNAME] ..." maps the hostfile's addresses to namespaces.
# Like ssh, the command words are joined and run by a shell on the "remote" side.
set -u
while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do shift; done   # ssh-style options: none apply
addr=${1:?usage: rsh-netns.sh ADDR COMMAND...}; shift
ns="" name=""
for m in ${FRACTAL_NETNS_MAP:-}; do
  if [ "${m%%=*}" = "$addr" ]; then ns=${m#*=}; name=${ns#*:}; ns=${ns%%:*}; [ "$name" = "$ns" ] && name=""; fi
done
[ -n "$ns" ] || { echo "rsh-netns.sh: no namespace for host '$addr' in FRACTAL_NETNS_MAP" >&2; exit 255; }
if [ -n "$name" ]; then
  # shellcheck disable=SC2016  # expanded by the inner shell
  exec ip netns exec "$ns" unshare --uts /bin/sh -c 'hostname "$1"; shift; exec /bin/sh -c "$*"' sh "$name" "$@"
fi
exec ip netns exec "$ns" /bin/sh -c "$*"
