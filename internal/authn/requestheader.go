package authn

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/kapi-dev/kapi/internal/request"
)

// RequestHeader authenticates requests relayed by an authenticating front proxy
// (--requestheader-* flags): the client certificate must verify against Roots and,
// when AllowedNames is set, carry one of those common names; the user is then read
// from the configured headers, which are removed from the request so that they
// never travel further.
type RequestHeader struct {
	// Roots returns the CAs of --requestheader-client-ca-file.
	Roots func() *x509.CertPool
	// AllowedNames are the client certificate common names accepted; empty accepts
	// every certificate Roots verifies.
	AllowedNames []string
	// UsernameHeaders, UIDHeaders: the first header with a value wins.
	UsernameHeaders []string
	UIDHeaders      []string
	// GroupHeaders: every value of every header is a group.
	GroupHeaders []string
	// ExtraHeaderPrefixes: "<prefix><key>: value" adds value to extra key, the key
	// lower-cased and percent-decoded.
	ExtraHeaderPrefixes []string
}

// NewRequestHeader checks the header names (no empty ones, as upstream) and trims
// them.
func NewRequestHeader(rh RequestHeader) (*RequestHeader, error) {
	var err error
	trim := func(flag string, in []string) []string {
		out := make([]string, 0, len(in))
		for _, h := range in {
			t := strings.TrimSpace(h)
			if t == "" && err == nil {
				err = fmt.Errorf("empty value in %q", flag)
			}
			out = append(out, t)
		}
		return out
	}
	rh.UsernameHeaders = trim("requestheader-username-headers", rh.UsernameHeaders)
	rh.UIDHeaders = trim("requestheader-uid-headers", rh.UIDHeaders)
	rh.GroupHeaders = trim("requestheader-group-headers", rh.GroupHeaders)
	rh.ExtraHeaderPrefixes = trim("requestheader-extra-headers-prefix", rh.ExtraHeaderPrefixes)
	rh.AllowedNames = trim("requestheader-allowed-names", rh.AllowedNames)
	if err != nil {
		return nil, err
	}
	return &rh, nil
}

// AuthenticateRequest implements Authenticator. A request without a client
// certificate gets no opinion; one whose certificate does not verify or is not an
// allowed proxy fails (the next authenticator may still accept the certificate).
func (a *RequestHeader) AuthenticateRequest(r *http.Request) (*request.User, bool, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 || a.Roots == nil {
		return nil, false, nil
	}
	roots := a.Roots()
	if roots == nil {
		return nil, false, nil
	}
	if firstHeaderValue(r.Header, a.UsernameHeaders) == "" {
		// Without a user name this authenticator has nothing to say, whoever the
		// certificate names: skip verifying it.
		return nil, false, nil
	}
	certs := r.TLS.PeerCertificates
	opts := x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if len(certs) > 1 {
		opts.Intermediates = x509.NewCertPool()
		for _, c := range certs[1:] {
			opts.Intermediates.AddCert(c)
		}
	}
	if err := clientChains.verify(certs, opts); err != nil {
		return nil, false, fmt.Errorf("request header proxy certificate: %w", err)
	}
	if cn := certs[0].Subject.CommonName; len(a.AllowedNames) > 0 && !slices.Contains(a.AllowedNames, cn) {
		return nil, false, fmt.Errorf("x509: subject with cn=%s is not in the allowed list", cn)
	}
	return a.userFromHeaders(r.Header)
}

// userFromHeaders reads the user and then removes every header it may have used.
func (a *RequestHeader) userFromHeaders(h http.Header) (*request.User, bool, error) {
	name := firstHeaderValue(h, a.UsernameHeaders)
	if name == "" {
		return nil, false, nil
	}
	u := &request.User{
		Name:   name,
		UID:    firstHeaderValue(h, a.UIDHeaders),
		Groups: allHeaderValues(h, a.GroupHeaders),
		Extra:  extraFromHeaders(h, a.ExtraHeaderPrefixes),
	}
	a.clearHeaders(h)
	return u, true, nil
}

func (a *RequestHeader) clearHeaders(h http.Header) {
	for _, names := range [][]string{a.UsernameHeaders, a.UIDHeaders, a.GroupHeaders} {
		for _, n := range names {
			h.Del(n)
		}
	}
	for _, prefix := range a.ExtraHeaderPrefixes {
		for k := range h {
			if hasPrefixFold(k, prefix) {
				delete(h, k)
			}
		}
	}
}

func firstHeaderValue(h http.Header, names []string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}

func allHeaderValues(h http.Header, names []string) []string {
	out := []string{}
	for _, n := range names {
		for _, v := range h.Values(n) {
			if v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// extraFromHeaders collects the extras prefix by prefix, so that values keep the
// order of the configured prefixes.
func extraFromHeaders(h http.Header, prefixes []string) map[string][]string {
	extra := map[string][]string{}
	for _, prefix := range prefixes {
		for k, vs := range h {
			if !hasPrefixFold(k, prefix) {
				continue
			}
			key := strings.ToLower(k[len(prefix):])
			if decoded, err := url.PathUnescape(key); err == nil {
				key = decoded
			}
			extra[key] = append(extra[key], vs...)
		}
	}
	return extra
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// RequestHeaderConfigMapData is what kube-apiserver publishes about the front proxy
// in kube-system/extension-apiserver-authentication: the header names as JSON arrays
// and the CA bundle (the uid headers only when set).
func RequestHeaderConfigMapData(caPEM []byte, rh *RequestHeader) map[string]string {
	if rh == nil || len(caPEM) == 0 {
		return nil
	}
	data := map[string]string{
		"requestheader-client-ca-file":       string(caPEM),
		"requestheader-username-headers":     jsonStrings(rh.UsernameHeaders),
		"requestheader-group-headers":        jsonStrings(rh.GroupHeaders),
		"requestheader-extra-headers-prefix": jsonStrings(rh.ExtraHeaderPrefixes),
		"requestheader-allowed-names":        jsonStrings(rh.AllowedNames),
	}
	if len(rh.UIDHeaders) > 0 {
		data["requestheader-uid-headers"] = jsonStrings(rh.UIDHeaders)
	}
	return data
}

// jsonStrings renders a list as a JSON array ("[]" when empty, as upstream).
func jsonStrings(s []string) string {
	if s == nil {
		s = []string{}
	}
	b, _ := json.Marshal(s)
	return string(b)
}
