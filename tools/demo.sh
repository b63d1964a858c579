#!/usr/bin/env bash
# README command 1: install the Debian packages, build, and run the demo job end to end:
# configs/quick.cfg on 2 MPI ranks -> out/quick.h5 -> out/quick.mp4.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mkdir -p out
mpirun -np 2 --oversubscribe build/fractal-render configs/quick.cfg -o out/quick.h5 --overwrite
if [ -x build/fractal-colour ]; then
  build/fractal-colour out/quick.h5 --cmap viridis --video out/quick.mp4 --overwrite
  echo "demo: wrote out/quick.h5 and out/quick.mp4"
else
  echo "demo: wrote out/quick.h5"
fi
