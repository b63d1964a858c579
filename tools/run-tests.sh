#!/usr/bin/env bash
# README command 2: install the Debian packages, build, run every test. Exit status = ctest's.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
# Open MPI refuses to start as root without these; harmless for other users.
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure --timeout 600 "$@"
