package ui

import (
	"fmt"
	"strings"

	"github.com/sealtrace/sealtrace/inspect"
)

// The authentication path as a model: the servers the message went through,
// left to right as it travelled (the author's domain, each server named in
// the Received fields, ARC sealers, the receiver), then the receiver's
// decision. The DKIM signatures travel with the message as seals and are
// shown broken where the content changed; ARC seals are shown where they
// were added; the From domain is linked to the DKIM d= and the MAIL FROM
// domain by lines that say whether DMARC aligns them (RFC 9989 4.4).
// diagram.go draws this model; the SVG export draws the same layout.

// pathNode is one box of the diagram.
type pathNode struct {
	key      string // stable across messages of the same shape: author, server:N, arc:N, receiver, decision
	kind     string // author, server, arc, receiver, decision
	host     string // the server's name, for placing seals
	title    string
	subtitle string  // one sentence under the title
	badges   []badge // results shown on the node (never dropped: they wrap)
	result   string  // the node's own result word, for its border; "" for a plain server
	warn     bool    // a slow hop or a clock out of step into this server
	broke    bool    // authentication broke here (only when DMARC fails)
	steps    []inspect.Step
	verdict  bool // a result the quiz hides (the decision, SPF, DKIM/ARC badges)
}

// badge is a result word on a node.
type badge struct {
	text   string
	result string // colours the badge; see resultColour
	quiz   bool   // a verdict: hidden in quiz mode until revealed
}

// pathEdge is the arrow into node i+1 from node i: the hop's TLS and delay.
type pathEdge struct {
	label string
	warn  bool
	seals []sealMark // the seals the message carries on this stretch
}

// sealMark is a seal drawn on an edge: DKIM (by d=) or ARC (by instance).
type sealMark struct {
	kind   string // dkim, arc
	name   string // d= or "i=N"
	intact bool
}

// alignLine links the From domain to an identifier DMARC may align.
type alignLine struct {
	what    string // "DKIM d=" or "MAIL FROM"
	domain  string
	mode    string // strict, relaxed
	tag     string // adkim=r, aspf=s …
	aligned bool   // the domains align in this mode
	counted bool   // aligned and the check passed: DMARC counts it (the line is green)
	label   string
}

// pathModel is the whole diagram of one report.
type pathModel struct {
	nodes []pathNode
	edges []pathEdge // len(nodes)-1
	from  string
	align []alignLine
	// sealNote says how the position of a broken DKIM seal was decided.
	sealNote string
}

// slowHop is the delay from which a hop is drawn as slow.
const slowHop = 10 * 60

// nodeKeys lists the nodes' keys in order (for tests and hooks).
func (m *pathModel) nodeKeys() []string {
	keys := make([]string, len(m.nodes))
	for i, n := range m.nodes {
		keys[i] = n.key
	}
	return keys
}

// index returns the node with key k, or -1.
func (m *pathModel) index(k string) int {
	for i, n := range m.nodes {
		if n.key == k {
			return i
		}
	}
	return -1
}

