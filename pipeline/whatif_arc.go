package pipeline

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/miekg/dns"
)

// arcSeal adds an ARC set (RFC 8617 4.1) to the message as the list of
// forward=arc would: the ARC-Authentication-Results of what the list saw on
// arrival (the recorded verdicts), an ARC-Message-Signature over the
// message as it now is, and an ARC-Seal over the chain. Sealtrace makes the
// seal with throwawaySealKey, whose public half the edit publishes in the
// evidence at whatif._domainkey.lists.whatif.invalid, and the note says so:
// the seal is the lesson's, no real list's.
func (w *whatIf) arcSeal() error {
	block, _ := pem.Decode([]byte(throwawaySealKey))
	if block == nil {
		return errors.New("the throwaway seal key does not read")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return err
	}
	head, body := splitMessage(w.b.Message)
	fields := headerFields(head)
	inst := w.rep.ARC.Instances + 1
	if inst > 50 {
		return errors.New("the message already has 50 ARC sets, the most RFC 8617 4.2.1 allows")
	}
	cv := "none"
	switch {
	case inst > 1 && w.rep.ARC.Result == "pass":
		cv = "pass"
	case inst > 1:
		cv = "fail"
	}
	t := w.b.EvaluationTime.Unix()
	d, s := WhatIfListDomain, whatIfSelector

	dkimRes := "none"
	if len(w.rep.DKIM) > 0 {
		dkimRes = w.rep.DKIM[0].Result
	}
	aar := fmt.Sprintf("ARC-Authentication-Results: i=%d; %s; dkim=%s; spf=%s smtp.mailfrom=%s; dmarc=%s header.from=%s",
		inst, d, dkimRes, orNoneWord(w.rep.SPF.Result), orDash(w.rep.SPF.MailFrom), orNoneWord(w.rep.DMARC.Result), orDash(w.rep.FromDomain))

	// AMS: like a DKIM signature (RFC 8617 4.1.2), over the fields a
	// list keeps, the bottom instance of each (RFC 6376 5.4.2).
	var signed []string
	var hashed bytes.Buffer
	for _, name := range []string{"from", "to", "cc", "subject", "date", "message-id", "mime-version", "content-type"} {
		for i := len(fields) - 1; i >= 0; i-- {
			if fieldName(fields[i]) == name {
				signed = append(signed, name)
				hashed.WriteString(relaxedHeader(fields[i]))
				break
			}
		}
	}
	bh := sha256.Sum256(relaxedBody(body))
	ams := fmt.Sprintf("ARC-Message-Signature: i=%d; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=%s; t=%d; h=%s; bh=%s; b=",
		inst, d, s, t, strings.Join(signed, ":"), base64.StdEncoding.EncodeToString(bh[:]))
	hashed.WriteString(strings.TrimSuffix(relaxedHeader(ams), "\r\n"))
	sig, err := rsaSign(key, hashed.Bytes())
	if err != nil {
		return err
	}
	ams += sig

	// AS (RFC 8617 5.1.1): every set's AAR, AMS and AS in instance order,
	// then this seal without its b= value.
	var sealed bytes.Buffer
	for i := 1; i < inst; i++ {
		for _, name := range []string{"arc-authentication-results", "arc-message-signature", "arc-seal"} {
			f := arcField(fields, name, i)
			if f == "" {
				return fmt.Errorf("the message's ARC set %d has no %s field to seal over", i, name)
			}
			sealed.WriteString(relaxedHeader(f))
		}
	}
	sealed.WriteString(relaxedHeader(aar))
	sealed.WriteString(relaxedHeader(ams))
	as := fmt.Sprintf("ARC-Seal: i=%d; a=rsa-sha256; cv=%s; d=%s; s=%s; t=%d; b=", inst, cv, d, s, t)
	sealed.WriteString(strings.TrimSuffix(relaxedHeader(as), "\r\n"))
	if sig, err = rsaSign(key, sealed.Bytes()); err != nil {
		return err
	}
	as += sig

	nl := "\n"
	if bytes.Contains(w.b.Message, []byte("\r\n")) {
		nl = "\r\n"
	}
	w.b.Message = append([]byte(as+nl+ams+nl+aar+nl), w.b.Message...)
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	w.set(s+"._domainkey."+d+".", dns.TypeTXT, "NOERROR", []string{"v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(pub)})
	w.note("the list sealed it with ARC (i=%d, cv=%s) using a throwaway key Sealtrace publishes for what-ifs; its public half is in the edited evidence at %s._domainkey.%s", inst, cv, s, d)
	return nil
}

func orNoneWord(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func rsaSign(key *rsa.PrivateKey, data []byte) (string, error) {
	h := sha256.Sum256(data)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// splitMessage cuts a message at its first empty line.
func splitMessage(m []byte) (head, body []byte) {
	i := headerEnd(m)
	head, rest := m[:i], m[i:]
	switch {
	case bytes.HasPrefix(rest, []byte("\r\n")):
		return head, rest[2:]
	case bytes.HasPrefix(rest, []byte("\n")):
		return head, rest[1:]
	}
	return head, nil
}

// headerFields are the fields of a header section, each with its
// continuation lines, without its final line break.
func headerFields(head []byte) []string {
	var out []string
	for line := range strings.SplitSeq(strings.TrimRight(string(head), "\r\n"), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(out) > 0 {
			out[len(out)-1] += "\r\n" + line
			continue
		}
		out = append(out, line)
	}
	return out
}

func fieldName(f string) string {
	n, _, _ := strings.Cut(f, ":")
	return strings.ToLower(strings.TrimRight(n, " \t"))
}

var reInstance = regexp.MustCompile(`(?i)(?:^|;)\s*i\s*=\s*(\d+)\s*(?:;|$)`)

// arcField is the field name with instance i=n.
func arcField(fields []string, name string, n int) string {
	for _, f := range fields {
		if fieldName(f) != name {
			continue
		}
		_, v, _ := strings.Cut(f, ":")
		if m := reInstance.FindStringSubmatch(v); m != nil && m[1] == fmt.Sprint(n) {
			return f
		}
	}
	return ""
}

var reWSP = regexp.MustCompile(`[ \t]+`)

// relaxedHeader is RFC 6376 3.4.2: name lower case, value unfolded, runs of
// white space one space, none at the ends or around the colon; with CRLF.
func relaxedHeader(f string) string {
	name, value, _ := strings.Cut(f, ":")
	value = strings.ReplaceAll(strings.ReplaceAll(value, "\r\n", ""), "\n", "")
	value = strings.TrimSpace(reWSP.ReplaceAllString(value, " "))
	return strings.ToLower(strings.TrimRight(name, " \t")) + ":" + value + "\r\n"
}

// relaxedBody is RFC 6376 3.4.4: runs of white space one space, none at a
// line's end, no empty lines at the end, lines ended by CRLF.
func relaxedBody(body []byte) []byte {
	lines := strings.Split(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(reWSP.ReplaceAllString(l, " "), " ")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}
