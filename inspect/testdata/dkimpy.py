#!/usr/bin/python3
"""Sign and verify test messages with dkimpy (python3-dkim), the peer that
Sealtrace's DKIM and ARC verifiers are checked against.

Reads a JSON request on stdin: {"dns": "127.0.0.1:PORT", "cases": [{"name",
"message", "steps": [...]}]}, where each step is one of
  {"op": "dkim", "domain", "selector", "key", "algo", "canon", "length", "headers"}
  {"op": "arc", "domain", "selector", "key", "srv_id"}
  {"op": "prepend", "text"}          add header lines at the top
  {"op": "append_body", "text"}      change the body after signing
  {"op": "replace", "old", "new"}    change a header after signing
"now" (Unix seconds), when given, fixes the signing time.
Writes {"name": {"message", "dkim": [bool, ...], "errors": [str, ...], "arc": "pass|fail|none"}},
where errors[i] is dkimpy's exception for signature i ("ValidationError: x= value
is past (…)"), empty when verify returned.
dkimpy verifies through dnspython against the same DNS server Sealtrace uses.
"""
import json
import sys

import dkim
import dns.resolver


def main():
    req = json.load(sys.stdin)
    host, port = req["dns"].rsplit(":", 1)
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = [host]
    r.port = int(port)
    dns.resolver.default_resolver = r

    if req.get("now"):
        # Fixed signing times (t=) for reproducible output such as the demo.
        import time
        fixed = int(req["now"])
        time.time = lambda: fixed
    out = {}
    for case in req["cases"]:
        msg = case["message"].replace("\r\n", "\n").replace("\n", "\r\n").encode()
        for st in case["steps"]:
            op = st["op"]
            if op == "dkim":
                c = st.get("canon", "relaxed/relaxed").split("/")
                headers = [h.encode() for h in st["headers"]] if st.get("headers") else None
                sig = dkim.sign(msg, st["selector"].encode(), st["domain"].encode(),
                                open(st["key"], "rb").read(),
                                canonicalize=(c[0].encode(), c[1].encode()),
                                signature_algorithm=st.get("algo", "rsa-sha256").encode(),
                                include_headers=headers, length=bool(st.get("length")))
                msg = sig + msg
            elif op == "arc":
                lines = dkim.arc_sign(msg, st["selector"].encode(), st["domain"].encode(),
                                      open(st["key"], "rb").read(), st["srv_id"].encode(),
                                      include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
                msg = b"".join(lines) + msg
            elif op == "prepend":
                msg = st["text"].replace("\n", "\r\n").encode() + msg
            elif op == "append_body":
                msg = msg + st["text"].replace("\n", "\r\n").encode()
            elif op == "replace":
                msg = msg.replace(st["old"].encode(), st["new"].encode(), 1)
            else:
                raise SystemExit("unknown op " + op)
        d = dkim.DKIM(msg, minkey=1024)
        nsigs = sum(1 for h in d.headers if h[0].lower() == b"dkim-signature")
        verdicts, errors = [], []
        for i in range(nsigs):
            try:
                verdicts.append(bool(dkim.DKIM(msg).verify(idx=i)))
                errors.append("")
            except Exception as e:
                verdicts.append(False)
                errors.append("%s: %s" % (type(e).__name__, e))
        cv, _, _ = dkim.arc_verify(msg)
        out[case["name"]] = {"message": msg.decode(), "dkim": verdicts, "errors": errors, "arc": cv.decode().lower()}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
