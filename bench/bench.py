#!/usr/bin/python3
"""Benchmark: sealtrace-cli against dkimpy on one generated corpus.

The corpus is deterministic (seeded): N messages of 2-200 KB, 70% signed
rsa-sha256 2048 relaxed/relaxed, 20% ed25519-sha256, 10% signed then passed
through a mailing list (footer added) and ARC-sealed once. dkimpy signs
them. Then, in the same run:
  - sealtrace-cli inspect --format json --dns-zone ZONE corpus.mbox
    (a separate process: wall time and peak RSS through getrusage)
  - dkimpy verifying every DKIM signature and ARC chain of the same mbox in
    one Python process, with the same keys from a dict (no DNS either side).
"""
import argparse
import base64
import json
import os
import random
import subprocess
import sys
import time

import dkim
import nacl.signing

WORDS = ("the quarterly numbers are attached and the meeting moved to thursday "
         "please confirm your seat before friday so that we can order lunch").split()


def rsa_key(path):
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", path, "2048"], check=True,
                   stderr=subprocess.DEVNULL)
    der = subprocess.run(["openssl", "rsa", "-in", path, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return open(path, "rb").read(), base64.b64encode(der).decode()


def txt_record(name, value):
    chunks = [value[i:i + 255] for i in range(0, len(value), 255)]
    return name + ". 3600 IN TXT " + " ".join('"%s"' % c for c in chunks) + "\n"


def body_of(rng, size):
    lines, n = [], 0
    while n < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
        if rng.random() < 0.1:
            line = "  " + line.replace(" ", "   ", 2) + " \t"
        lines.append(line)
        n += len(line) + 2
    return "\r\n".join(lines) + "\r\n"


def generate(out, n, seed):
    rng = random.Random(seed)
    rsa_priv, rsa_pub = rsa_key(os.path.join(out, "rsa.pem"))
    list_priv, list_pub = rsa_key(os.path.join(out, "list.pem"))
    seed_bytes = bytes(rng.getrandbits(8) for _ in range(32))
    ed_priv = base64.b64encode(seed_bytes)
    ed_pub = base64.b64encode(bytes(nacl.signing.SigningKey(seed_bytes).verify_key)).decode()
    records = {
        "rsa._domainkey.example.com": "v=DKIM1; k=rsa; p=" + rsa_pub,
        "ed._domainkey.example.com": "v=DKIM1; k=ed25519; p=" + ed_pub,
        "list._domainkey.lists.example.org": "v=DKIM1; k=rsa; p=" + list_pub,
        "example.com": "v=spf1 ip4:192.0.2.0/24 -all",
        "lists.example.org": "v=spf1 ip4:198.51.100.0/24 -all",
        "_dmarc.example.com": "v=DMARC1; p=reject",
    }
    with open(os.path.join(out, "corpus.zone"), "w") as z:
        for name, value in records.items():
            z.write(txt_record(name, value))
    mbox_path = os.path.join(out, "corpus.mbox")
    with open(mbox_path, "wb") as mb:
        for i in range(n):
            kind = rng.random()
            size = rng.randint(2 * 1024, 200 * 1024)
            hdr = ("Return-Path: <alice@example.com>\r\n"
                   "Received: from mail.example.com (mail.example.com [192.0.2.10]) by mx.receiver.test with ESMTPS; Mon, 23 Nov 2026 10:00:00 +0000\r\n"
                   "From: Alice <alice@example.com>\r\nTo: bob@receiver.test\r\nSubject: message %d\r\n"
                   "Date: Mon, 23 Nov 2026 09:59:00 +0000\r\nMessage-ID: <bench-%d@example.com>\r\n\r\n" % (i, i))
            msg = (hdr + body_of(rng, size)).encode()
            if kind < 0.7 or kind >= 0.9:
                msg = dkim.sign(msg, b"rsa", b"example.com", rsa_priv, canonicalize=(b"relaxed", b"relaxed")) + msg
            else:
                msg = dkim.sign(msg, b"ed", b"example.com", ed_priv, canonicalize=(b"relaxed", b"relaxed"),
                                signature_algorithm=b"ed25519-sha256") + msg
            if kind >= 0.9:
                msg += b"-- \r\nstaff-talk mailing list\r\n"
                msg = (b"Authentication-Results: lists.example.org; dkim=pass header.d=example.com\r\n") + msg
                msg = b"".join(dkim.arc_sign(msg, b"list", b"lists.example.org", list_priv, b"lists.example.org",
                                             include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])) + msg
            mb.write(b"From MAILER-DAEMON Mon Nov 23 10:00:00 2026\n")
            for line in msg.replace(b"\r\n", b"\n").split(b"\n")[:-1]:
                if line.lstrip(b">").startswith(b"From "):
                    line = b">" + line
                mb.write(line + b"\n")
            mb.write(b"\n")
    return mbox_path, {k.encode(): v.encode() for k, v in records.items()}


def read_mbox(path):
    """Yields each message of an mboxrd file as CRLF bytes, unquoting >From."""
    msg, prev_blank = None, True
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"From ") and prev_blank:
                if msg is not None:
                    yield b"".join(msg[:-1] if msg and msg[-1] == b"\r\n" else msg)
                msg = []
            elif msg is not None:
                body = line.rstrip(b"\n")
                if body.lstrip(b">").startswith(b"From ") and body.startswith(b">"):
                    body = body[1:]
                msg.append(body + b"\r\n")
            prev_blank = line in (b"\n", b"\r\n")
    if msg:
        yield b"".join(msg[:-1] if msg[-1] == b"\r\n" else msg)


