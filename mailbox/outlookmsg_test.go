package mailbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"
)

// cfbEntry is a storage or stream of a test container; parent is the index
// of its storage in the list (-1: the root).
type cfbEntry struct {
	name    string
	storage bool
	parent  int
	data    []byte
}

// buildCFB writes a minimal Compound File Binary container ([MS-CFB],
// version 3, 512-byte sectors): streams under 4096 bytes in the mini stream
// (2.6.3), the others in sectors of their own, one FAT without DIFAT
// sectors, siblings as a chain of right children in name order (2.6.4).
// No CFB writer is kept in Go's ecosystem beside readers, hence this one,
// for tests only.
func buildCFB(entries []cfbEntry) []byte {
	const (
		sector     = 512
		mini       = 64
		cutoff     = 4096
		endChain   = 0xFFFFFFFE
		freeSect   = 0xFFFFFFFF
		fatSect    = 0xFFFFFFFD
		noStream   = 0xFFFFFFFF
		entrySize  = 128
		perSector  = sector / 4
		maxHdrFATs = 109
	)
	n := len(entries) + 1 // with the root
	start := make([]uint32, n)
	var miniStream []byte
	var miniFAT []uint32
	for i, e := range entries {
		if e.storage || len(e.data) >= cutoff {
			continue
		}
		if len(e.data) == 0 {
			start[i+1] = endChain
			continue
		}
		first := uint32(len(miniStream) / mini)
		count := (len(e.data) + mini - 1) / mini
		for k := 0; k < count; k++ {
			if k == count-1 {
				miniFAT = append(miniFAT, endChain)
			} else {
				miniFAT = append(miniFAT, first+uint32(k)+1)
			}
		}
		miniStream = append(miniStream, e.data...)
		miniStream = append(miniStream, make([]byte, count*mini-len(e.data))...)
		start[i+1] = first
	}
	secs := func(b int) int { return (b + sector - 1) / sector }
	dirSecs := secs(n * entrySize)
	miniFATSecs := secs(len(miniFAT) * 4)
	miniStreamSecs := secs(len(miniStream))
	other := dirSecs + miniFATSecs + miniStreamSecs
	for _, e := range entries {
		if !e.storage && len(e.data) >= cutoff {
			other += secs(len(e.data))
		}
	}
	fatSecs := 1
	for fatSecs*perSector < other+fatSecs {
		fatSecs++
	}
	if fatSecs > maxHdrFATs {
		panic("test container too large")
	}
	total := fatSecs + other
	fat := make([]uint32, fatSecs*perSector)
	for i := range fat {
		fat[i] = freeSect
	}
	for i := 0; i < fatSecs; i++ {
		fat[i] = fatSect
	}
	next := fatSecs
	chain := func(count int) uint32 {
		if count == 0 {
			return endChain
		}
		first := next
		for k := 0; k < count; k++ {
			if k == count-1 {
				fat[next] = endChain
			} else {
				fat[next] = uint32(next + 1)
			}
			next++
		}
		return uint32(first)
	}
	dirStart := chain(dirSecs)
	miniFATStart := chain(miniFATSecs)
	miniStreamStart := chain(miniStreamSecs)
	for i, e := range entries {
		if !e.storage && len(e.data) >= cutoff {
			start[i+1] = chain(secs(len(e.data)))
		}
	}
	out := make([]byte, sector*(1+total))
	le := binary.LittleEndian
	h := out[:sector]
	copy(h, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	le.PutUint16(h[24:], 0x003E)
	le.PutUint16(h[26:], 3)
	le.PutUint16(h[28:], 0xFFFE)
	le.PutUint16(h[30:], 9)
	le.PutUint16(h[32:], 6)
	le.PutUint32(h[44:], uint32(fatSecs))
	le.PutUint32(h[48:], dirStart)
	le.PutUint32(h[56:], cutoff)
	le.PutUint32(h[60:], miniFATStart)
	le.PutUint32(h[64:], uint32(miniFATSecs))
	le.PutUint32(h[68:], endChain)
	for i := 0; i < maxHdrFATs; i++ {
		v := uint32(freeSect)
		if i < fatSecs {
			v = uint32(i)
		}
		le.PutUint32(h[76+4*i:], v)
	}
	at := func(s int) []byte { return out[sector*(1+s) : sector*(2+s)] }
	for i, v := range fat {
		le.PutUint32(at(i / perSector)[4*(i%perSector):], v)
	}
	// Directory: the children of each storage, in CFB order (length, then
	// upper case), linked as right siblings.
	left, right, child := make([]uint32, n), make([]uint32, n), make([]uint32, n)
	for i := range left {
		left[i], right[i], child[i] = noStream, noStream, noStream
	}
	kids := map[int][]int{}
	for i, e := range entries {
		kids[e.parent+1] = append(kids[e.parent+1], i+1)
	}
	for p, ks := range kids {
		sort.Slice(ks, func(a, b int) bool {
			x, y := entries[ks[a]-1].name, entries[ks[b]-1].name
			if len(x) != len(y) {
				return len(x) < len(y)
			}
			return strings.ToUpper(x) < strings.ToUpper(y)
		})
		child[p] = uint32(ks[0])
		for k := 0; k+1 < len(ks); k++ {
			right[ks[k]] = uint32(ks[k+1])
		}
	}
	dir := make([]byte, dirSecs*sector)
	for i := 0; i < dirSecs*sector/entrySize; i++ {
		d := dir[i*entrySize : (i+1)*entrySize]
		le.PutUint32(d[68:], noStream)
		le.PutUint32(d[72:], noStream)
		le.PutUint32(d[76:], noStream)
		if i >= n {
			continue
		}
		name, typ, size, st := "Root Entry", byte(5), uint32(len(miniStream)), miniStreamStart
		if i > 0 {
			e := entries[i-1]
			name, typ, size, st = e.name, 2, uint32(len(e.data)), start[i]
			if e.storage {
				typ, size, st = 1, 0, 0
			}
		}
		u := utf16.Encode([]rune(name))
		for k, c := range u {
			le.PutUint16(d[2*k:], c)
		}
		le.PutUint16(d[64:], uint16(2*len(u)+2))
		d[66], d[67] = typ, 1 // black
		le.PutUint32(d[68:], left[i])
		le.PutUint32(d[72:], right[i])
		le.PutUint32(d[76:], child[i])
		le.PutUint32(d[116:], st)
		le.PutUint32(d[120:], size)
	}
	copy(out[sector*(1+int(dirStart)):], dir)
	mf := make([]byte, miniFATSecs*sector)
	for i := range mf[:] {
		mf[i] = 0xFF
	}
	for i, v := range miniFAT {
		le.PutUint32(mf[4*i:], v)
	}
	if miniFATSecs > 0 {
		copy(out[sector*(1+int(miniFATStart)):], mf)
	}
	if miniStreamSecs > 0 {
		copy(out[sector*(1+int(miniStreamStart)):], miniStream)
	}
	for i, e := range entries {
		if !e.storage && len(e.data) >= cutoff {
			copy(out[sector*(1+int(start[i+1])):], e.data)
		}
	}
	return out
}

func utf16le(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = append(b, byte(c), byte(c>>8))
	}
	return append(b, 0, 0)
}

