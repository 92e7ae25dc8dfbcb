package main

import (
	"bufio"
	"bytes"
	"io"
)

// maxLeadingBlank bounds the blank lines looked past before a header: a
// paste has a few; past this the input is taken as it is.
const maxLeadingBlank = 4096

// skipLeadingBlankLines returns r without the whole lines of only spaces,
// tabs and line ends that come before its first other line, and how many
// lines it skipped. Headers pasted from a ticket often start with a blank
// line, which RFC 5322 2.1 would read as an empty header followed by the
// whole paste as the body; no message starts with one on purpose, and the
// header and body after it are left byte for byte (DKIM hashes them).
func skipLeadingBlankLines(r io.Reader) (io.Reader, int) {
	br := bufio.NewReaderSize(r, maxLeadingBlank)
	buf, _ := br.Peek(maxLeadingBlank)
	skip, lines := 0, 0
	for {
		nl := bytes.IndexByte(buf[skip:], '\n')
		if nl < 0 || len(bytes.Trim(buf[skip:skip+nl], " \t\r")) != 0 {
			break
		}
		skip += nl + 1
		lines++
	}
	br.Discard(skip)
	return br, lines
}
