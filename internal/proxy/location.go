package proxy

import (
	"net"
	"path"
	"strings"
)

// SplitSchemeNamePort splits the name of a proxy subresource request: "name",
// "name:port" or "scheme:name:port", where scheme is "", "http" or "https". ok is
// false for anything else, an empty name included.
func SplitSchemeNamePort(id string) (scheme, name, port string, ok bool) {
	parts := strings.Split(id, ":")
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		name, port = parts[0], parts[1]
	case 3:
		scheme, name, port = parts[0], parts[1], parts[2]
	default:
		return "", "", "", false
	}
	if name == "" || (scheme != "" && scheme != "http" && scheme != "https") {
		return "", "", "", false
	}
	return scheme, name, port, true
}

// JoinPath joins a backend base path and the proxied sub-path, keeping a trailing
// slash of the last non-empty element: backends tell "/ui" from "/ui/".
func JoinPath(elem ...string) string {
	joined := path.Join(elem...)
	for i := len(elem) - 1; i >= 0; i-- {
		if elem[i] == "" {
			continue
		}
		if strings.HasSuffix(elem[i], "/") && !strings.HasSuffix(joined, "/") {
			joined += "/"
		}
		break
	}
	return joined
}

// ProxyableIP reports whether ip may be a proxy target: only global unicast
// addresses, so that the API server cannot be turned on its own loopback or on
// link-local metadata services.
func ProxyableIP(ip net.IP) bool {
	return ip != nil && ip.IsGlobalUnicast()
}

// HostPort joins host and port, bracketing IPv6 addresses; an empty port gives the
// host alone.
func HostPort(host, port string) string {
	if port == "" {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return net.JoinHostPort(host, port)
}
