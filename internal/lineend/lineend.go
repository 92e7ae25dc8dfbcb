// Package lineend normalizes line ends: messages saved to disk usually have
// bare LF, while signatures (DKIM, ARC, OpenPGP over MIME) are computed over
// the CRLF form (RFC 5322 2.1).
package lineend

import "bytes"

// ToCRLF turns every bare LF into CRLF; it returns raw itself when there
// is nothing to change.
func ToCRLF(raw []byte) []byte {
	lf := bytes.Count(raw, []byte("\n"))
	bare := lf - bytes.Count(raw, []byte("\r\n"))
	if bare == 0 {
		return raw
	}
	out := make([]byte, 0, len(raw)+bare)
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			return append(out, raw...)
		}
		out = append(out, raw[:i]...)
		if i == 0 || raw[i-1] != '\r' {
			out = append(out, '\r')
		}
		out = append(out, '\n')
		raw = raw[i+1:]
	}
	return out
}
