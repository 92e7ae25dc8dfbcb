package inspect

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// tagList is a parsed RFC 6376 3.2 tag=value list (DKIM-Signature, key
// records, ARC-Seal, ARC-Message-Signature), in order of appearance.
type tagList struct {
	names  []string
	values map[string]string
}

var errTagSyntax = errors.New("tag list syntax")

// parseTags parses s. Tag names are case-sensitive (RFC 6376 3.2); a tag
// that appears twice is an error, and so is an empty tag-spec before the
// end (";;"), which the ABNF does not allow. Key records are read leniently
// (lenient=true: empty specs skipped), as DNS publishers are sloppier.
func parseTags(s string, lenient bool) (*tagList, error) {
	t := &tagList{values: map[string]string{}}
	specs := strings.Split(s, ";")
	for n, spec := range specs {
		if strings.Trim(spec, " \t\r\n") == "" {
			if n == len(specs)-1 || lenient {
				continue // the optional ";" at the end
			}
			return nil, fmt.Errorf("%w: an empty tag between two ';'", errTagSyntax)
		}
		eq := strings.IndexByte(spec, '=')
		if eq < 0 {
			return nil, fmt.Errorf("%w: %q has no '='", errTagSyntax, clipS(strings.TrimSpace(spec)))
		}
		name := strings.Trim(spec[:eq], " \t\r\n")
		if !validTagName(name) {
			return nil, fmt.Errorf("%w: %q is not a tag name", errTagSyntax, clipS(name))
		}
		if _, dup := t.values[name]; dup {
			return nil, fmt.Errorf("%w: tag %s= appears twice", errTagSyntax, name)
		}
		t.names = append(t.names, name)
		t.values[name] = strings.Trim(spec[eq+1:], " \t\r\n")
	}
	return t, nil
}

func validTagName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

func (t *tagList) get(name string) (string, bool) {
	v, ok := t.values[name]
	return v, ok
}

func (t *tagList) value(name string) string { return t.values[name] }

// stripWSP removes all folding white space, as base64 tag values and
// colon-separated lists may contain it anywhere (RFC 6376 3.5).
func stripWSP(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
}

func decodeB64(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(stripWSP(s))
}

func clipS(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
