package ui

import (
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sealtrace/sealtrace/internal/testpeers/dnstest"
	"github.com/sealtrace/sealtrace/internal/testpeers/dovecottest"
	"github.com/sealtrace/sealtrace/mailbox"
)

// reportSeedsUI are the repository's own test reports as they arrive by
// mail (an aggregate report gzipped as an attachment, one zipped as the
// whole body, a TLS report and a failure report as multipart/report), and
// an ordinary message that must not be fetched.
func reportSeedsUI(t *testing.T) []dovecottest.Seed {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "reports", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	gz := base64.StdEncoding.EncodeToString(read("agg-rfc7489.xml.gz"))
	var lines []string
	for len(gz) > 76 {
		lines, gz = append(lines, gz[:76]), gz[76:]
	}
	lines = append(lines, gz)
	name := "receiver-one.example!sealtrace.example!1795824000!1795910399.xml.gz"
	agg := "From: dmarc@receiver-one.example\r\nTo: dmarc-rua@sealtrace.example\r\n" +
		"Subject: Report Domain: sealtrace.example Submitter: receiver-one.example Report-ID: <r1-2026-11-28-0001>\r\n" +
		"Message-ID: <r1@receiver-one.example>\r\nDate: Sat, 28 Nov 2026 23:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain\r\n\r\nThis is a DMARC aggregate report.\r\n" +
		"--b1\r\nContent-Type: application/gzip; name=\"" + name + "\"\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + strings.Join(lines, "\r\n") + "\r\n--b1--\r\n"
	ordinary := "From: bob@example.net\r\nTo: dmarc-rua@sealtrace.example\r\nSubject: lunch?\r\nMessage-ID: <lunch@example.net>\r\n" +
		"Date: Sat, 28 Nov 2026 12:00:00 +0000\r\nContent-Type: text/plain\r\n\r\nAre we still on for lunch?\r\n"
	var seeds []dovecottest.Seed
	for _, raw := range [][]byte{[]byte(agg), read("zip-body.eml"), []byte(ordinary), read("tlsrpt.eml"), read("failure.eml")} {
		seeds = append(seeds, dovecottest.Seed{Folder: "Reports", Raw: raw})
	}
	return seeds
}