// The transport headers of a message received by Exchange Online, as
// Outlook keeps them (CRLF, folded as they arrived).
const msgHeaders = "Received: from AM0PR01MB1234.eurprd01.prod.exchangelabs.com (2603:10a6:208:1::1)\r\n by AM9PR01MB5678.eurprd01.prod.exchangelabs.com with HTTPS; Mon, 2 Jun 2025\r\n 10:00:02 +0000\r\n" +
	"Authentication-Results: spf=pass (sender IP is 192.0.2.7)\r\n smtp.mailfrom=example.net; dkim=pass (signature was verified)\r\n header.d=example.net;dmarc=pass action=none\r\n header.from=example.net;compauth=pass reason=100\r\n" +
	"DKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=s1; h=from:subject; bh=AAAA; b=BBBB\r\n" +
	"From: \"Bank\" <alerts@example.net>\r\nSubject: =?utf-8?q?V=C3=A9rifiez?=\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=\"utf-8\"\r\n\r\n"

func TestReadOutlookMsg(t *testing.T) {
	body := "Cliquez ici : https://example.net/vérifier\r\n"
	long := msgHeaders
	for len(utf16le(long)) < 5000 { // past the mini-stream cutoff: regular sectors
		long = "X-Long: " + strings.Repeat("x", 70) + "\r\n" + long
	}
	embedded := "From: other@example.com\r\nSubject: not this one\r\n\r\n"
	attach := func(es ...cfbEntry) []cfbEntry {
		// An attachment storage holding an embedded message's own headers:
		// not the message's.
		return append(es,
			cfbEntry{name: "__attach_version1.0_#00000000", storage: true, parent: -1},
			cfbEntry{name: "__substg1.0_007D001F", parent: len(es), data: utf16le(embedded)},
			cfbEntry{name: "__substg1.0_3001001F", parent: len(es), data: utf16le("attachment.txt")})
	}
	for _, c := range []struct {
		name    string
		entries []cfbEntry
		want    string
	}{
		{"Unicode headers and body (mini stream)", attach(
			cfbEntry{name: "__substg1.0_0037001F", parent: -1, data: utf16le("Vérifiez")},
			cfbEntry{name: "__substg1.0_007D001F", parent: -1, data: utf16le(msgHeaders)},
			cfbEntry{name: "__substg1.0_1000001F", parent: -1, data: utf16le(body)},
			cfbEntry{name: "__properties_version1.0", parent: -1, data: make([]byte, 32)}), msgHeaders + body},
		{"long headers in regular sectors", attach(
			cfbEntry{name: "__substg1.0_007D001F", parent: -1, data: utf16le(long)},
			cfbEntry{name: "__substg1.0_1000001F", parent: -1, data: utf16le(body)}), long + body},
		{"8-bit headers (PT_STRING8), no body", []cfbEntry{
			{name: "__substg1.0_007D001E", parent: -1, data: append([]byte(strings.ReplaceAll(msgHeaders, "\r\n", "\n")), 0)}}, msgHeaders},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := buildCFB(c.entries)
			got, err := ReadOutlookMsg(bytes.NewReader(file), int64(len(file)))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got\n%q\nwant\n%q", got, c.want)
			}
		})
	}
	// A draft: no transport headers.
	file := buildCFB([]cfbEntry{{name: "__substg1.0_0037001F", parent: -1, data: utf16le("draft")}})
	if _, err := ReadOutlookMsg(bytes.NewReader(file), int64(len(file))); !errors.Is(err, ErrNoTransportHeaders) {
		t.Errorf("a draft: %v", err)
	}
	// Not a container, and a container cut short.
	for _, bad := range [][]byte{[]byte(suspect), buildCFB(attach())[:700]} {
		if _, err := ReadOutlookMsg(bytes.NewReader(bad), int64(len(bad))); err == nil {
			t.Errorf("%d bytes of non-.msg read without error", len(bad))
		}
	}
	if _, err := ReadOutlookMsg(bytes.NewReader(nil), MaxMsgFile+1); err == nil {
		t.Error("a file over the bound was read")
	}
}

