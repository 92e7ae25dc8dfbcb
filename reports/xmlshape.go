package reports

import (
	"bytes"
	"fmt"
)

// The shape a report's XML may have. encoding/xml spends memory in
// proportion to what it is given, but not to the bytes: it keeps a stack
// entry (some 100 bytes) per open element, holds every attribute of a start
// tag at once (some 25 times the tag's size), and keeps each xmlns
// declaration bound until its element ends. A few MB shaped that way cost
// GB while staying under Limits.MaxDecompressed. Real reports nest six
// deep, have tags of a few hundred bytes and declare two or three
// namespaces; these bounds are far above that.
const (
	maxXMLDepth = 256
	maxXMLTag   = 64 << 10
	maxXMLNS    = 256
)

// xmlShape scans data for the first place where the XML takes a shape no
// report has: returns its offset and why, or -1. It is a byte scan that
// knows only what costs memory (comments, CDATA sections, processing
// instructions and declarations are stepped over; a '<' that starts no
// name is text a lenient reading may accept) and leaves syntax to
// encoding/xml, which then reads only what comes before the offset.
func xmlShape(data []byte) (int, string) {
	depth, ns := 0, 0
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '<')
		if j < 0 {
			return -1, ""
		}
		p := i + j
		rest := data[p:]
		skipTo := func(end string) int {
			k := bytes.Index(rest, []byte(end))
			if k < 0 {
				return len(data)
			}
			return p + k + len(end)
		}
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i = skipTo("-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			i = skipTo("]]>")
		case bytes.HasPrefix(rest, []byte("<?")):
			i = skipTo("?>")
		case bytes.HasPrefix(rest, []byte("<!")):
			i = skipTo(">")
		case bytes.HasPrefix(rest, []byte("</")):
			k := bytes.IndexByte(rest, '>')
			if k > maxXMLTag || k < 0 && len(rest) > maxXMLTag {
				return p, fmt.Sprintf("a tag longer than %d KiB", maxXMLTag>>10)
			}
			if depth > 0 {
				depth--
			}
			i = skipTo(">")
		case len(rest) > 1 && nameStart(rest[1]):
			// A start tag: to the '>' outside quoted attribute values
			// (a value may hold '>').
			end, quote := -1, byte(0)
			for k := 1; k < len(rest) && k <= maxXMLTag; k++ {
				c := rest[k]
				if quote != 0 {
					if c == quote {
						quote = 0
					}
					continue
				}
				if c == '"' || c == '\'' {
					quote = c
				} else if c == '>' {
					end = k
					break
				}
			}
			if end < 0 {
				if len(rest) > maxXMLTag {
					return p, fmt.Sprintf("a tag longer than %d KiB", maxXMLTag>>10)
				}
				return -1, "" // unterminated: encoding/xml says so
			}
			tag := rest[:end]
			if ns += bytes.Count(tag, []byte("xmlns")); ns > maxXMLNS {
				return p, fmt.Sprintf("more than %d namespace declarations", maxXMLNS)
			}
			if tag[len(tag)-1] != '/' {
				if depth++; depth > maxXMLDepth {
					return p, fmt.Sprintf("elements nested more than %d deep", maxXMLDepth)
				}
			}
			i = p + end + 1
		default:
			i = p + 1
		}
		if i >= len(data) {
			return -1, ""
		}
	}
}

// nameStart: a byte that can begin an XML name (XML 1.0 section 2.3;
// every non-ASCII byte, as a UTF-8 name may start with many of them).
func nameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= 0x80
}
