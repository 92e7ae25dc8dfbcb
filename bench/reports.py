#!/usr/bin/python3
"""Benchmark: reading DMARC aggregate reports, Sealtrace against dmarc-cat and
Mail::DMARC, on one generated folder, in the same run.

The folder: N reports (default 10,000) from dmarcbench gen (seeded, so the
same every run): 1-500 records each (log-uniform, so most are small as
real ones are), a quarter in RFC 9990's dmarc-2.0 schema, half .xml.gz and
half .zip, named receiver!domain!begin!end as RFC 7489 section 7.2.1.1 says.

  - Sealtrace: `sealtrace-cli reports --format json DIR` (one process);
    while the CLI has no reports command, `dmarcbench read DIR`, which runs
    the same reader and writes the same JSON.
  - Mail::DMARC: maildmarc.pl (its receiver, its store switched off) over
    every file in one perl process, printing only each report's record
    count (its JSON::PP writer would add a third); with the dmarc-2.0
    namespace declaration removed before it reads (as sent it reads nothing
    from an RFC 9990 report and would look faster than it is).
  - dmarc-cat: one process per file (it reads one file per run), -N (no
    DNS) -j 1, its table to a file.

Each runs under /usr/bin/time -v: wall time, CPU time (user + system) and
peak RSS. The machine is shared, so CPU time is the fairer ratio; both are
printed.
"""
import argparse
import os
import re
import subprocess
import sys


def timed(cmd, stdin=None, stdout=None, env=None):
    tf = stdout + ".time"
    with open(stdout, "wb") as out:
        p = subprocess.run(["/usr/bin/time", "-v", "-o", tf] + cmd, input=stdin, stdout=out,
                           stderr=subprocess.PIPE, env=env)
    t = open(tf).read()

    def field(name):
        m = re.search(re.escape(name) + r": (.*)", t)
        return m.group(1).strip() if m else "0"
    wall = 0.0
    for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
        wall = wall * 60 + float(part)
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    rss = int(field("Maximum resident set size (kbytes)")) / 1024.0
    return {"wall": wall, "cpu": cpu, "rss": rss, "rc": p.returncode, "stderr": p.stderr.decode(errors="replace")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default="bin/sealtrace-cli")
    ap.add_argument("--gen", default="bench/out/dmarcbench")
    ap.add_argument("--out", default="bench/out")
    ap.add_argument("--reports", type=int, default=int(os.environ.get("BENCH_REPORTS", "10000")))
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()

    d = os.path.join(a.out, "reports-%d-%d" % (a.reports, a.seed))
    if not os.path.isdir(d) or len(os.listdir(d)) != a.reports:
        subprocess.run(["rm", "-rf", d], check=True)
        subprocess.run([a.gen, "gen", "-seed", str(a.seed), "-n", str(a.reports), d], check=True)
    files = sorted(os.path.join(d, f) for f in os.listdir(d))
    size = sum(os.path.getsize(f) for f in files)
    print("DMARC aggregate reports: %d files (%.1f MB compressed) in %s" % (len(files), size / 1e6, d))

    probe = subprocess.run([a.cli, "reports", "--format", "json", os.devnull], capture_output=True)
    if b"unknown command" in probe.stderr:
        ours_cmd, ours_name = [a.gen, "read", d], "sealtrace (dmarcbench read: the CLI has no reports command yet)"
    else:
        ours_cmd, ours_name = [a.cli, "reports", "--format", "json", d], "sealtrace-cli reports --format json"

    res = {}
    o = os.path.join(a.out, "reports-ours.jsonl")
    res["ours"] = timed(ours_cmd, stdout=o)
    res["ours"]["read"] = sum(1 for line in open(o, "rb") if line.startswith(b'{"kind":"aggregate"'))

    o = os.path.join(a.out, "reports-maildmarc.jsonl")
    res["md"] = timed(["perl", "internal/testpeers/dmarcpeers/maildmarc.pl"],
                      stdin="\n".join(files).encode() + b"\n", stdout=o,
                      env=dict(os.environ, MAILDMARC_STRIP_NS="1", MAILDMARC_COUNT_ONLY="1"))
    res["md"]["read"] = sum(1 for line in open(o, "rb") if b'"ok":true' in line)

    o = os.path.join(a.out, "reports-dmarccat.txt")
    res["cat"] = timed(["xargs", "-0", "-n", "1", "dmarc-cat", "-N", "-j", "1"],
                       stdin=b"\0".join(f.encode() for f in files), stdout=o)
    res["cat"]["read"] = sum(1 for line in open(o, "rb") if line.startswith(b"Reporting by: "))

    names = {"ours": ours_name, "md": "Mail::DMARC (perl, one process)", "cat": "dmarc-cat (one process a file)"}
    for k in ("ours", "md", "cat"):
        r = res[k]
        print("  %-62s %5d/%d read  wall %7.1f s  cpu %7.1f s  peak RSS %6.1f MB" %
              (names[k], r["read"], len(files), r["wall"], r["cpu"], r["rss"]))
        if r["read"] != len(files):
            print("    (exit %d) %s" % (r["rc"], r["stderr"].strip()[-300:]))
    for k in ("md", "cat"):
        print("  %s / sealtrace: %.1fx the wall time, %.1fx the CPU time" %
              (names[k].split(" (")[0], res[k]["wall"] / max(res["ours"]["wall"], 1e-3),
               res[k]["cpu"] / max(res["ours"]["cpu"], 1e-3)))
    ok = all(res[k]["cpu"] > res["ours"]["cpu"] for k in ("md", "cat")) and res["ours"]["rss"] < 300
    print("  target (faster than both, under 300 MB): %s" % ("met" if ok else "NOT met"))
    if res["ours"]["read"] != len(files):
        sys.exit(1)


if __name__ == "__main__":
    main()
