// Package dovecottest runs a throwaway Dovecot (Debian's dovecot-imapd, 2.3)
// on loopback for tests, with a Maildir seeded directly on disk, so that
// nothing but the code under test talks IMAP to it.
package dovecottest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is a running Dovecot. The user is alice, password "secret".
type Server struct {
	Dir         string
	IMAPAddr    string // STARTTLS (or plaintext)
	IMAPSAddr   string // implicit TLS
	Roots       *x509.CertPool
	Fingerprint string // SHA-256 of the certificate, hex
	Maildir     string
	// Rawlog is where Dovecot writes what each session's client sent after
	// logging in (rawlog_dir: one NAME.in file per session); Commands reads
	// it, so a test sees the commands as the server got them.
	Rawlog string
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Seed is a message to put in a folder; Seen sets \Seen in its file name.
type Seed struct {
	Folder string // "" for INBOX, else "Archive", "Lists/Dev"
	Raw    []byte
	Seen   bool
}

// Start starts Dovecot with the seeds; it stops when the test ends.
func Start(t testing.TB, seeds []Seed) *Server {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		t.Fatalf("dovecot is not installed (make test installs dovecot-imapd): %v", err)
	}
	// In /tmp itself, not $TMPDIR: Dovecot's unprivileged processes must be
	// able to reach it (a test's own temporary folder is 0700), and its
	// socket paths must stay under 108 bytes.
	dir, err := os.MkdirTemp("/tmp", "dove")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	d := &Server{Dir: dir, Maildir: filepath.Join(dir, "home", "alice", "Maildir")}

	// A certificate for localhost and 127.0.0.1.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	d.Roots = x509.NewCertPool()
	d.Roots.AddCert(cert)
	sum := sha256.Sum256(der)
	d.Fingerprint = hex.EncodeToString(sum[:])
	keyDER, _ := x509.MarshalECPrivateKey(key)
	write := func(name string, data []byte, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), data, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	write("key.pem", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	write("passwd", []byte("alice:{PLAIN}secret::::::\n"), 0o644)

	// The Maildir, written directly: Maildir++ keeps "Lists/Dev" as ".Lists.Dev".
	for i, s := range seeds {
		folder := d.Maildir
		if s.Folder != "" {
			folder = filepath.Join(d.Maildir, "."+strings.ReplaceAll(s.Folder, "/", "."))
		}
		for _, sub := range []string{"cur", "new", "tmp"} {
			os.MkdirAll(filepath.Join(folder, sub), 0o755)
		}
		flags := ""
		if s.Seen {
			flags = "S"
		}
		name := fmt.Sprintf("%d.M%dP1.sealtrace,S=%d:2,%s", 1795000000+i, i, len(s.Raw), flags)
		if err := os.WriteFile(filepath.Join(folder, "cur", name), s.Raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(d.Maildir, "cur"), 0o755)

	// Run as nobody when root (Dovecot refuses root for its processes).
	internal := "nobody"
	if u, err := user.Current(); err == nil && u.Uid != "0" {
		internal = u.Username
	}
	if os.Getuid() == 0 {
		nobody, _ := user.Lookup("nobody")
		uid, _ := strconv.Atoi(nobody.Uid)
		gid, _ := strconv.Atoi(nobody.Gid)
		filepath.Walk(filepath.Join(dir, "home"), func(p string, _ os.FileInfo, _ error) error { return os.Chown(p, uid, gid) })
	}
	for _, sub := range []string{"run", "state"} {
		os.MkdirAll(filepath.Join(dir, sub), 0o755)
	}
	d.Rawlog = filepath.Join(dir, "rawlog")
	os.MkdirAll(d.Rawlog, 0o777)
	os.Chmod(d.Rawlog, 0o777) // written by the mail user (nobody when root)
	imapPort, imapsPort := freePort(t), freePort(t)
	d.IMAPAddr = fmt.Sprintf("127.0.0.1:%d", imapPort)
	d.IMAPSAddr = fmt.Sprintf("127.0.0.1:%d", imapsPort)
	group := "nogroup"
	if internal != "nobody" {
		group = internal
	}
	conf := fmt.Sprintf(`instance_name = sealtrace-%d
base_dir = %[2]s/run
state_dir = %[2]s/state
log_path = %[2]s/dovecot.log
info_log_path = %[2]s/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <%[2]s/cert.pem
ssl_key = <%[2]s/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[2]s/passwd
}
userdb {
  driver = static
  args = uid=%[3]s gid=%[4]s home=%[2]s/home/%%u
}
mail_location = maildir:~/Maildir
rawlog_dir = %[2]s/rawlog
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  chroot =
  inet_listener imap {
    port = %[5]d
  }
  inet_listener imaps {
    port = %[6]d
    ssl = yes
  }
}
service anvil {
  chroot =
}
default_internal_user = %[3]s
default_login_user = %[3]s
`, imapsPort, dir, internal, group, imapPort, imapsPort)
	write("dovecot.conf", []byte(conf), 0o644)
	args := []string{"-F", "-c", filepath.Join(dir, "dovecot.conf")}
	cmd := exec.Command(bin, args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("dovecot: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", d.IMAPSAddr); err == nil {
			c.Close()
			break
		}
		if i == 100 {
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot did not start:\n%s\n%s", logs.String(), log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return d
}

// Snapshot is every message file of the Maildir, by name (which holds the
// flags), with the SHA-256 of its content.
func (d *Server) Snapshot(t testing.TB) string {
	t.Helper()
	var lines []string
	filepath.Walk(d.Maildir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		dir := filepath.Base(filepath.Dir(p))
		if dir != "cur" && dir != "new" {
			return nil // Dovecot's own index and uid list files
		}
		f, err := os.Open(p)
		if err != nil {
			return nil
		}
		defer f.Close()
		h := sha256.New()
		io.Copy(h, f)
		rel, _ := filepath.Rel(d.Maildir, p)
		lines = append(lines, rel+" "+hex.EncodeToString(h.Sum(nil)))
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// Deliver puts a new unseen message in folder, as a delivery agent would
// (written in tmp/, then moved to new/).
func (d *Server) Deliver(t testing.TB, folder string, raw []byte) {
	t.Helper()
	dir := d.Maildir
	if folder != "" {
		dir = filepath.Join(d.Maildir, "."+strings.ReplaceAll(folder, "/", "."))
	}
	name := fmt.Sprintf("%d.M1P2.delivered", time.Now().UnixNano())
	tmp := filepath.Join(dir, "tmp", name)
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		if u, err := user.Lookup("nobody"); err == nil {
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			os.Chown(tmp, uid, gid)
		}
	}
	if err := os.Rename(tmp, filepath.Join(dir, "new", name)); err != nil {
		t.Fatal(err)
	}
}

// Remove deletes the first message file (by name) of folder, as another
// client's EXPUNGE would; Dovecot notices it at its next look.
func (d *Server) Remove(t testing.TB, folder string) {
	t.Helper()
	dir := d.Maildir
	if folder != "" {
		dir = filepath.Join(d.Maildir, "."+strings.ReplaceAll(folder, "/", "."))
	}
	var names []string
	for _, sub := range []string{"cur", "new"} {
		files, _ := filepath.Glob(filepath.Join(dir, sub, "*"))
		names = append(names, files...)
	}
	sort.Strings(names)
	if len(names) == 0 {
		t.Fatal("dovecottest: no message to remove")
	}
	if err := os.Remove(names[0]); err != nil {
		t.Fatal(err)
	}
}

// Commands returns the commands clients sent after logging in, from
// Dovecot's rawlog, session after session (by file name, which starts with
// the session's time to the second), without their tags.
func (d *Server) Commands(t testing.TB) []string {
	t.Helper()
	sessions := d.Sessions(t)
	names := make([]string, 0, len(sessions))
	for n := range sessions {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		out = append(out, sessions[n]...)
	}
	return out
}

// Sessions returns the commands of each session so far, by the name of its
// rawlog file; a test tells a new session by its new name.
func (d *Server) Sessions(t testing.TB) map[string][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(d.Rawlog, "*.in"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cmds := []string{}
		for _, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
			// Each line is "TIMESTAMP TAG COMMAND" (rawlog's timestamps),
			// or "TAG COMMAND".
			first, rest, ok := strings.Cut(line, " ")
			if _, err := strconv.ParseFloat(first, 64); err == nil && ok {
				_, rest, ok = strings.Cut(rest, " ")
			}
			if ok {
				cmds = append(cmds, rest)
			}
		}
		out[filepath.Base(f)] = cmds
	}
	return out
}
