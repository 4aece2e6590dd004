package pki

import (
	"net"
	"strings"
)

// SplitHosts sorts SAN entries into DNS names and IP addresses, the two lists an
// x509.Certificate keeps apart. Blank entries are dropped and duplicates removed
// (case-insensitively for names, by value for IPs) so a caller can pass overlapping
// sources such as hostname and advertise address without care. Order is preserved.
func SplitHosts(hosts []string) (dns []string, ips []net.IP) {
	seenDNS := map[string]bool{}
	seenIP := map[string]bool{}
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			// Normalise IPv4 to 4 bytes so it encodes as a 4-byte SAN and compares
			// equal to what x509 parses back.
			if v4 := ip.To4(); v4 != nil {
				ip = v4
			}
			if key := ip.String(); !seenIP[key] {
				seenIP[key] = true
				ips = append(ips, ip)
			}
			continue
		}
		if key := strings.ToLower(h); !seenDNS[key] {
			seenDNS[key] = true
			dns = append(dns, h)
		}
	}
	return dns, ips
}