// newIMAPSession waits for the one session opened since before to log
// out and returns its commands.
func newIMAPSession(t *testing.T, d *dovecottest.Server, before map[string][]string) []string {
	t.Helper()
	for i := 0; ; i++ {
		var fresh [][]string
		for name, cmds := range d.Sessions(t) {
			if _, old := before[name]; !old {
				fresh = append(fresh, cmds)
			}
		}
		if len(fresh) == 1 && len(fresh[0]) > 0 && strings.EqualFold(fresh[0][len(fresh[0])-1], "LOGOUT") {
			return fresh[0]
		}
		if len(fresh) > 1 || i == 600 {
			t.Fatalf("want one new session that logged out, have %q", fresh)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// settledSessions waits until every session so far has logged out.
func settledSessions(t *testing.T, d *dovecottest.Server) map[string][]string {
	t.Helper()
	for i := 0; i < 600; i++ {
		all := d.Sessions(t)
		done := true
		for _, cmds := range all {
			done = done && len(cmds) > 0 && strings.EqualFold(cmds[len(cmds)-1], "LOGOUT")
		}
		if done {
			return all
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("a session did not log out")
	return nil
}

var uidFetchRe = regexp.MustCompile(`(?i)^UID FETCH (\S+) \((.*)\)$`)

// peekedUIDs checks that a session only read (no SELECT, STORE, whole
// message or non-PEEK body fetch) and returns the UIDs whose body parts
// it fetched with BODY.PEEK.
func peekedUIDs(t *testing.T, cmds []string) []uint32 {
	t.Helper()
	var uids []uint32
	for _, c := range cmds {
		u := strings.ToUpper(c)
		for _, bad := range []string{"SELECT", "STORE", "COPY", "MOVE", "EXPUNGE", "APPEND", "CREATE", "DELETE", "RENAME"} {
			if strings.HasPrefix(u, bad+" ") || strings.HasPrefix(u, "UID "+bad+" ") {
				t.Errorf("the app sent %q", c)
			}
		}
		if strings.Contains(u, "BODY[") || strings.Contains(u, "BODY.PEEK[]") || strings.Contains(u, "RFC822") {
			t.Errorf("a fetch of a whole message or without PEEK: %q", c)
		}
		m := uidFetchRe.FindStringSubmatch(c)
		if m == nil || !strings.Contains(u, "BODY.PEEK[") {
			continue
		}
		for _, r := range strings.Split(m[1], ",") {
			lo, hi, isRange := strings.Cut(r, ":")
			a, err1 := strconv.ParseUint(lo, 10, 32)
			b := a
			var err2 error
			if isRange {
				b, err2 = strconv.ParseUint(hi, 10, 32)
			}
			if err1 != nil || err2 != nil || b < a || b-a > 100 {
				t.Fatalf("UID set %q in %q", m[1], c)
			}
			for x := a; x <= b; x++ {
				if !slices.Contains(uids, uint32(x)) {
					uids = append(uids, uint32(x))
				}
			}
		}
	}
	return uids
}

// readThroughDialog taps the Reports view's IMAP button, types the folder
// and taps Read.
func readThroughDialog(t *testing.T, u *UI, folder string) {
	t.Helper()
	u.postAndWait(func() {
		b := findButton(u.reports.content, imapReportsButton)
		if b == nil {
			t.Fatal("no IMAP button in the Reports view")
		}
		test.Tap(b)
	})
	u.postAndWait(func() {
		top := u.win.Canvas().Overlays().Top()
		if top == nil {
			t.Fatal("no dialog")
		}
		var entry *widget.SelectEntry
		var acct *widget.Select
		walkObjects(top, func(o fyne.CanvasObject) {
			switch x := o.(type) {
			case *widget.SelectEntry:
				entry = x
			case *widget.Select:
				acct = x
			}
		})
		if entry == nil || acct == nil || acct.Selected == "" {
			t.Fatalf("the dialog lacks the account (%v) or the folder (%v)", acct, entry)
		}
		if entry.Text != "INBOX" {
			t.Errorf("the folder's default: %q, want INBOX", entry.Text)
		}
		entry.SetText(folder)
		read := findButton(top, "Read")
		if read == nil {
			t.Fatal("no Read button")
		}
		test.Tap(read)
	})
}

// The Reports view reads a real Dovecot folder through its button: the
// aggregate (gzip attachment and zip body), TLS and failure reports show
// under their domain, the failure report's message inspected; the server
// saw only BODY.PEEK of the four report parts (the ordinary message's body
// was never fetched) and no flag changed. A second read fetches nothing
// (the app's cache) and shows nothing twice; a missing folder and a wrong
// password are said in words.
func TestReportsFromIMAPFolder(t *testing.T) {
	u := newReportsUI(t)
	// The failure report's message is inspected with a loopback DNS server
	// that knows nothing: no query leaves the machine.
	srv := dnstest.Start(t, dnstest.Zones(t, "nothing.invalid. 300 IN SOA ns.nothing.invalid. h.nothing.invalid. 1 3600 600 86400 300"))
	u.app.Preferences().SetString(prefDNSMode, dnsServer)
	u.app.Preferences().SetString(prefDNSServer, srv.Addr)

	d := dovecottest.Start(t, reportSeedsUI(t))
	u.accounts.imapRoots = d.Roots
	u.accounts.creds = &mailbox.Memory{}
	u.accounts.cache = &mailbox.Cache{Dir: t.TempDir(), MaxBytes: 1 << 30}
	acct := savedAccount{Server: d.IMAPSAddr, Security: mailbox.ImplicitTLS, Username: "alice"}
	u.postAndWait(func() {
		if err := u.addAccount(acct, "secret"); err != nil {
			t.Error(err)
		}
	})
	folder := folderSource(acct.key(), "Reports")
	waitFor(t, u, "the account's folders", func() bool { _, ok := u.accounts.folders[folder]; return ok })
	listed := settledSessions(t, d)
	before := d.Snapshot(t)
	loadedBefore := 0
	u.postAndWait(func() { loadedBefore = len(u.reports.loaded) })

	readThroughDialog(t, u, "Reports")
	session := newIMAPSession(t, d, listed)
	waitFor(t, u, "the folder's reports", func() bool {
		return len(u.running) == 0 && strings.Contains(u.status.Text, "report parts in the folder")
	})

	u.postAndWait(func() {
		if n := len(u.reports.loaded) - loadedBefore; n != 4 {
			t.Errorf("%d reports added, want 4 (two aggregate, one TLS, one failure)", n)
		}
		if u.mainTabs.SelectedIndex() != 1 {
			t.Error("the Reports tab is not shown")
		}
		dom := u.reports.domainNamed(t, "sealtrace.example")
		if dom.aggregates != 2 || !slices.Contains(dom.orgs, "Receiver One") || !slices.Contains(dom.orgs, "Receiver Two") {
			t.Errorf("sealtrace.example: %d aggregate reports from %v, want 2 (Receiver One, Receiver Two)", dom.aggregates, dom.orgs)
		}
		var ips []string
		for _, s := range dom.sources {
			ips = append(ips, s.ip)
		}
		for _, ip := range []string{"192.0.2.10", "198.51.100.7", "203.0.113.99", "2001:db8::25"} {
			if !slices.Contains(ips, ip) {
				t.Errorf("source %s not shown; sources: %v", ip, ips)
			}
		}
		if len(dom.failures) != 1 || dom.failures[0].msg == nil || dom.failures[0].msg.report == nil {
			t.Errorf("sealtrace.example: %d failure reports, want 1 with its message inspected", len(dom.failures))
		}
		if len(dom.tls) == 0 {
			t.Error("sealtrace.example: no TLS report policy shown")
		}
		if !strings.Contains(u.status.Text, "4 new reports") || !strings.Contains(u.status.Text, "0 from the cache, 4 fetched") {
			t.Errorf("status: %q", u.status.Text)
		}
		if u.progress.Visible() || u.cancelBtn.Visible() {
			t.Error("the progress bar or Cancel is still shown")
		}
	})
	// Five messages, four reports read: four UIDs peeked means the
	// ordinary message's body was never fetched.
	if uids := peekedUIDs(t, session); len(uids) != 4 {
		t.Errorf("bodies peeked of UIDs %v, want the four reports' only; session: %q", uids, session)
	}
	if after := d.Snapshot(t); after != before {
		t.Errorf("the folder changed (flags or files):\nbefore %s\nafter  %s", before, after)
	}

	// Again: everything from the cache, nothing shown twice.
	listed = settledSessions(t, d)
	readThroughDialog(t, u, "Reports")
	session = newIMAPSession(t, d, listed)
	waitFor(t, u, "the second read", func() bool {
		// The status said "Reading…" from the tap on.
		return len(u.running) == 0 && strings.Contains(u.status.Text, "report parts in the folder")
	})
	u.postAndWait(func() {
		if n := len(u.reports.loaded) - loadedBefore; n != 4 {
			t.Errorf("after a second read %d reports, want still 4", n)
		}
		if !strings.Contains(u.status.Text, "0 new reports") || !strings.Contains(u.status.Text, "4 from the cache, 0 fetched") {
			t.Errorf("status: %q", u.status.Text)
		}
	})
	if uids := peekedUIDs(t, session); len(uids) != 0 {
		t.Errorf("the second read fetched the parts of UIDs %v again", uids)
	}
	if after := d.Snapshot(t); after != before {
		t.Errorf("the folder changed on the second read")
	}

	// Errors in words: a folder that does not exist, a wrong password.
	dismiss := func() {
		u.postAndWait(func() {
			if top := u.win.Canvas().Overlays().Top(); top != nil {
				u.win.Canvas().Overlays().Remove(top)
			}
		})
	}
	readThroughDialog(t, u, "NoSuchFolder")
	waitFor(t, u, "the missing folder's error", func() bool {
		return len(u.running) == 0 && strings.Contains(u.status.Text, "NoSuchFolder: the folder could not be read")
	})
	u.postAndWait(func() {
		if !strings.Contains(overlayTexts(u.win), "the folder could not be read") {
			t.Errorf("no error dialog for the missing folder: %q", overlayTexts(u.win))
		}
	})
	dismiss()
	u.postAndWait(func() {
		if err := u.accounts.creds.Set(acct.key(), "wrong"); err != nil {
			t.Error(err)
		}
	})
	readThroughDialog(t, u, "Reports")
	waitFor(t, u, "the login error", func() bool {
		return len(u.running) == 0 && strings.Contains(u.status.Text, "rejected the user name or password")
	})
	dismiss()
}

// Reading a folder runs off the UI goroutine with the status bar's
// progress and Cancel: against a server that accepts and never answers,
// Cancel ends the read at once, says so, and shows no error dialog.
func TestReportsFromIMAPCancel(t *testing.T) {
	u := newReportsUI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // never a greeting
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	})
	acct := savedAccount{Server: ln.Addr().String(), Security: mailbox.Plaintext, Username: "alice"}
	u.accounts.creds = &mailbox.Memory{}
	u.accounts.cache = &mailbox.Cache{Dir: t.TempDir(), MaxBytes: 1 << 20}
	u.postAndWait(func() {
		u.saveAccount(acct) // not addAccount: its folder listing would wait on the silent server too
		if err := u.accounts.creds.Set(acct.key(), "secret"); err != nil {
			t.Error(err)
		}
	})
	readThroughDialog(t, u, "INBOX")
	u.postAndWait(func() {
		if !u.progress.Visible() || !u.cancelBtn.Visible() || len(u.running) != 1 {
			t.Errorf("while reading: progress %v, Cancel %v, %d running", u.progress.Visible(), u.cancelBtn.Visible(), len(u.running))
		}
		if !strings.HasPrefix(u.status.Text, "Reading the reports in alice@") {
			t.Errorf("status while reading: %q", u.status.Text)
		}
	})
	waitFor(t, u, "the connection to the silent server", func() bool { mu.Lock(); defer mu.Unlock(); return len(held) == 1 })
	u.postAndWait(func() { test.Tap(u.cancelBtn) })
	waitFor(t, u, "the read to end", func() bool { return len(u.running) == 0 })
	u.postAndWait(func() {
		if !strings.Contains(u.status.Text, "canceled") {
			t.Errorf("status after Cancel: %q", u.status.Text)
		}
		if u.progress.Visible() || u.cancelBtn.Visible() {
			t.Error("the progress bar or Cancel is still shown")
		}
		if txt := overlayTexts(u.win); txt != "" {
			t.Errorf("a dialog after Cancel: %q", txt)
		}
	})
}