def run_dkimpy(mbox_path, records):
    def dnsfunc(name, timeout=5):
        n = name.decode() if isinstance(name, bytes) else name
        return records.get(n.rstrip(".").encode())
    ok = n = arc_ok = 0
    start = time.perf_counter()
    for raw in read_mbox(mbox_path):
        d = dkim.DKIM(raw)
        sigs = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
        for idx in range(sigs):
            try:
                ok += bool(dkim.DKIM(raw).verify(idx=idx, dnsfunc=dnsfunc))
            except dkim.DKIMException:
                pass
        if b"ARC-Seal" in raw[:4096]:
            cv, _, _ = dkim.arc_verify(raw, dnsfunc=dnsfunc)
            arc_ok += cv == b"pass"
        n += 1
    return n, time.perf_counter() - start, ok, arc_ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=2026)
    a = ap.parse_args()

    t0 = time.perf_counter()
    mbox_path, records = generate(a.out, a.n, a.seed)
    print("corpus: %d messages, %.1f MB, generated and signed by dkimpy in %.1f s"
          % (a.n, os.path.getsize(mbox_path) / 1e6, time.perf_counter() - t0))

    start = time.perf_counter()
    with open(os.path.join(a.out, "reports.jsonl"), "wb") as out:
        proc = subprocess.Popen([a.cli, "inspect", "--format", "json", "--now", "2026-11-23T12:00:00Z",
                                 "--dns-zone", os.path.join(a.out, "corpus.zone"), mbox_path], stdout=out)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
    st_time = time.perf_counter() - start
    if status != 0:
        print("sealtrace-cli failed with status %d" % status)
        return 1
    rss_mb = usage.ru_maxrss / 1024
    passes = arc_passes = 0
    for line in open(os.path.join(a.out, "reports.jsonl")):
        r = json.loads(line)
        passes += sum(1 for d in r["dkim"] if d["result"] == "pass")
        arc_passes += r["arc"]["result"] == "pass"

    n, py_time, py_ok, py_arc = run_dkimpy(mbox_path, records)
    st_rate, py_rate = a.n / st_time, n / py_time
    print("sealtrace-cli: %6d messages in %6.2f s = %8.0f msg/s, peak RSS %.0f MB (%d DKIM signatures pass, %d ARC chains pass)"
          % (a.n, st_time, st_rate, rss_mb, passes, arc_passes))
    print("dkimpy:        %6d messages in %6.2f s = %8.0f msg/s (%d DKIM signatures pass, %d ARC chains pass)"
          % (n, py_time, py_rate, py_ok, py_arc))
    if passes != py_ok or arc_passes != py_arc:
        print("MISMATCH: the two verifiers disagree on this corpus")
        return 1
    print("ratio: sealtrace-cli is %.1fx dkimpy" % (st_rate / py_rate))


if __name__ == "__main__":
    sys.exit(main())
