package dnstest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/miekg/dns"

	"github.com/sealtrace/sealtrace/resolver"
)

// SignedZones is a set of zones signed at test time by BIND's
// dnssec-signzone, served by NSD on loopback: test. (the trust anchor's
// zone, whose DS is in Anchor), secure.test. (NSEC), nsec3.test. (NSEC3),
// bogus.test. (a tampered signature), expired.test. (signatures valid for
// one hour) and insecure.test. (an unsigned delegation), each publishing an
// OPENPGPKEY record for alice@<zone>.
type SignedZones struct {
	Dir    string
	Addr   string // NSD, 127.0.0.1:port
	Anchor string // a file with the DS of test.
	KeyFpr string // the fingerprint of the published OpenPGP key
}

func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (make test installs nsd and bind9-utils): %v", name, err)
	}
	return p
}

func run(t testing.TB, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(tool(t, name), args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// keygen makes a KSK and a ZSK for zone and returns the KSK's DS line.
func keygen(t testing.TB, dir, zone string) string {
	ksk := strings.TrimSpace(run(t, dir, "dnssec-keygen", "-q", "-a", "ECDSAP256SHA256", "-f", "KSK", "-n", "ZONE", zone))
	run(t, dir, "dnssec-keygen", "-q", "-a", "ECDSAP256SHA256", "-n", "ZONE", zone)
	return strings.TrimSpace(run(t, dir, "dnssec-dsfromkey", "-2", ksk+".key"))
}

func sign(t testing.TB, dir, zone, file string, extra ...string) {
	args := append([]string{"-S", "-K", dir, "-o", zone, "-f", file + ".signed"}, extra...)
	run(t, dir, "dnssec-signzone", append(args, file)...)
}

func soa(zone string) string {
	return fmt.Sprintf("$TTL 300\n%s IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300\n%s IN NS ns.test.\n", zone, zone)
}

// StartSignedZones builds the zones and starts NSD; it stops with the test.
func StartSignedZones(t testing.TB) *SignedZones {
	t.Helper()
	return StartSignedZonesWith(t, nil)
}

// StartSignedZonesWith is StartSignedZones with more records: extra maps a
// zone ("secure.test.", "test.", ...) to master-file lines added to it
// before it is signed. In bogus.test. the signatures over TLSA records are
// tampered with too.
func StartSignedZonesWith(t testing.TB, extra map[string]string) *SignedZones {
	t.Helper()
	dir, err := os.MkdirTemp("", "dane")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	// An OpenPGP key to publish.
	ent, err := openpgp.NewEntity("Alice", "", "alice@secure.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	if err := ent.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	keyB64 := base64.StdEncoding.EncodeToString(pub.Bytes())
	alice := func(domain string) string {
		sum := sha256.Sum256([]byte("alice")) // RFC 7929 3
		name := hex.EncodeToString(sum[:28]) + "._openpgpkey." + domain + "."
		return name + " IN OPENPGPKEY " + keyB64 + "\n"
	}

	children := map[string]string{
		"secure.test.":   soa("secure.test.") + alice("secure.test"),
		"nsec3.test.":    soa("nsec3.test.") + alice("nsec3.test"),
		"insecure.test.": soa("insecure.test.") + alice("insecure.test"),
		"bogus.test.":    soa("bogus.test.") + alice("bogus.test"),
		"expired.test.":  soa("expired.test.") + alice("expired.test"),
	}
	parent := soa("test.") + "ns.test. IN A 127.0.0.1\n" + extra["test."] + "\n"
	for zone, text := range children {
		text += extra[zone] + "\n"
		file := strings.TrimSuffix(zone, ".") + ".zone"
		if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		parent += zone + " IN NS ns.test.\n"
		if zone == "insecure.test." {
			continue // an unsigned delegation: no keys, no DS
		}
		parent += keygen(t, dir, zone) + "\n"
		switch zone {
		case "nsec3.test.":
			sign(t, dir, zone, file, "-3", "AABBCCDD", "-H", "0")
		case "expired.test.":
			sign(t, dir, zone, file, "-s", "now-60", "-e", "now+3600") // valid for an hour: expired two days later
		default:
			sign(t, dir, zone, file)
		}
	}
	// Tamper with bogus.test.: change the signature over the key.
	bogusFile := filepath.Join(dir, "bogus.test.zone.signed")
	data, err := os.ReadFile(bogusFile)
	if err != nil {
		t.Fatal(err)
	}
	zp := dns.NewZoneParser(bytes.NewReader(data), "bogus.test.", "")
	var out strings.Builder
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if s, isSig := rr.(*dns.RRSIG); isSig && (s.TypeCovered == dns.TypeOPENPGPKEY || s.TypeCovered == dns.TypeTLSA) {
			raw, err := base64.StdEncoding.DecodeString(s.Signature)
			if err != nil {
				t.Fatal(err)
			}
			raw[10] ^= 1 // the same length, no longer the signature
			s.Signature = base64.StdEncoding.EncodeToString(raw)
		}
		out.WriteString(rr.String() + "\n")
	}
	os.WriteFile(bogusFile, []byte(out.String()), 0o644)

	anchorDS := keygen(t, dir, "test.")
	os.WriteFile(filepath.Join(dir, "test.zone"), []byte(parent), 0o644)
	sign(t, dir, "test.", "test.zone")
	anchor := filepath.Join(dir, "anchor.ds")
	os.WriteFile(anchor, []byte(anchorDS+"\n"), 0o644)

	// NSD on a free loopback port.
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.LocalAddr().(*net.UDPAddr).Port
	l.Close()
	var conf strings.Builder
	fmt.Fprintf(&conf, "server:\n  ip-address: 127.0.0.1@%d\n  zonesdir: %q\n  pidfile: %q\n  database: \"\"\n  username: \"\"\n  chroot: \"\"\n  xfrdfile: %q\n  zonelistfile: %q\n  logfile: %q\n  verbosity: 1\n  server-count: 1\nremote-control:\n  control-enable: no\n",
		port, dir, filepath.Join(dir, "nsd.pid"), filepath.Join(dir, "xfrd.state"), filepath.Join(dir, "zone.list"), filepath.Join(dir, "nsd.log"))
	for _, z := range []string{"test.", "secure.test.", "nsec3.test.", "bogus.test.", "expired.test."} {
		fmt.Fprintf(&conf, "zone:\n  name: %s\n  zonefile: %s.zone.signed\n", z, strings.TrimSuffix(z, "."))
	}
	fmt.Fprintf(&conf, "zone:\n  name: insecure.test.\n  zonefile: insecure.test.zone\n")
	confFile := filepath.Join(dir, "nsd.conf")
	os.WriteFile(confFile, []byte(conf.String()), 0o644)
	cmd := exec.Command(tool(t, "nsd"), "-d", "-c", confFile)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	srv, _ := resolver.NewServer(addr)
	srv.Timeout = 500 * time.Millisecond
	for i := 0; ; i++ {
		if a, err := srv.Query(context.Background(), "test.", dns.TypeSOA); err == nil && a.Rcode == dns.RcodeSuccess {
			break
		}
		if i == 100 {
			nsdLog, _ := os.ReadFile(filepath.Join(dir, "nsd.log"))
			t.Fatalf("NSD did not answer:\n%s\n%s", logs.String(), nsdLog)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return &SignedZones{Dir: dir, Addr: addr, Anchor: anchor, KeyFpr: strings.ToUpper(hex.EncodeToString(ent.PrimaryKey.Fingerprint))}
}
