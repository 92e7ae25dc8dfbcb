#!/usr/bin/env bash
# make bench: Sealtrace's CLI against dkimpy on the same generated mbox, in
# one run; prints both rates, their ratio and Sealtrace's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
exec /usr/bin/python3 bench/bench.py --cli bin/sealtrace-cli --out bench/out "$@"
