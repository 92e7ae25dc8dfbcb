package reports

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// nsDMARC2 is RFC 9990's namespace (section 7, appendix A).
const nsDMARC2 = "urn:ietf:params:xml:ns:dmarc-2.0"

// The XML shapes of RFC 7489 appendix C and RFC 9990 appendix A. Tags carry
// no namespace, so encoding/xml matches the element names in any namespace
// (or none): one decoder reads both schemas. Numbers are read as strings
// and parsed here, so that one unreadable value skips one field, not the
// document.
type xmlMetadata struct {
	OrgName          string   `xml:"org_name"`
	Email            string   `xml:"email"`
	ExtraContactInfo string   `xml:"extra_contact_info"`
	ReportID         string   `xml:"report_id"`
	Begin            *string  `xml:"date_range>begin"`
	End              *string  `xml:"date_range>end"`
	Errors           []string `xml:"error"`
	Generator        string   `xml:"generator"`
}

type xmlPolicy struct {
	Domain          string `xml:"domain"`
	P               string `xml:"p"`
	SP              string `xml:"sp"`
	NP              string `xml:"np"`
	ADKIM           string `xml:"adkim"`
	ASPF            string `xml:"aspf"`
	Pct             string `xml:"pct"`
	FO              string `xml:"fo"`
	Testing         string `xml:"testing"`
	DiscoveryMethod string `xml:"discovery_method"`
}

type xmlRecord struct {
	SourceIP    string      `xml:"row>source_ip"`
	Count       string      `xml:"row>count"`
	Disposition string      `xml:"row>policy_evaluated>disposition"`
	DKIM        string      `xml:"row>policy_evaluated>dkim"`
	SPF         string      `xml:"row>policy_evaluated>spf"`
	Reasons     []xmlReason `xml:"row>policy_evaluated>reason"`
	HeaderFrom  string      `xml:"identifiers>header_from"`
	EnvFrom     string      `xml:"identifiers>envelope_from"`
	EnvTo       string      `xml:"identifiers>envelope_to"`
	AuthDKIM    []struct {
		Domain      string `xml:"domain"`
		Selector    string `xml:"selector"`
		Result      string `xml:"result"`
		HumanResult string `xml:"human_result"`
	} `xml:"auth_results>dkim"`
	AuthSPF []struct {
		Domain      string `xml:"domain"`
		Scope       string `xml:"scope"`
		Result      string `xml:"result"`
		HumanResult string `xml:"human_result"` // not in RFC 7489's schema; real reporters send it
	} `xml:"auth_results>spf"`
}

type xmlReason struct {
	Type    string `xml:"type"`
	Comment string `xml:"comment"`
}

// xml reads an aggregate report. It decodes element by element under
// <feedback>, so that a syntax error (a truncated file, a sender's broken
// escaping) costs only what follows it: the records before are kept and the
// report says where reading stopped.
func (r *reader) xml(name string, data []byte) {
	// What an absurd shape would cost is never spent: the XML is read up to
	// where it turns absurd, as if it ended there.
	cut, why := xmlShape(data)
	if cut >= 0 {
		data = data[:cut]
	}
	rep, broken, err := parseAggregate(name, data, r.lim.MaxRecords, true)
	if broken != nil {
		// Not well-formed: large senders write an unescaped & in a comment
		// or an org_name, or close a tag out of order. Read it again with
		// encoding/xml's lenient mode (Strict off: a lone & is text, an
		// unknown entity is left as written, never expanded) and keep that
		// reading when it gets further.
		// A control character (XML 1.0 section 2.2 allows none but tab
		// and line breaks) stops encoding/xml in either mode: one in an
		// org_name lost the whole report. They are read as U+FFFD.
		ldata, replaced := replaceControls(data)
		lrep, _, lerr := parseAggregate(name, ldata, r.lim.MaxRecords, false)
		if lrep != nil && (rep == nil || len(lrep.Aggregate.Records) > len(rep.Aggregate.Records)) {
			lenient := fmt.Sprintf("the XML is not well-formed (%v); read leniently", broken)
			if replaced > 0 {
				lenient += fmt.Sprintf(", %d control characters read as U+FFFD", replaced)
			}
			lrep.Errors = append([]string{lenient}, lrep.Errors...)
			rep, err = lrep, lerr
		}
	}
	if cut >= 0 {
		shape := fmt.Sprintf("the XML has %s at byte %d (Sealtrace reads no further)", why, cut)
		if rep == nil {
			err = fmt.Errorf("%s: %w: %s, before any record", name, ErrTooLarge, shape)
		} else {
			rep.Errors = append([]string{shape}, rep.Errors...)
		}
	}
	if err != nil {
		r.fail(err)
	}
	if rep != nil {
		r.add(rep)
	}
}

// replaceControls is data with each C0 control but tab, LF and CR
// replaced by U+FFFD, and how many there were (data itself when none).
func replaceControls(data []byte) ([]byte, int) {
	n := 0
	for _, c := range data {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			n++
		}
	}
	if n == 0 {
		return data, 0
	}
	out := make([]byte, 0, len(data)+2*n)
	for _, c := range data {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, c)
		}
	}
	return out, n
}