// buildPath makes the diagram of a report.
func buildPath(r *inspect.Report) *pathModel {
	m := &pathModel{from: r.FromDomain}
	author := pathNode{key: "author", kind: "author", title: orDash(r.FromDomain),
		subtitle: "The author's domain (From). It signs the message with DKIM.",
		steps: []inspect.Step{{Check: "author", What: "The From field names " + orDash(r.FromDomain) +
			": that is the domain a reader sees and the one DMARC checks the other results against.", Result: inspect.None, RFC: "RFC 9989 4.4"}}}
	if len(r.DKIM) == 0 {
		author.subtitle = "The author's domain (From). Nobody signed this message with DKIM."
		author.badges = append(author.badges, badge{text: "no DKIM signature", result: inspect.None})
	}
	for _, d := range r.DKIM {
		author.badges = append(author.badges, badge{text: "DKIM seal by " + orDash(d.Domain), result: inspect.None})
		author.steps = append(author.steps, d.Steps...)
	}
	m.nodes = append(m.nodes, author)

	// The servers: the first Received field's sender, then each receiving
	// server (RFC 5321 4.4: each server adds a Received field on top, so
	// the list, oldest first, is the order the message travelled). Each
	// arrow is one hop, with its TLS and delay.
	for i, h := range r.Hops {
		if i == 0 && h.From != "" {
			m.nodes = append(m.nodes, pathNode{key: "server:0", kind: "server", host: h.From, title: h.From,
				subtitle: "The first server named in a Received field, at " + orDash(h.IP) + ".",
				steps: []inspect.Step{{Check: "hop", What: fmt.Sprintf("%s (%s) is the first server the Received fields name: it handed the message to %s.", h.From, orDash(h.IP), orDash(h.By)),
					Result: inspect.None, Detail: "Received: " + h.Raw, RFC: "RFC 5321 4.4"}}})
			m.edges = append(m.edges, pathEdge{label: "route before it unknown"})
		}
		what := fmt.Sprintf("%s received the message from %s (%s) at %s.", orDash(h.By), orDash(h.From), orDash(h.IP), orDash(h.Time))
		warn := false
		switch {
		case h.ClockSkew:
			warn = true
			what += " This hop is stamped earlier than the one before it: one of the servers' clocks is wrong."
		case h.DelaySeconds != nil && *h.DelaySeconds >= slowHop:
			warn = true
			what += fmt.Sprintf(" It took %s, much longer than usual: a queue or a retry.", strings.TrimPrefix(humanDelay(*h.DelaySeconds), "+"))
		}
		m.edges = append(m.edges, hopEdge(h))
		m.nodes = append(m.nodes, pathNode{key: fmt.Sprintf("server:%d", i+1), kind: "server", host: h.By, title: orDash(h.By),
			subtitle: "TLS: " + tlsWords(h) + ".", warn: warn,
			steps: []inspect.Step{{Check: "hop", What: what, Result: inspect.None, Detail: "Received: " + h.Raw, RFC: "RFC 5321 4.4"}}})
	}

	// The receiver is the server that wrote the newest Received field; with
	// none, it is unnamed.
	if len(r.Hops) == 0 {
		m.nodes = append(m.nodes, pathNode{kind: "server", title: "Receiver", subtitle: "No Received field names it."})
		m.edges = append(m.edges, pathEdge{label: "route unknown"})
	}
	recv := &m.nodes[len(m.nodes)-1]
	recv.key, recv.kind = "receiver", "receiver"
	recv.title = "Receiver " + recv.title
	recv.subtitle = spfWords(r.SPF) + "; it verifies the seals."
	recv.badges = append(recv.badges, badge{text: "SPF " + strings.ToUpper(orDash(r.SPF.Result)), result: r.SPF.Result, quiz: true})
	for _, d := range r.DKIM {
		recv.badges = append(recv.badges, badge{text: "DKIM " + orDash(d.Domain) + " " + strings.ToUpper(orDash(d.Result)), result: d.Result, quiz: true})
	}
	recv.result = r.SPF.Result
	recv.steps = append(recv.steps, r.SPF.Steps...)

	m.placeARC(r)
	m.placeDKIM(r)
	m.align = alignment(r)
	m.nodes = append(m.nodes, decisionNode(r))
	m.edges = append(m.edges, pathEdge{label: "decides"})
	m.markBroken(r)
	return m
}

// hopEdge is the arrow of one Received hop.
func hopEdge(h inspect.Hop) pathEdge {
	e := pathEdge{label: tlsShort(h)}
	if h.DelaySeconds != nil {
		e.label += " · " + humanDelay(*h.DelaySeconds)
	}
	switch {
	case h.ClockSkew:
		e.warn = true
		e.label += " · clock skew"
	case h.DelaySeconds != nil && *h.DelaySeconds >= slowHop:
		e.warn = true
		e.label += " · slow"
	}
	return e
}

func tlsWords(h inspect.Hop) string {
	if h.TLS == "" {
		return "none stated"
	}
	return h.TLS
}

// tlsShort is a hop's TLS for an arrow: the version when stated.
func tlsShort(h inspect.Hop) string {
	switch {
	case h.TLSVersion != "":
		return h.TLSVersion
	case h.TLS == "" || h.TLS == "none stated":
		return "no TLS stated"
	}
	return h.TLS
}

// hostIn tells whether host is domain or a name under it.
func hostIn(host, domain string) bool {
	host, domain = strings.ToLower(strings.TrimSuffix(host, ".")), strings.ToLower(strings.TrimSuffix(domain, "."))
	return domain != "" && (host == domain || strings.HasSuffix(host, "."+domain))
}

