#!/usr/bin/env bash
# make bench: Sealtrace's CLI against dkimpy on the same generated mbox, in
# one run (both rates, their ratio, Sealtrace's peak RSS); then the engine
# per message, the desktop app's opening of a 15,000-message mbox, and
# decrypting a 10 MB PGP/MIME message against gpg --decrypt, and a DANE
# lookup with the zone keys already validated; then DMARC aggregate reports
# against dmarc-cat and Mail::DMARC (bench/reports.py).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
/usr/bin/python3 bench/bench.py --cli bin/sealtrace-cli --out bench/out "$@"
echo
go test ./inspect -run '^$' -bench Inspect100KB -benchtime 2s | grep Benchmark
CGO_ENABLED=0 go test ./ui -run '^$' -bench 'Open10k|Table100k|IMAP10k' -benchtime 1x | grep Benchmark
go test ./pgp -run '^$' -bench Decrypt10MB -benchtime 3x | grep Benchmark
go test ./dane -run '^$' -bench LookupWarm -benchtime 200x | grep Benchmark
echo
# DMARC aggregate reports: Sealtrace against dmarc-cat and Mail::DMARC on
# the same 10,000 generated reports (BENCH_REPORTS=N for another count).
go build -o bench/out/dmarcbench ./internal/testpeers/dmarcpeers/dmarcbench
/usr/bin/python3 bench/reports.py --cli bin/sealtrace-cli --gen bench/out/dmarcbench --out bench/out
go test ./reports -run '^$' -bench ReadAggregate -benchtime 2s | grep Benchmark
