#!/usr/bin/env bash
# Installs every Debian 12 package fractal-hpc needs to build, test and run.
# Idempotent and non-interactive; run as root (or with sudo available).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential g++ cmake pkg-config git
  # MPI + OpenMP (OpenMP comes with GCC)
  openmpi-bin libopenmpi-dev
  # parallel HDF5 built against Open MPI, plus h5dump for tests
  libhdf5-openmpi-dev hdf5-tools zlib1g-dev
  # fast zlib-format (de)compression of chunks, bit-compatible with HDF5's deflate filter
  libdeflate-dev
  # configuration parsing
  libboost-program-options-dev
  # fractal-colour: PNG and the FFmpeg libraries (ffprobe for tests)
  libpng-dev libavcodec-dev libavformat-dev libavutil-dev libswscale-dev ffmpeg
  # fractal-colour --exr: OpenEXR 3 (exrheader from openexr for tests)
  libopenexr-dev openexr
  # deep zoom: arbitrary-precision reference orbits (MPFR, with GMP)
  libmpfr-dev libgmp-dev
  # tests
  googletest libgtest-dev
  # Python readers used by tests and tools (Debian's, at /usr/bin/python3)
  python3 python3-numpy python3-h5py python3-matplotlib python3-gmpy2 python3-mpmath
  # tests: a real one-node Slurm for jobs/slurm/ (tests/slurm), network namespaces (tests/multihost)
  slurmctld slurmd slurm-client munge iproute2
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps.sh: error: must run as root or with sudo" >&2; exit 1
  fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps.sh: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-o DPkg::Lock::Timeout=600 -y -q)
$SUDO apt-get "${APT_OPTS[@]}" update
$SUDO apt-get "${APT_OPTS[@]}" install --no-install-recommends "${missing[@]}"
