package request

import (
	"net/http"
	"strings"
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
	case len(parts) >= 3:
		info.Subresource = parts[2]
		fallthrough
	case len(parts) == 2:
		info.Name = parts[1]
		fallthrough
	case len(parts) == 1:
		info.Resource = parts[0]
	}

	if len(parts) == 1 && info.Verb == "get" {
		info.Verb = "list"
	}
	if watchPrefix {
		info.Verb = "watch"
	} else if info.Verb == "list" || (info.Verb == "get" && info.Subresource == "") {
		if w := r.URL.Query().Get("watch"); w == "true" || w == "1" {
			info.Verb = "watch"
		}
	}
	if info.Verb == "delete" && info.Name == "" {
		info.Verb = "deletecollection"
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
