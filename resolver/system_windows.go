//go:build windows

package resolver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/windows"
)

// NewSystem returns a source that asks the DNS servers of the network
// adapters that are up, in the order Windows lists them (what `ipconfig
// /all` shows as "DNS Servers"). Windows has no resolv.conf; Go's own
// resolver reads the same list the same way.
func NewSystem() (*Server, error) {
	ips, err := adapterDNSServers()
	if err != nil {
		return nil, fmt.Errorf("resolver: reading the DNS servers of the network adapters: %w; use --dns-server or --dns-zone", err)
	}
	s := &Server{Addrs: systemAddrs(ips), DNSSECOK: true, System: true}
	if len(s.Addrs) == 0 {
		return nil, errors.New("resolver: no network adapter that is up names a DNS server; use --dns-server or --dns-zone")
	}
	return s, nil
}

func adapterDNSServers() ([]net.IP, error) {
	// GetAdaptersAddresses fills a caller's buffer and says how large it
	// must be when it is too small; the list can grow between two calls.
	size := uint32(15000)
	for try := 0; try < 4; try++ {
		buf := make([]byte, size)
		first := (*windows.IpAdapterAddresses)(unsafe.Pointer(&buf[0]))
		err := windows.GetAdaptersAddresses(windows.AF_UNSPEC, windows.GAA_FLAG_SKIP_ANYCAST|windows.GAA_FLAG_SKIP_MULTICAST, 0, first, &size)
		if errors.Is(err, windows.ERROR_BUFFER_OVERFLOW) {
			continue
		}
		if err != nil {
			return nil, os.NewSyscallError("GetAdaptersAddresses", err)
		}
		var ips []net.IP
		for aa := first; aa != nil; aa = aa.Next {
			if aa.OperStatus != windows.IfOperStatusUp {
				continue
			}
			for d := aa.FirstDnsServerAddress; d != nil; d = d.Next {
				if ip := d.Address.IP(); ip != nil {
					ips = append(ips, append(net.IP(nil), ip...))
				}
			}
		}
		runtime.KeepAlive(buf)
		return ips, nil
	}
	return nil, errors.New("the adapter list kept growing")
}
