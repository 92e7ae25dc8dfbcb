package dmarcpeers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DmarcCatPath is the Debian package's binary.
const DmarcCatPath = "/usr/bin/dmarc-cat"

// ErrCatCannotRead: dmarc-cat has no way to read this form of input (it
// reads a bare XML document on standard input, or a .xml.gz or .zip file).
var ErrCatCannotRead = errors.New("dmarc-cat cannot read this form")

// CatReport is what dmarc-cat printed for one report.
type CatReport struct {
	// The table it prints (its user-facing output).
	OrgName, Email string
	Begin, End     int64
	Domain         string
	P, ADKIM, ASPF string
	Count          int // "Reports(N)": the number of records
	Rows           []CatRow
	// Dump is the report as its -D debug line prints the decoded struct,
	// records in document order; nil when the line could not be read. A
	// field it cannot place unambiguously (a value with spaces next to
	// another free-text value) is Unknown. Its auth results hold at most
	// one DKIM and one SPF result: dmarc-cat decodes every <dkim> (and
	// every <spf>) into the same struct, so later ones overwrite the
	// fields they carry.
	Dump *Feedback
}

// CatRow is one table row, sorted by Count, descending.
type CatRow struct {
	IP                       string
	Count                    int
	From, RFrom, RDKIM, RSPF string
}

// Unknown marks a dump field that could not be placed.
const Unknown = "\x00unknown"

// DmarcCatAvailable says why dmarc-cat cannot run here (nil when it can).
func DmarcCatAvailable() error {
	if _, err := os.Stat(DmarcCatPath); err != nil {
		return fmt.Errorf("dmarc-cat (Debian package dmarc-cat) is not installed: %v", err)
	}
	return nil
}

// dmarc-cat refuses any file not named like this (its reFileName).
var catName = regexp.MustCompile(`^[\w.]+![\w.]+!\d+!\d+\.(xml\.gz|zip)$`)

// CatFileName reports whether dmarc-cat accepts the file by its name.
func CatFileName(name string) bool { return catName.MatchString(filepath.Base(name)) }

// DmarcCat runs dmarc-cat on data (a bare XML report, or its .xml.gz or
// .zip) and reads what it printed. Compressed data goes in a file under a
// name dmarc-cat accepts, in tmp; XML goes on standard input (-t xml).
// -N: no reverse DNS (and no network); -j 1: with -N and more than one
// job, 0.15.0 shuffles which address goes with which row (its resolved
// list pairs each address with another worker's answer); TZ=UTC: it
// prints the dates in local time.
func DmarcCat(ctx context.Context, tmp string, data []byte) (*CatReport, error) {
	args := []string{"-N", "-j", "1", "-D"}
	var stdin []byte
	switch {
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		p := filepath.Join(tmp, "peer.example!example.com!0!0.xml.gz")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return nil, err
		}
		defer os.Remove(p)
		args = append(args, p)
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		p := filepath.Join(tmp, "peer.example!example.com!0!0.zip")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return nil, err
		}
		defer os.Remove(p)
		args = append(args, p)
	case bytes.Contains(data[:min(len(data), 4096)], []byte("<feedback")):
		args = append(args, "-t", "xml", "-")
		stdin = data
	default:
		return nil, ErrCatCannotRead
	}
	cmd := exec.CommandContext(ctx, DmarcCatPath, args...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if bytes.Contains(stderr.Bytes(), []byte("Error: ")) || runErr != nil {
		return nil, fmt.Errorf("dmarc-cat: %v: %s", runErr, lastErrorLine(stderr.Bytes()))
	}
	rep, err := parseCatTable(stdout.String())
	if err != nil {
		return nil, err
	}
	rep.Dump = parseCatDump(stderr.String(), rep.OrgName)
	return rep, nil
}

func lastErrorLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], "Error") {
			return lines[i]
		}
	}
	return tail(b)
}

const catTime = "2006-01-02 15:04:05 -0700 MST"

