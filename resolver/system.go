package resolver

import (
	"net"
)

// NewSystem (system_windows.go, system_other.go) returns a source that asks
// the system's DNS servers. Sealtrace needs whole DNS messages (RRSIG, the
// AD bit, TLSA), which Go's net.Resolver does not give, so the system
// source asks the same servers the system's resolver asks, read from where
// the system keeps them: /etc/resolv.conf on Linux, macOS and the BSDs,
// the network adapters' settings on Windows.

// siteLocalDNS holds fec0:0:0:ffff::0-3 (see systemAddrs).
var siteLocalDNS = net.IPNet{IP: net.ParseIP("fec0:0:0:ffff::"), Mask: net.CIDRMask(126, 128)}

// systemAddrs turns the servers a system lists into HOST:PORT addresses:
// each once, in order, without those that cannot be asked.
func systemAddrs(ips []net.IP) []string {
	var addrs []string
	seen := map[string]bool{}
	for _, ip := range ips {
		if ip == nil || ip.IsUnspecified() {
			continue
		}
		// Windows lists fec0:0:0:ffff::1, ::2 and ::3 on an adapter without
		// configured IPv6 DNS servers: the site-local well-known addresses
		// of a draft, which RFC 3879 deprecated; nothing answers there.
		if ip.To4() == nil && siteLocalDNS.Contains(ip) {
			continue
		}
		// An IPv6 link-local server needs its adapter's zone, which the
		// address alone does not carry.
		if ip.To4() == nil && ip.IsLinkLocalUnicast() {
			continue
		}
		a := net.JoinHostPort(ip.String(), "53")
		if !seen[a] {
			seen[a] = true
			addrs = append(addrs, a)
		}
	}
	return addrs
}
