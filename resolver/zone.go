package resolver

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// Zones answers from RFC 1035 master files only, never from the network:
// for offline inspection, the embedded demo mailbox, and tests. A name that
// no loaded zone covers answers NXDOMAIN.
type Zones struct {
	origins map[string]bool
	names   map[string]map[uint16][]dns.RR // owner name -> type -> records
	parents map[string]bool                // every ancestor of an owner name (empty non-terminals)
	files   []string                       // the files loaded, for DNSSource
}

// NewZones returns an empty set of zones.
func NewZones() *Zones {
	return &Zones{origins: map[string]bool{}, names: map[string]map[uint16][]dns.RR{}, parents: map[string]bool{}}
}

// MaxZoneRecords bounds one zone file, so that a hostile file cannot use
// unbounded memory.
const MaxZoneRecords = 100000

// LoadFile reads a master file. The origin is the file's $ORIGIN or, when it
// has none, the owner name of its SOA record or of its first record.
func (z *Zones) LoadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("resolver: zone file: %w", err)
	}
	defer f.Close()
	return z.Load(f, "", path)
}

// Load reads a master file from r. origin may be empty; file names the
// source in error messages.
func (z *Zones) Load(r io.Reader, origin, file string) error {
	if origin != "" {
		origin = dns.Fqdn(origin)
	}
	zp := dns.NewZoneParser(r, origin, file)
	zp.SetIncludeAllowed(false)
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if len(rrs) == MaxZoneRecords {
			return fmt.Errorf("resolver: zone file %s: more than %d records", file, MaxZoneRecords)
		}
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		return fmt.Errorf("resolver: zone file: %w", err)
	}
	if origin == "" {
		for _, rr := range rrs {
			if rr.Header().Rrtype == dns.TypeSOA {
				origin = rr.Header().Name
				break
			}
		}
	}
	if origin == "" && len(rrs) > 0 {
		origin = rrs[0].Header().Name
	}
	if origin == "" {
		return fmt.Errorf("resolver: zone file %s has no records (for an offline run where nothing resolves, give it one, such as an SOA record)", file)
	}
	z.origins[dns.CanonicalName(origin)] = true
	if file != "" && !slices.Contains(z.files, file) {
		z.files = append(z.files, file)
	}
	for _, rr := range rrs {
		z.Add(rr)
	}
	return nil
}

// Add adds one record (its owner must lie in a loaded zone to be found, or
// it becomes its own zone).
func (z *Zones) Add(rr dns.RR) {
	name := dns.CanonicalName(rr.Header().Name)
	if !z.covered(name) {
		z.origins[name] = true
	}
	byType := z.names[name]
	if byType == nil {
		byType = map[uint16][]dns.RR{}
		z.names[name] = byType
	}
	byType[rr.Header().Rrtype] = append(byType[rr.Header().Rrtype], rr)
	labels := dns.SplitDomainName(name)
	for i := 1; i < len(labels); i++ {
		z.parents[dns.Fqdn(strings.Join(labels[i:], "."))] = true
	}
}

// covered tells whether a loaded zone contains name: name or one of its
// ancestors is an origin (a walk up the labels, not a scan of the origins).
func (z *Zones) covered(name string) bool {
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		if z.origins[name[off:]] {
			return true
		}
	}
	return z.origins["."]
}

// Query implements Resolver. Answers are never Authenticated: a zone file
// is taken on trust, not validated.
func (z *Zones) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	fq, err := Fqdn(name)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a := &Answer{Name: fq, Type: qtype, Rcode: dns.RcodeNameError}
	cur := fq
	for hops := 0; hops < 8; hops++ {
		byType, ok := z.lookup(cur)
		if !ok {
			if hops == 0 && z.parents[cur] {
				a.Rcode = dns.RcodeSuccess // an empty non-terminal exists
			}
			return a, nil
		}
		a.Rcode = dns.RcodeSuccess
		if rrs, ok := byType[qtype]; ok {
			for _, rr := range rrs {
				c := dns.Copy(rr)
				c.Header().Name = cur
				a.Records = append(a.Records, c)
			}
			trim(a)
			return a, nil
		}
		cn, ok := byType[dns.TypeCNAME]
		if !ok || qtype == dns.TypeCNAME {
			return a, nil
		}
		a.Records = append(a.Records, cn[0])
		cur = dns.CanonicalName(cn[0].(*dns.CNAME).Target)
	}
	a.Rcode = dns.RcodeServerFailure // a CNAME loop
	return a, nil
}

// lookup finds the records of name, or of the wildcard that covers it
// (RFC 4592, simplified: the closest encloser's "*" child).
func (z *Zones) lookup(name string) (map[uint16][]dns.RR, bool) {
	if byType, ok := z.names[name]; ok {
		return byType, true
	}
	if !z.covered(name) || z.parents[name] {
		return nil, false
	}
	labels := dns.SplitDomainName(name)
	for i := 1; i < len(labels); i++ {
		parent := dns.Fqdn(strings.Join(labels[i:], "."))
		if _, exists := z.names[parent]; exists || z.parents[parent] {
			byType, ok := z.names["*."+parent]
			return byType, ok
		}
	}
	return nil, false
}
