package resolver

import (
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The addresses Windows lists for its adapters become the system source's
// servers: duplicates (one server on two adapters) once, in order, and the
// ones that cannot be asked dropped: the unspecified address, the
// fec0:0:0:ffff::1-3 site-local defaults Windows lists when nothing is
// configured (RFC 3879 deprecated them), and IPv6 link-local addresses,
// which need the adapter's zone.
func TestSystemAddrs(t *testing.T) {
	ips := []net.IP{
		net.ParseIP("192.0.2.53"),
		net.ParseIP("2001:db8::53"),
		net.ParseIP("192.0.2.53"),
		net.ParseIP("0.0.0.0"),
		net.ParseIP("fec0:0:0:ffff::1"),
		net.ParseIP("fec0:0:0:ffff::3"),
		net.ParseIP("fe80::1"),
		nil,
		net.ParseIP("198.51.100.1"),
	}
	got := systemAddrs(ips)
	want := []string{"192.0.2.53:53", "[2001:db8::53]:53", "198.51.100.1:53"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("systemAddrs = %q, want %q", got, want)
	}
	if got := systemAddrs([]net.IP{net.ParseIP("fec0:0:0:ffff::2")}); len(got) != 0 {
		t.Fatalf("only the site-local defaults: got %q, want none", got)
	}
}

// Where resolv.conf is read (Linux, macOS, the BSDs), a missing file is a
// clear error naming the way out, and the servers it names are used.
func TestSystemFromResolvConf(t *testing.T) {
	dir := t.TempDir()
	if _, err := newSystemFrom(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "--dns-server") {
		t.Fatalf("missing file: err = %v, want one naming --dns-server", err)
	}
	path := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(path, []byte("nameserver 192.0.2.1\nnameserver 2001:db8::1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := newSystemFrom(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"192.0.2.1:53", "[2001:db8::1]:53"}; !reflect.DeepEqual(s.Addrs, want) {
		t.Fatalf("Addrs = %q, want %q", s.Addrs, want)
	}
}
