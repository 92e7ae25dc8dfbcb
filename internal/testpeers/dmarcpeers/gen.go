package dmarcpeers

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// GenOptions shapes the generated reports.
type GenOptions struct {
	MinRecords, MaxRecords int     // records per report, default 1 and 500
	RFC9990                float64 // share of reports in the dmarc-2.0 schema, default 0.25
	// ZipShare is the share written as .zip (the others as .xml.gz),
	// default 0.5.
	ZipShare float64
}

func (o GenOptions) norm() GenOptions {
	if o.MinRecords <= 0 {
		o.MinRecords = 1
	}
	if o.MaxRecords < o.MinRecords {
		o.MaxRecords = max(500, o.MinRecords)
	}
	if o.RFC9990 == 0 {
		o.RFC9990 = 0.25
	}
	if o.ZipShare == 0 {
		o.ZipShare = 0.5
	}
	return o
}

var (
	orgs = []struct{ name, email, domain string }{
		{"google.com", "noreply-dmarc-support@google.com", "google.com"},
		{"Yahoo", "dmarchelp@yahooinc.com", "yahoo.com"},
		{"Enterprise Outlook", "dmarcreport@microsoft.com", "protection.outlook.com"},
		{"Mail.Ru", "dmarc_support@corp.mail.ru", "mail.ru"},
		{"AMAZON-SES", "postmaster@amazonses.com", "amazonses.com"},
		{"Example Receiver & Co", "dmarc@receiver.example", "receiver.example"},
	}
	domains      = []string{"example.com", "example.org", "shop.example.net", "news.example.com", "mail.example.co.uk"}
	foreign      = []string{"bulk.example.net", "mailer.example", "spoof.example", "list.example.org", "fwd.example"}
	dispositions = []string{"none", "none", "none", "quarantine", "reject"}
	reasonTypes  = []string{"forwarded", "sampled_out", "trusted_forwarder", "mailing_list", "local_policy", "other"}
	dkimResults  = []string{"pass", "pass", "fail", "neutral", "none", "policy", "temperror", "permerror"}
	spfResults   = []string{"pass", "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"}
	comments     = []string{"", "arc=pass as.1.google.com=pass", "forwarded <via> list", "Message was forwarded"}
)

// Generate returns report number i of the series seed: the same seed and
// index always give the same report, so a failing one can be rebuilt alone.
func Generate(seed uint64, i int, o GenOptions) *Feedback {
	o = o.norm()
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	org := orgs[r.IntN(len(orgs))]
	f := &Feedback{
		Schema:   "rfc7489",
		OrgName:  org.name,
		Email:    org.email,
		ReportID: fmt.Sprintf("%016x%04d", r.Uint64(), i),
		// One day each, a day apart per index, so the file names that
		// carry begin and end differ for every report.
		Begin:  1700000000 + int64(i)*86400,
		Domain: domains[r.IntN(len(domains))],
		ADKIM:  pick(r, "r", "r", "s", ""),
		ASPF:   pick(r, "r", "s", ""),
		P:      pick(r, "none", "quarantine", "reject"),
		SP:     pick(r, "none", "quarantine", "reject", ""),
	}
	f.End = f.Begin + 86399
	if r.IntN(3) == 0 {
		f.ExtraContactInfo = "https://" + org.domain + "/dmarc"
	}
	if r.IntN(20) == 0 {
		f.Errors = []string{"some records could not be processed"}
	}
	if r.Float64() < o.RFC9990 {
		f.Schema = "rfc9990"
		f.NP = pick(r, "none", "quarantine", "reject", "")
		f.Testing = pick(r, "n", "y", "")
		f.DiscoveryMethod = pick(r, "psl", "treewalk")
		f.Generator = "sealtrace dmarcgen 1"
	} else {
		f.Pct = pick(r, "100", "100", "50", "")
		f.FO = pick(r, "", "0", "1")
	}
	n := o.MinRecords + int(math.Floor(math.Exp(r.Float64()*math.Log(float64(o.MaxRecords-o.MinRecords+1))))) - 1
	n = min(max(n, o.MinRecords), o.MaxRecords)
	for range n {
		f.Records = append(f.Records, genRecord(r, f))
	}
	return f
}

func pick(r *rand.Rand, vs ...string) string { return vs[r.IntN(len(vs))] }