// placeARC marks each ARC seal on the server that added it. A sealer is
// the server whose name is the seal's d= or its AAR authserv-id, or a name
// under them; of several, the last one on the path (a seal is added as the
// message leaves). Seals are added in instance order (RFC 8617 4.2.1), so
// one never goes before the previous seal's server. A sealer no Received
// field names gets its own node before the receiver: where it stood on the
// path cannot be known.
func (m *pathModel) placeARC(r *inspect.Report) {
	last := 0
	for _, s := range r.ARC.Sets {
		res := s.SealResult
		if res == "" {
			res = r.ARC.Result
		}
		at := -1
		for i := last; i < len(m.nodes); i++ {
			if m.nodes[i].kind == "server" || m.nodes[i].kind == "receiver" {
				if hostIn(m.nodes[i].host, s.Domain) || (s.AuthservID != "" && hostIn(m.nodes[i].host, s.AuthservID)) {
					at = i
				}
			}
		}
		b := badge{text: fmt.Sprintf("ARC seal i=%d added here", s.Instance), result: res, quiz: true}
		if at < 0 {
			at = len(m.nodes) - 1 // before the receiver
			n := pathNode{key: fmt.Sprintf("arc:%d", s.Instance), kind: "arc", host: s.Domain, title: "ARC sealer " + orDash(s.Domain),
				subtitle: "No Received field names this sealer's server: where it stood on the path is not known."}
			m.nodes = append(m.nodes[:at], append([]pathNode{n}, m.nodes[at:]...)...)
			m.edges = append(m.edges[:at], append([]pathEdge{{label: "?"}}, m.edges[at:]...)...)
		}
		n := &m.nodes[at]
		n.badges = append(n.badges, b)
		if n.kind != "receiver" {
			n.result = res
		}
		n.subtitle = strings.TrimSpace(n.subtitle + " It recorded: " + clipText(orDash(s.Claims), 60))
		n.steps = append(n.steps, inspect.Step{Check: "arc", What: fmt.Sprintf("%s added ARC set i=%d (cv=%s). Its ARC-Authentication-Results recorded what it found on arrival: %s",
			orDash(s.Domain), s.Instance, orDash(s.CV), orDash(s.Claims)), Result: res, RFC: "RFC 8617 4.1"})
		if s.Instance == len(r.ARC.Sets) {
			n.steps = append(n.steps, r.ARC.Steps...)
		}
		last = at
		// The ARC seal travels from here on.
		for e := at; e < len(m.edges); e++ {
			m.edges[e].seals = append(m.edges[e].seals, sealMark{kind: "arc", name: fmt.Sprintf("i=%d", s.Instance), intact: res == inspect.Pass})
		}
	}
}

// placeDKIM draws each DKIM signature as a seal from the author to the
// receiver, broken where the signed content changed.
//
// Where it broke is decided from what servers on the way recorded: the
// last server that recorded dkim=pass for the signature's d= (in its ARC
// set's AAR, or an Authentication-Results field with its authserv-id)
// received it intact; a content change (body hash mismatch, or a signed
// header changed) is then placed at that server, where a mailing list adds
// its footer. That is an inference, not a proof: the change may also have
// happened on the way out of it, and Authentication-Results below the
// receiver can be forged (an ARC AAR is covered by its seal). When no
// server recorded a pass the place cannot be known: the seal is drawn
// broken on arrival at the receiver, and the note says so. A signature
// that fails for another reason (no key, a bad tag) was never a working
// seal: it is shown failing at the receiver without a place of breaking.
func (m *pathModel) placeDKIM(r *inspect.Report) {
	recv := m.index("receiver")
	for _, d := range r.DKIM {
		broken := recv // the stretch from which the seal is drawn broken
		changed := d.Code == inspect.CodeBodyHashMismatch || d.Code == inspect.CodeSignatureMismatch
		if d.Result == inspect.Pass {
			broken = len(m.edges)
		} else if changed {
			at := m.lastRecordedPass(r, d.Domain)
			what := "the body"
			if d.Code == inspect.CodeSignatureMismatch {
				what = "a signed header field"
			}
			if at > 0 && at < recv {
				broken = at
				n := &m.nodes[at]
				n.badges = append(n.badges, badge{text: "DKIM seal of " + d.Domain + " broken here", result: inspect.Fail, quiz: true})
				m.sealNote = fmt.Sprintf("%s recorded dkim=pass for %s when the message reached it, and the receiver finds %s changed: the change was made there (a list footer is the usual cause) or on the way after it.",
					n.host, d.Domain, what)
				n.steps = append(n.steps, inspect.Step{Check: "dkim", What: m.sealNote, Result: inspect.Fail, RFC: "RFC 6376 3.7"})
				n.steps = append(n.steps, d.Steps...)
			} else {
				n := &m.nodes[recv]
				n.badges = append(n.badges, badge{text: "DKIM seal of " + d.Domain + " arrived broken", result: inspect.Fail, quiz: true})
				m.sealNote = fmt.Sprintf("%s changed after %s signed it, but no server on the way recorded the signature intact: where it changed cannot be known.", what, d.Domain)
				n.steps = append(n.steps, inspect.Step{Check: "dkim", What: m.sealNote, Result: inspect.Fail, RFC: "RFC 6376 3.7"})
			}
		}
		for e := range m.edges {
			intact := e < broken
			if !changed && d.Result != inspect.Pass {
				intact = false // never a working seal
			}
			m.edges[e].seals = append(m.edges[e].seals, sealMark{kind: "dkim", name: d.Domain, intact: intact})
		}
	}
	// The receiver verifies every signature.
	for _, d := range r.DKIM {
		m.nodes[recv].steps = append(m.nodes[recv].steps, d.Steps...)
	}
}

