package dmarcpeers

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// MailDMARCScript is maildmarc.pl: it prints one JSON line per file with what
// Mail::DMARC's receiver read from it. The bench runs the same script.
//
//go:embed maildmarc.pl
var MailDMARCScript []byte

// Result is what a peer read from one file: a report, or why it could not.
type Result struct {
	File   string
	Report *Feedback
	Err    string
}

// MailDMARCAvailable says why Mail::DMARC cannot run here (nil when it can).
func MailDMARCAvailable() error {
	out, err := exec.Command("perl", "-MMail::DMARC::Report::Receive", "-MJSON::PP", "-e", "print $Mail::DMARC::Report::Receive::VERSION").CombinedOutput()
	if err != nil {
		return fmt.Errorf("Mail::DMARC (Debian libmail-dmarc-perl) is not usable: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// MailDMARC runs Mail::DMARC's receiver over files in one perl process and
// returns one Result per file, in order. The error is for the run itself
// (perl missing, output unreadable), not for a file it could not read.
//
// stripNS removes the dmarc-2.0 namespace declaration before the receiver
// reads the XML: Mail::DMARC 1.20211209 finds its elements by XPath with no
// namespace, so it reads nothing from an RFC 9990 report as sent.
func MailDMARC(ctx context.Context, files []string, stripNS bool) ([]Result, error) {
	// The script comes on standard input ("perl -"), the files as arguments.
	cmd := exec.CommandContext(ctx, "perl", append([]string{"-"}, files...)...)
	cmd.Stdin = bytes.NewReader(MailDMARCScript)
	cmd.Env = os.Environ()
	if stripNS {
		cmd.Env = append(cmd.Env, "MAILDMARC_STRIP_NS=1")
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("Mail::DMARC: %v: %s", err, tail(stderr.Bytes()))
	}
	var res []Result
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<30)
	for sc.Scan() {
		r, err := decodeMailDMARC(sc.Bytes())
		if err != nil {
			return nil, err
		}
		res = append(res, r)
	}
	if len(res) != len(files) {
		return nil, fmt.Errorf("Mail::DMARC: %d results for %d files: %s", len(res), len(files), tail(stderr.Bytes()))
	}
	return res, nil
}

type mdOut struct {
	File   string `json:"file"`
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
	Report *struct {
		OrgName  string            `json:"org_name"`
		Email    string            `json:"email"`
		ReportID string            `json:"report_id"`
		Begin    string            `json:"begin"`
		End      string            `json:"end"`
		Errors   []string          `json:"errors"`
		Policy   map[string]string `json:"policy"`
		Records  []struct {
			SourceIP     string   `json:"source_ip"`
			Count        string   `json:"count"`
			Disposition  string   `json:"disposition"`
			DKIM         string   `json:"dkim"`
			SPF          string   `json:"spf"`
			Reasons      []Reason `json:"reasons"`
			HeaderFrom   string   `json:"header_from"`
			EnvelopeFrom string   `json:"envelope_from"`
			EnvelopeTo   string   `json:"envelope_to"`
			Auth         struct {
				DKIM []struct{ Domain, Selector, Result, Human_result string } `json:"dkim"`
				SPF  []struct{ Domain, Scope, Result string }                  `json:"spf"`
			} `json:"auth"`
		} `json:"records"`
	} `json:"report"`
}

func decodeMailDMARC(line []byte) (Result, error) {
	var o mdOut
	if err := json.Unmarshal(line, &o); err != nil {
		return Result{}, fmt.Errorf("Mail::DMARC: unreadable output line %.200q: %v", line, err)
	}
	if !o.OK || o.Report == nil {
		return Result{File: o.File, Err: o.Error}, nil
	}
	m := o.Report
	f := &Feedback{
		OrgName: m.OrgName, Email: m.Email, ReportID: m.ReportID,
		Begin: num(m.Begin), End: num(m.End), Errors: m.Errors,
		Domain: m.Policy["domain"], ADKIM: m.Policy["adkim"], ASPF: m.Policy["aspf"],
		P: m.Policy["p"], SP: m.Policy["sp"], Pct: m.Policy["pct"],
	}
	for _, r := range m.Records {
		rec := Record{
			SourceIP: r.SourceIP, Count: int(num(r.Count)),
			Disposition: r.Disposition, DKIM: r.DKIM, SPF: r.SPF, Reasons: r.Reasons,
			HeaderFrom: r.HeaderFrom, EnvelopeFrom: r.EnvelopeFrom, EnvelopeTo: r.EnvelopeTo,
		}
		for _, a := range r.Auth.DKIM {
			rec.AuthDKIM = append(rec.AuthDKIM, DKIMAuth{a.Domain, a.Selector, a.Result, a.Human_result})
		}
		for _, a := range r.Auth.SPF {
			rec.AuthSPF = append(rec.AuthSPF, SPFAuth{Domain: a.Domain, Scope: a.Scope, Result: a.Result})
		}
		f.Records = append(f.Records, rec)
	}
	return Result{File: o.File, Report: f}, nil
}

// num reads a number the peer kept as text (it keeps the reporter's
// whitespace); -1 when it is not one.
func num(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

func tail(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