// parseAggregate reads an aggregate report, strictly or leniently. broken
// is the syntax error that stopped the reading, if one did; the report then
// holds what came before it (or is nil, with err, when that is no record).
func parseAggregate(name string, data []byte, maxRecords int, strict bool) (rep *Report, broken, err error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = strict
	dec.CharsetReader = charsetReader
	// The root element, refusing a document type declaration that declares
	// entities: encoding/xml would not expand them (it knows only the five
	// predefined ones and stops at any other reference), but a report never
	// needs a DTD, and refusing it says clearly why a billion-laughs
	// document is not read.
	var root xml.StartElement
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				return nil, nil, fmt.Errorf("%s: %w: no XML element", name, ErrNotReport)
			}
			return nil, nil, fmt.Errorf("%s: %w: XML: %v", name, ErrMalformed, err)
		}
		if d, ok := tok.(xml.Directive); ok && bytes.HasPrefix(bytes.TrimSpace(d), []byte("DOCTYPE")) {
			if bytes.Contains(d, []byte("ENTITY")) {
				return nil, nil, fmt.Errorf("%s: %w: the XML declares entities in a DTD (entity expansion is refused; a DMARC report has no DTD)", name, ErrMalformed)
			}
			continue
		}
		if se, ok := tok.(xml.StartElement); ok {
			root = se
			break
		}
	}
	if root.Name.Local != "feedback" {
		return nil, nil, fmt.Errorf("%s: %w: the XML root element is <%s>, not a DMARC aggregate report's <feedback>", name, ErrNotReport, clip(root.Name.Local))
	}
	a := &Aggregate{Schema: SchemaRFC7489}
	if root.Name.Space == nsDMARC2 {
		a.Schema = SchemaRFC9990
	}
	rep = &Report{Kind: KindAggregate, Source: name, Aggregate: a}
	var sawMeta, sawPolicy bool
	skipped := 0
	shared := interner{}
	for broken == nil {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				broken = fmt.Errorf("the XML ends before </feedback>")
			} else {
				broken = err
			}
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			if ee, ok := tok.(xml.EndElement); ok && ee.Name.Local == "feedback" {
				break
			}
			continue
		}
		switch se.Name.Local {
		case "version":
			var v string
			broken = dec.DecodeElement(&v, &se)
			a.Version = strings.TrimSpace(v)
		case "report_metadata":
			var m xmlMetadata
			if broken = dec.DecodeElement(&m, &se); broken == nil {
				sawMeta = true
				a.metadata(&m, rep)
			}
		case "policy_published":
			var p xmlPolicy
			if broken = dec.DecodeElement(&p, &se); broken == nil {
				sawPolicy = true
				a.PolicyDomain = strings.TrimSpace(p.Domain)
				a.Policy = Policy{P: enum(p.P), SP: enum(p.SP), NP: enum(p.NP), ADKIM: enum(p.ADKIM), ASPF: enum(p.ASPF),
					Pct: strings.TrimSpace(p.Pct), FO: strings.TrimSpace(p.FO), Testing: enum(p.Testing), Discovery: enum(p.DiscoveryMethod)}
			}
		case "record":
			if len(a.Records) >= maxRecords {
				skipped++
				broken = dec.Skip()
				continue
			}
			var x xmlRecord
			if broken = dec.DecodeElement(&x, &se); broken == nil {
				rec, problem := record(&x, shared)
				if problem != "" {
					rep.Errors = append(rep.Errors, fmt.Sprintf("record %d skipped: %s", len(a.Records)+skipped+1, problem))
					skipped++
					continue
				}
				a.Records = append(a.Records, rec)
			}
		default: // extensions (RFC 9990 section 3.1.4) and unknown elements
			broken = dec.Skip()
		}
	}
	if skipped > 0 && len(a.Records) >= maxRecords {
		rep.Errors = append(rep.Errors, fmt.Sprintf("%d records beyond Limits.MaxRecords (%d) skipped", skipped, maxRecords))
	}
	if broken != nil {
		if len(a.Records) == 0 {
			// Nothing a reader can use.
			return nil, broken, fmt.Errorf("%s: %w: XML: %v before any record", name, ErrMalformed, broken)
		}
		rep.Errors = append(rep.Errors, fmt.Sprintf("XML broken (%v): what follows was skipped, %d records read before it", broken, len(a.Records)))
	}
	if !sawMeta {
		rep.Errors = append(rep.Errors, "no report_metadata")
	} else if a.ReportID == "" {
		rep.Errors = append(rep.Errors, "report_metadata has no report_id")
	}
	if !sawPolicy {
		rep.Errors = append(rep.Errors, "no policy_published")
	}
	if len(a.Records) == 0 {
		// RFC 7489 appendix C: at least one record. Without one there is
		// nothing to show; whatever the rest says, it is not a usable report.
		return nil, nil, fmt.Errorf("%s: %w: the report holds no record", name, ErrMalformed)
	}
	return rep, broken, nil
}

