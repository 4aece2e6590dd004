package request

import (
	"net/http"
	"strings"

	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/fields"
)

// Info describes an API request the way Kubernetes authorization and admission see it.
type Info struct {
	// IsResourceRequest is false for non-resource paths such as /healthz or /api.
	IsResourceRequest bool
	// Path is the URL path of the request.
	Path string
	// Verb is the Kubernetes verb (get, list, watch, create, update, patch, delete,
	// deletecollection) for resource requests and the lower-case HTTP method otherwise.
	Verb string

	APIPrefix   string // "api" or "apis"
	APIGroup    string
	APIVersion  string
	Namespace   string
	Resource    string
	Subresource string
	Name        string
	// Parts are the path segments after the namespace, if any.
	Parts []string
	// FieldSelector and LabelSelector are the raw selectors of a list, watch or
	// deletecollection (not of a /watch/ path request), for authorizers that decide on
	// them, as upstream's RequestInfo carries them.
	FieldSelector string
	LabelSelector string
}

// namespaceSubresources are the subresources that make /namespaces/<name>/<x> address the
// namespace itself rather than a resource inside it.
var namespaceSubresources = map[string]bool{"status": true, "finalize": true}

// ParseInfo computes the Info of r. It never fails: a path it does not understand is a
// non-resource request.
func ParseInfo(r *http.Request) *Info {
	info := &Info{Path: r.URL.Path, Verb: strings.ToLower(r.Method)}
	parts := splitPath(r.URL.Path)
	if len(parts) < 2 || (parts[0] != "api" && parts[0] != "apis") {
		return info
	}
	info.APIPrefix = parts[0]
	parts = parts[1:]
	if info.APIPrefix == "apis" {
		if len(parts) < 2 { // /apis, /apis/<group>
			return info
		}
		info.APIGroup = parts[0]
		parts = parts[1:]
	}
	info.APIVersion = parts[0]
	parts = parts[1:]
	if len(parts) == 0 { // /api/v1, /apis/<group>/<version>
		return info
	}
	info.IsResourceRequest = true

	watchPrefix := false
	if parts[0] == "watch" {
		watchPrefix = true
		parts = parts[1:]
		if len(parts) == 0 {
			info.IsResourceRequest = false
			return info
		}
	}
	// The deprecated /proxy/ prefix is still parsed as upstream does (verb proxy,
	// no subresource) so that it is authorized the same way, though not served.
	proxyPrefix := false
	if parts[0] == "proxy" && !watchPrefix {
		if len(parts) == 1 {
			info.IsResourceRequest = false
			return info
		}
		proxyPrefix = true
		parts = parts[1:]
	}

	switch r.Method {
	case http.MethodPost:
		info.Verb = "create"
	case http.MethodGet, http.MethodHead:
		info.Verb = "get"
	case http.MethodPut:
		info.Verb = "update"
	case http.MethodPatch:
		info.Verb = "patch"
	case http.MethodDelete:
		info.Verb = "delete"
	default:
		info.Verb = ""
	}

	if parts[0] == "namespaces" && len(parts) > 1 {
		info.Namespace = parts[1]
		if len(parts) > 2 && !namespaceSubresources[parts[2]] {
			parts = parts[2:]
		}
	}
	info.Parts = parts
	switch {
	case len(parts) >= 3 && !proxyPrefix:
		info.Subresource = parts[2]
		fallthrough
	case len(parts) >= 2:
		info.Name = parts[1]
		fallthrough
	case len(parts) == 1:
		info.Resource = parts[0]
	}

	switch {
	case proxyPrefix:
		info.Verb = "proxy"
	case watchPrefix:
		info.Verb = "watch"
	case info.Name == "" && info.Verb == "get":
		// A GET without a name lists, or watches when ?watch is anything but false/0.
		info.Verb = "list"
		if vals, ok := r.URL.Query()["watch"]; ok && len(vals) > 0 {
			if v := strings.ToLower(vals[0]); v != "false" && v != "0" {
				info.Verb = "watch"
			}
		}
		// A selector on one name makes the request about that name, so that
		// authorization by resourceNames applies.
		if sel, err := fields.ParseSelector(r.URL.Query().Get("fieldSelector")); err == nil {
			if name, ok := sel.RequiresExactMatch("metadata.name"); ok && len(path.IsValidPathSegmentName(name)) == 0 {
				info.Name = name
			}
		}
	}
	if info.Verb == "delete" && info.Name == "" {
		info.Verb = "deletecollection"
	}
	if !watchPrefix && (info.Verb == "list" || info.Verb == "watch" || info.Verb == "deletecollection") {
		q := r.URL.Query()
		if v, ok := q["fieldSelector"]; ok && len(v) > 0 {
			info.FieldSelector = v[0]
		}
		if v, ok := q["labelSelector"]; ok && len(v) > 0 {
			info.LabelSelector = v[0]
		}
	}
	return info
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
