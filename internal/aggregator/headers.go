package aggregator

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/kapi-dev/kapi/internal/request"
)

// setIdentity replaces whatever identity headers the caller sent with u's: the
// extension server trusts them because they come over the proxy's certificate.
func (h Headers) setIdentity(header http.Header, u *request.User) {
	for k := range header {
		if h.stripped(k) {
			delete(header, k)
		}
	}
	header.Set(h.User, u.Name)
	if u.UID != "" {
		header.Set(h.UID, u.UID)
	}
	for _, g := range u.Groups {
		header.Add(h.Group, g)
	}
	for k, values := range u.Extra {
		name := h.ExtraPrefix + escapeExtraKey(k)
		for _, v := range values {
			header.Add(name, v)
		}
	}
}

func (h Headers) stripped(name string) bool {
	for _, s := range h.Strip {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	for _, p := range h.StripPrefixes {
		if len(name) >= len(p) && strings.EqualFold(name[:len(p)], p) {
			return true
		}
	}
	return false
}

// escapeExtraKey percent-encodes what may not appear in a header name (and the
// percent sign itself), so that keys like "example.com/scopes" survive; the
// request-header authenticator decodes them.
func escapeExtraKey(k string) string {
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		if isTokenChar(c) && c != '%' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// isTokenChar reports whether c may appear in an HTTP header name (RFC 7230 tchar).
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
