package ui

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/software"
	"fyne.io/fyne/v2/theme"
)

// The diagram for slides: the same scene as on screen, with a title
// (subject, date, From), a legend and margins, as PNG (Fyne's software
// painter, no display needed) or SVG (written here, every string from the
// message escaped).

// exportTitle is the title block of an exported diagram.
type exportTitle struct {
	subject string
	date    time.Time
	from    string
}

func entryTitle(e *entry) exportTitle {
	return exportTitle{subject: e.subject, date: e.date, from: e.from}
}

func (t exportTitle) lines() (string, string) {
	subject := clipText(strings.TrimSpace(t.subject), 300) // a title, not the whole of a hostile header
	if subject == "" {
		subject = "(no subject)"
	}
	var sub []string
	if !t.date.IsZero() {
		sub = append(sub, t.date.UTC().Format("Mon, 2 Jan 2006 15:04 MST"))
	}
	if t.from != "" {
		sub = append(sub, "From: "+t.from)
	}
	return subject, strings.Join(sub, " · ")
}

// exportScene lays the diagram out for export at width w: the light
// theme's colours (slides are usually light), the title and the legend.
func exportScene(m *pathModel, t exportTitle, w float32) (scene, sceneColours) {
	lt := &variantTheme{variant: theme.VariantLight}
	c := sceneColours{
		fg:      lt.Color(theme.ColorNameForeground, theme.VariantLight),
		bg:      lt.Color(theme.ColorNameBackground, theme.VariantLight),
		muted:   lt.Color(theme.ColorNameDisabled, theme.VariantLight),
		primary: lt.Color(theme.ColorNamePrimary, theme.VariantLight),
	}
	title, sub := t.lines()
	st := sceneState{selected: -1, lit: -1, legend: true, margin: 40, title: title, subtitle: sub}
	return layoutPath(m, w, 14, st, c), c
}

// pathImage renders the exported diagram at the given width.
func pathImage(m *pathModel, t exportTitle, width float32) image.Image {
	sc, c := exportScene(m, t, width)
	bg := canvas.NewRectangle(c.bg)
	bg.Resize(fyne.NewSize(sc.w, sc.h))
	objs := append([]fyne.CanvasObject{bg}, sceneObjects(sc)...)
	cv := software.NewCanvas()
	cv.SetPadded(false)
	cv.SetContent(container.NewWithoutLayout(objs...))
	cv.Resize(fyne.NewSize(sc.w, sc.h))
	return cv.Capture()
}

// pathPNG encodes pathImage as PNG.
func pathPNG(m *pathModel, t exportTitle, width float32) ([]byte, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, pathImage(m, t, width)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// pathSVG writes the exported diagram as SVG 1.1. Text from the message
// and from DNS (the subject, domains, the recorded claims) is hostile: it
// is written only as escaped character data, never as markup or an
// attribute, and characters XML 1.0 does not allow are replaced.
func pathSVG(m *pathModel, t exportTitle, width float32) []byte {
	sc, c := exportScene(m, t, width)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">`+"\n", sc.w, sc.h, sc.w, sc.h)
	title, _ := t.lines()
	b.WriteString("<title>")
	b.WriteString(xmlText(title))
	b.WriteString("</title>\n")
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%.0f" height="%.0f" fill="%s"/>`+"\n", sc.w, sc.h, svgColour(c.bg))
	for _, p := range sc.prims {
		switch p.kind {
		case primRect:
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="%.1f" fill="%s"%s stroke="%s" stroke-width="%.1f"/>`+"\n",
				p.x, p.y, p.w, p.h, p.radius, svgColour(p.fill), svgOpacity("fill-opacity", p.fill), svgColour(p.stroke), p.width)
		case primCircle:
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"%s/>`+"\n", p.x+p.w/2, p.y+p.h/2, p.w/2, svgColour(p.fill), svgOpacity("fill-opacity", p.fill))
		case primLine:
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"%s stroke-width="%.1f" stroke-linecap="round"/>`+"\n",
				p.x, p.y, p.x2, p.y2, svgColour(p.stroke), svgOpacity("stroke-opacity", p.stroke), p.width)
		case primText:
			weight := "normal"
			if p.bold {
				weight = "bold"
			}
			// The box's top plus the ascent: SVG places text by its baseline.
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-family="Noto Sans, DejaVu Sans, sans-serif" font-size="%.1f" font-weight="%s" fill="%s"%s>`,
				p.x, p.y+p.h*0.8, p.size, weight, svgColour(p.fill), svgOpacity("fill-opacity", p.fill))
			b.WriteString(xmlText(p.text))
			b.WriteString("</text>\n")
		}
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// xmlText escapes s as XML character data; characters XML 1.0 forbids
// (most control characters, lone surrogates as U+FFFD) become U+FFFD.
func xmlText(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				b.WriteRune('\uFFFD')
				continue
			}
		}
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&apos;")
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteRune(' ')
		case r < 0x20 || (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF:
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func svgColour(c color.Color) string {
	if c == nil {
		return "none"
	}
	r, g, b, a := c.RGBA()
	if a == 0 {
		return "none"
	}
	// RGBA is premultiplied: undo it for the SVG colour.
	return fmt.Sprintf("#%02x%02x%02x", uint8(r*0xff/a), uint8(g*0xff/a), uint8(b*0xff/a))
}

func svgOpacity(attr string, c color.Color) string {
	if c == nil {
		return ""
	}
	_, _, _, a := c.RGBA()
	if a == 0 || a == 0xffff {
		return ""
	}
	return fmt.Sprintf(` %s="%.2f"`, attr, float64(a)/0xffff)
}
