#!/usr/bin/env bash
# Installs kcube's build and test dependencies from Debian packages. Idempotent: installs only
# what is missing, and runs apt-get update only when something is. Uses sudo when not root.
#   usage: bash tools/setup.sh [clang]
#   clang: also clang 14 with its sanitizer and libFuzzer runtimes, LLVM's OpenMP runtime with
#          the Archer ThreadSanitizer tool, and llvm-symbolizer (tools/fuzz.sh, tools/sanitize.sh)
set -euo pipefail

packages=(
  g++ cmake make
  libboost-dev                  # headers: DLL, Property_tree, Math, Random
  libboost-program-options-dev
  libboost-filesystem-dev
  libyaml-cpp-dev
  nlohmann-json3-dev            # JSON Lines sample logs
  doctest-dev
  libsqlite3-dev sqlite3
  libsleef-dev                  # vectorized log and sincos of the normals (kcube/random.hpp)
  librandom123-dev
  libopenmpi-dev openmpi-bin    # mpirun -np N kcube run: cells shared over MPI ranks
  python3                       # test scripts parse JSON with the standard library
  python3-matplotlib            # kcube report draws its figures with tools/kcube_plot.py
  python3-numpy
  chromium                      # tools/report_browser.py opens report.html headless (tests/browser)
)
for group in "$@"; do
  case "$group" in
    clang) packages+=(clang clang-14 libclang-rt-14-dev libomp-14-dev llvm-14) ;;
    *) echo "setup: unknown group '$group' (known: clang)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} dependencies are installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