func parseCatTable(out string) (*CatReport, error) {
	lines := strings.Split(out, "\n")
	r := &CatReport{}
	bad := func(what string) (*CatReport, error) {
		return nil, fmt.Errorf("dmarc-cat: unexpected output (%s):\n%s", what, out)
	}
	i := 0
	next := func(prefix string) (string, bool) {
		for ; i < len(lines); i++ {
			if strings.HasPrefix(lines[i], prefix) {
				s := strings.TrimPrefix(lines[i], prefix)
				i++
				return s, true
			}
		}
		return "", false
	}
	by, ok := next("Reporting by: ")
	if !ok {
		return bad("no Reporting by")
	}
	k := strings.LastIndex(by, " — ")
	if k < 0 {
		return bad("Reporting by")
	}
	r.OrgName, r.Email = by[:k], by[k+len(" — "):]
	from, ok := next("From ")
	if !ok {
		return bad("no From")
	}
	b, e, ok := strings.Cut(from, " to ")
	if !ok {
		return bad("From line")
	}
	tb, err1 := time.Parse(catTime, b)
	te, err2 := time.Parse(catTime, e)
	if err1 != nil || err2 != nil {
		return bad("dates")
	}
	r.Begin, r.End = tb.Unix(), te.Unix()
	if r.Domain, ok = next("Domain: "); !ok {
		return bad("no Domain")
	}
	pol, ok := next("Policy: ")
	if !ok {
		return bad("no Policy")
	}
	for f := range strings.SplitSeq(pol, "; ") {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "p":
			r.P = v
		case "dkim":
			r.ADKIM = v
		case "spf":
			r.ASPF = v
		}
	}
	n, ok := next("Reports(")
	if !ok {
		return bad("no Reports(")
	}
	r.Count, _ = strconv.Atoi(strings.TrimSuffix(n, "):"))
	if i >= len(lines) {
		return bad("no table header")
	}
	// The table is tabwriter output: a column starts where its header
	// word starts, counted in runes.
	head := []rune(lines[i])
	i++
	names := []string{"IP", "Count", "From", "RFrom", "RDKIM", "RSPF"}
	starts := make([]int, len(names))
	pos := 0
	for j, name := range names {
		k := strings.Index(string(head[pos:]), name+" ")
		if k < 0 {
			return bad("table header")
		}
		starts[j] = pos + utf8.RuneCountInString(string(head[pos:])[:k])
		pos = starts[j] + len(name)
	}
	for ; i < len(lines); i++ {
		l := []rune(lines[i])
		if len(strings.TrimSpace(lines[i])) == 0 {
			continue
		}
		col := func(j int) string {
			a := starts[j]
			z := len(l)
			if j+1 < len(starts) {
				z = min(starts[j+1], len(l))
			}
			if a >= z {
				return ""
			}
			return strings.TrimSpace(string(l[a:z]))
		}
		c, err := strconv.Atoi(col(1))
		if err != nil {
			return bad("row count")
		}
		r.Rows = append(r.Rows, CatRow{IP: col(0), Count: c, From: col(2), RFrom: col(3), RDKIM: col(4), RSPF: col(5)})
	}
	return r, nil
}

// The debug line "report=" prints dmarc-cat's Feedback struct with %v: fields
// in declaration order, separated by one space, structs in {}, slices in [].
// This is that struct's shape in 0.15.0 (types.go); "free" fields are text
// that may hold spaces.
type fld struct {
	name string
	kind byte // 's' string, 'g' struct, 'l' slice of sub[0]'s kind, 'r' raw (not read)
	free bool
	sub  []fld
}