func FuzzOutlookMsg(f *testing.F) {
	f.Add(buildCFB([]cfbEntry{{name: "__substg1.0_007D001F", parent: -1, data: utf16le(msgHeaders)}}))
	f.Add(buildCFB([]cfbEntry{{name: "s", storage: true, parent: -1}, {name: "__substg1.0_007D001E", parent: 0, data: []byte("A: b\r\n")},
		{name: "__substg1.0_1000001E", parent: -1, data: bytes.Repeat([]byte("body\r\n"), 800)}}))
	f.Add([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	f.Fuzz(func(t *testing.T, file []byte) {
		got, err := ReadOutlookMsg(bytes.NewReader(file), int64(len(file)))
		if err == nil && !bytes.Contains(got, []byte("\r\n\r\n")) {
			t.Fatalf("no header/body separator in %q", got)
		}
	})
}

// A .msg whose directory chain loops, or is longer than maxCFBEntries,
// is refused before the CFB reader (whose cost grows with the square of the
// directory) sees it.
func TestOutlookMsgDirectoryBounded(t *testing.T) {
	build := func(chain func(fat []uint32)) []byte {
		f := make([]byte, 512*3)
		copy(f, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
		binary.LittleEndian.PutUint16(f[0x1A:], 3)
		binary.LittleEndian.PutUint16(f[0x1E:], 9)
		binary.LittleEndian.PutUint32(f[0x2C:], 1) // one FAT sector
		binary.LittleEndian.PutUint32(f[0x30:], 1) // the directory starts at sector 1
		for i := 0; i < 109; i++ {
			binary.LittleEndian.PutUint32(f[0x4C+4*i:], 0xFFFFFFFF)
		}
		binary.LittleEndian.PutUint32(f[0x4C:], 0) // the FAT is sector 0
		fat := make([]uint32, 128)
		for i := range fat {
			fat[i] = 0xFFFFFFFF
		}
		chain(fat)
		for i, v := range fat {
			binary.LittleEndian.PutUint32(f[512+4*i:], v)
		}
		return f
	}
	loop := build(func(fat []uint32) { fat[0], fat[1] = 0xFFFFFFFD, 1 }) // sector 1 → sector 1 → …
	if _, err := ReadOutlookMsg(bytes.NewReader(loop), int64(len(loop))); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a looping directory: %v", err)
	}
	long := build(func(fat []uint32) {
		fat[0] = 0xFFFFFFFD
		for i := 1; i < 127; i++ {
			fat[i] = uint32(i + 1) // 126 sectors of 4 entries: 504 entries, within the bound
		}
		fat[127] = 0xFFFFFFFE
	})
	if err := checkCFBDirectory(bytes.NewReader(long), int64(len(long))); err != nil {
		t.Errorf("a directory of 508 entries: %v", err)
	}
}
