#!/usr/bin/env bash
# make bench: Sealtrace's CLI against dkimpy on the same generated mbox, in
# one run (both rates, their ratio, Sealtrace's peak RSS); then the engine
# per message and the desktop app's opening of a 10,000-message mbox.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
/usr/bin/python3 bench/bench.py --cli bin/sealtrace-cli --out bench/out "$@"
echo
go test ./inspect -run '^$' -bench Inspect100KB -benchtime 2s | grep Benchmark
CGO_ENABLED=0 go test ./ui -run '^$' -bench Open10k -benchtime 1x | grep Benchmark