var (
	catResult = []fld{{name: "domain"}, {name: "selector"}, {name: "result"}, {name: "human", free: true}}
	catRecord = []fld{
		{name: "row", kind: 'g', sub: []fld{{name: "ip"}, {name: "count"}, {name: "pe", kind: 'g', sub: []fld{
			{name: "disposition"}, {name: "dkim"}, {name: "spf"},
			{name: "reasons", kind: 'l', sub: []fld{{kind: 'g', sub: []fld{{name: "type"}, {name: "comment", free: true}}}}},
		}}}},
		{name: "ids", kind: 'g', sub: []fld{{name: "header_from"}, {name: "envelope_from"}, {name: "envelope_to"}}},
		{name: "auth", kind: 'g', sub: []fld{{name: "dkim", kind: 'g', sub: catResult}, {name: "spf", kind: 'g', sub: catResult}}},
	}
	logStamp  = regexp.MustCompile(`\n\d{4}/\d\d/\d\d \d\d:\d\d:\d\d `)
	dumpStart = regexp.MustCompile(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d report=\{`)
)

// catFeedback is the whole struct; orgFree when the organisation's name is
// not known from the table (and so may hold spaces).
func catFeedback(orgFree bool) []fld {
	return []fld{
		{name: "version"},
		{name: "meta", kind: 'g', sub: []fld{
			{name: "org_name", free: orgFree}, {name: "email"}, {name: "extra", free: true}, {name: "report_id"},
			{name: "date", kind: 'g', sub: []fld{{name: "begin"}, {name: "end"}}},
			{name: "errors", kind: 'r'},
		}},
		{name: "policy", kind: 'g', sub: []fld{{name: "domain"}, {name: "adkim"}, {name: "aspf"}, {name: "p"}, {name: "sp"}, {name: "pct"}, {name: "fo"}}},
		{name: "records", kind: 'l', sub: []fld{{kind: 'g', sub: catRecord}}},
	}
}

// val is a decoded dump value: a string, a struct's fields by name, or a
// slice's elements.
type val struct {
	s     string
	known bool
	f     map[string]*val
	l     []*val
}

// parseCatDump reads the debug line; org, the organisation the table named,
// lets a name with spaces be placed (the metadata's other free text, the
// contact information, then takes what is left).
func parseCatDump(stderr, org string) *Feedback {
	m := dumpStart.FindStringIndex(stderr)
	if m == nil {
		return nil
	}
	s := stderr[m[1]-1:]
	if m := logStamp.FindStringIndex(s); m != nil {
		s = s[:m[0]]
	}
	s = strings.TrimSuffix(s, "\n")
	const space = "\x01"
	if org != "" && !strings.Contains(s, space) {
		s = strings.Replace(s, " {"+org+" ", " {"+strings.ReplaceAll(org, " ", space)+" ", 1)
	}
	v, ok := parseGroup(s, fld{kind: 'g', sub: catFeedback(org == "")})
	if !ok {
		return nil
	}
	str := func(v *val, path ...string) string {
		for _, p := range path {
			if v == nil || v.f == nil {
				return Unknown
			}
			v = v.f[p]
		}
		if v == nil || !v.known {
			return Unknown
		}
		return v.s
	}
	f := &Feedback{
		OrgName: strings.ReplaceAll(str(v, "meta", "org_name"), space, " "), Email: str(v, "meta", "email"),
		ExtraContactInfo: str(v, "meta", "extra"), ReportID: str(v, "meta", "report_id"),
		Begin: num(str(v, "meta", "date", "begin")), End: num(str(v, "meta", "date", "end")),
		Domain: str(v, "policy", "domain"), ADKIM: str(v, "policy", "adkim"), ASPF: str(v, "policy", "aspf"),
		P: str(v, "policy", "p"), SP: str(v, "policy", "sp"), Pct: str(v, "policy", "pct"), FO: str(v, "policy", "fo"),
	}
	recs := v.f["records"]
	if recs == nil {
		return nil
	}
	for _, rv := range recs.l {
		rec := Record{
			SourceIP: str(rv, "row", "ip"), Count: int(num(str(rv, "row", "count"))),
			Disposition: str(rv, "row", "pe", "disposition"), DKIM: str(rv, "row", "pe", "dkim"), SPF: str(rv, "row", "pe", "spf"),
			HeaderFrom: str(rv, "ids", "header_from"), EnvelopeFrom: str(rv, "ids", "envelope_from"), EnvelopeTo: str(rv, "ids", "envelope_to"),
			AuthDKIM: []DKIMAuth{{str(rv, "auth", "dkim", "domain"), str(rv, "auth", "dkim", "selector"), str(rv, "auth", "dkim", "result"), str(rv, "auth", "dkim", "human")}},
			AuthSPF:  []SPFAuth{{Domain: str(rv, "auth", "spf", "domain"), Scope: Unknown, Result: str(rv, "auth", "spf", "result"), HumanResult: str(rv, "auth", "spf", "human")}},
		}
		if pe := rv.f["row"].f["pe"]; pe != nil && pe.f["reasons"] != nil {
			for _, re := range pe.f["reasons"].l {
				rec.Reasons = append(rec.Reasons, Reason{Type: str(re, "type"), Comment: str(re, "comment")})
			}
		} else {
			rec.Reasons = []Reason{{Unknown, Unknown}}
		}
		f.Records = append(f.Records, rec)
	}
	return f
}

// closing returns the index of the bracket that closes s[0].
func closing(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// parseGroup reads s, "{...}" or "[...]", as the field f.
func parseGroup(s string, f fld) (*val, bool) {
	if len(s) < 2 || closing(s) != len(s)-1 {
		return nil, false
	}
	body := s[1 : len(s)-1]
	switch f.kind {
	case 'l':
		v := &val{known: true}
		for p := 0; p < len(body); {
			if body[p] != '{' && body[p] != '[' {
				return nil, false
			}
			e := closing(body[p:])
			if e < 0 {
				return nil, false
			}
			ev, ok := parseGroup(body[p:p+e+1], f.sub[0])
			if !ok {
				return nil, false
			}
			v.l = append(v.l, ev)
			p += e + 1
			if p < len(body) {
				if body[p] != ' ' {
					return nil, false
				}
				p++
			}
		}
		return v, true
	case 'g':
		v := &val{known: true, f: map[string]*val{}}
		p := 0
		for j := 0; j < len(f.sub); {
			if f.sub[j].kind != 's' && f.sub[j].kind != 0 {
				if p >= len(body) || (body[p] != '{' && body[p] != '[') {
					return nil, false
				}
				e := closing(body[p:])
				if e < 0 {
					return nil, false
				}
				if f.sub[j].kind == 'r' {
					v.f[f.sub[j].name] = &val{}
				} else {
					sv, ok := parseGroup(body[p:p+e+1], f.sub[j])
					if !ok {
						return nil, false
					}
					v.f[f.sub[j].name] = sv
				}
				p += e + 1
				j++
				if j < len(f.sub) {
					if p >= len(body) || body[p] != ' ' {
						return nil, false
					}
					p++
				}
				continue
			}
			// A run of string fields up to the next group (whose
			// separating space ends the run) or the end.
			z := j
			for z < len(f.sub) && (f.sub[z].kind == 's' || f.sub[z].kind == 0) {
				z++
			}
			end := len(body)
			if z < len(f.sub) {
				g := strings.IndexAny(body[p:], "{[")
				if g < 1 || body[p+g-1] != ' ' {
					return nil, false
				}
				end = p + g - 1
			}
			placeRun(v, f.sub[j:z], body[p:end])
			p = end
			if z < len(f.sub) {
				p++
			}
			j = z
		}
		return v, true
	}
	return nil, false
}

// placeRun splits text, the values of fields joined by single spaces: one
// token a field; extra tokens go to the one free-text field if there is
// exactly one, otherwise the run is Unknown.
func placeRun(v *val, fields []fld, text string) {
	toks := strings.Split(text, " ")
	extra := len(toks) - len(fields)
	free := -1
	for k, f := range fields {
		if f.free {
			if free >= 0 && extra > 0 {
				free = -2
				break
			}
			free = k
		}
	}
	if extra < 0 || (extra > 0 && free < 0) {
		for _, f := range fields {
			v.f[f.name] = &val{}
		}
		return
	}
	t := 0
	for k, f := range fields {
		n := 1
		if k == free {
			n += extra
		}
		v.f[f.name] = &val{s: strings.Join(toks[t:t+n], " "), known: true}
		t += n
	}
}