// lastRecordedPass is the last node, before the receiver, whose server
// recorded dkim=pass for domain d; 0 when none did.
func (m *pathModel) lastRecordedPass(r *inspect.Report, d string) int {
	recv := m.index("receiver")
	best := 0
	recorded := func(host string) {
		for i := 1; i < recv; i++ {
			if t := m.nodes[i].host; hostIn(t, host) || hostIn(host, t) {
				best = max(best, i)
			}
		}
	}
	for _, s := range r.ARC.Sets {
		if claimsPass(s.Claims, d) {
			recorded(s.Domain)
			if s.AuthservID != "" {
				recorded(s.AuthservID)
			}
		}
	}
	for _, c := range r.Claims {
		if strings.EqualFold(c.Method, "dkim") && c.Result == inspect.Pass && (c.Props == "" || strings.Contains(strings.ToLower(c.Props), strings.ToLower(d))) {
			recorded(c.AuthservID)
		}
	}
	return best
}

// claimsPass tells whether an AAR's results say dkim=pass for domain d.
func claimsPass(claims, d string) bool {
	for _, part := range strings.Split(strings.ToLower(claims), ";") {
		f := strings.Fields(part)
		if len(f) > 0 && f[0] == "dkim=pass" && (len(f) == 1 || strings.Contains(part, "header.d="+strings.ToLower(d))) {
			return true
		}
	}
	return false
}

// alignment makes the lines from the From domain to DKIM d= and MAIL FROM.
func alignment(r *inspect.Report) []alignLine {
	adkim, aspf := dmarcModes(r.DMARC.Record)
	var out []alignLine
	// The signature that counts: an aligned passing one, else the first.
	if len(r.DKIM) > 0 {
		d := r.DKIM[0]
		for _, x := range r.DKIM {
			if x.Result == inspect.Pass && aligned(x.Domain, r.FromDomain, r.DMARC.OrgDomain, adkim) {
				d = x
				break
			}
		}
		out = append(out, makeAlign("DKIM d=", d.Domain, d.Result, r, adkim, "adkim"))
	} else {
		out = append(out, alignLine{what: "DKIM d=", domain: "—", mode: modeName(adkim), tag: "adkim=" + adkim, label: "no DKIM signature: nothing to align"})
	}
	out = append(out, makeAlign("MAIL FROM", r.SPF.Domain, r.SPF.Result, r, aspf, "aspf"))
	return out
}

func makeAlign(what, domain, result string, r *inspect.Report, mode, tag string) alignLine {
	l := alignLine{what: what, domain: orDash(domain), mode: modeName(mode), tag: tag + "=" + mode}
	l.aligned = aligned(domain, r.FromDomain, r.DMARC.OrgDomain, mode)
	l.counted = l.aligned && result == inspect.Pass
	check := "DKIM"
	if what == "MAIL FROM" {
		check = "SPF"
	}
	switch {
	case r.DMARC.Record == "":
		l.label = l.mode + " (no DMARC record: the default)"
	default:
		l.label = l.mode + " (" + l.tag + ")"
	}
	switch {
	case l.counted:
		l.label += ": aligned, and " + check + " passes"
	case l.aligned:
		l.label += ": aligned, but " + check + " " + orDash(result)
	default:
		l.label += ": not aligned"
	}
	return l
}

// aligned is DMARC identifier alignment (RFC 9989 4.4): strict needs the
// same name; relaxed the same organizational domain. The report carries the
// From domain's organizational domain; an identifier is in it when it is
// that name or under it.
func aligned(id, from, org, mode string) bool {
	if id == "" || from == "" {
		return false
	}
	if strings.EqualFold(id, from) {
		return true
	}
	if mode == "s" {
		return false
	}
	if org == "" {
		org = from
	}
	return hostIn(id, org)
}

