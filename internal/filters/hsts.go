package filters

import (
	"errors"
	"net/http"
	"strings"
)

// CheckHSTSDirectives checks --strict-transport-security-directives as
// kube-apiserver does: each is "max-age=<seconds>", "includeSubDomains" or
// "preload".
func CheckHSTSDirectives(directives []string) error {
	var errs []error
	for _, d := range directives {
		switch name, _, hasValue := strings.Cut(d, "="); {
		case strings.TrimSpace(d) == "":
			errs = append(errs, errors.New("empty value in strict-transport-security-directives"))
		case d == "includeSubDomains" || d == "preload":
		case name != "max-age" || !hasValue || strings.Count(d, "=") != 1:
			errs = append(errs, errors.New("--strict-transport-security-directives invalid, allowed values: max-age=expireTime, includeSubDomains, preload. see https://tools.ietf.org/html/rfc6797#section-6.1 for more information"))
		}
	}
	return errors.Join(errs...)
}

// WithHSTS sets Strict-Transport-Security on every response that has none yet,
// from --strict-transport-security-directives; none returns h.
func WithHSTS(h http.Handler, directives []string) http.Handler {
	if len(directives) == 0 {
		return h
	}
	value := strings.Join(directives, "; ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, set := w.Header()["Strict-Transport-Security"]; !set {
			w.Header().Set("Strict-Transport-Security", value)
		}
		h.ServeHTTP(w, r)
	})
}