func genRecord(r *rand.Rand, f *Feedback) Record {
	var ip netip.Addr
	if r.IntN(5) == 0 {
		var b [16]byte
		b[0], b[1] = 0x20, 0x01
		for j := 2; j < 16; j++ {
			if r.IntN(3) != 0 { // zero runs, so "::" shortening is exercised
				b[j] = byte(r.IntN(256))
			}
		}
		ip = netip.AddrFrom16(b)
	} else {
		ip = netip.AddrFrom4([4]byte{byte(1 + r.IntN(223)), byte(r.IntN(256)), byte(r.IntN(256)), byte(1 + r.IntN(254))})
	}
	own := r.IntN(3) != 0
	from := f.Domain
	rec := Record{
		SourceIP:    ip.String(),
		Count:       1 + int(math.Exp(r.Float64()*7)),
		Disposition: dispositions[r.IntN(len(dispositions))],
		DKIM:        pick(r, "pass", "fail"),
		SPF:         pick(r, "pass", "fail"),
		HeaderFrom:  from,
	}
	if f.Schema == "rfc9990" && rec.DKIM == "pass" && r.IntN(2) == 0 {
		rec.Disposition = "pass" // RFC 9990 section 4.4.1 adds the pass disposition
	}
	for range r.IntN(4) / 2 {
		c := comments[r.IntN(len(comments))]
		rec.Reasons = append(rec.Reasons, Reason{Type: reasonTypes[r.IntN(len(reasonTypes))], Comment: c})
	}
	env := from
	if !own {
		env = foreign[r.IntN(len(foreign))]
	}
	if r.IntN(4) != 0 || f.Schema == "rfc9990" {
		rec.EnvelopeFrom = env
	}
	if r.IntN(4) == 0 {
		rec.EnvelopeTo = pick(r, "gmail.com", "yahoo.com", "hotmail.com")
	}
	for range r.IntN(4) {
		d := from
		if r.IntN(3) == 0 {
			d = foreign[r.IntN(len(foreign))]
		}
		a := DKIMAuth{Domain: d, Selector: pick(r, "s1", "20230601", "google", "selector2"), Result: dkimResults[r.IntN(len(dkimResults))]}
		if r.IntN(6) == 0 {
			a.HumanResult = "body hash did not verify"
		}
		rec.AuthDKIM = append(rec.AuthDKIM, a)
	}
	// RFC 7489 requires one SPF result; some receivers add the HELO one.
	scopes := []string{"mfrom"}
	if r.IntN(8) == 0 {
		scopes = append(scopes, "helo")
	}
	for _, sc := range scopes {
		a := SPFAuth{Domain: env, Scope: sc, Result: spfResults[r.IntN(len(spfResults))]}
		if f.Schema == "rfc7489" && r.IntN(3) == 0 {
			a.Scope = "" // optional in RFC 7489, often left out
		}
		if f.Schema == "rfc9990" && r.IntN(5) == 0 {
			a.HumanResult = "sender not authorized"
		}
		rec.AuthSPF = append(rec.AuthSPF, a)
	}
	return rec
}

