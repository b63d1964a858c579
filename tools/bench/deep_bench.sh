#!/usr/bin/env bash
# Deep zoom, plain perturbation: the six Kalles Fraktaler benchmark locations at their own
# iteration counts, 1 core (-np 1) and 2 cores (-np 2), one line per run (docs/PERFORMANCE.md).
#   tools/bench/deep_bench.sh [BUILD_DIR] [WORK_DIR]     SIZES="1e14:1024 5e113:512 ..." to override
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
WORK=${2:-/tmp/fractal-deep-bench}
SIZES=${SIZES:-"1e14:1024 5e113:512 1e50:256 4e533:128 5e227:64 1e1086:64"}
NPS=${NPS:-"1 2"}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
mkdir -p "$WORK"
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' '); load $(cut -d' ' -f1-3 /proc/loadavg)"
for spec in $SIZES; do
  name=${spec%:*}; size=${spec#*:}
  for np in $NPS; do
    out="$WORK/$name-$size-np$np.h5"; log="${out%.h5}.log"
    rm -f "$out"
    mpirun --mca pml ob1 -np "$np" "$BUILD/fractal-render" --location "$ROOT/tests/data/locations/$name.kfr" \
      --width "$size" --height "$size" -o "$out" > "$log" 2>&1
    ref=$(sed -n 's/.*reference orbits computed in \([0-9.]*\) s.*/\1/p' "$log")
    its=$(awk '/^  iterations/ {print $2}' "$log")
    wall=$(awk '/^  wall time/ {print $3}' "$log")
    echo "$name ${size}x$size np=$np reference_s=$ref iterations=$its render_s=$wall"
  done
done
