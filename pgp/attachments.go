package pgp

import (
	"bytes"
	"io"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // file names in the usual charsets
	"github.com/sealtrace/sealtrace/internal/lineend"
)

// Attachment is a file inside decrypted content.
type Attachment struct {
	Name string
	Type string
	Data []byte
}

// Attachments lists the files of a decrypted MIME entity (parts with a
// file name, or marked as attachments), bounded in number, depth and size.
func Attachments(plain []byte) []Attachment {
	ent, err := message.Read(bytes.NewReader(lineend.ToCRLF(plain)))
	if ent == nil || err != nil && !message.IsUnknownCharset(err) {
		return nil
	}
	var out []Attachment
	var walk func(e *message.Entity, depth int)
	walk = func(e *message.Entity, depth int) {
		if depth > maxDepth || len(out) >= maxParts {
			return
		}
		if mr := e.MultipartReader(); mr != nil {
			for {
				p, err := mr.NextPart()
				if err != nil {
					return
				}
				walk(p, depth+1)
			}
		}
		disp, dparams, _ := e.Header.ContentDisposition()
		t, tparams, _ := e.Header.ContentType()
		name := dparams["filename"]
		if name == "" {
			name = tparams["name"]
		}
		if disp != "attachment" && name == "" {
			return
		}
		data, _ := io.ReadAll(io.LimitReader(e.Body, MaxPlaintext))
		if name == "" {
			name = "attachment"
		}
		out = append(out, Attachment{Name: name, Type: t, Data: data})
	}
	walk(ent, 0)
	return out
}
