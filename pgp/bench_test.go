package pgp

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"os/exec"
	"testing"
	"time"
)

// BenchmarkDecrypt10MB decrypts and verifies a 10 MB PGP/MIME message made
// by GnuPG, and times `gpg --decrypt` on the same message in the same run;
// it reports both and their ratio (target: Sealtrace within 1.5x of gpg).
func BenchmarkDecrypt10MB(b *testing.B) {
	g := newGnuPG(b)
	alice := g.genKey("Alice <alice@example.com>", "alice-pass")
	fb := g.genKey("Sender <sender@example.com>", "")
	var ring bytes.Buffer
	ring.Write(g.run(nil, "--passphrase", "alice-pass", "--armor", "--export-secret-keys", alice))
	ring.Write(g.run(nil, "--armor", "--export", fb))
	kr, err := ReadKeyring(&ring)
	if err != nil {
		b.Fatal(err)
	}
	// 10 MB of base64 text (incompressible, as attachments are).
	raw := make([]byte, 7_500_000)
	rand.Read(raw)
	inner := "Content-Type: text/plain\r\n\r\n" + base64.StdEncoding.EncodeToString(raw) + "\r\n"
	armored := g.run([]byte(inner), "--armor", "--encrypt", "--sign", "-r", alice, "-u", fb)
	msg := mimeEncryptedMessage(armored)
	part := fbMsgPart(b, msg)
	opts := Options{Keyring: kr, Passphrase: []byte("alice-pass")}

	var ours, theirs time.Duration
	for b.Loop() {
		start := time.Now()
		r := Process(msg, opts)
		ours += time.Since(start)
		if r == nil || !r.Decrypted || r.Signature != SigGood {
			b.Fatalf("%+v", r)
		}
		start = time.Now()
		cmd := exec.Command(g.bin, "--homedir", g.home, "--batch", "--pinentry-mode", "loopback", "--passphrase", "alice-pass", "--decrypt")
		cmd.Stdin = bytes.NewReader(part)
		if out, err := cmd.Output(); err != nil || len(out) < len(inner) {
			b.Fatalf("gpg --decrypt: %v", err)
		}
		theirs += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(ours.Seconds()*1000/n, "ms-sealtrace")
	b.ReportMetric(theirs.Seconds()*1000/n, "ms-gpg")
	b.ReportMetric(ours.Seconds()/theirs.Seconds(), "x-gpg")
	b.ReportMetric(float64(len(msg))/1e6, "MB")
}
