package egress_test

import (
	"net/netip"
	"testing"

	"github.com/reviewer-app/reviewer/egress"
)

// TestPrivate walks the IANA special-purpose address registries (IPv4 and
// IPv6): an address in a block that is not globally reachable is refused,
// and so are multicast, deprecated site-local, and NAT64 addresses that
// embed a refused IPv4 address. Public addresses, NAT64 of a public one
// included, are not.
func TestPrivate(t *testing.T) {
	for _, tt := range []struct {
		addr    string
		private bool
		why     string
	}{
		{"0.1.2.3", true, "0.0.0.0/8 this network"},
		{"10.1.2.3", true, "10.0.0.0/8 private use"},
		{"100.64.0.1", true, "100.64.0.0/10 shared address space"},
		{"127.0.0.1", true, "127.0.0.0/8 loopback"},
		{"169.254.169.254", true, "169.254.0.0/16 link local"},
		{"172.16.0.1", true, "172.16.0.0/12 private use"},
		{"192.0.0.170", true, "192.0.0.0/24 IETF protocol assignments"},
		{"192.0.2.1", true, "192.0.2.0/24 documentation"},
		{"192.88.99.1", true, "192.88.99.0/24 6to4 relay anycast (deprecated)"},
		{"192.168.1.1", true, "192.168.0.0/16 private use"},
		{"198.18.0.1", true, "198.18.0.0/15 benchmarking"},
		{"198.19.255.255", true, "198.18.0.0/15 benchmarking"},
		{"198.51.100.1", true, "198.51.100.0/24 documentation"},
		{"203.0.113.1", true, "203.0.113.0/24 documentation"},
		{"224.0.0.1", true, "224.0.0.0/4 multicast"},
		{"240.0.0.1", true, "240.0.0.0/4 reserved"},
		{"255.255.255.255", true, "limited broadcast"},
		{"::", true, "::/128 unspecified"},
		{"::1", true, "::1/128 loopback"},
		{"::ffff:127.0.0.1", true, "IPv4-mapped loopback"},
		{"64:ff9b::7f00:1", true, "64:ff9b::/96 translating 127.0.0.1"},
		{"64:ff9b::a00:1", true, "64:ff9b::/96 translating 10.0.0.1"},
		{"64:ff9b:1::1", true, "64:ff9b:1::/48 local-use translation"},
		{"100::1", true, "100::/64 discard-only"},
		{"2001::1", true, "2001::/23 IETF protocol assignments (Teredo)"},
		{"2001:2::1", true, "2001:2::/48 benchmarking"},
		{"2001:db8::1", true, "2001:db8::/32 documentation"},
		{"2002:7f00:1::1", true, "2002::/16 6to4"},
		{"3fff::1", true, "3fff::/20 documentation"},
		{"5f00::1", true, "5f00::/16 segment routing"},
		{"fc00::1", true, "fc00::/7 unique local"},
		{"fe80::1", true, "fe80::/10 link local"},
		{"fec0::1", true, "fec0::/10 site local (deprecated)"},
		{"ff02::1", true, "ff00::/8 multicast"},

		{"8.8.8.8", false, "public"},
		{"192.0.3.1", false, "just past 192.0.2.0/24"},
		{"198.20.0.1", false, "just past 198.18.0.0/15"},
		{"223.255.255.255", false, "just below 224.0.0.0/4"},
		{"2606:4700:4700::1111", false, "public"},
		{"64:ff9b::808:808", false, "64:ff9b::/96 translating 8.8.8.8"},
		{"2001:4860:4860::8888", false, "public, past 2001::/23"},
	} {
		if got := egress.Private(netip.MustParseAddr(tt.addr)); got != tt.private {
			t.Errorf("Private(%s) = %v, want %v (%s)", tt.addr, got, tt.private, tt.why)
		}
	}
}
