package filters

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// CORS response headers, upstream's defaults.
const (
	corsAllowMethods  = "POST, GET, OPTIONS, PUT, DELETE, PATCH"
	corsAllowHeaders  = "Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, Authorization, X-Requested-With, If-Modified-Since"
	corsExposeHeaders = "Date"
)

// CORSOrigins compiles --cors-allowed-origins. Each pattern must pin the start of
// the origin's host ("^" or "//") and its end ("$" or ":"), as kube-apiserver
// requires, so that "example.com" cannot match "example.com.evil.org".
func CORSOrigins(patterns []string) ([]*regexp.Regexp, error) {
	const help = "anchor each expression to the start of the host with '^' or '//' and to its end with '$' or ':', e.g. '//example\\.com(:|$)'"
	var out []*regexp.Regexp
	var errs []string
	for _, p := range patterns {
		if p == "" {
			errs = append(errs, "empty value in --cors-allowed-origins, help: "+help)
			continue
		}
		re, err := regexp.Compile(p)
		if err == nil && (!strings.Contains(p, "^") && !strings.Contains(p, "//") || !strings.Contains(p, "$") && !strings.Contains(p, ":")) {
			err = fmt.Errorf("regular expression does not pin to start/end of host in the origin header")
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("--cors-allowed-origins has an invalid regular expression: %v, help: %s", err, help))
			continue
		}
		out = append(out, re)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, ", "))
	}
	return out, nil
}

// WithCORS answers browsers from the allowed origins: a request whose Origin
// matches gets the CORS headers (credentials allowed), and its preflight OPTIONS
// is answered 204 here, before authentication, as upstream does. Other requests
// pass untouched. No origins returns h.
func WithCORS(h http.Handler, origins []*regexp.Regexp) http.Handler {
	if len(origins) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !anyMatch(origins, origin) {
			h.ServeHTTP(w, r)
			return
		}
		hdr := w.Header()
		hdr.Set("Access-Control-Allow-Origin", origin)
		hdr.Set("Access-Control-Allow-Methods", corsAllowMethods)
		hdr.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		hdr.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		hdr.Set("Access-Control-Allow-Credentials", "true")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func anyMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}
