package main

import (
	"io"

	"github.com/sealtrace/sealtrace/inspect"
)

type printer interface {
	print(*inspect.Report) error
}

type jsonPrinter struct{ w io.Writer }

func (p *jsonPrinter) print(r *inspect.Report) error {
	b, err := r.JSON()
	if err == nil {
		_, err = p.w.Write(b)
	}
	return err
}

type markdownPrinter struct {
	w io.Writer
	n int
}

func (p *markdownPrinter) print(r *inspect.Report) error {
	sep := ""
	if p.n > 0 {
		sep = "\n---\n\n"
	}
	p.n++
	_, err := io.WriteString(p.w, sep+r.Markdown())
	return err
}

// textPrinter prints each report as Report.Text, a blank line between.
type textPrinter struct {
	w      io.Writer
	colour bool
	n      int
}

func (p *textPrinter) print(r *inspect.Report) error {
	sep := ""
	if p.n > 0 {
		sep = "\n"
	}
	p.n++
	_, err := io.WriteString(p.w, sep+r.Text(p.colour))
	return err
}