func (a *Aggregate) metadata(m *xmlMetadata, rep *Report) {
	a.OrgName = strings.TrimSpace(m.OrgName)
	a.Email = strings.TrimSpace(m.Email)
	a.ExtraContactInfo = strings.TrimSpace(m.ExtraContactInfo)
	a.ReportID = strings.TrimSpace(m.ReportID)
	a.Generator = strings.TrimSpace(m.Generator)
	for _, e := range m.Errors {
		if e = strings.TrimSpace(e); e != "" {
			a.ReportErrors = append(a.ReportErrors, e)
		}
	}
	var err error
	if m.Begin == nil || m.End == nil {
		rep.Errors = append(rep.Errors, "report_metadata has no date_range")
		return
	}
	if a.Begin, err = epoch(*m.Begin); err != nil {
		rep.Errors = append(rep.Errors, "date_range begin: "+err.Error())
	}
	if a.End, err = epoch(*m.End); err != nil {
		rep.Errors = append(rep.Errors, "date_range end: "+err.Error())
	}
}

// record turns one <record> into a Record, or says why it cannot be used.
func record(x *xmlRecord, in interner) (Record, string) {
	rec := Record{
		SourceIP:     strings.TrimSpace(x.SourceIP),
		Disposition:  enum(x.Disposition),
		DKIM:         enum(x.DKIM),
		SPF:          enum(x.SPF),
		HeaderFrom:   in.get(x.HeaderFrom),
		EnvelopeFrom: in.get(x.EnvFrom),
		EnvelopeTo:   in.get(x.EnvTo),
	}
	c := strings.TrimSpace(x.Count)
	n, err := strconv.ParseInt(c, 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		return rec, fmt.Sprintf("count %q is not a number of messages", clip(c))
	}
	rec.Count = int(n)
	for _, re := range x.Reasons {
		rec.Reasons = append(rec.Reasons, Reason{Type: enum(re.Type), Comment: strings.TrimSpace(re.Comment)})
	}
	for _, d := range x.AuthDKIM {
		rec.Auth.DKIM = append(rec.Auth.DKIM, DKIMAuth{Domain: in.get(d.Domain), Selector: in.get(d.Selector),
			Result: enum(d.Result), HumanResult: in.get(d.HumanResult)})
	}
	for _, s := range x.AuthSPF {
		rec.Auth.SPF = append(rec.Auth.SPF, SPFAuth{Domain: in.get(s.Domain), Scope: enum(s.Scope), Result: enum(s.Result),
			HumanResult: in.get(s.HumanResult)})
	}
	return rec, ""
}

// enum is a keyword of the schema's enumerations (RFC 7489 appendix C:
// all lower case), trimmed and lowered: a few senders capitalise them. The
// known words come back as one shared string each, so that a folder of
// reports holds "pass" once, not once per record.
func enum(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if k, ok := keywords[s]; ok {
		return k
	}
	return s
}

var keywords = func() map[string]string {
	m := map[string]string{}
	for _, w := range []string{"none", "quarantine", "reject", "pass", "fail", "softfail", "neutral", "temperror",
		"permerror", "policy", "r", "s", "y", "n", "mfrom", "helo", "forwarded", "sampled_out", "trusted_forwarder",
		"mailing_list", "local_policy", "other", "psl", "treewalk", "sts", "tlsa", "no-policy-found"} {
		m[w] = w
	}
	return m
}()

// interner shares the strings that repeat across the records of a report
// (the From domain, the signing domains and selectors).
type interner map[string]string

func (in interner) get(s string) string {
	s = strings.TrimSpace(s)
	if v, ok := in[s]; ok {
		return v
	}
	if len(in) < 10000 {
		in[s] = s
	}
	return s
}

// maxEpoch is 10000-01-01T00:00:00Z: RFC 3339 (section 5.6) has four-digit
// years, and the JSON's times must stay RFC 3339.
const maxEpoch = 253402300800

// epoch reads date_range's seconds since 1970 UTC (RFC 7489 appendix C:
// xs:integer). Some senders write a fraction; it is dropped.
func epoch(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 && n < maxEpoch {
		return time.Unix(n, 0).UTC(), nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < maxEpoch {
		return time.Unix(int64(f), 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not seconds since 1970", clip(s))
}

// clip shortens a hostile value quoted in an error.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// charsetReader reads the encodings real reports declare besides UTF-8:
// US-ASCII (a subset) and ISO-8859-1 / Windows-1252 (read as Latin-1: the
// bytes 0x80-0x9F differ, and none appear in a report's keywords).
func charsetReader(charset string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return in, nil
	case "utf-16", "utf-16le", "utf-16be", "utf16":
		// UTF-16 with a byte order mark was made UTF-8 by unBOM; without
		// one it is not read as XML at all (a syntax error at the first
		// zero byte), so what reaches here is UTF-8.
		return in, nil
	case "iso-8859-1", "latin1", "latin-1", "iso8859-1", "windows-1252", "cp1252":
		b, err := io.ReadAll(in)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(b))
		for _, c := range b {
			out = utf8.AppendRune(out, rune(c))
		}
		return bytes.NewReader(out), nil
	}
	return nil, errors.New("unsupported XML encoding " + clip(charset))
}