// XML writes the report as a receiver would: RFC 7489 appendix C's
// elements in its order, or for RFC 9990 the same in the dmarc-2.0
// namespace with its additions (generator, np, testing, discovery_method).
func (f *Feedback) XML() []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	if f.Schema == "rfc9990" {
		b.WriteString("<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n  <version>1.0</version>\n")
	} else {
		b.WriteString("<feedback>\n  <version>1.0</version>\n")
	}
	b.WriteString("  <report_metadata>\n")
	el(&b, 4, "org_name", f.OrgName, true)
	el(&b, 4, "email", f.Email, true)
	el(&b, 4, "extra_contact_info", f.ExtraContactInfo, false)
	el(&b, 4, "report_id", f.ReportID, true)
	b.WriteString("    <date_range>\n")
	el(&b, 6, "begin", strconv.FormatInt(f.Begin, 10), true)
	el(&b, 6, "end", strconv.FormatInt(f.End, 10), true)
	b.WriteString("    </date_range>\n")
	for _, e := range f.Errors {
		el(&b, 4, "error", e, true)
	}
	el(&b, 4, "generator", f.Generator, false)
	b.WriteString("  </report_metadata>\n  <policy_published>\n")
	el(&b, 4, "domain", f.Domain, true)
	el(&b, 4, "adkim", f.ADKIM, false)
	el(&b, 4, "aspf", f.ASPF, false)
	el(&b, 4, "p", f.P, true)
	el(&b, 4, "sp", f.SP, false)
	el(&b, 4, "np", f.NP, false)
	el(&b, 4, "pct", f.Pct, false)
	el(&b, 4, "fo", f.FO, false)
	el(&b, 4, "testing", f.Testing, false)
	el(&b, 4, "discovery_method", f.DiscoveryMethod, false)
	b.WriteString("  </policy_published>\n")
	for _, r := range f.Records {
		b.WriteString("  <record>\n    <row>\n")
		el(&b, 6, "source_ip", r.SourceIP, true)
		el(&b, 6, "count", strconv.Itoa(r.Count), true)
		b.WriteString("      <policy_evaluated>\n")
		el(&b, 8, "disposition", r.Disposition, true)
		el(&b, 8, "dkim", r.DKIM, true)
		el(&b, 8, "spf", r.SPF, true)
		for _, re := range r.Reasons {
			b.WriteString("        <reason>\n")
			el(&b, 10, "type", re.Type, true)
			el(&b, 10, "comment", re.Comment, false)
			b.WriteString("        </reason>\n")
		}
		b.WriteString("      </policy_evaluated>\n    </row>\n    <identifiers>\n")
		el(&b, 6, "envelope_to", r.EnvelopeTo, false)
		el(&b, 6, "envelope_from", r.EnvelopeFrom, false)
		el(&b, 6, "header_from", r.HeaderFrom, true)
		b.WriteString("    </identifiers>\n    <auth_results>\n")
		for _, a := range r.AuthDKIM {
			b.WriteString("      <dkim>\n")
			el(&b, 8, "domain", a.Domain, true)
			el(&b, 8, "selector", a.Selector, false)
			el(&b, 8, "result", a.Result, true)
			el(&b, 8, "human_result", a.HumanResult, false)
			b.WriteString("      </dkim>\n")
		}
		for _, a := range r.AuthSPF {
			b.WriteString("      <spf>\n")
			el(&b, 8, "domain", a.Domain, true)
			el(&b, 8, "scope", a.Scope, false)
			el(&b, 8, "result", a.Result, true)
			el(&b, 8, "human_result", a.HumanResult, false)
			b.WriteString("      </spf>\n")
		}
		b.WriteString("    </auth_results>\n  </record>\n")
	}
	b.WriteString("</feedback>\n")
	return b.Bytes()
}

func el(b *bytes.Buffer, indent int, name, v string, always bool) {
	if v == "" && !always {
		return
	}
	for range indent {
		b.WriteByte(' ')
	}
	b.WriteString("<" + name + ">")
	xml.EscapeText(b, []byte(v))
	b.WriteString("</" + name + ">\n")
}

// FileName is the name RFC 7489 section 7.2.1.1 gives the report's file:
// receiver!policy-domain!begin!end, with ext ".xml.gz" or ".zip". (It is
// also the only form of name dmarc-cat accepts.)
func (f *Feedback) FileName(ext string) string {
	return orgDomain(f) + "!" + f.Domain + "!" + strconv.FormatInt(f.Begin, 10) + "!" + strconv.FormatInt(f.End, 10) + ext
}

func orgDomain(f *Feedback) string {
	for _, o := range orgs {
		if o.name == f.OrgName {
			return o.domain
		}
	}
	return "receiver.example"
}

// Gzip returns data gzip'd as receivers send it (.xml.gz).
func Gzip(data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// Zip returns a zip holding data as the one member name (Google's form).
func Zip(name string, data []byte) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Unix(1700000000, 0).UTC()}
	fw, _ := w.CreateHeader(h)
	fw.Write(data)
	w.Close()
	return b.Bytes()
}

// Packed returns the report's file name and bytes: a zip or a gzip by the
// series' own random choice.
func Packed(seed uint64, i int, o GenOptions) (name string, data []byte, f *Feedback) {
	o = o.norm()
	f = Generate(seed, i, o)
	x := f.XML()
	r := rand.New(rand.NewPCG(seed^0x5a5a, uint64(i)))
	if r.Float64() < o.ZipShare {
		name = f.FileName(".zip")
		return name, Zip(f.FileName(".xml"), x), f
	}
	name = f.FileName(".xml.gz")
	return name, Gzip(x), f
}

// WriteDir writes reports 0..n-1 of the series into dir and returns their
// paths in index order.
func WriteDir(dir string, seed uint64, n int, o GenOptions) ([]string, error) {
	paths := make([]string, 0, n)
	for i := range n {
		name, data, _ := Packed(seed, i, o)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
