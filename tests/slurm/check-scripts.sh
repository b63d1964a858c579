#!/bin/bash
# Static checks of the Slurm job kit (no Slurm, no root needed):
#   check-scripts.sh REPO
# - every jobs/slurm/*.sh parses (bash -n) and, when shellcheck is installed, is shellcheck-clean;
# - anim.sh, still.sh and array.sh carry the same shared block (render, checkpoint, requeue);
# - the render jobs' headers have the documented defaults (--signal=B:USR1@N, --requeue, %x-%j logs);
# - no site paths, host names or user names (partition/account lines stay commented out);
# - jobs/slurm/README.md mentions every script.
set -uo pipefail
SRC=${1:?usage: check-scripts.sh REPO}
J=$SRC/jobs/slurm
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }
ok() { echo "ok: $*"; }
try() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

scripts=(anim.sh colour.sh submit.sh still.sh array.sh)
for s in "${scripts[@]}"; do
  [ -x "$J/$s" ] || { fail "$s missing or not executable"; continue; }
  try "$s parses (bash -n)" bash -n "$J/$s"
  try "README.md mentions $s" grep -q "$s" "$J/README.md"
done
if command -v shellcheck >/dev/null; then
  try "shellcheck clean" bash -c "cd '$J' && shellcheck ./*.sh"
else
  echo "note: shellcheck not installed, skipped"
fi

block() { sed -n '/^# >>> shared block/,/^# <<< end of shared block/p' "$J/$1"; }
[ "$(block anim.sh | wc -l)" -gt 50 ] || fail "anim.sh: shared block not found"
for s in still.sh array.sh; do
  if diff <(block anim.sh) <(block "$s") >/dev/null; then ok "$s: shared block identical to anim.sh"
  else fail "$s: shared block differs from anim.sh:"; diff <(block anim.sh) <(block "$s") | head -20; fi
done

for s in anim.sh still.sh array.sh; do
  for want in '^#SBATCH --nodes=' '^#SBATCH --ntasks-per-node=' '^#SBATCH --cpus-per-task=' '^#SBATCH --time=' \
              '^#SBATCH --signal=B:USR1@[0-9]+$' '^#SBATCH --requeue$' '^#SBATCH --output=%x-%[jA]'; do
    grep -qE -- "$want" "$J/$s" || fail "$s: no header line matching $want"
  done
done
ok "render job headers"
grep -qE '^#SBATCH --output=%x-%j' "$J/colour.sh" || fail "colour.sh: no %x-%j log name"

# Site specifics: absolute paths other than system tools, user/host names, active partition/account.
bad=$(grep -nE '(/home/|/work/|/scratch|/gpfs|/lustre|/project|/apps/|/opt/|/usr/local/)|^#SBATCH +(--partition|--account|-p |-A )|--mail-user|@[a-z0-9-]+\.[a-z]{2,}' \
      "$J"/*.sh | grep -v '^[^:]*:[0-9]*: *#.*e\.g\.' || true)
if [ -z "$bad" ]; then ok "no site paths, host or user names"; else fail "site-specific lines:"; echo "$bad"; fi
[ "$FAILED" -eq 0 ] || exit 1
echo "passed"
