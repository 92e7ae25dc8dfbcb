package pgp

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime/quotedprintable"
)

func decodeBase64(b []byte) []byte {
	clean := bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, b)
	out, err := base64.StdEncoding.DecodeString(string(clean))
	if err != nil {
		return b
	}
	return out
}

func decodeQP(b []byte) []byte {
	out, err := io.ReadAll(io.LimitReader(quotedprintable.NewReader(bytes.NewReader(b)), MaxPlaintext))
	if err != nil {
		return b
	}
	return out
}