// dmarcModes reads adkim= and aspf= from a DMARC record; both default to
// relaxed (RFC 9989 4.7).
func dmarcModes(record string) (adkim, aspf string) {
	adkim, aspf = "r", "r"
	for _, t := range strings.Split(record, ";") {
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		v = strings.ToLower(strings.TrimSpace(v))
		if v != "s" && v != "r" {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "adkim":
			adkim = v
		case "aspf":
			aspf = v
		}
	}
	return adkim, aspf
}

func modeName(m string) string {
	if m == "s" {
		return "strict"
	}
	return "relaxed"
}

// decisionNode is what a receiver does with the message: the DMARC result,
// the domain's policy and the disposition, and, when DMARC fails but the
// ARC chain is intact, that a receiver trusting the sealers may accept it
// (RFC 8617 7.2), as the trace's last step says.
func decisionNode(r *inspect.Report) pathNode {
	n := pathNode{key: "decision", kind: "decision", title: "Receiver's decision", result: r.DMARC.Result, verdict: true, steps: r.DMARC.Steps}
	n.badges = append(n.badges, badge{text: "DMARC " + strings.ToUpper(orDash(r.DMARC.Result)), result: r.DMARC.Result, quiz: true})
	switch r.DMARC.Result {
	case inspect.Pass:
		n.subtitle = "DMARC passes: an aligned check verified. The receiver delivers it (its own filters still apply)."
	case inspect.Fail:
		n.subtitle = fmt.Sprintf("DMARC fails. The policy of %s is %s: a receiver would %s.", orDash(r.DMARC.Domain), orDash(r.DMARC.Policy), dispositionWords(r.DMARC.Disposition))
		n.badges = append(n.badges, badge{text: "policy " + orDash(r.DMARC.Policy) + " → " + dispositionWords(r.DMARC.Disposition), result: inspect.Fail, quiz: true})
		if r.ARC.Result == inspect.Pass && len(r.ARC.Sets) > 0 {
			var sealers []string
			for _, s := range r.ARC.Sets {
				sealers = append(sealers, s.Domain)
			}
			n.subtitle += " But the ARC chain is intact: a receiver that trusts " + strings.Join(sealers, ", ") + " may accept it (ARC override, RFC 8617 7.2)."
			n.badges = append(n.badges, badge{text: "ARC override possible", result: inspect.Pass, quiz: true})
		}
	case inspect.TempError:
		n.subtitle = "DMARC could not be decided (a DNS problem): a receiver would try again later."
	default:
		n.subtitle = "No DMARC policy applies: the receiver decides with its own filters."
	}
	return n
}

// markBroken marks where authentication broke, only when the verdict
// fails: DMARC fail. It is the first place on the path where an identifier
// that could have aligned stopped counting: a DKIM seal of an aligned
// domain broken on the way, or SPF failing at the receiver; when neither,
// the decision itself (nothing aligned to begin with).
func (m *pathModel) markBroken(r *inspect.Report) {
	if r.DMARC.Result != inspect.Fail {
		return
	}
	adkim, aspf := dmarcModes(r.DMARC.Record)
	at := len(m.nodes) - 1
	for i, n := range m.nodes {
		for _, b := range n.badges {
			if strings.HasPrefix(b.text, "DKIM seal of ") {
				d := strings.Fields(strings.TrimPrefix(b.text, "DKIM seal of "))[0]
				if aligned(d, r.FromDomain, r.DMARC.OrgDomain, adkim) {
					at = min(at, i)
				}
			}
		}
		if n.kind == "receiver" && aligned(r.SPF.Domain, r.FromDomain, r.DMARC.OrgDomain, aspf) &&
			(r.SPF.Result == inspect.Fail || r.SPF.Result == inspect.SoftFail) {
			at = min(at, i)
		}
	}
	m.nodes[at].broke = true
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// humanDelay says a hop's delay with its sign: "+3s", "+12 min", "-4 min"
// (a negative delay is a clock out of step).
func humanDelay(s float64) string {
	sign := "+"
	if s < 0 {
		sign, s = "-", -s
	}
	switch {
	case s < 120:
		return fmt.Sprintf("%s%.0fs", sign, s)
	case s < 7200:
		return fmt.Sprintf("%s%.0f min", sign, s/60)
	}
	return fmt.Sprintf("%s%.1f h", sign, s/3600)
}

func dispositionWords(d string) string {
	switch d {
	case "reject":
		return "reject it"
	case "quarantine":
		return "put it in spam"
	}
	return "deliver it"
}
