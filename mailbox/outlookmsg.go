package mailbox

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
)

// Outlook .msg files ([MS-OXMSG]): a Compound File Binary container
// ([MS-CFB]) whose streams are MAPI properties. A received message keeps
// the header fields it arrived with in PR_TRANSPORT_MESSAGE_HEADERS
// (property 0x007D), as a Unicode (type 0x001F, UTF-16LE) or 8-bit (type
// 0x001E) string, in the stream "__substg1.0_007D001F" or
// "__substg1.0_007D001E" at the root of the file ([MS-OXMSG] 2.1.4.2).
// The plain-text body is PR_BODY (0x1000). Storages under the root hold
// recipients, attachments and embedded messages, whose streams of the same
// name are not the message's own.

const (
	// MaxMsgFile bounds the .msg files read (Outlook's default attachment
	// limit is 20 MiB; a .msg with attachments can be larger).
	MaxMsgFile = 64 << 20
	maxMsgHdr  = 4 << 20  // transport headers, as stored (UTF-16 doubles them)
	maxMsgBody = 32 << 20 // plain-text body, as stored
)

// ErrNoTransportHeaders is returned for a .msg file without
// PR_TRANSPORT_MESSAGE_HEADERS: a draft, a sent item, or a message Outlook
// did not receive over SMTP. There is nothing to authenticate in it.
var ErrNoTransportHeaders = errors.New("the .msg file has no transport headers (PR_TRANSPORT_MESSAGE_HEADERS): it was not received by mail (a draft or a sent item?)")

// ReadOutlookMsg reads an Outlook .msg file of size bytes and returns an
// RFC 5322 message: the transport header fields as they arrived (line ends
// made CRLF), an empty line, and the plain-text body when the file has one.
// The body is Outlook's text rendering, not the body as it arrived: DKIM's
// body hash will not verify on it, the header fields and their signatures
// can still be read.
func ReadOutlookMsg(r io.ReaderAt, size int64) ([]byte, error) {
	if size > MaxMsgFile {
		return nil, fmt.Errorf("the .msg file is %d bytes, more than the %d read", size, MaxMsgFile)
	}
	if err := checkCFBDirectory(r, size); err != nil {
		return nil, err
	}
	doc, err := newCFB(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, fmt.Errorf("not an Outlook .msg file (a Compound File Binary container): %w", err)
	}
	var hdr, body []byte
	var hdrErr, bodyErr error
	for f, err := doc.Next(); err == nil; f, err = doc.Next() {
		if len(f.Path) != 0 { // only the message's own properties, at the root
			continue
		}
		switch strings.ToUpper(f.Name) {
		case "__SUBSTG1.0_007D001F":
			hdr, hdrErr = readProp(f, maxMsgHdr, true)
		case "__SUBSTG1.0_007D001E":
			if hdr == nil {
				hdr, hdrErr = readProp(f, maxMsgHdr, false)
			}
		case "__SUBSTG1.0_1000001F":
			body, bodyErr = readProp(f, maxMsgBody, true)
		case "__SUBSTG1.0_1000001E":
			if body == nil {
				body, bodyErr = readProp(f, maxMsgBody, false)
			}
		}
	}
	if hdrErr != nil {
		return nil, hdrErr
	}
	hdr = bytes.TrimRight(crlf(hdr), "\r\n")
	if len(bytes.TrimSpace(hdr)) == 0 {
		return nil, ErrNoTransportHeaders
	}
	out := append(hdr, "\r\n\r\n"...)
	if bodyErr == nil {
		out = append(out, crlf(body)...)
	}
	return out, nil
}

// maxCFBEntries bounds the directory of a .msg file. The CFB reader's cost
// grows with the square of the directory's depth (2 MB of directory took
// 2 GB to read); a message with its recipients and a few dozen attachments
// has a few hundred entries.
const maxCFBEntries = 2048

// checkCFBDirectory counts the directory entries of a Compound File (MS-CFB
// 2.2, 2.3) by following the directory's sector chain through the FAT, and
// refuses a file whose directory is larger than maxCFBEntries, whose chain
// loops, or whose directory lies beyond what the header's FAT list reaches,
// before the CFB reader sees it.
func checkCFBDirectory(r io.ReaderAt, size int64) error {
	var h [512]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return fmt.Errorf("not an Outlook .msg file: %w", err)
	}
	shift := binary.LittleEndian.Uint16(h[0x1E:])
	if shift != 9 && shift != 12 {
		return errors.New("not an Outlook .msg file: a sector size that is neither 512 nor 4096 bytes")
	}
	secSize := int64(1) << shift
	perFAT := secSize / 4
	entriesPerSec := secSize / 128
	numFAT := binary.LittleEndian.Uint32(h[0x2C:])
	sec := binary.LittleEndian.Uint32(h[0x30:])
	tooBig := fmt.Errorf("the .msg file's directory has more than %d entries, or cannot be followed: not read", maxCFBEntries)
	var buf [4]byte
	for n := int64(0); sec < 0xFFFFFFFA; n++ { // up to MAXREGSECT; ENDOFCHAIN ends it
		if (n+1)*entriesPerSec > maxCFBEntries {
			return tooBig
		}
		fatIndex := int64(sec) / perFAT
		if fatIndex >= 109 || fatIndex >= int64(numFAT) {
			return tooBig // past the header's own FAT list (DIFAT)
		}
		fatSec := binary.LittleEndian.Uint32(h[0x4C+4*fatIndex:])
		off := (int64(fatSec)+1)*secSize + (int64(sec)%perFAT)*4
		if off+4 > size {
			return errors.New("not an Outlook .msg file: its allocation table points outside the file")
		}
		if _, err := r.ReadAt(buf[:], off); err != nil {
			return fmt.Errorf("not an Outlook .msg file: %w", err)
		}
		sec = binary.LittleEndian.Uint32(buf[:])
	}
	return nil
}

// newCFB opens the container, turning a panic of the CFB reader on a
// malformed file into an error: the file is hostile data.
func newCFB(r io.ReaderAt) (doc *mscfb.Reader, err error) {
	defer func() {
		if p := recover(); p != nil {
			doc, err = nil, fmt.Errorf("malformed container (%v)", p)
		}
	}()
	return mscfb.New(r)
}

// readProp reads a string property stream: UTF-16LE for type 001F, bytes
// for type 001E (in the message's code page; transport headers are ASCII
// by RFC 5322). A terminating NUL is dropped.
func readProp(f *mscfb.File, limit int64, unicode bool) (_ []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the .msg stream %s is malformed (%v)", f.Name, p)
		}
	}()
	if f.Size > limit || f.Size < 0 {
		return nil, fmt.Errorf("the .msg stream %s is %d bytes, more than the %d read", f.Name, f.Size, limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, f.Size))
	if err != nil {
		return nil, fmt.Errorf("the .msg stream %s could not be read: %w", f.Name, err)
	}
	if !unicode {
		return bytes.TrimRight(b, "\x00"), nil
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return []byte(string(utf16.Decode(u))), nil
}

// crlf makes every line end CRLF (RFC 5322 2.1); Outlook stores CRLF, but
// a lone LF or CR is not read as a line end by everyone.
func crlf(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	b = bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
}
